// Building the user's image for the guest platform: the emulator image, the rewritten
// Dockerfile (in a temporary directory, so the workspace stays untouched), `docker buildx build`,
// and for keep-emulator a second build that puts the emulator into the image.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { Arch } from '../arch.js';
import type { ImageOptions } from '../inputs.js';
import { archFromPlatform } from '../arch.js';
import type { ImageBuildSpec } from './buildx.js';
import { rewriteDockerfile } from '../dockerfile/rewrite.js';
import { buildEmulatorImage } from './emulator-image.js';
import { inspectImage } from './engine.js';
import { buildWith, type BuiltImage } from './image-build.js';
import { keepEmulatorDockerfile, keptEmulatorPath } from '../dockerfile/keep-emulator.js';
import { buildxFlags, splitForKeepEmulator, type BuildxOptions } from '../buildx-options.js';
import { CommandError } from '../util/exec.js';
import { annotateBuildFailure } from './build-failure.js';

/** Where the emulator image's root is mounted in RUN steps. Under /dev, which the runtime mounts
 * as a tmpfs, so the mountpoint BuildKit creates never reaches the image's layers. */
const BUILD_MOUNT_DIR = '/dev/.anyarch';

/** What building with the classic builder (no buildx) gives up; printed as a warning. */
const CLASSIC_LOSSES =
  'docker buildx is not available, so the classic builder is used (DOCKER_BUILDKIT=0). It has no ' +
  'RUN --mount, so the emulator is COPYed into every guest stage and stays in the image at /.anyarch/; ' +
  'there is no "digest" output, no $BUILDPLATFORM/$TARGETPLATFORM arguments, no BuildKit cache or secrets, ' +
  'and pushing is a separate docker push. Install the buildx plugin to avoid all this.';

export interface ImageBuildRequest extends ImageOptions {
  readonly arch: Arch;
  readonly hostPlatform: string;
  /** buildx builder, or undefined for the classic builder. */
  readonly builder: string | undefined;
  /** Directory with qemu-<arch.id>; undefined when the guest is the host. */
  readonly emulatorDir: string | undefined;
  readonly keepEmulator: boolean;
  /** Scratch directory, removed by the caller. */
  readonly workDir: string;
  /** Records an image the action created, for the post step to remove. */
  readonly track: (ref: string) => void;
  /** build-push-action's build inputs (none for the classic builder: the pipeline refuses them). */
  readonly buildx: BuildxOptions;
  /** The file each `secrets` value was written to (see secrets.ts). */
  readonly secretFiles: ReadonlyMap<string, string>;
  /** builder-id of a provenance attestation (the workflow run's URL), when known. */
  readonly builderId: string | undefined;
  /** GITHUB_WORKSPACE: an error annotation names the Dockerfile relative to it. */
  readonly workspace: string;
}

/** A build of the user's own Dockerfile: when it fails, annotate the instruction it stopped at. */
async function buildUserFile(
  spec: ImageBuildSpec,
  req: ImageBuildRequest,
  userText: string,
): Promise<BuiltImage> {
  try {
    return await buildWith(spec, req.builder);
  } catch (err) {
    if (err instanceof CommandError) {
      annotateBuildFailure(`${err.result.stdout}\n${err.result.stderr}`, req.file, userText, req.workspace);
    }
    throw err;
  }
}

export function isHostPlatform(platform: string, hostPlatform: string): boolean {
  const a = archFromPlatform(platform);
  return a !== undefined && a === archFromPlatform(hostPlatform);
}

/** Write the Dockerfile to build into `dir`, next to a copy of the user's <name>.dockerignore. */
async function writeDockerfile(dir: string, userFile: string, text: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const out = path.join(dir, path.basename(userFile));
  await fs.writeFile(out, text);
  // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile before <context>/.dockerignore.
  const ignore = `${userFile}.dockerignore`;
  if (existsSync(ignore)) await fs.copyFile(ignore, `${out}.dockerignore`);
  return out;
}

export async function buildImage(req: ImageBuildRequest): Promise<BuiltImage> {
  const flagsFor = (opts: BuildxOptions): string[] =>
    buildxFlags(opts, req.secretFiles, req.builderId !== undefined ? { builderId: req.builderId } : {});
  const platform = req.arch.platform;
  await fs.mkdir(req.workDir, { recursive: true });
  const files = (name: string) => ({
    iidFile: path.join(req.workDir, `${name}.iid`),
    metadataFile: path.join(req.workDir, `${name}.metadata.json`),
  });
  const user: ImageBuildSpec = {
    platform,
    file: req.file,
    context: req.context,
    tags: req.tags,
    buildArgs: req.buildArgs,
    labels: req.labels,
    target: req.target,
    push: req.push,
    load: req.load,
    ...files('image'),
    extraArgs: flagsFor(req.buildx),
  };

  const original = await fs.readFile(req.file, 'utf8');
  if (req.emulatorDir === undefined) {
    core.info(`${platform} is the Docker host's platform: building without the emulator`);
    return buildUserFile(user, req, original);
  }
  const t = req.arch.id;
  const emuImage = await buildEmulatorImage(req.emulatorDir, t, platform, req.workDir);
  req.track(emuImage);
  core.info(`Emulator image ${emuImage}`);

  if (req.builder === undefined) core.warning(CLASSIC_LOSSES);
  const rw = rewriteDockerfile(original, {
    guestPlatform: platform,
    hostPlatform: req.hostPlatform,
    buildArgs: req.buildArgs,
    emulatorImage: emuImage,
    ...(req.builder !== undefined
      ? { emulatorPath: `${BUILD_MOUNT_DIR}/qemu-${t}`, inject: 'mount' as const }
      : { emulatorPath: keptEmulatorPath(t), inject: 'copy' as const }),
  });
  core.info(
    `${rw.rewritten} RUN instruction(s) of ${rw.stages.filter((s) => s.guest).length} ${platform} stage(s) run through qemu-${t}`,
  );
  const file = await writeDockerfile(path.join(req.workDir, 'dockerfile'), req.file, rw.dockerfile);

  if (!req.keepEmulator) {
    return buildUserFile({ ...user, file }, req, original);
  }

  // keep-emulator: build and load the image under a temporary tag, read its entrypoint, then
  // build FROM it with the emulator added, with the user's tags and outputs.
  const stageTag = `anyarch-stage:${randomBytes(8).toString('hex')}`;
  req.track(stageTag);
  const split = splitForKeepEmulator(req.buildx);
  await buildUserFile(
    {
      ...user,
      file,
      tags: [stageTag],
      push: false,
      load: true,
      ...files('stage'),
      extraArgs: flagsFor(split.steps),
    },
    req,
    original,
  );
  const stage = await inspectImage(stageTag);
  const keepDir = path.join(req.workDir, 'keep');
  await fs.mkdir(keepDir, { recursive: true });
  const keepFile = path.join(keepDir, 'Dockerfile');
  await fs.writeFile(keepFile, keepEmulatorDockerfile(stageTag, emuImage, t, stage));
  const wrapped = await buildWith(
    {
      ...user,
      file: keepFile,
      context: keepDir,
      buildArgs: new Map(),
      labels: new Map(),
      target: undefined,
      extraArgs: flagsFor(split.image),
    },
    req.builder,
  );
  return wrapped;
}
