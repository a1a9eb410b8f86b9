// The action's main step: read the inputs, run the pipeline (resolve → emulator → image),
// publish the outputs and the job summary. Everything it leaves outside the tool cache is
// recorded in the action's state for the post step to remove, also when a step fails.
//
// The Actions cache is saved during the pipeline, right after a compile, not in post: the
// emulator is then cached even when the image build that follows fails.
import { actionsIO, type ActionIO } from './action-io.js';
import { STATE_IMAGES, STATE_PATHS } from './cleanup.js';
import { errorMessage, exitStatusOf } from './exit-status.js';
import { FILE_CHECKS, parseInputs } from './inputs.js';
import { OUTPUTS } from './action-contract.js';
import { outputsOf, summaryTable } from './outputs.js';
import { runPipeline, type Tracker } from './pipeline.js';
import { exportRunnerDirs, runnerEnv } from './runner.js';

/** A tracker that keeps the lists in the action's state at every step (a crash loses nothing). */
function stateTracker(io: ActionIO): Tracker {
  const images: string[] = [];
  const paths: string[] = [];
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
}

/** Run the main step; resolves to the step's exit status (0, or see exitStatusOf). */
export async function runMain(
  deps: MainDeps = { io: actionsIO, env: process.env, pipeline: runPipeline },
): Promise<number> {
  const { io, env } = deps;
  try {
    const runner = runnerEnv(env);
    exportRunnerDirs(runner, env);
    const inputs = parseInputs((name) => io.getInput(name), { workspace: runner.workspace, ...FILE_CHECKS });
    const result = await deps.pipeline(inputs, runner, stateTracker(io));
    const outputs = outputsOf(result);
    for (const name of OUTPUTS) io.setOutput(name, outputs[name]);
    await io.writeSummary('anyarch', summaryTable(result)).catch((err: unknown) => {
      io.warning(`Could not write the job summary: ${errorMessage(err)}`);
    });
    return 0;
  } catch (err) {
    io.setFailed(errorMessage(err));
    return exitStatusOf(err);
  }
}
