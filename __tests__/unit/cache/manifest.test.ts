// The manifest beside a cached emulator: written from the files, and a hit only when every file
// is still the one it lists for the entry's digest (real files in a temporary directory).
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { emulatorCacheNames } from '../../../src/cache/key.js';
import { entryProblem, MANIFEST_FILE, manifestProblem, writeManifest } from '../../../src/cache/manifest.js';

const names = emulatorCacheNames({
  qemuVersion: '10.2.2',
  target: 'aarch64',
  sourceSha256: 'be'.repeat(32),
  patchSha256: 'ab'.repeat(32),
  configureFlags: ['--static'],
  runnerOs: 'Linux',
  runnerArch: 'X64',
});
const other = emulatorCacheNames({
  qemuVersion: '10.2.2',
  target: 'aarch64',
  sourceSha256: 'cd'.repeat(32),
  patchSha256: 'ab'.repeat(32),
  configureFlags: ['--static'],
  runnerOs: 'Linux',
  runnerArch: 'X64',
});

describe('cache entry manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-manifest-'));
    writeFileSync(path.join(dir, 'qemu-aarch64'), 'the emulator\n');
    chmodSync(path.join(dir, 'qemu-aarch64'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("records the digest, what it is of, and each file's sha256", async () => {
    await writeManifest(dir, names, ['qemu-aarch64']);
    const m = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
    expect(m).toEqual({
      schema: 1,
      digest: names.digest,
      identity: names.identity,
      files: { 'qemu-aarch64': createHash('sha256').update('the emulator\n').digest('hex') },
    });
    expect(m.identity.sourceSha256).toBe('be'.repeat(32));
    expect(await entryProblem(dir, names, ['qemu-aarch64'])).toBeUndefined();
  });

  it.each<[string, () => void, RegExp]>([
    ['no manifest', () => rmSync(path.join(dir, MANIFEST_FILE)), /it has no anyarch-manifest\.json/],
    [
      'a manifest that is not JSON',
      () => writeFileSync(path.join(dir, MANIFEST_FILE), '#!/bin/sh\n'),
      /is not JSON/,
    ],
    [
      'a changed binary',
      () => writeFileSync(path.join(dir, 'qemu-aarch64'), '#!/bin/sh\necho planted\n'),
      /^qemu-aarch64 has sha256 [0-9a-f]{64}, its manifest says [0-9a-f]{64}$/,
    ],
    ['a missing binary', () => rmSync(path.join(dir, 'qemu-aarch64')), /^qemu-aarch64: missing$/],
    [
      'a symlink in place of the binary',
      () => {
        const real = path.join(dir, 'elsewhere');
        writeFileSync(real, readFileSync(path.join(dir, 'qemu-aarch64')));
        rmSync(path.join(dir, 'qemu-aarch64'));
        symlinkSync(real, path.join(dir, 'qemu-aarch64'));
      },
      /^qemu-aarch64: not a regular file$/,
    ],
  ])('refuses an entry with %s', async (_what, spoil, said) => {
    await writeManifest(dir, names, ['qemu-aarch64']);
    spoil();
    expect(await entryProblem(dir, names, ['qemu-aarch64'])).toMatch(said);
  });

  it('refuses the manifest of another build, and one that does not list a file asked for', async () => {
    await writeManifest(dir, other, ['qemu-aarch64']);
    expect(await entryProblem(dir, names, ['qemu-aarch64'])).toBe(
      `its ${MANIFEST_FILE} is for another build (${other.digest})`,
    );
    await writeManifest(dir, names, ['qemu-aarch64']);
    expect(await entryProblem(dir, names, ['qemu-aarch64', 'qemu-arm'])).toBe(
      `its ${MANIFEST_FILE} lists no qemu-arm`,
    );
  });

  it('refuses a manifest of another schema (pure check)', () => {
    const files = new Map([['qemu-aarch64', { sha256: 'ab'.repeat(32) }]]);
    const text = JSON.stringify({
      schema: 2,
      digest: names.digest,
      files: { 'qemu-aarch64': 'ab'.repeat(32) },
    });
    expect(manifestProblem(text, names.digest, ['qemu-aarch64'], files)).toBe(
      `its ${MANIFEST_FILE} is not a version 1 manifest`,
    );
    expect(manifestProblem('null', names.digest, ['qemu-aarch64'], files)).toMatch(
      /not a version 1 manifest/,
    );
  });
});
