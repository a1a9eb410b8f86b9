// What a run reports: the action's outputs (names from action.yml) and the summary table, both
// from the pipeline's result. The action sets them with core; the CLI prints them.
import type { OutputName } from './action-contract.js';
import type { PipelineResult } from './pipeline.js';
import { SUMMARY_HEADER, summaryCells } from './summary.js';

/** Every output of a finished run; the type makes a missing or unknown output a compile error. */
export function outputsOf(r: PipelineResult): Record<OutputName, string> {
  return {
    'qemu-version': r.qemu.version,
    'qemu-path': r.emulator?.dir ?? '',
    'cache-hit': r.emulator?.cacheHit ?? 'false',
    platform: r.platforms.join(','),
    imageid: r.imageid,
    digest: r.digest,
    images: JSON.stringify(r.images),
    metadata: r.metadata,
  };
}

/** The job summary's table: a header row, then one row per arch. */
export function summaryTable(r: PipelineResult): string[][] {
  return [SUMMARY_HEADER, ...r.rows.map(summaryCells)];
}
