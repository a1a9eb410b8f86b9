// The guest architectures, from the action's own table (src/arch.ts), and the one fact about
// them the tests need that the action does not know: what `uname -m` prints in each guest.
import { ARCHES, archById, type Arch, type ArchId } from '../../src/arch.js';

/** The host's arch: the kernel runs its programs itself, so it is no guest. */
const HOST = 'x86_64' satisfies ArchId;

export type GuestArchId = Exclude<ArchId, typeof HOST>;

/** Every guest arch, in src/arch.ts's order. */
export const GUEST_ARCHES: readonly Arch[] = ARCHES.filter((a) => a.id !== HOST);

/** `uname -m` under each guest's emulator (QEMU's default CPU of each linux-user target). */
export const GUEST_UNAME: Readonly<Record<GuestArchId, string>> = {
  aarch64: 'aarch64',
  arm: 'armv7l',
  i386: 'i686',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64',
};

/** The arch of an id the tests name (throws on one src/arch.ts lacks). */
export function guestArch(id: GuestArchId): Arch {
  return archById(id);
}

/** `uname -m` in the guest of `id`. */
export function unameOf(id: ArchId): string {
  if (id === HOST) throw new Error(`${id} is the host, not a guest`);
  return GUEST_UNAME[id];
}

/** What `docker image inspect` and a registry's index record of a platform: os, architecture, variant if any. */
export function platformRecord(platform: string): { os: string; architecture: string; variant?: string } {
  const [os = '', architecture = '', variant] = platform.split('/');
  return variant ? { architecture, os, variant } : { architecture, os };
}
