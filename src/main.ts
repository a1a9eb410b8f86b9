// The action's main step: read the inputs, run the pipeline (resolve → emulator → image),
// publish the outputs and the job summary. Everything it leaves outside the tool cache is
// recorded in the action's state for the post step to remove, also when a step fails.
//
// The Actions cache is saved during the pipeline, right after a compile, not in post: the
// emulator is then cached even when the image build that follows fails.
//
// A cancelled step removes what it made itself before it exits (a runner that gives up on it
// may never run post), and exits 128 + the signal's number.
import { actionsIO, type ActionIO } from './action-io.js';
import { removeLeftovers, removePathsSync, STATE_IMAGES, STATE_PATHS, type Leftovers } from './cleanup.js';
import { errorMessage, exitStatusOf } from './exit-status.js';
import { FILE_CHECKS, parseInputs } from './inputs.js';
import { OUTPUTS } from './action-contract.js';
import { outputsOf, summaryTable } from './outputs.js';
import { runPipeline, type Tracker } from './pipeline.js';
import { exportRunnerDirs, runnerEnv } from './runner.js';
import { cancelReason, cancelSignal } from './util/cancel.js';
import { setLastResortCleanup } from './util/signals.js';

/**
 * A tracker that keeps the lists (`images`, `paths`) in the action's state at every step (a
 * crash loses nothing).
 */
function stateTracker(io: ActionIO, images: string[], paths: string[]): Tracker {
  return {
    image(ref) {
      if (!images.includes(ref)) images.push(ref);
      io.saveState(STATE_IMAGES, JSON.stringify(images));
    },
    path(p) {
      if (!paths.includes(p)) paths.push(p);
      io.saveState(STATE_PATHS, JSON.stringify(paths));
    },
  };
}

export interface MainDeps {
  readonly io: ActionIO;
  readonly env: NodeJS.ProcessEnv;
  readonly pipeline: typeof runPipeline;
  /** What cancels the step (default: the run's cancel, cancelSignal()). */
  readonly cancel?: AbortSignal;
}

/** After a cancel: fail the step, remove what it made, and leave post only what could not be. */
async function endCancelled(io: ActionIO, made: Leftovers, cancel: AbortSignal): Promise<number> {
  const reason = cancelReason(cancel);
  io.setFailed(`${reason.message}: the running work was stopped and this step's temporary files removed`);
  const left = await removeLeftovers(made, io);
  io.saveState(STATE_IMAGES, JSON.stringify(left.images));
  io.saveState(STATE_PATHS, JSON.stringify(left.paths));
  return reason.exitCode;
}

/** Run the main step; resolves to the step's exit status (0, or see exitStatusOf). */
export async function runMain(
  deps: MainDeps = { io: actionsIO, env: process.env, pipeline: runPipeline },
): Promise<number> {
  const { io, env } = deps;
  const cancel = deps.cancel ?? cancelSignal();
  const made = { images: [] as string[], paths: [] as string[] };
  setLastResortCleanup(() => removePathsSync(made.paths));
  let status = 0;
  try {
    const runner = runnerEnv(env);
    exportRunnerDirs(runner, env);
    const inputs = parseInputs((name) => io.getInput(name), { workspace: runner.workspace, ...FILE_CHECKS });
    const result = await deps.pipeline(inputs, runner, stateTracker(io, made.images, made.paths));
    const outputs = outputsOf(result);
    for (const name of OUTPUTS) io.setOutput(name, outputs[name]);
    await io.writeSummary('anyarch', summaryTable(result)).catch((err: unknown) => {
      io.warning(`Could not write the job summary: ${errorMessage(err)}`);
    });
  } catch (err) {
    if (!cancel.aborted) io.setFailed(errorMessage(err));
    status = exitStatusOf(err);
  }
  return cancel.aborted ? endCancelled(io, made, cancel) : status;
}
