import { describe, expect, it } from '@jest/globals';
import { selfTestProblem } from '../../../src/qemu/selftest.js';

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
