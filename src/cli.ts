// Command-line entry point: the action's pipeline outside GitHub Actions, and the Dockerfile
// rewrite on its own.
//   node dist/cli/index.js --arch aarch64 --qemu-version 10.2 --qemu-source debian --build false
//   node dist/cli/index.js rewrite --platform linux/arm64 --image IMG --emulator PATH [FILE|-]
// Flags are named like the action's inputs; outputs are printed as name=value lines.
// Whatever the run leaves outside the tool cache is removed before exiting, as post.ts does.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { removeLeftovers } from './cleanup.js';
import { renderWorkflowCommands } from './cli-output.js';
import { rewriteDockerfile } from './docker/dockerfile.js';
import { GuestScriptError } from './docker/guest-run.js';
import { CLI_DEFAULTS, INPUT_NAMES, MULTI } from './cli-inputs.js';
import { FILE_CHECKS, parseInputs } from './inputs.js';
import { runPipeline, type Tracker } from './pipeline.js';
import { exportRunnerDirs, runnerEnv } from './runner.js';
import { summaryCells, SUMMARY_HEADER } from './summary.js';
import { forwardSignalsToChildren, signalExitCode } from './util/signals.js';

const USAGE = `usage: anyarch [--INPUT VALUE]...      run the action's steps here
       anyarch rewrite --platform P --image IMG --emulator PATH [--build-arg K=V]... [FILE|-]

Inputs (see action.yml): ${INPUT_NAMES.map((n) => `--${n}`).join(' ')}
--tags, --build-args, --labels and --arch may be repeated.
The Actions cache is not used outside GitHub Actions; the tool cache is
\${RUNNER_TOOL_CACHE:-\${ANYARCH_CACHE_DIR:-~/.cache/anyarch-action}/tool-cache}.
Outputs are printed as name=value lines at the end.
`;

function rewrite(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      platform: { type: 'string' },
      'host-platform': { type: 'string' },
      image: { type: 'string' },
      emulator: { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
    },
  });
  const [file] = positionals;
  if (!values.platform || !values.image || !values.emulator) {
    process.stderr.write(USAGE);
    return 2;
  }
  const buildArgs = new Map<string, string>();
  for (const kv of values['build-arg'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) buildArgs.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  const result = rewriteDockerfile(text, {
    guestPlatform: values.platform,
    ...(values['host-platform'] ? { hostPlatform: values['host-platform'] } : {}),
    emulatorImage: values.image,
    emulatorPath: values.emulator,
    buildArgs,
  });
  process.stdout.write(result.dockerfile);
  return 0;
}

async function action(argv: string[]): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const n of INPUT_NAMES) options[n] = MULTI.has(n) ? { type: 'string', multiple: true } : { type: 'string' };
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  if (values['help']) {
    process.stdout.write(USAGE);
    return 0;
  }
  const get = (name: string): string => {
    const v = values[name];
    if (Array.isArray(v)) return v.join('\n');
    if (typeof v === 'string') return v;
    return CLI_DEFAULTS[name] ?? '';
  };
  const runner = runnerEnv();
  exportRunnerDirs(runner);
  const inputs = parseInputs(get, { workspace: runner.workspace, ...FILE_CHECKS });
  const images: string[] = [];
  const paths: string[] = [];
  const track: Tracker = { image: (r) => void images.push(r), path: (p) => void paths.push(p) };
  try {
    const r = await runPipeline(inputs, runner, track);
    process.stdout.write(`${SUMMARY_HEADER.join(' | ')}\n`);
    for (const row of r.rows) process.stdout.write(`${summaryCells(row).join(' | ')}\n`);
    const outputs: [string, string][] = [
      ['qemu-version', r.qemu.version],
      ['qemu-path', r.emulator?.dir ?? ''],
      ['cache-hit', r.emulator?.cacheHit ?? 'false'],
      ['platform', r.platforms.join(',')],
      ['imageid', r.imageid],
      ['digest', r.digest],
      ['images', JSON.stringify(r.images)],
    ];
    for (const [k, v] of outputs) process.stdout.write(`${k}=${v}\n`);
  } finally {
    await removeLeftovers({ images, paths });
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'rewrite') return rewrite(argv.slice(1));
  return action(argv);
}

// Inside Actions (a run: step) the runner reads the workflow commands; anywhere else they are
// shown as headings and "warning:" lines, and debug lines only with RUNNER_DEBUG=1.
if (process.env['GITHUB_ACTIONS'] !== 'true') renderWorkflowCommands(process.env['RUNNER_DEBUG'] === '1');
// Ctrl-C stops the compile and still removes the temp dir (the finally above).
forwardSignalsToChildren((msg) => process.stderr.write(`${msg}\n`));
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = signalExitCode() ?? (err instanceof GuestScriptError ? err.exitCode : 1);
}
