// The action's work, phase by phase — resolve, emulators (cache or compile), images, manifest
// list, guest scripts, summary rows — shared by the action's main step and the CLI. Side effects
// outside the temp dir are reported through `track` so that the post step (or the CLI's
// clean-up) can undo them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { Arch } from './arch.js';
import { actionsCacheConfigured } from './cache/actions-cache.js';
import { buildAllArches, buildImage, isHostPlatform } from './docker/build.js';
import { oneBuildRewrite, perArchReason, reportPerArch, type OneBuildRewrite } from './docker/one-build.js';
import { onbuildOneBuildReason } from './docker/onbuild-base.js';
import { detectDocker, type DockerInfo } from './docker/engine.js';
import { runInGuest } from './docker/guest-script.js';
import { archTag, publishManifestList } from './docker/multiarch.js';
import type { Inputs } from './inputs.js';
import { installEmulators, runnerStores, type Emulator } from './qemu/install.js';
import { sourceIdentity } from './qemu/source-identity.js';
import { findActionRoot, loadSeries, type SeriesEntry } from './qemu/series.js';
import { resolveQemuVersion } from './qemu/version.js';
import type { RunnerEnv } from './runner.js';
import type { SummaryRow } from './summary.js';
import {
  builderIdFromEnv,
  classicBuilderProblems,
  engineProblems,
  imageStoreProblems,
  pipelineProblems,
  problemsError,
} from './buildx-options.js';
import { writeSecretFiles } from './docker/secrets.js';

export interface Tracker {
  /** An image the action created. */
  image(ref: string): void;
  /** A file or directory the action created. */
  path(p: string): void;
}

/** One arch's image, as the "images" output lists it. */
export interface ArchImage {
  readonly arch: string;
  readonly platform: string;
  readonly imageid: string;
  readonly digest: string;
  readonly tags: readonly string[];
}

export interface PipelineResult {
  readonly qemu: SeriesEntry;
  readonly emulator: Emulator | undefined;
  readonly platforms: readonly string[];
  readonly imageid: string;
  readonly digest: string;
  readonly images: readonly ArchImage[];
  /** The "metadata" output: buildx's metadata JSON, or with several arches an object of them by platform. */
  readonly metadata: string;
  readonly rows: readonly SummaryRow[];
}

/** What every phase after the first one works with. */
interface RunContext {
  readonly inputs: Inputs;
  readonly runner: RunnerEnv;
  readonly track: Tracker;
  readonly actionRoot: string;
  readonly qemu: SeriesEntry;
  /** Undefined when neither an image nor a script needs Docker. */
  readonly docker: DockerInfo | undefined;
  /** This run's own temporary directory. */
  readonly workDir: string;
}

/** QEMU targets to compile: every arch, less the host's own when images are built. */
export function targetsToCompile(
  arches: readonly Arch[],
  build: boolean,
  hostPlatform: string | undefined,
): Arch[] {
  if (!build || hostPlatform === undefined) return [...arches];
  return arches.filter((a) => !isHostPlatform(a.platform, hostPlatform));
}

/** The QEMU release, and the Docker engine when one is needed. */
async function resolve(
  inputs: Inputs,
  actionRoot: string,
): Promise<{ qemu: SeriesEntry; docker: DockerInfo | undefined }> {
  return core.group('Resolve', async () => {
    const qemu = resolveQemuVersion(inputs.qemuVersion, loadSeries(actionRoot));
    core.info(
      `QEMU ${qemu.version} (series ${qemu.series}) for ${inputs.arches.map((a) => a.id).join(', ')}`,
    );
    const docker = inputs.build || inputs.run !== undefined ? await detectDocker(inputs.builder) : undefined;
    if (docker) {
      const builder =
        docker.builder !== undefined
          ? `buildx builder "${docker.builder}"`
          : 'buildx missing: the classic builder';
      core.info(`Docker host platform ${docker.hostPlatform}; ${builder}`);
      if (inputs.build && inputs.push && inputs.arches.length > 1 && docker.builder === undefined) {
        throw new Error(
          'Input "push" with several arches makes a manifest list with docker buildx imagetools, and buildx is not available',
        );
      }
      if (inputs.build) {
        const err = problemsError(buildxOptionProblems(inputs, docker));
        if (err) throw err;
      }
    }
    return { qemu, docker };
  });
}

/** Every build-push-action input that cannot work with this daemon, builder and run, at once. */
function buildxOptionProblems(inputs: Inputs, docker: DockerInfo) {
  if (docker.builder === undefined) return classicBuilderProblems(inputs.buildx);
  return [
    ...engineProblems(inputs.buildx, docker.engineVersion),
    ...imageStoreProblems(inputs.buildx, docker.containerdStore),
    ...pipelineProblems(inputs.buildx, {
      archCount: inputs.arches.length,
      emulated: targetsToCompile(inputs.arches, true, docker.hostPlatform).length > 0,
      keepEmulator: inputs.keepEmulator,
    }),
  ];
}

/** The run's own token for the tags it makes: its temp dir's unique suffix (anyarch-XXXXXX). */
export function runIdOf(workDir: string): string {
  return path
    .basename(workDir)
    .replace(/^anyarch-/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '');
}

async function makeWorkDir(runner: RunnerEnv, track: Tracker): Promise<string> {
  const dir = await fs.mkdtemp(path.join(runner.temp, 'anyarch-')).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      `Cannot make a temporary directory in ${runner.temp} (RUNNER_TEMP, or the system's temp dir outside Actions): ${err.code ?? err.message}`,
    );
  });
  track.path(dir);
  return dir;
}

/** The emulators the run needs, from a cache or a compile; undefined when it needs none. */
async function emulators(ctx: RunContext): Promise<Emulator | undefined> {
  const { inputs, runner, qemu } = ctx;
  const targets = targetsToCompile(inputs.arches, inputs.build, ctx.docker?.hostPlatform);
  if (targets.length === 0) return undefined;
  const useActionsCache = inputs.cache && actionsCacheConfigured();
  // The Actions cache versions entries by their paths, so it needs a fixed one; otherwise the
  // build goes into this run's own temp dir (several runs may share one RUNNER_TEMP).
  const actionsCacheDir = useActionsCache
    ? path.join(runner.temp, 'anyarch-qemu-cache')
    : path.join(ctx.workDir, 'out');
  ctx.track.path(actionsCacheDir);
  // Not a group of its own: a compile prints progress lines and its log in a group.
  core.info(`Emulator: qemu-${targets.map((a) => a.id).join(', qemu-')} ${qemu.version}`);
  const req = {
    entry: qemu,
    source: sourceIdentity(inputs.qemuSource, qemu, inputs.qemuSha256),
    targets: targets.map((a) => a.id),
    patchFile: path.join(ctx.actionRoot, 'patches', qemu.patch),
    workDir: path.join(ctx.workDir, 'qemu'),
    actionsCacheDir,
    runnerOs: runner.os,
    runnerArch: runner.arch,
  };
  const source = {
    source: inputs.qemuSource,
    sha256Pin: inputs.qemuSha256,
    installDeps: inputs.installDeps,
    sourcesCache: runner.sourcesCache,
  };
  const emulator = await installEmulators(req, runnerStores(req, source, runner.toolCache, useActionsCache));
  core.info(`Emulator ready in ${emulator.dir} (cache hit: ${emulator.cacheHit})`);
  return emulator;
}

/** The emulator for `arch`, when the run has one (the host's own arch needs none). */
function emulatorFor(emulator: Emulator | undefined, arch: Arch): string | undefined {
  return emulator?.targets.includes(arch.id) ? path.join(emulator.dir, `qemu-${arch.id}`) : undefined;
}

interface BuiltArch extends ArchImage {
  /** buildx's metadata JSON for this arch's image ("" from the classic builder). */
  readonly metadata: string;
}

/** What the images phase made: one image per arch, or one multi-platform image for all. */
interface Images {
  readonly arches: BuiltArch[];
  /** Set when every arch was built in one build (one-build.ts). */
  readonly oneBuild?: { readonly imageid: string; readonly digest: string; readonly metadata: string };
}

/**
 * The images: on the containerd image store all arches in one build under the user's tags;
 * elsewhere one build per arch, each tagged <tag>-<suffix> when there are several.
 */
async function images(ctx: RunContext, docker: DockerInfo, emulator: Emulator | undefined): Promise<Images> {
  const secretsDir = path.join(ctx.workDir, 'secrets');
  try {
    const secretFiles = await writeSecretFiles(ctx.inputs.buildx.secrets, secretsDir, (v) =>
      core.setSecret(v),
    );
    const one = await oneBuild(ctx, docker, emulator, secretFiles);
    return one ?? { arches: await buildEach(ctx, docker, emulator, secretFiles) };
  } finally {
    // Not left for the post step: the values should live on disk no longer than the builds.
    await fs.rm(secretsDir, { recursive: true, force: true });
  }
}

/** All arches in one build, when the store, the inputs and the Dockerfile allow it; else undefined. */
async function oneBuild(
  ctx: RunContext,
  docker: DockerInfo,
  emulator: Emulator | undefined,
  secretFiles: ReadonlyMap<string, string>,
): Promise<Images | undefined> {
  const { inputs } = ctx;
  const isHost = (a: Arch) => isHostPlatform(a.platform, docker.hostPlatform);
  let reason = perArchReason({ ...inputs, containerdStore: docker.containerdStore, builder: docker.builder });
  let rewrite: OneBuildRewrite | undefined;
  let original = '';
  if (reason === undefined) {
    original = await fs.readFile(inputs.file, 'utf8');
    const rw = oneBuildRewrite(original, inputs.arches, docker.hostPlatform, inputs.buildArgs, isHost);
    if ('reason' in rw) reason = rw.reason;
    else rewrite = rw;
  }
  if (rewrite !== undefined) {
    // A base's ONBUILD triggers run through the emulator only in a build of one platform.
    const guests = inputs.arches.filter((a) => !isHost(a)).map((a) => a.platform);
    reason = await onbuildOneBuildReason(original, guests, {
      hostPlatform: docker.hostPlatform,
      buildArgs: inputs.buildArgs,
    });
    if (reason !== undefined) rewrite = undefined;
  }
  if (rewrite === undefined || docker.builder === undefined) {
    reportPerArch(reason ?? 'no buildx', inputs.arches);
    return undefined;
  }
  const result = await core.group(
    `Build ${inputs.arches.map((a) => a.platform).join(', ')} in one build`,
    () =>
      buildAllArches({
        ...inputs,
        arches: inputs.arches,
        rewrite,
        original,
        hostPlatform: docker.hostPlatform,
        builder: docker.builder,
        emulatorDir: emulator?.dir,
        workDir: path.join(ctx.workDir, 'image', 'all'),
        track: (ref) => ctx.track.image(ref),
        secretFiles,
        builderId: builderIdFromEnv(process.env),
        workspace: ctx.runner.workspace,
        runId: runIdOf(ctx.workDir),
        containerdStore: docker.containerdStore,
      }),
  );
  return {
    arches: inputs.arches.map((arch) => ({
      arch: arch.id,
      platform: arch.platform,
      imageid: result.imageid,
      digest: result.platformDigests.get(arch.platform) ?? '',
      tags: inputs.tags,
      metadata: result.metadata,
    })),
    oneBuild: {
      imageid: result.imageid,
      digest: inputs.push ? result.digest : '',
      metadata: result.metadata.trim(),
    },
  };
}

async function buildEach(
  ctx: RunContext,
  docker: DockerInfo,
  emulator: Emulator | undefined,
  secretFiles: ReadonlyMap<string, string>,
): Promise<BuiltArch[]> {
  const { inputs } = ctx;
  const builderId = builderIdFromEnv(process.env);
  const out: BuiltArch[] = [];
  for (const arch of inputs.arches) {
    const tags = inputs.arches.length > 1 ? inputs.tags.map((t) => archTag(t, arch)) : inputs.tags;
    const result = await core.group(`Build the ${arch.platform} image`, () =>
      buildImage({
        ...inputs,
        arch,
        tags,
        hostPlatform: docker.hostPlatform,
        builder: docker.builder,
        emulatorDir: emulatorFor(emulator, arch) !== undefined ? emulator?.dir : undefined,
        workDir: path.join(ctx.workDir, 'image', arch.id),
        track: (ref) => ctx.track.image(ref),
        secretFiles,
        builderId,
        workspace: ctx.runner.workspace,
        runId: runIdOf(ctx.workDir),
        containerdStore: docker.containerdStore,
      }),
    );
    out.push({
      arch: arch.id,
      platform: arch.platform,
      imageid: result.imageid,
      digest: result.digest,
      tags,
      metadata: result.metadata,
    });
  }
  return out;
}

/** The user's tags as one manifest list of the pushed per-arch images; the list's digest. */
async function manifestList(tags: readonly string[], built: readonly ArchImage[]): Promise<string> {
  return core.group('Push the multi-arch manifest list', async () => {
    const missing = built.filter((i) => i.digest === '');
    if (missing.length > 0) {
      throw new Error(
        `no pushed digest for ${missing.map((i) => i.platform).join(', ')}: cannot make a manifest list`,
      );
    }
    let listDigest = '';
    for (const tag of tags) {
      listDigest = await publishManifestList(
        tag,
        built.map((i) => i.digest),
      );
      core.info(`${tag}: manifest list ${listDigest} (${built.map((i) => i.platform).join(', ')})`);
    }
    return listDigest;
  });
}

/** The "run" script in each arch's image (or run-image). */
async function guestScripts(
  ctx: RunContext,
  emulator: Emulator | undefined,
  built: readonly ArchImage[],
): Promise<void> {
  const { inputs, qemu } = ctx;
  for (const arch of inputs.arches) {
    const image = inputs.runImage ?? built.find((i) => i.arch === arch.id)?.imageid;
    if (image === undefined || image === '')
      throw new Error(`no image to run the "run" script in for ${arch.platform}`);
    await core.group(`Run the script in ${arch.platform} (${image})`, () =>
      runInGuest({
        arch,
        image,
        emulator: emulatorFor(emulator, arch),
        workspace: ctx.runner.workspace,
        shell: inputs.runShell,
        script: inputs.run ?? '',
        env: new Map([
          ['CI', 'true'],
          ['ANYARCH_ARCH', arch.id],
          ['ANYARCH_PLATFORM', arch.platform],
          ['ANYARCH_QEMU_VERSION', qemu.version],
        ]),
      }),
    );
  }
}

/** The "metadata" output: one build's JSON as buildx wrote it, or several by platform. */
export function metadataOutput(built: readonly { platform: string; metadata: string }[]): string {
  if (built.length === 1) return built[0]?.metadata.trim() ?? '';
  if (built.every((b) => b.metadata.trim() === '')) return '';
  const byPlatform: Record<string, unknown> = {};
  for (const b of built) {
    try {
      byPlatform[b.platform] = b.metadata.trim() === '' ? {} : (JSON.parse(b.metadata) as unknown);
    } catch {
      byPlatform[b.platform] = {};
    }
  }
  return JSON.stringify(byPlatform);
}

/** The job summary's rows, one per arch. */
export function summaryRows(
  arches: readonly Arch[],
  qemu: SeriesEntry,
  emulator: Emulator | undefined,
  built: readonly ArchImage[],
): SummaryRow[] {
  return arches.map((arch) => {
    const img = built.find((i) => i.arch === arch.id);
    const emulated = emulatorFor(emulator, arch) !== undefined;
    return {
      arch: arch.id,
      platform: arch.platform,
      qemuVersion: qemu.version,
      cacheHit: emulated && emulator ? emulator.cacheHit : 'none',
      source: emulated ? emulator?.source : undefined,
      compileSeconds: emulated ? emulator?.compileSeconds : undefined,
      imageid: img?.imageid ?? '',
      digest: img?.digest ?? '',
    };
  });
}

export async function runPipeline(
  inputs: Inputs,
  runner: RunnerEnv,
  track: Tracker,
): Promise<PipelineResult> {
  const actionRoot = findActionRoot();
  const { qemu, docker } = await resolve(inputs, actionRoot);
  const ctx: RunContext = {
    inputs,
    runner,
    track,
    actionRoot,
    qemu,
    docker,
    workDir: await makeWorkDir(runner, track),
  };
  const emulator = await emulators(ctx);

  let built: BuiltArch[] = [];
  let digest = '';
  let imageid = '';
  let metadata = '';
  if (inputs.build && docker) {
    const made = await images(ctx, docker, emulator);
    built = made.arches;
    if (made.oneBuild) ({ digest, imageid, metadata } = made.oneBuild);
    else {
      if (inputs.arches.length === 1) digest = built[0]?.digest ?? '';
      else if (inputs.push && inputs.tags.length > 0) digest = await manifestList(inputs.tags, built);
      imageid = built.map((i) => i.imageid).join(',');
      metadata = metadataOutput(built);
    }
  }
  if (inputs.run !== undefined && docker) await guestScripts(ctx, emulator, built);

  return {
    qemu,
    emulator,
    platforms: inputs.arches.map((a) => a.platform),
    imageid,
    digest,
    images: built.map(({ metadata: _, ...image }) => image),
    metadata,
    rows: summaryRows(inputs.arches, qemu, emulator, built),
  };
}
