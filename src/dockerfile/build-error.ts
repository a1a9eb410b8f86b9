// Which instruction of the user's Dockerfile a failed build stopped at, read from what the
// builder printed. Pure: the build's output and the user's Dockerfile in, the instruction out.
//
// The rewritten Dockerfile keeps every instruction on its line of the user's file (rewrite.ts),
// except below the lines it inserts (ONBUILD triggers): `toUserLine` maps a line the builder names
// to the user's line. Where the builder names none, the failing
// command is matched against the user's RUN instructions instead, and failing that the step's
// name against their text. What BuildKit prints, as captured from real builds:
//   BuildKit of Docker 26    "Dockerfile:7" then a "-----" excerpt, then
//                            ERROR: failed to solve: process "<argv, Go-quoted>" did not
//                            complete successfully: exit code: 3
//                            (newer buildx: "ERROR: failed to build: failed to solve: ...")
//   BuildKit of Docker 20.10 no line; ERROR: failed to solve: executor failed running
//                            [<argv joined by blanks, newlines raw>]: exit code: 3
//   both                     "------" / " > [<stage> i/n] <step>:" / its last output / "------"
//   classic builder          The command '<argv joined by blanks>' returned a non-zero code: 3
// The argv of a rewritten RUN starts with "<emulator> -execve <emulator>" (then "-execve-setid
// <emulator>-setid" where the emulator is mounted); the message shows the
// command without it, as the builder would have printed it for the user's own RUN.
import { DockerfileParser, From, Run, type Instruction } from 'dockerfile-ast';
import { commandArgv, heredocNames, setidEmulatorPath } from './rewrite.js';
import { joinContinuations, parseRun, type RunCommand } from './run-instruction.js';
import { indexLines, instructionText } from './text.js';

export interface FailedInstruction {
  /** First line of the instruction in the user's Dockerfile, 1-based. */
  readonly line: number;
  /** Its last line (heredoc bodies and continuation lines included). */
  readonly endLine: number;
  /** Its keyword, upper-cased ("RUN", "COPY", ...). */
  readonly keyword: string;
  /** The instruction as the user wrote it, all its lines, joined by "\n". */
  readonly text: string;
  /** The builder's error, without the emulator, e.g. `process "/bin/sh -c make" did not
   * complete successfully: exit code: 2`. */
  readonly message: string;
}

/** The failing process as the builder reported it. */
interface FailedProcess {
  /** The argv joined by blanks. */
  readonly command: string;
  /** What followed it, e.g. "exit code: 3". */
  readonly status: string;
}

// Colours the classic builder puts around a step's stderr (ESC, built so the pattern has no
// control character written in it).
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Undo Go's %q (strconv.Quote) of a string, given without its quotes. */
export function goUnquote(s: string): string {
  const simple: Record<string, string> = {
    a: '\x07',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
    '\\': '\\',
    '"': '"',
    "'": "'",
  };
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (all, e: string) => {
    const c = e[0] as string;
    if (e.length === 1) return simple[c] ?? all;
    if (c === 'x' || c === 'u' || c === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
    return String.fromCodePoint(parseInt(e, 8));
  });
}

/** Where the builder's final error starts, and its text without the "ERROR: failed to solve: "
 * prefixes. */
function finalError(out: string): { at: number; text: string } | undefined {
  const m = [...out.matchAll(/^ERROR: /gm)].pop();
  if (m?.index === undefined) return undefined;
  return {
    at: m.index,
    text: out.slice(m.index).replace(/^ERROR: (?:failed to build: )?(?:failed to solve: )?/, ''),
  };
}

function failedProcess(out: string, error: string | undefined): FailedProcess | undefined {
  if (error !== undefined) {
    const p = /^process "((?:[^"\\\n]|\\.)*)" did not complete successfully: ([^\n]*)/.exec(error);
    if (p) return { command: goUnquote(p[1] as string), status: (p[2] as string).trim() };
    const e = /^executor failed running \[([\s\S]*?)\]: ([^\n]*)/.exec(error);
    if (e) return { command: e[1] as string, status: (e[2] as string).trim() };
  }
  const c = [...out.matchAll(/The command '([\s\S]*?)' returned a non-zero code: (\d+)/g)].pop();
  if (c) return { command: c[1] as string, status: `exit code: ${c[2] as string}` };
  return undefined;
}

/** The command without the "<emulator> -execve <emulator> [-execve-setid <path>] " the rewrite put in front. */
export function withoutEmulator(command: string): string {
  const m = /^(\S+) -execve (\S+) (?:-execve-setid (\S+) )?/.exec(command);
  if (!m || m[1] !== m[2]) return command;
  return m[3] === undefined || m[3] === setidEmulatorPath(m[1]!) ? command.slice(m[0].length) : command;
}

/** The line the builder's source excerpt points at ("Dockerfile:7" over a "-----" rule). */
function excerptLine(out: string): number | undefined {
  const m = [...out.matchAll(/^\S[^\n]*?:(\d+)(?:-\d+)?\n-{10,}\n/gm)].pop();
  return m ? Number(m[1]) : undefined;
}

/** The failed step's stage and name, from the last " > [<stage> i/n] <name>:" block (a
 * multi-platform build puts the platform before the stage). */
function failedStep(out: string): { stage: string; name: string } | undefined {
  const m = [...out.matchAll(/^-{6}\n > \[(?:\S+ )?(\S+) \d+\/\d+\] ([^\n]*):\n/gm)].pop();
  return m ? { stage: (m[1] as string).toLowerCase(), name: m[2] as string } : undefined;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

interface UserInstruction {
  readonly ins: Instruction;
  /** "stage-<n>" and the stage's AS name, lower-cased, as BuildKit names steps. */
  readonly stageNames: readonly string[];
  readonly lines: string[];
  /** The logical line, blanks squashed: what BuildKit names a step by. */
  readonly logical: string;
  readonly run: RunCommand | undefined;
}

function userInstructions(text: string): UserInstruction[] {
  const dockerfile = DockerfileParser.parse(text);
  const escape = dockerfile.getEscapeCharacter();
  const index = indexLines(text);
  const list: UserInstruction[] = [];
  let stage = -1;
  let stageNames: string[] = [];
  for (const ins of dockerfile.getInstructions()) {
    if (ins instanceof From) {
      stage++;
      const as = ins.getBuildStage();
      stageNames = [`stage-${stage}`, ...(as ? [as.toLowerCase()] : [])];
    }
    const { lines } = instructionText(text, index, ins);
    let run: RunCommand | undefined;
    if (ins instanceof Run) {
      try {
        run = parseRun(lines, escape, heredocNames(ins, text, index)).command;
      } catch {
        run = undefined; // the build would have refused it before running anything
      }
    }
    list.push({ ins, stageNames, lines, logical: squash(joinContinuations(lines, escape).line), run });
  }
  return list;
}

/** True when `command` (an argv joined by blanks, emulator removed) is what `run` executes. */
function runsCommand(run: RunCommand, command: string): boolean {
  // The SHELL in front of a script is not known here; the script ends the argv.
  const tail = commandArgv(run, []).join(' ');
  return run.kind === 'exec' ? command === tail : command === tail || command.endsWith(` ${tail}`);
}

/** The one candidate, preferring those of the failed step's stage; undefined when ambiguous. */
function pick(found: UserInstruction[], stage: string | undefined): UserInstruction | undefined {
  const inStage = stage === undefined ? [] : found.filter((u) => u.stageNames.includes(stage));
  const from = inStage.length > 0 ? inStage : found;
  return from.length === 1 ? from[0] : undefined;
}

/** How the message shows a RUN's command: its argv, or for a "#!" heredoc its interpreter. */
function shownCommand(u: UserInstruction | undefined, command: string): string {
  if (u?.run?.kind !== 'shebang') return command;
  const names = u.ins instanceof Run ? u.ins.getHeredocs().map((h) => `<<${h.getName()}`) : [];
  return [...u.run.interpreter, ...names].join(' ');
}

/**
 * The instruction of `userText` (the user's Dockerfile) a build failed at, from the builder's
 * output (stdout and stderr); undefined when the output names none that can be found.
 */
export function findFailedInstruction(
  output: string,
  userText: string,
  toUserLine: (line: number) => number = (l) => l,
): FailedInstruction | undefined {
  const out = output.replace(ANSI, '').replace(/\r\n?/g, '\n');
  const final = finalError(out);
  const error = final?.text;
  const proc = failedProcess(out, error);
  const command = proc ? withoutEmulator(proc.command) : undefined;
  const step = failedStep(out);
  const list = userInstructions(userText);

  let found: UserInstruction | undefined;
  // The excerpt of the error comes right before it (anything after, e.g. a warning's, is not it).
  const named = excerptLine(final ? out.slice(0, final.at) : out);
  const line = named === undefined ? undefined : toUserLine(named);
  if (line !== undefined) {
    found = list.find((u) => {
      const r = u.ins.getRange();
      return r.start.line + 1 <= line && line <= r.end.line + 1;
    });
  }
  if (!found && command !== undefined) {
    found = pick(
      list.filter((u) => u.run !== undefined && runsCommand(u.run, command)),
      step?.stage,
    );
  }
  if (!found && step) {
    const name = squash(step.name);
    found = pick(
      list.filter((u) => u.logical === name),
      step.stage,
    );
  }
  if (!found) return undefined;

  const r = found.ins.getRange();
  const message =
    proc && command !== undefined
      ? `process ${JSON.stringify(shownCommand(found, command))} did not complete successfully: ${proc.status}`
      : (error?.split('\n')[0]?.trim() ?? 'the build failed');
  return {
    line: r.start.line + 1,
    endLine: r.end.line + 1,
    keyword: found.ins.getKeyword(),
    text: found.lines.join('\n'),
    message,
  };
}
