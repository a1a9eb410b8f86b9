// Layers that survive between CI runs: a build pushes its layer cache to a loopback registry
// (type=inline on the classic image store, where the docker driver exports no other cache;
// type=registry with the containerd image store); the daemon's images and build cache are then
// wiped, as on a fresh runner, and the same build with cache-from takes every emulated RUN step
// from the cache: BuildKit says CACHED, and the layers are the first run's (random stamps equal).
// That holds only if the rewritten RUN steps have the same cache keys run after run, so the
// emulator image they mount must be the same image whenever the binary is.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  BASE_ARM64,
  removeImages,
  containerdImageStore,
  docker,
  imageExists,
  imageFile,
} from '../support/docker.js';
import { expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const DOCKERFILE = `FROM ${BASE_ARM64}
RUN head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /stamp1 && uname -m > /arch
RUN cat /stamp1 > /copy && \\
    head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /stamp2
RUN sh -c 'echo "third on $(uname -m)"' > /third
`;
const EMULATED_RUNS = 3;

/** BuildKit's plain progress: the step numbers of emulated RUN steps, and of the CACHED ones. */
function runSteps(log: string): { emulated: string[]; cached: Set<string> } {
  const emulated = new Set<string>();
  const cached = new Set<string>();
  for (const line of log.split('\n')) {
    const step = /^#(\d+) \[[^\]]*\] RUN .*\/dev\/\.anyarch\/qemu-aarch64/.exec(line);
    if (step) emulated.add(step[1]!);
    const hit = /^#(\d+) CACHED\s*$/.exec(line);
    if (hit) cached.add(hit[1]!);
  }
  return { emulated: [...emulated], cached };
}

describe('cache-from / cache-to: emulated layers across runs on a wiped daemon', () => {
  const containerd = containerdImageStore();
  let registry: Registry | undefined;
  let env: RunEnv;
  let before: string;
  let tag: string;
  let cacheRef: string;
  let first: ActionRun;
  let second: ActionRun;
  const stamps: string[] = [];

  /** A fresh runner's daemon: neither the image nor any build cache. */
  const wipe = () => {
    removeImages(tag);
    docker('builder', 'prune', '--all', '--force');
  };

  beforeAll(async () => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': DOCKERFILE }));
    registry = await startRegistry();
    tag = `${registry.host}/anyarch-e2e/cache:latest`;
    cacheRef = containerd ? `${registry.host}/anyarch-e2e/cache:buildcache` : tag;
    const inputs = { arch: 'arm64', ...LOCAL_QEMU, context: 'docker', tags: tag, push: 'true' };
    wipe();
    first = runAction(env, {
      ...inputs,
      'cache-to': containerd ? `type=registry,ref=${cacheRef},mode=max` : 'type=inline',
    });
    if (first.main.status === 0) stamps.push(imageFile(tag, '/stamp1'), imageFile(tag, '/stamp2'));
    wipe();
    second = runAction(env, { ...inputs, 'cache-from': `type=registry,ref=${cacheRef}` });
  });
  afterAll(async () => {
    removeImages(tag);
    await registry?.stop();
    if (env) cleanupEnv(env);
  });

  test('both runs succeed', () => {
    for (const r of [first, second]) {
      if (r.main.status !== 0) throw new Error(r.main.log.slice(-6000));
      expect(r.post.status).toBe(0);
    }
  });

  test('the first run builds every emulated RUN step; the second takes each from the cache', () => {
    const one = runSteps(first.main.log);
    expect(one.emulated).toHaveLength(EMULATED_RUNS);
    expect(one.emulated.filter((s) => one.cached.has(s))).toEqual([]);
    const two = runSteps(second.main.log);
    expect(two.emulated).toHaveLength(EMULATED_RUNS);
    expect(two.emulated.filter((s) => !two.cached.has(s))).toEqual([]);
  });

  test("the second run's image has the first run's layers", () => {
    expect(imageExists(tag) || docker('pull', tag) !== '').toBe(true);
    expect([imageFile(tag, '/stamp1'), imageFile(tag, '/stamp2')]).toEqual(stamps);
    expect(imageFile(tag, '/copy')).toBe(stamps[0]);
    expect(imageFile(tag, '/third')).toBe('third on aarch64\n');
  });

  test('post removed what the second run made; the workspace and runner temp as they were', () => {
    expectPostCleaned(env, before, second.main);
  });
});
