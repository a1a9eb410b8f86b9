// The Actions cache (@actions/cache) as the second place a built emulator is looked for, and
// where a freshly built one is saved. Every failure here is a warning: the cache only saves time.
import * as cache from '@actions/cache';
import * as core from '@actions/core';

/** True when the runner gives this job an Actions cache service to talk to (v1 or v2). */
export function actionsCacheConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const token = env['ACTIONS_RUNTIME_TOKEN'];
  const url = env['ACTIONS_CACHE_SERVICE_V2']
    ? env['ACTIONS_RESULTS_URL']
    : env['ACTIONS_CACHE_URL'] || env['ACTIONS_RESULTS_URL'];
  return Boolean(token) && Boolean(url);
}

/** Restore `dir` for `key`; true on an exact hit. */
export async function restoreFromActionsCache(dir: string, key: string): Promise<boolean> {
  if (!actionsCacheConfigured()) return false;
  try {
    const hit = await cache.restoreCache([dir], key);
    return hit === key;
  } catch (err) {
    core.warning(`Actions cache restore failed: ${(err as Error).message}`);
    return false;
  }
}

/** Save `dir` under `key`; true when saved. */
export async function saveToActionsCache(dir: string, key: string): Promise<boolean> {
  if (!actionsCacheConfigured()) return false;
  try {
    await cache.saveCache([dir], key);
    return true;
  } catch (err) {
    // Includes "another job saved this key first", which is harmless.
    core.warning(`Actions cache save failed: ${(err as Error).message}`);
    return false;
  }
}
