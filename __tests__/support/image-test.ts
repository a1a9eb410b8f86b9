// The start and the end of an image test: no binfmt_misc handler, the base images and a
// workspace before the action runs; after it, no emulator in the image and nothing left behind.
import { readdirSync } from 'node:fs';
import { expect } from '@jest/globals';
import { assertNoBinfmt } from './binfmt.js';
import { ensureBaseImages, imageExists } from './docker.js';
import { createdImages, type StepResult } from './runner.js';
import { gitStatus, makeWorkspace, type RunEnv } from './workspace.js';

/**
 * No binfmt_misc handler for the guest arch, the base images, a workspace holding `files`, and
 * its git status before the action runs.
 */
export function prepareBuild(
  files: Record<string, string>,
  qemuArch = 'aarch64',
): { env: RunEnv; before: string } {
  assertNoBinfmt(qemuArch);
  ensureBaseImages();
  const env = makeWorkspace(files);
  return { env, before: gitStatus(env.workspace) };
}

/**
 * Expect an image's layer paths (as imageFiles lists them, without the leading "./") to hold no
 * emulator: no qemu binary, nothing under an .anyarch directory, and nothing below dev/ (where
 * a RUN mountpoint of the emulator would show up).
 */
export function expectNoEmulator(files: readonly string[]): void {
  expect(files.filter((f) => /qemu|anyarch/.test(f))).toEqual([]);
  expect(files.filter((f) => f.startsWith('dev/') && f !== 'dev/')).toEqual([]);
}

/** After main and post: the workspace as it was, every image the action made removed (the
 * emulator image among them), and nothing left in the runner's temp dir. */
export function expectPostCleaned(env: RunEnv, before: string, main: StepResult): void {
  expect(gitStatus(env.workspace)).toBe(before);
  const created = createdImages(main);
  expect(created.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
  for (const ref of created) expect(imageExists(ref)).toBe(false);
  expect(readdirSync(env.temp)).toEqual([]);
}
