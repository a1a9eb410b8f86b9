// Command lines for `docker buildx build` and the classic builder, and reading what they report.
// Pure.
import type { ImageOptions } from '../inputs.js';

export interface ImageBuildSpec extends ImageOptions {
  readonly platform: string;
  /** Where the builder writes the image ID. */
  readonly iidFile: string;
  /** Where buildx writes its metadata JSON (buildx only). */
  readonly metadataFile: string;
  /** More buildx flags (from buildx-options.ts's buildxFlags), before the context. */
  readonly extraArgs?: readonly string[];
}

function common(spec: ImageBuildSpec): string[] {
  const args = ['--platform', spec.platform, '--file', spec.file, '--iidfile', spec.iidFile];
  for (const t of spec.tags) args.push('--tag', t);
  for (const [k, v] of spec.buildArgs) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of spec.labels) args.push('--label', `${k}=${v}`);
  if (spec.target !== undefined) args.push('--target', spec.target);
  return args;
}

/**
 * The environment of every buildx build: no default provenance attestation. On the containerd
 * image store buildx would otherwise make each image an index (the image plus an attestation
 * manifest), which a multi-arch manifest list would then list as platform "unknown", and the
 * attestation would name the local emulator image and the rewritten Dockerfile. Same images on
 * both stores; older buildx ignores the variable.
 */
export const BUILDX_ENV: Readonly<Record<string, string>> = { BUILDX_NO_DEFAULT_ATTESTATIONS: '1' };

/** Arguments of `docker` for a buildx build on `builder`. */
export function buildxArgv(spec: ImageBuildSpec, builder: string): string[] {
  const args = [
    'buildx',
    'build',
    '--builder',
    builder,
    ...common(spec),
    '--metadata-file',
    spec.metadataFile,
  ];
  if (spec.push) args.push('--push');
  if (spec.load) args.push('--load');
  args.push(...(spec.extraArgs ?? []), spec.context);
  return args;
}

/** Arguments of `docker` for the classic builder (run with DOCKER_BUILDKIT=0); it always loads. */
export function classicArgv(spec: ImageBuildSpec): string[] {
  return ['build', ...common(spec), spec.context];
}

export interface BuildMetadata {
  /** Manifest digest (set when pushed), or "". */
  readonly digest: string;
  /** Image config digest, or "". */
  readonly configDigest: string;
}

/** Read buildx's --metadata-file JSON. */
export function parseMetadata(text: string): BuildMetadata {
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // An empty or partial file means nothing was reported.
  }
  const s = (k: string): string => {
    const v = json[k];
    return typeof v === 'string' ? v : '';
  };
  return { digest: s('containerimage.digest'), configDigest: s('containerimage.config.digest') };
}

/** Docker's platform string for a `docker version` server os/arch pair ("linux", "amd64"). */
export function serverPlatform(os: string, arch: string): string {
  return `${os.trim()}/${arch.trim()}`;
}
