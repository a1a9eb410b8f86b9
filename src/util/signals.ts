// A cancelled step gets SIGINT (then SIGTERM). Node's default is to exit at once, which leaves
// ninja and its compilers (each in a process group of its own) writing into a temp dir that
// the post step is deleting. Instead, pass the signal on to the programs this process started:
// ninja then stops its compilers and exits, the running command fails, and the usual error
// path (failed step, clean-up) follows. A grace timer ends the process if a child ignores it.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** The parent pid in the text of /proc/PID/stat (the comm field may hold spaces and parens). */
export function parentPidOf(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** Pids of the live children of `pid`, from /proc (Linux, the only runner this action serves). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (parentPidOf(readFileSync(`/proc/${e}/stat`, 'utf8')) === pid) out.push(Number(e));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let received: (typeof SIGNALS)[number] | undefined;

/** 128 + the number of the first signal received, the status a shell gives such an end. */
export function signalExitCode(): number | undefined {
  return received === undefined ? undefined : 128 + (os.constants.signals[received] ?? 15);
}

/**
 * Forward SIGINT and SIGTERM to this process's children. `log` hears about each signal. After
 * `graceMs` without the process ending on its own, it exits with 128 + the signal's number.
 */
export function forwardSignalsToChildren(log: (msg: string) => void, graceMs = 20_000): void {
  let timer: NodeJS.Timeout | undefined;
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      received ??= sig;
      const kids = childrenOf(process.pid);
      log(
        `Received ${sig}: passing it on to ${kids.length === 0 ? 'no running command' : `pid ${kids.join(', ')}`}`,
      );
      for (const k of kids) {
        try {
          process.kill(k, sig);
        } catch {
          // Already gone.
        }
      }
      // Unref'd: it only ends a process that something still keeps alive.
      timer ??= setTimeout(() => process.exit(signalExitCode()), graceMs).unref();
    });
  }
}
