import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { selfTest, selfTestProblem } from '../../../src/qemu/selftest.js';

describe('selfTestProblem', () => {
  const help =
    'usage: qemu-aarch64 [options] program\n-execve path         QEMU_EXECVE          run guest execve()\n';
  it('accepts a patched emulator of the right version', () => {
    expect(selfTestProblem('qemu-aarch64 version 10.2.2\nCopyright', help, '10.2.2')).toBeUndefined();
    expect(
      selfTestProblem('qemu-aarch64 version 10.2.2 (Debian 1:10.2.2+ds-1)', help, '10.2.2'),
    ).toBeUndefined();
  });
  it('rejects another version, no version, and a missing -execve', () => {
    expect(selfTestProblem('qemu-aarch64 version 10.0.13', help, '10.2.2')).toMatch(/10\.0\.13/);
    expect(selfTestProblem('garbage', help, '10.2.2')).toMatch(/no version/);
    expect(selfTestProblem('qemu-aarch64 version 10.2.2', '-L path\n-execve-fd fd\n', '10.2.2')).toMatch(
      /-execve/,
    );
  });
});

describe('selfTest', () => {
  it('runs an emulator in a tool cache whose path holds a space', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-selftest-'));
    try {
      const dir = path.join(base, 'tool cache', 'x64');
      mkdirSync(dir, { recursive: true });
      // A stand-in answering -version and -h as a patched qemu-aarch64 does.
      const bin = path.join(dir, 'qemu-aarch64');
      writeFileSync(
        bin,
        '#!/bin/sh\ncase "$1" in -version) echo "qemu-aarch64 version 10.2.2";; ' +
          '-h) echo "-execve path         QEMU_EXECVE          run guest execve()";; *) exit 1;; esac\n',
      );
      chmodSync(bin, 0o755);
      await expect(selfTest(dir, ['aarch64'], '10.2.2')).resolves.toBeUndefined();
      await expect(selfTest(dir, ['aarch64'], '10.2.1')).resolves.toMatch(/it is QEMU 10\.2\.2/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
