// The action's work in order — resolve, emulator (cache or compile), image build — shared by
// the Actions entry point and the CLI. Side effects outside the temp dir are reported through
// `track` so that the post step (or the CLI's cleanup) can undo them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { Arch } from './arch.js';
import { buildImage, isHostPlatform } from './docker/build.js';
import { detectDocker } from './docker/engine.js';
import type { Inputs } from './inputs.js';
import { installEmulators, type Emulator } from './qemu/install.js';
import { findActionRoot, loadSeries, type SeriesEntry } from './qemu/series.js';
import { resolveQemuVersion } from './qemu/version.js';
import type { RunnerEnv } from './runner.js';
import { actionsCacheConfigured } from './cache/actions-cache.js';
import type { SummaryRow } from './summary.js';
import { mustRun } from './util/exec.js';

export interface Tracker {
  /** An image the action created. */
  image(ref: string): void;
  /** A file or directory the action created. */
  path(p: string): void;
}

export interface PipelineResult {
  readonly qemu: SeriesEntry;
  readonly emulator: Emulator | undefined;
  readonly platforms: readonly string[];
  readonly imageid: string;
  readonly digest: string;
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
    if (inputs.build && inputs.arches.length > 1) {
      throw new Error(
        'Input "arch" names several architectures while "build" is true: one image build emulates one guest. ' +
          'Run the action once per architecture, or set "build: false" to only prepare the emulators.',
      );
    }
    const docker = inputs.build ? await detectDocker() : undefined;
    if (docker) {
      core.info(`Docker host platform ${docker.hostPlatform}; buildx ${docker.buildx ? 'available' : 'missing'}`);
    }
    return { qemu, docker };
  });

  const workDir = await fs.mkdtemp(path.join(runner.temp, 'anyarch-'));
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

  if (inputs.run !== undefined) {
    await core.group('Run script', async () => {
      const env: Record<string, string> = { ANYARCH_QEMU_VERSION: qemu.version };
      if (emulator) {
        env['ANYARCH_QEMU_PATH'] = emulator.dir;
        env['PATH'] = `${emulator.dir}${path.delimiter}${process.env['PATH'] ?? ''}`;
      }
      await mustRun('bash', ['-e', '-o', 'pipefail', '-c', inputs.run ?? ''], { echo: true, cwd: runner.workspace, env });
    });
  }

  let imageid = '';
  let digest = '';
  const rows: SummaryRow[] = [];
  const row = (arch: Arch, img: { imageid: string; digest: string }): SummaryRow => {
    const compiled = emulator?.targets.includes(arch.id);
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

  if (inputs.build && docker) {
    const arch = inputs.arches[0] as Arch;
    const result = await core.group(`Build the ${arch.platform} image`, () =>
      buildImage({
        arch,
        hostPlatform: docker.hostPlatform,
        buildx: docker.buildx,
        emulatorDir: emulator?.targets.includes(arch.id) ? emulator.dir : undefined,
        context: inputs.context,
        file: inputs.file,
        tags: inputs.tags,
        buildArgs: inputs.buildArgs,
        labels: inputs.labels,
        target: inputs.target,
        push: inputs.push,
        load: inputs.load,
        keepEmulator: inputs.keepEmulator,
        workDir: path.join(workDir, 'image'),
        track: (ref) => track.image(ref),
      }),
    );
    imageid = result.imageid;
    digest = result.digest;
    rows.push(row(arch, result));
  } else {
    for (const arch of inputs.arches) rows.push(row(arch, { imageid: '', digest: '' }));
  }

  return { qemu, emulator, platforms: inputs.arches.map((a) => a.platform), imageid, digest, rows };
}
