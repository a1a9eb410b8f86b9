// RUN steps longer than BuildKit reads in one line. Its scanner refuses a physical line over
// 64 KiB, and the rewrite makes each emulated RUN one line of JSON holding the whole script; Linux
// refuses one argument over 128 KiB, and BuildKit runs a "#!" heredoc from a file. So: a ~75 KB
// RUN of continuation lines (folded into continuation lines again), a ~120 KB one (passed to the
// step as a file), and on Docker 23 and newer (whose Dockerfile frontend has heredocs) a ~200 KB
// "#!" heredoc, each of which builds without the emulator, build with it, and every line ran.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, removeImages, docker, imageFile, imageFiles } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const TAG = 'anyarch-e2e/long-run:latest';
const PAD = 'x'.repeat(80);
const SIZES = { folded: 700, file: 1000, heredoc: 2000 } as const;
const heredocs = Number(docker('version', '--format', '{{.Server.Version}}').split('.')[0]) >= 23;

function continued(name: string, lines: number): string[] {
  return [
    'RUN set -e && \\',
    ...Array.from({ length: lines }, (_, i) => `    echo "${name}${i} $(uname -m) ${PAD}" >> /${name} && \\`),
    '    true',
  ];
}

function dockerfile(): string {
  const heredoc = Array.from(
    { length: SIZES.heredoc },
    (_, i) => `echo "heredoc${i} $(uname -m) ${PAD}" >> /heredoc`,
  );
  return [
    `FROM ${BASE_ARM64}`,
    ...continued('folded', SIZES.folded),
    ...continued('file', SIZES.file),
    ...(heredocs ? ['RUN <<EOF', '#!/bin/sh', 'set -e', ...heredoc, 'EOF'] : []),
    'RUN wc -l < /file > /count',
    '',
  ].join('\n');
}

describe('long RUN steps through the emulator', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;
  const text = dockerfile();

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': text }));
    result = runAction(env, { arch: 'arm64', ...LOCAL_QEMU, context: 'docker', tags: TAG, load: 'true' });
  });
  afterAll(() => {
    removeImages(TAG);
    if (env) cleanupEnv(env);
  });

  test('main and post succeed', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-3000));
    expect(result.post.status).toBe(0);
  });

  test.each([
    ['folded', SIZES.folded],
    ['file', SIZES.file],
  ])('every line of the %s RUN ran, emulated', (name, lines) => {
    const out = imageFile(TAG, `/${name}`).split('\n');
    expect(out).toHaveLength(lines + 1);
    expect(out[0]).toBe(`${name}0 aarch64 ${PAD}`);
    expect(out[lines - 1]).toBe(`${name}${lines - 1} aarch64 ${PAD}`);
  });

  test('every line of the "#!" heredoc ran, emulated (Docker 23 and newer)', () => {
    expect(imageFiles(TAG).includes('heredoc')).toBe(heredocs);
    if (!heredocs) return;
    const lines = imageFile(TAG, '/heredoc').split('\n');
    expect(lines).toHaveLength(SIZES.heredoc + 1);
    expect(lines[SIZES.heredoc - 1]).toBe(`heredoc${SIZES.heredoc - 1} aarch64 ${PAD}`);
  });

  test('no emulator or script file in the image; the workspace and runner temp as they were', () => {
    expect(imageFile(TAG, '/count').trim()).toBe(String(SIZES.file));
    expectNoEmulator(imageFiles(TAG));
    expectPostCleaned(env, before, result.main);
  });
});
