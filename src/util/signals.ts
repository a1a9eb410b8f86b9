// A cancelled step gets SIGINT (a runner sends SIGTERM and then SIGKILL if the step has not
// ended). Node's default is to exit at once, which leaves ninja and its compilers (each in a
// process group of its own) writing into a temp dir that nothing removes then. Instead the first
// signal cancels the run (cancel.ts): what is running stops, nothing new starts, and the step
// ends through its usual error path, which removes what it made. A second signal SIGKILLs every
// process left below this one. If the run has not ended some seconds after the cancel (something
// ignores it), the last resort removes the temp dirs synchronously and exits.
import { cancel, cancelSignal, signalExitCode } from './cancel.js';
import { runningCommands } from './exec.js';
import { childrenOf, signalProc, stopTree, treeOf } from './proc-tree.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** After a second signal, how long the run has to end before the last resort. */
const SECOND_SIGNAL_GRACE_MS = 2_000;

let lastResortCleanup: () => void = () => undefined;
let lastResort: NodeJS.Timeout | undefined;

/** What the last resort does before it exits: a synchronous removal of the run's temp dirs. */
export function setLastResortCleanup(fn: () => void): void {
  lastResortCleanup = fn;
}

/** SIGKILL every process below this one. */
function killDescendants(): void {
  for (const p of treeOf([process.pid])) if (p.pid !== process.pid) signalProc(p, 'SIGKILL');
}

function exitLastResort(log: (msg: string) => void): void {
  log('The run did not end after the cancel: killing what is left and exiting');
  killDescendants();
  try {
    lastResortCleanup();
  } catch (err) {
    log(`Could not clean up: ${(err as Error).message}`);
  }
  process.exit(signalExitCode() ?? 1);
}

function armLastResort(ms: number, log: (msg: string) => void): void {
  clearTimeout(lastResort);
  // Not unref'd: it must fire even when nothing else keeps this process alive.
  lastResort = setTimeout(() => exitLastResort(log), ms);
}

/**
 * Cancel the run on SIGINT or SIGTERM (see above). `log` hears about each signal; `graceMs` is
 * how long the run has after the first one before the last resort.
 */
export function cancelOnSignals(log: (msg: string) => void, graceMs = 20_000): void {
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      if (cancelSignal().aborted) {
        log(`Received ${sig} again: killing every process this step started`);
        killDescendants();
        armLastResort(SECOND_SIGNAL_GRACE_MS, log);
        return;
      }
      const kids = childrenOf(process.pid);
      const to = kids.length === 0 ? 'no running command' : `pid ${kids.join(', ')} and all below`;
      log(`Received ${sig}: passing it on to ${to}; the run is cancelled`);
      cancel(sig); // runCommand stops its own commands' trees
      for (const k of kids) if (!runningCommands().has(k)) stopTree(k, sig);
      armLastResort(graceMs, log);
    });
  }
}

/**
 * End the process with `status`. After a cancel, that is at once (nothing the cancel left may
 * keep it alive), and nothing this process started is left running.
 */
export function endProcess(status: number): void {
  if (!cancelSignal().aborted) {
    process.exitCode = status;
    return;
  }
  clearTimeout(lastResort);
  killDescendants();
  process.exit(status);
}
