// installEmulators' order of precedence — tool cache, then the Actions cache, then one compile of
// whatever is still missing — with stores on real directories: the real tool cache code under a
// temporary root, an Actions cache kept in a directory, and a "compile" that writes small
// executables which pass (or, on purpose, fail) the real self-test.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findInToolCache, removeFromToolCache, saveToToolCache } from '../../../src/cache/tool-cache.js';
import { MANIFEST_FILE, writeManifest } from '../../../src/cache/manifest.js';
import { emulatorCacheNames } from '../../../src/cache/key.js';
import { configureFlags } from '../../../src/qemu/configure.js';
import { installEmulators, type EmulatorRequest, type EmulatorStores } from '../../../src/qemu/install.js';
import type { SourceIdentity } from '../../../src/qemu/source-identity.js';
import { sha256File } from '../../../src/util/hash.js';
import { selfTest } from '../../../src/qemu/selftest.js';
import { findActionRoot, loadSeries } from '../../../src/qemu/series.js';
import { resolveQemuVersion } from '../../../src/qemu/version.js';

const root = findActionRoot();
const entry = resolveQemuVersion('latest', loadSeries(root));
const debian: SourceIdentity = { kind: 'debian', sha256: entry.debian.sha256, uncachedBecause: undefined };
const pinned = (sha256: string): SourceIdentity => ({ kind: 'url', sha256, uncachedBecause: undefined });
const unverified: SourceIdentity = {
  kind: 'path',
  sha256: undefined,
  uncachedBecause: 'nothing verifies its source (allow-unverified-source)',
};

/** A planted "emulator": answers the self-test like a patched one, and leaves a mark when run. */
function writePlanted(file: string, mark: string, target = 'aarch64'): void {
  writeFileSync(
    file,
    `#!/bin/sh\ntouch '${mark}'\ncase "$1" in\n-version) echo "qemu-${target} version ${entry.version}";;\n-h) echo "  -execve path  emulate execve";;\nesac\n`,
  );
  chmodSync(file, 0o755);
}

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
  // The source of the request being run: what a real compile would read and check.
  let current: SourceIdentity = debian;
  const savedEnv = process.env['RUNNER_TOOL_CACHE'];

  const request = (targets: string[], source: SourceIdentity = debian): EmulatorRequest => ({
    entry,
    source,
    targets,
    patchFile: path.join(root, 'patches', entry.patch),
    workDir: path.join(base, 'work'),
    actionsCacheDir: path.join(base, 'actions-cache-dir'),
    runnerOs: 'Linux',
    runnerArch: 'X64',
  });

  /** Stores over real directories; a compile reads a source of sha256 `read` (default: the request's). */
  const stores = (opts: { actionsCache?: boolean; read?: SourceIdentity } = {}): EmulatorStores => ({
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
      return { dir: outDir, seconds: 1, source: 'a test', sourceSha256: (opts.read ?? current).sha256 };
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
    current = debian;
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
    // A wrong binary under a manifest that lists it: only the self-test can tell.
    writeEmulator(first.dir, 'aarch64', '9.9.9');
    const names = emulatorCacheNames({
      qemuVersion: entry.version,
      target: 'aarch64',
      sourceSha256: entry.debian.sha256,
      patchSha256: await sha256File(path.join(root, 'patches', entry.patch)),
      configureFlags: configureFlags(entry.version, ['aarch64']),
      runnerOs: 'Linux',
      runnerArch: 'X64',
    });
    await writeManifest(first.dir, names, ['qemu-aarch64']);
    rmSync(remote, { recursive: true, force: true });
    mkdirSync(remote);
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(calls.removed).toEqual([first.dir]);
    expect(calls.compiled).toEqual([['aarch64']]);
    expect(e.cacheHit).toBe('false');
    expect(await selfTest(e.dir, ['aarch64'], entry.version)).toBeUndefined();
  });

  it('does not use an Actions-cache copy that is not what its manifest lists, and runs nothing in it', async () => {
    await installEmulators(request(['aarch64']), stores());
    rmSync(toolCache, { recursive: true, force: true });
    const [key] = calls.actionsSaved;
    const mark = path.join(base, 'ran');
    writePlanted(path.join(remote, key!, 'qemu-aarch64'), mark);
    calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
    const e = await installEmulators(request(['aarch64']), stores());
    expect(calls.restored).toEqual([key]);
    expect(calls.compiled).toEqual([['aarch64']]);
    expect(e.cacheHit).toBe('false');
    expect(existsSync(mark)).toBe(false);
  });

  describe('an entry planted under the right name is discarded without being run', () => {
    it.each([
      ['with no manifest', false],
      ['beside the manifest of the real one', true],
    ])('%s', async (_what, keepManifest) => {
      const real = await installEmulators(request(['aarch64']), stores());
      if (!keepManifest) rmSync(path.join(real.dir, MANIFEST_FILE));
      const mark = path.join(base, 'ran');
      writePlanted(path.join(real.dir, 'qemu-aarch64'), mark);
      rmSync(remote, { recursive: true, force: true });
      mkdirSync(remote);
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      const e = await installEmulators(request(['aarch64']), stores());
      expect(existsSync(mark)).toBe(false);
      expect(calls.removed).toEqual([real.dir]);
      expect(calls.compiled).toEqual([['aarch64']]);
      expect(e.cacheHit).toBe('false');
      expect(await selfTest(e.dir, ['aarch64'], entry.version)).toBeUndefined();
    });

    it('in a set of several arches', async () => {
      const set = await installEmulators(request(['aarch64', 'arm']), stores());
      const mark = path.join(base, 'ran');
      writePlanted(path.join(set.dir, 'qemu-arm'), mark, 'arm');
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      const e = await installEmulators(request(['aarch64', 'arm']), stores());
      expect(existsSync(mark)).toBe(false);
      expect(calls.removed).toEqual([set.dir]);
      // The members' own entries are sound: the set is gathered again from them.
      expect(calls.compiled).toEqual([]);
      expect(await selfTest(e.dir, ['aarch64', 'arm'], entry.version)).toBeUndefined();
      expect(existsSync(mark)).toBe(false);
    });
  });

  describe("the source's sha256 is part of what a cached emulator stands for", () => {
    it('a build from an unverified source is not cached and does not serve a later pinned run', async () => {
      current = unverified;
      const loose = await installEmulators(request(['aarch64'], unverified), stores());
      expect(loose.cacheHit).toBe('false');
      expect(loose.dir.startsWith(toolCache)).toBe(false);
      expect(existsSync(toolCache)).toBe(false);
      expect(calls.restored).toEqual([]);
      expect(calls.actionsSaved).toEqual([]);
      // Again, unverified: compiled again, nothing looked up.
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      const both = await installEmulators(request(['aarch64', 'arm'], unverified), stores());
      expect(calls.compiled).toEqual([['aarch64', 'arm']]);
      expect(calls.restored).toEqual([]);
      expect(await selfTest(both.dir, ['aarch64', 'arm'], entry.version)).toBeUndefined();
      // A pinned run compiles its own.
      current = pinned('12'.repeat(32));
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      const e = await installEmulators(request(['aarch64'], current), stores());
      expect(calls.compiled).toEqual([['aarch64']]);
      expect(e.dir.startsWith(toolCache)).toBe(true);
    });

    it('a pinned run does not use an entry built from a source of another sha256', async () => {
      current = pinned('12'.repeat(32));
      const first = await installEmulators(request(['aarch64'], current), stores());
      current = pinned('34'.repeat(32));
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      const e = await installEmulators(request(['aarch64'], current), stores());
      expect(calls.compiled).toEqual([['aarch64']]);
      expect(calls.removed).toEqual([]);
      expect(e.dir).not.toBe(first.dir);
      // The first pin still finds its own.
      current = pinned('12'.repeat(32));
      calls = { restored: [], actionsSaved: [], compiled: [], removed: [] };
      expect(await installEmulators(request(['aarch64'], current), stores())).toMatchObject({
        dir: first.dir,
        cacheHit: 'tool-cache',
      });
    });

    it('a compile that read another source than its key names saves nothing', async () => {
      await expect(
        installEmulators(request(['aarch64']), stores({ read: pinned('56'.repeat(32)) })),
      ).rejects.toThrow(/the QEMU source read has sha256 (56)+, not the [0-9a-f]{64} of its cache key/);
      expect(existsSync(toolCache)).toBe(false);
      expect(calls.actionsSaved).toEqual([]);
    });
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

  it('goes on with its own copy when the tool cache cannot store it, with one arch or several', async () => {
    // A tool cache root that is a file: every save fails (with a warning) and returns its input.
    writeFileSync(toolCache, 'not a directory\n');
    for (const targets of [['aarch64'], ['aarch64', 'arm']]) {
      const e = await installEmulators(request(targets), stores());
      expect(e.dir.startsWith(base)).toBe(true);
      expect(e.dir.startsWith(toolCache)).toBe(false);
      expect(await selfTest(e.dir, targets, entry.version)).toBeUndefined();
    }
  });

  it('without an Actions cache, neither restores nor saves there', async () => {
    const e = await installEmulators(request(['arm']), stores({ actionsCache: false }));
    expect(e.cacheHit).toBe('false');
    expect(calls.restored).toEqual([]);
    expect(calls.actionsSaved).toEqual([]);
  });
});
