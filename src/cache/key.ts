// Names under which a built emulator is stored in the Actions cache and the runner's tool cache.
// One entry per QEMU target, whatever else was compiled with it, so that one build of several
// arches serves later steps that ask for any of them. Everything that changes the binary goes
// into one digest, so a change to any of them misses.
import { createHash } from 'node:crypto';

export interface EmulatorBuildId {
  /** Exact QEMU release, e.g. "10.2.2". */
  readonly qemuVersion: string;
  /** The QEMU linux-user target, e.g. "aarch64". */
  readonly target: string;
  /**
   * sha256 of the QEMU source tarball, verified against a pin or this action's record. The
   * bytes, not where they came from: a URL pinned to Debian's tarball builds Debian's emulator.
   */
  readonly sourceSha256: string;
  /** sha256 (hex) of the patch file's content. */
  readonly patchSha256: string;
  /** Arguments QEMU's configure gets for a build of this target alone, in order. */
  readonly configureFlags: readonly string[];
  /** RUNNER_OS, e.g. "Linux". */
  readonly runnerOs: string;
  /** RUNNER_ARCH, e.g. "X64". */
  readonly runnerArch: string;
}

/** What the runner's tool cache files an entry under (tool-cache.ts). */
export type ToolCacheNames = Pick<EmulatorCacheNames, 'toolName' | 'toolVersion' | 'toolArch'>;

export interface EmulatorCacheNames {
  /** Key for @actions/cache. */
  readonly key: string;
  /** Tool name for @actions/tool-cache. */
  readonly toolName: string;
  /** Tool version for @actions/tool-cache: valid semver, so tc.find treats it as exact. */
  readonly toolVersion: string;
  /** Tool arch for @actions/tool-cache (the runner's, lower-case). */
  readonly toolArch: string;
  /** The full digest, for logs and the entry's manifest. */
  readonly digest: string;
  /** What the digest is of, for the entry's manifest. */
  readonly identity: Readonly<Record<string, unknown>>;
}

// Bump when the layout of what is cached changes, to orphan old entries (3: the source's
// identity in the key, a manifest in each entry).
const SCHEMA = 3;

export function emulatorCacheNames(id: EmulatorBuildId): EmulatorCacheNames {
  if (!/^[a-z0-9_]+$/.test(id.target))
    throw new Error(`not a QEMU target name: ${JSON.stringify(id.target)}`);
  if (!/^[0-9a-fA-F]{64}$/.test(id.sourceSha256))
    throw new Error(`only a source with a verified sha256 is cached, not ${JSON.stringify(id.sourceSha256)}`);
  const identity = {
    schema: SCHEMA,
    qemuVersion: id.qemuVersion,
    target: id.target,
    sourceSha256: id.sourceSha256.toLowerCase(),
    patchSha256: id.patchSha256.toLowerCase(),
    configureFlags: id.configureFlags,
    runnerOs: id.runnerOs,
    runnerArch: id.runnerArch,
  };
  const digest = createHash('sha256').update(JSON.stringify(identity)).digest('hex');
  const short = digest.slice(0, 16);
  const os = id.runnerOs.toLowerCase();
  const arch = id.runnerArch.toLowerCase();
  return {
    key: `anyarch-qemu-${id.target}-${id.qemuVersion}-${os}-${arch}-${short}`,
    toolName: `anyarch-qemu-${id.target}`,
    // A prerelease tag starting with a letter is always valid semver, whatever the digest.
    toolVersion: `${id.qemuVersion}-h${short}`,
    toolArch: arch,
    digest,
    identity,
  };
}

/**
 * The tool-cache entry that gathers several targets' emulators in one directory (the
 * "qemu-path" output), named after the per-target entries it copies.
 */
export function emulatorSetNames(
  qemuVersion: string,
  members: readonly EmulatorCacheNames[],
  runnerArch: string,
): EmulatorCacheNames {
  const identity = { schema: SCHEMA, members: members.map((m) => m.digest).sort() };
  const digest = createHash('sha256').update(JSON.stringify(identity)).digest('hex');
  const short = digest.slice(0, 16);
  return {
    key: `anyarch-qemu-set-${qemuVersion}-${short}`,
    toolName: 'anyarch-qemu-set',
    toolVersion: `${qemuVersion}-h${short}`,
    toolArch: runnerArch.toLowerCase(),
    digest,
    identity,
  };
}
