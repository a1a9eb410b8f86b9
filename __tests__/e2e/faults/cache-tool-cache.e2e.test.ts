// The fault matrix, src/cache/tool-cache.ts: runs saving the same emulator into one tool cache
// at once (four processes running the action's own save, support/programs/tool-cache-save.ts)
// all succeed, and leave one complete entry holding a whole, valid binary.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { PROJECT_ROOT } from '../../support/project.js';
import { transpileForNode } from '../../support/transpile.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('fault matrix: the tool cache', () => {
  let scratch: string;

  beforeAll(() => {
    assertNoBinfmt('aarch64');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-e2e-faults-tool-cache-'));
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  describe('7. two runs saving the same emulator into one tool cache at once', () => {
    let program: string;
    let emulator: string;

    beforeAll(() => {
      program = transpileForNode(
        path.join(PROJECT_ROOT, '__tests__', 'support', 'programs', 'tool-cache-save.ts'),
        path.join(scratch, 'js'),
      );
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
      spawn(process.execPath, [program, ...args], {
        env: { ...process.env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });

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
        const child = node(['save', own, 'anyarch-qemu-aarch64', version, 'x64', go], {
          RUNNER_TOOL_CACHE: cache,
        });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const ready = new Promise<void>((resolve) => {
          const check = () => (out.includes('ready\n') ? resolve() : setTimeout(check, 5));
          check();
        });
        const done = new Promise<{ code: number | null; out: string }>((resolve) =>
          child.on('exit', (code) => resolve({ code, out })),
        );
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
});
