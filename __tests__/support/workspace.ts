// A runner's directories for one job: the workspace (a git checkout of the files a test gives),
// RUNNER_TEMP, and a directory for the steps' command files (GITHUB_OUTPUT, GITHUB_STATE, ...).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunEnv {
  readonly workspace: string;
  /** RUNNER_TEMP: empty again once post has run. */
  readonly temp: string;
  /** Where each step's command files go. */
  readonly files: string;
}

/** The three directories under `base` (made if missing), nothing in them. */
export function makeRunnerDirs(base: string): RunEnv {
  const dirs = {
    workspace: path.join(base, 'workspace'),
    temp: path.join(base, 'runner-temp'),
    files: path.join(base, 'files'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return dirs;
}

/** Fresh runner directories whose workspace is a git repository holding `files`, committed. */
export function makeWorkspace(files: Record<string, string>): RunEnv {
  const env = makeRunnerDirs(mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-')));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(env.workspace, name)), { recursive: true });
    writeFileSync(path.join(env.workspace, name), content);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: env.workspace, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-q', '-m', 'fixture');
  return env;
}

/** Everything git sees in the workspace that is not committed, ignored files included. */
export function gitStatus(workspace: string): string {
  return execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], {
    cwd: workspace,
  }).toString();
}

/** Remove the runner directories (the parent of the workspace). */
export function cleanupEnv(env: RunEnv): void {
  rmSync(path.dirname(env.workspace), { recursive: true, force: true });
}
