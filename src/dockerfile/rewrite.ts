// Rewrite a Dockerfile so every RUN of a guest-platform stage executes through the QEMU
// linux-user emulator, bind-mounted from an image into the build container. Pure: text in,
// text out. Only those RUN instructions change; every other byte stays as written.
//
// Each rewritten RUN becomes one line of exec form, because the frontend this targets
// (Docker 20.10's built-in BuildKit, Dockerfile syntax 1.2) has no heredocs:
//   RUN <user flags> --mount=type=bind,from=<image>,source=/,target=<dir> \
//       ["<emu>","-execve","<emu>", ...what BuildKit would have executed]
// where "what BuildKit would have executed" is
//   shell form        SHELL args + [script]            (SHELL defaults to ["/bin/sh","-c"],
//                                                        follows SHELL lines, and is inherited
//                                                        by FROM <earlier stage>)
//   exec form         the JSON array as written
//   heredoc           see run.ts; "#!" bodies run through ["/bin/sh","-c", <wrapper>] that writes
//                     the body to a file under ${TMPDIR:-/tmp} and runs the named interpreter on
//                     it (BuildKit mounts the file instead; that needs a newer frontend).
// The emulator's own -execve makes every program the command starts emulated too.
// A RUN that spanned several lines (continuations, comments, heredoc bodies) is followed by one
// blank line per extra line, so every instruction stays on its line of the user's file and
// BuildKit's "Dockerfile:N" in an error names the user's line (build-error.ts reads those).
//
// ONBUILD triggers of a guest stage's base image (options.onbuild, read by the caller): the FROM
// names the copy of the base without them, and they follow it as instructions of the stage, their
// RUNs wrapped like the rest (onbuild.ts). Those lines, and the extra lines of a RUN folded into
// more lines than it had, move the lines below: `insertions` says where, for error lines.
//
// Limitations: a SHELL set in a base image's config (not in this Dockerfile) is not seen, so
// such stages get ["/bin/sh","-c"]; a user's own exec-form RUN containing "<<" is misread as a
// heredoc by the parser and is refused; an ONBUILD RUN of one of the file's own stages runs
// unwrapped in a guest stage built FROM that stage (onbuild.ts stageTriggerWarnings).
// Every stage of another foreign platform is an error: one build emulates one guest.
// With inject "copy" (the classic builder), the emulator is COPYed into each guest stage instead
// of mounted, and the RUN lines are the same minus the --mount flag. Each COPY is a line of its
// own after the FROM, so there line numbers do shift, by one per guest FROM above: the classic
// builder names failed steps by "Step i/n" and their command, not by line, and build-error.ts
// finds the instruction from the command.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { From, Run, Shell } from 'dockerfile-ast';
import { analyzeStages, DEFAULT_SHELL, shellArgs, type StageInfo, type StageOptions } from './stages.js';
import { parseRun, type HeredocName, type RunCommand } from './run-instruction.js';
import { indexLines, instructionText, offsetOf, type LineIndex } from './text.js';
import { foldLine } from './fold.js';
import {
  parseTrigger,
  startShells,
  TRIGGER_ESCAPE,
  verbatimTrigger,
  type Insertion,
  type StageTriggers,
} from './onbuild.js';

export interface RewriteOptions extends StageOptions {
  /** Image whose root holds the emulator; bind-mounted with --mount=type=bind,from=<this>. */
  readonly emulatorImage: string;
  /** Absolute path of the emulator inside the build container, e.g. /.anyarch/qemu-aarch64. */
  readonly emulatorPath: string;
  /** Where the image's root is mounted; defaults to the directory of emulatorPath. */
  readonly mountTarget?: string;
  /**
   * How the emulator reaches RUN steps: "mount" (default; BuildKit's RUN --mount, nothing left in
   * the image) or "copy" (for the classic builder, which has no --mount: a
   * `COPY --from=<emulatorImage> <emulatorSource> <emulatorPath>` right after each guest FROM,
   * so the emulator stays in those stages' images).
   */
  readonly inject?: 'mount' | 'copy';
  /** Path of the emulator inside emulatorImage, for "copy"; defaults to /<basename of emulatorPath>. */
  readonly emulatorSource?: string;
  /** stage index -> the triggers of its base image and the image to build it FROM instead. */
  readonly onbuild?: ReadonlyMap<number, StageTriggers>;
}

/** A script kept out of the command line; the build passes it as the secret `id` (see below). */
export interface ScriptFile {
  readonly id: string;
  readonly content: string;
}

export interface RewriteResult {
  readonly dockerfile: string;
  /** Scripts too long for an argument, to pass as `--secret id=<id>,src=<a file of content>`. */
  readonly scripts: readonly ScriptFile[];
  readonly stages: readonly StageInfo[];
  /** Number of RUN instructions rewritten (RUN triggers included). */
  readonly rewritten: number;
  /** Where the rewritten file has lines the user's has not (see onbuild.ts userLine). */
  readonly insertions: readonly Insertion[];
}

// Characters that would break the comma-separated --mount value or the line.
const MOUNT_UNSAFE = /[\s,"'=]/;

// Line breaks as the parser counts them (see text.ts).
const LINE_BREAK = /\r\n|\r|\n/g;

// Linux refuses one argument over 128 KiB (MAX_ARG_STRLEN), and BuildKit runs a "#!" heredoc
// from a file, so a long one builds without us; our wrapper would carry it as an argument. A
// script (or heredoc body) over this many bytes is passed to the RUN step as a file instead: a
// secret mount under /dev (tmpfs, never in a layer), named by the script's digest so that the
// RUN line, and with it the cache key, changes with the script (a secret's content is not part
// of BuildKit's cache key). Readable by every user: the stage's USER may not be root.
export const SCRIPT_FILE_ABOVE = 96 * 1024;

function scriptFile(content: string): { file: ScriptFile; path: string; mount: string } {
  const id = `anyarch-script-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
  const target = `/dev/.${id}`;
  return {
    file: { id, content },
    path: target,
    mount: `--mount=type=secret,id=${id},target=${target},mode=0444`,
  };
}

/** The argv for `cmd`, with a script too long for an argument read from a mounted file instead. */
function commandOrFile(
  cmd: RunCommand,
  shell: readonly string[],
  useFiles: boolean,
): { argv: string[]; script?: ReturnType<typeof scriptFile> } {
  if (useFiles && cmd.kind === 'shebang' && Buffer.byteLength(cmd.body) > SCRIPT_FILE_ABOVE) {
    const script = scriptFile(cmd.body);
    return { argv: [...cmd.interpreter, script.path], script };
  }
  if (useFiles && cmd.kind === 'shell' && Buffer.byteLength(cmd.script) > SCRIPT_FILE_ABOVE) {
    const script = scriptFile(cmd.script);
    return { argv: [...shell, `. ${script.path}`], script };
  }
  return { argv: commandArgv(cmd, shell) };
}

/** The file's first line break, for a file whose long RUN spans a single line. */
function firstBreak(text: string): string {
  return /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
}

/** The argv BuildKit would have executed for this RUN, before wrapping in the emulator. */
export function commandArgv(cmd: RunCommand, shell: readonly string[]): string[] {
  switch (cmd.kind) {
    case 'exec':
      return [...cmd.argv];
    case 'shell':
      return [...shell, cmd.script];
    case 'shebang':
      return ['/bin/sh', '-c', shebangWrapper(cmd.interpreter, cmd.body)];
  }
}

/** POSIX single-quoting. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A sh script that writes `body` to a temporary file and runs `interpreter` on it. */
function shebangWrapper(interpreter: readonly string[], body: string): string {
  return [
    'f="${TMPDIR:-/tmp}/anyarch-heredoc.$$"',
    `printf '%s' ${shQuote(body)} >"$f" || exit`,
    `${interpreter.map(shQuote).join(' ')} "$f"`,
    'rc=$?',
    'rm -f "$f"',
    'exit $rc',
  ].join('\n');
}

/**
 * JSON for an exec-form line. "<" is written as \u003c (as Go's encoder does) so that no "<<"
 * appears on the line: BuildKit never reads heredocs in exec form, but other parsers (including
 * the one this module uses) would, and would swallow the following lines.
 */
export function execJson(argv: readonly string[]): string {
  return JSON.stringify(argv).replace(/</g, '\\u003c');
}

/** The heredocs the parser found in `run`, in order, for parseRun. */
export function heredocNames(run: Run, text: string, index: LineIndex): HeredocName[] {
  return run.getHeredocs().map((h) => {
    const r = h.getStartRange();
    const start = text.slice(offsetOf(index, r.start), offsetOf(index, r.end));
    return { name: h.getName(), chomp: /^\d*<<-/.test(start) };
  });
}

/**
 * A carriage return not followed by a line feed ends a line for this module's parser but not for
 * BuildKit's, so the two would read different instructions; refuse it rather than guess.
 */
function refuseBareCarriageReturn(text: string): void {
  const at = /\r(?!\n)/.exec(text);
  if (at === null) return;
  const line = text.slice(0, at.index).split(/\r\n|\n/).length;
  throw new Error(
    `the Dockerfile has a carriage return (CR) without a line feed on line ${line}: BuildKit reads it as part of the line and this action's parser as a line break, so they would disagree. Save the file with LF or CRLF line ends`,
  );
}

/** Where the emulator image's set-user-ID copy of the emulator at `emulatorPath` is mounted. */
export function setidEmulatorPath(emulatorPath: string): string {
  return `${emulatorPath}-setid`;
}

export function rewriteDockerfile(text: string, opts: RewriteOptions): RewriteResult {
  refuseBareCarriageReturn(text);
  const emu = opts.emulatorPath;
  const target = opts.mountTarget ?? path.posix.dirname(emu);
  if (!path.posix.isAbsolute(emu) || MOUNT_UNSAFE.test(emu))
    throw new Error(`bad emulator path ${JSON.stringify(emu)}`);
  if (!path.posix.isAbsolute(target) || MOUNT_UNSAFE.test(target) || target === '/') {
    throw new Error(`bad emulator mount target ${JSON.stringify(target)}`);
  }
  if (opts.emulatorImage === '' || MOUNT_UNSAFE.test(opts.emulatorImage)) {
    throw new Error(`bad emulator image reference ${JSON.stringify(opts.emulatorImage)}`);
  }
  const mount = `--mount=type=bind,from=${opts.emulatorImage},source=/,target=${target}`;

  const onbuild = opts.onbuild ?? new Map<number, StageTriggers>();
  const analysis = analyzeStages(text, { ...opts, startShells: startShells(onbuild) });
  const index = indexLines(text);
  const edits: { from: number; to: number; text: string }[] = [];
  const insertions: Insertion[] = [];
  const scripts = new Map<string, ScriptFile>();
  const lineBreak = firstBreak(text);
  let rewritten = 0;
  for (const stage of onbuild.keys()) {
    const info = analysis.stages[stage];
    if (!info?.guest || info.baseStage !== undefined)
      throw new Error(`stage ${stage} is no guest stage built from an image: it runs no triggers here`);
  }

  const copy = opts.inject === 'copy';
  const source = opts.emulatorSource ?? `/${path.posix.basename(emu)}`;
  // Set-ID guest programs (sudo from a non-root USER) run through the image's set-user-ID copy
  // of the emulator. Only where it is mounted: a copy would leave a set-ID file in the image.
  const setidArgs = copy ? [] : ['-execve-setid', setidEmulatorPath(emu)];
  if (copy && (!path.posix.isAbsolute(source) || /\s/.test(source)))
    throw new Error(`bad emulator source ${JSON.stringify(source)}`);

  /** The RUN line(s) that execute `command` through the emulator, as continuation pieces. */
  const wrapped = (keyword: string, command: RunCommand, shell: readonly string[]): string[] => {
    // The classic builder has no --mount, so no script file either.
    const cmd = commandOrFile(command, shell, !copy);
    if (cmd.script) scripts.set(cmd.script.file.id, cmd.script.file);
    const argv = [emu, '-execve', emu, ...setidArgs, ...cmd.argv];
    const flags = [
      ...command.flags,
      ...(copy ? [] : [mount]),
      ...(cmd.script ? [cmd.script.mount] : []),
    ].join(' ');
    const line = [keyword, ...(flags === '' ? [] : [flags]), execJson(argv)].join(' ');
    // A line too long for BuildKit's scanner becomes continuation lines (fold.ts).
    return foldLine(line, analysis.escape);
  };

  /** The base's triggers as lines of the stage, RUNs wrapped; counts the RUNs. */
  const triggerLines = (triggers: readonly string[]): string[] => {
    let shell = DEFAULT_SHELL;
    const lines: string[] = [];
    for (const trigger of triggers) {
      const { instruction: ins } = parseTrigger(trigger);
      if (ins instanceof Run) {
        const tIndex = indexLines(trigger);
        const { lines: tLines } = instructionText(trigger, tIndex, ins);
        const parsed = parseRun(tLines, TRIGGER_ESCAPE, heredocNames(ins, trigger, tIndex));
        const pieces = wrapped(ins.getInstruction(), parsed.command, shell);
        lines.push(...pieces.map((p, k) => (k < pieces.length - 1 ? p + analysis.escape : p)));
        rewritten++;
        continue;
      }
      if (ins instanceof Shell) shell = shellArgs(trigger, indexLines(trigger), TRIGGER_ESCAPE, ins);
      lines.push(...verbatimTrigger(trigger, analysis.escape).split(/\r\n|\r|\n/));
    }
    return lines;
  };

  for (const { instruction, stage, shell } of analysis.instructions) {
    const info = analysis.stages[stage];
    if (instruction instanceof From && info?.guest) {
      const { to } = instructionText(text, index, instruction);
      const added: string[] = [];
      if (copy) added.push(`COPY --from=${opts.emulatorImage} ${source} ${emu}`);
      const own = onbuild.get(stage);
      if (own) {
        const where = `line ${info.line + 1}, the ONBUILD triggers of ${info.base}`;
        edits.push(baseEdit(text, index, instruction, own.image));
        try {
          added.push(...triggerLines(own.triggers));
        } catch (err) {
          throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
        }
      }
      if (added.length > 0) {
        // The COPY line keeps the "\n" it always had; trigger lines follow the file's style.
        const breakBefore = (k: number) => (copy && k === 0 ? '\n' : lineBreak);
        const joined = added.map((l, k) => breakBefore(k) + l).join('');
        edits.push({ from: to, to, text: joined });
        insertions.push({ after: instruction.getRange().end.line + 1, count: added.length });
      }
      continue;
    }
    if (!(instruction instanceof Run) || !info?.guest) continue;
    const first = instruction.getRange().start.line;
    const { lines, from, to } = instructionText(text, index, instruction);
    let parsed;
    try {
      parsed = parseRun(lines, analysis.escape, heredocNames(instruction, text, index));
    } catch (err) {
      throw new Error(`line ${first + 1}: ${(err as Error).message}`, { cause: err });
    }
    if (parsed.lineCount !== lines.length) {
      throw new Error(
        `line ${first + 1}: RUN spans ${lines.length} lines but reads as ${parsed.lineCount}; cannot rewrite it safely`,
      );
    }
    const pieces = wrapped(instruction.getInstruction(), parsed.command, shell);
    rewritten++;
    // The line breaks the instruction spanned follow it as blank lines, in the file's own style,
    // so every later instruction keeps its line number (BuildKit skips blank lines between
    // instructions; this line has no continuation for them to fall into). Continuation pieces of
    // a folded line take the place of as many of them (when there are fewer, later lines move down).
    const breaks = text.slice(from, to).match(LINE_BREAK) ?? [];
    const folded = pieces.join(`${analysis.escape}${breaks[0] ?? lineBreak}`);
    edits.push({ from, to, text: folded + breaks.slice(pieces.length - 1).join('') });
    if (pieces.length - 1 > breaks.length) {
      insertions.push({
        after: instruction.getRange().end.line + 1,
        count: pieces.length - 1 - breaks.length,
      });
    }
  }

  let out = '';
  let pos = 0;
  for (const e of edits) {
    out += text.slice(pos, e.from) + e.text;
    pos = e.to;
  }
  out += text.slice(pos);
  return {
    dockerfile: out,
    scripts: [...scripts.values()],
    stages: analysis.stages,
    rewritten,
    insertions,
  };
}

/** The edit that makes a FROM name `image` instead of its base (flags and AS name kept). */
function baseEdit(
  text: string,
  index: LineIndex,
  from: From,
  image: string,
): { from: number; to: number; text: string } {
  const word = from.getArguments()[0]?.getRange();
  if (!word || word.start.line !== word.end.line) {
    throw new Error(`line ${from.getRange().start.line + 1}: cannot replace the image of this FROM`);
  }
  return { from: offsetOf(index, word.start), to: offsetOf(index, word.end), text: image };
}
