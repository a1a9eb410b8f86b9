// The fault matrix: every fault fails with an error that names its cause, leaves no tool-cache
// entry that looks usable, and, once post has run, nothing in the workspace or the runner's temp
// dir. The action runs from dist/ as a runner runs it; sources are served by an HTTP server on
// loopback (in a process of its own, since runAction blocks this one) or given as local paths.
//
// One QEMU compile (aarch64, from the Debian orig tarball served over HTTP): after a compile
// killed in ninja and a planted broken tool-cache entry, the rerun must discard the entry and
// build; a third run is a tool-cache hit. Everything else fails before configure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  assertNoBinfmt, CACHE_BASE, cleanupEnv, gitStatus, mainResult, makeWorkspace, prepareStep, ROOT, runAction, runPost,
  startChildServer,
  type RunEnv, type StepResult,
} from './harness.js';

const ORIG = path.join(CACHE_BASE, 'sources', 'qemu_10.2.2+ds.orig.tar.xz');
const DEBIAN_SHA = 'be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb';
const BASE_INPUTS = { arch: 'aarch64', 'qemu-version': '10.2', build: 'false' } as const;

// GET /<kind>/<name> for a file <name> in the served directory:
//   file: the file; status-500, status-503: that status, always; drop: the headers announce the
//   whole file, half of it comes, then the connection is cut; fail-once: 503 the first time, then
//   the file. Every path is appended to the log; the port is printed once listening.
const SERVER = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const [dir, log] = process.argv.slice(1);
const seen = new Map();
http.createServer((req, res) => {
  fs.appendFileSync(log, req.url + '\\n');
  const n = (seen.get(req.url) || 0) + 1;
  seen.set(req.url, n);
  const [, kind, name] = req.url.split('/');
  const file = path.join(dir, name || '');
  if (!name || !fs.existsSync(file)) return res.writeHead(404).end('not here\\n');
  const size = fs.statSync(file).size;
  const send = () => { res.writeHead(200, { 'Content-Length': size }); fs.createReadStream(file).pipe(res); };
  if (kind === 'file' || (kind === 'fail-once' && n > 1)) send();
  else if (kind === 'status-500') res.writeHead(500).end('boom\\n');
  else if (kind === 'status-503' || kind === 'fail-once') res.writeHead(503).end('busy\\n');
  else if (kind === 'drop') {
    res.writeHead(200, { 'Content-Length': size });
    const half = fs.createReadStream(file, { end: Math.floor(size / 2) });
    half.pipe(res, { end: false });
    half.on('end', () => setTimeout(() => res.socket.destroy(), 20));
  } else res.writeHead(404).end('not here\\n');
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The step's error (what core.setFailed printed), unescaped. */
function errorOf(step: StepResult): string {
  return step.log
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .map((l) => l.slice('::error::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
    .join('\n');
}

/** Every file below `dir` whose name ends in .complete: the tool cache's marks of usable entries. */
function completeMarks(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.complete'));
}

/** The processes of a session: pid and command name. (ninja puts each command in a process
 * group of its own, so the main step's process group does not hold the compilers.) */
function sessionMembers(sid: number): { pid: number; comm: string }[] {
  const ps = spawnSync('ps', ['-eo', 'sid=,pid=,comm='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([s]) => Number(s) === sid)
    .map(([, pid, comm]) => ({ pid: Number(pid), comm: comm ?? '' }));
}

/** SIGKILL main and every process it started, as a runner kills a cancelled step's process tree. */
async function killTree(sid: number): Promise<void> {
  // The group first (node and ninja): then nothing starts new compilers.
  try {
    process.kill(-sid, 'SIGKILL');
  } catch {
    // The group has ended already (a cancelled run that stopped by itself).
  }
  for (let i = 0; i < 100; i++) {
    const left = sessionMembers(sid);
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface MainEnd {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly log: string;
}

/** Run main in a session of its own; `atNinja` gets its pid once ninja reports progress. */
function runMainUntilNinja(processEnv: NodeJS.ProcessEnv, atNinja: (pid: number) => void): Promise<MainEnd> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main', 'index.js')], {
    env: processEnv,
    cwd: processEnv['GITHUB_WORKSPACE'],
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let seen = false;
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (!seen && /^\s+\d+% \(\d+\/\d+\), \d+ s$/m.test(log)) {
        seen = true;
        atNinja(child.pid!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code, signal) => resolve({ pid: child.pid!, code, signal, log }));
  });
}

/** What is still running in the session `sid` after up to 15 s for it to empty. */
async function settledSession(sid: number): Promise<string[]> {
  for (let i = 0; i < 150; i++) {
    if (sessionMembers(sid).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return sessionMembers(sid).map((p) => p.comm);
}

/** A directory holding a QEMU-like tree: VERSION, a configure that does nothing, some data. */
function fakeTree(root: string, version: string): string {
  const top = path.join(root, `qemu-${version}`);
  mkdirSync(top, { recursive: true });
  writeFileSync(path.join(top, 'VERSION'), `${version}\n`);
  writeFileSync(path.join(top, 'configure'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  // Incompressible, so that the middle of the .xz is data a corruption hits.
  writeFileSync(path.join(top, 'blob'), randomBytes(256 * 1024));
  return top;
}

/** Run a command; throw with its output when it fails. */
function sh(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

describe('fault matrix', () => {
  let server: ChildProcess;
  let base: string;
  let scratch: string;
  let srv: string;
  let env: RunEnv;
  let before: string;
  let toolCache: string;
  const requests = (p: string) => readFileSync(path.join(scratch, 'requests'), 'utf8').split('\n').filter((l) => l === p);

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    if (!existsSync(ORIG)) throw new Error(`${ORIG} is missing: run scripts/setup.sh first`);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-faults-'));
    srv = path.join(scratch, 'served');
    mkdirSync(srv);
    symlinkSync(ORIG, path.join(srv, 'qemu-10.2.2.tar.xz'));
    // The first MiB of the real tarball.
    writeFileSync(path.join(srv, 'truncated.tar.xz'), readFileSync(ORIG).subarray(0, 1 << 20));
    // A small tarball with 64 bytes in its middle overwritten.
    const trees = path.join(scratch, 'trees');
    fakeTree(trees, '10.2.2');
    sh('tar', ['-C', trees, '-cJf', path.join(srv, 'corrupt.tar.xz'), 'qemu-10.2.2']);
    const corrupt = readFileSync(path.join(srv, 'corrupt.tar.xz'));
    corrupt.fill(0x55, corrupt.length >> 1, (corrupt.length >> 1) + 64);
    writeFileSync(path.join(srv, 'corrupt.tar.xz'), corrupt);
    // A sound tarball of the wrong release, small: a download that recovers then fails later.
    fakeTree(trees, '10.2.1');
    sh('tar', ['-C', trees, '-cJf', path.join(srv, 'qemu-10.2.1.tar.xz'), 'qemu-10.2.1']);

    toolCache = path.join(scratch, 'tool-cache');
    ({ server, base } = await startChildServer(SERVER, [srv, path.join(scratch, 'requests')]));
    env = makeWorkspace({ Dockerfile: 'FROM scratch\n' });
    before = gitStatus(env.workspace);
  });
  afterAll(() => {
    server?.kill();
    if (env) cleanupEnv(env);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>, extraEnv: Record<string, string> = {}) =>
    runAction(env, { ...BASE_INPUTS, ...inputs }, { RUNNER_TOOL_CACHE: toolCache, ...extraEnv });

  /** The run failed; post succeeded; nothing is cached and nothing is left: returns the error. */
  function failedCleanly(r: { main: StepResult; post: StepResult }): string {
    const err = errorOf(r.main);
    if (r.main.status === 0 || err === '') throw new Error(`expected a failure:\n${r.main.log.slice(-4000)}`);
    expect(r.post.status).toBe(0);
    expect(existsSync(toolCache) ? readdirSync(toolCache) : []).toEqual([]);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
    return err;
  }

  describe('2. a truncated or corrupt tarball', () => {
    const cases: [string, string, RegExp][] = [
      ['truncated', 'truncated.tar.xz', /: the tarball is truncated \(tar -xf \S+ exited with 2:\n[^]*Unexpected end of input/],
      ['corrupt', 'corrupt.tar.xz', /: the tarball is corrupt or not a tar archive \(tar -xf \S+ exited with 2:\n[^]*Compressed data is corrupt/],
    ];
    describe.each(cases)('%s', (_what, name, cause) => {
      const sources = () => [`${base}/file/${name}`, path.join(srv, name)];

      test('without a pin: the unpack fails, naming the source and the cause', () => {
        for (const source of sources()) {
          const r = run({ 'qemu-source': source });
          const err = failedCleanly(r);
          expect(err).toMatch(/^Cannot unpack the QEMU source /);
          expect(err).toContain(`Cannot unpack the QEMU source ${source} (input "qemu-source")`);
          expect(err).toMatch(cause);
          expect(r.main.log).toContain(`No sha256 is pinned for ${source}`);
          expect(r.main.log).not.toMatch(/Applying |Configuring: /);
        }
      });

      test('with a pin: the sha256 check fails before anything is unpacked', () => {
        for (const source of sources()) {
          const r = run({ 'qemu-source': source, 'qemu-sha256': DEBIAN_SHA });
          const err = failedCleanly(r);
          expect(err).toBe(
            `sha256 mismatch for ${source} (input "qemu-sha256"): expected ${DEBIAN_SHA} (from input "qemu-sha256"), ` +
              `got ${sha256(path.join(srv, name))}. The tarball is truncated, corrupt, or not the release it claims to be; ` +
              'set "qemu-sha256" only to a hash you have verified.',
          );
          expect(r.main.log).not.toMatch(/Cannot unpack|Applying /);
        }
      });
    });
  });

  describe('3. HTTP errors and dropped connections', () => {
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    test.each([
      ['status-500', 'HTTP 500 Internal Server Error'],
      ['status-503', 'HTTP 503 Service Unavailable'],
      ['drop', 'the connection was closed mid-transfer \\(ECONNRESET\\) after \\d+ of \\d+ bytes'],
    ])('%s: retried 3 times, then reported naming the URL', (kind, said /* a RegExp source */) => {
      const url = `${base}/${kind}/qemu-10.2.1.tar.xz`;
      const r = run({ 'qemu-source': url });
      const err = failedCleanly(r);
      expect(err).toMatch(/^Could not get the QEMU source \(input "qemu-source"\): cannot download /);
      expect(err).toMatch(new RegExp(`cannot download ${esc(url)}: ${said} \\(gave up after 4 attempts\\)$`));
      for (const n of [1, 2, 3]) {
        expect(r.main.log).toMatch(new RegExp(`The download of ${esc(url)} failed \\(attempt ${n} of 4\\): .*; retrying in ${2 ** n} s`));
      }
      expect(r.main.log).not.toContain('attempt 4 of 4');
      expect(requests(`/${kind}/qemu-10.2.1.tar.xz`)).toHaveLength(4);
    });

    test('a server that fails once: the download recovers and the run goes on to the next step', () => {
      const url = `${base}/fail-once/qemu-10.2.1.tar.xz`;
      const r = run({ 'qemu-source': url });
      expect(r.main.log).toContain(`The download of ${url} failed (attempt 1 of 4): HTTP 503 Service Unavailable; retrying in 2 s`);
      expect(r.main.log).not.toContain('attempt 2 of 4');
      expect(requests('/fail-once/qemu-10.2.1.tar.xz')).toHaveLength(2);
      // The whole file came (its sha256 is logged), was unpacked, and is rejected for what it is.
      expect(r.main.log).toContain(`sha256 ${sha256(path.join(srv, 'qemu-10.2.1.tar.xz'))}`);
      const err = failedCleanly(r);
      expect(err).toBe(
        `The QEMU source from ${url} is version 10.2.1, but "qemu-version" resolved to 10.2.2; the -execve patch is made for that exact release.`,
      );
    });
  });

  test('4. a patch that does not apply names the patch and the series; the tree given is not touched', () => {
    // The files the patch touches, from the real tarball, with one of them changed locally.
    const tree = path.join(scratch, 'local-tree');
    mkdirSync(tree);
    const files = ['VERSION', 'configure', ...['elfload.c', 'main.c', 'meson.build', 'syscall.c'].map((f) => `linux-user/${f}`)];
    sh('tar', ['-xf', ORIG, '-C', tree, '--strip-components=1', ...files.map((f) => `qemu-10.2.2/${f}`)]);
    const syscall = path.join(tree, 'linux-user', 'syscall.c');
    const line = 'return do_execv(cpu_env, arg1, arg2, arg3, arg4, arg5, true);';
    const text = readFileSync(syscall, 'utf8');
    expect(text.split(line)).toHaveLength(2);
    writeFileSync(syscall, text.replace(line, `${line} /* changed here */`));
    const listing = () => (readdirSync(tree, { recursive: true }) as string[]).sort();
    const was = { files: listing(), syscall: sha256(syscall) };

    const r = run({ 'qemu-source': tree });
    const err = failedCleanly(r);
    expect(err).toMatch(
      /^The -execve patch qemu-10\.2\.patch \(QEMU series 10\.2, made for 10\.2\.2\) does not apply to this QEMU source: linux-user\/syscall\.c: hunk #2 FAILED at line \d+\. /,
    );
    expect(err).toContain('Hunk #2 FAILED');
    expect(r.main.log).toContain('Applying qemu-10.2.patch');
    expect(r.main.log).not.toContain('Configuring: ');
    expect({ files: listing(), syscall: sha256(syscall) }).toEqual(was);
  });

  test('6. dockerd not reachable: the error says so, where, and how to start it', () => {
    const sock = path.join(scratch, 'nobody-listens.sock');
    const r = run({ build: 'true' }, { DOCKER_HOST: `unix://${sock}` });
    const err = failedCleanly(r);
    expect(err).toMatch(
      new RegExp(`^The Docker daemon is not reachable at DOCKER_HOST=unix://${sock.replace(/[.]/g, '\\.')} \\(docker version: .*Cannot connect to the Docker daemon`),
    );
    expect(err).toContain('Start it (e.g. "sudo systemctl start docker", or "sudo dockerd &"');
    expect(r.main.log).not.toMatch(/Compiling|Downloading/);
  });

  describe('8. bad input values', () => {
    test.each<[string, Record<string, string>, RegExp]>([
      ['arch', { arch: 'sparc' }, /^Invalid value for input "arch": "sparc"\. Allowed: aarch64, arm, /],
      ['qemu-version', { 'qemu-version': '9.9' }, /^Invalid value for input "qemu-version": "9\.9" matches no supported series\. Supported: latest, 10\.2 \(10\.2\.2\)/],
      ['qemu-version', { 'qemu-version': '10.2.1' }, /^Invalid value for input "qemu-version": "10\.2\.1" is not the release this action ships/],
      ['qemu-source', { 'qemu-source': 'ftp://example.invalid/qemu.tar.xz' }, /^Invalid value for input "qemu-source": .*Allowed: upstream, debian, an http\(s\) URL, or a local path/],
      ['qemu-source', { 'qemu-source': 'upsteam' }, /^Invalid value for input "qemu-source": "upsteam"\. Allowed: .*; there is no \/\S+\/workspace\/upsteam$/],
      ['qemu-sha256', { 'qemu-sha256': 'not-a-hash' }, /^Invalid value for input "qemu-sha256": "not-a-hash"\. Expected 64 hexadecimal digits$/],
      ['context', { context: '../elsewhere', build: 'true' }, /^Invalid value for input "context": "\.\.\/elsewhere" is outside the workspace /],
      ['file', { file: '/etc/passwd', build: 'true' }, /^Invalid value for input "file": "\/etc\/passwd" is outside the workspace /],
      ['build-args', { 'build-args': 'A="first\nsecond"' }, /^Invalid value for input "build-args" \(line 1\): the value of A opens a quote it does not close; values cannot span lines$/],
      ['build-args', { 'build-args': 'OK=1\nnot a pair' }, /^Invalid value for input "build-args" \(line 2\): expected KEY=VALUE/],
      ['labels', { labels: 'bad key=1' }, /^Invalid value for input "labels" \(line 1\): bad key "bad key"; keys must match /],
      ['tags', { tags: 'me/App:1' }, /^Invalid value for input "tags": "me\/App:1"\. Expected \[registry\[:port\]\/\]name\[:tag\]/],
      ['cache', { cache: 'yes' }, /^Invalid value for input "cache": "yes"\. Allowed: true, True, TRUE, false, False, FALSE$/],
      ['build', { build: 'no' }, /^Invalid value for input "build": "no"\. Allowed: true, /],
      ['push', { push: '1' }, /^Invalid value for input "push": "1"\. Allowed: true, /],
      ['install-deps', { 'install-deps': 'always' }, /^Invalid value for input "install-deps": "always"\. Allowed: auto, false, never$/],
    ])('%s %j', (_input, inputs, message) => {
      const r = run(inputs);
      expect(failedCleanly(r)).toMatch(message);
      expect(r.main.log).not.toMatch(/Emulator cache key|Compiling|Downloading/);
    });
  });

  describe('7. two runs saving the same emulator into one tool cache at once', () => {
    let program: string;
    let emulator: string;

    beforeAll(() => {
      program = transpileForNode(path.join(ROOT, '__tests__', 'e2e', 'fixtures', 'tool-cache-save.ts'), path.join(scratch, 'js'));
      // Answers the self-test like the patched emulator, and is big enough (24 MiB) that copies overlap.
      emulator = path.join(scratch, 'emulator', 'qemu-aarch64');
      mkdirSync(path.dirname(emulator));
      const script = [
        '#!/bin/sh',
        'case "$1" in',
        '  -version) echo "qemu-aarch64 version 10.2.2";;',
        '  -h) printf "usage: qemu-aarch64 [options] program\\n-execve path    QEMU_EXECVE    run guest execve()\\n";;',
        'esac',
        'exit 0',
        '',
      ].join('\n');
      writeFileSync(emulator, script + `#${'x'.repeat(1023)}\n`.repeat(24 * 1024), { mode: 0o755 });
    });

    const node = (args: string[], extraEnv: Record<string, string> = {}) =>
      spawn(process.execPath, [program, ...args], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });

    test.each([1, 2, 3])('round %i: 4 processes, one complete valid entry, all succeed', async (round) => {
      const cache = path.join(scratch, `shared-tool-cache-${round}`);
      const go = path.join(scratch, `go-${round}`);
      const version = `10.2.2-h${createHash('sha256').update(String(round)).digest('hex').slice(0, 16)}`;
      const procs = Array.from({ length: 4 }, (_, i) => {
        // Each run has its own build output, as two jobs would.
        const own = path.join(scratch, `built-${round}-${i}`);
        mkdirSync(own);
        copyFileSync(emulator, path.join(own, 'qemu-aarch64'));
        chmodSync(path.join(own, 'qemu-aarch64'), 0o755);
        const child = node(['save', own, 'anyarch-qemu-aarch64', version, 'x64', go], { RUNNER_TOOL_CACHE: cache });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const ready = new Promise<void>((resolve) => {
          const check = () => (out.includes('ready\n') ? resolve() : setTimeout(check, 5));
          check();
        });
        const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
        return { ready, done };
      });
      await Promise.all(procs.map((p) => p.ready));
      writeFileSync(go, '');
      const results = await Promise.all(procs.map((p) => p.done));

      const entry = path.join(cache, 'anyarch-qemu-aarch64', version, 'x64');
      for (const r of results) {
        expect(r.out).not.toContain('::warning::');
        expect(r.code).toBe(0);
        expect(r.out).toContain(`saved=${entry}\nintact\n`);
      }
      expect(readdirSync(path.dirname(entry)).sort()).toEqual(['x64', 'x64.complete']);
      expect(readdirSync(entry)).toEqual(['qemu-aarch64']);
      expect(sha256(path.join(entry, 'qemu-aarch64'))).toBe(sha256(emulator));
      const check = node(['selftest', entry, 'aarch64', '10.2.2']);
      let said = '';
      check.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      const code = await new Promise((resolve) => check.on('exit', resolve));
      expect(said).toBe('ok\n');
      expect(code).toBe(0);
    });
  });

  test('5. a compile killed in ninja leaves nothing usable; a broken cached binary is discarded and rebuilt', async () => {
    const url = `${base}/file/qemu-10.2.2.tar.xz`;
    const inputs = { ...BASE_INPUTS, 'qemu-source': url, 'qemu-sha256': DEBIAN_SHA };
    const extra = { RUNNER_TOOL_CACHE: toolCache };

    // A cancelled step: SIGINT to main alone once ninja reports progress. Main passes it on to
    // ninja, which stops its compilers (each in a group of its own); nothing may be left running.
    const step1 = prepareStep(env, inputs, extra);
    let runningAtSigint: string[] = [];
    const cancelled = await runMainUntilNinja(step1.processEnv, (pid) => {
      runningAtSigint = sessionMembers(pid).map((p) => p.comm);
      process.kill(pid, 'SIGINT');
    });
    const leftAfterSigint = await settledSession(cancelled.pid);
    await killTree(cancelled.pid);
    expect(runningAtSigint).toContain('ninja');
    expect(cancelled.log).toMatch(/Received SIGINT: passing it on to pid \d+/);
    expect({ code: cancelled.code, signal: cancelled.signal }).toEqual({ code: 130, signal: null });
    expect(leftAfterSigint).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);
    const cancelledResult = mainResult(step1, cancelled.code ?? -1, cancelled.log);
    expect(runPost(step1, cancelledResult).status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);

    // A runner that gives up waiting: SIGKILL to main and all it started, mid-compile.
    const step = prepareStep(env, inputs, extra);
    let running: string[] = [];
    let killing: Promise<void> | undefined;
    const hard = await runMainUntilNinja(step.processEnv, (pid) => {
      running = sessionMembers(pid).map((p) => p.comm);
      killing = killTree(pid);
    });
    await killing;
    const log = hard.log;
    expect(hard.signal).toBe('SIGKILL');
    expect(log).toMatch(/Compiling on \d+ core\(s\): ninja /);
    expect(running).toContain('ninja');
    expect(sessionMembers(hard.pid)).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);

    const killed = mainResult(step, -1, log);
    expect(killed.state.get('anyarch-paths')).toContain(env.temp);
    const post = runPost(step, killed);
    expect(post.status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);

    // A "complete" entry for the same key whose binary is an unpatched QEMU.
    const key = /Emulator cache key (\S+)/.exec(log)?.[1] ?? '';
    const parts = /^(anyarch-qemu\S*?)-(\d+\.\d+\.\d+)-linux-x64-([0-9a-f]{16})$/.exec(key);
    if (!parts) throw new Error(`unexpected cache key ${JSON.stringify(key)}`);
    const planted = path.join(toolCache, parts[1]!, `${parts[2]}-h${parts[3]}`, 'x64');
    mkdirSync(planted, { recursive: true });
    writeFileSync(
      path.join(planted, 'qemu-aarch64'),
      '#!/bin/sh\ncase "$1" in -version) echo "qemu-aarch64 version 10.2.2";; -h) echo "-L path   QEMU_LD_PREFIX";; esac\n',
      { mode: 0o755 },
    );
    writeFileSync(`${planted}.complete`, '');

    const rebuilt = runAction(env, inputs, extra);
    if (rebuilt.main.status !== 0) throw new Error(rebuilt.main.log.slice(-6000));
    expect(rebuilt.main.log).toContain(
      `::warning::Discarding the cached emulator in ${planted}: ${planted}/qemu-aarch64: "-h" does not list -execve (the patch is missing). It will be rebuilt.`,
    );
    expect(rebuilt.main.log).toContain(`Downloading ${url}`);
    expect(rebuilt.main.log).toContain(`sha256 ${DEBIAN_SHA} (verified)`);
    expect(rebuilt.main.log).toMatch(/Built qemu-aarch64 in \d+ s/);
    expect(rebuilt.main.outputs.get('cache-hit')).toBe('false');
    expect(rebuilt.main.outputs.get('qemu-path')).toBe(planted);
    expect(completeMarks(toolCache)).toEqual([path.relative(toolCache, `${planted}.complete`)]);
    const bin = path.join(planted, 'qemu-aarch64');
    expect(spawnSync(bin, ['-version'], { encoding: 'utf8' }).stdout).toMatch(/version 10\.2\.2/);
    expect(spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout).toMatch(/^-execve\s/m);
    expect(rebuilt.post.status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);

    const again = runAction(env, inputs, extra);
    if (again.main.status !== 0) throw new Error(again.main.log.slice(-6000));
    expect(again.main.outputs.get('cache-hit')).toBe('tool-cache');
    expect(again.main.outputs.get('qemu-path')).toBe(planted);
    expect(again.main.log).not.toMatch(/Discarding|Downloading|Compiling/);
    expect(again.post.status).toBe(0);
    expect(readdirSync(env.temp)).toEqual([]);
  });
});

/**
 * Transpile `entry` and the project modules it imports, recursively, to JavaScript under `out`
 * (same relative paths), runnable by node with the project's node_modules.
 */
function transpileForNode(entry: string, out: string): string {
  const target = (file: string) => path.join(out, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
  const todo = [entry];
  const done = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    mkdirSync(path.dirname(target(file)), { recursive: true });
    writeFileSync(target(file), js);
    for (const m of js.matchAll(/from ['"](\.\.?\/[^'"]+)\.js['"]/g)) todo.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
  }
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  return target(entry);
}
