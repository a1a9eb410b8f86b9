// Running one image build, with buildx on a docker-driver builder or with the classic builder,
// and reading back the image ID and digest. The one place that tells the two builders apart.
import { existsSync, promises as fs } from 'node:fs';
import { mustRun, runCommand } from '../util/exec.js';
import { BUILDX_ENV, buildxArgv, classicArgv, parseMetadata, type ImageBuildSpec } from './buildx.js';

export interface BuiltImage {
  readonly imageid: string;
  /** The registry's manifest digest when pushed, else "". */
  readonly digest: string;
  /** buildx's metadata JSON as it wrote it ("" from the classic builder). */
  readonly metadata: string;
}

/** Build `spec` on `builder` (a buildx builder, or undefined for the classic builder). */
export async function buildWith(
  spec: ImageBuildSpec,
  builder: string | undefined,
  opts: { echo?: boolean } = {},
): Promise<BuiltImage> {
  // What a build prints comes from the Dockerfile's RUN steps: in the log, no line of it is a
  // workflow command.
  const shown = { echo: opts.echo ?? true, untrustedOutput: true };
  await fs.rm(spec.iidFile, { force: true });
  await fs.rm(spec.metadataFile, { force: true });
  if (builder !== undefined) {
    await mustRun('docker', buildxArgv(spec, builder), { ...shown, env: { ...BUILDX_ENV } });
  } else {
    await mustRun('docker', classicArgv(spec), { ...shown, env: { DOCKER_BUILDKIT: '0' } });
    if (spec.push) for (const t of spec.tags) await mustRun('docker', ['push', t], shown);
  }
  const iid = existsSync(spec.iidFile) ? (await fs.readFile(spec.iidFile, 'utf8')).trim() : '';
  const metadata = existsSync(spec.metadataFile) ? await fs.readFile(spec.metadataFile, 'utf8') : '';
  const digest = parseMetadata(metadata).digest;
  return { imageid: await localImageId(iid, digest), digest, metadata };
}

/**
 * The ID the daemon knows the image by. buildx's --iidfile holds the image's config digest: the
 * image ID on the classic store, but the containerd image store names images by their manifest
 * digest (buildx's containerimage.digest). An image that was only pushed has neither locally.
 */
async function localImageId(iid: string, manifestDigest: string): Promise<string> {
  for (const candidate of [iid, manifestDigest]) {
    if (candidate === '') continue;
    const r = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', candidate]);
    if (r.exitCode === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return iid;
}
