import { describe, expect, it } from '@jest/globals';
import semver from 'semver';
import { emulatorCacheNames, emulatorSetNames, type EmulatorBuildId } from '../../../src/cache/key.js';

const base: EmulatorBuildId = {
  qemuVersion: '10.2.2',
  target: 'aarch64',
  sourceSha256: 'ef'.repeat(32),
  patchSha256: 'ab'.repeat(32),
  configureFlags: ['--static', '--disable-system'],
  runnerOs: 'Linux',
  runnerArch: 'X64',
};

describe('emulatorCacheNames', () => {
  const names = emulatorCacheNames(base);

  it('is readable and stable', () => {
    expect(names.key).toMatch(/^anyarch-qemu-aarch64-10\.2\.2-linux-x64-[0-9a-f]{16}$/);
    expect(names.toolName).toBe('anyarch-qemu-aarch64');
    expect(names.toolArch).toBe('x64');
    expect(names.toolVersion).toBe(`10.2.2-h${names.digest.slice(0, 16)}`);
    expect(semver.valid(names.toolVersion)).toBe(names.toolVersion);
    expect(emulatorCacheNames({ ...base })).toEqual(names);
  });

  it('refuses a source without a verified sha256', () => {
    for (const sha256 of ['', 'unverified', 'ab'.repeat(31)])
      expect(() => emulatorCacheNames({ ...base, sourceSha256: sha256 })).toThrow(
        /only a source with a verified sha256 is cached/,
      );
  });

  it('refuses a target that is not a QEMU target name', () => {
    expect(() => emulatorCacheNames({ ...base, target: '../arm' })).toThrow(/not a QEMU target name/);
  });

  it.each<[string, Partial<EmulatorBuildId>]>([
    ['qemu version', { qemuVersion: '10.0.13' }],
    ['target', { target: 'arm' }],
    ['source sha256', { sourceSha256: '01'.repeat(32) }],
    ['patch', { patchSha256: 'cd'.repeat(32) }],
    ['configure flags', { configureFlags: ['--static'] }],
    ['configure flag order', { configureFlags: ['--disable-system', '--static'] }],
    ['runner os', { runnerOs: 'macOS' }],
    ['runner arch', { runnerArch: 'ARM64' }],
  ])('changes with the %s', (_what, change) => {
    const other = emulatorCacheNames({ ...base, ...change });
    expect(other.key).not.toBe(names.key);
    expect(other.toolVersion).not.toBe(names.toolVersion);
  });
});

describe('emulatorSetNames', () => {
  const a = emulatorCacheNames(base);
  const b = emulatorCacheNames({ ...base, target: 'riscv64' });
  const c = emulatorCacheNames({ ...base, target: 'arm' });

  it('names the set by its members, in any order', () => {
    const set = emulatorSetNames('10.2.2', [a, b], 'X64');
    expect(set.toolName).toBe('anyarch-qemu-set');
    expect(set.toolArch).toBe('x64');
    expect(semver.valid(set.toolVersion)).toBe(set.toolVersion);
    expect(emulatorSetNames('10.2.2', [b, a], 'X64')).toEqual(set);
  });

  it('differs when a member differs', () => {
    const set = emulatorSetNames('10.2.2', [a, b], 'X64');
    expect(emulatorSetNames('10.2.2', [a, c], 'X64').toolVersion).not.toBe(set.toolVersion);
    expect(emulatorSetNames('10.2.2', [a, b, c], 'X64').toolVersion).not.toBe(set.toolVersion);
  });
});
