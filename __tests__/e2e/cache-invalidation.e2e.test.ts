// A change to the patch changes the emulator's cache key: with the same tool cache, the action
// run from a copy of itself whose patch differs by one comment line misses, compiles, and
// stores a second entry beside the first, which stays in use for the unchanged action.
//
// Only the first run of this test on a machine compiles (5-8 minutes on 2 cores); later runs
// find the changed patch's emulator in the tool cache too, and then check that it is a separate
// entry under a separate key. Configure flags are not an input (configureFlags() derives them
// from the QEMU version and targets), so a change to them is a change to the code: the last test
// checks that the key the bundled action logs is the one computed from the configure flags (and
// the patch), so that changing either changes it (see also __tests__/unit/cache-key.test.ts).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { emulatorCacheNames } from '../../src/cache/key.js';
import { configureFlags } from '../../src/qemu/configure.js';
import { cleanupEnv, makeWorkspace, ROOT, runAction, TOOL_CACHE, type RunEnv, type StepResult } from './harness.js';

const SERIES = '10.2';
const inputs = { arch: 'aarch64', 'qemu-source': 'debian', 'qemu-version': SERIES, build: 'false' };
const MARK = '/* anyarch e2e: a patch that differs from the shipped one by this comment */';

/** The patch with one more line at the top of the new file linux-user/execve.c. */
function withExtraLine(patch: string): string {
  const hunk = /(\+\+\+ b\/linux-user\/execve\.c\n@@ -0,0 \+1,)(\d+)( @@[^\n]*\n)/;
  if (!hunk.test(patch)) throw new Error('no new-file hunk for linux-user/execve.c in the patch');
  return patch.replace(hunk, (_all, head: string, count: string, tail: string) => `${head}${Number(count) + 1}${tail}+${MARK}\n`);
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

function ok(r: ReturnType<typeof runAction>): StepResult {
  if (r.main.status !== 0) throw new Error(r.main.log.slice(-6000));
  expect(r.post.status).toBe(0);
  return r.main;
}

describe('cache invalidation', () => {
  let env: RunEnv;
  let changedRoot: string;
  let patchFile: string;

  beforeAll(() => {
    env = makeWorkspace({ 'README.md': 'fixture\n' });
    // A checkout of the action with a different patch: what a user gets from a new release.
    changedRoot = path.join(path.dirname(env.workspace), 'action');
    mkdirSync(changedRoot);
    cpSync(path.join(ROOT, 'action.yml'), path.join(changedRoot, 'action.yml'));
    cpSync(path.join(ROOT, 'dist'), path.join(changedRoot, 'dist'), { recursive: true });
    cpSync(path.join(ROOT, 'patches'), path.join(changedRoot, 'patches'), { recursive: true });
    const series = JSON.parse(readFileSync(path.join(ROOT, 'patches', 'series.json'), 'utf8')) as {
      series: Record<string, { patch: string }>;
    };
    patchFile = path.join(changedRoot, 'patches', series.series[SERIES]!.patch);
    writeFileSync(patchFile, withExtraLine(readFileSync(patchFile, 'utf8')));
  });
  afterAll(() => {
    if (env) cleanupEnv(env);
  });

  test('the changed patch still has a well-formed execve.c hunk', () => {
    const text = readFileSync(patchFile, 'utf8');
    const m = /\+\+\+ b\/linux-user\/execve\.c\n@@ -0,0 \+1,(\d+) @@[^\n]*\n([\s\S]*?)\ndiff --git /.exec(text);
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

    const before = toolCacheEntries();
    const changed = ok(runAction(env, inputs, {}, changedRoot));
    const changedPath = changed.outputs.get('qemu-path')!;
    const entry = path.basename(path.dirname(changedPath));
    expect(cacheKey(changed)).not.toBe(cacheKey(original));
    expect(changedPath).not.toBe(originalPath);
    expect(changed.outputs.get('qemu-version')).toBe(original.outputs.get('qemu-version'));

    if (before.has(entry)) {
      // An earlier run of this test compiled it already: a hit on the changed key's own entry.
      process.stdout.write(`changed patch: ${entry} was compiled by an earlier run; tool-cache hit\n`);
      expect(changed.outputs.get('cache-hit')).toBe('tool-cache');
      expect(changed.log).not.toMatch(/Configuring: |Compiling on /);
    } else {
      expect(changed.outputs.get('cache-hit')).toBe('false');
      expect(changed.log).toMatch(/Compiling QEMU \S+ for aarch64/);
      expect(changed.log).toMatch(/Applying qemu-[\d.]+\.patch/);
      expect(changed.log).toMatch(/Configuring: \.\.\/configure .*--target-list=aarch64-linux-user/);
      expect(changed.log).toMatch(/Compiling on \d+ core\(s\): ninja/);
      expect(changed.log).toMatch(/Built qemu-aarch64 in \d+ s/);
      expect(toolCacheEntries().has(entry)).toBe(true);
    }
    expect(existsSync(path.join(changedPath, 'qemu-aarch64'))).toBe(true);

    // Both entries stay: each action finds its own, compiling nothing.
    const again = ok(runAction(env, inputs));
    expect(again.outputs.get('cache-hit')).toBe('tool-cache');
    expect(again.outputs.get('qemu-path')).toBe(originalPath);
    const changedAgain = ok(runAction(env, inputs, {}, changedRoot));
    expect(changedAgain.outputs.get('cache-hit')).toBe('tool-cache');
    expect(changedAgain.outputs.get('qemu-path')).toBe(changedPath);
    for (const r of [again, changedAgain]) expect(r.log).not.toMatch(/Compiling QEMU|ninja/);
  });

  test('the logged cache key is the digest of the patch and the configure flags', () => {
    const shipped = ok(runAction(env, inputs));
    const changed = ok(runAction(env, inputs, {}, changedRoot));
    const version = shipped.outputs.get('qemu-version')!;
    const flags = configureFlags(version, ['aarch64']);
    const key = (patch: string, configure: string[]) =>
      emulatorCacheNames({
        qemuVersion: version,
        target: 'aarch64',
        patchSha256: createHash('sha256').update(readFileSync(patch)).digest('hex'),
        configureFlags: configure,
        runnerOs: 'Linux',
        runnerArch: 'X64',
      }).key;
    const shippedPatch = path.join(ROOT, 'patches', path.basename(patchFile));
    expect(cacheKey(shipped)).toBe(key(shippedPatch, flags));
    expect(cacheKey(changed)).toBe(key(patchFile, flags));
    // One configure flag more or less is another key, hence a compile.
    expect(key(shippedPatch, [...flags, '--enable-debug'])).not.toBe(cacheKey(shipped));
    expect(key(shippedPatch, flags.slice(1))).not.toBe(cacheKey(shipped));
  });
});
