// qemu-source as a URL, served by an HTTP server on loopback: the tarball is really downloaded
// and checked; a checksum that does not match, or a missing file, fails with an error that
// names the input, and leaves no tool-cache entry and nothing in the workspace.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  assertNoBinfmt, CACHE_BASE, cleanupEnv, gitStatus, makeWorkspace, runAction, startChildServer, type RunEnv,
} from './harness.js';

const TARBALL = path.join(CACHE_BASE, 'sources', 'qemu_10.2.2+ds.orig.tar.xz');
const DEBIAN_SHA = 'be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb';
const WRONG_SHA = 'ab'.repeat(32);

// The server runs in a process of its own: runAction blocks this one while the action downloads.
// It serves the tarball at /qemu-10.2.2.tar.xz, 404 elsewhere, logs each path to LOG, and prints
// its port once it listens.
const SERVER = `
const http = require('node:http'), fs = require('node:fs');
const [file, log] = process.argv.slice(1);
http.createServer((req, res) => {
  fs.appendFileSync(log, req.url + '\\n');
  if (req.url === '/qemu-10.2.2.tar.xz') {
    res.writeHead(200, { 'Content-Type': 'application/x-xz' });
    fs.createReadStream(file).pipe(res);
  } else {
    res.writeHead(404).end('not here\\n');
  }
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

describe('qemu-source from a URL', () => {
  let server: ChildProcess;
  let base: string;
  let scratch: string;
  let env: RunEnv;
  let before: string;
  let toolCache: string;
  const requests = () => readFileSync(path.join(scratch, 'requests'), 'utf8').split('\n');

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: run scripts/setup.sh first`);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-http-'));
    // An empty tool cache of its own, so that the source has to be fetched.
    toolCache = path.join(scratch, 'tool-cache');
    ({ server, base } = await startChildServer(SERVER, [TARBALL, path.join(scratch, 'requests')]));
    env = makeWorkspace({ Dockerfile: 'FROM scratch\n' });
    before = gitStatus(env.workspace);
  });
  afterAll(() => {
    server?.kill();
    if (env) cleanupEnv(env);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>) =>
    runAction(env, { arch: 'aarch64', 'qemu-version': '10.2', build: 'false', ...inputs }, { RUNNER_TOOL_CACHE: toolCache });

  test('a sha256 pin that does not match the download fails, naming the input and both hashes', () => {
    const r = run({ 'qemu-source': `${base}/qemu-10.2.2.tar.xz`, 'qemu-sha256': WRONG_SHA });
    expect(r.main.status).not.toBe(0);
    expect(requests()).toContain('/qemu-10.2.2.tar.xz');
    expect(r.main.log).toContain('qemu-sha256');
    expect(r.main.log).toContain(WRONG_SHA);
    expect(r.main.log).toContain(DEBIAN_SHA);
    expect(r.main.log).not.toMatch(/Configuring|Compiling on/);
    expect(r.post.status).toBe(0);
  });

  test('a URL that answers 404 fails with an error naming it', () => {
    const url = `${base}/missing.tar.xz`;
    const r = run({ 'qemu-source': url });
    expect(r.main.status).not.toBe(0);
    expect(requests()).toContain('/missing.tar.xz');
    expect(r.main.log).toContain(url);
    expect(r.main.log).toMatch(/404/);
    expect(r.post.status).toBe(0);
  });

  test('nothing is cached, and the workspace and the runner temp dir are clean', () => {
    expect(existsSync(toolCache) ? readdirSync(toolCache) : []).toEqual([]);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
  });
});
