// The action's main step, run in-process with a stand-in runner and a stand-in pipeline.
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OUTPUTS } from '../../src/action-contract.js';
import { resolveArch } from '../../src/arch.js';
import { STATE_PATHS } from '../../src/cleanup.js';
import { GuestScriptError } from '../../src/docker/guest-script.js';
import type { Inputs } from '../../src/inputs.js';
import { runMain } from '../../src/main.js';
import type { runPipeline } from '../../src/pipeline.js';
import { CancelledError } from '../../src/util/cancel.js';
import { recordingIO } from './fixtures/action-io.js';
import { pipelineStub, RUN_DIR, useRunnerDirs } from './fixtures/pipeline-stub.js';

const dirs = useRunnerDirs();

describe('runMain', () => {
  it('sets every output of action.yml from the result, and writes the summary', async () => {
    const io = recordingIO({ arch: 'aarch64,arm', tags: 'app:1' });
    const seen: Inputs[] = [];
    await expect(runMain({ io, env: dirs.env, pipeline: pipelineStub(undefined, seen) })).resolves.toBe(0);
    expect([...io.outputs.keys()]).toEqual([...OUTPUTS]);
    expect(io.outputs.get('imageid')).toBe('sha256:aa,sha256:bb');
    expect(io.outputs.get('platform')).toBe('linux/arm64,linux/arm/v7');
    expect(JSON.parse(io.outputs.get('images') ?? '')).toHaveLength(2);
    expect(JSON.parse(io.outputs.get('metadata') ?? '')).toEqual({
      'linux/arm64': { 'containerimage.digest': 'sha256:da' },
      'linux/arm/v7': { 'containerimage.digest': 'sha256:db' },
    });
    expect(io.summaries[0]?.[1]?.[0]).toBe('aarch64');
    expect(seen[0]?.context).toBe(dirs.ws);
    expect(io.failed).toEqual([]);
  });

  it('records what it made in the state, for post', async () => {
    const io = recordingIO({ arch: 'aarch64' });
    await runMain({ io, env: dirs.env, pipeline: pipelineStub(undefined) });
    expect(JSON.parse(io.state.get(STATE_PATHS) ?? '[]')).toEqual([path.join(dirs.temp, RUN_DIR)]);
  });

  it('fails the step naming the input, before any work', async () => {
    const io = recordingIO({ arch: 'sparc' });
    const seen: Inputs[] = [];
    await expect(runMain({ io, env: dirs.env, pipeline: pipelineStub(undefined, seen) })).resolves.toBe(1);
    expect(io.failed[0]).toMatch(/^Invalid value for input "arch": "sparc"/);
    expect(seen).toEqual([]);
    expect(io.outputs.size).toBe(0);
  });

  it("passes a failing guest script's exit status on, and keeps the state for post", async () => {
    const io = recordingIO({ arch: 'aarch64', run: 'exit 7' });
    const status = await runMain({
      io,
      env: dirs.env,
      pipeline: pipelineStub(new GuestScriptError(resolveArch('aarch64'), 7)),
    });
    expect(status).toBe(7);
    expect(io.failed[0]).toMatch(/exit status 7/);
    expect(io.state.get(STATE_PATHS)).toContain(RUN_DIR);
  });

  it('after a cancel, removes what it made itself, leaves post nothing and exits 128 + the signal', async () => {
    const io = recordingIO({ arch: 'aarch64' });
    const c = new AbortController();
    // A phase that made a temp dir, then failed in its own words when the cancel stopped it.
    const pipeline: typeof runPipeline = async (_inputs, runner, track) => {
      const dir = path.join(runner.temp, RUN_DIR);
      mkdirSync(path.join(dir, 'qemu'), { recursive: true });
      track.path(dir);
      c.abort(new CancelledError('SIGTERM'));
      throw new Error('Could not get the QEMU source: Cancelled (SIGTERM)');
    };
    await expect(runMain({ io, env: dirs.env, pipeline, cancel: c.signal })).resolves.toBe(143);
    expect(io.failed).toEqual([
      "Cancelled (SIGTERM): the running work was stopped and this step's temporary files removed",
    ]);
    expect(readdirSync(dirs.temp)).toEqual([]);
    expect(io.infos).toContain(`Removed ${path.join(dirs.temp, RUN_DIR)}`);
    expect(JSON.parse(io.state.get(STATE_PATHS) ?? '')).toEqual([]);
  });
});
