// keep-emulator: the emulator stays in the image and its entrypoint runs through it, so the
// image runs on this x86-64 host without binfmt_misc.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  BASE_ARM64, cleanupEnv, docker, expectPostCleaned, LOCAL_QEMU, prepareBuild, runAction, type RunEnv,
} from './harness.js';

const TAG = 'anyarch-e2e/keep:latest';
const DOCKERFILE = `FROM ${BASE_ARM64}
RUN echo "built on $(uname -m)" > /built
CMD ["cat", "/built"]
`;

describe('keep-emulator', () => {
  let env: RunEnv;
  let before: string;
  let result: ReturnType<typeof runAction>;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': DOCKERFILE }));
    result = runAction(env, {
      arch: 'arm64',
      ...LOCAL_QEMU,
      context: 'docker',
      tags: TAG,
      load: 'true',
      'keep-emulator': 'true',
    });
  });
  afterAll(() => {
    try {
      docker('image', 'rm', '--force', TAG);
    } catch {
      // already gone
    }
    if (env) cleanupEnv(env);
  });

  test('main and post succeed', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.outputs.get('imageid')).toBe(docker('image', 'inspect', '--format', '{{.Id}}', TAG).trim());
  });

  test('docker run IMAGE uname -m prints aarch64 on this host', () => {
    expect(docker('run', '--rm', TAG, 'uname', '-m').trim()).toBe('aarch64');
  });

  test('the original CMD still runs, through the emulator', () => {
    expect(docker('run', '--rm', TAG).trim()).toBe('built on aarch64');
    const config = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', TAG)) as Record<string, unknown>;
    expect(config['Cmd']).toEqual(['cat', '/built']);
    expect(config['Entrypoint']).toEqual(['/.anyarch/qemu-aarch64', '-execve', '/.anyarch/qemu-aarch64']);
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', TAG).trim()).toBe('arm64');
  });

  test('the workspace is untouched and helper images are gone', () => {
    expectPostCleaned(env, before, result.main);
  });
});
