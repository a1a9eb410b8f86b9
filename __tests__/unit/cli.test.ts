// The command line, run in-process with a stand-in pipeline: flags, outputs, exit status.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OUTPUTS } from '../../src/action-contract.js';
import { resolveArch } from '../../src/arch.js';
import { runCli, type CliDeps } from '../../src/cli.js';
import { GuestScriptError } from '../../src/docker/guest-script.js';
import type { Inputs } from '../../src/inputs.js';
import { pipelineStub, RUN_DIR, useRunnerDirs } from './fixtures/pipeline-stub.js';

const dirs = useRunnerDirs();

describe('runCli', () => {
  const cli = (outcome: Error | undefined, seen: Inputs[] = []) => {
    const out: string[] = [];
    const err: string[] = [];
    const deps: CliDeps = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      env: dirs.env,
      pipeline: pipelineStub(outcome, seen),
    };
    return { deps, out, err };
  };

  it('prints the summary rows, then every output as name=value, and removes what the run made', async () => {
    const { deps, out } = cli(undefined);
    await expect(runCli(['--arch', 'aarch64', '--arch', 'arm', '--tags', 'app:1'], deps)).resolves.toBe(0);
    const lines = out.join('').split('\n');
    const outputs = lines.filter((l) => /^[a-z-]+=/.test(l)).map((l) => l.slice(0, l.indexOf('=')));
    expect(outputs).toEqual([...OUTPUTS]);
    expect(lines).toContain('imageid=sha256:aa,sha256:bb');
    expect(existsSync(path.join(dirs.temp, RUN_DIR))).toBe(false);
  });

  it('joins repeated list flags and applies action.yml defaults to the rest', async () => {
    const seen: Inputs[] = [];
    const { deps } = cli(undefined, seen);
    await runCli(['--arch', 'aarch64', '--tags', 'a:1', '--tags', 'b:2'], deps);
    expect(seen[0]?.tags).toEqual(['a:1', 'b:2']);
    expect(seen[0]?.qemuVersion).toBe('latest');
    expect(seen[0]?.runShell).toBe('/bin/sh');
  });

  it('exits as the action does: 1 for bad input, the script status for a failing script', async () => {
    const bad = cli(undefined);
    await expect(runCli(['--arch', 'sparc'], bad.deps)).resolves.toBe(1);
    expect(bad.err.join('')).toMatch(/^error: Invalid value for input "arch"/);
    const failing = cli(new GuestScriptError(resolveArch('arm'), 3));
    await expect(runCli(['--arch', 'arm', '--run', 'false'], failing.deps)).resolves.toBe(3);
    expect(existsSync(path.join(dirs.temp, RUN_DIR))).toBe(false);
  });

  it('prints its usage with every input', async () => {
    const { deps, out } = cli(undefined);
    await expect(runCli(['--help'], deps)).resolves.toBe(0);
    expect(out.join('')).toContain('--run-shell');
  });
});
