import { describe, expect, it } from '@jest/globals';
import semver from 'semver';
import { emulatorCacheNames, type EmulatorBuildId } from '../../src/cache/key.js';

const base: EmulatorBuildId = {
  qemuVersion: '10.2.2',
  targets: ['aarch64', 'arm'],
  patchSha256: 'ab'.repeat(32),
  configureFlags: ['--static', '--disable-system'],
  runnerOs: 'Linux',
  runnerArch: 'X64',
};

describe('emulatorCacheNames', () => {
  const names = emulatorCacheNames(base);

  it('is readable and stable', () => {
    expect(names.key).toMatch(/^anyarch-qemu-10\.2\.2-linux-x64-[0-9a-f]{16}$/);
    expect(names.toolName).toBe('anyarch-qemu');
    expect(names.toolArch).toBe('x64');
    expect(names.toolVersion).toBe(`10.2.2-h${names.digest.slice(0, 16)}`);
    expect(semver.valid(names.toolVersion)).toBe(names.toolVersion);
    expect(emulatorCacheNames({ ...base })).toEqual(names);
  });

  it('ignores target order and duplicates', () => {
    expect(emulatorCacheNames({ ...base, targets: ['arm', 'aarch64', 'arm'] }).key).toBe(names.key);
  });

  it.each<[string, Partial<EmulatorBuildId>]>([
    ['qemu version', { qemuVersion: '10.0.13' }],
    ['targets', { targets: ['aarch64'] }],
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
