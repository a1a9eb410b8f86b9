// Reads one RUN instruction the way BuildKit's Dockerfile parser does, from its physical lines,
// and says what the frontend would execute. Pure; dockerfile.ts turns the result into exec form.
//
// Supported, following BuildKit:
// - Line continuations: a line ending in the escape character (then optional blanks) continues;
//   the escape character and those blanks are removed, the next line is appended as written
//   (its leading blanks kept). Comment lines (blanks then "#") and blank lines inside a
//   continuation are dropped.
// - Flags: leading "--name=value" words (quotes allowed, "--" ends them) are kept verbatim.
// - Exec form: the rest is a JSON array of strings. A JSON array holding a non-string is an
//   error; text that is not valid JSON is shell form.
// - Shell form: the rest, trimmed, is one script for the stage's SHELL.
// - Heredocs (shell form only; the names are those the caller's parser found, in order): the
//   body lines follow the logical line, each heredoc ending at a line equal to its name (for
//   "<<-", after leading tabs). Then:
//   * the command is exactly one heredoc ("RUN <<EOF", "RUN <<-EOF", "RUN <<'EOF'"): its body
//     (leading tabs stripped for "<<-") is the script; if the body starts with "#!", that
//     interpreter runs the body instead (see `shebang`);
//   * anything else ("RUN cat <<EOF >file", "RUN python3 <<EOF", several heredocs): the command
//     line, then each body and its terminator, is handed whole to the shell, which reads the
//     heredocs itself.
//   As in BuildKit the variables in a heredoc are left to the shell. CRLF line ends are read
//   as LF. Not supported: heredoc names the parser does not recognise (e.g. "3<<EOF",
//   quoted names with blanks), which then fail as unknown instructions.

export type RunCommand =
  | { readonly kind: 'exec'; readonly flags: readonly string[]; readonly argv: readonly string[] }
  | { readonly kind: 'shell'; readonly flags: readonly string[]; readonly script: string }
  | {
      readonly kind: 'shebang';
      readonly flags: readonly string[];
      /** Interpreter path and its optional single argument, as Linux splits a "#!" line. */
      readonly interpreter: readonly string[];
      readonly body: string;
    };

export interface HeredocName {
  readonly name: string;
  /** Declared with "<<-": leading tabs are stripped from body lines and the terminator. */
  readonly chomp: boolean;
}

export interface ParsedRun {
  readonly command: RunCommand;
  /** Physical lines the instruction spans, heredoc bodies included. */
  readonly lineCount: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const isCommentLine = (l: string): boolean => /^\s*#/.test(l);
const isBlank = (l: string): boolean => /^\s*$/.test(l);

/**
 * Join the physical lines of one instruction into Docker's logical line.
 * Returns the line and the number of physical lines used.
 */
export function joinContinuations(lines: readonly string[], escape: string): { line: string; used: number } {
  const cont = new RegExp(`${escapeRegExp(escape)}[ \\t]*$`);
  const first = (lines[0] ?? '').replace(/\r$/, '').trimStart();
  if (!cont.test(first)) return { line: first, used: 1 };
  let line = first.replace(cont, '');
  let i = 1;
  for (; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (isCommentLine(raw) || isBlank(raw)) continue;
    if (cont.test(raw)) {
      line += raw.replace(cont, '');
    } else {
      line += raw;
      return { line, used: i + 1 };
    }
  }
  return { line, used: i };
}

/** Split leading --flags off, as BuildKit's extractBuilderFlags does; flags keep their text. */
export function splitFlags(rest: string): { flags: string[]; command: string } {
  const flags: string[] = [];
  let pos = 0;
  const n = rest.length;
  for (;;) {
    while (pos < n && /\s/.test(rest[pos] as string)) pos++;
    if (pos >= n) return { flags, command: '' };
    if (!rest.startsWith('--', pos)) return { flags, command: rest.slice(pos) };
    const start = pos;
    let quote = '';
    for (; pos < n; pos++) {
      const c = rest[pos] as string;
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\') pos++;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '\\') {
        pos++;
      } else if (/\s/.test(c)) {
        break;
      }
    }
    const word = rest.slice(start, Math.min(pos, n));
    if (word === '--') return { flags, command: rest.slice(pos).trimStart() };
    flags.push(word);
  }
}

/** Linux "#!" semantics: the interpreter, then everything else on the line as one argument. */
export function parseShebang(body: string): string[] {
  const firstLine = body.slice(2).split('\n', 1)[0] ?? '';
  const m = /^[ \t]*([^ \t]+)[ \t]*(.*?)[ \t]*$/.exec(firstLine.replace(/\r$/, ''));
  if (!m || !m[1]) throw new Error('heredoc starts with "#!" but names no interpreter');
  return m[2] ? [m[1], m[2]] : [m[1]];
}

const SINGLE_HEREDOC = /^<<(-?)\s*("[^"\s]+"|'[^'\s]+'|[^\s<"']+)$/;

/** The logical line's text after the keyword, trimmed, and the physical lines used. */
export function instructionArgs(lines: readonly string[], escape: string): { args: string; used: number } {
  const { line, used } = joinContinuations(lines, escape);
  // BuildKit: trim the logical line, split the keyword off at the first run of blanks.
  const trimmed = line.trim();
  const sp = /[\t\v\f\r ]+/.exec(trimmed);
  return { args: sp ? trimmed.slice(sp.index + sp[0].length) : '', used };
}

/** A JSON array of strings (exec form), undefined when the text is not JSON at all. */
export function parseJsonArgs(text: string, what: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined; // not JSON: shell form, as in BuildKit
  }
  if (!Array.isArray(json) || !json.every((a) => typeof a === 'string')) {
    throw new Error(`${what} exec form must be a JSON array of strings`);
  }
  if (json.length === 0) throw new Error(`${what} exec form has an empty argument list`);
  return json;
}

export function parseRun(
  lines: readonly string[],
  escape: string,
  heredocs: readonly HeredocName[],
): ParsedRun {
  const { args: rest, used } = instructionArgs(lines, escape);
  const { flags, command } = splitFlags(rest);
  if (command === '') throw new Error('RUN has no command');

  const argv = parseJsonArgs(command, 'RUN');
  if (argv) return { command: { kind: 'exec', flags, argv }, lineCount: used };

  if (heredocs.length === 0 || !command.includes('<<')) {
    return { command: { kind: 'shell', flags, script: command }, lineCount: used };
  }

  // Read each heredoc body after the logical line.
  let i = used;
  const bodies: string[] = [];
  for (const h of heredocs) {
    let content = '';
    let done = false;
    for (; i < lines.length; i++) {
      const raw = (lines[i] as string).replace(/\r$/, '');
      const candidate = h.chomp ? raw.replace(/^\t+/, '') : raw;
      if (candidate === h.name) {
        done = true;
        i++;
        break;
      }
      content += `${raw}\n`;
    }
    if (!done) throw new Error(`unterminated heredoc <<${h.chomp ? '-' : ''}${h.name}`);
    bodies.push(content);
  }

  const single = heredocs.length === 1 ? SINGLE_HEREDOC.exec(command) : null;
  const only = heredocs[0];
  const onlyBody = bodies[0];
  if (single && only && onlyBody !== undefined) {
    const body = only.chomp ? onlyBody.replace(/^\t+/gm, '') : onlyBody;
    // BuildKit tests the unchomped body for "#!".
    if (onlyBody.startsWith('#!')) {
      return { command: { kind: 'shebang', flags, interpreter: parseShebang(body), body }, lineCount: i };
    }
    return { command: { kind: 'shell', flags, script: body }, lineCount: i };
  }

  let full = command;
  heredocs.forEach((h, k) => {
    full += `\n${bodies[k] ?? ''}${h.name}`;
  });
  return { command: { kind: 'shell', flags, script: full }, lineCount: i };
}
