// The emulator image is loaded from an archive the action writes, not built, so the same binary
// gives the same image ID on every load (and so on every machine): the ID is a digest of bytes
// the archive fixes, on the classic and on the containerd image store. A RUN step that mounts
// the image runs the guest's programs through it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { buildEmulatorImage, writeEmulatorImageArchive } from '../../src/docker/emulator-image.js';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  BASE_ARM64,
  containerdImageStore,
  docker,
  ensureBaseImages,
  imageExists,
  imageFile,
} from '../support/docker.js';
import { TEST_SERIES } from '../support/qemu-sources.js';
import { sharedEmulator } from '../support/tool-cache.js';

const TAG = 'anyarch-e2e/emu-image:latest';
const PLATFORM = 'linux/arm64';

function imageId(ref: string): string {
  return docker('image', 'inspect', '--format', '{{.Id}}', ref).trim();
}

function removeImage(ref: string): void {
  if (imageExists(ref)) docker('image', 'rm', '--force', ref);
}

/** The files of a tar archive by name. */
async function untar(file: string): Promise<Map<string, Buffer>> {
  const ex = extract();
  const files = new Map<string, Buffer>();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      files.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  ex.end(readFileSync(file));
  await done;
  return files;
}

describe('emulator image', () => {
  let work: string;
  let emulatorDir: string;
  let ref: string;
  let firstId: string;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    ensureBaseImages();
    emulatorDir = sharedEmulator('aarch64', TEST_SERIES).dir;
    work = mkdtempSync(path.join(os.tmpdir(), 'anyarch-emu-image-'));
    // Whatever an earlier run left under the tag must not answer for this load.
    const probe = await writeEmulatorImageArchive(
      emulatorDir,
      'aarch64',
      PLATFORM,
      path.join(work, 'probe.tar'),
    );
    removeImage(probe);
    ref = await buildEmulatorImage(emulatorDir, 'aarch64', PLATFORM, path.join(work, 'load'));
    firstId = imageId(ref);
  });
  afterAll(() => {
    removeImage(TAG);
    if (ref) removeImage(ref);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('is the guest platform, made at the epoch', () => {
    expect(ref).toMatch(/^anyarch-emu:aarch64-[0-9a-f]{16}$/);
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}} {{.Created}}', ref).trim()).toBe(
      'linux/arm64 1970-01-01T00:00:00Z',
    );
  });

  test('its ID is the digest the archive fixes: of the config, or on the containerd store of the manifest', async () => {
    const files = await untar(path.join(work, 'probe.tar'));
    const saved = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string }[];
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: { digest: string }[] };
    const expected = containerdImageStore()
      ? index.manifests[0]!.digest
      : `sha256:${path.basename(saved[0]!.Config)}`;
    expect(firstId).toBe(expected);
  });

  test('loaded again after removal, it has the same ID', async () => {
    docker('image', 'rm', ref);
    expect(imageExists(ref)).toBe(false);
    expect(await buildEmulatorImage(emulatorDir, 'aarch64', PLATFORM, path.join(work, 'load'))).toBe(ref);
    expect(imageId(ref)).toBe(firstId);
  });

  test('a RUN step that mounts it runs the guest through the emulator', () => {
    const dir = path.join(work, 'ctx');
    mkdirSync(dir);
    const run = JSON.stringify([
      '/dev/.anyarch/qemu-aarch64',
      '-execve',
      '/dev/.anyarch/qemu-aarch64',
      '/bin/sh',
      '-c',
      'uname -m > /m',
    ]);
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${BASE_ARM64}\nRUN --mount=type=bind,from=${ref},source=/,target=/dev/.anyarch ${run}\n`,
    );
    docker('buildx', 'build', '--platform', PLATFORM, '--no-cache', '--load', '--tag', TAG, dir);
    expect(imageFile(TAG, '/m').trim()).toBe('aarch64');
  });
});
