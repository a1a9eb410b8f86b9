// Build dependencies of a static linux-user QEMU: what is checked, which Debian/Ubuntu package
// provides it, and installing the missing ones with apt when allowed: as root, or through
// passwordless sudo (how GitHub-hosted runners run actions: user `runner`, `sudo -n` works).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import semver from 'semver';
import type { InstallDeps } from '../inputs.js';
import { haveCommand, mustRun, runCommand } from '../util/exec.js';
import { buildPython, minimumMeson } from './configure.js';

export interface Requirement {
  /** What is missing, for messages. */
  readonly what: string;
  /** The Debian/Ubuntu package that provides it. */
  readonly pkg: string;
}

/** Commands the build runs, with their packages (meson apart: see findMissingForSource). */
const COMMANDS: readonly (readonly [string, string])[] = [
  ['cc', 'gcc'],
  ['ninja', 'ninja-build'],
  ['pkg-config', 'pkg-config'],
  ['python3', 'python3'],
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
  const field = (k: string) =>
    new RegExp(`^${k}=(.*)$`, 'm').exec(osRelease)?.[1]?.replace(/^"|"$/g, '') ?? '';
  return [field('ID'), ...field('ID_LIKE').split(/\s+/)].some((id) => id === 'debian' || id === 'ubuntu');
}

export function missingMessage(missing: readonly Requirement[]): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
  return `missing QEMU build dependencies: ${missing.map((m) => m.what).join(', ')} (on Debian/Ubuntu: apt-get install ${pkgs})`;
}

/** How apt-get may run here: the command prefix (none as root, `sudo -n` through passwordless sudo), or why not. */
export type AptAccess = { readonly prefix: readonly string[] } | { readonly why: string };

export interface AptFacts {
  readonly debianLike: boolean;
  readonly root: boolean;
  /** `sudo -n true` succeeded: sudo is there and asks no password. */
  readonly passwordlessSudo: boolean;
}

export function aptAccess(f: AptFacts): AptAccess {
  if (!f.debianLike) return { why: 'this is not Debian or Ubuntu, so nothing was installed' };
  if (f.root) return { prefix: [] };
  if (f.passwordlessSudo) return { prefix: ['sudo', '-n'] };
  return {
    why:
      'not root, and sudo is missing or asks for a password (sudo -n), so nothing was installed: ' +
      'install them first as root, or run the step as a user with passwordless sudo',
  };
}

async function aptFacts(): Promise<AptFacts> {
  let debianLike = false;
  try {
    debianLike = isDebianLike(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    // No os-release: not a distribution we install on.
  }
  const root = process.getuid?.() === 0;
  const passwordlessSudo =
    !root && (await haveCommand('sudo')) && (await runCommand('sudo', ['-n', 'true'])).exitCode === 0;
  return { debianLike, root, passwordlessSudo };
}

/** The commands, static glib and the venv module: everything needed before the source is unpacked. */
async function findMissingTools(qemuVersion: string): Promise<Requirement[]> {
  const missing: Requirement[] = [];
  for (const [cmd, pkg] of COMMANDS) {
    if (!(await haveCommand(cmd))) missing.push({ what: cmd, pkg });
  }
  // A check that needs a missing command cannot run: ask for its package too, so that one
  // install brings everything (a fresh machine has neither pkg-config nor python3).
  const glib = { what: 'static glib-2.0 (pkg-config glib-2.0)', pkg: 'libglib2.0-dev' };
  if (missing.some((m) => m.what === 'pkg-config')) missing.push(glib);
  else if ((await runCommand('pkg-config', ['--static', '--exists', 'glib-2.0'])).exitCode !== 0)
    missing.push(glib);
  const python = buildPython(qemuVersion);
  const venv = { what: `${python} venv module with pip`, pkg: 'python3-venv' };
  if (!(await haveCommand(python))) {
    if (!missing.some((m) => m.what === 'python3')) missing.push({ what: python, pkg: 'python3' });
    missing.push(venv);
  } else if ((await runCommand(python, ['-c', 'import venv, ensurepip'])).exitCode !== 0) {
    missing.push(venv);
  }
  return missing;
}

/** Whether the unpacked source carries its own meson wheel (release tarballs do; Debian's repacked ones do not). */
export function bundlesMeson(srcDir: string): boolean {
  const wheels = path.join(srcDir, 'python', 'wheels');
  return existsSync(wheels) && readdirSync(wheels).some((f) => /^meson-\d[^/]*\.whl$/.test(f));
}

/**
 * Device trees that the source has as .dts but not as .dtb: Debian's repacked source drops the
 * prebuilt blobs that release tarballs carry, and QEMU's build then needs dtc to make them (it
 * does so even for linux-user builds).
 */
export function missingDeviceTreeBlobs(srcDir: string): string[] {
  const dir = path.join(srcDir, 'pc-bios', 'dtb');
  if (!existsSync(path.join(dir, 'meson.build'))) return [];
  const names = new Set(readdirSync(dir));
  return [...names].filter((f) => f.endsWith('.dts') && !names.has(f.replace(/\.dts$/, '.dtb'))).sort();
}

/**
 * What the unpacked source needs from the system: meson and pycotap, which configure takes from
 * the system only when the source has no wheels of its own (QEMU 10.x and later check meson's
 * version), and dtc when the source lacks its device-tree blobs.
 */
export async function findMissingForSource(qemuVersion: string, srcDir: string): Promise<Requirement[]> {
  const missing: Requirement[] = [];
  if (missingDeviceTreeBlobs(srcDir).length > 0 && !(await haveCommand('dtc'))) {
    missing.push({
      what: 'dtc (this source has no prebuilt device-tree blobs)',
      pkg: 'device-tree-compiler',
    });
  }
  const min = minimumMeson(qemuVersion);
  if (min === undefined) {
    if (!(await haveCommand('meson'))) missing.push({ what: 'meson', pkg: 'meson' });
    return missing;
  }
  if (bundlesMeson(srcDir)) return missing;
  const v = (await haveCommand('meson'))
    ? parseMesonVersion((await runCommand('meson', ['--version'])).stdout)
    : undefined;
  if (v === undefined || semver.lt(v, min)) {
    missing.push({ what: `meson >= ${min} for QEMU ${qemuVersion} (found ${v ?? 'none'})`, pkg: 'meson' });
  }
  const python = buildPython(qemuVersion);
  if ((await runCommand(python, ['-c', 'import pycotap'])).exitCode !== 0) {
    missing.push({ what: `pycotap for ${python}`, pkg: 'python3-pycotap' });
  }
  return missing;
}

/** What to do when the system's meson will not do and the source has none of its own. */
const MESON_WAYS_OUT =
  'this QEMU source carries no meson of its own (python/wheels). Either use a QEMU release tarball, which ' +
  'bundles meson (qemu-source: upstream, or the URL or path of a release tarball), or install meson >= the ' +
  'version above first (e.g. pip install --user "meson>=1.5" or a newer distribution package)';

/** Installed package names (dpkg's view), to say exactly what an install added. */
async function installedPackages(): Promise<Set<string>> {
  const r = await runCommand('dpkg-query', ['-W', '-f=${Package}\\n']);
  return new Set(r.stdout.split('\n').filter((l) => l !== ''));
}

/**
 * Install `missing` with apt when `mode` allows and this machine lets us; then `recheck` must
 * find nothing. `advice`, when given, ends every error (what else the user can do).
 */
async function install(
  missing: readonly Requirement[],
  mode: InstallDeps,
  recheck: () => Promise<Requirement[]>,
  advice?: string,
): Promise<void> {
  if (missing.length === 0) return;
  const fail = (m: readonly Requirement[], why: string) =>
    new Error(`${missingMessage(m)}; ${why}${advice !== undefined ? `; ${advice}` : ''}`);
  if (mode === 'never') throw fail(missing, 'install-deps is "never"');
  const access = aptAccess(await aptFacts());
  if ('why' in access) throw fail(missing, access.why);
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  // sudo resets the environment: `env` sets the variable on the far side.
  const argv = [...access.prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
  const cmd = argv[0] as string;
  const pre = argv.slice(1);
  core.info(`Installing ${pkgs.join(' ')} with ${access.prefix.length > 0 ? 'sudo ' : ''}apt-get`);
  const before = await installedPackages();
  const args = ['install', '-y', '-q', '--no-install-recommends', ...pkgs];
  if ((await runCommand(cmd, [...pre, ...args])).exitCode !== 0) {
    // Stale package lists are the usual cause: update once, then the error is apt's own.
    await mustRun(cmd, [...pre, 'update', '-q']);
    const again = await runCommand(cmd, [...pre, ...args]);
    if (again.exitCode !== 0) {
      const said =
        `${again.stdout}\n${again.stderr}`
          .split('\n')
          .filter((l) => /^E: /.test(l))
          .join(' ') || `exit status ${again.exitCode}`;
      throw fail(missing, `apt-get install ${pkgs.join(' ')} failed (${said})`);
    }
  }
  const added = [...(await installedPackages())].filter((p) => !before.has(p)).sort();
  core.info(`apt-get installed ${added.length} packages: ${added.join(' ') || '(none new)'}`);
  const left = await recheck();
  if (left.length > 0) throw fail(left, 'still missing after apt-get install');
}

/** Check the tools needed before the source; install the missing ones when `mode` is auto and we may. */
export async function ensureBuildDeps(qemuVersion: string, mode: InstallDeps): Promise<void> {
  const recheck = () => findMissingTools(qemuVersion);
  await install(await recheck(), mode, recheck);
}

/** After unpacking: what this source needs from the system (see findMissingForSource). */
export async function ensureSourceDeps(
  qemuVersion: string,
  mode: InstallDeps,
  srcDir: string,
): Promise<void> {
  const recheck = () => findMissingForSource(qemuVersion, srcDir);
  const missing = await recheck();
  // The ways out only help when meson is what is missing.
  const needsMeson = missing.some((m) => m.pkg === 'meson') && minimumMeson(qemuVersion) !== undefined;
  await install(missing, mode, recheck, needsMeson ? MESON_WAYS_OUT : undefined);
}
