// The action in a workflow's `container:` job: it runs in a container of the host's daemon and
// reaches that daemon through the mounted socket, so the paths it sees are not the daemon's.
// The job image is the runner-like root (tests/hosted-runner/make-root.sh: Debian 12 with
// Node.js, the docker CLI and buildx), imported with `docker import`; each job container is
// created as GitHub's runner creates one (`tail -f /dev/null`, the socket at
// /var/run/docker.sock, the workspace at /__w/app/app, the tool cache at /__t, HOME at
// /github/home), and the action's main and post run in it with `docker exec`, with the runner's
// variables as the job container sees them. The tool cache holds the shared emulator, so
// nothing is compiled.
//  1. Workspace and tool cache only in the job container's own file system: the `run` script
//     reads the workspace and writes into it (copied in and back out), and its exit status
//     fails the step, what it wrote before still copied back.
//  2. /__w and /__t bind-mounted from host directories, as GitHub does: the script's container
//     mounts the workspace from the host path, and what it writes appears there.
//  3. An image build from the first container, its context only in there (sent over the API).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import {
  createdImages,
  parseCommandFile,
  stateVariables,
  stepError,
  stepVariables,
  type StepResult,
} from '../support/runner.js';
import { sharedEmulator } from '../support/tool-cache.js';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const JOB_IMAGE = `anyarch-e2e/container-job:${RUN_ID}`;
const TAG = `anyarch-e2e/container-job-built:${RUN_ID}`;
/** The job container's paths, GitHub's. */
const WORK = '/__w';
const WS = `${WORK}/app/app`;
const TOOLS = '/__t';
const ACTION = `${WORK}/_actions/anyarch/anyarch-action/v1`;
const MESSAGE = 'hello from the job container';
const INPUTS = { arch: 'aarch64', ...LOCAL_QEMU };

/** The host's Docker socket, which the job containers get at /var/run/docker.sock. */
function hostSocket(): string {
  const host = process.env['DOCKER_HOST'] ?? '';
  if (host !== '' && !host.startsWith('unix://'))
    throw new Error(`this test mounts the daemon's socket into a container; DOCKER_HOST=${host} is none`);
  return host.replace(/^unix:\/\//, '') || '/var/run/docker.sock';
}

interface Job {
  readonly name: string;
}

interface Run {
  readonly main: StepResult;
  readonly post: StepResult;
}

describe('in a container job: the daemon reached through a mounted socket', () => {
  let scratch: string;
  /** The host directories the second job container has at /__w and /__t. */
  let hostWork: string;
  let hostTools: string;
  const jobs: Job[] = [];
  let layerOnly: Job;
  let bound: Job;
  let copied: Run;
  let failed: Run;
  let mapped: Run;
  let built: Run;
  const started = Date.now();

  const exec = (job: Job, ...cmd: string[]) => docker('exec', job.name, ...cmd);

  /** A job container as the runner creates one; `mounts` are extra `-v` values. */
  function startJob(label: string, mounts: string[]): Job {
    const job = { name: `anyarch-e2e-cjob-${label}-${RUN_ID}` };
    const args = ['create', '--name', job.name, '--workdir', WS, '-e', 'HOME=/github/home'];
    args.push('-e', 'GITHUB_ACTIONS=true', '-e', 'CI=true', '-v', `${hostSocket()}:/var/run/docker.sock`);
    for (const m of mounts) args.push('-v', m);
    docker(...args, '--entrypoint', 'tail', JOB_IMAGE, '-f', '/dev/null');
    jobs.push(job);
    docker('start', job.name);
    exec(job, 'mkdir', '-p', WS, `${WORK}/_temp`, TOOLS, '/github/home', path.posix.dirname(ACTION));
    return job;
  }

  /** Copy the host directory `from`'s content to `to` in the job container. */
  const copyIn = (job: Job, from: string, to: string) => {
    exec(job, 'mkdir', '-p', to);
    docker('cp', `${from}/.`, `${job.name}:${to}`);
  };

  /** One step of the action in `job` (main, then post with main's state), as the runner runs it. */
  function runStep(job: Job, name: string, inputs: Record<string, string>): Run {
    const files = `${WORK}/_temp/_runner_file_commands/${name}`;
    exec(job, 'sh', '-c', 'mkdir -p "$1" && cd "$1" && : >output && : >state && : >summary', 'sh', files);
    const vars = stepVariables(
      {
        workspace: WS,
        temp: `${WORK}/_temp`,
        toolCache: TOOLS,
        output: `${files}/output`,
        state: `${files}/state`,
        summary: `${files}/summary`,
      },
      inputs,
    );
    const run = (script: 'main' | 'post', state: ReadonlyMap<string, string>): StepResult => {
      const env = { PATH: '/usr/local/bin:/usr/bin:/bin', ...vars, ...stateVariables(state) };
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const r = spawnSync(
        'docker',
        ['exec', '-w', WS, ...envArgs, job.name, 'node', `${ACTION}/dist/${script}/index.js`],
        { encoding: 'utf8', maxBuffer: 256 << 20 },
      );
      const read = (f: string) => exec(job, 'cat', `${files}/${f}`);
      const result = {
        status: r.status ?? -1,
        log: `${r.stdout}${r.stderr}`,
        outputs: parseCommandFile(read('output')),
        state: parseCommandFile(read('state')),
        summary: read('summary'),
      };
      exec(job, 'sh', '-c', ': >"$1"', 'sh', `${files}/output`);
      return result;
    };
    const main = run('main', new Map());
    return { main, post: run('post', main.state) };
  }

  beforeAll(() => {
    if (process.getuid?.() !== 0)
      throw new Error('this test uses the Docker socket and docker import: run it as root');
    assertNoBinfmt('aarch64');
    ensureBaseImages();
    const emulator = sharedEmulator('aarch64', LOCAL_QEMU['qemu-version']);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-cjob-'));

    // The action as a workflow checks it out: action.yml, patches/ and the bundle.
    const action = path.join(scratch, 'action');
    mkdirSync(action);
    cpSync(path.join(PROJECT_ROOT, 'action.yml'), path.join(action, 'action.yml'));
    cpSync(path.join(PROJECT_ROOT, 'patches'), path.join(action, 'patches'), { recursive: true });
    const dist = process.env['ANYARCH_TEST_DIST'] ?? path.join(PROJECT_ROOT, 'dist');
    cpSync(dist, path.join(action, 'dist'), { recursive: true });
    // A tool cache holding only the shared emulator's entry, marked complete.
    const tools = path.join(scratch, 'tools');
    cpSync(path.join(emulator.root, emulator.entry), path.join(tools, emulator.entry), { recursive: true });
    writeFileSync(path.join(tools, `${emulator.entry}.complete`), '');
    // The workspace: a file for the script to read, and a Dockerfile.
    const ws = path.join(scratch, 'ws');
    mkdirSync(path.join(ws, 'in'), { recursive: true });
    writeFileSync(path.join(ws, 'in', 'message.txt'), `${MESSAGE}\n`);
    writeFileSync(path.join(ws, 'Dockerfile'), `FROM ${BASE_ARM64}\nRUN uname -m > /ran-on\n`);

    const root = execFileSync(path.join(PROJECT_ROOT, 'tests', 'hosted-runner', 'make-root.sh'), {
      encoding: 'utf8',
    }).trim();
    docker('import', root, JOB_IMAGE);

    // 1 and 3: everything in the job container's own file system.
    layerOnly = startJob('layer', []);
    copyIn(layerOnly, action, ACTION);
    copyIn(layerOnly, tools, TOOLS);
    copyIn(layerOnly, ws, WS);
    // 2: the runner's directories bind-mounted from the host, at other paths.
    hostWork = path.join(scratch, 'host-work');
    hostTools = path.join(scratch, 'host-tools');
    cpSync(action, path.join(hostWork, ACTION.slice(WORK.length + 1)), { recursive: true });
    cpSync(ws, path.join(hostWork, WS.slice(WORK.length + 1)), { recursive: true });
    cpSync(tools, hostTools, { recursive: true });
    bound = startJob('bound', [`${hostWork}:${WORK}`, `${hostTools}:${TOOLS}`]);

    const script = [
      'mkdir -p out/nested',
      'uname -m > out/arch.txt',
      'cat in/message.txt > out/nested/echo.txt',
      'echo "guest read: $(cat in/message.txt)"',
    ].join('\n');
    const noBuild = { ...INPUTS, build: 'false', 'run-image': BASE_ARM64 };
    copied = runStep(layerOnly, 'copied', { ...noBuild, run: script });
    failed = runStep(layerOnly, 'failed', { ...noBuild, run: 'echo partial > out/partial.txt\nexit 7\n' });
    mapped = runStep(bound, 'mapped', {
      ...noBuild,
      run: `${script}\ngrep " $PWD " /proc/self/mountinfo > out/mount.txt\n`,
    });
    built = runStep(layerOnly, 'built', { ...INPUTS, tags: TAG, load: 'true' });
    process.stdout.write(
      `container-job: four steps in job containers took ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  });

  afterAll(() => {
    for (const job of jobs) spawnSync('docker', ['rm', '--force', job.name], { stdio: 'ignore' });
    for (const ref of [TAG, JOB_IMAGE])
      spawnSync('docker', ['image', 'rm', '--force', ref], { stdio: 'ignore' });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const ok = (r: Run) => {
    if (r.main.status !== 0) throw new Error(r.main.log.slice(-6000));
  };

  test('1. workspace only in the job container: the script reads it and its files are copied back', () => {
    ok(copied);
    expect(copied.main.outputs.get('cache-hit')).toBe('tool-cache');
    expect(copied.main.log).toMatch(
      new RegExp(
        `The action runs in container ${layerOnly.name} \\([0-9a-f]{12}\\) of the Docker daemon it uses, and the workspace ${WS} is in its own file system`,
      ),
    );
    expect(copied.main.log).toContain(
      'has no path the daemon can mount: it is copied into the "run" script\'s container',
    );
    expect(copied.main.log).toContain(`guest read: ${MESSAGE}`);
    expect(exec(layerOnly, 'cat', `${WS}/out/arch.txt`).trim()).toBe('aarch64');
    expect(exec(layerOnly, 'cat', `${WS}/out/nested/echo.txt`).trim()).toBe(MESSAGE);
    expect(copied.post.status).toBe(0);
  });

  test('1. a failing script fails the step with its exit status; what it wrote is still copied back', () => {
    expect(failed.main.status).not.toBe(0);
    expect(stepError(failed.main)).toContain(
      'The "run" script failed in the linux/arm64 guest with exit status 7',
    );
    expect(exec(layerOnly, 'cat', `${WS}/out/partial.txt`).trim()).toBe('partial');
    expect(failed.post.status).toBe(0);
  });

  test('no script container is left behind', () => {
    expect(docker('ps', '--all', '--quiet', '--filter', 'name=anyarch-run-').trim()).toBe('');
  });

  test("2. /__w and /__t bind-mounted from the host: mounted from the host's paths, the files appear there", () => {
    ok(mapped);
    const hostWs = path.join(hostWork, WS.slice(WORK.length + 1));
    expect(mapped.main.log).toContain(
      `the workspace ${WS} is mounted into the "run" script's container from the daemon's path ${hostWs}`,
    );
    expect(mapped.main.log).toMatch(
      new RegExp(`The emulator ${TOOLS}/\\S+/qemu-aarch64 is mounted from the daemon's path ${hostTools}/`),
    );
    expect(mapped.main.log).not.toContain('is copied into');
    expect(readFileSync(path.join(hostWs, 'out', 'arch.txt'), 'utf8').trim()).toBe('aarch64');
    expect(readFileSync(path.join(hostWs, 'out', 'nested', 'echo.txt'), 'utf8').trim()).toBe(MESSAGE);
    // The guest saw the workspace as a bind mount of the host directory, not a copy.
    // (mountinfo: id parent dev root mount-point ...; the root is the path in the host's file system)
    const mount = readFileSync(path.join(hostWs, 'out', 'mount.txt'), 'utf8')
      .trim()
      .split(' ');
    expect(mount[4]).toBe(WS);
    expect(mount[3]).toMatch(/\/host-work\/app\/app$/);
    expect(mapped.post.status).toBe(0);
  });

  test('3. an image build from the job container: its context goes over the API', () => {
    ok(built);
    expect(built.main.outputs.get('cache-hit')).toBe('tool-cache');
    expect(imageFile(TAG, '/ran-on').trim()).toBe('aarch64');
    expect(built.main.outputs.get('imageid')).toBe(
      docker('image', 'inspect', '--format', '{{.Id}}', TAG).trim(),
    );
    expectNoEmulator(imageFiles(TAG));
    expect(built.post.status).toBe(0);
    const created = createdImages(built.main);
    expect(created.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
    for (const ref of created) expect(imageExists(ref)).toBe(false);
    expect(exec(layerOnly, 'ls', '-A', `${WORK}/_temp`).trim()).toBe('_runner_file_commands');
  });

  test('no binfmt_misc handler ran any of it', () => {
    assertNoBinfmt('aarch64');
  });
});
