// Names under which a built emulator is stored in the Actions cache and the runner's tool cache.
// Everything that changes the binaries goes into one digest, so a change to any of them misses.
import { createHash } from 'node:crypto';

export interface EmulatorBuildId {
  /** Exact QEMU release, e.g. "10.2.2". */
  readonly qemuVersion: string;
  /** QEMU linux-user targets built, e.g. ["aarch64", "arm"]; order does not matter. */
  readonly targets: readonly string[];
  /** sha256 (hex) of the patch file's content. */
  readonly patchSha256: string;
  /** Arguments given to QEMU's configure, in order. */
  readonly configureFlags: readonly string[];
  /** RUNNER_OS, e.g. "Linux". */
  readonly runnerOs: string;
  /** RUNNER_ARCH, e.g. "X64". */
  readonly runnerArch: string;
}

export interface EmulatorCacheNames {
  /** Key for @actions/cache. */
  readonly key: string;
  /** Tool name for @actions/tool-cache. */
  readonly toolName: string;
  /** Tool version for @actions/tool-cache: valid semver, so tc.find treats it as exact. */
  readonly toolVersion: string;
  /** Tool arch for @actions/tool-cache (the runner's, lower-case). */
  readonly toolArch: string;
  /** The full digest, for logs. */
  readonly digest: string;
}

// Bump when the layout of what is cached changes, to orphan old entries.
const SCHEMA = 1;

export function emulatorCacheNames(id: EmulatorBuildId): EmulatorCacheNames {
  const targets = [...new Set(id.targets)].sort();
  const canonical = JSON.stringify({
    schema: SCHEMA,
    qemuVersion: id.qemuVersion,
    targets,
    patchSha256: id.patchSha256.toLowerCase(),
    configureFlags: id.configureFlags,
    runnerOs: id.runnerOs,
    runnerArch: id.runnerArch,
  });
  const digest = createHash('sha256').update(canonical).digest('hex');
  const short = digest.slice(0, 16);
  const os = id.runnerOs.toLowerCase();
  const arch = id.runnerArch.toLowerCase();
  return {
    key: `anyarch-qemu-${id.qemuVersion}-${os}-${arch}-${short}`,
    toolName: 'anyarch-qemu',
    // A prerelease tag starting with a letter is always valid semver, whatever the digest.
    toolVersion: `${id.qemuVersion}-h${short}`,
    toolArch: arch,
    digest,
  };
}
