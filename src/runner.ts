// Facts about the runner the pipeline needs, read from the Actions environment with fallbacks
// for running outside Actions (the CLI). Pure over the env object.
import os from 'node:os';
import path from 'node:path';

export interface RunnerEnv {
  readonly workspace: string;
  readonly temp: string;
  /** RUNNER_TOOL_CACHE: where emulators are stored and found. */
  readonly toolCache: string;
  /** Where a local copy of a QEMU source tarball is looked for before downloading it. */
  readonly sourcesCache: string;
  /** RUNNER_OS, e.g. "Linux". */
  readonly os: string;
  /** RUNNER_ARCH, e.g. "X64". */
  readonly arch: string;
}

const ARCH_NAMES: Record<string, string> = { x64: 'X64', arm64: 'ARM64', arm: 'ARM', ia32: 'X86' };

/** The action's own cache outside Actions (and of the tests): ANYARCH_CACHE_DIR. */
function cacheBaseDir(env: NodeJS.ProcessEnv): string {
  return env['ANYARCH_CACHE_DIR'] || path.join(os.homedir(), '.cache', 'anyarch-action');
}

export function runnerEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): RunnerEnv {
  return {
    workspace: env['GITHUB_WORKSPACE'] || cwd,
    temp: env['RUNNER_TEMP'] || os.tmpdir(),
    toolCache: env['RUNNER_TOOL_CACHE'] || path.join(cacheBaseDir(env), 'tool-cache'),
    sourcesCache: path.join(cacheBaseDir(env), 'sources'),
    os: env['RUNNER_OS'] || (process.platform === 'linux' ? 'Linux' : process.platform),
    arch: env['RUNNER_ARCH'] || ARCH_NAMES[process.arch] || process.arch.toUpperCase(),
  };
}

/** Make @actions/tool-cache usable outside Actions by giving it the directories it expects. */
export function exportRunnerDirs(r: RunnerEnv, env: NodeJS.ProcessEnv = process.env): void {
  env['RUNNER_TEMP'] ||= r.temp;
  env['RUNNER_TOOL_CACHE'] ||= r.toolCache;
}
