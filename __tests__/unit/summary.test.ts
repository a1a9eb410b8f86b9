import { describe, expect, it } from '@jest/globals';
import { emulatorOrigin, formatSeconds, summaryCells, type SummaryRow } from '../../src/summary.js';

describe('summary', () => {
  const row: SummaryRow = {
    arch: 'aarch64',
    platform: 'linux/arm64',
    qemuVersion: '10.2.2',
    cacheHit: 'false',
    source: 'Debian qemu',
    compileSeconds: 301,
    imageid: 'sha256:1',
    digest: '',
  };
  it('formats a row', () => {
    expect(summaryCells(row)).toEqual([
      'aarch64',
      'linux/arm64',
      '10.2.2',
      'compiled from Debian qemu',
      '5 min 1 s',
      'sha256:1',
      '-',
    ]);
    expect(emulatorOrigin({ ...row, cacheHit: 'tool-cache' })).toBe('tool cache');
    expect(formatSeconds(undefined)).toBe('-');
    expect(formatSeconds(42)).toBe('42 s');
  });
});
