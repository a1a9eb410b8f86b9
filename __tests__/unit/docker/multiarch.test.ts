import { describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import { archTag, archTagSuffix, manifestSources, splitTag } from '../../../src/docker/multiarch.js';

describe('per-arch tags', () => {
  it.each([
    ['aarch64', 'arm64'],
    ['arm', 'arm-v7'],
    ['i386', '386'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['mips64el', 'mips64le'],
  ])('%s images get the suffix %s', (arch, suffix) => {
    expect(archTagSuffix(resolveArch(arch))).toBe(suffix);
  });

  it.each([
    ['app', 'app', 'latest'],
    ['app:1.0', 'app', '1.0'],
    ['127.0.0.1:5000/org/app', '127.0.0.1:5000/org/app', 'latest'],
    ['127.0.0.1:5000/org/app:v2', '127.0.0.1:5000/org/app', 'v2'],
  ])('splits %s', (ref, repo, tag) => {
    expect(splitTag(ref)).toEqual({ repo, tag });
  });

  it('appends the suffix to the tag, or to "latest"', () => {
    expect(archTag('127.0.0.1:5000/app:1.0', resolveArch('armv7'))).toBe('127.0.0.1:5000/app:1.0-arm-v7');
    expect(archTag('ghcr.io/o/app', resolveArch('arm64'))).toBe('ghcr.io/o/app:latest-arm64');
  });

  it('names manifest list sources by digest in the tag repository', () => {
    expect(manifestSources('r:5/app:1', ['sha256:aa', 'sha256:bb'])).toEqual([
      'r:5/app@sha256:aa',
      'r:5/app@sha256:bb',
    ]);
  });
});
