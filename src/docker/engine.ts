// Asking the Docker CLI and daemon what is there: buildx, the daemon's platform, image configs.
import * as core from '@actions/core';
import { mustRun, runCommand } from '../util/exec.js';
import { selectBuilder } from './builder.js';
import { serverPlatform } from './buildx.js';
import type { ImageConfigCommand } from '../dockerfile/keep-emulator.js';

export interface DockerInfo {
  /** The buildx builder to build with (--builder), or undefined: no buildx, the classic builder. */
  readonly builder: string | undefined;
  /** The daemon's native platform, e.g. linux/amd64. */
  readonly hostPlatform: string;
  /** Whether the daemon uses the containerd image store (what the docker driver can do depends on it). */
  readonly containerdStore: boolean;
  /** The daemon's version, e.g. 20.10.24 (its BuildKit comes with it). */
  readonly engineVersion: string;
}

/** Whether `docker info`'s DriverStatus (JSON) is the containerd image store's snapshotter. */
export function usesContainerdStore(driverStatus: string): boolean {
  return /io\.containerd\.snapshotter/.test(driverStatus);
}

/** Why the classic builder is no way out on the containerd image store. */
const CLASSIC_ON_CONTAINERD_STORE =
  "docker buildx is not available, and this daemon uses the containerd image store, where Docker's legacy builder " +
  '(DOCKER_BUILDKIT=0) cannot build images for another platform ("failed to export image: no match for platform"). ' +
  'Install the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx or docker-buildx-plugin).';

/** Why `docker version` could not reach the daemon, and what to do about it. */
export function dockerUnreachable(output: string, env: NodeJS.ProcessEnv = process.env): string {
  const where = env['DOCKER_HOST']
    ? `DOCKER_HOST=${env['DOCKER_HOST']}`
    : 'the default socket (or the current docker context)';
  const said = output.trim().split('\n').slice(-3).join(' ');
  if (/permission denied/i.test(output)) {
    return (
      `The Docker daemon at ${where} refuses this user (docker version: ${said}). ` +
      'Run as root or as a member of the "docker" group.'
    );
  }
  return (
    `The Docker daemon is not reachable at ${where} (docker version: ${said}). ` +
    'Start it (e.g. "sudo systemctl start docker", or "sudo dockerd &" where there is no systemd) or point DOCKER_HOST ' +
    'at a running one. With "build: false" only the emulator is set up, without Docker.'
  );
}

/** The daemon's platform and the builder; `requestedBuilder` is the "builder" input. */
export async function detectDocker(requestedBuilder: string | undefined): Promise<DockerInfo> {
  const v = await runCommand('docker', [
    'version',
    '--format',
    '{{.Server.Os}} {{.Server.Arch}} {{.Server.Version}}',
  ]).catch((err: Error) => {
    throw new Error(
      `The docker command is not installed (${err.message}); it is needed to build the image. With "build: false" only the emulator is set up.`,
    );
  });
  if (v.exitCode !== 0) throw new Error(dockerUnreachable(`${v.stdout}\n${v.stderr}`));
  const [os = 'linux', arch = 'amd64', engineVersion = ''] = v.stdout.trim().split(/\s+/);
  // ANYARCH_BUILDER=classic forces the classic builder (for testing the fallback).
  const forced = process.env['ANYARCH_BUILDER'] === 'classic';
  const bx = forced ? undefined : await runCommand('docker', ['buildx', 'version']);
  const hostPlatform = serverPlatform(os, arch);
  const info = await runCommand('docker', ['info', '--format', '{{json .DriverStatus}}']);
  const containerdStore = usesContainerdStore(info.stdout);
  if (bx?.exitCode !== 0) {
    if (requestedBuilder !== undefined) {
      throw new Error(`Input "builder" names a buildx builder, but docker buildx is not available here`);
    }
    if (containerdStore) throw new Error(CLASSIC_ON_CONTAINERD_STORE);
    return { builder: undefined, hostPlatform, containerdStore, engineVersion };
  }
  const choice = await selectBuilder(requestedBuilder);
  if (choice.notice !== undefined) core.notice(choice.notice);
  return { builder: choice.name, hostPlatform, containerdStore, engineVersion };
}

export interface ImageSummary extends ImageConfigCommand {
  readonly id: string;
  readonly os: string;
  readonly architecture: string;
}

export async function inspectImage(ref: string): Promise<ImageSummary> {
  const r = await mustRun('docker', ['image', 'inspect', '--format', '{{json .}}', ref]);
  const j = JSON.parse(r.stdout) as {
    Id: string;
    Os: string;
    Architecture: string;
    Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null };
  };
  return {
    id: j.Id,
    os: j.Os,
    architecture: j.Architecture,
    entrypoint: j.Config?.Entrypoint ?? null,
    cmd: j.Config?.Cmd ?? null,
  };
}

/** Remove images (also after a cancel: this is clean-up); returns the references that could not be removed. */
export async function removeImages(refs: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const ref of refs) {
    const r = await runCommand('docker', ['image', 'rm', '--force', ref], { signal: null });
    if (r.exitCode !== 0 && !/No such image/i.test(r.stderr)) failed.push(ref);
  }
  return failed;
}
