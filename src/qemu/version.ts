// Turn the user's `qemu-version` input into one shipped series entry.
import semver from 'semver';
import type { Series, SeriesEntry } from './series.js';

function supported(series: Series): string {
  if (series.length === 0) return 'none (patches/series.json lists no series)';
  return ['latest', ...series.map((e) => `${e.series} (${e.version})`)].join(', ');
}

function invalid(spec: string, series: Series, why = ''): Error {
  return new Error(
    `Invalid value for input "qemu-version": "${spec}"${why}. Supported: ${supported(series)}`,
  );
}

/**
 * Resolve `latest`, a major (`10`), a series (`10.2`) or an exact release (`10.2.2`), with an
 * optional leading "v". Any other semver range also works and picks the newest shipped match.
 * Only the release each series pins is shipped, so another patch release is an error.
 */
export function resolveQemuVersion(spec: string, series: Series): SeriesEntry {
  const s = spec.trim().replace(/^v(?=\d)/i, '');
  if (series.length === 0) throw invalid(spec, series);
  if (s === '' || s.toLowerCase() === 'latest') {
    return series.reduce((best, e) => (semver.gt(e.version, best.version) ? e : best));
  }
  if (semver.validRange(s) === null) throw invalid(spec, series, ' is not a version');
  const versions = series.map((e) => e.version);
  const best = semver.maxSatisfying(versions, s);
  if (best === null) {
    const exact = semver.valid(s);
    const why =
      exact !== null && series.some((e) => e.series === `${semver.major(exact)}.${semver.minor(exact)}`)
        ? ' is not the release this action ships for that series'
        : ' matches no supported series';
    throw invalid(spec, series, why);
  }
  const entry = series.find((e) => e.version === best);
  if (!entry) throw invalid(spec, series);
  return entry;
}
