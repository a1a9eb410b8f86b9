// ONBUILD triggers of a guest base image. A base built through the action for aarch64 carries
// `ONBUILD RUN`, `ONBUILD ARG` and `ONBUILD ENV`; a child built FROM it through the action runs
// them through the emulator (before: "exec /bin/sh: exec format error", BuildKit ran them as they
// are), in the child's context (its build args, the base's WORKDIR), before the child's own
// instructions. The base keeps its triggers as written, the child has none, and the copy of the
// base the build used goes with the post step. A failing RUN below the FROM is still annotated
// at the user's line, though the triggers' lines push it down in the rewritten file. On the
// containerd image store a multi-platform base is built for two arches, and so is its child:
// one arch at a time, each with that platform's base.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  BASE_ARM64,
  containerdImageStore,
  docker,
  imageExists,
  imageFile,
  imageFiles,
  removeImages,
} from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { createdImages, runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, makeWorkspace, type RunEnv } from '../support/workspace.js';
import { assertNoBinfmt } from '../support/binfmt.js';
import { errorCommands } from '../support/workflow-commands.js';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const BASE_TAG = `anyarch-e2e/onbuild-base:${RUN_ID}`;
const CHILD_TAG = `anyarch-e2e/onbuild-child:${RUN_ID}`;

const TRIGGERS = [
  'RUN uname -m > /onbuild-ran && pwd > /onbuild-pwd',
  'ARG FLAVOR=plain',
  'RUN echo "$FLAVOR" > /onbuild-flavor',
  'ENV ONBUILD_ENV="from the base"',
];

const baseDockerfile = (from: string) => `FROM ${from}
WORKDIR /srv
RUN uname -m > /base-arch
${TRIGGERS.map((t) => `ONBUILD ${t}`).join('\n')}
`;

const CHILD = `FROM ${BASE_TAG} AS child
RUN echo "$ONBUILD_ENV" > /child-saw-env && cat /onbuild-ran > /child-saw-trigger
`;

// Line 4 fails; in the rewritten file the four triggers' lines push it down to line 8.
const FAILING_CHILD = `FROM ${BASE_TAG}
# the triggers run here
RUN echo before
RUN echo "failing on $(uname -m)" && exit 3
`;

/** The base's OnBuild list as the daemon has it. */
function onbuildOf(ref: string): unknown {
  return JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.OnBuild}}', ref));
}

/** Images whose repository is the action's copy of a base without triggers. */
function derivedImages(main: ActionRun['main']): string[] {
  return createdImages(main).filter((r) => r.startsWith('anyarch-onbuild:'));
}

describe('ONBUILD triggers of an aarch64 base image built through the action', () => {
  let baseEnv: RunEnv;
  let childEnv: RunEnv;
  let failEnv: RunEnv;
  let childBefore: string;
  let base: ActionRun;
  let child: ActionRun;
  let failing: ActionRun;

  beforeAll(() => {
    ({ env: baseEnv } = prepareBuild({ Dockerfile: baseDockerfile(BASE_ARM64) }));
    base = runAction(baseEnv, { arch: 'aarch64', ...LOCAL_QEMU, tags: BASE_TAG, load: 'true' });
    ({ env: childEnv, before: childBefore } = prepareBuild({ Dockerfile: CHILD }));
    child = runAction(childEnv, {
      arch: 'aarch64',
      ...LOCAL_QEMU,
      tags: CHILD_TAG,
      load: 'true',
      'build-args': 'FLAVOR=given',
    });
    failEnv = makeWorkspace({ 'docker/Dockerfile': FAILING_CHILD });
    failing = runAction(failEnv, { arch: 'aarch64', ...LOCAL_QEMU, context: 'docker' });
  });
  afterAll(() => {
    removeImages(CHILD_TAG, BASE_TAG);
    for (const e of [baseEnv, childEnv, failEnv]) if (e) cleanupEnv(e);
  });

  test('the base builds and keeps its triggers as written', () => {
    if (base.main.status !== 0) throw new Error(base.main.log.slice(-6000));
    expect(base.post.status).toBe(0);
    expect(onbuildOf(BASE_TAG)).toEqual(TRIGGERS);
  });

  test('the child builds, its triggers through the emulator, and says so', () => {
    if (child.main.status !== 0) throw new Error(child.main.log.slice(-6000));
    expect(child.post.status).toBe(0);
    expect(child.main.log).toContain(`The base image ${BASE_TAG} (line 1) has 4 ONBUILD trigger(s)`);
    expect(child.main.log).not.toMatch(/exec format error/);
  });

  test("the triggers ran in the child's context, before its own instructions", () => {
    expect(imageFile(CHILD_TAG, '/onbuild-ran').trim()).toBe('aarch64');
    expect(imageFile(CHILD_TAG, '/onbuild-pwd').trim()).toBe('/srv');
    expect(imageFile(CHILD_TAG, '/onbuild-flavor').trim()).toBe('given');
    expect(imageFile(CHILD_TAG, '/child-saw-env').trim()).toBe('from the base');
    expect(imageFile(CHILD_TAG, '/child-saw-trigger').trim()).toBe('aarch64');
    expect(imageFile(CHILD_TAG, '/base-arch').trim()).toBe('aarch64');
  });

  test('the child is a clean arm64 image: the ENV, no triggers, no emulator', () => {
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', CHILD_TAG).trim()).toBe(
      'linux/arm64',
    );
    const config = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', CHILD_TAG)) as {
      Env?: string[];
      OnBuild?: unknown;
      WorkingDir?: string;
    };
    expect(config.Env).toContain('ONBUILD_ENV=from the base');
    expect(config.OnBuild ?? null).toBeNull();
    expect(config.WorkingDir).toBe('/srv');
    expect(JSON.stringify(config)).not.toMatch(/anyarch|qemu/);
    expectNoEmulator(imageFiles(CHILD_TAG));
  });

  test('the base still has its triggers, and the copy without them is gone', () => {
    expect(onbuildOf(BASE_TAG)).toEqual(TRIGGERS);
    const derived = derivedImages(child.main);
    expect(derived).toHaveLength(1);
    expect(derived[0]).toMatch(/^anyarch-onbuild:[0-9a-f]{16}-[A-Za-z0-9_.-]+$/);
    for (const ref of derived) expect(imageExists(ref)).toBe(false);
    expectPostCleaned(childEnv, childBefore, child.main);
  });

  test("a failing RUN below the triggers is annotated at the user's line", () => {
    expect(failing.main.status).toBe(1);
    expect(failing.main.log).toContain('failing on aarch64');
    const [annotation, ...rest] = errorCommands(failing.main.log).map((c) => c.props);
    expect(rest).toEqual([]);
    expect(annotation?.get('file')).toBe('docker/Dockerfile');
    expect(annotation?.get('line')).toBe('4');
    expect(annotation?.get('title')).toBe('RUN failed at docker/Dockerfile:4');
    // BuildKit's own excerpt (Docker 23 and newer) names the rewritten file's line.
    const major = Number(docker('version', '--format', '{{.Server.Version}}').split('.')[0]);
    expect(/^Dockerfile:(\d+)$/m.exec(failing.main.log)?.[1]).toBe(major >= 23 ? '8' : undefined);
    expect(failing.post.status).toBe(0);
    for (const ref of derivedImages(failing.main)) expect(imageExists(ref)).toBe(false);
  });

  test('no binfmt_misc handler appeared', () => {
    assertNoBinfmt('aarch64');
  });
});

// The containerd image store builds several arches in one build, where a copy of a base serves
// one platform only: with a base that has triggers, the arches are built one at a time. Not
// defined on the classic store (a skipped test counts as not run in the test stages).
if (containerdImageStore())
  describe('ONBUILD triggers of a multi-platform base (containerd image store)', () => {
    const baseTag = `anyarch-e2e/onbuild-multi:${RUN_ID}`;
    const childTag = `anyarch-e2e/onbuild-multi-child:${RUN_ID}`;
    let baseEnv: RunEnv;
    let childEnv: RunEnv;
    let base: ActionRun;
    let child: ActionRun;

    beforeAll(() => {
      ({ env: baseEnv } = prepareBuild({ Dockerfile: baseDockerfile('anyarch-test/base:${TARGETARCH}') }));
      base = runAction(baseEnv, { arch: 'aarch64,x86_64', ...LOCAL_QEMU, tags: baseTag, load: 'true' });
      childEnv = makeWorkspace({
        Dockerfile: `FROM ${baseTag}\nRUN cat /onbuild-ran > /child-saw-trigger\n`,
      });
      child = runAction(childEnv, { arch: 'aarch64,x86_64', ...LOCAL_QEMU, tags: childTag, load: 'true' });
    });
    afterAll(() => {
      removeImages(`${childTag}-arm64`, `${childTag}-amd64`, childTag, baseTag);
      for (const e of [baseEnv, childEnv]) if (e) cleanupEnv(e);
    });

    test('the base is one build; the child is built one arch at a time, and says why', () => {
      if (base.main.status !== 0) throw new Error(base.main.log.slice(-6000));
      expect(base.main.log).toContain('One build for linux/arm64, linux/amd64');
      if (child.main.status !== 0) throw new Error(child.main.log.slice(-6000));
      expect(child.main.log).toContain(
        `Building linux/arm64, linux/amd64 one at a time: the base image ${baseTag} (line 1) has ONBUILD triggers`,
      );
      expect(child.post.status).toBe(0);
    });

    test("each arch's child ran the triggers on its own platform", () => {
      const images = JSON.parse(child.main.outputs.get('images') ?? '[]') as {
        platform: string;
        imageid: string;
      }[];
      const byPlatform = new Map(images.map((i) => [i.platform, i.imageid]));
      expect(imageFile(byPlatform.get('linux/arm64')!, '/child-saw-trigger').trim()).toBe('aarch64');
      expect(imageFile(byPlatform.get('linux/amd64')!, '/child-saw-trigger').trim()).toBe('x86_64');
      expect(onbuildOf(baseTag)).toEqual(TRIGGERS);
      for (const ref of derivedImages(child.main)) expect(imageExists(ref)).toBe(false);
    });
  });
