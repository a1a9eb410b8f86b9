// The action's main and post steps and the CLI, each run in-process with a stand-in for the
// runner (inputs, outputs, state) and, where the pipeline would need Docker, a stand-in pipeline.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OUTPUTS } from '../../src/action-contract.js';
import { runCli, type CliDeps } from '../../src/cli.js';
import { STATE_PATHS } from '../../src/cleanup.js';
import { GuestScriptError } from '../../src/docker/guest-script.js';
import { runMain } from '../../src/main.js';
import type { Inputs } from '../../src/inputs.js';
import type { runPipeline } from '../../src/pipeline.js';
import { runPost } from '../../src/post.js';
import { resolveArch } from '../../src/arch.js';
import { recordingIO } from './fixtures/action-io.js';
import { twoArchResult } from './fixtures/pipeline-result.js';

let ws: string;
let temp: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'anyarch-main-ws-'));
  temp = mkdtempSync(path.join(os.tmpdir(), 'anyarch-main-temp-'));
  env = { GITHUB_WORKSPACE: ws, RUNNER_TEMP: temp, RUNNER_TOOL_CACHE: path.join(temp, 'tc') };
});
afterEach(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

/** A pipeline that records its inputs, tracks a temp dir like the real one, then returns or throws. */
function pipeline(outcome: Error | undefined, seen: Inputs[] = []): typeof runPipeline {
  return async (inputs, runner, track) => {
    seen.push(inputs);
    const dir = path.join(runner.temp, 'anyarch-run');
    mkdirSync(dir);
    track.path(dir);
    if (outcome) throw outcome;
    return twoArchResult;
  };
}

describe('runMain', () => {
  it('sets every output of action.yml from the result, and writes the summary', async () => {
    const io = recordingIO({ arch: 'aarch64,arm', tags: 'app:1' });
    const seen: Inputs[] = [];
    await expect(runMain({ io, env, pipeline: pipeline(undefined, seen) })).resolves.toBe(0);
    expect([...io.outputs.keys()]).toEqual([...OUTPUTS]);
    expect(io.outputs.get('imageid')).toBe('sha256:aa,sha256:bb');
    expect(io.outputs.get('platform')).toBe('linux/arm64,linux/arm/v7');
    expect(JSON.parse(io.outputs.get('images') ?? '')).toHaveLength(2);
    expect(io.summaries[0]?.[1]?.[0]).toBe('aarch64');
    expect(seen[0]?.context).toBe(ws);
    expect(io.failed).toEqual([]);
  });

  it('records what it made in the state, for post', async () => {
    const io = recordingIO({ arch: 'aarch64' });
    await runMain({ io, env, pipeline: pipeline(undefined) });
    expect(JSON.parse(io.state.get(STATE_PATHS) ?? '[]')).toEqual([path.join(temp, 'anyarch-run')]);
  });

  it('fails the step naming the input, before any work', async () => {
    const io = recordingIO({ arch: 'sparc' });
    const seen: Inputs[] = [];
    await expect(runMain({ io, env, pipeline: pipeline(undefined, seen) })).resolves.toBe(1);
    expect(io.failed[0]).toMatch(/^Invalid value for input "arch": "sparc"/);
    expect(seen).toEqual([]);
    expect(io.outputs.size).toBe(0);
  });

  it("passes a failing guest script's exit status on, and keeps the state for post", async () => {
    const io = recordingIO({ arch: 'aarch64', run: 'exit 7' });
    const status = await runMain({ io, env, pipeline: pipeline(new GuestScriptError(resolveArch('aarch64'), 7)) });
    expect(status).toBe(7);
    expect(io.failed[0]).toMatch(/exit status 7/);
    expect(io.state.get(STATE_PATHS)).toContain('anyarch-run');
  });
});

describe('runPost', () => {
  it('removes what main recorded, and warns (never fails) about the rest', async () => {
    const io = recordingIO({ arch: 'aarch64' });
    await runMain({ io, env, pipeline: pipeline(new Error('the build failed')) });
    const made = path.join(temp, 'anyarch-run');
    expect(existsSync(made)).toBe(true);
    await runPost(io);
    expect(existsSync(made)).toBe(false);
    expect(io.failed).toEqual(['the build failed']);
  });

  it('does nothing when main recorded nothing', async () => {
    const io = recordingIO({});
    await runPost(io);
    expect(io.warnings).toEqual([]);
    expect(io.infos).toEqual([]);
  });
});

describe('runCli', () => {
  const cli = (outcome: Error | undefined, seen: Inputs[] = []) => {
    const out: string[] = [];
    const err: string[] = [];
    const deps: CliDeps = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, pipeline: pipeline(outcome, seen) };
    return { deps, out, err };
  };

  it('prints the summary rows, then every output as name=value, and removes what the run made', async () => {
    const { deps, out } = cli(undefined);
    await expect(runCli(['--arch', 'aarch64', '--arch', 'arm', '--tags', 'app:1'], deps)).resolves.toBe(0);
    const lines = out.join('').split('\n');
    const outputs = lines.filter((l) => /^[a-z-]+=/.test(l)).map((l) => l.slice(0, l.indexOf('=')));
    expect(outputs).toEqual([...OUTPUTS]);
    expect(lines).toContain('imageid=sha256:aa,sha256:bb');
    expect(existsSync(path.join(temp, 'anyarch-run'))).toBe(false);
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
    expect(existsSync(path.join(temp, 'anyarch-run'))).toBe(false);
  });

  it('prints its usage with every input', async () => {
    const { deps, out } = cli(undefined);
    await expect(runCli(['--help'], deps)).resolves.toBe(0);
    expect(out.join('')).toContain('--run-shell');
  });
});
