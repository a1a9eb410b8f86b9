// The supported guest architectures. Every other module derives its names from this one table,
// so adding an architecture means adding one row here (plus a QEMU target that builds it).

export type ArchId = 'aarch64' | 'arm' | 'i386' | 'x86_64' | 'ppc64le' | 's390x' | 'riscv64' | 'mips64el';

export interface Arch {
  /** Canonical id; also QEMU's linux-user target name (qemu-<id>, <id>-linux-user). */
  readonly id: ArchId;
  /** Docker/OCI platform string as buildx prints it. */
  readonly platform: string;
  /** ELF header e_machine. */
  readonly elfMachine: number;
  /** ELF header EI_CLASS in bits. */
  readonly elfClass: 32 | 64;
  readonly endian: 'little' | 'big';
  /** Debian dpkg architecture name. */
  readonly debianArch: string;
  /** Extra spellings users type; matched case-insensitively. */
  readonly aliases: readonly string[];
}

export const ARCHES: readonly Arch[] = [
  {
    id: 'aarch64',
    platform: 'linux/arm64',
    elfMachine: 183,
    elfClass: 64,
    endian: 'little',
    debianArch: 'arm64',
    aliases: ['arm64', 'arm64/v8', 'linux/arm64/v8', 'armv8', 'armv8l'],
  },
  {
    id: 'arm',
    platform: 'linux/arm/v7',
    elfMachine: 40,
    elfClass: 32,
    endian: 'little',
    debianArch: 'armhf',
    aliases: ['armv7', 'armv7l', 'armv7hf', 'arm/v7', 'linux/arm', 'arm32'],
  },
  {
    id: 'i386',
    platform: 'linux/386',
    elfMachine: 3,
    elfClass: 32,
    endian: 'little',
    debianArch: 'i386',
    aliases: ['386', 'i486', 'i586', 'i686', 'x86'],
  },
  {
    id: 'x86_64',
    platform: 'linux/amd64',
    elfMachine: 62,
    elfClass: 64,
    endian: 'little',
    debianArch: 'amd64',
    aliases: ['x86-64', 'x64'],
  },
  {
    id: 'ppc64le',
    platform: 'linux/ppc64le',
    elfMachine: 21,
    elfClass: 64,
    endian: 'little',
    debianArch: 'ppc64el',
    aliases: ['powerpc64le'],
  },
  {
    id: 's390x',
    platform: 'linux/s390x',
    elfMachine: 22,
    elfClass: 64,
    endian: 'big',
    debianArch: 's390x',
    aliases: [],
  },
  {
    id: 'riscv64',
    platform: 'linux/riscv64',
    elfMachine: 243,
    elfClass: 64,
    endian: 'little',
    debianArch: 'riscv64',
    aliases: ['riscv', 'rv64'],
  },
  {
    id: 'mips64el',
    platform: 'linux/mips64le',
    elfMachine: 8,
    elfClass: 64,
    endian: 'little',
    debianArch: 'mips64el',
    aliases: ['mips64le'],
  },
];

/** Every accepted spelling of an arch, lower-case. Built once; spellings must not collide. */
function buildLookup(): Map<string, Arch> {
  const map = new Map<string, Arch>();
  for (const arch of ARCHES) {
    const platformArch = arch.platform.slice('linux/'.length);
    const names = [arch.id, arch.platform, platformArch, arch.debianArch, ...arch.aliases];
    for (const name of names) {
      const key = name.toLowerCase();
      const prev = map.get(key);
      if (prev && prev !== arch) throw new Error(`arch table: "${key}" names both ${prev.id} and ${arch.id}`);
      map.set(key, arch);
    }
  }
  return map;
}

const LOOKUP = buildLookup();

function allowedArchNames(): string {
  return ARCHES.map((a) => a.id).join(', ');
}

function invalidArch(value: string): Error {
  return new Error(
    `Invalid value for input "arch": "${value}". Allowed: ${allowedArchNames()} ` +
      `(or an alias such as arm64, armhf, armv7, amd64, 386, ppc64el, riscv, mips64le, linux/arm64)`,
  );
}

/** Resolve one user-typed arch name (id, alias, Debian name or Docker platform). */
export function resolveArch(input: string): Arch {
  const arch = LOOKUP.get(input.trim().toLowerCase());
  if (!arch) throw invalidArch(input.trim());
  return arch;
}

/** Resolve a comma- and/or newline-separated list, keeping first-seen order and dropping duplicates. */
export function resolveArchList(input: string): Arch[] {
  const out: Arch[] = [];
  for (const item of input.split(/[,\n]/)) {
    if (item.trim() === '') continue;
    const arch = resolveArch(item);
    if (!out.includes(arch)) out.push(arch);
  }
  if (out.length === 0) throw new Error(`Input "arch" is required. Allowed: ${allowedArchNames()}`);
  return out;
}

export function archById(id: ArchId): Arch {
  const arch = ARCHES.find((a) => a.id === id);
  if (!arch) throw new Error(`unknown arch id ${id}`);
  return arch;
}

/**
 * The arch a Docker platform string ("linux/arm64/v8", "linux/arm", "LINUX/AMD64") runs on,
 * or undefined when it is not a Linux platform we support (e.g. linux/arm/v6, windows/amd64).
 * Variants BuildKit treats as the default of their arch are accepted.
 */
export function archFromPlatform(platform: string): Arch | undefined {
  const parts = platform.trim().toLowerCase().split('/');
  const [os, cpu, variant, ...rest] = parts;
  if (os !== 'linux' || !cpu || rest.length > 0) return undefined;
  const defaults: Record<string, readonly string[]> = {
    arm64: ['v8'],
    arm: ['v7'],
    amd64: ['v1', 'v2', 'v3', 'v4'],
  };
  if (variant !== undefined && !(defaults[cpu] ?? []).includes(variant)) return undefined;
  return ARCHES.find((a) => a.platform.split('/')[1] === cpu);
}

/** Split a platform into the parts BuildKit exposes as TARGETOS/TARGETARCH/TARGETVARIANT. */
export function platformParts(platform: string): { os: string; arch: string; variant: string } {
  const [os = '', arch = '', variant = ''] = platform.split('/');
  return { os, arch, variant };
}
