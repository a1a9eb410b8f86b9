import { describe, expect, it } from '@jest/globals';
import { ARCHES, archFromPlatform, resolveArch, resolveArchList } from '../../src/arch.js';

describe('arch table', () => {
  it('has one row per supported target with the documented facts', () => {
    expect(ARCHES.map((a) => [a.id, a.platform, a.elfMachine, a.elfClass, a.endian, a.debianArch])).toEqual([
      ['aarch64', 'linux/arm64', 183, 64, 'little', 'arm64'],
      ['arm', 'linux/arm/v7', 40, 32, 'little', 'armhf'],
      ['i386', 'linux/386', 3, 32, 'little', 'i386'],
      ['x86_64', 'linux/amd64', 62, 64, 'little', 'amd64'],
      ['ppc64le', 'linux/ppc64le', 21, 64, 'little', 'ppc64el'],
      ['s390x', 'linux/s390x', 22, 64, 'big', 's390x'],
      ['riscv64', 'linux/riscv64', 243, 64, 'little', 'riscv64'],
      ['mips64el', 'linux/mips64le', 8, 64, 'little', 'mips64el'],
    ]);
  });
});

describe('resolveArch', () => {
  it.each([
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
    ['ARM64', 'aarch64'],
    ['linux/arm64', 'aarch64'],
    ['linux/arm64/v8', 'aarch64'],
    [' arm64 ', 'aarch64'],
    ['arm', 'arm'],
    ['armhf', 'arm'],
    ['armv7', 'arm'],
    ['arm/v7', 'arm'],
    ['linux/arm/v7', 'arm'],
    ['i386', 'i386'],
    ['386', 'i386'],
    ['i686', 'i386'],
    ['x86', 'i386'],
    ['linux/386', 'i386'],
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['x86-64', 'x86_64'],
    ['X86_64', 'x86_64'],
    ['ppc64le', 'ppc64le'],
    ['ppc64el', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['riscv', 'riscv64'],
    ['mips64el', 'mips64el'],
    ['mips64le', 'mips64el'],
    ['linux/mips64le', 'mips64el'],
  ])('%s -> %s', (input, id) => {
    expect(resolveArch(input).id).toBe(id);
  });

  it('names the input, the bad value and the allowed values', () => {
    expect(() => resolveArch('sparc64')).toThrow(
      /^Invalid value for input "arch": "sparc64"\. Allowed: aarch64, arm, i386, x86_64, ppc64le, s390x, riscv64, mips64el/,
    );
  });
});

describe('resolveArchList', () => {
  it('splits on commas and newlines, dedupes by arch, keeps order', () => {
    expect(resolveArchList('aarch64,arm\narm64\n\n armhf , riscv').map((a) => a.id)).toEqual([
      'aarch64',
      'arm',
      'riscv64',
    ]);
  });
  it('rejects an empty list and any bad item', () => {
    expect(() => resolveArchList(' , \n')).toThrow(/"arch" is required/);
    expect(() => resolveArchList('arm64,foo')).toThrow(/"foo"/);
  });
});

describe('archFromPlatform', () => {
  it.each([
    ['linux/arm64', 'aarch64'],
    ['linux/arm64/v8', 'aarch64'],
    ['linux/arm', 'arm'],
    ['linux/arm/v7', 'arm'],
    ['LINUX/AMD64', 'x86_64'],
    ['linux/amd64/v2', 'x86_64'],
    ['linux/386', 'i386'],
    ['linux/mips64le', 'mips64el'],
  ])('%s -> %s', (p, id) => {
    expect(archFromPlatform(p)?.id).toBe(id);
  });
  it.each(['linux/arm/v6', 'windows/amd64', 'linux/sparc64', 'arm64', 'linux/arm64/v8/x'])(
    '%s is unsupported',
    (p) => {
      expect(archFromPlatform(p)).toBeUndefined();
    },
  );
});
