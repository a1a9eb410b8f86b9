// The runner, simulated: one step of the bundled action run as a GitHub runner runs it.
// INPUT_* variables (action.yml's defaults, then the step's inputs), the GITHUB_OUTPUT /
// GITHUB_STATE / GITHUB_STEP_SUMMARY command files, `node dist/main/index.js`, then
// `node dist/post/index.js` with the state main saved as STATE_* variables, whatever main's
// status. Nothing from a calling runner's environment leaks in.
//
// prepareStep, mainResult and postEnv are the runner's rules; runAction runs a step
// synchronously (the tests), and the benchmark runs the same steps with its own timed spawner.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, SHARED_TOOL_CACHE } from './project.js';
import type { RunEnv } from './workspace.js';

/** Input defaults as action.yml under `actionRoot` declares them. */
export function actionDefaults(actionRoot: string = PROJECT_ROOT): Map<string, string> {
  const text = readFileSync(path.join(actionRoot, 'action.yml'), 'utf8');
  const inputs = text.slice(text.indexOf('\ninputs:'), text.indexOf('\noutputs:'));
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of inputs.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (name) current = name[1];
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && current) out.set(current, def[1]!.trim().replace(/^'(.*)'$/, '$1'));
  }
  return out;
}

/** Parse a GITHUB_OUTPUT / GITHUB_STATE file (name<<delimiter blocks, or name=value lines). */
export function parseCommandFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out.set(name!, value.join('\n'));
    } else if (line.includes('=')) {
      out.set(line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1));
    }
  }
  return out;
}

/** This process's environment without anything an Actions runner set (inputs, state, cache service). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(INPUT_|STATE_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) e[k] = v;
  }
  return { ...e, ...extra };
}

/** Where one step's runner directories and command files are, as the action sees them. */
export interface StepPaths {
  readonly workspace: string;
  readonly temp: string;
  readonly toolCache: string;
  readonly output: string;
  readonly state: string;
  readonly summary: string;
}

/**
 * The variables a runner sets for one step of the action: GITHUB_* and RUNNER_* for `paths`, and
 * INPUT_* for every input action.yml under `actionRoot` declares (its default, or `inputs`).
 */
export function stepVariables(
  paths: StepPaths,
  inputs: Record<string, string>,
  actionRoot: string = PROJECT_ROOT,
): Record<string, string> {
  const vars: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: paths.workspace,
    RUNNER_TEMP: paths.temp,
    RUNNER_TOOL_CACHE: paths.toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    GITHUB_OUTPUT: paths.output,
    GITHUB_STATE: paths.state,
    GITHUB_STEP_SUMMARY: paths.summary,
  };
  const values = actionDefaults(actionRoot);
  for (const [k, v] of Object.entries(inputs)) values.set(k, v);
  for (const [k, v] of values) vars[`INPUT_${k.toUpperCase()}`] = v;
  return vars;
}

/** What post gets of the state main saved: STATE_<name> variables. */
export function stateVariables(state: ReadonlyMap<string, string>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of state) vars[`STATE_${k}`] = v;
  return vars;
}

export interface StepOptions {
  /** Added to the step's environment: RUNNER_TOOL_CACHE (default SHARED_TOOL_CACHE), ANYARCH_CACHE_DIR, DOCKER_HOST, ... */
  readonly extraEnv?: Record<string, string>;
  /** Where the action is checked out (its action.yml gives the defaults). */
  readonly actionRoot?: string;
  /** The bundle to run; default <actionRoot>/dist, or for this checkout $ANYARCH_TEST_DIST if set. */
  readonly dist?: string;
}

/** One step's environment and command files, ready for main (and then post) to run with. */
export interface Step {
  readonly env: RunEnv;
  /** The environment main runs with: INPUT_*, GITHUB_OUTPUT, GITHUB_STATE, … */
  readonly processEnv: NodeJS.ProcessEnv;
  /** The scripts the runner starts with node, in the workspace. */
  readonly main: string;
  readonly post: string;
  readonly output: string;
  readonly state: string;
  readonly summary: string;
}

/** What a step left: its exit status and log, outputs, saved state and summary. */
export interface StepResult {
  readonly status: number;
  readonly log: string;
  readonly outputs: Map<string, string>;
  readonly state: Map<string, string>;
  readonly summary: string;
}

export function prepareStep(env: RunEnv, inputs: Record<string, string>, opts: StepOptions = {}): Step {
  const actionRoot = opts.actionRoot ?? PROJECT_ROOT;
  const dist =
    opts.dist ??
    (opts.actionRoot === undefined ? process.env['ANYARCH_TEST_DIST'] : undefined) ??
    path.join(actionRoot, 'dist');
  const extraEnv = opts.extraEnv ?? {};
  const step = mkdtempSync(path.join(env.files, 'step-'));
  const output = path.join(step, 'output');
  const state = path.join(step, 'state');
  const summary = path.join(step, 'summary');
  for (const f of [output, state, summary]) writeFileSync(f, '');
  const toolCache = extraEnv['RUNNER_TOOL_CACHE'] ?? SHARED_TOOL_CACHE;
  const processEnv = cleanEnv({
    ...extraEnv,
    ...stepVariables(
      { workspace: env.workspace, temp: env.temp, toolCache, output, state, summary },
      inputs,
      actionRoot,
    ),
  });
  return {
    env,
    processEnv,
    main: path.join(dist, 'main', 'index.js'),
    post: path.join(dist, 'post', 'index.js'),
    output,
    state,
    summary,
  };
}

/** What main left, read from the step's command files. */
export function mainResult(step: Step, status: number, log: string): StepResult {
  return {
    status,
    log,
    outputs: parseCommandFile(readFileSync(step.output, 'utf8')),
    state: parseCommandFile(readFileSync(step.state, 'utf8')),
    summary: readFileSync(step.summary, 'utf8'),
  };
}

/** The environment post runs with: main's, plus the state main saved as STATE_* (and an empty GITHUB_OUTPUT). */
export function postEnv(step: Step, main: StepResult): NodeJS.ProcessEnv {
  writeFileSync(step.output, '');
  return { ...step.processEnv, ...stateVariables(main.state) };
}

function runNode(script: string, env: NodeJS.ProcessEnv, cwd: string): { status: number; log: string } {
  const r = spawnSync(process.execPath, [script], { env, cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, log: `${r.stdout}${r.stderr}` };
}

/** Run post with the state main saved, as the runner does after main, whatever its status. */
export function runPost(step: Step, main: StepResult): StepResult {
  const p = runNode(step.post, postEnv(step, main), step.env.workspace);
  return { status: p.status, log: p.log, outputs: new Map(), state: new Map(), summary: '' };
}

export interface ActionRun {
  readonly main: StepResult;
  readonly post: StepResult;
}

/** Run main then post, as a runner does for one step. */
export function runAction(env: RunEnv, inputs: Record<string, string>, opts: StepOptions = {}): ActionRun {
  const step = prepareStep(env, inputs, opts);
  const m = runNode(step.main, step.processEnv, env.workspace);
  const main = mainResult(step, m.status, m.log);
  return { main, post: runPost(step, main) };
}

/** The step's error (what core.setFailed printed), unescaped. */
export function stepError(step: StepResult): string {
  return step.log
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .map((l) => l.slice('::error::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
    .join('\n');
}

/** Images main recorded in its state for post to remove. */
export function createdImages(main: Pick<StepResult, 'state'>): string[] {
  return JSON.parse(main.state.get('anyarch-images') ?? '[]') as string[];
}

/** main as a child process the caller can await while it does other things; then post. */
export function startMain(
  env: RunEnv,
  inputs: Record<string, string>,
  opts: StepOptions = {},
): { step: Step; done: Promise<StepResult> } {
  const step = prepareStep(env, inputs, opts);
  const child = spawn(process.execPath, [step.main], { env: step.processEnv, cwd: env.workspace });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const done = new Promise<StepResult>((resolve) =>
    child.on('close', (code) => resolve(mainResult(step, code ?? -1, log))),
  );
  return { step, done };
}
