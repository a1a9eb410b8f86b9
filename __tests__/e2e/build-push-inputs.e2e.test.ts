// build-push-action's inputs on emulated RUN steps: a secret (from a value and from an
// environment variable) reaches RUN --mount=type=secret and is nowhere in the image or the log;
// ssh forwards a real ssh-agent to RUN --mount=type=ssh (a static aarch64 client run through the
// emulator lists the agent's key); a named build context is mounted in a guest stage (Docker 23
// and newer; older daemons get a clear refusal); the metadata output is buildx's JSON.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  BASE_ARM64,
  removeImages,
  docker,
  ensureBaseImages,
  imageFile,
  imageFiles,
} from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned } from '../support/image-test.js';
import { PROJECT_ROOT } from '../support/project.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, stepError, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

const TAG = 'anyarch-e2e/inputs:latest';
const engineMajor = (): number => Number(docker('version', '--format', '{{.Server.Version}}').split('.')[0]);

function dockerfile(withContext: boolean): string {
  return `FROM ${BASE_ARM64}
COPY agent-identities /usr/local/bin/agent-identities
RUN --mount=type=secret,id=token \\
    sh -c 'uname -m > /arch' && \\
    sha256sum /run/secrets/token | cut -c1-64 > /token.sha256
RUN --mount=type=secret,id=fromenv wc -c < /run/secrets/fromenv > /fromenv.bytes
RUN --mount=type=ssh agent-identities > /ssh-keys
${withContext ? 'RUN --mount=type=bind,from=extra,target=/extra cp /extra/hello.txt /from-context\n' : ''}`;
}

/** A running ssh-agent holding one new key whose comment is `comment`. */
function startAgent(dir: string, comment: string): { socket: string; agent: ChildProcess } {
  const socket = path.join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) execFileSync('sleep', ['0.05']);
  const key = path.join(dir, 'key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', key]);
  execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
  return { socket, agent };
}

describe('build-push-action inputs: secrets, ssh, build-contexts, metadata', () => {
  const secret = `s3cr3t,${randomBytes(12).toString('hex')}`;
  const envSecret = `env-${randomBytes(12).toString('hex')}`;
  const keyComment = `anyarch-e2e-${randomBytes(4).toString('hex')}`;
  const withContext = engineMajor() >= 23;
  let env: RunEnv;
  let before: string;
  let agentDir: string;
  let agent: ChildProcess | undefined;
  let result: ActionRun;

  beforeAll(() => {
    assertNoBinfmt('aarch64');
    ensureBaseImages();
    env = makeWorkspace({
      'docker/Dockerfile': dockerfile(withContext),
      'extra/hello.txt': 'hello from the named context\n',
    });
    execFileSync('aarch64-linux-gnu-gcc', [
      '-static',
      '-O2',
      '-o',
      path.join(env.workspace, 'docker', 'agent-identities'),
      path.join(PROJECT_ROOT, '__tests__', 'support', 'programs', 'agent-identities.c'),
    ]);
    before = gitStatus(env.workspace);
    agentDir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-agent-'));
    const started = startAgent(agentDir, keyComment);
    agent = started.agent;
    result = runAction(
      env,
      {
        platforms: 'linux/arm64',
        ...LOCAL_QEMU,
        context: 'docker',
        tags: TAG,
        load: 'true',
        // Quoted: the value holds a comma (build-push-action's CSV syntax).
        secrets: `"token=${secret}"`,
        'secret-envs': 'fromenv=ANYARCH_E2E_SECRET',
        ssh: 'default',
        // Secret mounts are not part of BuildKit's cache keys: without this a second run of the
        // test would reuse the first one's layers, with its secret's digest and key.
        'no-cache': 'true',
        ...(withContext ? { 'build-contexts': 'extra=extra' } : {}),
      },
      { extraEnv: { SSH_AUTH_SOCK: started.socket, ANYARCH_E2E_SECRET: envSecret } },
    );
  });
  afterAll(() => {
    agent?.kill();
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
    removeImages(TAG);
    if (env) cleanupEnv(env);
  });

  test('main and post succeed, every RUN emulated', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(imageFile(TAG, '/arch')).toBe('aarch64\n');
  });

  test('the secrets reached the RUN steps', () => {
    expect(imageFile(TAG, '/token.sha256').trim()).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(imageFile(TAG, '/fromenv.bytes').trim()).toBe(String(envSecret.length));
  });

  test('no secret is in the image, its history or the log (the runner hides the masked lines)', () => {
    const saved = execFileSync('docker', ['image', 'save', TAG], { maxBuffer: 1 << 30 });
    for (const s of [secret, envSecret]) {
      expect(saved.includes(s)).toBe(false);
      expect(docker('history', '--no-trunc', TAG).includes(s)).toBe(false);
    }
    const notMasks = result.main.log.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(notMasks.filter((l) => l.includes(secret) || l.includes(envSecret))).toEqual([]);
    // The value was registered for masking; the environment one is the workflow's to mask.
    expect(result.main.log).toContain(`::add-mask::${secret}`);
    expect(imageFiles(TAG).filter((f) => f.startsWith('run/secrets/') && f !== 'run/secrets/')).toEqual([]);
  });

  test('ssh: default forwards the agent to the emulated RUN', () => {
    expect(imageFile(TAG, '/ssh-keys')).toBe(`${keyComment}\n`);
  });

  test('build-contexts: a named context is mounted in a guest stage, or refused before the build', () => {
    if (withContext) {
      expect(imageFile(TAG, '/from-context')).toBe('hello from the named context\n');
      return;
    }
    const refused = runAction(env, {
      arch: 'arm64',
      ...LOCAL_QEMU,
      context: 'docker',
      'build-contexts': 'extra=extra',
    });
    expect(refused.main.status).toBe(1);
    expect(stepError(refused.main)).toMatch(
      /^Input "build-contexts": named build contexts need Docker Engine 23/,
    );
    expect(refused.post.status).toBe(0);
  });

  test("metadata is buildx's JSON for the image", () => {
    const meta = JSON.parse(result.main.outputs.get('metadata') ?? '') as Record<string, unknown>;
    expect(meta['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta['buildx.build.ref']).toMatch(/^default\/default\/\w+$/);
  });

  test('no emulator in the image; the workspace and runner temp as they were', () => {
    expectNoEmulator(imageFiles(TAG));
    expectPostCleaned(env, before, result.main);
    expect(readFileSync(path.join(env.workspace, 'docker', 'Dockerfile'), 'utf8')).toBe(
      dockerfile(withContext),
    );
  });
});
