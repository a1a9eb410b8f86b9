// A change to the patch changes the emulator's cache key: with the same tool cache, the action
// run from a copy of itself whose patch differs by one comment line misses, compiles, and
// stores a second entry beside the first, which stays in use for the unchanged action.
//
// Every run of this test compiles (5-8 minutes on 2 cores): before the changed action runs, the
// tool-cache entry of the changed patch (made by an earlier run of this test, and by nothing
// else) is removed. The expected keys are not computed by the code under test: the shipped key
// is a literal, and the changed one is computed here from the key's definition in
// src/cache/key.ts, written out again below. Configure flags are not an input (configureFlags()
// derives them from the QEMU version and targets), so a change to them is a change to the code:
// it changes the shipped key too (see also __tests__/unit/cache-key.test.ts).
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { emulatorCacheNames } from '../../src/cache/key.js';
import { PROJECT_ROOT, SHARED_TOOL_CACHE } from '../support/project.js';
import { seriesEntry, TEST_SERIES } from '../support/qemu-sources.js';
import { runAction, type ActionRun, type StepResult } from '../support/runner.js';
import { cleanupEnv, makeWorkspace, type RunEnv } from '../support/workspace.js';

const SERIES = TEST_SERIES;
const inputs = { arch: 'aarch64', 'qemu-source': 'debian', 'qemu-version': SERIES, build: 'false' };
// The tool cache every run of this test uses: the shared one, so that the shipped patch's entry
// is usually there already.
const TOOL_CACHE = SHARED_TOOL_CACHE;
const MARK = '/* anyarch e2e: a patch that differs from the shipped one by this comment */';

// The QEMU release of series 10.2, and the configure flags of a qemu-aarch64 build of it.
const VERSION = '10.2.2';
const SHIPPED_FLAGS = [
  '--static',
  '--target-list=aarch64-linux-user',
  '--without-default-features',
  '--disable-system',
  '--disable-tools',
  '--disable-docs',
  '--disable-werror',
  '--disable-install-blobs',
  '--disable-plugins',
  '--python=/usr/bin/python3',
];
// The cache key of qemu-aarch64 built with the shipped patches/qemu-10.2.patch and SHIPPED_FLAGS
// on a Linux X64 runner. When the patch, the flags or the key's definition change on purpose,
// update SHIPPED_FLAGS (the "Configuring: ../configure ..." line of a compile) and this key
// (the "Emulator cache key ..." line of a run of the action: build: false, qemu-version: 10.2)
// together; the key is also what keyOf() below gives for the shipped patch and SHIPPED_FLAGS.
const SHIPPED_KEY = 'anyarch-qemu-aarch64-10.2.2-linux-x64-a2b3d228c52b40c8';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// Debian's orig tarball of 10.2.2 (patches/series.json), the source these runs build from.
const DEBIAN_SHA256 = 'be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb';

/**
 * The digest of a qemu-aarch64 build from Debian's tarball on a Linux X64 runner, by the
 * definition in src/cache/key.ts: sha256 of this JSON, fields in this order (schema 3).
 */
function digest(patchSha256: string, configureFlags: readonly string[]): string {
  return sha256(
    JSON.stringify({
      schema: 3,
      qemuVersion: VERSION,
      target: 'aarch64',
      sourceSha256: DEBIAN_SHA256,
      patchSha256,
      configureFlags,
      runnerOs: 'Linux',
      runnerArch: 'X64',
    }),
  );
}
/** The cache key: readable fields, then the digest's first 16 hex digits. */
function keyOf(patchSha256: string, configureFlags: readonly string[]): string {
  return `anyarch-qemu-aarch64-${VERSION}-linux-x64-${digest(patchSha256, configureFlags).slice(0, 16)}`;
}
/** Its tool-cache entry: <tool cache>/anyarch-qemu-aarch64/<version>-h<16 hex digits>/x64. */
function toolCacheEntry(patchSha256: string, configureFlags: readonly string[]): string {
  return path.join(
    TOOL_CACHE,
    'anyarch-qemu-aarch64',
    `${VERSION}-h${digest(patchSha256, configureFlags).slice(0, 16)}`,
    'x64',
  );
}

/**
 * Remove one tool-cache entry (a .../<version>/x64 directory) that this test made: its marker
 * first, so that it never looks complete while going, then its version directory. Refuses
 * anything but an entry of the changed patch.
 */
function removeChangedEntry(entry: string, shippedEntry: string): void {
  const versionDir = path.dirname(entry);
  if (
    path.dirname(versionDir) !== path.join(TOOL_CACHE, 'anyarch-qemu-aarch64') ||
    !/^\d+\.\d+\.\d+-h[0-9a-f]{16}$/.test(path.basename(versionDir)) ||
    path.basename(entry) !== 'x64' ||
    entry === shippedEntry
  ) {
    throw new Error(`refusing to remove ${entry}: not the changed patch's tool-cache entry`);
  }
  if (!existsSync(versionDir)) return;
  if (!lstatSync(versionDir).isDirectory()) throw new Error(`${versionDir} is not a directory`);
  rmSync(`${entry}.complete`, { force: true });
  rmSync(versionDir, { recursive: true, force: true });
}

/** The patch with one more line at the top of the new file linux-user/execve.c. */
function withExtraLine(patch: string): string {
  const hunk = /(\+\+\+ b\/linux-user\/execve\.c\n@@ -0,0 \+1,)(\d+)( @@[^\n]*\n)/;
  if (!hunk.test(patch)) throw new Error('no new-file hunk for linux-user/execve.c in the patch');
  return patch.replace(
    hunk,
    (_all, head: string, count: string, tail: string) => `${head}${Number(count) + 1}${tail}+${MARK}\n`,
  );
}

/** Tool-cache entries (version directories) that are complete, e.g. "10.2.2-h0123456789abcdef". */
function toolCacheEntries(): Set<string> {
  const dir = path.join(TOOL_CACHE, 'anyarch-qemu-aarch64');
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((v) => existsSync(path.join(dir, v, 'x64.complete'))));
}

function cacheKey(step: StepResult): string {
  const m = /Emulator cache key (\S+)/.exec(step.log);
  if (!m) throw new Error(`no cache key in the log:\n${step.log.slice(-3000)}`);
  return m[1]!;
}

function ok(r: ActionRun): StepResult {
  if (r.main.status !== 0) throw new Error(r.main.log.slice(-6000));
  expect(r.post.status).toBe(0);
  return r.main;
}

describe('cache invalidation', () => {
  let env: RunEnv;
  let changedRoot: string;
  let patchFile: string;
  let shippedPatchSha: string;
  let changedPatchSha: string;
  let changedEntry: string;
  let shippedEntry: string;

  beforeAll(() => {
    env = makeWorkspace({ 'README.md': 'fixture\n' });
    // A checkout of the action with a different patch: what a user gets from a new release.
    changedRoot = path.join(path.dirname(env.workspace), 'action');
    mkdirSync(changedRoot);
    cpSync(path.join(PROJECT_ROOT, 'action.yml'), path.join(changedRoot, 'action.yml'));
    cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(changedRoot, 'dist'), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, 'patches'), path.join(changedRoot, 'patches'), { recursive: true });
    const series = seriesEntry(SERIES);
    expect(series.version).toBe(VERSION);
    const shippedPatch = path.join(PROJECT_ROOT, 'patches', series.patch);
    patchFile = path.join(changedRoot, 'patches', series.patch);
    writeFileSync(patchFile, withExtraLine(readFileSync(patchFile, 'utf8')));
    shippedPatchSha = sha256(readFileSync(shippedPatch));
    changedPatchSha = sha256(readFileSync(patchFile));
    shippedEntry = toolCacheEntry(shippedPatchSha, SHIPPED_FLAGS);
    changedEntry = toolCacheEntry(changedPatchSha, SHIPPED_FLAGS);
  });
  afterAll(() => {
    if (env) cleanupEnv(env);
  });

  test('the changed patch still has a well-formed execve.c hunk', () => {
    const text = readFileSync(patchFile, 'utf8');
    const m = /\+\+\+ b\/linux-user\/execve\.c\n@@ -0,0 \+1,(\d+) @@[^\n]*\n([\s\S]*?)\ndiff --git /.exec(
      text,
    );
    expect(m).not.toBeNull();
    const body = m![2]!.split('\n');
    expect(body).toHaveLength(Number(m![1]));
    expect(body.every((l) => l.startsWith('+'))).toBe(true);
    expect(body[0]).toBe(`+${MARK}`);
  });

  test('a changed patch misses the tool cache and compiles; the unchanged action still hits', () => {
    const original = ok(runAction(env, inputs));
    const originalPath = original.outputs.get('qemu-path')!;
    expect(existsSync(path.join(originalPath, 'qemu-aarch64'))).toBe(true);

    // An earlier run of this test stored the changed patch's emulator: remove that entry (and
    // only it), so that this run misses and compiles.
    removeChangedEntry(changedEntry, shippedEntry);
    expect(existsSync(path.dirname(changedEntry))).toBe(false);
    expect(toolCacheEntries().has(path.basename(path.dirname(changedEntry)))).toBe(false);
    // The shipped patch's entry, which the run above used, is untouched.
    expect(originalPath).toBe(shippedEntry);
    expect(toolCacheEntries().has(path.basename(path.dirname(shippedEntry)))).toBe(true);

    const changed = ok(runAction(env, inputs, { actionRoot: changedRoot }));
    const changedPath = changed.outputs.get('qemu-path')!;
    expect(cacheKey(changed)).not.toBe(cacheKey(original));
    expect(changedPath).not.toBe(originalPath);
    expect(changed.outputs.get('qemu-version')).toBe(original.outputs.get('qemu-version'));

    expect(changed.outputs.get('cache-hit')).toBe('false');
    expect(changed.log).toMatch(/Compiling QEMU \S+ for aarch64/);
    expect(changed.log).toContain(`Applying ${path.basename(patchFile)}`);
    expect(changed.log).toMatch(/Compiling on \d+ core\(s\): ninja/);
    expect(changed.log).toMatch(/Built qemu-aarch64 in \d+ s/);
    // What configure got: the flags the keys are pinned for.
    const configure = /^Configuring: \.\.\/configure (.*)$/m.exec(changed.log);
    expect(configure?.[1]!.split(' ')).toEqual(SHIPPED_FLAGS);
    // Stored as a new entry, where the changed key's definition puts it.
    expect(changedPath).toBe(changedEntry);
    expect(toolCacheEntries().has(path.basename(path.dirname(changedEntry)))).toBe(true);
    expect(existsSync(path.join(changedPath, 'qemu-aarch64'))).toBe(true);

    // Both entries stay: each action finds its own, compiling nothing.
    const again = ok(runAction(env, inputs));
    expect(again.outputs.get('cache-hit')).toBe('tool-cache');
    expect(again.outputs.get('qemu-path')).toBe(originalPath);
    const changedAgain = ok(runAction(env, inputs, { actionRoot: changedRoot }));
    expect(changedAgain.outputs.get('cache-hit')).toBe('tool-cache');
    expect(changedAgain.outputs.get('qemu-path')).toBe(changedPath);
    for (const r of [again, changedAgain]) expect(r.log).not.toMatch(/Compiling QEMU|ninja/);
  });

  test('the logged cache keys are the pinned key and the digest of the changed patch and the flags', () => {
    const shipped = ok(runAction(env, inputs));
    const changed = ok(runAction(env, inputs, { actionRoot: changedRoot }));
    expect(shipped.outputs.get('qemu-version')).toBe(VERSION);
    // The literal is what the definition gives for the shipped patch (else update it, see SHIPPED_KEY).
    expect(keyOf(shippedPatchSha, SHIPPED_FLAGS)).toBe(SHIPPED_KEY);
    expect(cacheKey(shipped)).toBe(SHIPPED_KEY);
    expect(shipped.outputs.get('qemu-path')).toBe(shippedEntry);
    expect(cacheKey(changed)).toBe(keyOf(changedPatchSha, SHIPPED_FLAGS));
    expect(changed.outputs.get('qemu-path')).toBe(changedEntry);
    // One configure flag more or less is another key, hence a compile: by the definition the
    // logged keys match, and in the code that computes them.
    const codeKey = (configureFlags: string[]) =>
      emulatorCacheNames({
        qemuVersion: VERSION,
        target: 'aarch64',
        sourceSha256: DEBIAN_SHA256,
        patchSha256: shippedPatchSha,
        configureFlags,
        runnerOs: 'Linux',
        runnerArch: 'X64',
      }).key;
    expect(codeKey(SHIPPED_FLAGS)).toBe(SHIPPED_KEY);
    for (const flags of [[...SHIPPED_FLAGS, '--enable-debug'], SHIPPED_FLAGS.slice(1)]) {
      expect(keyOf(shippedPatchSha, flags)).not.toBe(SHIPPED_KEY);
      expect(codeKey(flags)).not.toBe(SHIPPED_KEY);
    }
  });
});
