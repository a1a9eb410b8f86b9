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
import { rewriteDockerfile, type ScriptFile } from '../dockerfile/rewrite.js';
import { buildEmulatorImage, loadEmulatorSet, NATIVE_SHIM, type EmulatorVariant } from './emulator-image.js';
import { emulatorContextFlag, platformDigests, type OneBuildRewrite } from './one-build.js';
import { mustRun } from '../util/exec.js';
import { inspectImage } from './engine.js';
import { buildWith, type BuiltImage } from './image-build.js';
import { keepEmulatorDockerfile, keptEmulatorPath } from '../dockerfile/keep-emulator.js';
import { buildxFlags, splitForKeepEmulator, type BuildxOptions } from '../buildx-options.js';
import { CommandError } from '../util/exec.js';
import { annotateBuildFailure } from './build-failure.js';
import { stageTriggerWarnings, userLine, unreadHint, type Insertion } from '../dockerfile/onbuild.js';
import { analyzeStages, type StageOptions } from '../dockerfile/stages.js';
import { planOnbuild, type UnreadBase } from './onbuild-base.js';

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
  /** This run's own suffix for the images it tags (several jobs may share one daemon). */
  readonly runId: string;
  /** Whether the daemon keeps images in the containerd image store. */
  readonly containerdStore: boolean;
}

/** What explains a failed build beyond the user's Dockerfile. */
interface FailureContext {
  /** Lines the rewrite inserted: the builder's line numbers below them are not the user's. */
  readonly insertions?: readonly Insertion[];
  /** Guest stages whose base's ONBUILD triggers could not be read before the build. */
  readonly unread?: readonly UnreadBase[];
}

/** A build of the user's own Dockerfile: when it fails, annotate the instruction it stopped at. */
async function buildUserFile(
  spec: ImageBuildSpec,
  req: ImageBuildRequest,
  userText: string,
  failure: FailureContext = {},
): Promise<BuiltImage> {
  try {
    return await buildWith(spec, req.builder);
  } catch (err) {
    if (err instanceof CommandError) {
      const output = `${err.result.stdout}\n${err.result.stderr}`;
      const insertions = failure.insertions ?? [];
      annotateBuildFailure(output, req.file, userText, req.workspace, core.error, (l) =>
        userLine(l, insertions),
      );
      const hint = unreadHint(output, failure.unread ?? [], req.arch.platform);
      if (hint !== undefined) core.warning(hint);
    }
    throw err;
  }
}

/** Warn of ONBUILD RUNs of the Dockerfile's own stages that BuildKit runs unwrapped in a guest stage. */
function warnStageTriggers(text: string, opts: StageOptions): void {
  for (const w of stageTriggerWarnings(analyzeStages(text, opts))) core.warning(w);
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

/** Write the scripts the rewrite kept out of the command line; the --secret flags that pass them. */
async function scriptSecretFlags(scripts: readonly ScriptFile[], dir: string): Promise<string[]> {
  const flags: string[] = [];
  for (const s of scripts) {
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, s.id);
    await fs.writeFile(file, s.content, { mode: 0o600 });
    flags.push('--secret', `id=${s.id},src=${file}`);
  }
  return flags;
}

/** Where a build in `workDir` writes its image ID and buildx metadata. */
function resultFiles(workDir: string, name: string): Pick<ImageBuildSpec, 'iidFile' | 'metadataFile'> {
  return {
    iidFile: path.join(workDir, `${name}.iid`),
    metadataFile: path.join(workDir, `${name}.metadata.json`),
  };
}

/** The build of the user's Dockerfile for `platform` (one, or several comma-separated), as the inputs ask. */
function userBuildSpec(
  req: ImageOptions & { readonly workDir: string },
  platform: string,
  extraArgs: readonly string[],
): ImageBuildSpec {
  return {
    platform,
    file: req.file,
    context: req.context,
    tags: req.tags,
    buildArgs: req.buildArgs,
    labels: req.labels,
    target: req.target,
    push: req.push,
    load: req.load,
    ...resultFiles(req.workDir, 'image'),
    extraArgs,
  };
}

/** build-push-action's inputs in `opts` as buildx flags, with the request's secret files and builder-id. */
function flagsFor(req: Pick<ImageBuildRequest, 'secretFiles' | 'builderId'>, opts: BuildxOptions): string[] {
  return buildxFlags(opts, req.secretFiles, req.builderId !== undefined ? { builderId: req.builderId } : {});
}

export async function buildImage(req: ImageBuildRequest): Promise<BuiltImage> {
  const platform = req.arch.platform;
  await fs.mkdir(req.workDir, { recursive: true });
  const user = userBuildSpec(req, platform, flagsFor(req, req.buildx));

  const original = await fs.readFile(req.file, 'utf8');
  if (req.emulatorDir === undefined) {
    core.info(`${platform} is the Docker host's platform: building without the emulator`);
    return buildUserFile(user, req, original);
  }
  const t = req.arch.id;
  const emuImage = await buildEmulatorImage(req.emulatorDir, t, platform, req.workDir, req.runId);
  req.track(emuImage);
  core.info(`Emulator image ${emuImage}`);

  if (req.builder === undefined) core.warning(CLASSIC_LOSSES);
  const stageOptions = { guestPlatform: platform, hostPlatform: req.hostPlatform, buildArgs: req.buildArgs };
  warnStageTriggers(original, stageOptions);
  const onbuild = await planOnbuild(original, {
    ...stageOptions,
    store: req.containerdStore ? 'containerd' : 'classic',
    workDir: req.workDir,
    runId: req.runId,
    track: req.track,
  });
  const rw = rewriteDockerfile(original, {
    ...stageOptions,
    onbuild: onbuild.stages,
    emulatorImage: emuImage,
    ...(req.builder !== undefined
      ? { emulatorPath: `${BUILD_MOUNT_DIR}/qemu-${t}`, inject: 'mount' as const }
      : { emulatorPath: keptEmulatorPath(t), inject: 'copy' as const }),
  });
  core.info(
    `${rw.rewritten} RUN instruction(s) of ${rw.stages.filter((s) => s.guest).length} ${platform} stage(s) run through qemu-${t}`,
  );
  const file = await writeDockerfile(path.join(req.workDir, 'dockerfile'), req.file, rw.dockerfile);
  const scripts = await scriptSecretFlags(rw.scripts, path.join(req.workDir, 'scripts'));
  const failure = { insertions: rw.insertions, unread: onbuild.unread };

  if (!req.keepEmulator) {
    return buildUserFile(
      { ...user, file, extraArgs: [...flagsFor(req, req.buildx), ...scripts] },
      req,
      original,
      failure,
    );
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
      ...resultFiles(req.workDir, 'stage'),
      extraArgs: [...flagsFor(req, split.steps), ...scripts],
    },
    req,
    original,
    failure,
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
      extraArgs: flagsFor(req, split.image),
    },
    req.builder,
  );
  return wrapped;
}

export interface AllArchesRequest extends Omit<ImageBuildRequest, 'arch' | 'keepEmulator'> {
  readonly arches: readonly Arch[];
  /** The one rewrite every platform builds with (one-build.ts). */
  readonly rewrite: OneBuildRewrite;
  /** The user's Dockerfile as read for that rewrite (for the error annotation). */
  readonly original: string;
}

export interface AllArchesResult extends BuiltImage {
  /** platform -> the pushed manifest digest of its image in the index (empty when not pushed). */
  readonly platformDigests: ReadonlyMap<string, string>;
}

/** Every arch in one buildx build on the containerd image store: one index under the user's tags. */
export async function buildAllArches(req: AllArchesRequest): Promise<AllArchesResult> {
  await fs.mkdir(req.workDir, { recursive: true });
  const variants: EmulatorVariant[] = [];
  for (const arch of req.arches) {
    const native = isHostPlatform(arch.platform, req.hostPlatform);
    if (!native && req.emulatorDir === undefined) throw new Error(`no emulator for ${arch.platform}`);
    variants.push({
      platform: arch.platform,
      data: native
        ? Buffer.from(NATIVE_SHIM)
        : await fs.readFile(path.join(req.emulatorDir ?? '', `qemu-${arch.id}`)),
      createdBy: native ? 'the native shim' : `COPY qemu-${arch.id} /qemu`,
    });
  }
  const emulators = await loadEmulatorSet(variants, req.workDir, req.runId);
  req.track(emulators);
  const platforms = req.arches.map((a) => a.platform);
  const guest = req.arches.find((a) => !isHostPlatform(a.platform, req.hostPlatform));
  if (guest) warnStageTriggers(req.original, { ...req, guestPlatform: guest.platform });
  core.info(
    `One build for ${platforms.join(', ')} (containerd image store): ${req.rewrite.rewritten} RUN instruction(s) through each platform's emulator from ${emulators}`,
  );
  const file = await writeDockerfile(path.join(req.workDir, 'dockerfile'), req.file, req.rewrite.dockerfile);
  const scripts = await scriptSecretFlags(req.rewrite.scripts, path.join(req.workDir, 'scripts'));
  const built = await buildUserFile(
    {
      ...userBuildSpec(req, platforms.join(','), [
        ...flagsFor(req, req.buildx),
        ...scripts,
        ...emulatorContextFlag(emulators),
      ]),
      file,
    },
    { ...req, arch: req.arches[0]!, keepEmulator: false },
    req.original,
  );
  const first = req.tags[0];
  let digests = new Map<string, string>();
  if (req.push && first !== undefined) {
    const raw = await mustRun('docker', ['buildx', 'imagetools', 'inspect', '--raw', first]);
    digests = platformDigests(raw.stdout);
  }
  return { ...built, platformDigests: digests };
}
