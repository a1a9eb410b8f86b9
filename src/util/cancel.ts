// One cancel for the whole run: the first SIGINT or SIGTERM (signals.ts) aborts the signal
// below, and everything long-running listens to it. Commands do not start after it and running
// ones are stopped (exec.ts), downloads and their retry pauses end (download.ts).
import os from 'node:os';

export class CancelledError extends Error {
  /** 128 + the signal's number: the status a shell gives a program ended by it. */
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`Cancelled (${signal})`);
    this.name = 'CancelledError';
    this.exitCode = 128 + (os.constants.signals[signal] ?? 15);
  }
}

const controller = new AbortController();

/** Aborted, with a CancelledError as its reason, once the run is cancelled. */
export function cancelSignal(): AbortSignal {
  return controller.signal;
}

/** Cancel the run (the first call counts); true the first time. */
export function cancel(sig: NodeJS.Signals): boolean {
  if (controller.signal.aborted) return false;
  controller.abort(new CancelledError(sig));
  return true;
}

/** The CancelledError of an aborted `signal` (another reason becomes one for SIGTERM). */
export function cancelReason(signal: AbortSignal): CancelledError {
  const r: unknown = signal.reason;
  return r instanceof CancelledError ? r : new CancelledError('SIGTERM');
}

/** The exit status of a cancelled run (128 + the signal's number); undefined if not cancelled. */
export function signalExitCode(signal: AbortSignal = cancelSignal()): number | undefined {
  return signal.aborted ? cancelReason(signal).exitCode : undefined;
}

export function throwIfCancelled(signal: AbortSignal | null | undefined): void {
  if (signal?.aborted) throw cancelReason(signal);
}

/** Wait `ms`; a cancel ends the wait at once, with its CancelledError. */
export function sleep(ms: number, signal: AbortSignal = cancelSignal()): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
