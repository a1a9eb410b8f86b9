import { describe, expect, it } from '@jest/globals';
import {
  configureFlags,
  minimumMeson,
  ninjaTargets,
  parseNinjaProgress,
  progressToReport,
} from '../../../src/qemu/configure.js';

describe('configureFlags', () => {
  it('builds every target in one configure, sorted, with --python from 8.0 on', () => {
    const f = configureFlags('10.2.2', ['arm', 'aarch64', 'arm']);
    expect(f).toContain('--static');
    expect(f).toContain('--target-list=aarch64-linux-user,arm-linux-user');
    expect(f).toContain('--disable-system');
    expect(f[f.length - 1]).toBe('--python=/usr/bin/python3');
  });
  it('leaves --python out for 7.2, which refuses it', () => {
    expect(configureFlags('7.2.0', ['aarch64']).some((x) => x.startsWith('--python'))).toBe(false);
  });
  it('refuses an empty target list', () => {
    expect(() => configureFlags('10.2.2', [])).toThrow(/no QEMU target/);
  });
  it('names the ninja targets and the meson floor', () => {
    expect(ninjaTargets(['arm', 'aarch64'])).toEqual(['qemu-aarch64', 'qemu-arm']);
    expect(minimumMeson('10.0.13')).toBe('1.5.0');
    expect(minimumMeson('7.2.0')).toBeUndefined();
  });
});

describe('ninja progress', () => {
  it('parses status lines', () => {
    expect(parseNinjaProgress('[12/400] Compiling C object x.o')).toEqual({ done: 12, total: 400 });
    expect(parseNinjaProgress('ninja: Entering directory')).toBeUndefined();
  });
  it('reports every 10 % and the end once', () => {
    expect(progressToReport({ done: 1, total: 400 }, -10)).toBe(0);
    expect(progressToReport({ done: 30, total: 400 }, 0)).toBeUndefined();
    expect(progressToReport({ done: 45, total: 400 }, 0)).toBe(10);
    expect(progressToReport({ done: 400, total: 400 }, 90)).toBe(100);
    expect(progressToReport({ done: 400, total: 400 }, 100)).toBeUndefined();
  });
});
