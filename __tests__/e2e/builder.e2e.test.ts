// After docker/setup-buildx-action a docker-container builder is current. Here one is created
// and `use`d the same way (it never boots): the action still builds on the Docker context's
// docker-driver builder, says why, and leaves the current builder as it was; naming the
// container builder in the "builder" input is refused with the reason.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, docker, imageFile, imageFiles } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const BUILDER = `anyarch-e2e-${randomBytes(4).toString('hex')}`;
const TAG = `anyarch-e2e/builder:${BUILDER}`;
const DOCKERFILE = `FROM ${BASE_ARM64}
RUN sh -c 'uname -m' > /ran-on
`;

/** Name and driver of the current builder, from `docker buildx inspect`. */
function currentBuilder(): { name: string; driver: string } {
  const out = docker('buildx', 'inspect');
  return { name: /^Name:\s*(\S+)/m.exec(out)![1]!, driver: /^Driver:\s*(\S+)/m.exec(out)![1]! };
}

describe('a docker-container builder is current (as after docker/setup-buildx-action)', () => {
  let env: RunEnv;
  let before: string;
  let previous: string;
  let result: ActionRun;
  let named: ActionRun;
  let currentAfter: { name: string; driver: string };

  beforeAll(() => {
    ({ env, before } = prepareBuild({ Dockerfile: DOCKERFILE }));
    previous = currentBuilder().name;
    // What setup-buildx-action does, without --bootstrap: nothing starts.
    docker('buildx', 'create', '--name', BUILDER, '--driver', 'docker-container', '--use');
    expect(currentBuilder()).toEqual({ name: BUILDER, driver: 'docker-container' });
    result = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU, tags: TAG, load: 'true' });
    currentAfter = currentBuilder();
    named = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU, builder: BUILDER });
  });
  afterAll(() => {
    spawnSync('docker', ['buildx', 'use', previous ?? 'default'], { stdio: 'ignore' });
    spawnSync('docker', ['buildx', 'rm', '--force', BUILDER], { stdio: 'ignore' });
    spawnSync('docker', ['image', 'rm', '--force', TAG], { stdio: 'ignore' });
    if (env) cleanupEnv(env);
  });

  test('the build succeeds on the docker driver, and the log says why', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.log).toMatch(
      new RegExp(
        `::notice::The current buildx builder is "${BUILDER}" \\(docker-container driver\\).*building with "default" \\(docker driver\\)`,
      ),
    );
    expect(result.main.log).toContain('buildx builder "default"');
    expect(result.main.log).toContain('--builder default');
  });

  test('the RUN step ran under the emulator, and no emulator is left in the image', () => {
    expect(imageFile(TAG, '/ran-on').trim()).toBe('aarch64');
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', TAG).trim()).toBe('arm64');
    expectNoEmulator(imageFiles(TAG));
  });

  test('the current builder is what it was before the step', () => {
    expect(currentAfter).toEqual({ name: BUILDER, driver: 'docker-container' });
  });

  test('"builder" naming the container builder fails with what would go wrong, before any build', () => {
    expect(named.main.status).not.toBe(0);
    expect(named.main.log).toMatch(
      new RegExp(
        `::error::Input "builder" names "${BUILDER}", a buildx builder with the docker-container driver.*cannot see the local emulator image`,
      ),
    );
    expect(named.main.log).not.toMatch(/Emulator cache key/);
    expect(named.post.status).toBe(0);
  });

  test('post removed what the action made; the workspace is as it was', () => {
    expectPostCleaned(env, before, result.main);
  });
});
