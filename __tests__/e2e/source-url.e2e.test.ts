// qemu-source as a URL, served by an HTTP server on loopback: the tarball is really downloaded
// and checked; a checksum that does not match, or a missing file, fails with an error that
// names the input, and leaves no tool-cache entry and nothing in the workspace.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import { requireDebianTarball, TEST_SERIES, type DebianTarball } from '../support/qemu-sources.js';
import { runAction } from '../support/runner.js';
import { servedDir, startSourceServer, type SourceServer } from '../support/source-server.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

const WRONG_SHA = 'ab'.repeat(32);

describe('qemu-source from a URL', () => {
  // The server runs in a process of its own: runAction blocks this one while the action downloads.
  let server: SourceServer;
  let debian: DebianTarball;
  let tarball: string;
  let scratch: string;
  let env: RunEnv;
  let before: string;
  let toolCache: string;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    debian = requireDebianTarball();
    tarball = `qemu-${debian.entry.version}.tar.xz`;
    scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-http-'));
    // An empty tool cache of its own, so that the source has to be fetched.
    toolCache = path.join(scratch, 'tool-cache');
    server = await startSourceServer(servedDir(path.join(scratch, 'served'), { [tarball]: debian.file }));
    env = makeWorkspace({ Dockerfile: 'FROM scratch\n' });
    before = gitStatus(env.workspace);
  });
  afterAll(() => {
    server?.stop();
    if (env) cleanupEnv(env);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>) =>
    runAction(
      env,
      { arch: 'aarch64', 'qemu-version': TEST_SERIES, build: 'false', ...inputs },
      { extraEnv: { RUNNER_TOOL_CACHE: toolCache } },
    );

  test('a sha256 pin that does not match the download fails, naming the input and both hashes', () => {
    const r = run({ 'qemu-source': server.url(tarball), 'qemu-sha256': WRONG_SHA });
    expect(r.main.status).not.toBe(0);
    expect(server.requests(`/file/${tarball}`).length).toBeGreaterThan(0);
    expect(r.main.log).toContain('qemu-sha256');
    expect(r.main.log).toContain(WRONG_SHA);
    expect(r.main.log).toContain(debian.sha256);
    expect(r.main.log).not.toMatch(/Configuring|Compiling on/);
    expect(r.post.status).toBe(0);
  });

  test('an http:// URL without a pin is refused before anything is downloaded', () => {
    const url = server.url(tarball);
    const requested = server.requests(`/file/${tarball}`).length;
    const r = run({ 'qemu-source': url, 'allow-unverified-source': 'true' });
    expect(r.main.status).not.toBe(0);
    expect(r.main.log).toContain(
      `::error::Input "qemu-source" is an http:// URL (${url}), which anything between here and the server can change. ` +
        'Use https, or set "qemu-sha256" to the sha256 of the tarball you expect.',
    );
    expect(server.requests(`/file/${tarball}`)).toHaveLength(requested);
    expect(r.post.status).toBe(0);
  });

  test('a URL that answers 404 fails with an error naming it', () => {
    const url = server.url('missing.tar.xz');
    const r = run({ 'qemu-source': url, 'qemu-sha256': debian.sha256 });
    expect(r.main.status).not.toBe(0);
    expect(server.requests('/file/missing.tar.xz').length).toBeGreaterThan(0);
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
