// The `run` input: a script run inside a guest image under the emulator, with the workspace
// mounted at its own path, output streamed, and the script's exit status kept. The command lines
// are pure; runInGuest does the I/O.
//
// In a container of the daemon it talks to (a workflow's `container:` job), the workspace and the
// emulator are mounted from the daemon's own paths for them, which the container's mounts give
// (job-container.ts): in a GitHub container job both are bind mounts of the runner's directories,
// so nothing is copied. What has no such path (a workspace or tool cache in the container's own
// file system) is copied into the script's container with `docker cp`, which goes through the
// API, and the workspace copied back out after the script: slower, and deletions do not come
// back, but the script runs as it would elsewhere, where refusing would leave no way to run it.
// Outside a container, or when the daemon does not know this one, every path is mounted as it is.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import type { Arch } from '../arch.js';
import { runCommand } from '../util/exec.js';
import {
  containerIdCandidates,
  describeMounts,
  mountedInPlace,
  needsCopy,
  ownContainerFrom,
  planGuestMounts,
  type GuestMounts,
  type OwnContainer,
} from './job-container.js';

/** Where the emulator is mounted in the container (the keep-emulator path, so both agree). */
function guestEmulatorPath(arch: Arch): string {
  return `/.anyarch/qemu-${arch.id}`;
}

export interface GuestRunSpec {
  readonly arch: Arch;
  readonly image: string;
  /** Host path of qemu-<arch>; undefined when the guest is the Docker host's own platform. */
  readonly emulator: string | undefined;
  /** Host workspace, mounted read-write at the same path and used as the working directory. */
  readonly workspace: string;
  readonly shell: string;
  readonly script: string;
  /** Variables passed into the container. */
  readonly env: ReadonlyMap<string, string>;
}

/** Options, image and command of the script's container, whose mounts are `mounts`. */
function containerArgs(spec: GuestRunSpec, mounts: GuestMounts): string[] {
  const args = ['--platform', spec.arch.platform, '--network', 'host'];
  if (mounts.workspace !== undefined) {
    const ro = mounts.workspace.readOnly ? ':ro' : '';
    args.push('--volume', `${mounts.workspace.path}:${spec.workspace}${ro}`);
  }
  args.push('--workdir', spec.workspace);
  for (const [k, v] of spec.env) args.push('--env', `${k}=${v}`);
  if (spec.emulator === undefined) {
    args.push('--entrypoint', spec.shell, spec.image, '-e', '-c', spec.script);
    return args;
  }
  // The emulator runs the shell, and through -execve every program the script starts.
  const emu = guestEmulatorPath(spec.arch);
  if (mounts.emulator !== undefined) args.push('--volume', `${mounts.emulator}:${emu}:ro`);
  args.push('--entrypoint', emu, spec.image);
  args.push('-execve', emu, spec.shell, '-e', '-c', spec.script);
  return args;
}

/** Arguments of `docker` for running the script, everything mounted (by default at its own path). */
export function guestRunArgv(
  spec: GuestRunSpec,
  mounts: GuestMounts = mountedInPlace(spec.workspace, spec.emulator),
): string[] {
  return ['run', '--rm', ...containerArgs(spec, mounts)];
}

/** Arguments of `docker` for creating the script's container `name`, to copy into before it starts. */
export function guestCreateArgv(spec: GuestRunSpec, mounts: GuestMounts, name: string): string[] {
  return ['create', '--name', name, ...containerArgs(spec, mounts)];
}

export class GuestScriptError extends Error {
  constructor(
    readonly arch: Arch,
    readonly exitCode: number,
  ) {
    super(`The "run" script failed in the ${arch.platform} guest with exit status ${exitCode}`);
    this.name = 'GuestScriptError';
  }
}

/** The container this process runs in, when the daemon it talks to runs it (once per process). */
let ownContainerLookup: Promise<OwnContainer | undefined> | undefined;
function ownContainer(): Promise<OwnContainer | undefined> {
  ownContainerLookup ??= (async () => {
    const read = (f: string) => fs.readFile(f, 'utf8').catch(() => '');
    const hostname = os.hostname();
    const ids = containerIdCandidates(
      await read('/proc/self/mountinfo'),
      await read('/proc/self/cgroup'),
      hostname,
    );
    for (const id of ids) {
      const r = await runCommand('docker', ['container', 'inspect', id]);
      const own = r.exitCode === 0 ? ownContainerFrom(r.stdout, id, hostname) : undefined;
      if (own !== undefined) return own;
    }
    return undefined;
  })();
  return ownContainerLookup;
}

/** Why a copy between this container and the script's failed, and the ways out. */
function copyError(what: string, r: { stdout: string; stderr: string }): Error {
  const said = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-3).join(' ');
  return new Error(
    `Input "run": cannot copy ${what} (docker cp: ${said}). The action runs in a container whose file system the ` +
      'Docker daemon cannot mount; mount the workspace and the tool cache from the host instead (a GitHub ' +
      "container job mounts the runner's work directory and tool cache; elsewhere add bind mounts or volumes)",
  );
}

/** docker cp; `archive` keeps the files' owners (into the script's container, as a bind mount would). */
async function dockerCp(from: string, to: string, what: string, archive = false): Promise<void> {
  const r = await runCommand('docker', ['cp', ...(archive ? ['--archive'] : []), from, to]);
  if (r.exitCode !== 0) throw copyError(what, r);
}

/**
 * The script in a container created from `mounts`, what has no mount copied in first, the
 * workspace copied back out after (also after a failed script); the script's exit status.
 */
async function runWithCopies(spec: GuestRunSpec, mounts: GuestMounts): Promise<number> {
  const name = `anyarch-run-${spec.arch.id}-${randomBytes(6).toString('hex')}`;
  const created = await runCommand('docker', guestCreateArgv(spec, mounts, name));
  if (created.exitCode !== 0) {
    throw new Error(`Input "run": cannot create the script's container: ${`${created.stderr}`.trim()}`);
  }
  let stage: string | undefined;
  try {
    if (spec.emulator !== undefined && mounts.emulator === undefined) {
      // docker cp makes no missing parent directory: copy a directory that holds the path.
      const base = process.env['RUNNER_TEMP'] || os.tmpdir();
      stage = await fs.mkdtemp(path.join(base, 'anyarch-guest-'));
      const staged = path.join(stage, guestEmulatorPath(spec.arch));
      await fs.mkdir(path.dirname(staged), { recursive: true });
      await fs.copyFile(spec.emulator, staged);
      await fs.chmod(staged, 0o755);
      await dockerCp(`${stage}/.`, `${name}:/`, `the emulator ${spec.emulator} into the script's container`);
    }
    if (mounts.workspace === undefined) {
      await dockerCp(
        `${spec.workspace}/.`,
        `${name}:${spec.workspace}`,
        `the workspace ${spec.workspace} into the script's container`,
        true,
      );
    }
    const r = await runCommand('docker', ['start', '--attach', name], { echo: true, untrustedOutput: true });
    if (mounts.workspace === undefined) {
      await dockerCp(
        `${name}:${spec.workspace}/.`,
        spec.workspace,
        `the workspace back out of the script's container into ${spec.workspace}`,
      );
    }
    return r.exitCode;
  } finally {
    if (stage !== undefined) await fs.rm(stage, { recursive: true, force: true });
    await runCommand('docker', ['rm', '--force', name], { signal: null });
  }
}

/**
 * Run the script; output goes straight to the log, where none of it counts as a workflow command.
 * Throws GuestScriptError on a non-zero exit.
 */
export async function runInGuest(spec: GuestRunSpec): Promise<void> {
  const own = await ownContainer();
  const mounts = planGuestMounts(own, spec.workspace, spec.emulator);
  if (own !== undefined)
    for (const line of describeMounts(own, mounts, spec.workspace, spec.emulator)) core.info(line);
  const exitCode = needsCopy(mounts, spec.emulator)
    ? await runWithCopies(spec, mounts)
    : (await runCommand('docker', guestRunArgv(spec, mounts), { echo: true, untrustedOutput: true }))
        .exitCode;
  if (exitCode !== 0) throw new GuestScriptError(spec.arch, exitCode);
}
