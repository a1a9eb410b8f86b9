// installEmulators' order of precedence — tool cache, then the Actions cache, then one compile of
// whatever is still missing — with stores on real directories: the real tool cache code under a
// temporary root, an Actions cache kept in a directory, and a "compile" that writes small
// executables which pass (or, on purpose, fail) the real self-test.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findInToolCache, removeFromToolCache, saveToToolCache } from '../../../src/cache/tool-cache.js';
import { installEmulators, type EmulatorRequest, type EmulatorStores } from '../../../src/qemu/install.js';
import { selfTest } from '../../../src/qemu/selftest.js';
import { findActionRoot, loadSeries } from '../../../src/qemu/series.js';
import { resolveQemuVersion } from '../../../src/qemu/version.js';

const root = findActionRoot();
const entry = resolveQemuVersion('latest', loadSeries(root));

/** A stand-in emulator: answers -version and -h as a patched one does (or as `version` would). */
function writeEmulator(dir: string, target: string, version = entry.version): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `qemu-${target}`);
  writeFileSync(
    file,
    `#!/bin/sh\ncase "$1" in\n-version) echo "qemu-${target} version ${version}";;\n-h) echo "  -execve path  emulate execve";;\nesac\n`,
  );
  chmodSync(file, 0o755);
}

interface Calls {
  restored: string[];
  actionsSaved: string[];
  compiled: string[][];
  removed: string[];
}

describe('installEmulators', () => {
  let base: string;
  let toolCache: string;
  let remote: string;
  let calls: Calls;
  const savedEnv = process.env['RUNNER_TOOL_CACHE'];

  const request = (targets: string[]): EmulatorRequest => ({
    entry,
    targets,
    patchFile: path.join(root, 'patches', entry.patch),
    workDir: path.join(base, 'work'),
    actionsCacheDir: path.join(base, 'actions-cache-dir'),
    runnerOs: 'Linux',
    runnerArch: 'X64',
  });

  /** Stores over real directories; `compiledVersion` lets a compile produce a wrong binary. */
  const stores = (opts: { actionsCache?: boolean } = {}): EmulatorStores => ({
    toolCache: {
      find: findInToolCache,
      save: (dir, names) => saveToToolCache(dir, names, toolCache),
      async remove(dir) {
        calls.removed.push(dir);
        await removeFromToolCache(dir);
      },
    },
    actionsCache:
      opts.actionsCache === false
        ? undefined
        : {
            async restore(dir, key) {
              calls.restored.push(key);
              const stored = path.join(remote, key);
              if (!existsSync(stored)) return false;
              cpSync(stored, dir, { recursive: true });
              return true;
            },
            async save(dir, key) {
              calls.actionsSaved.push(key);
              cpSync(dir, path.join(remote, key), { recursive: true });
              return true;
            },
          },
    async compile(targets, _flags, outDir) {
      calls.compiled.push([...targets]);
      for (const t of targets) writeEmulator(outDir, t);
      return { dir: outDir, seconds: 1, source: 'a test' };
    },
    selfTest,
  });

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-install-'));
    toolCache = path.join(base, 'tool-cache');
    remote = path.join(base, 'remote');
    mkdirSync(remote);
    // tc.find reads it, as on a runner (exportRunnerDirs sets it outside Actions).
    process.env['RUNNER_TOOL_CACHE'] = toolCache;
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
  });
  afterEach(() => {
    if (savedEnv === undefined) delete process.env['RUNNER_TOOL_CACHE'];
    else process.env['RUNNER_TOOL_CACHE'] = savedEnv;
    rmSync(base, { recursive: true, force: true });
  });

  it('compiles on an empty cache, then saves to the tool cache and the Actions cache', async () => {
    const e = await installEmulators(request(['aarch64']), stores());
    expect(e.cacheHit).toBe('false');
    expect(calls.compiled).toEqual([['aarch64']]);
    expect(calls.restored).toHaveLength(1);
    expect(calls.actionsSaved).toEqual(calls.restored);
    expect(e.dir.startsWith(toolCache)).toBe(true);
    expect(await selfTest(e.dir, ['aarch64'], entry.version)).toBeUndefined();
  });

  it('takes the tool cache first and asks nothing else', async () => {
    await installEmulators(request(['aarch64']), stores());
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(e.cacheHit).toBe('tool-cache');
    expect(calls).toEqual({ restored: [], actionsSaved: [], compiled: [], removed: [] });
  });

  it('restores from the Actions cache on a tool-cache miss, and fills the tool cache', async () => {
    await installEmulators(request(['aarch64']), stores());
    rmSync(toolCache, { recursive: true, force: true });
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(e.cacheHit).toBe('actions-cache');
    expect(calls.compiled).toEqual([]);
    expect(calls.restored).toHaveLength(1);
    expect(e.dir.startsWith(toolCache)).toBe(true);
  });

  it('discards a tool-cache entry that fails its self-test and compiles', async () => {
    const first = await installEmulators(request(['aarch64']), stores());
    writeEmulator(first.dir, 'aarch64', '9.9.9');
    rmSync(remote, { recursive: true, force: true });
    mkdirSync(remote);
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(calls.removed).toEqual([first.dir]);
    expect(calls.compiled).toEqual([['aarch64']]);
    expect(e.cacheHit).toBe('false');
    expect(await selfTest(e.dir, ['aarch64'], entry.version)).toBeUndefined();
  });

  it('does not use an Actions-cache copy that fails its self-test', async () => {
    await installEmulators(request(['aarch64']), stores());
    rmSync(toolCache, { recursive: true, force: true });
    const [key] = calls.actionsSaved;
    writeEmulator(path.join(remote, key!), 'aarch64', '9.9.9');
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(calls.restored).toEqual([key]);
    expect(calls.compiled).toEqual([['aarch64']]);
    expect(e.cacheHit).toBe('false');
  });

  it('compiles only what is missing, in one build, and gathers every target in one directory', async () => {
    await installEmulators(request(['aarch64']), stores());
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64', 'arm', 'riscv64']), stores());
    expect(calls.compiled).toEqual([['arm', 'riscv64']]);
    expect(e.cacheHit).toBe('false');
    expect(await selfTest(e.dir, ['aarch64', 'arm', 'riscv64'], entry.version)).toBeUndefined();
    // A second run finds the whole set in the tool cache.
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const again = await installEmulators(request(['aarch64', 'arm', 'riscv64']), stores());
    expect(again).toMatchObject({ dir: e.dir, cacheHit: 'tool-cache' });
    expect(calls.compiled).toEqual([]);
  });

  it('without an Actions cache, neither restores nor saves there', async () => {
    const e = await installEmulators(request(['arm']), stores({ actionsCache: false }));
    expect(e.cacheHit).toBe('false');
    expect(calls.restored).toEqual([]);
    expect(calls.actionsSaved).toEqual([]);
  });
});
