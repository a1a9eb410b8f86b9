// Getting the emulators for one step, like actions/setup-go: resolve → cache → install.
// Tool cache first, then the Actions cache, then a compile from source (saved to both).
// Anything cached that fails its self-test is discarded and rebuilt.
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { emulatorCacheNames, type EmulatorCacheNames } from '../cache/key.js';
import { findInToolCache, saveToToolCache } from '../cache/tool-cache.js';
import { restoreFromActionsCache, saveToActionsCache } from '../cache/actions-cache.js';
import type { InstallDeps, QemuSource } from '../inputs.js';
import { buildEmulators } from './build.js';
import { configureFlags } from './configure.js';
import { ensureBuildDeps } from './deps.js';
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
  /** Fixed path the Actions cache saves and restores (its paths are part of the cache version). */
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

export function cacheNamesFor(req: EmulatorRequest): { names: EmulatorCacheNames; patchFile: string; flags: string[] } {
  const patchFile = path.join(req.actionRoot, 'patches', req.entry.patch);
  const patchSha256 = createHash('sha256').update(readFileSync(patchFile)).digest('hex');
  const flags = configureFlags(req.entry.version, req.targets);
  const names = emulatorCacheNames({
    qemuVersion: req.entry.version,
    targets: req.targets,
    patchSha256,
    configureFlags: flags,
    runnerOs: req.runnerOs,
    runnerArch: req.runnerArch,
  });
  return { names, patchFile, flags };
}

async function discard(dir: string, why: string): Promise<void> {
  core.warning(`Discarding the cached emulator in ${dir}: ${why}. It will be rebuilt.`);
  await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  // tool-cache marks a finished entry with a sibling "<dir>.complete".
  await fs.rm(`${dir}.complete`, { force: true }).catch(() => undefined);
}

export async function installEmulators(req: EmulatorRequest): Promise<Emulator> {
  const { names, patchFile, flags } = cacheNamesFor(req);
  const version = req.entry.version;
  const base = { version, targets: req.targets, cacheKey: names.key };
  core.info(`Emulator cache key ${names.key}`);

  const cached = findInToolCache(names);
  if (cached !== undefined) {
    const problem = await selfTest(cached, req.targets, version);
    if (problem === undefined) {
      core.info(`Found in the tool cache: ${cached}`);
      return { ...base, dir: cached, cacheHit: 'tool-cache', compileSeconds: undefined, source: undefined };
    }
    await discard(cached, problem);
  }

  if (req.useActionsCache && (await restoreFromActionsCache(req.actionsCacheDir, names.key))) {
    const problem = await selfTest(req.actionsCacheDir, req.targets, version);
    if (problem === undefined) {
      core.info('Restored from the Actions cache');
      const dir = await saveToToolCache(req.actionsCacheDir, names);
      return { ...base, dir, cacheHit: 'actions-cache', compileSeconds: undefined, source: undefined };
    }
    core.warning(`The emulator restored from the Actions cache fails its self-test (${problem}); rebuilding`);
    await fs.rm(req.actionsCacheDir, { recursive: true, force: true });
  }

  core.info(`Compiling QEMU ${version} for ${req.targets.join(', ')}`);
  await ensureBuildDeps(version, req.installDeps);
  const src = await prepareSource(req.source, req.entry, req.sha256Pin, req.workDir);
  await fs.rm(req.actionsCacheDir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(req.actionsCacheDir), { recursive: true });
  const built = await buildEmulators({
    srcDir: src.dir,
    patchFile,
    qemuVersion: version,
    targets: req.targets,
    configureFlags: flags,
    outDir: req.actionsCacheDir,
  });
  // The source and object files are several hundred MB; free them before the image build.
  await fs.rm(src.dir, { recursive: true, force: true });
  const dir = await saveToToolCache(built.dir, names);
  // Saved here rather than in post: a failing image build must not lose a 5-minute compile.
  if (req.useActionsCache && (await saveToActionsCache(req.actionsCacheDir, names.key))) {
    core.info(`Saved to the Actions cache as ${names.key}`);
  }
  return { ...base, dir, cacheHit: 'false', compileSeconds: built.seconds, source: src.description };
}
