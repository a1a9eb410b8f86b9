// The QEMU series and source tarballs the tests use, read from patches/series.json (through the
// action's own loader) instead of repeating its names and hashes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSeries, type SeriesEntry } from '../../src/qemu/series.js';
import { PROJECT_ROOT, sourcesDir } from './project.js';

/** The series the end-to-end tests build with. */
export const TEST_SERIES = '10.2';

/** The QEMU the image-building tests ask for: Debian's source, the only one reachable here. */
export const LOCAL_QEMU = { 'qemu-source': 'debian', 'qemu-version': TEST_SERIES } as const;

/** One entry of patches/series.json. */
export function seriesEntry(series: string = TEST_SERIES, root: string = PROJECT_ROOT): SeriesEntry {
  const all = loadSeries(root);
  const entry = all.find((e) => e.series === series);
  if (!entry)
    throw new Error(
      `unknown series ${series} (patches/series.json has ${all.map((e) => e.series).join(', ')})`,
    );
  return entry;
}

export interface DebianTarball {
  /** The series' entry in patches/series.json. */
  readonly entry: SeriesEntry;
  /** Debian's orig tarball on disk, where scripts/setup.sh puts it. */
  readonly file: string;
  /** Its pinned sha256. */
  readonly sha256: string;
}

/** Debian's orig tarball of a series: its file and its pinned sha256 (the file may be missing). */
export function debianTarball(series: string = TEST_SERIES): DebianTarball {
  const entry = seriesEntry(series);
  return { entry, file: path.join(sourcesDir(), entry.debian.orig), sha256: entry.debian.sha256 };
}

/** debianTarball(), throwing with the way to get it when the file is not there. */
export function requireDebianTarball(series: string = TEST_SERIES): DebianTarball {
  const t = debianTarball(series);
  if (!existsSync(t.file)) {
    throw new Error(
      `${t.file} is missing: run scripts/setup.sh (or scripts/fetch-qemu-sources.sh ${path.dirname(t.file)}) first`,
    );
  }
  return t;
}
