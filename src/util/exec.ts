// Running programs: a thin layer over @actions/exec that captures output and turns a non-zero
// exit into an error carrying the command and the tail of what it printed.
import * as exec from '@actions/exec';
import { which } from '@actions/io';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Print the command's output live (default: captured only). */
  readonly echo?: boolean;
  /** Called with each complete line of stdout and stderr, in order of arrival. */
  readonly onLine?: (line: string) => void;
  /** Fed to standard input. */
  readonly input?: string;
}

export interface RunResult {
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

function lineSplitter(onLine: (line: string) => void): (data: Buffer) => void {
  let partial = '';
  return (data) => {
    partial += data.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  };
}

/** Run a program; resolves with its output whatever the exit code. */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const out = opts.onLine ? lineSplitter(opts.onLine) : undefined;
  const err = opts.onLine ? lineSplitter(opts.onLine) : undefined;
  const r = await exec.getExecOutput(cmd, [...args], {
    ignoreReturnCode: true,
    silent: !opts.echo,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: { ...(process.env as Record<string, string>), ...opts.env } } : {}),
    ...(opts.input !== undefined ? { input: Buffer.from(opts.input) } : {}),
    listeners: {
      ...(out ? { stdout: out } : {}),
      ...(err ? { stderr: err } : {}),
    },
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
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
