// The tiny image that carries an emulator into a build: one layer holding /qemu-<target>, tagged
// by the binary's digest and marked with the guest platform, so that BuildKit resolves
// `--mount=type=bind,from=<it>` and `COPY --from=<it>` from the local image store.
//
// It is written here as an image archive and loaded, not built: a build stamps its time into
// the image and keeps the binary's mtime, and the cache key of a RUN that mounts the image covers
// the mounted files' metadata, so emulated RUN steps missed a registry cache whenever the binary
// came with a new mtime (another machine, a restored cache). Every byte of the archive follows
// from the binary's content and the platform: one binary, one image ID, on either image store.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pack as tarPack, type Header } from 'tar-stream';
import { mustRun } from '../util/exec.js';

const EMULATOR_IMAGE_REPO = 'anyarch-emu';

/** The one date in the image: its creation and its history's, so that no clock gets in. */
export const EMULATOR_IMAGE_CREATED = '1970-01-01T00:00:00Z';
const EPOCH = new Date(0);

/**
 * Tag of the emulator image for `target` whose binary has `sha256`, in the run `run`. Each run
 * tags the image for itself (the image, and its ID, are the same for every run with that binary):
 * jobs sharing a daemon each remove only their own tag, so one job's clean-up never takes the
 * image from under another job's build.
 */
export function emulatorImageRef(target: string, sha256: string, run = ''): string {
  return runTag(`${target}-${sha256.slice(0, 16)}`, run);
}

/** anyarch-emu:<tag>, with the run's own suffix when there is one. */
function runTag(tag: string, run: string): string {
  return `${EMULATOR_IMAGE_REPO}:${tag}${run === '' ? '' : `-${run}`}`;
}

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  /** Only where the platform string names one (arm/v7): buildx writes none for arm64 either. */
  readonly variant?: string;
}

/** An image config's os, architecture and variant from a platform string (linux/arm/v7). */
export function imagePlatform(platform: string): ImagePlatform {
  const parts = platform.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_]+$/.test(p))) {
    throw new Error(`not a platform: "${platform}" (want os/architecture[/variant])`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The image config (its sha256 is the image ID on the classic store); `layerDiffId` is sha256:<hex>. */
export function emulatorImageConfig(target: string, platform: string, layerDiffId: string): string {
  return imageConfig(platform, layerDiffId, `COPY qemu-${target} /qemu-${target}`);
}

/** A one-layer image config for `platform`, dated EMULATOR_IMAGE_CREATED, whose history says `createdBy`. */
function imageConfig(platform: string, layerDiffId: string, createdBy: string): string {
  const p = imagePlatform(platform);
  return JSON.stringify({
    architecture: p.architecture,
    ...(p.variant !== undefined ? { variant: p.variant } : {}),
    os: p.os,
    created: EMULATOR_IMAGE_CREATED,
    config: {},
    rootfs: { type: 'layers', diff_ids: [layerDiffId] },
    history: [{ created: EMULATOR_IMAGE_CREATED, created_by: createdBy }],
  });
}

/** Where a blob sits in the archive, as in the archives `docker save` of Docker 25+ writes. */
export function blobPath(hex: string): string {
  return `blobs/sha256/${hex}`;
}

export interface BlobDescriptor {
  /** sha256:<hex> */
  readonly digest: string;
  readonly size: number;
}

/** Only the two fields, in the order Go writes them. */
function descriptor(d: BlobDescriptor): BlobDescriptor {
  return { digest: d.digest, size: d.size };
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * The image manifest, byte for byte the one containerd makes when it imports manifest.json
 * alone, so that the containerd image store gives the image one ID whichever of the two
 * descriptions of the archive its importer reads. That ID is this manifest's digest.
 */
export function emulatorImageManifest(config: BlobDescriptor, layer: BlobDescriptor): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...descriptor(config) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', ...descriptor(layer) }],
  });
}

/** A short reference (anyarch-emu:tag) in full, as containerd names images. */
export function fullImageName(ref: string): string {
  const first = ref.split('/')[0]!;
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** index.json: the OCI layout's entry, which the containerd image store loads. */
export function emulatorImageIndex(ref: string, manifest: BlobDescriptor): string {
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: MANIFEST_TYPE,
        ...descriptor(manifest),
        annotations: {
          'io.containerd.image.name': fullImageName(ref),
          'org.opencontainers.image.ref.name': tag,
        },
      },
    ],
  });
}

/** manifest.json: the `docker save` entry, which the classic image store loads. */
export function dockerSaveManifest(ref: string, configHex: string, layerHex: string): string {
  return JSON.stringify([{ Config: blobPath(configHex), RepoTags: [ref], Layers: [blobPath(layerHex)] }]);
}

/** A tar of buffers: root-owned, no user or group names, mtime 0, no pax headers. */
export async function tarOf(
  entries: readonly { name: string; mode: number; data?: Buffer }[],
): Promise<Buffer> {
  const p = tarPack();
  const out = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const e of entries) {
    const header: Partial<Header> & { name: string } = {
      name: e.name,
      mode: e.mode,
      uid: 0,
      gid: 0,
      mtime: EPOCH,
      type: e.data === undefined ? 'directory' : 'file',
    };
    if (e.data === undefined) p.entry(header);
    else p.entry(header, e.data);
  }
  p.finalize();
  return out;
}

/** Mode of the emulator's set-user-ID copy: root-owned (every entry is), set-user-ID. */
export const SETID_MODE = 0o4755;

/**
 * The image's only layer: /qemu-<target>, mode 0755, and /qemu-<target>-setid, the same bytes
 * set-user-ID root, which a guest exec of a set-ID program runs (the patch's -execve-setid) so
 * that it gets the ids the kernel would give it. Only ever mounted into RUN steps, never copied
 * into an image: nothing a build makes is set-ID because of it.
 */
export function emulatorLayerTar(target: string, binary: Buffer): Promise<Buffer> {
  return tarOf([
    { name: `qemu-${target}`, mode: 0o755, data: binary },
    { name: `qemu-${target}-setid`, mode: SETID_MODE, data: binary },
  ]);
}

function blob(data: Buffer): BlobDescriptor & { hex: string; data: Buffer } {
  const hex = sha256Hex(data);
  return { hex, digest: `sha256:${hex}`, size: data.length, data };
}

/**
 * The whole `docker load` archive of the emulator image for `binary`, tagged `ref`: both a
 * `docker save` archive (manifest.json) and an OCI layout (index.json) over the same blobs,
 * as Docker 25+ writes them.
 */
export async function emulatorImageArchive(
  target: string,
  platform: string,
  binary: Buffer,
  ref: string,
): Promise<Buffer> {
  const layer = blob(await emulatorLayerTar(target, binary));
  const config = blob(Buffer.from(emulatorImageConfig(target, platform, layer.digest)));
  const manifest = blob(Buffer.from(emulatorImageManifest(config, layer)));
  const file = (name: string, data: Buffer | string) => ({ name, mode: 0o644, data: Buffer.from(data) });
  return tarOf([
    { name: 'blobs/', mode: 0o755 },
    { name: 'blobs/sha256/', mode: 0o755 },
    file(blobPath(config.hex), config.data),
    file(blobPath(layer.hex), layer.data),
    file(blobPath(manifest.hex), manifest.data),
    file('index.json', emulatorImageIndex(ref, manifest)),
    file('manifest.json', dockerSaveManifest(ref, config.hex, layer.hex)),
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
  ]);
}

/** Write the archive of the emulator image for `emulatorDir`/qemu-<target> to `file`; returns its reference. */
export async function writeEmulatorImageArchive(
  emulatorDir: string,
  target: string,
  platform: string,
  file: string,
  run = '',
): Promise<string> {
  const binary = await fs.readFile(path.join(emulatorDir, `qemu-${target}`));
  const ref = emulatorImageRef(target, sha256Hex(binary), run);
  await fs.writeFile(file, await emulatorImageArchive(target, platform, binary, ref));
  return ref;
}

/** Load the emulator image for `platform` into the daemon; returns its reference. */
// ---------------------------------------------------------------------------------------------
// One image for several platforms (the containerd image store's one-build multi-arch): each
// platform's variant holds /qemu, the emulator for that platform or, for the build host's own
// platform, a script that runs the command natively. A RUN step mounting the image gets the
// variant of its stage's platform, so one rewritten Dockerfile serves every platform.

/**
 * What the host platform's variant holds at /qemu: argv is [self, -execve, self,
 * -execve-setid, path, command...].
 */
export const NATIVE_SHIM = `#!/bin/sh
# The build host's own platform needs no emulator: run the command as it is.
shift 2
if [ "$1" = -execve-setid ]; then shift 2; fi
exec "$@"
`;

export interface EmulatorVariant {
  readonly platform: string;
  /** The emulator binary, or NATIVE_SHIM for the host's platform. */
  readonly data: Buffer;
  /** What the history entry says made it. */
  readonly createdBy: string;
}

const OCI = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** The `docker load` archive (an OCI layout) of one image with a /qemu variant per platform. */
export async function emulatorSetArchive(variants: readonly EmulatorVariant[], ref: string): Promise<Buffer> {
  const blobs: (BlobDescriptor & { hex: string; data: Buffer })[] = [];
  const manifests = [];
  for (const v of variants) {
    const native = v.data.equals(Buffer.from(NATIVE_SHIM));
    const layer = blob(
      await tarOf([
        { name: 'qemu', mode: 0o755, data: v.data },
        // The set-user-ID copy (see emulatorLayerTar); the host's own platform needs none.
        ...(native ? [] : [{ name: 'qemu-setid', mode: SETID_MODE, data: v.data }]),
      ]),
    );
    const config = blob(Buffer.from(imageConfig(v.platform, layer.digest, v.createdBy)));
    const manifest = blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI.manifest,
          config: { mediaType: OCI.config, ...descriptor(config) },
          layers: [{ mediaType: OCI.layer, ...descriptor(layer) }],
        }),
      ),
    );
    blobs.push(layer, config, manifest);
    manifests.push({ mediaType: OCI.manifest, ...descriptor(manifest), platform: imagePlatform(v.platform) });
  }
  const index = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests })));
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  const top = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI.index,
    manifests: [
      {
        mediaType: OCI.index,
        ...descriptor(index),
        annotations: {
          'io.containerd.image.name': fullImageName(ref),
          'org.opencontainers.image.ref.name': tag,
        },
      },
    ],
  });
  const file = (name: string, data: Buffer | string) => ({ name, mode: 0o644, data: Buffer.from(data) });
  const unique = new Map([...blobs, index].map((b) => [b.hex, b]));
  return tarOf([
    { name: 'blobs/', mode: 0o755 },
    { name: 'blobs/sha256/', mode: 0o755 },
    ...[...unique.values()].map((b) => file(blobPath(b.hex), b.data)),
    file('index.json', top),
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
  ]);
}

/** Load the emulator set of `variants`, tagged by their content; returns its reference. */
export async function loadEmulatorSet(
  variants: readonly EmulatorVariant[],
  workDir: string,
  run = '',
): Promise<string> {
  const id = sha256Hex(variants.map((v) => `${v.platform} ${sha256Hex(v.data)}`).join('\n'));
  const ref = runTag(`set-${id.slice(0, 16)}`, run);
  await loadArchive(path.join(workDir, 'emulator-set.tar'), async (file) =>
    fs.writeFile(file, await emulatorSetArchive(variants, ref)),
  );
  return ref;
}

export async function buildEmulatorImage(
  emulatorDir: string,
  target: string,
  platform: string,
  workDir: string,
  /** This run's own suffix of the tag (see emulatorImageRef). */
  run = '',
): Promise<string> {
  return loadArchive(path.join(workDir, `emu-${target}.tar`), (file) =>
    writeEmulatorImageArchive(emulatorDir, target, platform, file, run),
  );
}

/**
 * `write` an image archive to `file`, `docker load` it, and remove the file whatever happens;
 * resolves with what `write` gave.
 */
export async function loadArchive<T>(file: string, write: (file: string) => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    const written = await write(file);
    await mustRun('docker', ['load', '-i', file]);
    return written;
  } finally {
    await fs.rm(file, { force: true });
  }
}
