import { describe, expect, it } from '@jest/globals';
import { isDebianLike, missingMessage, parseMesonVersion } from '../../src/qemu/deps.js';
import { selfTestProblem } from '../../src/qemu/selftest.js';

describe('selfTestProblem', () => {
  const help = 'usage: qemu-aarch64 [options] program\n-execve path         QEMU_EXECVE          run guest execve()\n';
  it('accepts a patched emulator of the right version', () => {
    expect(selfTestProblem('qemu-aarch64 version 10.2.2\nCopyright', help, '10.2.2')).toBeUndefined();
    expect(selfTestProblem('qemu-aarch64 version 10.2.2 (Debian 1:10.2.2+ds-1)', help, '10.2.2')).toBeUndefined();
  });
  it('rejects another version, no version, and a missing -execve', () => {
    expect(selfTestProblem('qemu-aarch64 version 10.0.13', help, '10.2.2')).toMatch(/10\.0\.13/);
    expect(selfTestProblem('garbage', help, '10.2.2')).toMatch(/no version/);
    expect(selfTestProblem('qemu-aarch64 version 10.2.2', '-L path\n-execve-fd fd\n', '10.2.2')).toMatch(/-execve/);
  });
});

describe('build dependencies', () => {
  it('parses meson --version', () => {
    expect(parseMesonVersion('1.7.0\n')).toBe('1.7.0');
    expect(parseMesonVersion('')).toBeUndefined();
  });
  it('recognises Debian and Ubuntu', () => {
    expect(isDebianLike('ID=debian\nVERSION_ID="12"\n')).toBe(true);
    expect(isDebianLike('ID=ubuntu\nID_LIKE=debian\n')).toBe(true);
    expect(isDebianLike('ID=linuxmint\nID_LIKE="ubuntu debian"\n')).toBe(true);
    expect(isDebianLike('ID=fedora\n')).toBe(false);
  });
  it('names what is missing and the packages', () => {
    const m = missingMessage([
      { what: 'ninja', pkg: 'ninja-build' },
      { what: 'static glib-2.0 (pkg-config glib-2.0)', pkg: 'libglib2.0-dev' },
    ]);
    expect(m).toContain('ninja, static glib-2.0');
    expect(m).toContain('apt-get install ninja-build libglib2.0-dev');
  });
});
