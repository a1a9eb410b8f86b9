// What the action leaves behind outside the runner's tool cache, and removing it: the post step
// of the action and the CLI both call this, on success and on failure alike.
import { promises as fs, rmSync } from 'node:fs';
import * as core from '@actions/core';
import { removeImages } from './docker/engine.js';

export interface Leftovers {
  readonly images: readonly string[];
  readonly paths: readonly string[];
}

export const STATE_IMAGES = 'anyarch-images';
export const STATE_PATHS = 'anyarch-paths';

/** Parse a JSON list of strings saved in the action's state; anything else is an empty list. */
export function parseStateList(raw: string): string[] {
  if (raw.trim() === '') return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
  } catch {
    return [];
  }
}

export interface CleanupLog {
  info(message: string): void;
  warning(message: string): void;
}

/** Remove everything listed; problems are warnings (cleanup must never fail the job). Returns what is left. */
export async function removeLeftovers(left: Leftovers, log: CleanupLog = core): Promise<Leftovers> {
  let images: readonly string[] = [];
  if (left.images.length > 0) {
    try {
      const failed = await removeImages(left.images);
      log.info(`Removed image(s): ${left.images.filter((r) => !failed.includes(r)).join(', ') || 'none'}`);
      if (failed.length > 0) log.warning(`Could not remove image(s) ${failed.join(', ')}`);
      images = failed;
    } catch (err) {
      log.warning(`Could not remove images: ${(err as Error).message}`);
      images = left.images;
    }
  }
  const paths: string[] = [];
  for (const p of left.paths) {
    try {
      await fs.rm(p, { recursive: true, force: true });
      log.info(`Removed ${p}`);
    } catch (err) {
      log.warning(`Could not remove ${p}: ${(err as Error).message}`);
      paths.push(p);
    }
  }
  return { images, paths };
}

/** Remove `paths` synchronously, quietly: the last thing a process does before it exits. */
export function removePathsSync(paths: readonly string[]): void {
  for (const p of paths) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // The post step tries again.
    }
  }
}
