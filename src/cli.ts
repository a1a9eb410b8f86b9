// The command line: the action's pipeline outside GitHub Actions, and the Dockerfile rewrite on
// its own.
//   node dist/cli/index.js --arch aarch64 --qemu-version 10.2 --qemu-source debian --build false
//   node dist/cli/index.js rewrite --platform linux/arm64 --image IMG --emulator PATH [FILE|-]
// Flags are the action's inputs (names and defaults from action.yml); outputs are printed as
// name=value lines. Whatever the run leaves outside the tool cache is removed before it ends,
// as the action's post step does.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INPUTS, OUTPUTS } from './action-contract.js';
import { removeLeftovers, removePathsSync } from './cleanup.js';
import { rewriteDockerfile } from './dockerfile/rewrite.js';
import { errorMessage, exitStatusOf } from './exit-status.js';
import { FILE_CHECKS, LIST_INPUTS, parseInputs } from './inputs.js';
import { outputsOf, summaryTable } from './outputs.js';
import { runPipeline, type Tracker } from './pipeline.js';
import { exportRunnerDirs, runnerEnv } from './runner.js';
import { setLastResortCleanup } from './util/signals.js';

export const USAGE = `usage: anyarch [--INPUT VALUE]...      run the action's steps here
       anyarch rewrite --platform P --image IMG --emulator PATH [--build-arg K=V]... [FILE|-]

Inputs (see action.yml): ${INPUTS.map((i) => `--${i.name}`).join(' ')}
${[...LIST_INPUTS].map((n) => `--${n}`).join(', ')} may be repeated.
The Actions cache is not used outside GitHub Actions; the tool cache is
\${RUNNER_TOOL_CACHE:-\${ANYARCH_CACHE_DIR:-~/.cache/anyarch-action}/tool-cache}.
Outputs are printed as name=value lines at the end.
`;

export interface CliDeps {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly pipeline: typeof runPipeline;
}

const PROCESS_DEPS: CliDeps = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  pipeline: runPipeline,
};

function rewrite(argv: string[], deps: CliDeps): number {
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
    deps.stderr(USAGE);
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
  deps.stdout(result.dockerfile);
  return 0;
}

async function action(argv: string[], deps: CliDeps): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
  };
  for (const { name } of INPUTS) options[name] = { type: 'string', multiple: LIST_INPUTS.has(name) };
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  if (values['help']) {
    deps.stdout(USAGE);
    return 0;
  }
  const runner = runnerEnv(deps.env);
  exportRunnerDirs(runner, deps.env);
  // An unset flag reads as empty; the parser then uses action.yml's default.
  const inputs = parseInputs(
    (name) => {
      const v = values[name];
      return Array.isArray(v) ? v.join('\n') : typeof v === 'string' ? v : '';
    },
    { workspace: runner.workspace, ...FILE_CHECKS },
  );
  const images: string[] = [];
  const paths: string[] = [];
  const track: Tracker = { image: (r) => void images.push(r), path: (p) => void paths.push(p) };
  setLastResortCleanup(() => removePathsSync(paths));
  const log = {
    info: (m: string) => deps.stdout(`${m}\n`),
    warning: (m: string) => deps.stderr(`warning: ${m}\n`),
  };
  try {
    const r = await deps.pipeline(inputs, runner, track);
    for (const cells of summaryTable(r)) deps.stdout(`${cells.join(' | ')}\n`);
    const outputs = outputsOf(r);
    for (const name of OUTPUTS) deps.stdout(`${name}=${outputs[name]}\n`);
  } finally {
    await removeLeftovers({ images, paths }, log);
  }
  return 0;
}

/** Run the CLI; resolves to its exit status. Errors are printed, never thrown. */
export async function runCli(argv: readonly string[], deps: CliDeps = PROCESS_DEPS): Promise<number> {
  try {
    if (argv[0] === 'rewrite') return rewrite(argv.slice(1), deps);
    return await action([...argv], deps);
  } catch (err) {
    deps.stderr(`error: ${errorMessage(err)}\n`);
    return exitStatusOf(err);
  }
}
