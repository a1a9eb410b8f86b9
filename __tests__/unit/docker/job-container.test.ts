// The action in a container of the daemon it talks to (a `container:` job): which container it
// is, and the daemon's paths of the workspace and the emulator, from text captured in real
// containers (fixtures/job-container: a GitHub-like job container with the runner's directories
// bind-mounted at /__w, /__e and /__t, a volume and a tmpfs; a plain one with only the socket;
// the host itself).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import { guestCreateArgv, guestRunArgv, type GuestRunSpec } from '../../../src/docker/guest-script.js';
import {
  containerIdCandidates,
  daemonPathOf,
  describeMounts,
  mountedInPlace,
  needsCopy,
  ownContainerFrom,
  planGuestMounts,
  type OwnContainer,
} from '../../../src/docker/job-container.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'job-container');
const fixture = (name: string) => readFileSync(path.join(dir, name), 'utf8');

const GH_ID = 'b9ee3852b79bbf681c7d7e86646f8b25b777ab1d252fdcc5e9e51199016bea17';
const GH_HOST = fixture('github-like.hostname').trim();
const PLAIN_ID = (JSON.parse(fixture('plain.inspect.json')) as { Id: string }[])[0]!.Id;
const TOOL = '/__t/anyarch-qemu-aarch64/10.2.2-h0123456789abcdef/x64/qemu-aarch64';

function own(name: string, id: string, hostname: string): OwnContainer {
  const c = ownContainerFrom(fixture(name), id, hostname);
  if (c === undefined) throw new Error(`${name}: not container ${id}`);
  return c;
}

describe('containerIdCandidates', () => {
  it("finds the id in the runtime's /etc/hostname mount and the cgroup, once", () => {
    expect(
      containerIdCandidates(fixture('github-like.mountinfo'), fixture('github-like.cgroup'), GH_HOST),
    ).toEqual([GH_ID]);
  });

  it('needs no cgroup path (cgroup v2 with a namespace of its own) nor an id-like host name', () => {
    expect(containerIdCandidates(fixture('plain.mountinfo'), '0::/\n', 'job-host')).toEqual([PLAIN_ID]);
  });

  it("takes the systemd driver's docker-<id>.scope, and a 12-digit host name last", () => {
    const scope = `0::/system.slice/docker-${GH_ID}.scope\n`;
    expect(containerIdCandidates('', scope, 'job-host')).toEqual([GH_ID]);
    expect(containerIdCandidates('', '0::/\n', GH_HOST)).toEqual([GH_HOST]);
  });

  it('finds nothing on the host itself', () => {
    expect(containerIdCandidates(fixture('host.mountinfo'), fixture('host.cgroup'), 'runner-vm')).toEqual([]);
  });
});

describe('ownContainerFrom', () => {
  it("reads the daemon's view of the container's mounts, --tmpfs ones included", () => {
    const c = own('github-like.inspect.json', GH_ID, GH_HOST);
    expect(c.id).toBe(GH_ID);
    expect(c.name).toBe('fixture_job_container_d1e2f3');
    expect(c.mounts).toContainEqual({
      type: 'bind',
      source: '/home/runner/work',
      destination: '/__w',
      rw: true,
    });
    expect(c.mounts).toContainEqual({
      type: 'bind',
      source: '/home/runner/runners/2.330.0/externals',
      destination: '/__e',
      rw: false,
    });
    expect(c.mounts).toContainEqual({
      type: 'volume',
      source: '/var/lib/docker/volumes/anyarch-fixture-cache/_data',
      destination: '/cache',
      rw: true,
    });
    expect(c.mounts).toContainEqual({ type: 'tmpfs', source: '', destination: '/scratch', rw: true });
  });

  it('accepts a host name candidate only for the container with that host name', () => {
    expect(ownContainerFrom(fixture('github-like.inspect.json'), GH_HOST, GH_HOST)?.id).toBe(GH_ID);
    expect(ownContainerFrom(fixture('github-like.inspect.json'), GH_HOST, 'other')).toBeUndefined();
  });

  it('is not fooled by another container or output that is no inspect JSON', () => {
    expect(ownContainerFrom(fixture('plain.inspect.json'), GH_ID, GH_HOST)).toBeUndefined();
    expect(ownContainerFrom('::add-mask::from-container\n', GH_ID, GH_HOST)).toBeUndefined();
    expect(ownContainerFrom('[]', GH_ID, GH_HOST)).toBeUndefined();
    expect(ownContainerFrom('[null]', GH_ID, GH_HOST)).toBeUndefined();
  });
});

describe('daemonPathOf', () => {
  const { mounts } = own('github-like.inspect.json', GH_ID, GH_HOST);

  it("maps a path under a bind mount to the mount's source", () => {
    expect(daemonPathOf('/__w/app/app', mounts)).toEqual({
      path: '/home/runner/work/app/app',
      readOnly: false,
    });
    expect(daemonPathOf('/__w', mounts)).toEqual({ path: '/home/runner/work', readOnly: false });
    expect(daemonPathOf('/__w/app/app/', mounts)?.path).toBe('/home/runner/work/app/app');
    expect(daemonPathOf(TOOL, mounts)?.path).toBe(
      '/opt/hostedtoolcache/anyarch-qemu-aarch64/10.2.2-h0123456789abcdef/x64/qemu-aarch64',
    );
    expect(daemonPathOf('/__e/node20', mounts)).toEqual({
      path: '/home/runner/runners/2.330.0/externals/node20',
      readOnly: true,
    });
  });

  it("maps a path in a volume to the volume's data on the daemon's side", () => {
    expect(daemonPathOf('/cache/ws', mounts)?.path).toBe(
      '/var/lib/docker/volumes/anyarch-fixture-cache/_data/ws',
    );
  });

  it("has none for the container's own file system, a tmpfs, or a name that only starts like a mount", () => {
    expect(daemonPathOf('/github/workspace', mounts)).toBeUndefined();
    expect(daemonPathOf('/scratch/ws', mounts)).toBeUndefined();
    expect(daemonPathOf('/__wx/app', mounts)).toBeUndefined();
  });

  it('takes the deepest mount that holds the path', () => {
    const nested = [...mounts, { type: 'tmpfs', source: '', destination: '/__w/_temp', rw: true }];
    expect(daemonPathOf('/__w/_temp/x', nested)).toBeUndefined();
    expect(daemonPathOf('/__w/_tempo/x', nested)?.path).toBe('/home/runner/work/_tempo/x');
  });
});

describe('the guest container in a job container', () => {
  /** How both argvs end: the emulator runs the shell on spec's script in spec's image. */
  const EMULATED_SCRIPT = [
    '--entrypoint',
    '/.anyarch/qemu-aarch64',
    'sha256:1234',
    '-execve',
    '/.anyarch/qemu-aarch64',
    '/bin/sh',
    '-e',
    '-c',
    'touch out\n',
  ];
  const spec: GuestRunSpec = {
    arch: resolveArch('arm64'),
    image: 'sha256:1234',
    emulator: TOOL,
    workspace: '/__w/app/app',
    shell: '/bin/sh',
    script: 'touch out\n',
    env: new Map([['CI', 'true']]),
  };
  const gh = own('github-like.inspect.json', GH_ID, GH_HOST);
  const plain = own('plain.inspect.json', PLAIN_ID, 'job-host');

  it('outside a container mounts everything by its own path, as before', () => {
    const m = planGuestMounts(undefined, spec.workspace, spec.emulator);
    expect(m).toEqual(mountedInPlace(spec.workspace, spec.emulator));
    expect(needsCopy(m, spec.emulator)).toBe(false);
    expect(guestRunArgv(spec, m)).toEqual(guestRunArgv(spec));
  });

  it("in a GitHub-like job container mounts the daemon's paths at the job's paths", () => {
    const m = planGuestMounts(gh, spec.workspace, spec.emulator);
    expect(needsCopy(m, spec.emulator)).toBe(false);
    expect(guestRunArgv(spec, m)).toEqual([
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--network',
      'host',
      '--volume',
      '/home/runner/work/app/app:/__w/app/app',
      '--workdir',
      '/__w/app/app',
      '--env',
      'CI=true',
      '--volume',
      '/opt/hostedtoolcache/anyarch-qemu-aarch64/10.2.2-h0123456789abcdef/x64/qemu-aarch64:/.anyarch/qemu-aarch64:ro',
      ...EMULATED_SCRIPT,
    ]);
    expect(describeMounts(gh, m, spec.workspace, spec.emulator)).toEqual([
      'The action runs in container fixture_job_container_d1e2f3 (b9ee3852b79b) of the Docker daemon it uses: ' +
        'the workspace /__w/app/app is mounted into the "run" script\'s container from the daemon\'s path /home/runner/work/app/app',
      `The emulator ${TOOL} is mounted from the daemon's path /opt/hostedtoolcache/anyarch-qemu-aarch64/10.2.2-h0123456789abcdef/x64/qemu-aarch64`,
    ]);
  });

  it('keeps a read-only workspace read-only', () => {
    const m = planGuestMounts(gh, '/__e/ws', undefined);
    expect(guestRunArgv({ ...spec, workspace: '/__e/ws', emulator: undefined }, m)).toContain(
      '/home/runner/runners/2.330.0/externals/ws:/__e/ws:ro',
    );
  });

  it("creates the container without mounts for what lives in the job container's own file system", () => {
    const m = planGuestMounts(plain, spec.workspace, spec.emulator);
    expect(m).toEqual({ workspace: undefined, emulator: undefined });
    expect(needsCopy(m, spec.emulator)).toBe(true);
    const argv = guestCreateArgv(spec, m, 'anyarch-run-x');
    expect(argv.slice(0, 3)).toEqual(['create', '--name', 'anyarch-run-x']);
    expect(argv).not.toContain('--volume');
    expect(argv).toContain('--workdir');
    expect(argv.slice(-EMULATED_SCRIPT.length)).toEqual(EMULATED_SCRIPT);
    expect(describeMounts(plain, m, spec.workspace, spec.emulator).join('\n')).toMatch(
      /workspace \/__w\/app\/app is in its own file system .* copied into the "run" script's container, and back out/,
    );
  });

  it('copies only the emulator when the workspace is mounted and the tool cache is not', () => {
    const m = planGuestMounts(gh, spec.workspace, '/opt/tools/qemu-aarch64');
    expect(m.workspace?.path).toBe('/home/runner/work/app/app');
    expect(m.emulator).toBeUndefined();
    expect(needsCopy(m, '/opt/tools/qemu-aarch64')).toBe(true);
    const argv = guestCreateArgv({ ...spec, emulator: '/opt/tools/qemu-aarch64' }, m, 'n');
    expect(argv.filter((a) => a === '--volume')).toHaveLength(1);
    // The host's own platform needs no emulator, so nothing to copy for it.
    expect(needsCopy(planGuestMounts(gh, spec.workspace, undefined), undefined)).toBe(false);
  });
});
