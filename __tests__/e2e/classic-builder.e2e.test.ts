// Without buildx (forced with ANYARCH_BUILDER=classic) the classic builder is used: the image is
// still built emulated, the emulator stays in it, and the log says what was lost.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  BASE_ARM64, cleanupEnv, docker, gitStatus, imageFile, LOCAL_QEMU, prepareBuild, runAction, type RunEnv,
} from './harness.js';

const DOCKERFILE = `FROM ${BASE_ARM64}
RUN uname -m > /arch && sh -c 'echo child-$(uname -m)' > /child
CMD ["cat", "/arch"]
`;

describe('classic builder fallback', () => {
  let env: RunEnv;
  let before: string;
  let result: ReturnType<typeof runAction>;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ Dockerfile: DOCKERFILE }));
    result = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU }, { ANYARCH_BUILDER: 'classic' });
  });
  afterAll(() => {
    const id = result?.main.outputs.get('imageid');
    if (id) docker('image', 'rm', '--force', id);
    if (env) cleanupEnv(env);
  });

  test('builds the image emulated and warns about what is lost', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.log).toMatch(/::warning::docker buildx is not available, so the classic builder is used/);
    const id = result.main.outputs.get('imageid')!;
    expect(id).toMatch(/^sha256:/);
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', id).trim()).toBe('arm64');
    expect(imageFile(id, '/arch').trim()).toBe('aarch64');
    expect(imageFile(id, '/child').trim()).toBe('child-aarch64');
    expect(gitStatus(env.workspace)).toBe(before);
  });
});
