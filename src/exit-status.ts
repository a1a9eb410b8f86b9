// One rule for the exit status of a failed run, shared by the action and the CLI.
import { GuestScriptError } from './docker/guest-script.js';
import { signalExitCode } from './util/cancel.js';

/**
 * A run stopped by a signal exits as a process killed by it would (128 + n); a failing "run"
 * script passes its own exit status on, as when it runs directly in a workflow; anything else
 * is 1.
 */
export function exitStatusOf(err: unknown, signalled: number | undefined = signalExitCode()): number {
  if (signalled !== undefined) return signalled;
  if (err instanceof GuestScriptError) return err.exitCode;
  return 1;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
