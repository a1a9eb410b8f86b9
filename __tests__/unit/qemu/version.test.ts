import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findActionRoot, loadSeries, parseSeries, type Series } from '../../../src/qemu/series.js';
import { resolveQemuVersion } from '../../../src/qemu/version.js';

const sha = (c: string): string => c.repeat(64);

function entry(version: string, upstreamSha: string | null = null): unknown {
  return {
    version,
    patch: `qemu-${version.split('.').slice(0, 2).join('.')}.patch`,
    upstream: { url: `https://download.qemu.org/qemu-${version}.tar.xz`, sha256: upstreamSha },
    debian: {
      package: 'qemu',
      version: `1:${version}+ds-1`,
      orig: `qemu_${version}+ds.orig.tar.xz`,
      sha256: sha('a'),
    },
  };
}

const json = {
  series: { '7.2': entry('7.2.0'), '10.2': entry('10.2.2', sha('b')), '10.0': entry('10.0.13') },
};
const series: Series = parseSeries(json);

describe('parseSeries', () => {
  it('validates and orders entries newest first', () => {
    expect(series.map((e) => [e.series, e.version])).toEqual([
      ['10.2', '10.2.2'],
      ['10.0', '10.0.13'],
      ['7.2', '7.2.0'],
    ]);
    expect(series[0]).toEqual({
      series: '10.2',
      version: '10.2.2',
      patch: 'qemu-10.2.patch',
      upstream: { url: 'https://download.qemu.org/qemu-10.2.2.tar.xz', sha256: sha('b') },
      debian: {
        package: 'qemu',
        version: '1:10.2.2+ds-1',
        orig: 'qemu_10.2.2+ds.orig.tar.xz',
        sha256: sha('a'),
      },
    });
  });

  it('accepts an empty series map', () => {
    expect(parseSeries({ series: {} })).toEqual([]);
  });

  it.each([
    [{}, /"series": must be an object/],
    [{ series: { '10': entry('10.2.2') } }, /key must look like MAJOR.MINOR/],
    [{ series: { '10.2': entry('10.3.0') } }, /"version" must be 10.2.PATCH/],
    [
      { series: { '10.2': { ...(entry('10.2.2') as object), patch: '../x.patch' } } },
      /"patch" must be a file name/,
    ],
    [{ series: { '10.2': entry('10.2.2', 'XYZ') } }, /upstream "sha256"/],
  ])('rejects bad input %#', (bad, msg) => {
    expect(() => parseSeries(bad)).toThrow(msg);
  });
});

describe('loadSeries / findActionRoot', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'anyarch-root-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the action root above a nested directory and reads patches/series.json', () => {
    writeFileSync(path.join(root, 'action.yml'), 'name: x\n');
    mkdirSync(path.join(root, 'patches'));
    mkdirSync(path.join(root, 'dist', 'main'), { recursive: true });
    writeFileSync(path.join(root, 'patches', 'series.json'), JSON.stringify(json));
    expect(findActionRoot(path.join(root, 'dist', 'main'))).toBe(root);
    expect(loadSeries(root).map((e) => e.version)).toEqual(['10.2.2', '10.0.13', '7.2.0']);
  });

  it('loads the repository copy from the source tree', () => {
    expect(Array.isArray(loadSeries())).toBe(true);
  });
});

describe('resolveQemuVersion', () => {
  it.each([
    ['latest', '10.2.2'],
    ['', '10.2.2'],
    ['LATEST', '10.2.2'],
    ['10', '10.2.2'],
    ['10.0', '10.0.13'],
    ['10.2', '10.2.2'],
    ['10.2.2', '10.2.2'],
    ['v10.0.13', '10.0.13'],
    ['7', '7.2.0'],
    ['7.2', '7.2.0'],
    ['>=10.0 <10.2', '10.0.13'],
  ])('%s -> %s', (spec, version) => {
    expect(resolveQemuVersion(spec, series).version).toBe(version);
  });

  const supported = 'Supported: latest, 10.2 (10.2.2), 10.0 (10.0.13), 7.2 (7.2.0)';
  it.each([
    ['10.2.1', 'is not the release this action ships for that series'],
    ['9', 'matches no supported series'],
    ['10.1', 'matches no supported series'],
    ['banana', 'is not a version'],
  ])('rejects %s', (spec, why) => {
    expect(() => resolveQemuVersion(spec, series)).toThrow(
      `Invalid value for input "qemu-version": "${spec}" ${why}. ${supported}`,
    );
  });

  it('says when no series is shipped', () => {
    expect(() => resolveQemuVersion('latest', [])).toThrow(/Supported: none/);
  });
});
