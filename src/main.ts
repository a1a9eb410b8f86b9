// Action entry point: read the inputs, run the pipeline (resolve → emulator → image), publish
// the outputs and the job summary. Everything it leaves outside the tool cache is recorded in
// the action's state for post.ts to remove, also when a step fails.
//
// The Actions cache is saved here, right after a compile, not in post: the emulator is then
// cached even when the image build that follows fails.
import * as core from '@actions/core';
import { STATE_IMAGES, STATE_PATHS } from './cleanup.js';
import { GuestScriptError } from './docker/guest-run.js';
import { getInputs } from './inputs.js';
import { runPipeline, type PipelineResult, type Tracker } from './pipeline.js';
import { exportRunnerDirs, runnerEnv } from './runner.js';
import { SUMMARY_HEADER, summaryCells } from './summary.js';
import { forwardSignalsToChildren, signalExitCode } from './util/signals.js';

function stateTracker(): Tracker {
  const images: string[] = [];
  const paths: string[] = [];
  return {
    image(ref) {
      if (!images.includes(ref)) images.push(ref);
      core.saveState(STATE_IMAGES, JSON.stringify(images));
    },
    path(p) {
      if (!paths.includes(p)) paths.push(p);
      core.saveState(STATE_PATHS, JSON.stringify(paths));
    },
  };
}

function setOutputs(r: PipelineResult): void {
  core.setOutput('qemu-version', r.qemu.version);
  core.setOutput('qemu-path', r.emulator?.dir ?? '');
  core.setOutput('cache-hit', r.emulator?.cacheHit ?? 'false');
  core.setOutput('platform', r.platforms.join(','));
  core.setOutput('imageid', r.imageid);
  core.setOutput('digest', r.digest);
  core.setOutput('images', JSON.stringify(r.images));
}

async function writeSummary(r: PipelineResult): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  try {
    await core.summary
      .addHeading('anyarch', 3)
      .addTable([SUMMARY_HEADER.map((data) => ({ data, header: true })), ...r.rows.map(summaryCells)])
      .write();
  } catch (err) {
    core.warning(`Could not write the job summary: ${(err as Error).message}`);
  }
}

export async function run(): Promise<void> {
  const runner = runnerEnv();
  exportRunnerDirs(runner);
  const inputs = getInputs();
  const result = await runPipeline(inputs, runner, stateTracker());
  setOutputs(result);
  await writeSummary(result);
}

forwardSignalsToChildren((msg) => core.warning(msg));
run().catch((err: unknown) => {
  core.setFailed(err instanceof Error ? err.message : String(err));
  // The step's exit status is the script's, as when it runs directly in a workflow.
  if (err instanceof GuestScriptError) process.exitCode = err.exitCode;
  process.exitCode = signalExitCode() ?? process.exitCode;
});
