// The runner's tool cache (RUNNER_TOOL_CACHE) as the first place a built emulator is looked for.
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import type { EmulatorCacheNames } from './key.js';

/** The cached emulator directory, or undefined. Never throws: a broken cache is a miss. */
export function findInToolCache(names: EmulatorCacheNames): string | undefined {
  try {
    const dir = tc.find(names.toolName, names.toolVersion, names.toolArch);
    return dir === '' ? undefined : dir;
  } catch (err) {
    core.warning(`Tool cache lookup failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** Copy `dir` into the tool cache; returns the cached directory, or `dir` itself on failure. */
export async function saveToToolCache(dir: string, names: EmulatorCacheNames): Promise<string> {
  try {
    return await tc.cacheDir(dir, names.toolName, names.toolVersion, names.toolArch);
  } catch (err) {
    core.warning(`Could not store the emulator in the tool cache: ${(err as Error).message}`);
    return dir;
  }
}
