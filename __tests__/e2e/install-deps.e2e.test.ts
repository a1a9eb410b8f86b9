// install-deps (issue 3): with a build dependency really missing (ninja-build removed with dpkg),
// `never` names it and the package to install, and `auto` installs it with apt before fetching the
// source. The source is a file of the workspace that is no tarball, so each run stops right
// after the dependency step with an error about qemu-source, without compiling.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

const PKG = 'ninja-build';
const installed = () =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', PKG], { encoding: 'utf8' }).stdout.includes('ok installed');
const haveNinja = () => spawnSync('sh', ['-c', 'command -v ninja'], { stdio: 'ignore' }).status === 0;

const inputs = {
  arch: 'aarch64',
  'qemu-version': '10.2',
  build: 'false',
  'qemu-source': 'README.md',
  'allow-unverified-source': 'true',
};

describe('install-deps with a build dependency missing', () => {
  let env: RunEnv;
  let before: string;
  let toolCache: string;
  let never: ActionRun;
  let auto: ActionRun;

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('this test removes and installs a package: run it as root');
    if (!installed()) throw new Error(`${PKG} is not installed to begin with (scripts/setup.sh installs it)`);
    env = makeWorkspace({ 'README.md': 'fixture\n' });
    before = gitStatus(env.workspace);
    // An empty tool cache: the emulator is a miss, so the dependency check runs.
    toolCache = mkdtempSync(path.join(os.tmpdir(), 'anyarch-toolcache-'));
    // --force-depends: meson depends on ninja-build; apt puts everything back below.
    execFileSync('dpkg', ['--remove', '--force-depends', PKG], { stdio: 'pipe' });
    expect(haveNinja()).toBe(false);
    const opts = { extraEnv: { RUNNER_TOOL_CACHE: toolCache } };
    never = runAction(env, { ...inputs, 'install-deps': 'never' }, opts);
    auto = runAction(env, { ...inputs, 'install-deps': 'auto' }, opts);
  });
  afterAll(() => {
    // Whatever happened above, leave the machine with the package.
    if (!installed()) {
      execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', PKG], {
        stdio: 'pipe',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    }
    if (toolCache) rmSync(toolCache, { recursive: true, force: true });
    if (env) cleanupEnv(env);
  });

  test('"never" fails naming the missing command and the package to install', () => {
    expect(never.main.status).not.toBe(0);
    expect(never.main.log).toMatch(
      /::error::missing QEMU build dependencies: ninja \(on Debian\/Ubuntu: apt-get install ninja-build\); install-deps is "never"/,
    );
    expect(never.main.log).not.toMatch(/Installing ninja-build/);
  });

  test('"auto" installs the package with apt, then goes on to the source', () => {
    expect(auto.main.log).toContain(`Installing ${PKG} with apt-get`);
    expect(installed()).toBe(true);
    expect(haveNinja()).toBe(true);
    // The next step, after the dependencies: the source path that does not exist.
    expect(auto.main.status).not.toBe(0);
    expect(auto.main.log).toMatch(
      /::error::Cannot unpack the QEMU source .*README\.md \(input "qemu-source"\)/,
    );
  });

  test('both runs leave no cache entry and a clean workspace', () => {
    for (const r of [never, auto]) expect(r.post.status).toBe(0);
    expect(readdirSync(toolCache)).toEqual([]);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
  });
});
