import { describe, expect, it } from '@jest/globals';
import { checkSha256, describeSource, expectedSha256, parseVersionFile } from '../../../src/qemu/source.js';
import { runnerEnv } from '../../../src/runner.js';
import type { SeriesEntry } from '../../../src/qemu/series.js';

const entry: SeriesEntry = {
  series: '10.2',
  version: '10.2.2',
  patch: 'qemu-10.2.patch',
  upstream: { url: 'https://example.invalid/qemu-10.2.2.tar.xz', sha256: null },
  debian: {
    package: 'qemu',
    version: '1:10.2.2+ds-1',
    orig: 'qemu_10.2.2+ds.orig.tar.xz',
    sha256: 'b'.repeat(64),
  },
};
const pin = 'A'.repeat(64);

describe('expectedSha256', () => {
  it('prefers the qemu-sha256 pin', () => {
    expect(expectedSha256({ kind: 'debian' }, entry, pin)).toEqual({
      sha256: 'a'.repeat(64),
      from: 'input "qemu-sha256"',
    });
  });
  it('uses the series hash of the source kind', () => {
    expect(expectedSha256({ kind: 'debian' }, entry, undefined).sha256).toBe('b'.repeat(64));
    expect(expectedSha256({ kind: 'upstream' }, entry, undefined).sha256).toBeUndefined();
    expect(
      expectedSha256({ kind: 'url', url: 'https://x.invalid/q.tar' }, entry, undefined).sha256,
    ).toBeUndefined();
  });
});

describe('checkSha256', () => {
  it('passes a match and an unpinned source', () => {
    expect(() =>
      checkSha256('b'.repeat(64), expectedSha256({ kind: 'debian' }, entry, undefined), 'x'),
    ).not.toThrow();
    expect(() => checkSha256('c'.repeat(64), { sha256: undefined, from: 'nothing' }, 'x')).not.toThrow();
  });
  it('names the input and both hashes on a mismatch', () => {
    const err = () =>
      checkSha256('c'.repeat(64), expectedSha256({ kind: 'debian' }, entry, pin), 'the tarball');
    expect(err).toThrow(/input "qemu-sha256"/);
    expect(err).toThrow(new RegExp(`expected ${'a'.repeat(64)}.*got ${'c'.repeat(64)}`));
    expect(() =>
      checkSha256('c'.repeat(64), expectedSha256({ kind: 'debian' }, entry, undefined), 't'),
    ).toThrow(/input "qemu-source"/);
  });
});

describe('helpers', () => {
  it('reads VERSION', () => {
    expect(parseVersionFile('10.2.2\n')).toBe('10.2.2');
  });
  it('describes sources', () => {
    expect(describeSource({ kind: 'debian' }, entry)).toContain('1:10.2.2+ds-1');
    expect(describeSource({ kind: 'upstream' }, entry)).toBe(entry.upstream.url);
    expect(describeSource({ kind: 'path', path: '/src/qemu' }, entry)).toBe('/src/qemu');
  });
  it('finds the sources cache under ANYARCH_CACHE_DIR', () => {
    expect(runnerEnv({ ANYARCH_CACHE_DIR: '/c' }).sourcesCache).toBe('/c/sources');
    expect(runnerEnv({ ANYARCH_CACHE_DIR: '/c' }).toolCache).toBe('/c/tool-cache');
    expect(runnerEnv({ ANYARCH_CACHE_DIR: '/c', RUNNER_TOOL_CACHE: '/t' }).toolCache).toBe('/t');
  });
});
