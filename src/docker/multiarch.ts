// Several architectures in one step: each image is built on its own (the docker driver builds one
// platform at a time), pushed under a per-arch tag, and every user tag then becomes a manifest
// list of those images. Names and command lines are pure; publishManifestList does the I/O.
import type { Arch } from '../arch.js';
import { mustRun } from '../util/exec.js';

/** Tag suffix for an arch's own image: the platform without "linux/", "/" as "-" (arm64, arm-v7). */
export function archTagSuffix(arch: Arch): string {
  return arch.platform.replace(/^linux\//, '').replace(/\//g, '-');
}

/** Split an image reference into repository and tag ("latest" when it has none). */
export function splitTag(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash belongs to a registry host:port, not a tag.
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** The tag an arch's image gets when several arches are built: <tag>-<suffix>. */
export function archTag(ref: string, arch: Arch): string {
  const { repo, tag } = splitTag(ref);
  return `${repo}:${tag}-${archTagSuffix(arch)}`;
}

/** Sources for `imagetools create`: the per-arch images by digest in the tag's repository. */
export function manifestSources(ref: string, digests: readonly string[]): string[] {
  const { repo } = splitTag(ref);
  return digests.map((d) => `${repo}@${d}`);
}

/** Create (push) `tag` as a manifest list of the given per-arch digests; returns its digest. */
export async function publishManifestList(tag: string, digests: readonly string[]): Promise<string> {
  await mustRun(
    'docker',
    ['buildx', 'imagetools', 'create', '--tag', tag, ...manifestSources(tag, digests)],
    // The tag is the user's input, echoed in the command line.
    { echo: true, untrustedOutput: true },
  );
  const r = await mustRun('docker', [
    'buildx',
    'imagetools',
    'inspect',
    tag,
    '--format',
    '{{json .Manifest}}',
  ]);
  const digest = (JSON.parse(r.stdout) as { digest?: unknown }).digest;
  if (typeof digest !== 'string' || !digest.startsWith('sha256:')) {
    throw new Error(`the registry did not report a digest for the manifest list ${tag}`);
  }
  return digest;
}
