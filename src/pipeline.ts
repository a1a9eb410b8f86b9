// The action's work in order — resolve, emulator (cache or compile), image build — shared by
// the Actions entry point and the CLI. Side effects outside the temp dir are reported through
// `track` so that the post step (or the CLI's cleanup) can undo them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { Arch } from './arch.js';
import { buildImage, isHostPlatform } from './docker/build.js';
import { detectDocker } from './docker/engine.js';
import { runInGuest } from './docker/guest-script.js';
import { archTag, publishManifestList } from './docker/multiarch.js';
import type { Inputs } from './inputs.js';
import { installEmulators, type Emulator } from './qemu/install.js';
import { findActionRoot, loadSeries, type SeriesEntry } from './qemu/series.js';
import { resolveQemuVersion } from './qemu/version.js';
import type { RunnerEnv } from './runner.js';
import { actionsCacheConfigured } from './cache/actions-cache.js';
import type { SummaryRow } from './summary.js';

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
  readonly rows: readonly SummaryRow[];
}

/** QEMU targets to compile: every arch, less the host's own when images are built. */
export function targetsToCompile(arches: readonly Arch[], build: boolean, hostPlatform: string | undefined): Arch[] {
  if (!build || hostPlatform === undefined) return [...arches];
  return arches.filter((a) => !isHostPlatform(a.platform, hostPlatform));
}

export async function runPipeline(inputs: Inputs, runner: RunnerEnv, track: Tracker): Promise<PipelineResult> {
  const actionRoot = findActionRoot();
  const { qemu, docker } = await core.group('Resolve', async () => {
    const qemu = resolveQemuVersion(inputs.qemuVersion, loadSeries(actionRoot));
    core.info(`QEMU ${qemu.version} (series ${qemu.series}) for ${inputs.arches.map((a) => a.id).join(', ')}`);
    const docker = inputs.build || inputs.run !== undefined ? await detectDocker(inputs.builder) : undefined;
    if (docker) {
      const builder = docker.builder !== undefined ? `buildx builder "${docker.builder}"` : 'buildx missing: the classic builder';
      core.info(`Docker host platform ${docker.hostPlatform}; ${builder}`);
      if (inputs.build && inputs.push && inputs.arches.length > 1 && docker.builder === undefined) {
        throw new Error('Input "push" with several arches makes a manifest list with docker buildx imagetools, and buildx is not available');
      }
    }
    return { qemu, docker };
  });

  const workDir = await fs.mkdtemp(path.join(runner.temp, 'anyarch-')).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`Cannot make a temporary directory in ${runner.temp} (RUNNER_TEMP, or the system's temp dir outside Actions): ${err.code ?? err.message}`);
  });
  track.path(workDir);
  const targets = targetsToCompile(inputs.arches, inputs.build, docker?.hostPlatform);
  let emulator: Emulator | undefined;
  if (targets.length > 0) {
    const useActionsCache = inputs.cache && actionsCacheConfigured();
    // The Actions cache versions entries by their paths, so it needs a fixed one; otherwise the
    // build goes into this run's own temp dir (several runs may share one RUNNER_TEMP).
    const actionsCacheDir = useActionsCache ? path.join(runner.temp, 'anyarch-qemu-cache') : path.join(workDir, 'out');
    track.path(actionsCacheDir);
    // Not a group of its own: a compile prints progress lines and its log in a group.
    core.info(`Emulator: qemu-${targets.map((a) => a.id).join(', qemu-')} ${qemu.version}`);
    emulator = await installEmulators({
      entry: qemu,
      targets: targets.map((a) => a.id),
      source: inputs.qemuSource,
      sha256Pin: inputs.qemuSha256,
      installDeps: inputs.installDeps,
      useActionsCache,
      actionRoot,
      workDir: path.join(workDir, 'qemu'),
      actionsCacheDir,
      runnerOs: runner.os,
      runnerArch: runner.arch,
    });
    core.info(`Emulator ready in ${emulator.dir} (cache hit: ${emulator.cacheHit})`);
  }

  const emulatorFor = (arch: Arch): string | undefined =>
    emulator?.targets.includes(arch.id) ? path.join(emulator.dir, `qemu-${arch.id}`) : undefined;
  const row = (arch: Arch, img: { imageid: string; digest: string }): SummaryRow => {
    const compiled = emulatorFor(arch) !== undefined;
    return {
      arch: arch.id,
      platform: arch.platform,
      qemuVersion: qemu.version,
      cacheHit: compiled && emulator ? emulator.cacheHit : 'none',
      source: compiled ? emulator?.source : undefined,
      compileSeconds: compiled ? emulator?.compileSeconds : undefined,
      imageid: img.imageid,
      digest: img.digest,
    };
  };

  const images: ArchImage[] = [];
  let digest = '';
  if (inputs.build && docker) {
    const several = inputs.arches.length > 1;
    for (const arch of inputs.arches) {
      // With several arches each image gets <tag>-<suffix>; the user's tags become manifest lists.
      const tags = several ? inputs.tags.map((t) => archTag(t, arch)) : inputs.tags;
      const result = await core.group(`Build the ${arch.platform} image`, () =>
        buildImage({
          ...inputs,
          arch,
          tags,
          hostPlatform: docker.hostPlatform,
          builder: docker.builder,
          emulatorDir: emulatorFor(arch) !== undefined ? emulator?.dir : undefined,
          workDir: path.join(workDir, 'image', arch.id),
          track: (ref) => track.image(ref),
        }),
      );
      images.push({ arch: arch.id, platform: arch.platform, imageid: result.imageid, digest: result.digest, tags });
    }
    if (!several) digest = images[0]?.digest ?? '';
    else if (inputs.push && inputs.tags.length > 0) {
      digest = await core.group('Push the multi-arch manifest list', async () => {
        const missing = images.filter((i) => i.digest === '');
        if (missing.length > 0) {
          throw new Error(`no pushed digest for ${missing.map((i) => i.platform).join(', ')}: cannot make a manifest list`);
        }
        let listDigest = '';
        for (const tag of inputs.tags) {
          listDigest = await publishManifestList(tag, images.map((i) => i.digest));
          core.info(`${tag}: manifest list ${listDigest} (${images.map((i) => i.platform).join(', ')})`);
        }
        return listDigest;
      });
    }
  }

  if (inputs.run !== undefined && docker) {
    for (const arch of inputs.arches) {
      const image = inputs.runImage ?? images.find((i) => i.arch === arch.id)?.imageid;
      if (image === undefined || image === '') throw new Error(`no image to run the "run" script in for ${arch.platform}`);
      await core.group(`Run the script in ${arch.platform} (${image})`, () =>
        runInGuest({
          arch,
          image,
          emulator: emulatorFor(arch),
          workspace: runner.workspace,
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

  const rows = inputs.arches.map((arch) => row(arch, images.find((i) => i.arch === arch.id) ?? { imageid: '', digest: '' }));
  const imageid = images.map((i) => i.imageid).join(',');
  return { qemu, emulator, platforms: inputs.arches.map((a) => a.platform), imageid, digest, images, rows };
}
