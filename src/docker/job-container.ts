// The action inside a container that talks to the daemon running that very container through a
// mounted socket: a workflow's `container:` job (the runner mounts the host's
// /var/run/docker.sock, its work directory at /__w and its tool cache at /__t), or a self-hosted
// runner in Docker. Paths seen in here are not the daemon's: the `run` script's container cannot
// mount the workspace or the emulator by the path this process sees.
//
// What a path in here is to the daemon follows from this container's own mounts, as
// `docker container inspect` lists them: under a bind mount or a volume it is the mount's source
// plus the rest of the path (GitHub's /__w/repo/repo is <runner work dir>/repo/repo on the host);
// under nothing (the container's own filesystem) or a tmpfs the daemon has no path for it at all.
// Pure: the text of /proc/self/mountinfo, /proc/self/cgroup and of the inspect output in,
// decisions out (guest-script.ts does the reading and the copying).
import path from 'node:path';

/** One of a container's mounts, as the daemon reports it. */
export interface ContainerMount {
  /** bind, volume, tmpfs, npipe, ... */
  readonly type: string;
  /** The daemon's path of what is mounted ("" for a tmpfs). */
  readonly source: string;
  /** Where it is mounted in the container. */
  readonly destination: string;
  readonly rw: boolean;
}

/** The container this process runs in, as the daemon it talks to knows it. */
export interface OwnContainer {
  readonly id: string;
  /** Its name without the leading slash. */
  readonly name: string;
  readonly mounts: readonly ContainerMount[];
}

const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * The ids this process's own container may have, most reliable first: the container directory
 * the runtime bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf from
 * (…/containers/<id>/hostname; …/overlay-containers/<id>/userdata/hostname), then the cgroup
 * path (/docker/<id>, docker-<id>.scope: cgroup v1, or v2 without a cgroup namespace of its
 * own), then the host name, which Docker sets to the id's first 12 digits unless told otherwise.
 * Empty outside a container.
 */
export function containerIdCandidates(mountinfo: string, cgroup: string, hostname: string): string[] {
  const ids: string[] = [];
  const add = (id: string | undefined) => {
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  };
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options ... - fstype source superoptions
    const f = line.split(' ');
    if (f.length < 5 || !['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'].includes(f[4]!)) continue;
    add(/\/([0-9a-f]{64})\/(?:userdata\/)?(?:hostname|hosts|resolv\.conf)$/.exec(f[3]!)?.[1]);
  }
  for (const line of cgroup.split('\n')) {
    const p = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    add(/(?:^|\/)(?:docker[-/])([0-9a-f]{64})(?:\.scope)?(?:\/|$)/.exec(p)?.[1]);
  }
  if (/^[0-9a-f]{12}$/.test(hostname) && !ids.some((id) => id.startsWith(hostname))) add(hostname);
  return ids;
}

interface InspectMount {
  Type?: unknown;
  Source?: unknown;
  Destination?: unknown;
  RW?: unknown;
}
interface InspectContainer {
  Id?: unknown;
  Name?: unknown;
  Config?: { Hostname?: unknown };
  Mounts?: InspectMount[];
  /** --tmpfs mounts, which Mounts leaves out: destination → options. */
  HostConfig?: { Tmpfs?: Record<string, unknown> | null };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The container `docker container inspect <candidate>` printed, when it is this process's own:
 * its id is the candidate (a full id) or starts with it (a host name, which must then also be
 * the container's configured host name). Undefined for anything else, unparsable output included.
 */
export function ownContainerFrom(
  inspectJson: string,
  candidate: string,
  hostname: string,
): OwnContainer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(inspectJson);
  } catch {
    return undefined;
  }
  const c = (Array.isArray(parsed) ? parsed[0] : parsed) as InspectContainer | undefined;
  if (c === null || typeof c !== 'object') return undefined;
  const id = str(c.Id);
  if (!FULL_ID.test(id)) return undefined;
  if (
    FULL_ID.test(candidate)
      ? id !== candidate
      : !id.startsWith(candidate) || str(c.Config?.Hostname) !== hostname
  )
    return undefined;
  const mounts = (Array.isArray(c.Mounts) ? c.Mounts : []).map((m) => ({
    type: str(m.Type),
    source: str(m.Source),
    destination: str(m.Destination),
    rw: m.RW !== false,
  }));
  for (const dest of Object.keys(c.HostConfig?.Tmpfs ?? {}))
    mounts.push({ type: 'tmpfs', source: '', destination: dest, rw: true });
  return { id, name: str(c.Name).replace(/^\//, ''), mounts };
}

/** `p` relative to `dir` when `p` is `dir` or below it ("" for `dir` itself); else undefined. */
function below(p: string, dir: string): string | undefined {
  const rel = path.posix.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.posix.isAbsolute(rel)) ? rel : undefined;
}

/** Where the daemon finds a path of this container: the path, and whether it is mounted read-only. */
export interface DaemonPath {
  readonly path: string;
  readonly readOnly: boolean;
}

/**
 * The daemon's path of `p` (absolute, in this container): through the deepest mount that holds
 * it, when that is a bind mount or a volume (whose source is the daemon's path of its data).
 * Undefined when the daemon has no path for it: the container's own filesystem, or a tmpfs.
 */
export function daemonPathOf(p: string, mounts: readonly ContainerMount[]): DaemonPath | undefined {
  const target = path.posix.normalize(p);
  let best: { mount: ContainerMount; rest: string } | undefined;
  for (const m of mounts) {
    if (m.destination === '') continue;
    const rest = below(target, path.posix.normalize(m.destination));
    if (rest === undefined) continue;
    if (best === undefined || m.destination.length > best.mount.destination.length) best = { mount: m, rest };
  }
  if (best === undefined) return undefined;
  const { mount, rest } = best;
  if ((mount.type !== 'bind' && mount.type !== 'volume') || !path.posix.isAbsolute(mount.source))
    return undefined;
  return { path: path.posix.join(mount.source, rest), readOnly: !mount.rw };
}

/** How the `run` script's container gets the workspace and the emulator. */
export interface GuestMounts {
  /** The daemon's path to mount the workspace from; undefined: it is copied in, and back out after. */
  readonly workspace: DaemonPath | undefined;
  /** The daemon's path to mount the emulator from; undefined: it is copied in (or none is needed). */
  readonly emulator: string | undefined;
}

/** Every path mounted by the path this process sees: a runner that is not in a container. */
export function mountedInPlace(workspace: string, emulator: string | undefined): GuestMounts {
  return { workspace: { path: workspace, readOnly: false }, emulator };
}

/**
 * The mounts of the guest container: by the daemon's paths when this process runs in a
 * container of the daemon (`own`), else by its own paths, as on a runner (or with a daemon that
 * shares this process's file system, such as one in the same container).
 */
export function planGuestMounts(
  own: OwnContainer | undefined,
  workspace: string,
  emulator: string | undefined,
): GuestMounts {
  if (own === undefined) return mountedInPlace(workspace, emulator);
  return {
    workspace: daemonPathOf(workspace, own.mounts),
    emulator: emulator === undefined ? undefined : daemonPathOf(emulator, own.mounts)?.path,
  };
}

/** Whether anything must be copied into the guest container (it is then created, filled, started). */
export function needsCopy(mounts: GuestMounts, emulator: string | undefined): boolean {
  return mounts.workspace === undefined || (emulator !== undefined && mounts.emulator === undefined);
}

/** The log's account of how the guest gets the workspace and the emulator, in a container. */
export function describeMounts(
  own: OwnContainer,
  mounts: GuestMounts,
  workspace: string,
  emulator: string | undefined,
): string[] {
  const where = `The action runs in container ${own.name || own.id.slice(0, 12)} (${own.id.slice(0, 12)}) of the Docker daemon it uses`;
  const lines: string[] = [];
  if (mounts.workspace !== undefined) {
    lines.push(
      `${where}: the workspace ${workspace} is mounted into the "run" script's container from the daemon's path ${mounts.workspace.path}${mounts.workspace.readOnly ? ' (read-only, as in this container)' : ''}`,
    );
  } else {
    lines.push(
      `${where}, and the workspace ${workspace} is in its own file system (no bind mount or volume), which the daemon cannot mount: ` +
        'it is copied into the "run" script\'s container, and back out once the script has ended (files the script deletes are not deleted here)',
    );
  }
  if (emulator !== undefined) {
    lines.push(
      mounts.emulator !== undefined
        ? `The emulator ${emulator} is mounted from the daemon's path ${mounts.emulator}`
        : `The emulator ${emulator} has no path the daemon can mount: it is copied into the "run" script's container`,
    );
  }
  return lines;
}
