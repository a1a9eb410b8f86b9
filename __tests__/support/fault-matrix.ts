// What every test of the fault matrix shares: a workspace, an empty tool cache of its own and a
// scratch directory; runs of the action with build: false for aarch64 unless told otherwise;
// and the check every fault passes: the step fails with an error, post succeeds, nothing is
// cached, and nothing is left in the workspace or the runner's temp dir.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals';
import { TEST_SERIES } from './qemu-sources.js';
import { runAction, stepError, type ActionRun, type StepOptions } from './runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from './workspace.js';

/** The inputs of every fault run, before its own. */
export const FAULT_INPUTS = { arch: 'aarch64', 'qemu-version': TEST_SERIES, build: 'false' } as const;

export interface FaultRuns {
  /** Removed by cleanup(). */
  readonly scratch: string;
  readonly env: RunEnv;
  /** The workspace's git status before any run. */
  readonly before: string;
  /** The runs' tool cache (RUNNER_TOOL_CACHE), empty at first: <scratch>/tool-cache. */
  readonly toolCache: string;
  /** The step options of a run: this tool cache, plus `extraEnv`. */
  options(extraEnv?: Record<string, string>): StepOptions;
  /** main then post, with FAULT_INPUTS and `inputs`. */
  run(inputs: Record<string, string>, extraEnv?: Record<string, string>): ActionRun;
  /** Expect the run to have failed cleanly (see above); returns its error. */
  failedCleanly(r: ActionRun): string;
  cleanup(): void;
}

export function faultRuns(name: string): FaultRuns {
  const scratch = mkdtempSync(path.join(os.tmpdir(), `anyarch-e2e-${name}-`));
  const toolCache = path.join(scratch, 'tool-cache');
  const env = makeWorkspace({ Dockerfile: 'FROM scratch\n' });
  const before = gitStatus(env.workspace);
  const options = (extraEnv: Record<string, string> = {}): StepOptions => ({
    extraEnv: { RUNNER_TOOL_CACHE: toolCache, ...extraEnv },
  });
  return {
    scratch,
    env,
    before,
    toolCache,
    options,
    run: (inputs, extraEnv = {}) => runAction(env, { ...FAULT_INPUTS, ...inputs }, options(extraEnv)),
    failedCleanly: (r) => {
      const err = stepError(r.main);
      if (r.main.status === 0 || err === '')
        throw new Error(`expected a failure:\n${r.main.log.slice(-4000)}`);
      expect(r.post.status).toBe(0);
      expect(existsSync(toolCache) ? readdirSync(toolCache) : []).toEqual([]);
      expect(gitStatus(env.workspace)).toBe(before);
      expect(readdirSync(env.temp)).toEqual([]);
      return err;
    },
    cleanup: () => {
      cleanupEnv(env);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
