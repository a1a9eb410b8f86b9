// The runner's tool cache (RUNNER_TOOL_CACHE) as the first place a built emulator is looked for.
//
// Entries use @actions/tool-cache's layout (<root>/<tool>/<version>/<arch>, finished when the
// sibling <arch>.complete exists), so tc.find finds them. They are not written with
// tc.cacheDir, though: it deletes the entry and copies into it in place, so two runs saving the
// same emulator at once delete each other's files, and one killed mid-copy leaves a partial
// directory. Here an entry is copied into a private staging directory beside it, then, holding a
// lock for a few milliseconds, renamed into place whole, and only then marked complete.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import semver from 'semver';
import type { ToolCacheNames } from './key.js';

/** The cached emulator directory, or undefined. Never throws: a broken cache is a miss. */
export function findInToolCache(names: ToolCacheNames): string | undefined {
  try {
    const dir = tc.find(names.toolName, names.toolVersion, names.toolArch);
    return dir === '' ? undefined : dir;
  } catch (err) {
    core.warning(`Tool cache lookup failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** Where tc.find looks for `names` under the tool cache `root`. */
export function toolCachePath(names: ToolCacheNames, root: string): string {
  return path.join(
    root,
    names.toolName,
    semver.clean(names.toolVersion) || names.toolVersion,
    names.toolArch,
  );
}

// Staging and discarded directories beside an entry: "<arch>.tmp-<pid>-<hex>", "<arch>.old-…".
const SCRATCH = /\.(tmp|old)-\d+-[0-9a-f]+$/;
/** Scratch directories older than this were left by a run that was killed. */
const STALE_MS = 10 * 60 * 1000;
/** A lock is held for a rename and a marker write; one this old was left by a killed run. */
const STALE_LOCK_MS = 30 * 1000;
const LOCK_TIMEOUT_MS = 2 * 60 * 1000;

/** Errno code of a failed fs call. */
const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** What `op` gives, or undefined when its path is gone (the lock changed under us). */
async function unlessGone<T>(op: Promise<T>): Promise<T | undefined> {
  try {
    return await op;
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export interface LockHooks {
  /** Called when a stale lock was seen, just before breaking it (a test interleaves waiters here). */
  readonly beforeBreak?: () => Promise<void>;
}

/*
 * The lock "<dest>.lock" is a directory holding one empty file named by its holder's token
 * ("<pid>-<hex>", new for each holding). It appears whole: made beside it and renamed into place
 * only while the name is free (an empty directory there, as an older version of this action
 * makes, counts as held too). Breaking a stale one removes that holding and no later one, however
 * long the breaker paused after seeing it stale: it unlinks the holder's token file (which only
 * that holding has, so of several waiters one succeeds and none can remove a newer lock), then
 * rmdirs the lock (which fails on a newer, token-holding lock). Release likewise unlinks its own
 * token first, so a run whose lock was broken never removes the next holder's.
 */

/** Take the lock if its name is free; false when someone holds it. */
async function tryTakeLock(lock: string, token: string, staging: string): Promise<boolean> {
  if (existsSync(lock)) return false;
  await fs.mkdir(staging);
  try {
    // A new file: the holding's age is its mtime.
    await fs.writeFile(path.join(staging, token), '');
    await fs.rename(staging, lock);
    return true;
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    if (codeOf(err) === 'ENOTEMPTY' || codeOf(err) === 'EEXIST') return false;
    throw err;
  }
}

/** Break `lock` if its holding is stale. True when the lock changed: look again at once. */
async function breakIfStale(lock: string, hooks: LockHooks): Promise<boolean> {
  const names = await unlessGone(fs.readdir(lock));
  if (names === undefined) return true;
  // The token file, or for an empty lock (being taken or let go, or an older version's) the directory.
  const held = names[0] === undefined ? lock : path.join(lock, names[0]);
  const st = await unlessGone(fs.stat(held));
  if (st === undefined) return true;
  if (Date.now() - st.mtimeMs <= STALE_LOCK_MS) return false;
  await hooks.beforeBreak?.();
  try {
    if (held !== lock) await fs.unlink(held);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return true; // another waiter broke it first
    throw err;
  }
  try {
    await fs.rmdir(lock);
  } catch (err) {
    // Not empty: a new holder has it; gone: another waiter removed it. Either way, look again.
    if (codeOf(err) !== 'ENOTEMPTY' && codeOf(err) !== 'EEXIST' && codeOf(err) !== 'ENOENT') throw err;
  }
  return true;
}

/**
 * Run `fn` holding the entry's lock, "<dest>.lock" (see above). Every change to an entry and its
 * marker happens under it, so no run sees another's half-made change.
 */
export async function withEntryLock<T>(
  dest: string,
  fn: () => Promise<T>,
  hooks: LockHooks = {},
): Promise<T> {
  const lock = `${dest}.lock`;
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  while (!(await tryTakeLock(lock, token, scratchName(dest, 'tmp')))) {
    if (await breakIfStale(lock, hooks)) continue;
    if (Date.now() > deadline) throw new Error(`${lock} has been held for over ${LOCK_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
  }
  try {
    return await fn();
  } finally {
    // Only our own holding: if it was broken, the directory may be another run's lock by now.
    const ours = await fs.unlink(path.join(lock, token)).then(
      () => true,
      () => false,
    );
    if (ours) await fs.rmdir(lock).catch(() => undefined);
  }
}

function scratchName(dest: string, kind: 'tmp' | 'old'): string {
  return `${dest}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Copy a flat or nested directory, keeping file modes. */
async function copyTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const e of await fs.readdir(from, { withFileTypes: true })) {
    const s = path.join(from, e.name);
    const d = path.join(to, e.name);
    if (e.isDirectory()) await copyTree(s, d);
    else if (e.isSymbolicLink()) await fs.symlink(await fs.readlink(s), d);
    else {
      await fs.copyFile(s, d);
      await fs.chmod(d, (await fs.stat(s)).mode & 0o7777);
    }
  }
}

/** Remove scratch directories of `dest` that killed runs left behind. */
async function removeStaleScratch(dest: string): Promise<void> {
  const parent = path.dirname(dest);
  const base = path.basename(dest);
  const entries = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(`${base}.`) || !SCRATCH.test(name)) continue;
    const p = path.join(parent, name);
    const st = await fs.stat(p).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_MS)
      await fs.rm(p, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Move a directory aside (atomically) and delete it; nothing if it is not there. */
async function removeDir(dir: string): Promise<void> {
  const aside = scratchName(dir, 'old');
  try {
    await fs.rename(dir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fs.rm(aside, { recursive: true, force: true });
}

/**
 * Copy `dir` into the tool cache under `root`; returns the cached directory, or `dir` itself on failure.
 * Safe against other runs saving the same entry at the same time (one complete copy wins, all
 * of them return it) and against being killed (no marker until the entry is whole).
 */
export async function saveToToolCache(dir: string, names: ToolCacheNames, root: string): Promise<string> {
  const dest = toolCachePath(names, root);
  const marker = `${dest}.complete`;
  const staging = scratchName(dest, 'tmp');
  try {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await removeStaleScratch(dest);
    await copyTree(dir, staging);
    const stored = await withEntryLock(dest, async () => {
      if (existsSync(marker) && existsSync(dest)) return false;
      // Without its marker an entry is what a killed run left, complete or not: replace it.
      await fs.rm(marker, { force: true });
      await removeDir(dest);
      await fs.rename(staging, dest);
      await fs.writeFile(marker, '');
      return true;
    });
    if (!stored) {
      // Another run stored it first; its copy is as good as ours.
      core.info(`The tool cache already holds ${dest}`);
      await fs.rm(staging, { recursive: true, force: true });
    }
    return dest;
  } catch (err) {
    core.warning(`Could not store the emulator in the tool cache: ${(err as Error).message}`);
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    return dir;
  }
}

/** Remove a tool-cache entry: first its marker, so that it never looks complete while going. */
export async function removeFromToolCache(dir: string): Promise<void> {
  try {
    await withEntryLock(dir, async () => {
      await fs.rm(`${dir}.complete`, { force: true });
      await removeDir(dir);
    });
  } catch (err) {
    core.warning(`Could not remove ${dir} from the tool cache: ${(err as Error).message}`);
  }
}
