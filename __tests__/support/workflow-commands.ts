// Workflow commands in an action's log, as the runner reads them.

/** The `::error` workflow commands of a log, with their properties unescaped. */
export function errorCommands(log: string): { props: Map<string, string>; message: string }[] {
  const unescape = (s: string) =>
    s
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%');
  return log
    .split('\n')
    .map((l) => /^::error (.+?)::(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      props: new Map(
        m[1]!.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), unescape(kv.slice(kv.indexOf('=') + 1))]),
      ),
      message: unescape(m[2]!),
    }));
}
