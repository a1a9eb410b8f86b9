// What a source is known to be before it is fetched: the sha256 in its cache key, whether its
// emulator may be cached, and the upstream release this action records no sha256 for.
import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../../src/input-error.js';
import { findActionRoot, loadSeries } from '../../../src/qemu/series.js';
import { sourceIdentity } from '../../../src/qemu/source-identity.js';

const series = loadSeries(findActionRoot());
const newest = series[0]!;
const unpinned = series.find((e) => e.upstream.sha256 === null);
const PIN = 'ab'.repeat(32);

describe('sourceIdentity', () => {
  it('upstream and debian: the recorded sha256, cached', () => {
    expect(sourceIdentity({ kind: 'upstream' }, newest, undefined)).toEqual({
      kind: 'upstream',
      sha256: newest.upstream.sha256,
      uncachedBecause: undefined,
    });
    expect(sourceIdentity({ kind: 'debian' }, newest, undefined)).toEqual({
      kind: 'debian',
      sha256: newest.debian.sha256,
      uncachedBecause: undefined,
    });
  });

  it('a pin is the sha256, whatever the source', () => {
    expect(sourceIdentity({ kind: 'debian' }, newest, PIN).sha256).toBe(PIN);
    expect(sourceIdentity({ kind: 'url', url: 'https://example.org/q.tar.xz' }, newest, PIN)).toEqual({
      kind: 'url',
      sha256: PIN,
      uncachedBecause: undefined,
    });
  });

  it('an unpinned URL or path is built but never cached; a pinned http one is verified like any other', () => {
    expect(sourceIdentity({ kind: 'path', path: '/src/qemu' }, newest, undefined)).toEqual({
      kind: 'path',
      sha256: undefined,
      uncachedBecause: 'nothing verifies its source (allow-unverified-source)',
    });
    expect(sourceIdentity({ kind: 'url', url: 'http://example.org/q.tar.xz' }, newest, PIN)).toEqual({
      kind: 'url',
      sha256: PIN,
      uncachedBecause: undefined,
    });
  });

  it('refuses an upstream release whose sha256 nothing records, naming both ways out', () => {
    expect(unpinned).toBeDefined();
    let err: unknown;
    try {
      sourceIdentity({ kind: 'upstream' }, unpinned!, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('qemu-source');
    expect((err as Error).message).toMatch(
      new RegExp(
        `^This action records no sha256 for QEMU ${unpinned!.version.replace(/\./g, '\\.')}'s upstream tarball .*Use "qemu-source: debian".*or set "qemu-sha256"`,
      ),
    );
    expect(sourceIdentity({ kind: 'upstream' }, unpinned!, PIN).sha256).toBe(PIN);
    expect(sourceIdentity({ kind: 'debian' }, unpinned!, undefined).sha256).toBe(unpinned!.debian.sha256);
  });
});
