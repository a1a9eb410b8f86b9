// Getting the emulators for one step, like actions/setup-go: resolve → cache → install.
// Tool cache first, then the Actions cache, then a compile from source (saved to both).
// A cache entry is used only when its files are the ones its manifest lists for its key
// (checked by reading them, before anything is run) and it then passes its self-test; any
// other entry is discarded and rebuilt. An emulator built from a source nothing verifies is
// neither looked up nor saved. The stores and the compile are passed in (EmulatorStores), so
// the order of precedence is testable on its own.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { restoreFromActionsCache, saveToActionsCache } from '../cache/actions-cache.js';
import { emulatorCacheNames, emulatorSetNames, type EmulatorCacheNames } from '../cache/key.js';
import { entryProblem, writeManifest } from '../cache/manifest.js';
import { findInToolCache, removeFromToolCache, saveToToolCache } from '../cache/tool-cache.js';
import type { InstallDeps, QemuSource } from '../inputs.js';
import { buildEmulators } from './build.js';
import { configureFlags } from './configure.js';
import { sha256File } from '../util/hash.js';
import { ensureBuildDeps, ensureSourceDeps } from './deps.js';
import { selfTest } from './selftest.js';
import type { SeriesEntry } from './series.js';
import { prepareSource } from './source.js';
import type { SourceIdentity } from './source-identity.js';

export type CacheHit = 'tool-cache' | 'actions-cache' | 'false';

export interface EmulatorRequest {
  readonly entry: SeriesEntry;
  /** What the source is known to be (its sha256 is part of every cache key). */
  readonly source: SourceIdentity;
  /** QEMU linux-user target names. */
  readonly targets: readonly string[];
  /** The -execve patch for the series (its sha256 is part of every cache key). */
  readonly patchFile: string;
  /** Scratch directory for the source and the build; removed by the caller. */
  readonly workDir: string;
  /** Fixed path under which the Actions cache saves and restores <target>/ (its paths are part of the cache version). */
  readonly actionsCacheDir: string;
  readonly runnerOs: string;
  readonly runnerArch: string;
}

export interface Emulator {
  /** Directory holding qemu-<t> for every target. */
  readonly dir: string;
  readonly targets: readonly string[];
  readonly cacheHit: CacheHit;
  /** Seconds spent compiling, when compiled. */
  readonly compileSeconds: number | undefined;
  /** Where the source came from, when compiled. */
  readonly source: string | undefined;
}

export interface ToolCacheStore {
  /** The complete entry for `names`, or undefined. */
  find(names: EmulatorCacheNames): string | undefined;
  /** Store a copy of `dir`; the stored directory (or `dir` itself when it could not). */
  save(dir: string, names: EmulatorCacheNames): Promise<string>;
  remove(dir: string): Promise<void>;
}

export interface ActionsCacheStore {
  /** Restore `dir` for `key`; true on an exact hit. */
  restore(dir: string, key: string): Promise<boolean>;
  save(dir: string, key: string): Promise<boolean>;
}

export interface Compiled {
  /** Directory holding qemu-<t> for every target compiled. */
  readonly dir: string;
  readonly seconds: number;
  /** Where the source came from, for the log and the summary. */
  readonly source: string;
  /** sha256 of the source tarball as read (undefined for a source tree). */
  readonly sourceSha256: string | undefined;
}

export interface EmulatorStores {
  readonly toolCache: ToolCacheStore;
  /** Undefined when the Actions cache is not used (input "cache" false, or no cache service). */
  readonly actionsCache: ActionsCacheStore | undefined;
  /** Compile `targets` with `flags` into the new directory `outDir`. */
  compile(targets: readonly string[], flags: readonly string[], outDir: string): Promise<Compiled>;
  /** Why `dir`'s emulators are not working patched `version` emulators, or undefined. */
  selfTest(dir: string, targets: readonly string[], version: string): Promise<string | undefined>;
}

export interface SourceOptions {
  readonly source: QemuSource;
  readonly sha256Pin: string | undefined;
  readonly installDeps: InstallDeps;
  /** Where a local copy of Debian's tarball is looked for first. */
  readonly sourcesCache: string;
}

/** The real stores: the runner's tool cache under `toolCacheRoot`, the Actions cache, a compile. */
export function runnerStores(
  req: EmulatorRequest,
  src: SourceOptions,
  toolCacheRoot: string,
  useActionsCache: boolean,
): EmulatorStores {
  return {
    toolCache: {
      find: findInToolCache,
      save: (dir, names) => saveToToolCache(dir, names, toolCacheRoot),
      remove: removeFromToolCache,
    },
    actionsCache: useActionsCache
      ? { restore: restoreFromActionsCache, save: saveToActionsCache }
      : undefined,
    async compile(targets, flags, outDir) {
      const version = req.entry.version;
      await ensureBuildDeps(version, src.installDeps);
      const prepared = await prepareSource({ ...src, entry: req.entry, workDir: req.workDir });
      await ensureSourceDeps(version, src.installDeps, prepared.dir);
      const built = await buildEmulators({
        srcDir: prepared.dir,
        patchFile: req.patchFile,
        qemuVersion: version,
        targets,
        configureFlags: flags,
        outDir,
      });
      // The source and object files are several hundred MB; free them before the image build.
      await fs.rm(prepared.dir, { recursive: true, force: true });
      return {
        dir: built.dir,
        seconds: built.seconds,
        source: prepared.description,
        sourceSha256: prepared.sha256,
      };
    },
    selfTest,
  };
}

/** Cache names of each target's own entry; none for a source whose emulator is not cached. */
async function cacheNamesFor(req: EmulatorRequest): Promise<Map<string, EmulatorCacheNames>> {
  const names = new Map<string, EmulatorCacheNames>();
  const sourceSha256 = req.source.sha256;
  if (req.source.uncachedBecause !== undefined || sourceSha256 === undefined) return names;
  const patchSha256 = await sha256File(req.patchFile);
  for (const target of req.targets) {
    names.set(
      target,
      emulatorCacheNames({
        qemuVersion: req.entry.version,
        target,
        sourceSha256,
        patchSha256,
        // The flags of a build of this target alone: a binary does not depend on its build-mates.
        configureFlags: configureFlags(req.entry.version, [target]),
        runnerOs: req.runnerOs,
        runnerArch: req.runnerArch,
      }),
    );
  }
  return names;
}

const binaries = (targets: readonly string[]) => targets.map((t) => `qemu-${t}`);

/**
 * Why the cached `dir` may not be used for `names`: its files are not the ones its manifest
 * lists for that key (checked first: nothing in it runs until they are), or they fail the
 * self-test. Undefined when it may.
 */
async function cachedProblem(
  stores: EmulatorStores,
  dir: string,
  names: EmulatorCacheNames,
  targets: readonly string[],
  version: string,
): Promise<string | undefined> {
  return (await entryProblem(dir, names, binaries(targets))) ?? stores.selfTest(dir, targets, version);
}

/** A tool-cache entry that may be used, or undefined (one that may not is discarded). */
async function fromToolCache(
  stores: EmulatorStores,
  names: EmulatorCacheNames,
  targets: readonly string[],
  version: string,
): Promise<string | undefined> {
  const cached = stores.toolCache.find(names);
  if (cached === undefined) return undefined;
  const problem = await cachedProblem(stores, cached, names, targets, version);
  if (problem === undefined) return cached;
  core.warning(`Discarding the cached emulator in ${cached}: ${problem}. It will be rebuilt.`);
  await stores.toolCache.remove(cached);
  return undefined;
}

/** `t`'s emulator from the Actions cache, stored into the tool cache; undefined on a miss. */
async function fromActionsCache(
  stores: EmulatorStores,
  req: EmulatorRequest,
  t: string,
  names: EmulatorCacheNames,
): Promise<string | undefined> {
  const restoreDir = path.join(req.actionsCacheDir, t);
  if (stores.actionsCache === undefined || !(await stores.actionsCache.restore(restoreDir, names.key)))
    return undefined;
  const problem = await cachedProblem(stores, restoreDir, names, [t], req.entry.version);
  if (problem === undefined) {
    core.info(`qemu-${t}: restored from the Actions cache`);
    return stores.toolCache.save(restoreDir, names);
  }
  core.warning(`Discarding qemu-${t} restored from the Actions cache: ${problem}. It will be rebuilt.`);
  await fs.rm(restoreDir, { recursive: true, force: true });
  return undefined;
}

/** Compile every target in `missing` in one QEMU build; each is cached on its own. */
async function compileMissing(
  stores: EmulatorStores,
  req: EmulatorRequest,
  missing: readonly string[],
  names: Map<string, EmulatorCacheNames>,
  found: Map<string, string>,
): Promise<Compiled> {
  core.info(`Compiling QEMU ${req.entry.version} for ${missing.join(', ')}`);
  const outDir = path.join(req.workDir, 'built');
  await fs.rm(outDir, { recursive: true, force: true });
  const built = await stores.compile(missing, configureFlags(req.entry.version, missing), outDir);
  if (names.size === 0) {
    core.warning(`The emulator is not cached: ${req.source.uncachedBecause ?? 'its source is unverified'}.`);
    for (const t of missing) found.set(t, built.dir);
    return built;
  }
  // The compile checked the tarball against this sha256; a cache entry is only ever saved
  // under the key of the source it was built from.
  if (built.sourceSha256 !== req.source.sha256)
    throw new Error(
      `the QEMU source read has sha256 ${built.sourceSha256 ?? '(a source tree)'}, not the ${req.source.sha256} of its cache key`,
    );
  for (const t of missing) {
    const n = names.get(t) as EmulatorCacheNames;
    const own = path.join(req.actionsCacheDir, t);
    await fs.rm(own, { recursive: true, force: true });
    await fs.mkdir(own, { recursive: true });
    await fs.rename(path.join(built.dir, `qemu-${t}`), path.join(own, `qemu-${t}`));
    await writeManifest(own, n, binaries([t]));
    found.set(t, await stores.toolCache.save(own, n));
    // Saved here rather than in post: a failing image build must not lose a compile.
    if (await stores.actionsCache?.save(own, n.key))
      core.info(`Saved qemu-${t} to the Actions cache as ${n.key}`);
  }
  return built;
}

/** One directory with every target's emulator: the single entry itself, or a set entry of copies. */
async function gather(
  stores: EmulatorStores,
  req: EmulatorRequest,
  names: Map<string, EmulatorCacheNames>,
  found: Map<string, string>,
): Promise<string> {
  if (req.targets.length === 1) return found.get(req.targets[0] as string) as string;
  // Not cached: every target was compiled into one directory.
  if (names.size === 0) return found.get(req.targets[0] as string) as string;
  const setNames = emulatorSetNames(req.entry.version, [...names.values()], req.runnerArch);
  const existing = await fromToolCache(stores, setNames, req.targets, req.entry.version);
  if (existing !== undefined) return existing;
  const staging = path.join(req.workDir, 'set');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  for (const [t, dir] of found)
    await fs.copyFile(path.join(dir, `qemu-${t}`), path.join(staging, `qemu-${t}`));
  await writeManifest(staging, setNames, binaries(req.targets));
  // When the tool cache cannot store it (warned), the run goes on with its own copy, as with one arch.
  return stores.toolCache.save(staging, setNames);
}

export async function installEmulators(req: EmulatorRequest, stores: EmulatorStores): Promise<Emulator> {
  const names = await cacheNamesFor(req);
  for (const [t, n] of names) core.info(`Emulator cache key ${n.key} (qemu-${t})`);

  // Each target on its own: tool cache, then the Actions cache.
  const found = new Map<string, string>();
  let restored = 0;
  for (const t of names.size === 0 ? [] : req.targets) {
    const n = names.get(t) as EmulatorCacheNames;
    const cached = await fromToolCache(stores, n, [t], req.entry.version);
    if (cached !== undefined) {
      core.info(`qemu-${t}: found in the tool cache: ${cached}`);
      found.set(t, cached);
      continue;
    }
    const fromActions = await fromActionsCache(stores, req, t, n);
    if (fromActions !== undefined) {
      found.set(t, fromActions);
      restored++;
    }
  }

  // Everything still missing in one QEMU build.
  const missing = req.targets.filter((t) => !found.has(t));
  const built = missing.length > 0 ? await compileMissing(stores, req, missing, names, found) : undefined;
  const dir = await gather(stores, req, names, found);
  const cacheHit: CacheHit = built !== undefined ? 'false' : restored > 0 ? 'actions-cache' : 'tool-cache';
  return { dir, targets: req.targets, cacheHit, compileSeconds: built?.seconds, source: built?.source };
}
