// Without buildx (forced with ANYARCH_BUILDER=classic) the classic builder is used: the image is
// still built emulated, the emulator stays in it, and the log says what was lost. On the
// containerd image store Docker's legacy builder cannot build for another platform, so there
// the step must fail at once, saying so and naming buildx.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, containerdImageStore, docker, imageFile } from '../support/docker.js';
import { prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, type RunEnv } from '../support/workspace.js';

const DOCKERFILE = `FROM ${BASE_ARM64}
RUN uname -m > /arch && sh -c 'echo child-$(uname -m)' > /child
CMD ["cat", "/arch"]
`;

describe('classic builder fallback', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;
  const containerdStore = containerdImageStore();

  beforeAll(() => {
    ({ env, before } = prepareBuild({ Dockerfile: DOCKERFILE }));
    result = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU }, { extraEnv: { ANYARCH_BUILDER: 'classic' } });
  });
  afterAll(() => {
    const id = result?.main.outputs.get('imageid');
    if (id) docker('image', 'rm', '--force', id);
    if (env) cleanupEnv(env);
  });

  // One test or the other, by the daemon's image store (a skipped test would count as failed).
  if (!containerdStore)
    test('builds the image emulated and warns about what is lost', () => {
      if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
      expect(result.post.status).toBe(0);
      expect(result.main.log).toMatch(
        /::warning::docker buildx is not available, so the classic builder is used/,
      );
      const id = result.main.outputs.get('imageid')!;
      expect(id).toMatch(/^sha256:/);
      expect(docker('image', 'inspect', '--format', '{{.Architecture}}', id).trim()).toBe('arm64');
      expect(imageFile(id, '/arch').trim()).toBe('aarch64');
      expect(imageFile(id, '/child').trim()).toBe('child-aarch64');
      expect(gitStatus(env.workspace)).toBe(before);
    });

  if (containerdStore)
    test('on the containerd image store it fails before building, naming buildx', () => {
      expect(result.main.status).not.toBe(0);
      expect(result.main.log).toMatch(
        /::error::docker buildx is not available, and this daemon uses the containerd image store.*Install the buildx plugin/,
      );
      expect(result.main.log).not.toMatch(/Emulator cache key/);
      expect(result.post.status).toBe(0);
      expect(gitStatus(env.workspace)).toBe(before);
    });
});
