// Saving to and removing from the tool cache, on real files in a temporary tool cache.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  findInToolCache,
  removeFromToolCache,
  saveToToolCache,
  toolCachePath,
} from '../../../src/cache/tool-cache.js';
import type { ToolCacheNames } from '../../../src/cache/key.js';

const names: ToolCacheNames = {
  toolName: 'anyarch-qemu-aarch64',
  toolVersion: '10.2.2-h0123456789abcdef',
  toolArch: 'x64',
};

describe('tool cache', () => {
  let base: string;
  let root: string;
  let src: string;
  let dest: string;
  const saved = process.env['RUNNER_TOOL_CACHE'];

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-tc-'));
    root = path.join(base, 'tool-cache');
    src = path.join(base, 'built');
    mkdirSync(src);
    writeFileSync(path.join(src, 'qemu-aarch64'), '#!/bin/sh\necho built\n');
    chmodSync(path.join(src, 'qemu-aarch64'), 0o755);
    process.env['RUNNER_TOOL_CACHE'] = root;
    dest = toolCachePath(names, root);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['RUNNER_TOOL_CACHE'];
    else process.env['RUNNER_TOOL_CACHE'] = saved;
    rmSync(base, { recursive: true, force: true });
  });

  const siblings = () => readdirSync(path.dirname(dest)).sort();

  it('stores an entry where tc.find looks, with its file modes, and nothing else', async () => {
    expect(dest).toBe(path.join(root, 'anyarch-qemu-aarch64', '10.2.2-h0123456789abcdef', 'x64'));
    await expect(saveToToolCache(src, names, root)).resolves.toBe(dest);
    expect(findInToolCache(names)).toBe(dest);
    expect(statSync(path.join(dest, 'qemu-aarch64')).mode & 0o777).toBe(0o755);
    expect(siblings()).toEqual(['x64', 'x64.complete']);
  });

  it('replaces an entry a killed run left without its marker', async () => {
    mkdirSync(dest, { recursive: true });
    writeFileSync(path.join(dest, 'qemu-aarch64'), 'half');
    expect(findInToolCache(names)).toBeUndefined();
    await expect(saveToToolCache(src, names, root)).resolves.toBe(dest);
    expect(readFileSync(path.join(dest, 'qemu-aarch64'), 'utf8')).toBe('#!/bin/sh\necho built\n');
    expect(siblings()).toEqual(['x64', 'x64.complete']);
  });

  it('keeps a complete entry another run stored first', async () => {
    mkdirSync(dest, { recursive: true });
    writeFileSync(path.join(dest, 'qemu-aarch64'), 'theirs');
    writeFileSync(`${dest}.complete`, '');
    await expect(saveToToolCache(src, names, root)).resolves.toBe(dest);
    expect(readFileSync(path.join(dest, 'qemu-aarch64'), 'utf8')).toBe('theirs');
    expect(siblings()).toEqual(['x64', 'x64.complete']);
  });

  it('ends with one complete entry when many saves race', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => saveToToolCache(src, names, root)));
    expect(new Set(results)).toEqual(new Set([dest]));
    expect(readFileSync(path.join(dest, 'qemu-aarch64'), 'utf8')).toBe('#!/bin/sh\necho built\n');
    expect(siblings()).toEqual(['x64', 'x64.complete']);
  });

  it('removes scratch directories of killed runs once they are old', async () => {
    const old = `${dest}.tmp-999999-deadbeef`;
    const fresh = `${dest}.tmp-999998-cafebabe`;
    for (const d of [old, fresh]) mkdirSync(d, { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(old, hourAgo, hourAgo);
    await saveToToolCache(src, names, root);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('waits for another run holding the entry lock, and takes over a lock a killed run left', async () => {
    mkdirSync(path.dirname(dest), { recursive: true });
    mkdirSync(`${dest}.lock`);
    let released = 0;
    setTimeout(() => {
      rmSync(`${dest}.lock`, { recursive: true });
      released = Date.now();
    }, 300);
    await expect(saveToToolCache(src, names, root)).resolves.toBe(dest);
    expect(released).toBeGreaterThan(0);
    expect(siblings()).toEqual(['x64', 'x64.complete']);

    rmSync(path.dirname(dest), { recursive: true });
    mkdirSync(`${dest}.lock`, { recursive: true });
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(`${dest}.lock`, minuteAgo, minuteAgo);
    await expect(saveToToolCache(src, names, root)).resolves.toBe(dest);
    expect(siblings()).toEqual(['x64', 'x64.complete']);
  });

  it('removes an entry marker first, leaving nothing that looks complete', async () => {
    await saveToToolCache(src, names, root);
    await removeFromToolCache(dest);
    expect(findInToolCache(names)).toBeUndefined();
    expect(siblings()).toEqual([]);
  });

  it('returns the directory itself when it cannot store it', async () => {
    writeFileSync(path.join(base, 'file'), '');
    await expect(saveToToolCache(src, names, path.join(base, 'file'))).resolves.toBe(src);
  });
});
