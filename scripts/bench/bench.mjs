#!/usr/bin/env node
// `npm run bench`: how long the emulator takes to get, what it costs per exec, and what it adds
// to an image. Prints the machine, then one Markdown table; every time is the median of several
// runs and every comparison is a ratio of two figures measured in this same run.
//
//   npm run bench -- [--runs N] [--compile-runs N] [--only ROW,...] [--series X.Y] [--execs N]
//
// Rows: 1 compile, 2 multi, 3 warm, 4 restore, 5 exec, 6 size (names or numbers for --only).
// Not part of `npm test`. Everything it makes goes into one temporary directory removed at the
// end; compiles never touch the project's caches. Progress goes to stderr, the table to stdout.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HERE = path.join(ROOT, 'scripts', 'bench');
// The bundle to measure: dist/, or DIST_DIR as `npm run bundle` takes it. The bundle finds its
// patches/ and action.yml in the first directory above it that has an action.yml.
const DIST = path.resolve(ROOT, process.env.DIST_DIR || 'dist');
const ACTION_ROOT = existsSync(path.join(DIST, '..', 'action.yml')) ? path.dirname(DIST) : ROOT;
const CACHE_BASE = process.env.ANYARCH_CACHE_DIR || path.join(os.homedir(), '.cache', 'anyarch-action');
const MULTI_ARCHES = ['aarch64', 'arm', 'riscv64'];
const BASE_TAG = 'anyarch-bench/base:arm64';
const SIZE_TAGS = { plain: 'anyarch-bench/size:plain', keep: 'anyarch-bench/size:keep' };

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
  --series X.Y      QEMU series from patches/series.json (default 10.2)
  --execs N         execs per run in row 5 (default 200)
`;

// ---------------------------------------------------------------- options

let opts;
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
  }).values;
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
function positiveInt(name, v) {
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

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Median of a non-empty list. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtSeconds(s) {
  if (s >= 100) return `${s.toFixed(0)} s`;
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.01) return `${(s * 1000).toFixed(0)} ms`;
  return `${(s * 1000).toFixed(1)} ms`;
}
function fmtMicros(s) {
  const us = s * 1e6;
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}
function fmtBytes(b) {
  const sign = b < 0 ? '-' : '';
  const a = Math.abs(b);
  if (a >= 1 << 20) return `${b} B (${sign}${(a / (1 << 20)).toFixed(2)} MiB)`;
  if (a >= 1 << 10) return `${b} B (${sign}${(a / (1 << 10)).toFixed(1)} KiB)`;
  return `${b} B`;
}
const ratio = (x) => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;

function have(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

let temp; // the one temporary directory, made on first use
function tempRoot() {
  temp ??= mkdtempSync(path.join(os.tmpdir(), 'anyarch-bench-'));
  return temp;
}
let dirCount = 0;
/** A fresh directory under the temporary root. */
function freshDir(name) {
  const d = path.join(tempRoot(), `${++dirCount}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** The environment of a command the benchmark starts: nothing from an Actions runner leaks in. */
function cleanEnv(extra = {}) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(INPUT_|STATE_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) e[k] = v;
  }
  return { ...e, ...extra };
}

let current; // the running child, stopped on SIGINT/SIGTERM
class CommandFailed extends Error {}

/**
 * Run a command, its output into `logFile` (or kept in memory when none is given). Resolves to
 * { code, seconds, output } where `output` is the in-memory output or the log's tail.
 */
function run(cmd, args, { cwd = tempRoot(), env = cleanEnv(), logFile, input } = {}) {
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
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    if (input !== undefined) child.stdin.end(input);
    child.on('error', (err) => {
      if (finish()) reject(new CommandFailed(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (!finish()) return;
      if (fd !== undefined) out = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      resolve({ code: code ?? 128 + (os.constants.signals[signal] ?? 0), seconds, output: out });
    });
  });
}

/** run(), failing on a non-zero exit with the output's tail. */
async function mustRun(cmd, args, o = {}) {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new CommandFailed(`${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.output.split('\n').slice(-25).join('\n')}`);
  }
  return r;
}

/** The median of `n` timings of `fn` (which returns seconds), after `warmup` untimed calls. */
async function measure(label, n, fn, warmup = 0) {
  for (let i = 0; i < warmup; i++) await fn();
  const xs = [];
  for (let i = 0; i < n; i++) {
    const s = await fn();
    xs.push(s);
    log(`  ${label}: run ${i + 1}/${n} ${fmtSeconds(s)}`);
  }
  return median(xs);
}

// ---------------------------------------------------------------- fixtures (made once, on demand)

const once = (fn) => {
  let p;
  return () => (p ??= fn());
};

const series = once(() => {
  const all = JSON.parse(readFileSync(path.join(ROOT, 'patches', 'series.json'), 'utf8')).series;
  const s = all[opts.series];
  if (!s) throw new Error(`unknown series ${opts.series} (patches/series.json has ${Object.keys(all).join(', ')})`);
  return { series: opts.series, version: s.version, patch: path.join(ROOT, 'patches', s.patch), debian: s.debian };
});

/** Debian's orig tarball of the series, already on disk: downloads are not part of any figure. */
const sourceTarball = once(async () => {
  const s = series();
  const file = path.join(CACHE_BASE, 'sources', s.debian.orig);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing; fetch it first: scripts/fetch-qemu-sources.sh ${path.dirname(file)}`);
  }
  return { file, sha256: s.debian.sha256 };
});

/**
 * A patched static qemu-aarch64 from the test builds' cache (scripts/build-qemu.sh). Asked for
 * with the targets the test suite asks for, so that the benchmark never leaves that cache in a
 * state the suite would not: an entry made for aarch64 alone could shadow the suite's
 * aarch64,arm one in a cache whose key does not name the targets.
 */
const emulator = once(async () => {
  const out = freshDir('emulator');
  log(`getting qemu-aarch64 ${series().version} with scripts/build-qemu.sh (compiles only if its cache lacks it)`);
  await mustRun(path.join(ROOT, 'scripts', 'build-qemu.sh'), ['--series', series().series, '--targets', 'aarch64,arm', '--out', out], {
    logFile: path.join(out, '..', 'build-qemu.log'),
  });
  return path.join(out, 'qemu-aarch64');
});

/** A runner's directories for one action step: workspace, RUNNER_TEMP and the command files. */
function stepDirs(name, toolCache) {
  const base = freshDir(name);
  const d = { base, workspace: path.join(base, 'workspace'), temp: path.join(base, 'runner-temp'), files: path.join(base, 'files') };
  for (const p of [d.workspace, d.temp, d.files]) mkdirSync(p, { recursive: true });
  d.toolCache = toolCache ?? path.join(base, 'tool-cache');
  return d;
}

/** action.yml's input defaults, as a runner applies them. */
const actionDefaults = once(() => {
  const text = readFileSync(path.join(ACTION_ROOT, 'action.yml'), 'utf8');
  const inputs = text.slice(text.indexOf('\ninputs:'), text.indexOf('\noutputs:'));
  const out = new Map();
  let cur;
  for (const line of inputs.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (name) cur = name[1];
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && cur) out.set(cur, def[1].trim().replace(/^'(.*)'$/, '$1'));
  }
  return out;
});

/** Run dist/main (and then dist/post, untimed unless asked) as a runner runs one step. */
async function actionStep(d, inputs) {
  const files = mkdtempSync(path.join(d.files, 'step-'));
  const f = { output: path.join(files, 'output'), state: path.join(files, 'state'), summary: path.join(files, 'summary') };
  for (const p of Object.values(f)) writeFileSync(p, '');
  const env = cleanEnv({
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: d.workspace,
    GITHUB_OUTPUT: f.output,
    GITHUB_STATE: f.state,
    GITHUB_STEP_SUMMARY: f.summary,
    RUNNER_TEMP: d.temp,
    RUNNER_TOOL_CACHE: d.toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    ANYARCH_CACHE_DIR: path.join(d.base, 'cache'),
  });
  const values = new Map(actionDefaults());
  for (const [k, v] of Object.entries(inputs)) values.set(k, v);
  for (const [k, v] of values) env[`INPUT_${k.toUpperCase()}`] = v;
  const main = await run(process.execPath, [path.join(DIST, 'main', 'index.js')], { cwd: d.workspace, env });
  const readFile = (p) => {
    const m = new Map();
    const lines = readFileSync(p, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const h = /^([^=<]+)<<(.+)$/.exec(lines[i]);
      if (h) {
        const v = [];
        for (i++; i < lines.length && lines[i] !== h[2]; i++) v.push(lines[i]);
        m.set(h[1], v.join('\n'));
      } else if (lines[i].includes('=')) m.set(lines[i].slice(0, lines[i].indexOf('=')), lines[i].slice(lines[i].indexOf('=') + 1));
    }
    return m;
  };
  const outputs = readFile(f.output);
  const postEnv = { ...env };
  for (const [k, v] of readFile(f.state)) postEnv[`STATE_${k}`] = v;
  const post = await run(process.execPath, [path.join(DIST, 'post', 'index.js')], { cwd: d.workspace, env: postEnv });
  return { main, post, outputs };
}

/**
 * A tool cache that holds the patched qemu-aarch64 under the action's own key, so that the
 * action finds it there (a hit, as on a runner's second job). The key is the one the action
 * itself logs: one main step with a source that does not exist stops right after logging it.
 */
const toolCache = once(async () => {
  const emu = await emulator();
  const d = stepDirs('key-probe');
  // An empty "tarball" pinned to a hash it does not have: the step logs the key, misses the
  // (empty) tool cache, and stops at the hash check, before anything is compiled.
  const fake = path.join(d.base, 'not-a-source.tar.xz');
  writeFileSync(fake, '');
  const r = await actionStep(d, {
    arch: 'aarch64',
    'qemu-version': series().series,
    'qemu-source': fake,
    'qemu-sha256': '0'.repeat(64),
    'install-deps': 'false',
    build: 'false',
  });
  if (r.main.code === 0) throw new Error('the key probe step succeeded: it should have stopped at the hash check');
  // The key is TOOL-VERSION-OS-ARCH-DIGEST16; the tool-cache entry is TOOL/VERSION-hDIGEST16/ARCH.
  const m = /Emulator cache key ((anyarch-qemu\S*?)-(\d+\.\d+\.\d+)-([a-z0-9]+)-([a-z0-9]+)-([0-9a-f]{16}))\b/.exec(r.main.output);
  if (!m) throw new Error(`the action logged no emulator cache key:\n${r.main.output.slice(-3000)}`);
  const [, key, tool, version, , arch, short] = m;
  // @actions/tool-cache layout: <root>/<tool>/<version>/<arch>/ plus the "<arch>.complete" marker.
  // Whether the action finds it there is checked by every row that uses it (cache-hit=tool-cache).
  const root = freshDir('tool-cache');
  const dir = path.join(root, tool, `${version}-h${short}`, arch);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'qemu-aarch64'), readFileSync(emu), { mode: 0o755 });
  writeFileSync(`${dir}.complete`, '');
  return { root, key };
});

let baseImageCreated = false;
/** A tiny arm64 image (Debian's busybox-static and libc6), made by tests/images/make-base.sh. */
const baseImage = once(async () => {
  const exists = spawnSync('docker', ['image', 'inspect', BASE_TAG], { stdio: 'ignore' }).status === 0;
  if (!exists) {
    log(`making ${BASE_TAG} with tests/images/make-base.sh`);
    await mustRun(path.join(ROOT, 'tests', 'images', 'make-base.sh'), ['arm64', BASE_TAG]);
    baseImageCreated = true;
  }
  return BASE_TAG;
});

/** Run the bundled CLI; resolves to its outputs (name=value lines) and the run's seconds. */
async function cli(args, { toolCacheDir, cwd, name }) {
  const d = stepDirs(name, toolCacheDir);
  const r = await run(process.execPath, [path.join(DIST, 'cli', 'index.js'), ...args], {
    cwd: cwd ?? d.workspace,
    env: cleanEnv({ RUNNER_TOOL_CACHE: d.toolCache, RUNNER_TEMP: d.temp, ANYARCH_CACHE_DIR: path.join(d.base, 'cache') }),
    logFile: path.join(d.base, 'cli.log'),
  });
  if (r.code !== 0) throw new CommandFailed(`node dist/cli/index.js ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  const outputs = new Map();
  for (const line of readFileSync(path.join(d.base, 'cli.log'), 'utf8').split('\n')) {
    const m = /^(qemu-version|qemu-path|cache-hit|platform|imageid|digest)=(.*)$/.exec(line);
    if (m) outputs.set(m[1], m[2]);
  }
  return { seconds: r.seconds, outputs, dir: d.base };
}

// ---------------------------------------------------------------- rows

/** One cold compile through the action (CLI, local tarball, empty tool cache); seconds. */
async function actionCompile(arches, name, sizes) {
  const src = await sourceTarball();
  const r = await cli(
    ['--arch', arches.join(','), '--qemu-version', series().series, '--qemu-source', src.file, '--qemu-sha256', src.sha256,
      '--build', 'false', '--install-deps', 'false', '--cache', 'false'],
    { name },
  );
  if (r.outputs.get('cache-hit') !== 'false') {
    throw new Error(`the action did not compile (cache-hit=${r.outputs.get('cache-hit')}): the figure would not be a compile`);
  }
  if (sizes) for (const a of arches) sizes[a] = statSync(path.join(r.outputs.get('qemu-path'), `qemu-${a}`)).size;
  rmSync(r.dir, { recursive: true, force: true });
  return r.seconds;
}

/** Flags the naive build needs on Debian's repacked tarball, which ours passes too. */
function naiveExtraFlags(version) {
  // Debian's "+ds" tarball has neither the firmware blobs (configure stops on the first missing
  // one unless blobs are not installed) nor the meson wheel QEMU >= 8 bundles (configure then
  // needs a python that has a new enough meson: the system one).
  const flags = ['--disable-install-blobs'];
  if (Number(version.split('.')[0]) >= 8) flags.push('--python=/usr/bin/python3');
  return flags;
}

/** One cold naive compile: extract, patch, `../configure --static --target-list=... && make -j`, strip. */
async function naiveCompile(sizes) {
  const src = await sourceTarball();
  const s = series();
  const d = freshDir('naive');
  const logFile = path.join(d, 'build.log');
  const start = process.hrtime.bigint();
  await mustRun('tar', ['-xf', src.file, '-C', d], { logFile });
  const top = path.join(d, `qemu-${s.version}`);
  if (!existsSync(path.join(top, 'configure'))) throw new Error(`no qemu-${s.version}/configure in ${src.file}`);
  await mustRun('patch', ['-p1', '--fuzz=0', '--no-backup-if-mismatch', '-s', '-d', top, '-i', s.patch], { logFile });
  const build = path.join(top, 'build');
  mkdirSync(build);
  await mustRun('../configure', ['--static', '--target-list=aarch64-linux-user', ...naiveExtraFlags(s.version)], { cwd: build, logFile });
  await mustRun('make', [`-j${os.availableParallelism()}`], { cwd: build, logFile });
  await mustRun('strip', ['-o', path.join(d, 'qemu-aarch64'), path.join(build, 'qemu-aarch64')], { logFile });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const help = await run(path.join(d, 'qemu-aarch64'), ['-h']);
  if (!/^\s*-execve\s/m.test(help.output)) throw new Error('the naive build has no -execve option: the patch did not take');
  if (sizes) sizes.naive = statSync(path.join(d, 'qemu-aarch64')).size;
  rmSync(d, { recursive: true, force: true });
  return seconds;
}

async function rowCompile() {
  const ours = [];
  const naive = [];
  const sizes = {};
  // Alternate the two so that a change in the machine's load hits both alike.
  for (let i = 0; i < COMPILE_RUNS; i++) {
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: the action, minimal flags`);
    ours.push(await actionCompile(['aarch64'], 'compile-ours', sizes));
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: ours ${fmtSeconds(ours.at(-1))}; now the naive build`);
    naive.push(await naiveCompile(sizes));
    log(`  compile run ${i + 1}/${COMPILE_RUNS}: naive ${fmtSeconds(naive.at(-1))}`);
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
        '(the extra flags only make Debian\'s repacked tarball configure at all)',
      `stripped qemu-aarch64: ${fmtBytes(sizes.aarch64)} ours, ${fmtBytes(sizes.naive)} naive`,
      `every run: ours ${ours.map(fmtSeconds).join(', ')}; naive ${naive.map(fmtSeconds).join(', ')}`,
    ],
  };
}

async function rowMulti() {
  const one = [];
  const three = [];
  for (let i = 0; i < COMPILE_RUNS; i++) {
    log(`  multi run ${i + 1}/${COMPILE_RUNS}: one build of ${MULTI_ARCHES.join(',')}`);
    one.push(await actionCompile(MULTI_ARCHES, 'multi-one'));
    log(`  multi run ${i + 1}/${COMPILE_RUNS}: one build ${fmtSeconds(one.at(-1))}; now three one-arch builds`);
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

async function rowWarm() {
  const tc = await toolCache();
  const post = [];
  const step = async () => {
    const d = stepDirs('warm', tc.root);
    const r = await actionStep(d, { arch: 'aarch64', 'qemu-version': series().series, 'qemu-source': 'debian', build: 'false' });
    if (r.main.code !== 0) throw new CommandFailed(`the action's main step failed:\n${r.main.output.slice(-3000)}`);
    if (r.outputs.get('cache-hit') !== 'tool-cache') {
      throw new Error(`expected a tool-cache hit, got cache-hit=${r.outputs.get('cache-hit')}:\n${r.main.output.slice(-3000)}`);
    }
    if (r.post.code !== 0) throw new CommandFailed(`the action's post step failed:\n${r.post.output.slice(-3000)}`);
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

async function rowRestore() {
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
  await mustRun('tar', ['--posix', '-cf', 'cache.tzst', '--exclude', 'cache.tzst', '-P', '-C', d.workspace,
    '--files-from', 'manifest.txt', '--use-compress-program', 'zstdmt'], { cwd: archiveDir });
  const archive = path.join(archiveDir, 'cache.tzst');
  const size = statSync(archive).size;
  const extract = async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const r = await mustRun('tar', ['-xf', archive, '-P', '-C', d.workspace, '--use-compress-program', 'unzstd'], { cwd: d.workspace });
    if (statSync(path.join(cacheDir, 'qemu-aarch64')).size !== statSync(emu).size) throw new Error('extraction produced a different file');
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

async function rowExec() {
  const emu = await emulator();
  const d = freshDir('exec');
  const guest = path.join(d, 'exec-chain-aarch64');
  const host = path.join(d, 'exec-chain-x86_64');
  const src = path.join(HERE, 'exec-chain.c');
  await mustRun('aarch64-linux-gnu-gcc', ['-O2', '-static', '-o', guest, src]);
  await mustRun('gcc', ['-O2', '-static', '-o', host, src]);
  const cmd = {
    emulated: (args) => [emu, ['-execve', emu, guest, ...args]],
    native: (args) => [host, args],
  };
  const time = (how, args) => async () => {
    const [c, a] = cmd[how](args);
    return (await mustRun(c, a, { cwd: d })).seconds;
  };
  const results = {};
  for (const [kind, args] of [['chain', (n) => [String(n)]], ['fork', (n) => ['-f', String(n)]]]) {
    for (const how of ['emulated', 'native']) {
      const full = await measure(`${kind} ${how} x${EXECS}`, RUNS, time(how, args(EXECS)), 1);
      const none = await measure(`${kind} ${how} x0`, RUNS, time(how, args(0)), 1);
      results[`${kind}-${how}`] = (full - none) / EXECS;
    }
  }
  rmSync(d, { recursive: true, force: true });
  const line = (kind) => ({
    ours: `${fmtMicros(results[`${kind}-emulated`])} per exec (qemu-aarch64 -execve)`,
    base: `${fmtMicros(results[`${kind}-native`])} (native x86-64)`,
    ratio: `${ratio(results[`${kind}-emulated`] / results[`${kind}-native`])} native`,
  });
  const notes = [
    `a static C program (scripts/bench/exec-chain.c) built for aarch64 and for x86-64; per exec = ` +
      `(median time of ${EXECS} execs - median time of 0) / ${EXECS}; emulated: \`qemu-aarch64 -execve QEMU PROGRAM\`, ` +
      `native: the x86-64 build run directly`,
    `execve chain: the program execs itself ${EXECS} times in one process`,
  ];
  if (existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) {
    notes.push('a binfmt_misc handler for aarch64 is registered on this machine (-execve does not use it)');
  }
  return [
    { ...line('chain'), runs: RUNS, label: 'execve chain', notes },
    { ...line('fork'), runs: RUNS, label: 'fork + exec + wait', notes: [
      `fork + exec: the program forks ${EXECS} children one after the other, each execs the program, the parent waits`,
    ] },
  ];
}

let sizeRowStarted = false;
async function rowSize() {
  sizeRowStarted = true;
  const tc = await toolCache();
  const base = await baseImage();
  const d = freshDir('size');
  mkdirSync(path.join(d, 'ctx'));
  writeFileSync(path.join(d, 'ctx', 'Dockerfile'), `FROM ${base}\nRUN echo hello > /hello\n`);
  const sizeOf = (ref) => {
    const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Size}}', ref], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker image inspect ${ref}: ${r.stderr}`);
    return Number(r.stdout.trim());
  };
  const added = {};
  for (const [k, keep] of [['plain', 'false'], ['keep', 'true']]) {
    log(`  size: building ${SIZE_TAGS[k]} (keep-emulator ${keep})`);
    const r = await cli(
      ['--arch', 'aarch64', '--qemu-version', series().series, '--qemu-source', 'debian', '--install-deps', 'false',
        '--context', 'ctx', '--tags', SIZE_TAGS[k], '--load', 'true', '--keep-emulator', keep],
      { toolCacheDir: tc.root, cwd: d, name: `size-${k}` },
    );
    if (r.outputs.get('cache-hit') !== 'tool-cache') throw new Error(`expected a tool-cache hit, got cache-hit=${r.outputs.get('cache-hit')}`);
    added[k] = sizeOf(SIZE_TAGS[k]) - sizeOf(base);
  }
  const emuSize = statSync(await emulator()).size;
  rmSync(d, { recursive: true, force: true });
  return {
    ours: `+${fmtBytes(added.plain)} without keep-emulator`,
    base: `+${fmtBytes(added.keep)} with keep-emulator`,
    ratio: `difference ${fmtBytes(added.keep - added.plain)}`,
    runs: 1,
    notes: [
      `\`FROM ${base}\` + \`RUN echo hello > /hello\` built with the CLI (emulator from the tool cache, --load true); ` +
        `each figure is \`docker image inspect --format {{.Size}}\` minus the base image's; one build each, sizes do not vary. ` +
        `The static qemu-aarch64 file is ${fmtBytes(emuSize)}`,
    ],
  };
}

// ---------------------------------------------------------------- the table

const ROWS = [
  { n: 1, name: 'compile', what: 'cold compile, qemu-aarch64', fn: rowCompile, needs: ['tar', 'xz', 'patch', 'make', 'ninja', 'gcc', 'strip'] },
  { n: 2, name: 'multi', what: `cold compile, ${MULTI_ARCHES.join(' + ')}`, fn: rowMulti, needs: ['tar', 'xz', 'patch', 'ninja', 'gcc', 'strip'] },
  { n: 3, name: 'warm', what: 'warm path: action step, tool-cache hit', fn: rowWarm, needs: [] },
  { n: 4, name: 'restore', what: 'Actions cache restore', fn: rowRestore, needs: ['tar', 'zstdmt', 'unzstd'] },
  { n: 5, name: 'exec', what: 'per-exec cost', fn: rowExec, needs: ['aarch64-linux-gnu-gcc', 'gcc'] },
  { n: 6, name: 'size', what: 'bytes added to an image', fn: rowSize, needs: ['docker'] },
];
const PACKAGES = {
  xz: 'xz-utils', ninja: 'ninja-build', strip: 'binutils', zstdmt: 'zstd', unzstd: 'zstd',
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross', docker: 'docker.io',
};

function selectedRows() {
  if (!opts.only) return ROWS;
  const want = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
  const rows = [];
  for (const w of want) {
    const r = ROWS.find((x) => String(x.n) === w || x.name === w);
    if (!r) {
      process.stderr.write(`bench: unknown row '${w}' (rows: ${ROWS.map((x) => `${x.n} ${x.name}`).join(', ')})\n`);
      process.exit(2);
    }
    if (!rows.includes(r)) rows.push(r);
  }
  return rows.sort((a, b) => a.n - b.n);
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const ram = (os.totalmem() / 2 ** 30).toFixed(1);
  const osName = existsSync('/etc/os-release')
    ? /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type()
    : os.type();
  const git = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return [
    `Machine: ${model}, ${os.availableParallelism()} cores, ${ram} GiB RAM; ${osName}, Linux ${os.release()}, node ${process.version}`,
    `QEMU ${series().version} (series ${series().series}); commit ${git.status === 0 ? git.stdout.trim() : 'unknown'}; ` +
      `load average at start ${load}; runs ${RUNS}, compile runs ${COMPILE_RUNS}`,
  ];
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A row's table lines ("| 5a | … |") and its notes ("5a. …"). */
function tableRows(row, out) {
  const lines = [];
  const notes = [];
  out.forEach((o, i) => {
    const n = out.length > 1 ? `${row.n}${String.fromCharCode(97 + i)}` : String(row.n);
    const what = o.label ? `${row.what}: ${o.label}` : row.what;
    lines.push(`| ${n} | ${cell(what)} | ${cell(o.ours)} | ${cell(o.base)} | ${cell(o.ratio)} | ${o.runs || ''} |`);
    for (const note of o.notes) notes.push(`${n}. ${note}`);
  });
  return { lines, notes };
}

async function main() {
  const rows = selectedRows();
  for (const f of ['main/index.js', 'post/index.js', 'cli/index.js']) {
    if (!existsSync(path.join(DIST, f))) throw new Error(`${path.join(DIST, f)} is missing: run npm run build`);
  }
  const header = machine();
  for (const l of header) log(l);
  const started = Date.now();
  const results = [];
  for (const row of rows) {
    const missing = row.needs.filter((c) => !have(c));
    if (row.name === 'size' && missing.length === 0 && spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
      missing.push('a running dockerd (scripts/start-dockerd.sh)');
    }
    if (missing.length > 0) {
      const pkgs = [...new Set(missing.map((c) => PACKAGES[c] ?? c))].join(' ');
      log(`row ${row.n} (${row.name}) skipped: missing ${missing.join(', ')}`);
      results.push({ row, out: [{ ours: `skipped: missing ${missing.join(', ')} (${pkgs})`, base: '', ratio: '', runs: 0, notes: [] }] });
      continue;
    }
    log(`row ${row.n} (${row.name}): ${row.what}`);
    const t0 = Date.now();
    try {
      const out = await row.fn();
      results.push({ row, out: Array.isArray(out) ? out : [out] });
    } catch (err) {
      log(`row ${row.n} (${row.name}) failed: ${err.message}`);
      const first = String(err.message).split('\n')[0];
      results.push({ row, failed: true, out: [{ ours: `failed: ${first}`, base: '', ratio: '', runs: 0, notes: [] }] });
    }
    log(`row ${row.n} (${row.name}) took ${fmtSeconds((Date.now() - t0) / 1000)}`);
    // Each row's lines as soon as it is done: a run stopped later keeps what it measured.
    const done = tableRows(row, results[results.length - 1].out);
    for (const l of [...done.lines, ...done.notes]) log(`  ${l}`);
  }

  const lines = [...header, '', '| # | measurement | anyarch | compared with | ratio | runs |', '|---|---|---|---|---|---|'];
  const notes = [];
  for (const { row, out } of results) {
    const r = tableRows(row, out);
    lines.push(...r.lines);
    notes.push(...r.notes);
  }
  if (notes.length) lines.push('', ...notes);
  lines.push('', `Total time: ${fmtSeconds((Date.now() - started) / 1000)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return results.some((r) => r.failed || r.out[0].runs === 0) ? 1 : 0;
}

// ---------------------------------------------------------------- cleanup

/** Stop the running command: SIGTERM to its process group (ninja and make pass it on), then SIGKILL. */
async function stopCurrent() {
  const child = current;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
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

function cleanup() {
  if (sizeRowStarted) for (const tag of Object.values(SIZE_TAGS)) spawnSync('docker', ['image', 'rm', '--force', tag], { stdio: 'ignore' });
  if (baseImageCreated) spawnSync('docker', ['image', 'rm', '--force', BASE_TAG], { stdio: 'ignore' });
  if (temp) rmSync(temp, { recursive: true, force: true });
}
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
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
  process.stderr.write(`bench: ${err.message}\n`);
} finally {
  cleanup();
}
process.exitCode = code;
