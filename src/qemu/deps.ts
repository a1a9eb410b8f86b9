// Build dependencies of a static linux-user QEMU: what is checked, which Debian/Ubuntu package
// provides it, and installing the missing ones with apt when allowed.
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import semver from 'semver';
import type { InstallDeps } from '../inputs.js';
import { haveCommand, mustRun, runCommand } from '../util/exec.js';
import { minimumMeson } from './configure.js';

export interface Requirement {
  /** What is missing, for messages. */
  readonly what: string;
  /** The Debian/Ubuntu package that provides it. */
  readonly pkg: string;
}

/** Commands the build runs, with their packages. */
export const COMMANDS: readonly (readonly [string, string])[] = [
  ['cc', 'gcc'],
  ['ninja', 'ninja-build'],
  ['pkg-config', 'pkg-config'],
  ['python3', 'python3'],
  ['meson', 'meson'],
  ['patch', 'patch'],
  ['tar', 'tar'],
  ['xz', 'xz-utils'],
  ['strip', 'binutils'],
];

/** "1.7.0" from `meson --version` output. */
export function parseMesonVersion(out: string): string | undefined {
  const v = semver.coerce(out.trim());
  return v ? v.version : undefined;
}

/** The distribution family from /etc/os-release text: true for Debian and its derivatives. */
export function isDebianLike(osRelease: string): boolean {
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(osRelease)?.[1]?.replace(/^"|"$/g, '') ?? '';
  return [field('ID'), ...field('ID_LIKE').split(/\s+/)].some((id) => id === 'debian' || id === 'ubuntu');
}

export function missingMessage(missing: readonly Requirement[]): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
  return `missing QEMU build dependencies: ${missing.map((m) => m.what).join(', ')} (on Debian/Ubuntu: apt-get install ${pkgs})`;
}

/** Everything the build needs that is not there. */
export async function findMissing(qemuVersion: string): Promise<Requirement[]> {
  const missing: Requirement[] = [];
  for (const [cmd, pkg] of COMMANDS) {
    if (!(await haveCommand(cmd))) missing.push({ what: cmd, pkg });
  }
  if (!missing.some((m) => m.what === 'pkg-config')) {
    const glib = await runCommand('pkg-config', ['--static', '--exists', 'glib-2.0']);
    if (glib.exitCode !== 0) missing.push({ what: 'static glib-2.0 (pkg-config glib-2.0)', pkg: 'libglib2.0-dev' });
  }
  if (!missing.some((m) => m.what === 'python3')) {
    const venv = await runCommand('python3', ['-c', 'import venv']);
    if (venv.exitCode !== 0) missing.push({ what: 'python3 venv module', pkg: 'python3-venv' });
  }
  const min = minimumMeson(qemuVersion);
  if (min !== undefined && !missing.some((m) => m.what === 'meson')) {
    const v = parseMesonVersion((await runCommand('meson', ['--version'])).stdout);
    if (v === undefined || semver.lt(v, min)) {
      missing.push({ what: `meson >= ${min} for QEMU ${qemuVersion} (found ${v ?? 'unknown'})`, pkg: 'meson' });
    }
  }
  return missing;
}

function canApt(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return isDebianLike(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

/** Check the build dependencies; install the missing ones with apt when `mode` is auto and we may. */
export async function ensureBuildDeps(qemuVersion: string, mode: InstallDeps): Promise<void> {
  let missing = await findMissing(qemuVersion);
  if (missing.length === 0) return;
  if (mode === 'never' || !canApt()) {
    const why = mode === 'never' ? 'install-deps is "never"' : 'not root on Debian/Ubuntu, so nothing was installed';
    throw new Error(`${missingMessage(missing)}; ${why}`);
  }
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  core.info(`Installing ${pkgs.join(' ')} with apt-get`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['install', '-y', '-q', '--no-install-recommends', ...pkgs];
  if ((await runCommand('apt-get', install, { env })).exitCode !== 0) {
    await mustRun('apt-get', ['update', '-q'], { env });
    await mustRun('apt-get', install, { env });
  }
  missing = await findMissing(qemuVersion);
  if (missing.length > 0) throw new Error(`${missingMessage(missing)}; still missing after apt-get install`);
}
