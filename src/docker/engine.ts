// Asking the Docker CLI and daemon what is there: buildx, the daemon's platform, image configs.
import { mustRun, runCommand } from '../util/exec.js';
import { serverPlatform } from './buildx.js';
import type { ImageConfigCommand } from './keep.js';

export interface DockerInfo {
  /** `docker buildx` works. */
  readonly buildx: boolean;
  /** The daemon's native platform, e.g. linux/amd64. */
  readonly hostPlatform: string;
}

export async function detectDocker(): Promise<DockerInfo> {
  const v = await runCommand('docker', ['version', '--format', '{{.Server.Os}} {{.Server.Arch}}']);
  if (v.exitCode !== 0) {
    throw new Error(`the Docker daemon does not answer (docker version): ${(v.stderr || v.stdout).trim()}`);
  }
  const [os = 'linux', arch = 'amd64'] = v.stdout.trim().split(/\s+/);
  // ANYARCH_BUILDER=classic forces the classic builder (for testing the fallback).
  const forced = process.env['ANYARCH_BUILDER'] === 'classic';
  const bx = forced ? undefined : await runCommand('docker', ['buildx', 'version']);
  return { buildx: bx?.exitCode === 0, hostPlatform: serverPlatform(os, arch) };
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

/** Remove images; returns the references that could not be removed. */
export async function removeImages(refs: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const ref of refs) {
    const r = await runCommand('docker', ['image', 'rm', '--force', ref]);
    if (r.exitCode !== 0 && !/No such image/i.test(r.stderr)) failed.push(ref);
  }
  return failed;
}
