// Two jobs on one daemon and one tool cache, as on a self-hosted runner: the same arch, the same
// emulator binary. Job A (keep-emulator) stops inside an emulated RUN step until the test lets it
// go on; meanwhile job B builds and its post step cleans up. A's second build then takes the
// emulator from the local image store again: it must still be there, because each run tags the
// emulator image for itself and removes only its own tags. After both posts nothing of either
// run is left.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, removeImages, docker, imageExists } from '../support/docker.js';
import { prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import {
  createdImages,
  runAction,
  runPost,
  startMain,
  type ActionRun,
  type StepResult,
} from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const TAG_A = 'anyarch-e2e/shared-a:latest';
const TAG_B = 'anyarch-e2e/shared-b:latest';

describe("two jobs sharing a daemon: one post step does not take the other job's images", () => {
  let server: Server;
  let released = false;
  let envA: RunEnv;
  let envB: RunEnv;
  let mainA: StepResult;
  let postA: StepResult;
  let b: ActionRun;
  let aTagsWhileWaiting: string[] = [];
  let aTagsPresentAfterBPost: boolean[] = [];

  beforeAll(async () => {
    let waiting!: () => void;
    const aIsWaiting = new Promise<void>((resolve) => (waiting = resolve));
    server = createServer((_req, res) => {
      waiting();
      res.statusCode = released ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // Polls the test's server from inside the emulated step (host network), for up to 5 minutes.
    const dockerfileA = `FROM ${BASE_ARM64}
RUN n=0; until wget -q -O /dev/null http://127.0.0.1:${port}/go; do n=$((n+1)); [ $n -lt 1500 ] || exit 9; sleep 0.2; done; uname -m > /a
CMD ["cat", "/a"]
`;
    ({ env: envA } = prepareBuild({ 'docker/Dockerfile': dockerfileA }));
    ({ env: envB } = prepareBuild({ 'docker/Dockerfile': `FROM ${BASE_ARM64}\nRUN uname -m > /b\n` }));
    const common = { arch: 'arm64', ...LOCAL_QEMU, context: 'docker', load: 'true', 'no-cache': 'true' };
    const a = startMain(envA, { ...common, tags: TAG_A, 'keep-emulator': 'true', network: 'host' });
    await aIsWaiting;
    // A is inside its RUN step, its emulator image tagged and in use.
    aTagsWhileWaiting = docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'anyarch-emu')
      .split('\n')
      .filter(Boolean);
    b = runAction(envB, { ...common, tags: TAG_B });
    aTagsPresentAfterBPost = aTagsWhileWaiting.map((t) => imageExists(t));
    released = true;
    mainA = await a.done;
    postA = runPost(a.step, mainA);
  });
  afterAll(async () => {
    removeImages(TAG_A, TAG_B);
    await new Promise((resolve) => server?.close(resolve));
    if (envA) cleanupEnv(envA);
    if (envB) cleanupEnv(envB);
  });

  test('job B ran whole (main and post) while job A waited in its emulated step', () => {
    if (b.main.status !== 0) throw new Error(b.main.log.slice(-4000));
    expect(b.post.status).toBe(0);
    expect(aTagsWhileWaiting.length).toBeGreaterThan(0);
  });

  test("B's post left A's emulator image alone, and A's second build found it", () => {
    expect(aTagsPresentAfterBPost.every(Boolean)).toBe(true);
    if (mainA.status !== 0) throw new Error(mainA.log.slice(-4000));
    expect(postA.status).toBe(0);
    expect(docker('run', '--rm', TAG_A).trim()).toBe('aarch64');
  });

  test('each run tagged the emulator image for itself; after both posts neither run left any', () => {
    const emuA = createdImages(mainA).filter((r) => r.startsWith('anyarch-emu:'));
    const emuB = createdImages(b.main).filter((r) => r.startsWith('anyarch-emu:'));
    expect(emuA).toHaveLength(1);
    expect(emuB).toHaveLength(1);
    expect(emuA[0]).not.toBe(emuB[0]);
    for (const ref of [...createdImages(mainA), ...createdImages(b.main)])
      expect(imageExists(ref)).toBe(false);
  });
});
