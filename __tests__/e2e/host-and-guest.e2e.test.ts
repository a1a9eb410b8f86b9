// The build host's own platform next to a guest one, as build-push-action users write it
// (`platforms: linux/amd64,linux/arm64`): the amd64 image's RUN steps run natively, not through
// an emulator, and the arm64 image's through qemu-aarch64. On the containerd image store both are
// one build (the host's variant of the emulator set is a shim that runs the command as it is),
// on the classic image store two.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { containerdImageStore, docker, imageExists, imageFile, imageFiles } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const TAG = 'anyarch-e2e/host-and-guest:latest';
// The RUN's shell starts a child that reports the machine, and another process reads the shell's
// memory map as the kernel shows it: an emulated shell is the emulator's process, with the
// emulator's file mapped.
const DOCKERFILE = `FROM anyarch-test/base:\${TARGETARCH}
RUN sh -c 'uname -m' > /machine && (grep -o '/dev/[.]anyarch/[a-z0-9-]*' /proc/$$/maps | head -n 1) > /mapped
`;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

describe('platforms: linux/amd64,linux/arm64', () => {
  const oneBuild = containerdImageStore();
  let env: RunEnv;
  let before: string;
  let result: ActionRun;
  let images: { platform: string; imageid: string; tags: string[] }[] = [];

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': DOCKERFILE }));
    result = runAction(env, {
      platforms: PLATFORMS.join(','),
      ...LOCAL_QEMU,
      context: 'docker',
      tags: TAG,
      load: 'true',
    });
    images = JSON.parse(result.main.outputs.get('images') ?? '[]') as typeof images;
  });
  afterAll(() => {
    for (const ref of [TAG, ...images.flatMap((i) => i.tags)])
      if (imageExists(ref)) docker('image', 'rm', '--force', ref);
    if (env) cleanupEnv(env);
  });

  test('main and post succeed, in one build on the containerd image store', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.outputs.get('platform')).toBe(PLATFORMS.join(','));
    expect(result.main.log.includes(`One build for ${PLATFORMS.join(', ')}`)).toBe(oneBuild);
    expect(images.map((i) => i.platform)).toEqual(PLATFORMS);
  });

  test('the amd64 RUN ran natively; the arm64 RUN through qemu-aarch64', () => {
    const read = (i: (typeof images)[number], file: string) =>
      imageFile(i.tags[0]!, file, oneBuild ? i.platform : undefined);
    const [amd64, arm64] = images as [(typeof images)[number], (typeof images)[number]];
    expect(read(amd64, '/machine')).toBe('x86_64\n');
    expect(read(amd64, '/mapped')).toBe('');
    expect(read(arm64, '/machine')).toBe('aarch64\n');
    expect(read(arm64, '/mapped')).toMatch(/^\/dev\/\.anyarch\/qemu(-aarch64)?\n$/);
  });

  test('no emulator or shim in either image; the workspace and runner temp as they were', () => {
    for (const i of images) expectNoEmulator(imageFiles(i.tags[0]!, oneBuild ? i.platform : undefined));
    expectPostCleaned(env, before, result.main);
  });
});
