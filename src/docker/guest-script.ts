// The `run` input: a script run inside a guest image under the emulator, with the workspace
// mounted at its own path, output streamed, and the script's exit status kept. The command line
// is pure; runInGuest does the I/O.
import type { Arch } from '../arch.js';
import { runCommand } from '../util/exec.js';

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

/** Arguments of `docker` for running the script. */
export function guestRunArgv(spec: GuestRunSpec): string[] {
  const args = ['run', '--rm', '--platform', spec.arch.platform, '--network', 'host'];
  args.push('--volume', `${spec.workspace}:${spec.workspace}`, '--workdir', spec.workspace);
  for (const [k, v] of spec.env) args.push('--env', `${k}=${v}`);
  if (spec.emulator === undefined) {
    args.push('--entrypoint', spec.shell, spec.image, '-e', '-c', spec.script);
    return args;
  }
  // The emulator runs the shell, and through -execve every program the script starts.
  const emu = guestEmulatorPath(spec.arch);
  args.push('--volume', `${spec.emulator}:${emu}:ro`, '--entrypoint', emu, spec.image);
  args.push('-execve', emu, spec.shell, '-e', '-c', spec.script);
  return args;
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

/**
 * Run the script; output goes straight to the log, where none of it counts as a workflow command.
 * Throws GuestScriptError on a non-zero exit.
 */
export async function runInGuest(spec: GuestRunSpec): Promise<void> {
  const r = await runCommand('docker', guestRunArgv(spec), { echo: true, untrustedOutput: true });
  if (r.exitCode !== 0) throw new GuestScriptError(spec.arch, r.exitCode);
}
