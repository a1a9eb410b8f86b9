// Processes as /proc shows them (Linux, the only runner this action serves): who started whom,
// and signalling a whole tree of them. A process is named by its pid and its start time, so that
// a pid the kernel has handed to a new process since is never signalled by mistake.
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  readonly pid: number;
  /** starttime from /proc/PID/stat: with the pid, one process for as long as the system runs. */
  readonly start: string;
}

interface Stat {
  readonly ppid: number | undefined;
  readonly start: string;
  /** R, S, D, Z, …; a zombie (Z) has ended, only its parent has not reaped it yet. */
  readonly state: string;
}

/** The fields after the comm field, which may hold spaces and parens. */
function fieldsOf(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function ppidOf(fields: readonly string[]): number | undefined {
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** The parent pid in the text of /proc/PID/stat. */
export function parentPidOf(stat: string): number | undefined {
  return ppidOf(fieldsOf(stat));
}

function readStat(pid: number): Stat | undefined {
  try {
    const f = fieldsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { ppid: ppidOf(f), start: f[19] ?? '', state: f[0] ?? '' };
  } catch {
    return undefined; // ended while we looked
  }
}

/** Every process now: pid → its stat. */
function snapshot(): Map<number, Stat> {
  const out = new Map<number, Stat>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const s = readStat(Number(e));
    if (s) out.set(Number(e), s);
  }
  return out;
}

/** Pids of the live children of `pid`. */
export function childrenOf(pid: number): number[] {
  return [...snapshot()].filter(([, s]) => s.ppid === pid && s.state !== 'Z').map(([p]) => p);
}

/** `roots` (those still there) and all their descendants, parents before children. */
export function treeOf(roots: readonly number[]): Proc[] {
  const all = snapshot();
  const kids = new Map<number, number[]>();
  for (const [pid, s] of all) {
    if (s.ppid !== undefined) kids.set(s.ppid, [...(kids.get(s.ppid) ?? []), pid]);
  }
  const out: Proc[] = [];
  const seen = new Set<number>();
  const queue = roots.filter((r) => all.has(r));
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = all.get(pid);
    if (s && s.state !== 'Z') out.push({ pid, start: s.start });
    queue.push(...(kids.get(pid) ?? []));
  }
  return out;
}

/** The process is still the one named, and has not ended. */
export function isRunning(p: Proc): boolean {
  const s = readStat(p.pid);
  return s !== undefined && s.start === p.start && s.state !== 'Z';
}

/** Send `sig` to `p` if it is still running; false when it was not. */
export function signalProc(p: Proc, sig: NodeJS.Signals): boolean {
  if (!isRunning(p)) return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch {
    return false; // ended just now
  }
}

export interface TreeStop {
  /** The root has ended: SIGKILL whatever of its tree is still running (orphans it left). */
  finish(): void;
}

/** How often a tree being stopped is looked at again for processes started meanwhile. */
const SWEEP_MS = 100;

/**
 * Stop the tree of processes under `rootPid`: `sig` to each of them now and to any that appears
 * later, SIGKILL to all that are left after `killAfterMs` or once finish() is called. The tree
 * is remembered, so processes that outlive their parent (and are no longer below the root) are
 * still found.
 */
export function stopTree(rootPid: number, sig: NodeJS.Signals, killAfterMs = 10_000): TreeStop {
  const known = new Map<string, Proc>();
  const key = (p: Proc) => `${p.pid}:${p.start}`;
  const sweep = (withRoot: boolean, s: NodeJS.Signals, all: boolean) => {
    const alive = [...known.values()].filter(isRunning).map((p) => p.pid);
    for (const p of treeOf(withRoot ? [rootPid, ...alive] : alive)) {
      const fresh = !known.has(key(p));
      known.set(key(p), p);
      if (fresh || all) signalProc(p, s);
    }
  };
  sweep(true, sig, false);
  const poll = setInterval(() => sweep(true, sig, false), SWEEP_MS).unref();
  const kill = setTimeout(() => sweep(true, 'SIGKILL', true), killAfterMs).unref();
  let done = false;
  return {
    finish() {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(kill);
      // Not the root: reaped by now, its pid may be another process's.
      sweep(false, 'SIGKILL', true);
    },
  };
}
