// The runner's tool cache as the tests see it: which entries are marked complete, and where the
// action keeps an emulator, read from the "qemu-path" output of a run that found it there.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SHARED_TOOL_CACHE } from './project.js';
import { runAction } from './runner.js';
import { cleanupEnv, makeWorkspace } from './workspace.js';

/** Every file below `dir` whose name ends in .complete: @actions/tool-cache's marks of usable entries. */
export function completeMarks(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.complete'));
}

/**
 * The entry (TOOL/VERSION/ARCH, relative to the tool cache `root`) that a single arch's
 * "qemu-path" output names, checked to be one: the same relative path in any other tool cache
 * is where the action looks for the same emulator.
 */
export function toolCacheEntry(root: string, qemuPath: string): string {
  const rel = path.relative(root, qemuPath);
  if (!/^anyarch-qemu-[a-z0-9_]+\/\d+\.\d+\.\d+-h[0-9a-f]{16}\/[a-z0-9]+$/.test(rel)) {
    throw new Error(
      `qemu-path ${JSON.stringify(qemuPath)} is not one emulator's entry in the tool cache ${root}`,
    );
  }
  return rel;
}

export interface SharedEmulator {
  /** The shared tool cache (SHARED_TOOL_CACHE). */
  readonly root: string;
  /** The emulator's entry in it, relative: TOOL/VERSION/ARCH. */
  readonly entry: string;
  /** The entry's directory, holding qemu-<arch>. */
  readonly dir: string;
}

/**
 * The patched emulator for `arch` of QEMU `series` in the shared tool cache, as the action
 * finds it: one run of the action (build: false, Debian's source), which compiles only when
 * that cache lacks it; its "qemu-path" output names the entry.
 */
export function sharedEmulator(arch: string, series: string): SharedEmulator {
  const env = makeWorkspace({ 'README.md': 'probe\n' });
  try {
    const r = runAction(env, { arch, 'qemu-source': 'debian', 'qemu-version': series, build: 'false' });
    if (r.main.status !== 0)
      throw new Error(`the action found no qemu-${arch} ${series}:\n${r.main.log.slice(-4000)}`);
    const dir = r.main.outputs.get('qemu-path') ?? '';
    return { root: SHARED_TOOL_CACHE, entry: toolCacheEntry(SHARED_TOOL_CACHE, dir), dir };
  } finally {
    cleanupEnv(env);
  }
}
