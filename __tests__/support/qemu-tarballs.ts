// Broken QEMU sources for the fault tests, made from the real tarball or from a small fake tree:
// truncated, corrupt, the wrong release, and a tree whose syscall.c the patch does not fit.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Run a command; throw with its output when it fails. */
export function sh(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** A directory qemu-<version> under `root` holding a QEMU-like tree: VERSION, a configure that fails, some data. */
export function fakeTree(root: string, version: string): string {
  const top = path.join(root, `qemu-${version}`);
  mkdirSync(top, { recursive: true });
  writeFileSync(path.join(top, 'VERSION'), `${version}\n`);
  writeFileSync(path.join(top, 'configure'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  // Incompressible, so that the middle of the .xz is data a corruption hits.
  writeFileSync(path.join(top, 'blob'), randomBytes(256 * 1024));
  return top;
}

/** `out` (.tar.xz): a fake tree of `version`, sound; made in `scratch`. */
export function fakeTarball(scratch: string, version: string, out: string): string {
  const trees = path.join(scratch, 'trees');
  fakeTree(trees, version);
  sh('tar', ['-C', trees, '-cJf', out, `qemu-${version}`]);
  return out;
}

/** `out`: the first MiB of `tarball`. */
export function truncatedTarball(tarball: string, out: string): string {
  writeFileSync(out, readFileSync(tarball).subarray(0, 1 << 20));
  return out;
}

/** `out`: a small fake tarball of `version` with 64 bytes in its middle overwritten. */
export function corruptTarball(scratch: string, version: string, out: string): string {
  fakeTarball(scratch, version, out);
  const data = readFileSync(out);
  data.fill(0x55, data.length >> 1, (data.length >> 1) + 64);
  writeFileSync(out, data);
  return out;
}

/** Extract `files` (paths inside the tarball's top directory) of a QEMU tarball into `dir`. */
export function extractFiles(tarball: string, version: string, dir: string, files: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  sh('tar', ['-xf', tarball, '-C', dir, '--strip-components=1', ...files.map((f) => `qemu-${version}/${f}`)]);
}
