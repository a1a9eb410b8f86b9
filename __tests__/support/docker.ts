// The docker CLI as the tests use it: commands, what an image holds, and the guest base images
// (tests/images/make-base.sh: busybox-static and libc6 of one Debian architecture, no registry).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARCHES } from '../../src/arch.js';
import { PROJECT_ROOT } from './project.js';

/** Run docker; its stdout. Throws on a non-zero exit. */
export function docker(...args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

/** `docker image inspect --format {{.Size}}`. */
export function imageSize(ref: string): number {
  return Number(docker('image', 'inspect', '--format', '{{.Size}}', ref).trim());
}

/** Whether the daemon keeps images in containerd's store (Docker 29's default for new installs). */
export function containerdImageStore(): boolean {
  return /io\.containerd\.snapshotter/.test(docker('info', '--format', '{{json .DriverStatus}}'));
}

interface Descriptor {
  digest: string;
  mediaType?: string;
  platform?: { os: string; architecture: string; variant?: string };
}

/** The layer files of `platform`'s image in a saved OCI layout (a multi-platform image's index). */
function layersOf(dir: string, platform: string): string[] {
  const blob = (d: string) => path.join(dir, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const read = (file: string) =>
    JSON.parse(readFileSync(file, 'utf8')) as { manifests?: Descriptor[]; layers?: Descriptor[] };
  let node = read(path.join(dir, 'index.json'));
  for (let depth = 0; depth < 4 && node.manifests; depth++) {
    const manifests = node.manifests;
    const match = manifests.find((m) => {
      const p = m.platform;
      return (
        p !== undefined && [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/') === platform
      );
    });
    const next = match ?? (manifests.length === 1 ? manifests[0] : undefined);
    if (!next) throw new Error(`no ${platform} image in the saved index`);
    node = read(blob(next.digest));
  }
  return (node.layers ?? []).map((l) => blob(l.digest));
}

/**
 * Every path in the image's layers (from `docker save`, so nothing a container adds); of the
 * `platform` image when the reference is a multi-platform image (containerd image store).
 */
export function imageFiles(ref: string, platform?: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-save-'));
  try {
    execFileSync('sh', ['-c', 'docker save "$1" | tar -x -C "$2"', 'sh', ref, dir]);
    let layers: string[];
    if (platform !== undefined) layers = layersOf(dir, platform);
    else {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
        Layers: string[];
      }[];
      layers = manifest[0]!.Layers.map((l) => path.join(dir, l));
    }
    const files = new Set<string>();
    for (const layer of layers) {
      const list = execFileSync('tar', ['-tf', layer], {
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      });
      for (const f of list.split('\n')) if (f !== '') files.add(f.replace(/^\.\//, ''));
    }
    return [...files];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One file's content from the image (of `platform`, for a multi-platform image). */
export function imageFile(ref: string, file: string, platform?: string): string {
  const id = docker('create', ...(platform ? ['--platform', platform] : []), ref).trim();
  try {
    return execFileSync('sh', ['-c', `docker cp ${id}:${file} - | tar -xO`], { encoding: 'utf8' });
  } finally {
    docker('rm', id);
  }
}

/** Remove each of the images that exists (a test's clean-up: one already gone is fine). */
export function removeImages(...refs: string[]): void {
  for (const ref of refs) if (ref && imageExists(ref)) docker('image', 'rm', '--force', ref);
}

/** Docker's name of a Debian architecture (src/arch.ts's table): what $TARGETARCH holds. */
export function dockerArch(debianArch: string): string {
  const arch = ARCHES.find((a) => a.debianArch === debianArch);
  if (!arch) throw new Error(`no arch in src/arch.ts has the Debian name ${debianArch}`);
  return arch.platform.split('/')[1]!;
}

/** The tag of the test base image of a Debian architecture: anyarch-test/base:<Docker's arch name>. */
export function baseTag(debianArch: string): string {
  return `anyarch-test/base:${dockerArch(debianArch)}`;
}

export const BASE_ARM64 = baseTag('arm64');
export const BASE_AMD64 = baseTag('amd64');

/** The command that makes (or finds) the base image `tag` of `debianArch`. */
export function makeBaseCommand(debianArch: string, tag: string): [string, string[]] {
  return [path.join(PROJECT_ROOT, 'tests', 'images', 'make-base.sh'), [debianArch, tag]];
}

/** A guest base image of one Debian architecture (arm64, armhf, riscv64, ...); its tag. */
export function ensureBase(debianArch: string): string {
  const tag = baseTag(debianArch);
  const [cmd, args] = makeBaseCommand(debianArch, tag);
  execFileSync(cmd, args, { stdio: 'inherit' });
  return tag;
}

/** The arm64 and amd64 base images (BASE_ARM64, BASE_AMD64). */
export function ensureBaseImages(): void {
  ensureBase('arm64');
  ensureBase('amd64');
}
