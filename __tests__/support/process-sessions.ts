// Processes by session, for the tests that stop a running step as a runner does. A step run in
// a session of its own (setsid) keeps every process it starts in that session, even those that
// make process groups of their own (ninja puts each compiler in one), so the session is what
// "the step's process tree" is.
import { spawn, spawnSync } from 'node:child_process';

export interface SessionMember {
  readonly pid: number;
  /** The command name (ps's comm). */
  readonly comm: string;
}

/** The processes of session `sid`. */
export function sessionMembers(sid: number): SessionMember[] {
  const ps = spawnSync('ps', ['-eo', 'sid=,pid=,comm='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([s]) => Number(s) === sid)
    .map(([, pid, comm]) => ({ pid: Number(pid), comm: comm ?? '' }));
}

/** SIGKILL session `sid`'s leader's group, then every process left in the session, until none is. */
export async function killSession(sid: number): Promise<void> {
  // The group first (node and ninja): then nothing starts new compilers.
  try {
    process.kill(-sid, 'SIGKILL');
  } catch {
    // The group has ended already (a run that stopped by itself).
  }
  for (let i = 0; i < 100; i++) {
    const left = sessionMembers(sid);
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The command names still running in session `sid` after up to 15 s for it to empty. */
export async function settledSession(sid: number): Promise<string[]> {
  for (let i = 0; i < 150; i++) {
    if (sessionMembers(sid).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return sessionMembers(sid).map((p) => p.comm);
}

export interface SessionEnd {
  /** The leader's pid, which is also the session's id. */
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  readonly log: string;
}

/**
 * Run `node script` in a session of its own; `onMatch` gets its pid the first time its output
 * matches `when`. Resolves once it has ended.
 */
export function runNodeInSession(
  script: string,
  opts: { env: NodeJS.ProcessEnv; cwd: string },
  when: RegExp,
  onMatch: (pid: number) => void,
): Promise<SessionEnd> {
  const child = spawn(process.execPath, [script], {
    env: opts.env,
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let seen = false;
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (!seen && when.test(log)) {
        seen = true;
        onMatch(child.pid!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code, signal) => resolve({ pid: child.pid!, code, signal, log }));
  });
}
