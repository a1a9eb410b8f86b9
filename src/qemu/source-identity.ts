// What a QEMU source is known to be before anything is fetched: the sha256 its tarball will be
// checked against, when a pin or this action's record gives one. That sha256 is part of the
// emulator's cache key, so a cached emulator always stands for the exact source it was built
// from; a source nothing verifies is built, but its emulator is never cached.
import { InputError } from '../input-error.js';
import type { QemuSource } from '../inputs.js';
import type { SeriesEntry } from './series.js';
import { expectedSha256 } from './source.js';

export interface SourceIdentity {
  readonly kind: QemuSource['kind'];
  /** The sha256 the tarball must have (lower-case hex); undefined when nothing pins it. */
  readonly sha256: string | undefined;
  /** Why an emulator built from this source must not be cached; undefined when it may be. */
  readonly uncachedBecause: string | undefined;
}

export function sourceIdentity(
  source: QemuSource,
  entry: SeriesEntry,
  pin: string | undefined,
): SourceIdentity {
  const { sha256 } = expectedSha256(source, entry, pin);
  if (source.kind === 'upstream' && sha256 === undefined) {
    throw new InputError(
      'qemu-source',
      `This action records no sha256 for QEMU ${entry.version}'s upstream tarball (${entry.upstream.url}), ` +
        'so it would be built unverified. Use "qemu-source: debian" (Debian\'s tarball, whose sha256 is recorded), ' +
        'or set "qemu-sha256" to the upstream tarball\'s sha256 after checking it yourself.',
    );
  }
  // An http:// URL gets here only pinned (inputs.ts): its bytes are verified like any other.
  const uncachedBecause =
    sha256 === undefined ? 'nothing verifies its source (allow-unverified-source)' : undefined;
  return { kind: source.kind, sha256, uncachedBecause };
}
