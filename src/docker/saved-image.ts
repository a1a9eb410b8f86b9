// A base image as `docker save` wrote it, read for its config; and the `docker load` archive of
// the same image without ONBUILD triggers (see dockerfile/onbuild.ts for why). Pure.
//
// The derived archive holds only the new config and what describes the image: its layers are the
// base's, already in the daemon, and `docker load` takes them from there (checked on Docker
// 20.10's classic store and Docker 26's containerd store), so the copy costs a config, however
// large the image.
//   classic store      manifest.json, as `docker save` writes it: the loader looks each layer
//                      chain up in its layer store and opens a layer file only when it is missing.
//   containerd store   an OCI layout, index.json -> the base's manifest with the new config ->
//                      config: the layer blobs are in containerd's content store. (Not
//                      manifest.json: from that containerd would read the layer files.)
import { blobPath, fullImageName, imagePlatform, sha256Hex, type ImagePlatform } from './emulator-image.js';

export type ImageStore = 'classic' | 'containerd';

type Json = Record<string, unknown>;

/** The image's config and how the saved archive describes it. */
export interface SavedImage {
  readonly config: Json;
  readonly description:
    | { readonly kind: 'docker-save'; readonly layers: readonly string[] }
    | { readonly kind: 'oci'; readonly manifest: Json; readonly platform: ImagePlatform };
}

interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size?: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

function json(files: ReadonlyMap<string, Buffer>, name: string): unknown {
  const data = files.get(name);
  if (data === undefined) throw new Error(`the saved image has no ${name}`);
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    throw new Error(`the saved image's ${name} is not JSON`);
  }
}

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Json;
}

function blobOf(files: ReadonlyMap<string, Buffer>, d: Descriptor): Json {
  if (!/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw new Error(`unexpected digest ${d.digest}`);
  return object(json(files, blobPath(d.digest.slice('sha256:'.length))), d.digest);
}

/** Whether an image of platform `p` (from a config or an index entry) runs as `want`. */
export function platformMatches(p: Descriptor['platform'] | undefined, want: ImagePlatform): boolean {
  if (p?.os !== want.os || p.architecture !== want.architecture) return false;
  return want.variant === undefined || p.variant === undefined || p.variant === want.variant;
}

function checkPlatform(config: Json, want: ImagePlatform): void {
  const p = config as Descriptor['platform'];
  if (!platformMatches(p, want)) {
    throw new Error(
      `the saved image is ${[p?.os, p?.architecture, p?.variant].filter(Boolean).join('/')}, not ${[want.os, want.architecture, want.variant].filter(Boolean).join('/')}`,
    );
  }
}

/** The image of `platform` in a saved archive's files (name -> content; the layers need not be there). */
export function readSavedImage(
  files: ReadonlyMap<string, Buffer>,
  platform: string,
  store: ImageStore,
): SavedImage {
  const want = imagePlatform(platform);
  if (store === 'classic') {
    const list = json(files, 'manifest.json');
    const entry = Array.isArray(list) && list.length === 1 ? object(list[0], 'manifest.json') : undefined;
    const layers = entry?.['Layers'];
    if (
      typeof entry?.['Config'] !== 'string' ||
      !Array.isArray(layers) ||
      !layers.every((l) => typeof l === 'string')
    )
      throw new Error('the saved manifest.json does not describe one image');
    const config = object(json(files, entry['Config']), 'the image config');
    checkPlatform(config, want);
    return { config, description: { kind: 'docker-save', layers } };
  }
  const index = object(json(files, 'index.json'), 'index.json');
  let node = (index['manifests'] as Descriptor[] | undefined)?.[0];
  // An image index: take the platform's manifest (attestations are "unknown/unknown").
  for (
    let depth = 0;
    node?.mediaType !== undefined && INDEX_TYPES.has(node.mediaType) && depth < 4;
    depth++
  ) {
    const manifests = (blobOf(files, node)['manifests'] as Descriptor[] | undefined) ?? [];
    node = manifests.find((m) => platformMatches(m.platform, want));
  }
  if (node === undefined) throw new Error(`the saved image has no ${platform} manifest`);
  const manifest = blobOf(files, node);
  const config = blobOf(files, object(manifest['config'], 'the manifest config') as unknown as Descriptor);
  checkPlatform(config, want);
  return { config, description: { kind: 'oci', manifest, platform: want } };
}

/** The image config's ONBUILD triggers, in order. */
export function configTriggers(config: Json): string[] {
  const onbuild = (config['config'] as Json | undefined)?.['OnBuild'];
  return Array.isArray(onbuild) ? onbuild.filter((t): t is string => typeof t === 'string') : [];
}

/** The config without triggers; every other field as it was. */
export function withoutTriggers(config: Json): Json {
  const inner = { ...((config['config'] as Json | undefined) ?? {}) };
  delete inner['OnBuild'];
  return { ...config, config: inner };
}

export interface ArchiveFile {
  readonly name: string;
  readonly mode: number;
  /** Undefined for a directory. */
  readonly data?: Buffer;
}

/** The config of `saved` without triggers, as the derived image holds it, and its digest. */
export function derivedConfig(saved: SavedImage): { data: Buffer; digest: string } {
  const data = Buffer.from(JSON.stringify(withoutTriggers(saved.config)));
  return { data, digest: `sha256:${sha256Hex(data)}` };
}

/** The `docker load` archive's files for `saved` without triggers, tagged `ref`. */
export function derivedArchiveFiles(saved: SavedImage, ref: string): ArchiveFile[] {
  const { data: config, digest } = derivedConfig(saved);
  const configHex = digest.slice('sha256:'.length);
  const file = (name: string, data: Buffer | string): ArchiveFile => ({
    name,
    mode: 0o644,
    data: Buffer.from(data),
  });
  const files: ArchiveFile[] = [
    { name: 'blobs/', mode: 0o755 },
    { name: 'blobs/sha256/', mode: 0o755 },
    file(blobPath(configHex), config),
  ];
  const d = saved.description;
  if (d.kind === 'docker-save') {
    files.push(
      file(
        'manifest.json',
        JSON.stringify([{ Config: blobPath(configHex), RepoTags: [ref], Layers: d.layers }]),
      ),
    );
  } else {
    const old = object(d.manifest['config'], 'the manifest config');
    const manifest = Buffer.from(
      JSON.stringify({
        ...d.manifest,
        config: { ...old, digest: `sha256:${configHex}`, size: config.length },
      }),
    );
    const manifestHex = sha256Hex(manifest);
    const entry = {
      mediaType: d.manifest['mediaType'] ?? 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${manifestHex}`,
      size: manifest.length,
      platform: d.platform,
      annotations: {
        'io.containerd.image.name': fullImageName(ref),
        'org.opencontainers.image.ref.name': ref.slice(ref.lastIndexOf(':') + 1),
      },
    };
    files.push(
      file(blobPath(manifestHex), manifest),
      file(
        'index.json',
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [entry],
        }),
      ),
      file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
    );
  }
  return files;
}
