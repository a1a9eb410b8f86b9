// The job summary: one row per architecture. Pure rows; main writes them with core.summary.
import type { CacheHit } from './qemu/install.js';

export interface SummaryRow {
  readonly arch: string;
  readonly platform: string;
  readonly qemuVersion: string;
  readonly cacheHit: CacheHit | 'none';
  readonly source: string | undefined;
  readonly compileSeconds: number | undefined;
  readonly imageid: string;
  readonly digest: string;
}

export function emulatorOrigin(row: SummaryRow): string {
  switch (row.cacheHit) {
    case 'tool-cache':
      return 'tool cache';
    case 'actions-cache':
      return 'Actions cache';
    case 'none':
      return 'not needed (host platform)';
    case 'false':
      return `compiled${row.source ? ` from ${row.source}` : ''}`;
  }
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '-';
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

export const SUMMARY_HEADER = [
  'Arch',
  'Platform',
  'QEMU',
  'Emulator from',
  'Compile time',
  'Image ID',
  'Digest',
];

export function summaryCells(row: SummaryRow): string[] {
  return [
    row.arch,
    row.platform,
    row.qemuVersion,
    emulatorOrigin(row),
    formatSeconds(row.compileSeconds),
    row.imageid || '-',
    row.digest || '-',
  ];
}
