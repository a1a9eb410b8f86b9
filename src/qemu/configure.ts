// The arguments of QEMU's configure and ninja for a static linux-user build, and reading
// ninja's progress lines. Pure.
import semver from 'semver';

/** configure flags for static linux-user emulators of `targets` (QEMU target names). */
export function configureFlags(qemuVersion: string, targets: readonly string[]): string[] {
  const list = [...new Set(targets)].sort();
  if (list.length === 0) throw new Error('no QEMU target to build');
  const flags = [
    '--static',
    `--target-list=${list.map((t) => `${t}-linux-user`).join(',')}`,
    '--without-default-features',
    '--disable-system',
    '--disable-tools',
    '--disable-docs',
    '--disable-werror',
    '--disable-install-blobs',
    '--disable-plugins',
  ];
  const python = configurePython(qemuVersion);
  if (python !== undefined) flags.push(`--python=${python}`);
  return flags;
}

/**
 * The python configure runs, when it is named: from 8.0 on, configure runs meson from a venv and
 * accepts --python (7.2 refuses it). The system python3 is named so that the venv sees the
 * system's meson and pycotap, which another python3 first on PATH may not.
 */
export function configurePython(qemuVersion: string): string | undefined {
  return semver.gte(qemuVersion, '8.0.0') ? '/usr/bin/python3' : undefined;
}

/** The python the build runs: the one configure is given, else the first python3 on PATH. */
export function buildPython(qemuVersion: string): string {
  return configurePython(qemuVersion) ?? 'python3';
}

/** ninja targets producing the emulators. */
export function ninjaTargets(targets: readonly string[]): string[] {
  return [...new Set(targets)].sort().map((t) => `qemu-${t}`);
}

/** The smallest system meson QEMU's configure accepts when the tarball carries none of its own. */
export function minimumMeson(qemuVersion: string): string | undefined {
  return semver.gte(qemuVersion, '10.0.0') ? '1.5.0' : undefined;
}

export interface NinjaProgress {
  readonly done: number;
  readonly total: number;
}

/** ninja's "[123/456] CC ..." status line, or undefined. */
export function parseNinjaProgress(line: string): NinjaProgress | undefined {
  const m = /^\[(\d+)\/(\d+)\]/.exec(line.trim());
  if (!m) return undefined;
  return { done: Number(m[1]), total: Number(m[2]) };
}

/**
 * Whether to report `p` given the last reported percentage: at most one line per `step`
 * percent, plus the final one. Returns the new percentage to remember, or undefined.
 */
export function progressToReport(p: NinjaProgress, lastPercent: number, step = 10): number | undefined {
  if (p.total <= 0) return undefined;
  const pct = Math.floor((100 * p.done) / p.total);
  if (p.done === p.total && lastPercent < 100) return 100;
  if (pct >= lastPercent + step) return pct - (pct % step);
  return undefined;
}
