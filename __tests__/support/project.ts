// Where things are: the project's root, and the action's cache directories by the rule the
// action itself applies (src/runner.ts; repeated here so that the tests do not import it):
//   cache base  ANYARCH_CACHE_DIR, else ~/.cache/anyarch-action
//   tool cache  RUNNER_TOOL_CACHE, else <cache base>/tool-cache
// scripts/build-qemu.sh and tests/lib/no-binfmt.sh use the same rule, so the guest suite, the
// end-to-end tests, the demo and the benchmark share one tool cache and one source directory.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `from` holding both action.yml and package.json. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'action.yml')) && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`no project root (action.yml and package.json) above ${from}`);
  }
}

/** The checkout these files belong to (found from here, so it holds when compiled elsewhere too). */
export const PROJECT_ROOT = projectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The action's own cache directory under the environment `env`. */
export function cacheBase(env: NodeJS.ProcessEnv = process.env): string {
  return env['ANYARCH_CACHE_DIR'] || path.join(os.homedir(), '.cache', 'anyarch-action');
}

/** The tool cache the action uses under the environment `env`. */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['RUNNER_TOOL_CACHE'] || path.join(cacheBase(env), 'tool-cache');
}

/**
 * The tool cache shared with scripts/build-qemu.sh and kept between runs, so that only the
 * first run of a machine compiles QEMU: the one this process's environment names.
 */
export const SHARED_TOOL_CACHE = toolCacheRoot(process.env);

/** Where scripts/setup.sh (scripts/fetch-qemu-sources.sh) keeps QEMU's source tarballs. */
export function sourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheBase(env), 'sources');
}
