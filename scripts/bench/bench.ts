// `npm run bench`: how long the emulator takes to get, what it costs per exec, and what it adds
// to an image. Prints the machine, then one Markdown table; every time is the median of several
// runs and every comparison is a ratio of two figures measured in this same run.
//
//   npm run bench -- [--runs N] [--compile-runs N] [--only ROW,...] [--series X.Y] [--execs N]
//
// Rows: 1 compile, 2 multi, 3 warm, 4 restore, 5 exec, 6 size (names or numbers for --only).
// Not part of `npm test`. Everything it makes goes into one temporary directory removed at the
// end; compiles never touch the project's caches. Progress goes to stderr, the table to stdout.
//
// The runner it simulates, the paths, the series and the docker helpers are the tests' own
// (__tests__/support/); the npm script compiles this file and them with scripts/bench/tsconfig.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkBinfmt } from '../../__tests__/support/binfmt.js';
import {
  baseTag,
  containerdImageStore,
  imageExists,
  imageSize,
  makeBaseCommand,
} from '../../__tests__/support/docker.js';
import { PROJECT_ROOT, SHARED_TOOL_CACHE } from '../../__tests__/support/project.js';
import { debianTarball, seriesEntry } from '../../__tests__/support/qemu-sources.js';
import {
  cleanEnv,
  mainResult,
  postEnv,
  prepareStep,
  type StepResult,
} from '../../__tests__/support/runner.js';
import { startRegistry, type Registry } from '../../__tests__/support/registry.js';
import { toolCacheEntry } from '../../__tests__/support/tool-cache.js';
import { makeRunnerDirs } from '../../__tests__/support/workspace.js';
import type { SeriesEntry } from '../../src/qemu/series.js';

const ROOT = PROJECT_ROOT;
const HERE = path.join(ROOT, 'scripts', 'bench');
// The bundle to measure: dist/, or DIST_DIR as `npm run bundle` takes it. The bundle finds its
// patches/ and action.yml in the first directory above it that has an action.yml.
const DIST = path.resolve(ROOT, process.env['DIST_DIR'] || 'dist');
const ACTION_ROOT = existsSync(path.join(DIST, '..', 'action.yml')) ? path.dirname(DIST) : ROOT;
const MULTI_ARCHES = ['aarch64', 'arm', 'riscv64'];
const BASE_TAG = 'anyarch-bench/base:arm64';
const SIZE_TAGS = { plain: 'anyarch-bench/size:plain', keep: 'anyarch-bench/size:keep' } as const;
const CACHE_TAG = 'anyarch-bench/cache:latest';
const PLATFORM_TAGS = {
  one: 'anyarch-bench/platforms:one',
  arm64: 'anyarch-bench/platforms:arm64',
  arm: 'anyarch-bench/platforms:arm',
} as const;

const USAGE = `usage: npm run bench -- [options]

  --runs N          runs per figure for the quick rows (default 3); the median is printed
  --compile-runs N  runs per figure for the compile rows 1 and 2 (default: --runs)
  --only ROWS       comma-separated rows to run, by number or name (default: all):
                      1 compile  cold compile of qemu-aarch64: our flags vs a naive build
                      2 multi    aarch64,arm,riscv64 in one build vs three one-arch builds
                      3 warm     the action's main step with a tool-cache hit (build: false)
                      4 restore  Actions cache restore (only the archive extraction is measurable)
                      5 exec     per-exec cost under qemu-aarch64 -execve vs native
                      6 size     bytes the emulator adds to an image, keep-emulator false/true
                      7 cache    rebuild on an empty daemon with cache-from (registry) vs without
                      8 platforms  aarch64,arm in one build vs one build per arch (needs the
                                 containerd image store: DOCKER_HOST=$(scripts/start-dockerd26.sh containerd))
  --series X.Y      QEMU series from patches/series.json (default 10.2)
  --execs N         execs per run in row 5 (default 200)
`;

// ---------------------------------------------------------------- options

interface Options {
  runs: string;
  'compile-runs'?: string;
  only?: string;
  series: string;
  execs: string;
  help?: boolean;
}

let opts: Options;
try {
  opts = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'compile-runs': { type: 'string' },
      only: { type: 'string' },
      series: { type: 'string', default: '10.2' },
      execs: { type: 'string', default: '200' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  }).values as Options;
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
function positiveInt(name: string, v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) {
    process.stderr.write(`bench: --${name} wants a positive integer, got '${v}'\n`);
    process.exit(2);
  }
  return Number(v);
}
const RUNS = positiveInt('runs', opts.runs);
const COMPILE_RUNS = positiveInt('compile-runs', opts['compile-runs'] ?? opts.runs);
const EXECS = positiveInt('execs', opts.execs);

// ---------------------------------------------------------------- helpers

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmtSeconds(s: number): string {
  if (s >= 100) return `${s.toFixed(0)} s`;
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.01) return `${(s * 1000).toFixed(0)} ms`;
  return `${(s * 1000).toFixed(1)} ms`;
}
function fmtMicros(s: number): string {
  const us = s * 1e6;
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}
function fmtBytes(b: number): string {
  const sign = b < 0 ? '-' : '';
  const a = Math.abs(b);
  if (a >= 1 << 20) return `${b} B (${sign}${(a / (1 << 20)).toFixed(2)} MiB)`;
  if (a >= 1 << 10) return `${b} B (${sign}${(a / (1 << 10)).toFixed(1)} KiB)`;
  return `${b} B`;
}
const ratio = (x: number) => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

let temp: string | undefined; // the one temporary directory, made on first use
function tempRoot(): string {
  temp ??= mkdtempSync(path.join(os.tmpdir(), 'anyarch-bench-'));
  return temp;
}
let dirCount = 0;
/** A fresh directory under the temporary root. */
function freshDir(name: string): string {
  const d = path.join(tempRoot(), `${++dirCount}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
}

let current: ChildProcess | undefined; // the running child, stopped on SIGINT/SIGTERM
class CommandFailed extends Error {}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output goes there (appended) instead of into memory. */
  logFile?: string;
  input?: string;
}
interface RunResult {
  readonly code: number;
  readonly seconds: number;
  /** The in-memory output, or the log's tail. */
  readonly output: string;
}

/** Run a command, its output into `logFile` (or kept in memory when none is given). */
function run(
  cmd: string,
  args: readonly string[],
  { cwd = tempRoot(), env = cleanEnv(), logFile, input }: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const fd = logFile ? openSync(logFile, 'a') : undefined;
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', fd ?? 'pipe'],
      detached: true, // its own process group, so an interrupt stops all of it
    });
    current = child;
    let out = '';
    let settled = false;
    const finish = () => {
      if (settled) return false;
      settled = true;
      if (fd !== undefined) closeSync(fd);
      current = undefined;
      return true;
    };
    if (fd === undefined) {
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    }
    if (input !== undefined) child.stdin!.end(input);
    child.on('error', (err) => {
      if (finish()) reject(new CommandFailed(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (!finish()) return;
      if (logFile !== undefined) out = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      resolve({ code: code ?? 128 + (signal ? os.constants.signals[signal] : 0), seconds, output: out });
    });
  });
}

/** run(), failing on a non-zero exit with the output's tail. */
async function mustRun(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new CommandFailed(
      `${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.output.split('\n').slice(-25).join('\n')}`,
    );
  }
  return r;
}

/** The median of `n` timings of `fn` (which returns seconds), after `warmup` untimed calls. */
async function measure(label: string, n: number, fn: () => Promise<number>, warmup = 0): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = await fn();
    xs.push(s);
    log(`  ${label}: run ${i + 1}/${n} ${fmtSeconds(s)}`);
  }
  return median(xs);
}

// ---------------------------------------------------------------- fixtures (made once, on demand)

function once<T>(fn: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = fn();
      made = true;
    }
    return value;
  };
}

const series = once((): SeriesEntry & { patchFile: string } => {
  const s = seriesEntry(opts.series);
  return { ...s, patchFile: path.join(ROOT, 'patches', s.patch) };
});

/** Debian's orig tarball of the series, already on disk: downloads are not part of any figure. */
const sourceTarball = once(async () => {
  const t = debianTarball(series().series);
  if (!existsSync(t.file)) {
    throw new Error(
      `${t.file} is missing; fetch it first: scripts/fetch-qemu-sources.sh ${path.dirname(t.file)}`,
    );
  }
  return t;
});

/**
 * A patched static qemu-aarch64 from the test builds' tool cache (scripts/build-qemu.sh), asked
 * for with the targets the test suite asks for, so that the benchmark leaves that cache as the
 * suite would.
 */
const emulator = once(async () => {
  const out = freshDir('emulator');
  log(
    `getting qemu-aarch64 ${series().version} with scripts/build-qemu.sh (compiles only if its cache lacks it)`,
  );
  await mustRun(
    path.join(ROOT, 'scripts', 'build-qemu.sh'),
    ['--series', series().series, '--targets', 'aarch64,arm', '--out', out],
    {
      env: cleanEnv({ RUNNER_TOOL_CACHE: SHARED_TOOL_CACHE }),
      logFile: path.join(out, '..', 'build-qemu.log'),
    },
  );
  return path.join(out, 'qemu-aarch64');
});

/** A runner's directories for one action step (workspace, RUNNER_TEMP, command files) and its tool cache. */
interface StepDirs {
  readonly base: string;
  readonly workspace: string;
  readonly temp: string;
  readonly files: string;
  readonly toolCache: string;
}
function stepDirs(name: string, toolCache?: string): StepDirs {
  const base = freshDir(name);
  return { base, ...makeRunnerDirs(base), toolCache: toolCache ?? path.join(base, 'tool-cache') };
}

interface ActionStep {
  /** main's run, timed; its output is main's log. */
  readonly main: RunResult;
  readonly post: RunResult;
  /** What main left in its command files. */
  readonly result: StepResult;
}

/** Run the bundle's main and then its post as a runner runs one step (__tests__/support/runner.ts). */
async function actionStep(d: StepDirs, inputs: Record<string, string>): Promise<ActionStep> {
  const step = prepareStep(d, inputs, {
    extraEnv: { RUNNER_TOOL_CACHE: d.toolCache, ANYARCH_CACHE_DIR: path.join(d.base, 'cache') },
    actionRoot: ACTION_ROOT,
    dist: DIST,
  });
  const main = await run(process.execPath, [step.main], { cwd: d.workspace, env: step.processEnv });
  const result = mainResult(step, main.code, main.output);
  const post = await run(process.execPath, [step.post], { cwd: d.workspace, env: postEnv(step, result) });
  return { main, post, result };
}

/**
 * A tool cache of its own that holds the patched qemu-aarch64 where the action looks for it (a
 * hit, as on a runner's second job). Where that is comes from the action itself: one main step
 * against the tool cache scripts/build-qemu.sh filled finds the emulator there, and its
 * "qemu-path" output names the entry (TOOL/VERSION/ARCH) to make in the new one.
 */
const toolCache = once(async () => {
  const emu = await emulator();
  const probe = await actionStep(stepDirs('entry-probe', SHARED_TOOL_CACHE), {
    arch: 'aarch64',
    'qemu-version': series().series,
    'qemu-source': 'debian',
    'install-deps': 'false',
    build: 'false',
  });
  const hit = probe.result.outputs.get('cache-hit');
  if (probe.main.code !== 0 || hit !== 'tool-cache') {
    throw new Error(
      `the probe step found no emulator in ${SHARED_TOOL_CACHE} (cache-hit=${hit}):\n${probe.main.output.slice(-3000)}`,
    );
  }
  const entry = toolCacheEntry(SHARED_TOOL_CACHE, probe.result.outputs.get('qemu-path') ?? '');
  // @actions/tool-cache layout: <root>/<tool>/<version>/<arch>/ plus the "<arch>.complete" marker.
  // Whether the action finds it there is checked by every row that uses it (cache-hit=tool-cache).
  const root = freshDir('tool-cache');
  const dir = path.join(root, entry);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'qemu-aarch64'), readFileSync(emu), { mode: 0o755 });
  writeFileSync(`${dir}.complete`, '');
  return { root, entry };
});

let baseImageCreated = false;
/** A tiny arm64 image (Debian's busybox-static and libc6), made by tests/images/make-base.sh. */
const baseImage = once(async () => {
  if (!imageExists(BASE_TAG)) {
    log(`making ${BASE_TAG} with tests/images/make-base.sh`);
    const [cmd, args] = makeBaseCommand('arm64', BASE_TAG);
    await mustRun(cmd, args);
    baseImageCreated = true;
  }
  return BASE_TAG;
});

interface CliRun {
  readonly seconds: number;
  readonly outputs: Map<string, string>;
  readonly dir: string;
}

/** Run the bundled CLI; resolves to its outputs (name=value lines) and the run's seconds. */
async function cli(
  args: readonly string[],
  { toolCacheDir, cwd, name }: { toolCacheDir?: string; cwd?: string; name: string },
): Promise<CliRun> {
  const d = stepDirs(name, toolCacheDir);
  const r = await run(process.execPath, [path.join(DIST, 'cli', 'index.js'), ...args], {
    cwd: cwd ?? d.workspace,
    env: cleanEnv({
      RUNNER_TOOL_CACHE: d.toolCache,
      RUNNER_TEMP: d.temp,
      ANYARCH_CACHE_DIR: path.join(d.base, 'cache'),
    }),
    logFile: path.join(d.base, 'cli.log'),
  });
  if (r.code !== 0)
    throw new CommandFailed(`node dist/cli/index.js ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  const outputs = new Map<string, string>();
  for (const line of readFileSync(path.join(d.base, 'cli.log'), 'utf8').split('\n')) {
    const m = /^(qemu-version|qemu-path|cache-hit|platform|imageid|digest)=(.*)$/.exec(line);
    if (m) outputs.set(m[1]!, m[2]!);
  }
  return { seconds: r.seconds, outputs, dir: d.base };
}

// ---------------------------------------------------------------- rows

/** One line of the table, with its notes. */
interface RowOut {
  readonly ours: string;
  readonly base: string;
  readonly ratio: string;
  /** Runs per figure; 0 when the row did not run. */
  readonly runs: number;
  readonly notes: readonly string[];
  /** Set when a row gives several lines (5a, 5b). */
  readonly label?: string;
}

/** One cold compile through the action (CLI, local tarball, empty tool cache); seconds. */
async function actionCompile(
  arches: readonly string[],
  name: string,
  sizes?: Record<string, number>,
): Promise<number> {
  const src = await sourceTarball();
  const r = await cli(
    [
      '--arch',
      arches.join(','),
      '--qemu-version',
      series().series,
      '--qemu-source',
      src.file,
      '--qemu-sha256',
      src.sha256,
      '--build',
      'false',
      '--install-deps',
      'false',
      '--cache',
      'false',
    ],
    { name },
  );
  if (r.outputs.get('cache-hit') !== 'false') {
    throw new Error(
      `the action did not compile (cache-hit=${r.outputs.get('cache-hit')}): the figure would not be a compile`,
    );
  }
  if (sizes)
    for (const a of arches) sizes[a] = statSync(path.join(r.outputs.get('qemu-path')!, `qemu-${a}`)).size;
  rmSync(r.dir, { recursive: true, force: true });
  return r.seconds;
}

/** Flags the naive build needs on Debian's repacked tarball, which ours passes too. */
function naiveExtraFlags(version: string): string[] {
  // Debian's "+ds" tarball has neither the firmware blobs (configure stops on the first missing
  // one unless blobs are not installed) nor the meson wheel QEMU >= 8 bundles (configure then
  // needs a python that has a new enough meson: the system one).
  const flags = ['--disable-install-blobs'];
  if (Number(version.split('.')[0]) >= 8) flags.push('--python=/usr/bin/python3');
  return flags;
}

/** One cold naive compile: extract, patch, `../configure --static --target-list=... && make -j`, strip. */
async function naiveCompile(sizes?: Record<string, number>): Promise<number> {
  const src = await sourceTarball();
  const s = series();
  const d = freshDir('naive');
  const logFile = path.join(d, 'build.log');
  const start = process.hrtime.bigint();
  await mustRun('tar', ['-xf', src.file, '-C', d], { logFile });
  const top = path.join(d, `qemu-${s.version}`);
  if (!existsSync(path.join(top, 'configure')))
    throw new Error(`no qemu-${s.version}/configure in ${src.file}`);
  await mustRun('patch', ['-p1', '--fuzz=0', '--no-backup-if-mismatch', '-s', '-d', top, '-i', s.patchFile], {
    logFile,
  });
  const build = path.join(top, 'build');
  mkdirSync(build);
  await mustRun(
    '../configure',
    ['--static', '--target-list=aarch64-linux-user', ...naiveExtraFlags(s.version)],
    { cwd: build, logFile },
  );
  await mustRun('make', [`-j${os.availableParallelism()}`], { cwd: build, logFile });
  await mustRun('strip', ['-o', path.join(d, 'qemu-aarch64'), path.join(build, 'qemu-aarch64')], { logFile });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const help = await run(path.join(d, 'qemu-aarch64'), ['-h']);
  if (!/^\s*-execve\s/m.test(help.output))
    throw new Error('the naive build has no -execve option: the patch did not take');
  if (sizes) sizes['naive'] = statSync(path.join(d, 'qemu-aarch64')).size;
  rmSync(d, { recursive: true, force: true });
  return seconds;
}

async function rowCompile(): Promise<RowOut> {
  const ours: number[] = [];
  const naive: number[] = [];
  const sizes: Record<string, number> = {};
  // Alternate the two so that a change in the machine's load hits both alike.
  for (let i = 0; i < COMPILE_RUNS; i++) {
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: the action, minimal flags`);
    ours.push(await actionCompile(['aarch64'], 'compile-ours', sizes));
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: ours ${fmtSeconds(ours.at(-1)!)}; now the naive build`);
    naive.push(await naiveCompile(sizes));
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: naive ${fmtSeconds(naive.at(-1)!)}`);
  }
  const a = median(ours);
  const b = median(naive);
  return {
    ours: `${fmtSeconds(a)} (the action's flags)`,
    base: `${fmtSeconds(b)} (naive configure + make)`,
    ratio: `${ratio(b / a)} faster`,
    runs: COMPILE_RUNS,
    notes: [
      `source on disk (Debian's ${series().debian.orig}); counted: extract, patch, configure, compile, strip`,
      'ours: `node dist/cli/index.js --arch aarch64 --qemu-source TARBALL --build false` with an empty tool cache ' +
        '(also verifies the sha256 and self-tests the binary)',
      `naive: \`../configure --static --target-list=aarch64-linux-user ${naiveExtraFlags(series().version).join(' ')} && make -j${os.availableParallelism()}\` ` +
        "(the extra flags only make Debian's repacked tarball configure at all)",
      `stripped qemu-aarch64: ${fmtBytes(sizes['aarch64'] ?? 0)} ours, ${fmtBytes(sizes['naive'] ?? 0)} naive`,
      `every run: ours ${ours.map(fmtSeconds).join(', ')}; naive ${naive.map(fmtSeconds).join(', ')}`,
    ],
  };
}

async function rowMulti(): Promise<RowOut> {
  const one: number[] = [];
  const three: number[] = [];
  for (let i = 0; i < COMPILE_RUNS; i++) {
    log(`  multi run ${i + 1}/${COMPILE_RUNS}: one build of ${MULTI_ARCHES.join(',')}`);
    one.push(await actionCompile(MULTI_ARCHES, 'multi-one'));
    log(
      `  multi run ${i + 1}/${COMPILE_RUNS}: one build ${fmtSeconds(one.at(-1)!)}; now three one-arch builds`,
    );
    let sum = 0;
    for (const a of MULTI_ARCHES) {
      const s = await actionCompile([a], `multi-${a}`);
      log(`  multi run ${i + 1}/${COMPILE_RUNS}: ${a} alone ${fmtSeconds(s)}`);
      sum += s;
    }
    three.push(sum);
  }
  const a = median(one);
  const b = median(three);
  return {
    ours: `${fmtSeconds(a)} (one build)`,
    base: `${fmtSeconds(b)} (three one-arch builds)`,
    ratio: `${ratio(b / a)} faster`,
    runs: COMPILE_RUNS,
    notes: [
      `one: \`--arch ${MULTI_ARCHES.join(',')} --build false\` (one configure, one ninja); ` +
        'three: the same action run once per arch, times added up; each a cold compile as in row 1',
      `every run: one ${one.map(fmtSeconds).join(', ')}; three ${three.map(fmtSeconds).join(', ')}`,
    ],
  };
}

async function rowWarm(): Promise<RowOut> {
  const tc = await toolCache();
  const post: number[] = [];
  const step = async () => {
    const d = stepDirs('warm', tc.root);
    const r = await actionStep(d, {
      arch: 'aarch64',
      'qemu-version': series().series,
      'qemu-source': 'debian',
      build: 'false',
    });
    if (r.main.code !== 0)
      throw new CommandFailed(`the action's main step failed:\n${r.main.output.slice(-3000)}`);
    if (r.result.outputs.get('cache-hit') !== 'tool-cache') {
      throw new Error(
        `expected a tool-cache hit, got cache-hit=${r.result.outputs.get('cache-hit')}:\n${r.main.output.slice(-3000)}`,
      );
    }
    if (r.post.code !== 0)
      throw new CommandFailed(`the action's post step failed:\n${r.post.output.slice(-3000)}`);
    post.push(r.post.seconds);
    rmSync(d.base, { recursive: true, force: true });
    return r.main.seconds;
  };
  const s = await measure('warm main step', RUNS, step, 1);
  return {
    ours: `${fmtSeconds(s)} (main step)`,
    base: '',
    ratio: '',
    runs: RUNS,
    notes: [
      '`node dist/main/index.js` with INPUT_* variables as a runner sets them, `build: false`, emulator in the tool cache; ' +
        'the whole step is timed (node start, inputs, version resolution, tool-cache lookup, self-test, outputs). ' +
        'With `build: true` the image build starts after this plus the Docker/buildx detection',
      `post step (cleanup, timed apart): ${fmtSeconds(median(post.slice(-RUNS)))}`,
    ],
  };
}

async function rowRestore(): Promise<RowOut> {
  const emu = await emulator();
  // Lay the files out as the action has them (RUNNER_TEMP/anyarch-qemu-cache) and make the archive
  // as @actions/cache does with zstd: paths relative to the workspace, `tar --posix` piped through zstdmt.
  const d = stepDirs('restore');
  const cacheDir = path.join(d.temp, 'anyarch-qemu-cache');
  mkdirSync(cacheDir);
  writeFileSync(path.join(cacheDir, 'qemu-aarch64'), readFileSync(emu), { mode: 0o755 });
  const archiveDir = path.join(d.base, 'archive');
  mkdirSync(archiveDir);
  writeFileSync(path.join(archiveDir, 'manifest.txt'), path.relative(d.workspace, cacheDir));
  await mustRun(
    'tar',
    [
      '--posix',
      '-cf',
      'cache.tzst',
      '--exclude',
      'cache.tzst',
      '-P',
      '-C',
      d.workspace,
      '--files-from',
      'manifest.txt',
      '--use-compress-program',
      'zstdmt',
    ],
    { cwd: archiveDir },
  );
  const archive = path.join(archiveDir, 'cache.tzst');
  const size = statSync(archive).size;
  const extract = async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const r = await mustRun(
      'tar',
      ['-xf', archive, '-P', '-C', d.workspace, '--use-compress-program', 'unzstd'],
      { cwd: d.workspace },
    );
    if (statSync(path.join(cacheDir, 'qemu-aarch64')).size !== statSync(emu).size)
      throw new Error('extraction produced a different file');
    return r.seconds;
  };
  const s = await measure('cache archive extraction', RUNS, extract, 1);
  rmSync(d.base, { recursive: true, force: true });
  return {
    ours: `n/a (no cache service); extraction only: ${fmtSeconds(s)}`,
    base: '',
    ratio: '',
    runs: RUNS,
    notes: [
      `the Actions cache service is not reachable here, so the download is not measured; the figure is the ` +
        `\`tar -xf cache.tzst -P -C WORKSPACE --use-compress-program unzstd\` a restore runs after it, on the ` +
        `${fmtBytes(size)} archive @actions/cache makes of the emulator (tar --posix | zstdmt)`,
    ],
  };
}

async function rowExec(): Promise<RowOut[]> {
  const emu = await emulator();
  const d = freshDir('exec');
  const guest = path.join(d, 'exec-chain-aarch64');
  const host = path.join(d, 'exec-chain-x86_64');
  const src = path.join(HERE, 'exec-chain.c');
  await mustRun('aarch64-linux-gnu-gcc', ['-O2', '-static', '-o', guest, src]);
  await mustRun('gcc', ['-O2', '-static', '-o', host, src]);
  type How = 'emulated' | 'native';
  const cmd: Record<How, (args: string[]) => [string, string[]]> = {
    emulated: (args) => [emu, ['-execve', emu, guest, ...args]],
    native: (args) => [host, args],
  };
  const time = (how: How, args: string[]) => async () => {
    const [c, a] = cmd[how](args);
    return (await mustRun(c, a, { cwd: d })).seconds;
  };
  const results: Record<string, number> = {};
  const kinds: [string, (n: number) => string[]][] = [
    ['chain', (n) => [String(n)]],
    ['fork', (n) => ['-f', String(n)]],
  ];
  for (const [kind, args] of kinds) {
    for (const how of ['emulated', 'native'] as const) {
      const full = await measure(`${kind} ${how} x${EXECS}`, RUNS, time(how, args(EXECS)), 1);
      const none = await measure(`${kind} ${how} x0`, RUNS, time(how, args(0)), 1);
      results[`${kind}-${how}`] = (full - none) / EXECS;
    }
  }
  rmSync(d, { recursive: true, force: true });
  const line = (kind: string) => ({
    ours: `${fmtMicros(results[`${kind}-emulated`]!)} per exec (qemu-aarch64 -execve)`,
    base: `${fmtMicros(results[`${kind}-native`]!)} (native x86-64)`,
    ratio: `${ratio(results[`${kind}-emulated`]! / results[`${kind}-native`]!)} native`,
  });
  const notes = [
    `a static C program (scripts/bench/exec-chain.c) built for aarch64 and for x86-64; per exec = ` +
      `(median time of ${EXECS} execs - median time of 0) / ${EXECS}; emulated: \`qemu-aarch64 -execve QEMU PROGRAM\`, ` +
      `native: the x86-64 build run directly`,
    `execve chain: the program execs itself ${EXECS} times in one process`,
  ];
  // The suites' own check (tests/lib/no-binfmt.sh): -execve does not use a handler, but say so.
  const binfmt = checkBinfmt(['aarch64']);
  if (binfmt.result === 'found') {
    notes.push(
      `a binfmt_misc handler can run aarch64 programs on this machine (-execve does not use it): ${binfmt.message.split('\n')[0]}`,
    );
  } else if (binfmt.result === 'unknown') {
    notes.push(
      `whether a binfmt_misc handler runs aarch64 programs here is unknown: ${binfmt.message.split('\n')[0]}`,
    );
  }
  return [
    { ...line('chain'), runs: RUNS, label: 'execve chain', notes },
    {
      ...line('fork'),
      runs: RUNS,
      label: 'fork + exec + wait',
      notes: [
        `fork + exec: the program forks ${EXECS} children one after the other, each execs the program, the parent waits`,
      ],
    },
  ];
}

let sizeRowStarted = false;
async function rowSize(): Promise<RowOut> {
  sizeRowStarted = true;
  const tc = await toolCache();
  const base = await baseImage();
  const d = freshDir('size');
  mkdirSync(path.join(d, 'ctx'));
  writeFileSync(path.join(d, 'ctx', 'Dockerfile'), `FROM ${base}\nRUN echo hello > /hello\n`);
  const added: Record<string, number> = {};
  for (const [k, keep] of [
    ['plain', 'false'],
    ['keep', 'true'],
  ] as const) {
    log(`  size: building ${SIZE_TAGS[k]} (keep-emulator ${keep})`);
    const r = await cli(
      [
        '--arch',
        'aarch64',
        '--qemu-version',
        series().series,
        '--qemu-source',
        'debian',
        '--install-deps',
        'false',
        '--context',
        'ctx',
        '--tags',
        SIZE_TAGS[k],
        '--load',
        'true',
        '--keep-emulator',
        keep,
      ],
      { toolCacheDir: tc.root, cwd: d, name: `size-${k}` },
    );
    if (r.outputs.get('cache-hit') !== 'tool-cache')
      throw new Error(`expected a tool-cache hit, got cache-hit=${r.outputs.get('cache-hit')}`);
    added[k] = imageSize(SIZE_TAGS[k]) - imageSize(base);
  }
  const emuSize = statSync(await emulator()).size;
  rmSync(d, { recursive: true, force: true });
  return {
    ours: `+${fmtBytes(added['plain']!)} without keep-emulator`,
    base: `+${fmtBytes(added['keep']!)} with keep-emulator`,
    ratio: `difference ${fmtBytes(added['keep']! - added['plain']!)}`,
    runs: 1,
    notes: [
      `\`FROM ${base}\` + \`RUN echo hello > /hello\` built with the CLI (emulator from the tool cache, --load true); ` +
        `each figure is \`docker image inspect --format {{.Size}}\` minus the base image's; one build each, sizes do not vary. ` +
        `The static qemu-aarch64 file is ${fmtBytes(emuSize)}`,
    ],
  };
}

// Three emulated RUN steps that each do a few seconds of guest work (a shell loop, forks of
// busybox applets), then write a stamp: what a rebuild with a layer cache skips.
const CACHE_DOCKERFILE = (base: string) => `FROM ${base}
RUN i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i | md5sum >/dev/null; done; uname -m > /one
RUN i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i | sha1sum >/dev/null; done; date > /two
RUN i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i | wc -c >/dev/null; done; date > /three
`;

let cacheRowStarted = false;
/** What a fresh runner's daemon has: neither the image nor any build cache. */
async function wipeDaemon(): Promise<void> {
  spawnSync('docker', ['image', 'rm', '--force', CACHE_TAG], { stdio: 'ignore' });
  await mustRun('docker', ['builder', 'prune', '--all', '--force']);
}

async function rowCache(): Promise<RowOut> {
  cacheRowStarted = true;
  const tc = await toolCache();
  const base = await baseImage();
  const d = freshDir('cache');
  mkdirSync(path.join(d, 'ctx'));
  writeFileSync(path.join(d, 'ctx', 'Dockerfile'), CACHE_DOCKERFILE(base));
  let registry: Registry | undefined;
  try {
    registry = await startRegistry();
    const ref = `${registry.host}/anyarch-bench/cache:buildcache`;
    const common = ['--arch', 'aarch64', '--qemu-version', series().series, '--qemu-source', 'debian'];
    const build = (name: string, tag: string, extra: readonly string[]) =>
      cli([...common, '--install-deps', 'false', '--context', 'ctx', '--tags', tag, ...extra], {
        toolCacheDir: tc.root,
        cwd: d,
        name,
      });
    // The cache, as a first CI run leaves it: pushed with the image (inline, which the docker
    // driver can export on either image store).
    log('  cache: priming the registry cache');
    await wipeDaemon();
    await build('cache-prime', ref, ['--push', 'true', '--cache-to', 'type=inline']);
    let i = 0;
    const timed = async (extra: readonly string[]) => {
      await wipeDaemon();
      const r = await build(`cache-${i++}`, CACHE_TAG, ['--load', 'true', ...extra]);
      if (r.outputs.get('cache-hit') !== 'tool-cache')
        throw new Error(`expected a tool-cache hit, got cache-hit=${r.outputs.get('cache-hit')}`);
      return r.seconds;
    };
    const withCache = await measure('cache: rebuild with cache-from', RUNS, () =>
      timed(['--cache-from', `type=registry,ref=${ref}`]),
    );
    const without = await measure('cache: rebuild without a cache', RUNS, () => timed([]));
    return {
      ours: `${fmtSeconds(withCache)} with cache-from`,
      base: `${fmtSeconds(without)} without`,
      ratio: `${(without / withCache).toFixed(1)}x faster`,
      runs: RUNS,
      notes: [
        'cache: three emulated RUN steps of a few seconds each; before every run the image is removed and ' +
          '`docker builder prune --all` empties the build cache, as on a fresh runner; "with" pulls the layers ' +
          'from an inline cache pushed to a loopback registry by an earlier build (the emulator image is written ' +
          'byte for byte the same, so the emulated steps keep their cache keys)',
      ],
    };
  } finally {
    await registry?.stop();
    rmSync(d, { recursive: true, force: true });
  }
}

// Two emulated RUN steps of a few seconds each, from the test base of each target platform.
const PLATFORM_DOCKERFILE = `FROM anyarch-test/base:\${TARGETARCH}
RUN i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i | md5sum >/dev/null; done; uname -m > /m
RUN i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i | sha1sum >/dev/null; done
`;

let platformRowStarted = false;
async function rowPlatforms(): Promise<RowOut> {
  if (!containerdImageStore()) {
    throw new Error(
      'needs a daemon with the containerd image store: DOCKER_HOST=$(scripts/start-dockerd26.sh containerd) npm run bench -- --only platforms',
    );
  }
  platformRowStarted = true;
  await emulator(); // qemu-aarch64 and qemu-arm in the shared tool cache
  for (const deb of ['arm64', 'armhf']) {
    const [cmd, args] = makeBaseCommand(deb, baseTag(deb));
    await mustRun(cmd, args);
  }
  const d = freshDir('platforms');
  mkdirSync(path.join(d, 'ctx'));
  writeFileSync(path.join(d, 'ctx', 'Dockerfile'), PLATFORM_DOCKERFILE);
  const common = ['--qemu-version', series().series, '--qemu-source', 'debian', '--install-deps', 'false'];
  let i = 0;
  const build = async (arch: string, tag: string): Promise<CliRun> => {
    await mustRun('docker', ['builder', 'prune', '--all', '--force']);
    const r = await cli([...common, '--arch', arch, '--context', 'ctx', '--tags', tag, '--load', 'true'], {
      toolCacheDir: SHARED_TOOL_CACHE,
      cwd: d,
      name: `platforms-${i++}`,
    });
    if (r.outputs.get('cache-hit') !== 'tool-cache')
      throw new Error(`expected a tool-cache hit, got cache-hit=${r.outputs.get('cache-hit')}`);
    return r;
  };
  try {
    const one = await measure('platforms: aarch64,arm in one build', RUNS, async () => {
      const r = await build('aarch64,arm', PLATFORM_TAGS.one);
      if (
        !readFileSync(path.join(r.dir, 'cli.log'), 'utf8').includes('One build for linux/arm64, linux/arm/v7')
      )
        throw new Error('the CLI did not build both platforms in one build');
      return r.seconds;
    });
    const each = await measure(
      'platforms: one build per arch',
      RUNS,
      async () =>
        (await build('aarch64', PLATFORM_TAGS.arm64)).seconds +
        (await build('arm', PLATFORM_TAGS.arm)).seconds,
    );
    return {
      ours: `${fmtSeconds(one)} (one build)`,
      base: `${fmtSeconds(each)} (one build per arch, added up)`,
      ratio: `${(each / one).toFixed(2)}× faster`,
      runs: RUNS,
      notes: [
        'platforms: two emulated RUN steps (a shell loop of busybox applets) for linux/arm64 and linux/arm/v7 from ' +
          'the test bases, each build through the CLI with --load on an emptied build cache, on the containerd image ' +
          'store; "one build per arch" is two CLI runs, as the per-arch path builds them one after the other',
      ],
    };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the table

interface Row {
  readonly n: number;
  readonly name: string;
  readonly what: string;
  readonly fn: () => Promise<RowOut | RowOut[]>;
  /** Commands the row runs. */
  readonly needs: readonly string[];
}

const ROWS: readonly Row[] = [
  {
    n: 1,
    name: 'compile',
    what: 'cold compile, qemu-aarch64',
    fn: rowCompile,
    needs: ['tar', 'xz', 'patch', 'make', 'ninja', 'gcc', 'strip'],
  },
  {
    n: 2,
    name: 'multi',
    what: `cold compile, ${MULTI_ARCHES.join(' + ')}`,
    fn: rowMulti,
    needs: ['tar', 'xz', 'patch', 'ninja', 'gcc', 'strip'],
  },
  { n: 3, name: 'warm', what: 'warm path: action step, tool-cache hit', fn: rowWarm, needs: [] },
  {
    n: 4,
    name: 'restore',
    what: 'Actions cache restore',
    fn: rowRestore,
    needs: ['tar', 'zstdmt', 'unzstd'],
  },
  { n: 5, name: 'exec', what: 'per-exec cost', fn: rowExec, needs: ['aarch64-linux-gnu-gcc', 'gcc'] },
  { n: 6, name: 'size', what: 'bytes added to an image', fn: rowSize, needs: ['docker'] },
  {
    n: 7,
    name: 'cache',
    what: 'rebuild on an empty daemon: cache-from vs none',
    fn: rowCache,
    needs: ['docker', 'docker-registry'],
  },
  {
    n: 8,
    name: 'platforms',
    what: 'aarch64 + arm: one build vs one per arch',
    fn: rowPlatforms,
    needs: ['docker'],
  },
];
const PACKAGES: Record<string, string> = {
  xz: 'xz-utils',
  ninja: 'ninja-build',
  strip: 'binutils',
  zstdmt: 'zstd',
  unzstd: 'zstd',
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross',
  docker: 'docker.io',
  'docker-registry': 'docker-registry',
};

function selectedRows(): Row[] {
  if (!opts.only) return [...ROWS];
  const want = opts.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rows: Row[] = [];
  for (const w of want) {
    const r = ROWS.find((x) => String(x.n) === w || x.name === w);
    if (!r) {
      process.stderr.write(
        `bench: unknown row '${w}' (rows: ${ROWS.map((x) => `${x.n} ${x.name}`).join(', ')})\n`,
      );
      process.exit(2);
    }
    if (!rows.includes(r)) rows.push(r);
  }
  return rows.sort((a, b) => a.n - b.n);
}

function machine(): string[] {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const ram = (os.totalmem() / 2 ** 30).toFixed(1);
  const osName = existsSync('/etc/os-release')
    ? (/^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type())
    : os.type();
  const git = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  return [
    `Machine: ${model}, ${os.availableParallelism()} cores, ${ram} GiB RAM; ${osName}, Linux ${os.release()}, node ${process.version}`,
    `QEMU ${series().version} (series ${series().series}); commit ${git.status === 0 ? git.stdout.trim() : 'unknown'}; ` +
      `load average at start ${load}; runs ${RUNS}, compile runs ${COMPILE_RUNS}`,
  ];
}

const cell = (s: string | number) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A row's table lines ("| 5a | … |") and its notes ("5a. …"). */
function tableRows(row: Row, out: readonly RowOut[]): { lines: string[]; notes: string[] } {
  const lines: string[] = [];
  const notes: string[] = [];
  out.forEach((o, i) => {
    const n = out.length > 1 ? `${row.n}${String.fromCharCode(97 + i)}` : String(row.n);
    const what = o.label ? `${row.what}: ${o.label}` : row.what;
    lines.push(
      `| ${n} | ${cell(what)} | ${cell(o.ours)} | ${cell(o.base)} | ${cell(o.ratio)} | ${o.runs || ''} |`,
    );
    for (const note of o.notes) notes.push(`${n}. ${note}`);
  });
  return { lines, notes };
}

interface RowResult {
  readonly row: Row;
  readonly out: readonly RowOut[];
  readonly failed?: boolean;
}

async function main(): Promise<number> {
  const rows = selectedRows();
  for (const f of ['main/index.js', 'post/index.js', 'cli/index.js']) {
    if (!existsSync(path.join(DIST, f)))
      throw new Error(`${path.join(DIST, f)} is missing: run npm run build`);
  }
  const header = machine();
  for (const l of header) log(l);
  const started = Date.now();
  const results: RowResult[] = [];
  for (const row of rows) {
    const missing = row.needs.filter((c) => !have(c));
    if (
      row.needs.includes('docker') &&
      missing.length === 0 &&
      spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0
    ) {
      missing.push('a running dockerd (scripts/start-dockerd.sh)');
    }
    if (missing.length > 0) {
      const pkgs = [...new Set(missing.map((c) => PACKAGES[c] ?? c))].join(' ');
      log(`row ${row.n} (${row.name}) skipped: missing ${missing.join(', ')}`);
      results.push({
        row,
        out: [
          {
            ours: `skipped: missing ${missing.join(', ')} (${pkgs})`,
            base: '',
            ratio: '',
            runs: 0,
            notes: [],
          },
        ],
      });
      continue;
    }
    log(`row ${row.n} (${row.name}): ${row.what}`);
    const t0 = Date.now();
    try {
      const out = await row.fn();
      results.push({ row, out: Array.isArray(out) ? out : [out] });
    } catch (err) {
      const message = (err as Error).message;
      log(`row ${row.n} (${row.name}) failed: ${message}`);
      const first = String(message).split('\n')[0];
      results.push({
        row,
        failed: true,
        out: [{ ours: `failed: ${first}`, base: '', ratio: '', runs: 0, notes: [] }],
      });
    }
    log(`row ${row.n} (${row.name}) took ${fmtSeconds((Date.now() - t0) / 1000)}`);
    // Each row's lines as soon as it is done: a run stopped later keeps what it measured.
    const done = tableRows(row, results.at(-1)!.out);
    for (const l of [...done.lines, ...done.notes]) log(`  ${l}`);
  }

  const lines = [
    ...header,
    '',
    '| # | measurement | anyarch | compared with | ratio | runs |',
    '|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const { row, out } of results) {
    const r = tableRows(row, out);
    lines.push(...r.lines);
    notes.push(...r.notes);
  }
  if (notes.length) lines.push('', ...notes);
  lines.push('', `Total time: ${fmtSeconds((Date.now() - started) / 1000)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return results.some((r) => r.failed || r.out[0]!.runs === 0) ? 1 : 0;
}

// ---------------------------------------------------------------- cleanup

/** Stop the running command: SIGTERM to its process group (ninja and make pass it on), then SIGKILL. */
async function stopCurrent(): Promise<void> {
  const child = current;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([closed, timer])) === 'timeout') {
    signal('SIGKILL');
    await closed;
  }
}

function cleanup(): void {
  if (sizeRowStarted)
    for (const tag of Object.values(SIZE_TAGS))
      spawnSync('docker', ['image', 'rm', '--force', tag], { stdio: 'ignore' });
  if (platformRowStarted)
    for (const tag of Object.values(PLATFORM_TAGS))
      spawnSync('docker', ['image', 'rm', '--force', tag], { stdio: 'ignore' });
  if (cacheRowStarted) spawnSync('docker', ['image', 'rm', '--force', CACHE_TAG], { stdio: 'ignore' });
  if (baseImageCreated) spawnSync('docker', ['image', 'rm', '--force', BASE_TAG], { stdio: 'ignore' });
  if (temp) rmSync(temp, { recursive: true, force: true });
}
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping and removing ${temp ?? 'nothing'}`);
    await stopCurrent();
    cleanup();
    process.exit(128 + os.constants.signals[sig]);
  });
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
} finally {
  cleanup();
}
process.exitCode = code;
