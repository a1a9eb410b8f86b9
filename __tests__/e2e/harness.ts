// Running the bundled action the way a runner does: INPUT_* variables (with action.yml's
// defaults), GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, `node dist/main/index.js`,
// then `node dist/post/index.js` with the saved state as STATE_* variables.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_BASE = process.env['ANYARCH_CACHE_DIR'] || path.join(os.homedir(), '.cache', 'anyarch-action');
/** Kept between runs so that only the first run of a machine compiles QEMU. */
export const TOOL_CACHE = path.join(CACHE_BASE, 'tool-cache');

export const BASE_ARM64 = 'anyarch-test/base:arm64';
/** The QEMU the image-building tests ask for: Debian's source, the only one reachable here. */
export const LOCAL_QEMU = { 'qemu-source': 'debian', 'qemu-version': '10.2' } as const;
export const BASE_AMD64 = 'anyarch-test/base:amd64';

/** Input defaults as action.yml declares them. */
export function actionDefaults(actionRoot: string = ROOT): Map<string, string> {
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

export interface StepResult {
  readonly status: number;
  readonly log: string;
  readonly outputs: Map<string, string>;
  readonly state: Map<string, string>;
  readonly summary: string;
}

export interface RunEnv {
  readonly workspace: string;
  readonly temp: string;
  readonly files: string;
}

/** A fresh git workspace holding `files`, committed, plus runner directories beside it. */
export function makeWorkspace(files: Record<string, string>): RunEnv {
  const base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-'));
  const workspace = path.join(base, 'workspace');
  const temp = path.join(base, 'runner-temp');
  const cmdFiles = path.join(base, 'files');
  for (const d of [workspace, temp, cmdFiles]) mkdirSync(d, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-q', '-m', 'fixture');
  return { workspace, temp, files: cmdFiles };
}

export function gitStatus(workspace: string): string {
  return execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], { cwd: workspace }).toString();
}

function baseEnv(env: RunEnv): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // No Actions cache service, no inputs or state from the calling environment.
    if (/^(INPUT_|STATE_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) continue;
    e[k] = v;
  }
  return {
    ...e,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: env.workspace,
    RUNNER_TEMP: env.temp,
    RUNNER_TOOL_CACHE: TOOL_CACHE,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  };
}

function runNode(root: string, script: string, env: NodeJS.ProcessEnv, cwd: string): { status: number; log: string } {
  const r = spawnSync(process.execPath, [path.join(root, script)], { env, cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, log: `${r.stdout}${r.stderr}` };
}

/** One step's environment and command files, ready for main (and then post) to run with. */
export interface Step {
  readonly env: RunEnv;
  readonly actionRoot: string;
  /** The environment main runs with: INPUT_*, GITHUB_OUTPUT, GITHUB_STATE, … */
  readonly processEnv: NodeJS.ProcessEnv;
  readonly output: string;
  readonly state: string;
  readonly summary: string;
}

export function prepareStep(
  env: RunEnv,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  actionRoot: string = ROOT,
): Step {
  const step = mkdtempSync(path.join(env.files, 'step-'));
  const output = path.join(step, 'output');
  const state = path.join(step, 'state');
  const summary = path.join(step, 'summary');
  for (const f of [output, state, summary]) writeFileSync(f, '');
  const e: NodeJS.ProcessEnv = {
    ...baseEnv(env),
    ...extraEnv,
    GITHUB_OUTPUT: output,
    GITHUB_STATE: state,
    GITHUB_STEP_SUMMARY: summary,
  };
  const values = actionDefaults(actionRoot);
  for (const [k, v] of Object.entries(inputs)) values.set(k, v);
  for (const [k, v] of values) e[`INPUT_${k.toUpperCase()}`] = v;
  return { env, actionRoot, processEnv: e, output, state, summary };
}

/** What main left: its exit status and log, outputs, saved state and summary. */
export function mainResult(step: Step, status: number, log: string): StepResult {
  return {
    status,
    log,
    outputs: parseCommandFile(readFileSync(step.output, 'utf8')),
    state: parseCommandFile(readFileSync(step.state, 'utf8')),
    summary: readFileSync(step.summary, 'utf8'),
  };
}

/** Run post with the state main saved, as the runner does after main, whatever its status. */
export function runPost(step: Step, main: StepResult): StepResult {
  const postEnv: NodeJS.ProcessEnv = { ...step.processEnv };
  for (const [k, v] of main.state) postEnv[`STATE_${k}`] = v;
  writeFileSync(step.output, '');
  const p = runNode(step.actionRoot, 'dist/post/index.js', postEnv, step.env.workspace);
  return { status: p.status, log: p.log, outputs: new Map(), state: new Map(), summary: '' };
}

/** Run main then post, as a runner does for one step; `actionRoot` is where the action is checked out. */
export function runAction(
  env: RunEnv,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  actionRoot: string = ROOT,
): { main: StepResult; post: StepResult } {
  const step = prepareStep(env, inputs, extraEnv, actionRoot);
  const m = runNode(actionRoot, 'dist/main/index.js', step.processEnv, env.workspace);
  const main = mainResult(step, m.status, m.log);
  return { main, post: runPost(step, main) };
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Fail loudly if a binfmt_misc handler could make the tests pass without the emulator: the
 * check every suite shares (tests/lib/no-binfmt.sh), which also executes a static guest program
 * and requires the kernel's ENOEXEC, so a handler this namespace cannot see is caught too.
 */
export function assertNoBinfmt(qemuArch: string): void {
  const r = spawnSync(path.join(ROOT, 'tests', 'lib', 'no-binfmt.sh'), ['-q', qemuArch], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${r.stderr || r.error}\nso this test would prove nothing about the emulator`);
  }
}

/**
 * A guest base image of one Debian architecture (arm64, armhf, riscv64, ...), tagged
 * anyarch-test/base:<Docker's arch name>, which is what $TARGETARCH holds in a Dockerfile.
 */
export function ensureBase(debianArch: string): string {
  const dockerArch: Record<string, string> = { armhf: 'arm', i386: '386', ppc64el: 'ppc64le', mips64el: 'mips64le' };
  const tag = `anyarch-test/base:${dockerArch[debianArch] ?? debianArch}`;
  execFileSync(path.join(ROOT, 'tests', 'images', 'make-base.sh'), [debianArch, tag], { stdio: 'inherit' });
  return tag;
}

/** Build the guest base images from Debian packages (no registry). */
export function ensureBaseImages(): void {
  const script = path.join(ROOT, 'tests', 'images', 'make-base.sh');
  execFileSync(script, ['arm64', BASE_ARM64], { stdio: 'inherit' });
  execFileSync(script, ['amd64', BASE_AMD64], { stdio: 'inherit' });
}

/**
 * The start of an image test: no binfmt_misc handler for the guest arch, the base images, a
 * workspace holding `files`, and its git status before the action runs.
 */
export function prepareBuild(files: Record<string, string>, qemuArch = 'aarch64'): { env: RunEnv; before: string } {
  assertNoBinfmt(qemuArch);
  ensureBaseImages();
  const env = makeWorkspace(files);
  return { env, before: gitStatus(env.workspace) };
}

/** Every path in the image's layers (from `docker save`, so nothing a container adds). */
export function imageFiles(ref: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-save-'));
  try {
    execFileSync('sh', ['-c', 'docker save "$1" | tar -x -C "$2"', 'sh', ref, dir]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const files = new Set<string>();
    for (const layer of manifest[0]!.Layers) {
      const list = execFileSync('tar', ['-tf', path.join(dir, layer)], { encoding: 'utf8', maxBuffer: 256 << 20 });
      for (const f of list.split('\n')) if (f !== '') files.add(f.replace(/^\.\//, ''));
    }
    return [...files];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One file's content from the image. */
export function imageFile(ref: string, file: string): string {
  const id = docker('create', ref).trim();
  try {
    return execFileSync('sh', ['-c', `docker cp ${id}:${file} - | tar -xO`], { encoding: 'utf8' });
  } finally {
    docker('rm', id);
  }
}

/**
 * Expect an image's layer paths (as imageFiles lists them, without the leading "./") to hold no
 * emulator: no qemu binary, nothing under an .anyarch directory, and nothing below dev/ (where
 * a RUN mountpoint of the emulator would show up).
 */
export function expectNoEmulator(files: readonly string[]): void {
  expect(files.filter((f) => /qemu|anyarch/.test(f))).toEqual([]);
  expect(files.filter((f) => f.startsWith('dev/') && f !== 'dev/')).toEqual([]);
}

export function cleanupEnv(env: RunEnv): void {
  rmSync(path.dirname(env.workspace), { recursive: true, force: true });
}

/** Images the main step recorded for post to remove. */
export function createdImages(main: StepResult): string[] {
  return JSON.parse(main.state.get('anyarch-images') ?? '[]') as string[];
}

export function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

export interface Registry {
  /** host:port, on 127.0.0.1 (which dockerd treats as an insecure registry by default). */
  readonly host: string;
  /** Stop the registry and remove its storage. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway distribution registry (Debian's docker-registry), on loopback, storage in a temp dir. */
export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-registry-'));
  const logFile = path.join(dir, 'registry.log');
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  let lastError = '';
  // A port picked free can be taken before the registry binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(dir, 'data')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        '',
      ].join('\n'),
    );
    const log = openSync(logFile, 'w');
    // Output goes to a file: the tests block the event loop (spawnSync), so a pipe could fill up.
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', (e) => {
        lastError = String(e);
        exited = true;
        resolve();
      });
    });
    const stop = async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      cleanupDir();
    };
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return { host: `127.0.0.1:${port}`, stop };
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    lastError ||= existsSync(logFile) ? readFileSync(logFile, 'utf8') : 'no log';
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
  }
  cleanupDir();
  throw new Error(`docker-registry did not start: ${lastError.slice(-3000)}`);
}

/** After main and post: the workspace as it was, every image the action made removed (the
 * emulator image among them), and nothing left in the runner's temp dir. */
export function expectPostCleaned(env: RunEnv, before: string, main: StepResult): void {
  expect(gitStatus(env.workspace)).toBe(before);
  const created = createdImages(main);
  expect(created.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
  for (const ref of created) expect(imageExists(ref)).toBe(false);
  expect(readdirSync(env.temp)).toEqual([]);
}

/**
 * Start `node -e script ...args` as a loopback HTTP server in a child process (the tests block
 * the event loop with spawnSync, so a server in this process could not answer). The script
 * prints its port on stdout once listening; returns the child and its base URL.
 */
export async function startChildServer(script: string, args: readonly string[]): Promise<{ server: ChildProcess; base: string }> {
  const server = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    server.once('exit', (code) => reject(new Error(`HTTP server exited (${code})`)));
  });
  return { server, base: `http://127.0.0.1:${port}` };
}
