// The tiny image that carries an emulator into a build: FROM scratch + /qemu-<target>, tagged
// by the binary's digest and built for the guest platform, so that BuildKit resolves
// `--mount=type=bind,from=<it>` and `COPY --from=<it>` from the local image store.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../util/hash.js';
import type { ImageBuildSpec } from './buildx.js';
import { buildWith } from './image-build.js';

const EMULATOR_IMAGE_REPO = 'anyarch-emu';

/** Tag of the emulator image for `target` whose binary has `sha256`. */
export function emulatorImageRef(target: string, sha256: string): string {
  return `${EMULATOR_IMAGE_REPO}:${target}-${sha256.slice(0, 16)}`;
}

export function emulatorImageDockerfile(target: string): string {
  return `FROM scratch\nCOPY qemu-${target} /qemu-${target}\n`;
}

/** Build and load the emulator image for `platform`; returns its reference. */
export async function buildEmulatorImage(
  emulatorDir: string,
  target: string,
  platform: string,
  workDir: string,
  /** buildx builder, or undefined for the classic builder. */
  builder: string | undefined,
): Promise<string> {
  const bin = path.join(emulatorDir, `qemu-${target}`);
  const ref = emulatorImageRef(target, await sha256File(bin));
  const ctx = path.join(workDir, `emu-${target}`);
  await fs.rm(ctx, { recursive: true, force: true });
  await fs.mkdir(ctx, { recursive: true });
  await fs.copyFile(bin, path.join(ctx, `qemu-${target}`));
  await fs.chmod(path.join(ctx, `qemu-${target}`), 0o755);
  await fs.writeFile(path.join(ctx, 'Dockerfile'), emulatorImageDockerfile(target));
  const spec: ImageBuildSpec = {
    platform,
    file: path.join(ctx, 'Dockerfile'),
    context: ctx,
    tags: [ref],
    buildArgs: new Map(),
    labels: new Map(),
    target: undefined,
    push: false,
    load: true,
    iidFile: path.join(ctx, 'iid'),
    metadataFile: path.join(ctx, 'metadata.json'),
  };
  await buildWith(spec, builder, { echo: false });
  await fs.rm(ctx, { recursive: true, force: true });
  return ref;
}
