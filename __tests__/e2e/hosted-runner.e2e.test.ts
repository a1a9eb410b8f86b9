// The action as a GitHub-hosted runner runs it, as close as this machine allows: a fresh
// Debian 12 root (tests/hosted-runner/make-root.sh: minbase plus sudo, Node.js, the docker CLI
// and buildx; no compiler, ninja, glib, python3 or meson), entered in mount and PID namespaces
// of its own, the action run by the unprivileged user `runner` (docker group, passwordless sudo)
// with default inputs but the source, an empty tool cache, against the host's daemon.
// The source is shaped like a QEMU release (tests/hosted-runner/make-source.sh: Debian's orig
// tarball plus meson and pycotap wheels in python/wheels/, and pythondeps.toml naming the
// wheels' versions), served from a loopback URL with a qemu-sha256 pin.
//  1. `nosudo` (no sudo at all): the step fails naming the packages, installs nothing.
//  2. `runner`: installs the build packages through sudo, compiles with the bundled meson (no
//     meson is ever installed in the root), builds an aarch64 image on the host's daemon.
//  3. `runner` again, with Debian's source (no wheels) and Debian 12's meson 1.0: the error
//     names both ways out.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  BASE_ARM64,
  docker,
  ensureBaseImages,
  imageExists,
  imageFile,
  imageFiles,
} from '../support/docker.js';
import { expectNoEmulator } from '../support/image-test.js';
import { PROJECT_ROOT } from '../support/project.js';
import { requireDebianTarball, TEST_SERIES, type DebianTarball } from '../support/qemu-sources.js';
import { createdImages, parseCommandFile, stateVariables, stepVariables } from '../support/runner.js';
import { servedDir, startSourceServer, type SourceServer } from '../support/source-server.js';

const SCRIPTS = path.join(PROJECT_ROOT, 'tests', 'hosted-runner');
const TAG = 'anyarch-e2e/hosted-runner:latest';
const DOCKERFILE = `FROM ${BASE_ARM64}
RUN sh -c 'uname -m' > /ran-on
`;

interface Step {
  readonly status: number;
  readonly log: string;
  readonly outputs: Map<string, string>;
  readonly state: Map<string, string>;
  readonly seconds: number;
}

describe('on a runner-like machine: user runner with passwordless sudo, no build packages', () => {
  let dir: string;
  let root: string;
  let server: SourceServer;
  let debian: DebianTarball;
  let upstreamSha: string;
  let noSudo: { main: Step; post: Step };
  let runner: { main: Step; post: Step };
  let debianSource: { main: Step; post: Step };

  const hasPackage = (pkg: string) =>
    spawnSync('chroot', [root, 'dpkg-query', '-W', '-f=${Status}', pkg], {
      encoding: 'utf8',
    }).stdout.includes('ok installed');

  /** Give `user` the root's path `inRoot` (by the root's own user names, which the host lacks). */
  const chownInRoot = (user: string, inRoot: string) =>
    execFileSync('chroot', [root, 'chown', '-R', `${user}:${user}`, inRoot]);

  /** Run `script` (main or post) of the action in the root as `user`, as a runner runs a step. */
  function runScript(
    user: string,
    script: 'main' | 'post',
    inputs: Record<string, string>,
    files: string,
    state?: Map<string, string>,
  ): Step {
    const home = `/home/${user}`;
    // The runner's variables, with the root's paths (the action runs in the root).
    const vars = {
      ...stepVariables(
        {
          workspace: `${home}/work/ws`,
          temp: `${home}/work/_temp`,
          toolCache: user === 'runner' ? '/opt/hostedtoolcache' : `${home}/work/_tool`,
          output: `${files}/output`,
          state: `${files}/state`,
          summary: `${files}/summary`,
        },
        inputs,
      ),
      ...stateVariables(state ?? new Map()),
    };
    const start = Date.now();
    const r = spawnSync(
      path.join(SCRIPTS, 'enter.sh'),
      [
        root,
        user,
        ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
        '--',
        'node',
        `/home/runner/action/dist/${script}/index.js`,
      ],
      { encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    const read = (f: string) =>
      existsSync(path.join(root, files, f)) ? readFileSync(path.join(root, files, f), 'utf8') : '';
    return {
      status: r.status ?? -1,
      log: `${r.stdout}${r.stderr}`,
      outputs: parseCommandFile(read('output')),
      state: parseCommandFile(read('state')),
      seconds: Math.round((Date.now() - start) / 1000),
    };
  }

  /** main then post, each step with its own command files, like the runner. */
  function runStep(user: string, name: string, inputs: Record<string, string>): { main: Step; post: Step } {
    const files = `/home/${user}/work/_files/${name}`;
    mkdirSync(path.join(root, files), { recursive: true });
    for (const f of ['output', 'state', 'summary']) writeFileSync(path.join(root, files, f), '');
    chownInRoot(user, files);
    const main = runScript(user, 'main', inputs, files);
    return { main, post: runScript(user, 'post', inputs, files, main.state) };
  }

  function workspace(user: string): void {
    const ws = path.join(root, 'home', user, 'work', 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(path.join(ws, 'Dockerfile'), DOCKERFILE);
    chownInRoot(user, `/home/${user}/work/ws`);
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test makes a root and users: run it as root');
    assertNoBinfmt('aarch64');
    ensureBaseImages();
    const tarball = execFileSync(path.join(SCRIPTS, 'make-root.sh'), { encoding: 'utf8' }).trim();
    const [upstream, sha] = execFileSync(path.join(SCRIPTS, 'make-source.sh'), { encoding: 'utf8' })
      .trim()
      .split(' ');
    upstreamSha = sha!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-hosted-'));
    root = path.join(dir, 'root');
    execFileSync(path.join(SCRIPTS, 'prepare.sh'), [tarball, dir], { stdio: 'inherit' });
    for (const u of ['runner', 'nosudo']) workspace(u);
    debian = requireDebianTarball();
    const release = `qemu-${debian.entry.version}.tar.gz`;
    server = await startSourceServer(
      servedDir(path.join(dir, 'served'), { [release]: upstream!, 'qemu-debian.tar.xz': debian.file }),
    );
    const source = {
      'qemu-version': TEST_SERIES,
      'qemu-source': server.url(release),
      'qemu-sha256': upstreamSha,
    };

    noSudo = runStep('nosudo', 'no-sudo', { arch: 'aarch64', ...source });
    runner = runStep('runner', 'first-run', { arch: 'aarch64', ...source, tags: TAG, load: 'true' });
    process.stdout.write(
      `hosted-runner: first run as runner (installs, compile, image) took ${runner.main.seconds} s\n`,
    );
    // Debian 12's own meson (1.0.1), installed as an admin would, then a source without wheels.
    execFileSync(
      path.join(SCRIPTS, 'enter.sh'),
      [
        root,
        'root',
        'DEBIAN_FRONTEND=noninteractive',
        '--',
        'apt-get',
        'install',
        '-y',
        '-q',
        '--no-install-recommends',
        'meson',
      ],
      { stdio: 'pipe' },
    );
    debianSource = runStep('runner', 'debian-source', {
      arch: 'arm',
      'qemu-version': TEST_SERIES,
      'qemu-source': server.url('qemu-debian.tar.xz'),
      'qemu-sha256': debian.sha256,
      build: 'false',
    });
  });
  afterAll(() => {
    server?.stop();
    spawnSync('docker', ['image', 'rm', '--force', TAG], { stdio: 'ignore' });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('without sudo the step fails naming the packages, and installs nothing', () => {
    expect(noSudo.main.status).not.toBe(0);
    expect(noSudo.main.log).toMatch(
      /::error::missing QEMU build dependencies: cc, ninja, pkg-config, python3, .*\(on Debian\/Ubuntu: apt-get install gcc ninja-build pkg-config python3 .*libglib2\.0-dev python3-venv\); not root, and sudo is missing or asks for a password/,
    );
    expect(noSudo.main.log).not.toMatch(/Installing .* with/);
    expect(noSudo.post.status).toBe(0);
    expect(readdirSync(path.join(root, 'home/nosudo/work/_temp'))).toEqual([]);
  });

  test('as runner it installs the build packages through sudo and says which', () => {
    if (runner.main.status !== 0) throw new Error(runner.main.log.slice(-8000));
    expect(runner.main.log).toMatch(
      /Installing gcc ninja-build pkg-config python3 .*libglib2\.0-dev python3-venv with sudo apt-get/,
    );
    const added = /apt-get installed (\d+) packages: (.*)/.exec(runner.main.log);
    expect(added).not.toBeNull();
    for (const p of ['gcc', 'ninja-build', 'pkg-config', 'libglib2.0-dev', 'python3-venv']) {
      expect(added![2]!.split(' ')).toContain(p);
      expect(hasPackage(p)).toBe(true);
    }
  });

  test("it compiles with the source's own meson: no meson was installed or asked for", () => {
    expect(runner.main.outputs.get('cache-hit')).toBe('false');
    expect(runner.main.outputs.get('qemu-version')).toBe('10.2.2');
    expect(runner.main.log).toContain(`sha256 ${upstreamSha} (verified)`);
    expect(runner.main.log).not.toMatch(/needs the system meson|meson >= /);
    // The first run installed no meson: configure took it from python/wheels.
    expect(runner.main.log).not.toMatch(/installed \d+ packages: .*\bmeson\b/);
    const entries = readdirSync(path.join(root, 'opt/hostedtoolcache'));
    expect(entries).toContain('anyarch-qemu-aarch64');
  });

  test("the image was built on the host's daemon, its RUN step under the emulator", () => {
    expect(imageFile(TAG, '/ran-on').trim()).toBe('aarch64');
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', TAG).trim()).toBe('arm64');
    expect(runner.main.outputs.get('imageid')).toBe(
      docker('image', 'inspect', '--format', '{{.Id}}', TAG).trim(),
    );
    expectNoEmulator(imageFiles(TAG));
  });

  test("post, as runner, removed the action's helper images and temp files", () => {
    expect(runner.post.status).toBe(0);
    const created = createdImages(runner.main);
    expect(created.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
    for (const ref of created) expect(imageExists(ref)).toBe(false);
    expect(readdirSync(path.join(root, 'home/runner/work/_temp'))).toEqual([]);
  });

  test('a source without wheels and a too-old system meson: the error names both ways out', () => {
    expect(hasPackage('meson')).toBe(true);
    expect(debianSource.main.status).not.toBe(0);
    // Debian 12 has meson 1.0.1 and no python3-pycotap: apt cannot help, and says so.
    const error = debianSource.main.log.split('\n').find((l) => l.startsWith('::error::')) ?? '';
    expect(error).toMatch(
      /^::error::missing QEMU build dependencies: .*meson >= 1\.5\.0 for QEMU 10\.2\.2 \(found 1\.0\.1\)/,
    );
    expect(error).toMatch(
      /apt-get install .*python3-pycotap failed \(E: Unable to locate package python3-pycotap\)/,
    );
    expect(error).toMatch(
      /this QEMU source carries no meson of its own \(python\/wheels\)\. Either use a QEMU release tarball.*qemu-source: upstream.*or install meson >= /,
    );
    expect(debianSource.post.status).toBe(0);
  });
});
