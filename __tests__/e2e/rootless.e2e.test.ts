// Rootless Docker (issue 12): the action run by an unprivileged user (no docker group, no sudo)
// against that user's own rootless dockerd (dockerd-rootless.sh: RootlessKit and slirp4netns;
// its socket in an XDG_RUNTIME_DIR the user owns, given through DOCKER_HOST), with no binfmt_misc
// handler and nothing run as root from the moment the step starts: the action's processes are
// spawned with the user's uid and gid, and both the step's process tree and the daemon's are
// sampled for who they run as.
//  1. With ninja missing (a PATH without it: the action looks commands up on PATH, as QEMU's
//     build does) and install-deps: auto, the step fails saying it cannot install without root
//     or passwordless sudo, and which packages to install.
//  2. One step compiles the emulator into the user's own empty tool cache (a pinned Debian
//     source served from loopback), builds an image whose RUN starts child processes, loads it
//     into the rootless daemon with keep-emulator, and runs a `run` script in it that writes a
//     file into the workspace; post removes the action's helper images.
// The user (anyarch-rootless) and its daemon's data directory (the loaded base image) are kept
// between runs; the daemon, its runtime directory and everything of the run are removed.
import { spawn } from 'node:child_process';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import { BASE_ARM64, docker, ensureBase, imageExists } from '../support/docker.js';
import { PROJECT_ROOT } from '../support/project.js';
import { requireDebianTarball, TEST_SERIES } from '../support/qemu-sources.js';
import {
  asUser,
  ensureRootlessUser,
  killProcessesOf,
  processesOf,
  rootlessProblems,
  startRootlessDaemon,
  userEnv,
  watchTrees,
  type RootlessDaemon,
  type RootlessUser,
  type SeenProcess,
} from '../support/rootless.js';
import {
  createdImages,
  parseCommandFile,
  stateVariables,
  stepError,
  stepVariables,
} from '../support/runner.js';
import { servedDir, startSourceServer, type SourceServer } from '../support/source-server.js';

const USER = 'anyarch-rootless';
const TAG = 'anyarch-e2e/rootless:latest';
const MADE = 'made-by-guest';
// A nonce in the RUN line: a layer cached by an earlier run of the test would not run it again.
const DOCKERFILE = `FROM ${BASE_ARM64}
RUN sh -c 'uname -m > /a; (sleep 0; echo child) > /b' && echo ${randomBytes(6).toString('hex')} > /nonce
CMD ["cat", "/a"]
`;

interface Step {
  /** The pid of the step's node process. */
  readonly pid: number;
  readonly status: number;
  readonly log: string;
  readonly outputs: Map<string, string>;
  readonly state: Map<string, string>;
  /** Processes of the step's own tree (node and below), as sampled. */
  readonly action: SeenProcess[];
  /** Processes of the rootless daemon while the step ran (its tree and its user namespace). */
  readonly daemon: SeenProcess[];
  readonly seconds: number;
}

/** Own the path (recursively) by the user, as a runner's directories are. */
function give(user: RootlessUser, p: string): void {
  chownSync(p, user.uid, user.gid);
  if (statSync(p).isDirectory()) for (const f of readdirSync(p)) give(user, path.join(p, f));
}

describe('rootless Docker: the action as an unprivileged user with its own rootless dockerd', () => {
  let user: RootlessUser;
  let base: string;
  let daemon: RootlessDaemon | undefined;
  let server: SourceServer | undefined;
  let ws: string;
  let temp: string;
  let toolCache: string;
  let depsToolCache: string;
  let wsBefore: string[];
  let missingNinja: { main: Step; post: Step };
  let run: { main: Step; post: Step };

  /** One script (main or post) of the action in `dir`, as the user, with the trees sampled. */
  async function runScript(
    dir: string,
    script: 'main' | 'post',
    vars: Record<string, string>,
    files: string,
    pathVar: string | undefined,
  ): Promise<Step> {
    const start = Date.now();
    const env = userEnv(user, { ...vars, DOCKER_HOST: daemon!.host, ...(pathVar ? { PATH: pathVar } : {}) });
    const child = spawn(process.execPath, [path.join(dir, 'dist', script, 'index.js')], {
      uid: user.uid,
      gid: user.gid,
      env,
      cwd: ws,
    });
    const action = watchTrees(() => [child.pid!]);
    const daemonTree = watchTrees(() => [daemon!.pid], daemon!.userns);
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const read = (f: string) => readFileSync(path.join(files, f), 'utf8');
    return {
      pid: child.pid!,
      status,
      log,
      outputs: parseCommandFile(read('output')),
      state: parseCommandFile(read('state')),
      action: action.stop(),
      daemon: daemonTree.stop(),
      seconds: Math.round((Date.now() - start) / 1000),
    };
  }

  /** main, then post with main's state, each with the step's own command files. */
  async function runStep(
    name: string,
    inputs: Record<string, string>,
    cache: string,
    pathVar?: string,
  ): Promise<{ main: Step; post: Step }> {
    const files = path.join(base, 'files', name);
    mkdirSync(files, { recursive: true });
    for (const f of ['output', 'state', 'summary']) writeFileSync(path.join(files, f), '');
    give(user, path.join(base, 'files'));
    const dir = path.join(base, 'action');
    const vars = stepVariables(
      {
        workspace: ws,
        temp,
        toolCache: cache,
        output: path.join(files, 'output'),
        state: path.join(files, 'state'),
        summary: path.join(files, 'summary'),
      },
      inputs,
      dir,
    );
    const main = await runScript(dir, 'main', vars, files, pathVar);
    writeFileSync(path.join(files, 'output'), '');
    const post = await runScript(dir, 'post', { ...vars, ...stateVariables(main.state) }, files, pathVar);
    return { main, post };
  }

  /** A directory of links to every program in /usr/local/bin and /usr/bin but ninja: a PATH without it. */
  function pathWithoutNinja(): string {
    const dir = path.join(base, 'bin-without-ninja');
    mkdirSync(dir);
    for (const from of ['/usr/local/bin', '/usr/bin']) {
      for (const f of readdirSync(from)) {
        if (f !== 'ninja' && !existsSync(path.join(dir, f)))
          symlinkSync(path.join(from, f), path.join(dir, f));
      }
    }
    return dir;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('this test makes a user and starts its daemon: run it as root');
    const problems = rootlessProblems();
    if (problems.length > 0) throw new Error(`rootless Docker cannot run here:\n${problems.join('\n')}`);
    assertNoBinfmt('aarch64');
    user = ensureRootlessUser(USER);
    // A daemon an interrupted earlier run left would hold the user's data directory.
    await killProcessesOf(user.uid);
    ensureBase('arm64');
    const debian = requireDebianTarball();

    base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-rootless-'));
    ws = path.join(base, 'workspace');
    temp = path.join(base, 'runner-temp');
    toolCache = path.join(base, 'tool-cache');
    depsToolCache = path.join(base, 'tool-cache-deps');
    const runtime = path.join(base, 'runtime');
    for (const d of [ws, temp, toolCache, depsToolCache, runtime]) mkdirSync(d, { mode: 0o700 });
    writeFileSync(path.join(ws, 'Dockerfile'), DOCKERFILE);
    // The action as a runner checks it out: action.yml, the bundle, patches/, the user's own.
    const action = path.join(base, 'action');
    mkdirSync(action);
    cpSync(path.join(PROJECT_ROOT, 'action.yml'), path.join(action, 'action.yml'));
    cpSync(path.join(PROJECT_ROOT, 'patches'), path.join(action, 'patches'), { recursive: true });
    cpSync(process.env['ANYARCH_TEST_DIST'] ?? path.join(PROJECT_ROOT, 'dist'), path.join(action, 'dist'), {
      recursive: true,
    });
    docker('save', '--output', path.join(base, 'base.tar'), BASE_ARM64);
    give(user, base);
    wsBefore = readdirSync(ws).sort();

    daemon = await startRootlessDaemon(user, runtime, path.join(base, 'dockerd.log'));
    daemon.docker('load', '--input', path.join(base, 'base.tar'));
    server = await startSourceServer(
      servedDir(path.join(base, 'served'), { 'qemu-debian.tar.xz': debian.file }),
    );
    const inputs = {
      arch: 'aarch64',
      'qemu-version': TEST_SERIES,
      'qemu-source': server.url('qemu-debian.tar.xz'),
      'qemu-sha256': debian.sha256,
      tags: TAG,
      load: 'true',
      'keep-emulator': 'true',
      run: `uname -m > ${MADE}`,
    };

    missingNinja = await runStep(
      'missing-ninja',
      { ...inputs, 'install-deps': 'auto' },
      depsToolCache,
      pathWithoutNinja(),
    );
    run = await runStep('build', inputs, toolCache);
    process.stdout.write(
      `rootless: compile, build, load and run as ${USER} took ${run.main.seconds} s, post ${run.post.seconds} s\n`,
    );
  });

  afterAll(async () => {
    server?.stop();
    if (daemon) {
      for (const args of [
        ['image', 'rm', '--force', TAG],
        ['builder', 'prune', '--all', '--force'],
      ]) {
        try {
          daemon.docker(...args);
        } catch {
          // Gone already, or the daemon is; it is stopped next either way.
        }
      }
      await daemon.stop();
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('the user is unprivileged: no docker group, no sudo, no access to the system daemon', () => {
    expect(user.uid).not.toBe(0);
    expect(asUser(user, 'id', ['-nG']).stdout.trim().split(/\s+/)).toEqual([USER]);
    const sudo = asUser(user, 'sh', ['-c', 'sudo -n true']);
    expect(sudo.status).not.toBe(0);
    const system = asUser(user, 'docker', ['-H', 'unix:///var/run/docker.sock', 'info']);
    expect(system.status).not.toBe(0);
  });

  test('its daemon is rootless and runs as the user', () => {
    expect(daemon!.docker('info', '--format', '{{json .SecurityOptions}}')).toContain('rootless');
    // dockerd (and what it re-executes itself as, to unpack layers) runs as the user.
    const dockerd = run.main.daemon.filter((p) => p.comm === 'dockerd');
    expect(dockerd.map((p) => p.pid)).toContain(daemon!.dockerdPid);
    for (const p of dockerd) expect(p.uids).toEqual([user.uid, user.uid, user.uid, user.uid]);
    // Its root is the user, its other users the user's subordinate uids: nothing maps to root.
    const { start, count } = user.subuid;
    expect([...daemon!.uidMap].sort((a, b) => a[0] - b[0])).toEqual([
      [0, user.uid, 1],
      [1, start, count],
    ]);
  });

  test('with ninja missing, install-deps: auto says it cannot install without root or sudo, and what to install', () => {
    const m = missingNinja.main;
    expect(m.status).not.toBe(0);
    expect(stepError({ ...m, summary: '' })).toMatch(
      /^missing QEMU build dependencies: ninja \(on Debian\/Ubuntu: apt-get install ninja-build\); not root, and sudo is missing or asks for a password \(sudo -n\), so nothing was installed/,
    );
    expect(m.log).not.toMatch(/Installing .* with/);
    expect(m.action.some((p) => /sudo|apt/.test(p.comm))).toBe(false);
    expect(missingNinja.post.status).toBe(0);
    expect(readdirSync(depsToolCache)).toEqual([]);
  });

  test('the step succeeds: the emulator compiled into the user’s own empty tool cache', () => {
    if (run.main.status !== 0) throw new Error(run.main.log.slice(-8000));
    expect(run.post.status).toBe(0);
    expect(run.main.outputs.get('cache-hit')).toBe('false');
    const qemuPath = run.main.outputs.get('qemu-path') ?? '';
    expect(qemuPath.startsWith(`${toolCache}/anyarch-qemu-aarch64/`)).toBe(true);
    const emulator = statSync(path.join(qemuPath, 'qemu-aarch64'));
    expect([emulator.uid, emulator.gid]).toEqual([user.uid, user.gid]);
    expect(run.main.log).toContain(`sha256 ${requireDebianTarball().sha256} (verified)`);
  });

  test('no process of the action ran as root, and nothing went through sudo', () => {
    const steps = [missingNinja.main, missingNinja.post, run.main, run.post];
    // Each script was started as the user: node itself, from its first sample on.
    for (const s of steps) {
      const node = s.action.find((p) => p.pid === s.pid);
      expect(node?.uids).toEqual([user.uid, user.uid, user.uid, user.uid]);
    }
    const all = steps.flatMap((s) => s.action);
    expect(all.filter((p) => p.uids.some((u) => u !== user.uid))).toEqual([]);
    expect(all.filter((p) => p.comm === 'sudo')).toEqual([]);
    // The sampler saw the compile and the docker CLI, not only node.
    const comms = new Set(run.main.action.map((p) => p.comm));
    expect(comms).toContain('docker');
    expect([...comms].some((c) => /^(ninja|cc1|cc|gcc|ld)$/.test(c))).toBe(true);
    // The daemon's side (dockerd, containerd, the builds and the run script's container) ran as
    // the user or as its subordinate uids, never as root.
    const { start, count } = user.subuid;
    const foreign = run.main.daemon.filter((p) =>
      p.uids.some((u) => u !== user.uid && (u < start || u >= start + count)),
    );
    expect(foreign).toEqual([]);
    const daemonComms = new Set(run.main.daemon.map((p) => p.comm));
    for (const c of ['rootlesskit', 'slirp4netns', 'containerd']) expect(daemonComms).toContain(c);
    expect([...daemonComms].some((c) => c.startsWith('containerd-shim'))).toBe(true);
  });

  test('the image, built with a RUN that starts child processes, is in the rootless daemon', () => {
    expect(daemon!.docker('image', 'inspect', '--format', '{{.Architecture}}', TAG).trim()).toBe('arm64');
    expect(run.main.outputs.get('imageid')).toBe(
      daemon!.docker('image', 'inspect', '--format', '{{.Id}}', TAG).trim(),
    );
    const id = daemon!.docker('create', TAG).trim();
    try {
      for (const [file, want] of [
        ['/a', 'aarch64\n'],
        ['/b', 'child\n'],
      ] as const) {
        const tar = asUser(user, 'sh', ['-c', `docker cp ${id}:${file} - | tar -xO`], {
          env: userEnv(user, { DOCKER_HOST: daemon!.host }),
        });
        expect(tar.stdout).toBe(want);
      }
    } finally {
      daemon!.docker('rm', id);
    }
    // Not on the system's daemon: the build went where DOCKER_HOST points.
    expect(imageExists(TAG)).toBe(false);
  });

  test('keep-emulator: docker run IMAGE uname -m through the rootless daemon prints aarch64', () => {
    expect(daemon!.docker('run', '--rm', TAG, 'uname', '-m').trim()).toBe('aarch64');
    expect(daemon!.docker('run', '--rm', TAG).trim()).toBe('aarch64');
  });

  test('the run script made a file in the workspace, the user’s own', () => {
    const file = path.join(ws, MADE);
    expect(readdirSync(ws).sort()).toEqual([...wsBefore, MADE].sort());
    const st = statSync(file);
    expect([st.uid, st.gid]).toEqual([user.uid, user.gid]);
    expect(asUser(user, 'cat', [file]).stdout).toBe('aarch64\n');
  });

  test('post left no helper image or container of the run in the rootless daemon', () => {
    const created = createdImages(run.main);
    expect(created.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
    const images = daemon!.docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}').split('\n');
    for (const ref of created) expect(images).not.toContain(ref);
    expect(images.filter((r) => r !== '' && r !== TAG && r !== BASE_ARM64)).toEqual([]);
    expect(daemon!.docker('ps', '--all', '--quiet').trim()).toBe('');
    expect(readdirSync(temp)).toEqual([]);
  });

  test('nothing of the steps outlives them: the user runs nothing but its daemon', () => {
    const daemonTree = new Set(
      watchTrees(() => [daemon!.pid], daemon!.userns)
        .stop()
        .map((p) => p.pid),
    );
    expect(processesOf(user.uid).filter((pid) => !daemonTree.has(pid))).toEqual([]);
  });
});
