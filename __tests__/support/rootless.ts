// Rootless Docker for the tests that run the action as an unprivileged user: the user (no
// docker group, no sudo, subordinate uid/gid ranges), its own dockerd started with Docker's
// dockerd-rootless.sh (RootlessKit + slirp4netns, socket in an XDG_RUNTIME_DIR it owns), commands
// run as that user (spawned with its uid and gid directly: no su, runuser or sudo in between),
// and a sampler of process trees that records who every process ran as.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

export interface IdRange {
  readonly start: number;
  readonly count: number;
}

export interface RootlessUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** Its range in /etc/subuid (the uids its containers' other users map to). */
  readonly subuid: IdRange;
}

/** Where distributions put the script: on PATH (Docker's packages), or Debian's docker.io contrib. */
export function rootlessScript(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v dockerd-rootless.sh'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return onPath.stdout.trim();
  const debian = '/usr/share/docker.io/contrib/dockerd-rootless.sh';
  if (existsSync(debian)) return debian;
  throw new Error('dockerd-rootless.sh is missing (Debian: apt-get install docker.io; scripts/setup.sh)');
}

/**
 * What rootless Docker needs from the machine, as a list of problems (empty: all there):
 * newuidmap/newgidmap, rootlesskit, slirp4netns, and a /dev/net/tun any user may open.
 */
export function rootlessProblems(): string[] {
  const problems: string[] = [];
  for (const [cmd, pkg] of [
    ['newuidmap', 'uidmap'],
    ['newgidmap', 'uidmap'],
    ['rootlesskit', 'rootlesskit'],
    ['slirp4netns', 'slirp4netns'],
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0)
      problems.push(`${cmd} is missing (apt-get install ${pkg}; scripts/setup.sh installs it)`);
  }
  const tun = existsSync('/dev/net/tun') ? statSync('/dev/net/tun').mode & 0o777 : undefined;
  if (tun === undefined) problems.push('/dev/net/tun is missing: slirp4netns needs it');
  else if ((tun & 0o666) !== 0o666)
    problems.push(
      `/dev/net/tun is mode 0${tun.toString(8)} here, so slirp4netns cannot open it as a user; ` +
        'stock machines have 0666, which scripts/setup.sh restores',
    );
  return problems;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error || r.status}`);
  return r.stdout;
}

function ranges(file: string): Map<string, IdRange> {
  const out = new Map<string, IdRange>();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    const [name, start, count] = line.split(':');
    if (name && start && count) out.set(name, { start: Number(start), count: Number(count) });
  }
  return out;
}

/**
 * The unprivileged user `name`, made if missing (a home, a group of its own, nothing else), with
 * 65536 subordinate uids and gids (added after every range in use when it has none). Throws if it
 * is in the docker or sudo group: the test needs a user that has neither.
 */
export function ensureRootlessUser(name: string): RootlessUser {
  if (spawnSync('getent', ['passwd', name], { stdio: 'ignore' }).status !== 0)
    run('useradd', ['--create-home', '--shell', '/bin/bash', '--user-group', name]);
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const all = ranges(file);
    if (all.has(name)) continue;
    const start = Math.max(100000, ...[...all.values()].map((r) => r.start + r.count));
    const flag = file === '/etc/subuid' ? '--add-subuids' : '--add-subgids';
    run('usermod', [flag, `${start}-${start + 65535}`, name]);
  }
  const groups = run('id', ['-nG', name]).trim().split(/\s+/);
  const privileged = groups.filter((g) => ['docker', 'sudo', 'wheel', 'admin', 'root'].includes(g));
  if (privileged.length > 0)
    throw new Error(`user ${name} is in ${privileged.join(', ')}: the test needs a user without them`);
  const [, , uid, gid, , home] = run('getent', ['passwd', name]).trim().split(':');
  return {
    name,
    uid: Number(uid),
    gid: Number(gid),
    home: home!,
    subuid: ranges('/etc/subuid').get(name)!,
  };
}

/** A plain environment for `user` (what a login gives, and nothing of this process's), plus `extra`. */
export function userEnv(user: RootlessUser, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    LANG: 'C.UTF-8',
    ...extra,
  };
}

/** Run a command as `user` (its uid and gid, no supplementary groups), synchronously. */
export function asUser(
  user: RootlessUser,
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; input?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    uid: user.uid,
    gid: user.gid,
    env: opts.env ?? userEnv(user),
    cwd: opts.cwd ?? user.home,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
}

/** A process as the sampler saw it: its command name and real, effective, saved and fs uids. */
export interface SeenProcess {
  readonly pid: number;
  readonly comm: string;
  readonly uids: readonly number[];
}

interface ProcEntry {
  readonly ppid: number;
  readonly comm: string;
  /** Start time in clock ticks since boot: with the pid, a process's identity. */
  readonly start: string;
}

function procTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      table.set(Number(name), {
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ppid: Number(fields[1]),
        start: fields[19] ?? '',
      });
    } catch {
      // It ended while being read.
    }
  }
  return table;
}

/** `roots` and every process below them, by pid. */
function treeOf(table: Map<number, ProcEntry>, roots: readonly number[]): Map<number, ProcEntry> {
  const children = new Map<number, number[]>();
  for (const [pid, e] of table) children.set(e.ppid, [...(children.get(e.ppid) ?? []), pid]);
  const out = new Map<number, ProcEntry>();
  const todo = roots.filter((p) => table.has(p));
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (out.has(pid)) continue;
    out.set(pid, table.get(pid)!);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function uidsOf(pid: number): number[] | undefined {
  try {
    const line = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return line?.trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

/** The user namespace of a process (as /proc/PID/ns/user reads, "user:[N]"), if it still runs. */
export function userNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`);
  } catch {
    return undefined;
  }
}

/** The processes below `roots`, and those in the user namespace `userns` if given. */
function members(table: Map<number, ProcEntry>, roots: readonly number[], userns?: string) {
  const out = treeOf(table, roots);
  if (userns !== undefined)
    for (const [pid, e] of table) if (!out.has(pid) && userNamespaceOf(pid) === userns) out.set(pid, e);
  return out;
}

/**
 * Sample the process trees below `roots`, and every process in the user namespace `userns` when
 * given (a rootless daemon's containerd shims leave its tree, not its namespace), every `everyMs`
 * until stop() (a sampler: a process that lives shorter than a period can be missed). stop()
 * returns every process seen, once each.
 */
export function watchTrees(
  roots: () => readonly number[],
  userns?: string,
  everyMs = 150,
): { stop(): SeenProcess[] } {
  const seen = new Map<string, SeenProcess>();
  const sample = () => {
    for (const [pid, e] of members(procTable(), roots(), userns)) {
      const key = `${pid}/${e.start}`;
      if (seen.has(key)) continue;
      const uids = uidsOf(pid);
      if (uids) seen.set(key, { pid, comm: e.comm, uids });
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return [...seen.values()];
    },
  };
}

/** Every process whose real uid is `uid`: what a user still runs. */
export function processesOf(uid: number): number[] {
  return [...procTable().keys()].filter((pid) => uidsOf(pid)?.[0] === uid);
}

/** SIGKILL every process of `uid` until none is left (a dedicated test user's leftovers). */
export async function killProcessesOf(uid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const left = processesOf(uid);
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`processes of uid ${uid} survive SIGKILL: ${processesOf(uid).join(' ')}`);
}

export interface RootlessDaemon {
  /** DOCKER_HOST of the daemon: unix://<runtime dir>/docker.sock. */
  readonly host: string;
  /** The pid of RootlessKit's parent process: the root of the daemon's process tree. */
  readonly pid: number;
  /** The pid of dockerd itself, inside RootlessKit's namespaces. */
  readonly dockerdPid: number;
  /** RootlessKit's user namespace, where dockerd, containerd, its shims and containers run. */
  readonly userns: string;
  /** dockerd's uid_map: [first uid inside, first uid outside, count] per line. */
  readonly uidMap: readonly (readonly [number, number, number])[];
  /** The docker CLI as the user against this daemon; its stdout. Throws on a non-zero exit. */
  docker(...args: string[]): string;
  /** SIGTERM to RootlessKit (which stops dockerd), and wait for every process of the user to end. */
  stop(): Promise<void>;
}

/**
 * Start dockerd-rootless.sh as `user` with XDG_RUNTIME_DIR `runtimeDir` (which the user must
 * own), its output in `log`, and wait until its socket answers.
 */
export async function startRootlessDaemon(
  user: RootlessUser,
  runtimeDir: string,
  log: string,
): Promise<RootlessDaemon> {
  const host = `unix://${path.join(runtimeDir, 'docker.sock')}`;
  const out = openSync(log, 'a');
  const child = spawn(rootlessScript(), [], {
    uid: user.uid,
    gid: user.gid,
    // dockerd is in /usr/sbin; iptables, run inside RootlessKit's namespaces, in /usr/sbin too.
    env: userEnv(user, {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      XDG_RUNTIME_DIR: runtimeDir,
    }),
    cwd: user.home,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code, signal) => (exited = code ?? (signal ? -1 : null)));
  const docker = (...args: string[]): string => {
    const r = asUser(user, 'docker', args, { env: userEnv(user, { DOCKER_HOST: host }) });
    if (r.status !== 0)
      throw new Error(`docker ${args.join(' ')} (as ${user.name}) failed: ${r.stderr || r.error}`);
    return r.stdout;
  };
  const answers = () =>
    asUser(user, 'docker', ['info', '--format', '{{.ID}}'], { env: userEnv(user, { DOCKER_HOST: host }) })
      .status === 0;
  const deadline = Date.now() + 90_000;
  while (!answers()) {
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) process.kill(child.pid!, 'SIGTERM');
      const tail = readFileSync(log, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(
        `the rootless dockerd of ${user.name} ${exited !== undefined ? `exited (${exited})` : 'did not answer within 90 s'}; ` +
          `last lines of its log:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const dockerdPid = [...treeOf(procTable(), [child.pid!])].find(([, e]) => e.comm === 'dockerd')?.[0];
  const userns = dockerdPid !== undefined ? userNamespaceOf(dockerdPid) : undefined;
  if (dockerdPid === undefined || userns === undefined)
    throw new Error(`no dockerd below the rootless daemon's process ${child.pid}`);
  const uidMap = readFileSync(`/proc/${dockerdPid}/uid_map`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const stop = async () => {
    if (exited === undefined) {
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        // Ended already.
      }
      for (let i = 0; i < 300 && exited === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    }
    // containerd and its shims make sessions of their own: wait for them too, then make sure.
    for (let i = 0; i < 100 && processesOf(user.uid).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await killProcessesOf(user.uid);
  };
  return { host, pid: child.pid!, dockerdPid, userns, uidMap, docker, stop };
}
