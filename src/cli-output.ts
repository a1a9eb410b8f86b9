// Outside GitHub Actions nothing reads the workflow commands @actions/core prints
// ("::group::Compile", "::debug::…"); the CLI shows them the way a terminal user reads them.

/** Undo @actions/core's escaping of a command's message (%25 last: it may have made the others). */
function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * What to print for one line of output: the line itself unless it is a workflow command;
 * a group as a heading, warnings and errors with their kind, and nothing for group ends,
 * state and masks, or for debug lines unless `debug`.
 */
export function renderWorkflowLine(line: string, debug: boolean): string | undefined {
  const m = /^::([a-z-]+)(?: [^:]*)?::(.*)$/s.exec(line);
  if (!m) return line;
  const cmd = m[1]!;
  const text = unescapeData(m[2]!);
  switch (cmd) {
    case 'group':
      return `==> ${text}`;
    case 'endgroup':
    case 'add-mask':
    case 'save-state':
    case 'set-output':
      return undefined;
    case 'debug':
      return debug ? `debug: ${text}` : undefined;
    case 'warning':
    case 'error':
    case 'notice':
      return `${cmd}: ${text}`;
    default:
      return line;
  }
}

/**
 * renderWorkflowLine for a stream of lines: a stretch fenced by `::stop-commands::TOKEN` and
 * `::TOKEN::` (output that is not ours, see util/exec.ts) is shown as it is, without the fence.
 */
export function workflowLineRenderer(debug: boolean): (line: string) => string | undefined {
  let token: string | undefined;
  return (line) => {
    if (token !== undefined) {
      if (line !== `::${token}::`) return line;
      token = undefined;
      return undefined;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (!stop) return renderWorkflowLine(line, debug);
    token = stop[1];
    return undefined;
  };
}

/** Route process.stdout through workflowLineRenderer (core writes one command per call). */
export function renderWorkflowCommands(debug: boolean): void {
  const render = workflowLineRenderer(debug);
  const write = process.stdout.write.bind(process.stdout) as (
    chunk: string | Uint8Array,
    ...rest: unknown[]
  ) => boolean;
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (typeof chunk !== 'string' || !chunk.startsWith('::')) return write(chunk, ...rest);
    const out = chunk
      .split('\n')
      .filter((l, i, all) => !(l === '' && i === all.length - 1))
      .map(render)
      .filter((l): l is string => l !== undefined);
    const cb = rest.find((r): r is () => void => typeof r === 'function');
    if (out.length === 0) {
      cb?.();
      return true;
    }
    return write(`${out.join('\n')}\n`, ...rest);
  };
}
