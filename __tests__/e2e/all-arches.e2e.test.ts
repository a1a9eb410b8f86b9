// Every supported guest architecture end to end (issue 5): one step with all seven arches builds
// an image per arch from a base made of that arch's Debian packages, whose RUN step starts child
// processes under the emulator; the run script then runs in each image. No push: on the classic
// image store each image is loaded locally under <tag>-<suffix>; on the containerd image store all
// seven are one build, one multi-platform image under the tag (the host's own platform through
// the native shim). No image keeps the emulator in a layer, and post removes what the action made.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GUEST_ARCHES, unameOf } from '../support/arches.js';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  containerdImageStore,
  docker,
  ensureBase,
  imageExists,
  imageFile,
  imageFiles,
} from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

// arch input, Debian arch of the base, `uname -m` in the guest, Docker platform: every guest
// arch of src/arch.ts.
const ARCHES: readonly (readonly [string, string, string, string])[] = GUEST_ARCHES.map((a) => [
  a.id,
  a.debianArch,
  unameOf(a.id),
  a.platform,
]);

// $TARGETARCH is BuildKit's automatic arg; declaring it (ARG TARGETARCH) empties it on dockerd 20.10's frontend.
const DOCKERFILE = `FROM anyarch-test/base:\${TARGETARCH}
RUN sh -c 'echo "$(uname -m) child of $PPID"' > /child && sh -c 'cat /child' > /grandchild
`;
const SCRIPT = 'sh -c "cat /grandchild" > "ran-$(uname -m).txt"\n';

describe('all seven arches in one step', () => {
  const oneBuild = containerdImageStore();
  let env: RunEnv;
  let before: string;
  let result: ActionRun;
  const tag = 'anyarch-e2e/all:test';

  beforeAll(() => {
    assertNoBinfmt(...ARCHES.map((a) => a[0]));
    for (const [, deb] of ARCHES) ensureBase(deb);
    env = makeWorkspace({ Dockerfile: DOCKERFILE });
    before = gitStatus(env.workspace);
    result = runAction(env, {
      arch: ARCHES.map((a) => a[0]).join(','),
      ...LOCAL_QEMU,
      tags: tag,
      load: 'true',
      run: SCRIPT,
    });
  });
  afterAll(() => {
    for (const i of JSON.parse(result?.main.outputs.get('images') ?? '[]') as { tags: string[] }[]) {
      for (const ref of i.tags) if (imageExists(ref)) docker('image', 'rm', '--force', ref);
    }
    if (env) cleanupEnv(env);
  });

  test('main and post succeed for every platform', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-8000));
    expect(result.post.status).toBe(0);
    expect(result.main.outputs.get('platform')).toBe(ARCHES.map((a) => a[3]).join(','));
  });

  test('one build on the containerd image store, one build per arch (and why) on the classic one', () => {
    const platforms = ARCHES.map((a) => a[3]).join(', ');
    if (oneBuild) {
      expect(result.main.log).toContain(`One build for ${platforms} (containerd image store)`);
      expect(result.main.outputs.get('imageid')).toMatch(/^sha256:[0-9a-f]{64}$/);
    } else {
      expect(result.main.log).toContain(
        `Building ${platforms} one at a time: the daemon uses the classic image store`,
      );
      expect(result.main.outputs.get('imageid')!.split(',')).toHaveLength(ARCHES.length);
    }
  });

  test.each(ARCHES.map((a) => [...a]))(
    '%s: the image is %s-based, its RUN children ran as %s',
    (arch, _deb, uname, platform) => {
      const images = JSON.parse(result.main.outputs.get('images')!) as {
        arch: string;
        platform: string;
        tags: string[];
      }[];
      const img = images.find((i) => i.arch === arch)!;
      expect(img.platform).toBe(platform);
      const ref = img.tags[0]!;
      const own = oneBuild ? platform : undefined;
      if (oneBuild) {
        // One image for all: the tag alone, and the platform chosen from its index.
        expect(img.tags).toEqual([tag]);
        expect(imageFiles(ref, platform)).toContain('grandchild');
      } else {
        expect(ref).toBe(`${tag}-${platform.replace(/^linux\//, '').replace(/\//g, '-')}`);
        const inspect = JSON.parse(docker('image', 'inspect', ref))[0] as {
          Architecture: string;
          Os: string;
        };
        expect(`${inspect.Os}/${inspect.Architecture}`).toBe(platform.replace(/\/v7$/, ''));
      }
      expect(imageFile(ref, '/grandchild', own)).toMatch(new RegExp(`^${uname} child of \\d+\\n$`));
      // The run script ran in the same image, under the same emulator.
      expect(readFileSync(path.join(env.workspace, `ran-${uname}.txt`), 'utf8')).toBe(
        imageFile(ref, '/grandchild', own),
      );
    },
  );

  test('no layer of any of the seven images holds the emulator', () => {
    const images = JSON.parse(result.main.outputs.get('images')!) as {
      arch: string;
      platform: string;
      tags: string[];
    }[];
    expect(images.map((i) => i.arch)).toEqual(ARCHES.map((a) => a[0]));
    for (const i of images) {
      const files = imageFiles(i.tags[0]!, oneBuild ? i.platform : undefined);
      // The listing is the image's: it holds what the RUN step wrote.
      expect(files).toContain('grandchild');
      expectNoEmulator(files);
    }
  });

  test('post removed what the action made; the workspace holds only what the run script wrote', () => {
    const added = gitStatus(env.workspace)
      .split('\n')
      .filter((l) => l && !before.includes(l));
    expect(added.sort()).toEqual(ARCHES.map((a) => `?? ran-${a[2]}.txt`).sort());
    for (const a of ARCHES) rmSync(path.join(env.workspace, `ran-${a[2]}.txt`));
    expectPostCleaned(env, before, result.main);
  });
});
