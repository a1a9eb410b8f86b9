// Running programs: spawn with an argv array (no shell, no command-line parsing, so a program
// path with a space in it runs), capture the output, and turn a non-zero exit into an error
// carrying the command and the tail of what it printed.
//
// A cancel (cancel.ts) stops a running command's whole tree of processes with the signal that
// cancelled the run (ninja then stops its compilers itself), and no command starts after it.
// Children stay in this process's group and session (not detached): a runner that kills the
// step's session or group still reaches every one of them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { which } from '@actions/io';
import { cancelReason, cancelSignal, throwIfCancelled } from './cancel.js';
import { stopTree, type TreeStop } from './proc-tree.js';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Print the command line and then its output live (default: captured only). */
  readonly echo?: boolean;
  /**
   * The output is not ours (the user's build, the `run` script): when echoed, fence it with
   * `::stop-commands::`, so that no line of it is taken for a workflow command.
   */
  readonly untrustedOutput?: boolean;
  /** Called with each line of stdout and stderr, in order of arrival. */
  readonly onLine?: (line: string) => void;
  /** Fed to standard input (otherwise it is empty). */
  readonly input?: string;
  /**
   * What cancels the command (default: the run's cancel, cancelSignal()); null for a clean-up
   * command, which must run after a cancel too.
   */
  readonly signal?: AbortSignal | null;
}

export interface RunResult {
  /** The exit status; for a program killed by a signal, 128 + its number, as a shell reports it. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${command.join(' ')} exited with ${result.exitCode}${tailOf(result)}`);
    this.name = 'CommandError';
  }
}

function tailOf(r: RunResult, lines = 30): string {
  const text = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-lines).join('\n');
  return text === '' ? '' : `:\n${text}`;
}

/** After the program exits, how long its output pipes may stay open (held by a program it left running). */
const CLOSE_GRACE_MS = 10_000;

/** One output stream: decoded text, split into lines for `onLine` (the last one when it ends). */
function collector(onLine: ((line: string) => void) | undefined) {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let partial = '';
  const take = (s: string) => {
    text += s;
    if (!onLine) return;
    const parts = (partial + s).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  };
  return {
    push: (data: Buffer) => take(decoder.write(data)),
    end: (): string => {
      take(decoder.end());
      if (onLine && partial !== '') onLine(partial);
      partial = '';
      return text;
    },
  };
}

/** Writes to the log (stdout: one stream keeps the program's stdout and stderr in order). */
function logWriter() {
  let atLineStart = true;
  const write = (data: string | Buffer) => {
    if (data.length === 0) return;
    process.stdout.write(data);
    const last = typeof data === 'string' ? data.charCodeAt(data.length - 1) : data[data.length - 1];
    atLineStart = last === 0x0a;
  };
  /** End a line the program left unfinished, so that what comes next starts a line of its own. */
  const endLine = () => write(atLineStart ? '' : '\n');
  return { write, endLine };
}

/** The pids of the commands running now (signals.ts leaves their stopping to us). */
const running = new Set<number>();
export function runningCommands(): ReadonlySet<number> {
  return running;
}

function cancelOf(opts: RunOptions): AbortSignal | null {
  return opts.signal === undefined ? cancelSignal() : opts.signal;
}

function spawnAndWait(
  cmd: string,
  args: readonly string[],
  opts: RunOptions,
  echo: ((data: Buffer) => void) | undefined,
): Promise<RunResult> {
  const signal = cancelOf(opts);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      env: opts.env !== undefined ? { ...process.env, ...opts.env } : process.env,
    });
    const out = collector(opts.onLine);
    const err = collector(opts.onLine);
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      echo?.(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      err.push(d);
      echo?.(d);
    });
    let exitCode: number | undefined;
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    let stopping: TreeStop | undefined;
    const onCancel = () => {
      if (child.pid !== undefined && exitCode === undefined && signal)
        stopping = stopTree(child.pid, cancelReason(signal).signal);
    };
    const release = () => {
      if (child.pid !== undefined) running.delete(child.pid);
      signal?.removeEventListener('abort', onCancel);
    };
    const finish = () => {
      if (settled || exitCode === undefined) return;
      settled = true;
      clearTimeout(grace);
      const result = { exitCode, stdout: out.end(), stderr: err.end() };
      // A command the cancel stopped did not fail: it was cancelled.
      if (stopping && signal) reject(cancelReason(signal));
      else resolve(result);
    };
    if (child.pid !== undefined) running.add(child.pid);
    signal?.addEventListener('abort', onCancel, { once: true });
    child.once('error', (e) => {
      release();
      if (settled) return;
      settled = true;
      reject(new Error(`cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.once('exit', (code, sig) => {
      release();
      stopping?.finish();
      exitCode = code ?? 128 + (sig ? (os.constants.signals[sig] ?? 0) : 0);
      // A program it left behind may hold the pipes open; do not wait for that forever.
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, CLOSE_GRACE_MS);
    });
    child.once('close', finish);
    child.stdin.on('error', () => undefined); // a program that does not read its input
    child.stdin.end(opts.input);
  });
}

/**
 * Run a program; resolves with its output whatever the exit code. Rejects with a CancelledError
 * when the run is cancelled before it starts or while it runs.
 */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  throwIfCancelled(cancelOf(opts));
  if (!opts.echo) return spawnAndWait(cmd, args, opts, undefined);
  const log = logWriter();
  // A token no one can guess ends the fence; nothing the program prints can end it early.
  const token = opts.untrustedOutput ? randomBytes(16).toString('hex') : undefined;
  if (token !== undefined) log.write(`::stop-commands::${token}\n`);
  try {
    log.write(`[command]${[cmd, ...args].join(' ')}\n`);
    return await spawnAndWait(cmd, args, opts, log.write);
  } finally {
    // Also without a fence: a workflow command printed next must start a line to be one.
    log.endLine();
    if (token !== undefined) log.write(`::${token}::\n`);
  }
}

/** Run a program and fail with its output when it exits non-zero. */
export async function mustRun(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runCommand(cmd, args, opts);
  if (r.exitCode !== 0) throw new CommandError([cmd, ...args], r);
  return r;
}

/** True when `cmd` is found on PATH. */
export async function haveCommand(cmd: string): Promise<boolean> {
  return (await which(cmd, false)) !== '';
}
