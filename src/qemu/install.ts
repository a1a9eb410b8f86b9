// Getting the emulators for one step, like actions/setup-go: resolve → cache → install.
// Tool cache first, then the Actions cache, then a compile from source (saved to both).
// Anything cached that fails its self-test is discarded and rebuilt.
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { emulatorCacheNames, emulatorSetNames, type EmulatorCacheNames } from '../cache/key.js';
import { findInToolCache, removeFromToolCache, saveToToolCache } from '../cache/tool-cache.js';
import { restoreFromActionsCache, saveToActionsCache } from '../cache/actions-cache.js';
import type { InstallDeps, QemuSource } from '../inputs.js';
import { buildEmulators } from './build.js';
import { configureFlags } from './configure.js';
import { ensureBuildDeps, ensureSourceDeps } from './deps.js';
import { selfTest } from './selftest.js';
import type { SeriesEntry } from './series.js';
import { prepareSource } from './source.js';

export type CacheHit = 'tool-cache' | 'actions-cache' | 'false';

export interface EmulatorRequest {
  readonly entry: SeriesEntry;
  /** QEMU linux-user target names. */
  readonly targets: readonly string[];
  readonly source: QemuSource;
  readonly sha256Pin: string | undefined;
  readonly installDeps: InstallDeps;
  readonly useActionsCache: boolean;
  /** The action's root (holds patches/). */
  readonly actionRoot: string;
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
  readonly version: string;
  readonly targets: readonly string[];
  readonly cacheHit: CacheHit;
  /** Seconds spent compiling, when compiled. */
  readonly compileSeconds: number | undefined;
  /** Where the source came from, when compiled. */
  readonly source: string | undefined;
  readonly cacheKey: string;
}

/** Cache names of each target's own entry, and the patch and configure flags of the build. */
export function cacheNamesFor(req: EmulatorRequest): { names: Map<string, EmulatorCacheNames>; patchFile: string; flags: string[] } {
  const patchFile = path.join(req.actionRoot, 'patches', req.entry.patch);
  const patchSha256 = createHash('sha256').update(readFileSync(patchFile)).digest('hex');
  const names = new Map<string, EmulatorCacheNames>();
  for (const target of req.targets) {
    names.set(
      target,
      emulatorCacheNames({
        qemuVersion: req.entry.version,
        target,
        patchSha256,
        // The flags of a build of this target alone: a binary does not depend on its build-mates.
        configureFlags: configureFlags(req.entry.version, [target]),
        runnerOs: req.runnerOs,
        runnerArch: req.runnerArch,
      }),
    );
  }
  return { names, patchFile, flags: configureFlags(req.entry.version, req.targets) };
}

async function discard(dir: string, why: string): Promise<void> {
  core.warning(`Discarding the cached emulator in ${dir}: ${why}. It will be rebuilt.`);
  await removeFromToolCache(dir);
}

/** A tool-cache entry that passes the self-test, or undefined (a failing one is discarded). */
async function fromToolCache(names: EmulatorCacheNames, targets: readonly string[], version: string): Promise<string | undefined> {
  const cached = findInToolCache(names);
  if (cached === undefined) return undefined;
  const problem = await selfTest(cached, targets, version);
  if (problem === undefined) return cached;
  await discard(cached, problem);
  return undefined;
}

/** One directory with every target's emulator: the single entry itself, or a set entry of copies. */
async function gather(req: EmulatorRequest, names: Map<string, EmulatorCacheNames>, found: Map<string, string>): Promise<string> {
  if (req.targets.length === 1) return found.get(req.targets[0] as string) as string;
  const setNames = emulatorSetNames(req.entry.version, [...names.values()], req.runnerArch);
  const existing = await fromToolCache(setNames, req.targets, req.entry.version);
  if (existing !== undefined) return existing;
  const staging = path.join(req.workDir, 'set');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  for (const [t, dir] of found) await fs.copyFile(path.join(dir, `qemu-${t}`), path.join(staging, `qemu-${t}`));
  const dir = await saveToToolCache(staging, setNames);
  if (dir === staging) {
    throw new Error('the tool cache could not store the emulators; see the warning above');
  }
  return dir;
}

export async function installEmulators(req: EmulatorRequest): Promise<Emulator> {
  const { names, patchFile, flags } = cacheNamesFor(req);
  const version = req.entry.version;
  for (const [t, n] of names) core.info(`Emulator cache key ${n.key} (qemu-${t})`);

  // Each target on its own: tool cache, then the Actions cache.
  const found = new Map<string, string>();
  let restored = 0;
  for (const t of req.targets) {
    const n = names.get(t) as EmulatorCacheNames;
    const cached = await fromToolCache(n, [t], version);
    if (cached !== undefined) {
      core.info(`qemu-${t}: found in the tool cache: ${cached}`);
      found.set(t, cached);
      continue;
    }
    const restoreDir = path.join(req.actionsCacheDir, t);
    if (req.useActionsCache && (await restoreFromActionsCache(restoreDir, n.key))) {
      const problem = await selfTest(restoreDir, [t], version);
      if (problem === undefined) {
        core.info(`qemu-${t}: restored from the Actions cache`);
        found.set(t, await saveToToolCache(restoreDir, n));
        restored++;
        continue;
      }
      core.warning(`qemu-${t} restored from the Actions cache fails its self-test (${problem}); rebuilding`);
      await fs.rm(restoreDir, { recursive: true, force: true });
    }
  }

  // Everything still missing in one QEMU build.
  const missing = req.targets.filter((t) => !found.has(t));
  let compileSeconds: number | undefined;
  let source: string | undefined;
  if (missing.length > 0) {
    core.info(`Compiling QEMU ${version} for ${missing.join(', ')}`);
    await ensureBuildDeps(version, req.installDeps);
    const src = await prepareSource(req.source, req.entry, req.sha256Pin, req.workDir);
    await ensureSourceDeps(version, req.installDeps, src.dir);
    const outDir = path.join(req.workDir, 'built');
    await fs.rm(outDir, { recursive: true, force: true });
    const built = await buildEmulators({
      srcDir: src.dir,
      patchFile,
      qemuVersion: version,
      targets: missing,
      configureFlags: missing.length === req.targets.length ? flags : configureFlags(version, missing),
      outDir,
    });
    // The source and object files are several hundred MB; free them before the image build.
    await fs.rm(src.dir, { recursive: true, force: true });
    for (const t of missing) {
      const n = names.get(t) as EmulatorCacheNames;
      const own = path.join(req.actionsCacheDir, t);
      await fs.rm(own, { recursive: true, force: true });
      await fs.mkdir(own, { recursive: true });
      await fs.rename(path.join(built.dir, `qemu-${t}`), path.join(own, `qemu-${t}`));
      found.set(t, await saveToToolCache(own, n));
      // Saved here rather than in post: a failing image build must not lose a compile.
      if (req.useActionsCache && (await saveToActionsCache(own, n.key))) core.info(`Saved qemu-${t} to the Actions cache as ${n.key}`);
    }
    compileSeconds = built.seconds;
    source = src.description;
  }

  const dir = await gather(req, names, found);
  const cacheHit: CacheHit = missing.length > 0 ? 'false' : restored > 0 ? 'actions-cache' : 'tool-cache';
  const cacheKey = [...names.values()].map((n) => n.key).join(',');
  return { dir, version, targets: req.targets, cacheHit, compileSeconds, source, cacheKey };
}
