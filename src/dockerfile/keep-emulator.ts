// keep-emulator: a Dockerfile that adds the emulator to a built image and runs the image's
// entrypoint through it, so the image runs on a host without binfmt_misc. Pure.
import { execJson } from './rewrite.js';

export interface ImageConfigCommand {
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
}

/** Where the emulator lives in a keep-emulator image. */
export function keptEmulatorPath(target: string): string {
  return `/.anyarch/qemu-${target}`;
}

/** The entrypoint that runs `original` (possibly empty) through the emulator at `emu`. */
export function wrappedEntrypoint(emu: string, original: readonly string[] | null): string[] {
  return [emu, '-execve', emu, ...(original ?? [])];
}

/**
 * FROM the built image, copy the emulator in from the emulator image and wrap the entrypoint.
 * ENTRYPOINT resets an inherited CMD, so the original CMD is declared again.
 */
export function keepEmulatorDockerfile(
  baseImage: string,
  emulatorImage: string,
  target: string,
  config: ImageConfigCommand,
): string {
  const emu = keptEmulatorPath(target);
  const lines = [
    `FROM ${baseImage}`,
    `COPY --from=${emulatorImage} /qemu-${target} ${emu}`,
    `ENTRYPOINT ${execJson(wrappedEntrypoint(emu, config.entrypoint))}`,
  ];
  if (config.cmd !== null && config.cmd.length > 0) lines.push(`CMD ${execJson(config.cmd)}`);
  return `${lines.join('\n')}\n`;
}
