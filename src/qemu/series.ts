// The QEMU series this action ships a patch for, as listed in patches/series.json.
// The file is read at run time from the action's root (not bundled) so that the JSON and the
// patch files next to it are always the same revision.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

export interface SeriesEntry {
  /** Series key, e.g. "10.2". */
  readonly series: string;
  /** Exact upstream release, e.g. "10.2.2". */
  readonly version: string;
  /** Patch file name, relative to patches/. */
  readonly patch: string;
  readonly upstream: { readonly url: string; readonly sha256: string | null };
  readonly debian: {
    readonly package: string;
    readonly version: string;
    readonly orig: string;
    readonly sha256: string;
  };
}

export type Series = readonly SeriesEntry[];

const SHA256 = /^[0-9a-f]{64}$/;
const SERIES_KEY = /^\d+\.\d+$/;
const VERSION = /^\d+\.\d+\.\d+$/;

function fail(where: string, what: string): never {
  throw new Error(`patches/series.json: ${where}: ${what}`);
}

function str(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') fail(where, `"${key}" must be a non-empty string`);
  return v;
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'must be an object');
  return v as Record<string, unknown>;
}

/** Validate the parsed JSON and return its entries, newest version first. */
export function parseSeries(json: unknown): Series {
  const root = obj(json, 'top level');
  const series = obj(root['series'], '"series"');
  const entries: SeriesEntry[] = [];
  for (const [key, raw] of Object.entries(series)) {
    const where = `series "${key}"`;
    if (!SERIES_KEY.test(key)) fail(where, 'key must look like MAJOR.MINOR');
    const e = obj(raw, where);
    const version = str(e, 'version', where);
    if (!VERSION.test(version) || !version.startsWith(`${key}.`)) {
      fail(where, `"version" must be ${key}.PATCH, got "${version}"`);
    }
    const patch = str(e, 'patch', where);
    if (patch.includes('/') || patch.includes('\\')) fail(where, '"patch" must be a file name in patches/');
    const up = obj(e['upstream'], `${where} "upstream"`);
    const upSha = up['sha256'];
    if (upSha !== null && (typeof upSha !== 'string' || !SHA256.test(upSha))) {
      fail(where, 'upstream "sha256" must be 64 lower-case hex digits or null');
    }
    const deb = obj(e['debian'], `${where} "debian"`);
    const debSha = str(deb, 'sha256', `${where} debian`);
    if (!SHA256.test(debSha)) fail(where, 'debian "sha256" must be 64 lower-case hex digits');
    entries.push({
      series: key,
      version,
      patch,
      upstream: { url: str(up, 'url', `${where} upstream`), sha256: upSha },
      debian: {
        package: str(deb, 'package', `${where} debian`),
        version: str(deb, 'version', `${where} debian`),
        orig: str(deb, 'orig', `${where} debian`),
        sha256: debSha,
      },
    });
  }
  return entries.sort((a, b) => semver.rcompare(a.version, b.version));
}

/**
 * The action's root directory: the nearest ancestor of `from` that holds action.yml.
 * Works both for sources (src/qemu/) and for bundles (dist/main/, dist/cli/).
 */
export function findActionRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'action.yml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the action root (a directory with action.yml) above ${from}`);
    dir = parent;
  }
}

function seriesFile(root: string = findActionRoot()): string {
  return path.join(root, 'patches', 'series.json');
}

/** Read and validate patches/series.json under the action root. */
export function loadSeries(root: string = findActionRoot()): Series {
  const file = seriesFile(root);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseSeries(json);
}
