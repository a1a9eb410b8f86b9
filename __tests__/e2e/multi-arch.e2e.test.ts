// Several arches in one step (issue 5): `arch: aarch64,arm,riscv64` with push, on a real registry.
// On the classic image store each arch is built through its emulator and pushed under
// <tag>-<suffix>, and the tag is published as a manifest list of them; on the containerd image
// store the three are one build, pushed as one index under the tag alone, with no per-arch tag.
// The `run` script then runs inside each image under emulation with the workspace mounted. A
// failing script fails the step with its exit status.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { guestArch, platformRecord, unameOf, type GuestArchId } from '../support/arches.js';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  BASE_ARM64,
  containerdImageStore,
  docker,
  dockerArch,
  ensureBase,
  ensureBaseImages,
  imageExists,
  imageFile,
} from '../support/docker.js';
import { expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

const ARCHES: readonly GuestArchId[] = ['aarch64', 'arm', 'riscv64'];
// uname -m in each guest, and the platform buildx records (from src/arch.ts).
const UNAME: Record<string, string> = Object.fromEntries(ARCHES.map((a) => [a, unameOf(a)]));
const PLATFORMS = ARCHES.map((a) => platformRecord(guestArch(a).platform));

// $TARGETARCH is BuildKit's automatic arg; declaring it (ARG TARGETARCH) empties it on dockerd 20.10's frontend.
const DOCKERFILE = `FROM anyarch-test/base:\${TARGETARCH}
RUN sh -c 'echo built-on-$(uname -m)' > /arch-child && sh -c 'uname -m > /ran-on'
`;
// Runs in each guest: a child process reads what the image's RUN step wrote, into the workspace.
const SCRIPT = `set -u
m=$(uname -m)
sh -c "cat /arch-child" > "run-$m.txt"
echo "ran in $m"
`;

const REPO = 'anyarch-e2e/multi';
const LIST_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');
const IMAGE_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

interface Descriptor {
  digest: string;
  platform?: { architecture: string; os: string; variant?: string };
}

describe('three arches in one step, pushed as one multi-arch tag, with a run script', () => {
  const oneBuild = containerdImageStore();
  let registry: Registry | undefined;
  let env: RunEnv;
  let before: string;
  let tag: string;
  let result: ActionRun;

  const get = async (p: string, accept: string) => {
    const r = await fetch(`http://${registry!.host}/v2/${REPO}/${p}`, { headers: { Accept: accept } });
    return {
      status: r.status,
      digest: r.headers.get('docker-content-digest'),
      body: Buffer.from(await r.arrayBuffer()),
    };
  };

  beforeAll(async () => {
    assertNoBinfmt(...ARCHES);
    ensureBaseImages();
    for (const a of ARCHES) ensureBase(guestArch(a).debianArch);
    registry = await startRegistry();
    tag = `${registry.host}/${REPO}:1.0`;
    env = makeWorkspace({ Dockerfile: DOCKERFILE });
    before = gitStatus(env.workspace);
    result = runAction(env, { arch: ARCHES.join(','), ...LOCAL_QEMU, push: 'true', tags: tag, run: SCRIPT });
  });
  afterAll(async () => {
    for (const i of JSON.parse(result?.main.outputs.get('images') ?? '[]') as {
      imageid: string;
      tags: string[];
    }[]) {
      for (const ref of [...i.tags, i.imageid])
        if (ref && imageExists(ref)) docker('image', 'rm', '--force', ref);
    }
    if (env) cleanupEnv(env);
    await registry?.stop();
  });

  test('main and post succeed; the outputs name three platforms and one list digest', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-8000));
    if (result.post.status !== 0) throw new Error(result.post.log.slice(-3000));
    const o = result.main.outputs;
    expect(o.get('platform')).toBe(ARCHES.map((a) => guestArch(a).platform).join(','));
    expect(o.get('digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(o.get('imageid')!.split(',')).toHaveLength(oneBuild ? 1 : 3);
    const platforms = ARCHES.map((a) => guestArch(a).platform).join(', ');
    expect(result.main.log).toContain(
      oneBuild
        ? `One build for ${platforms}`
        : `Building ${platforms} one at a time: the daemon uses the classic image store`,
    );
    // One QEMU build (or none, when cached) for all three emulators.
    expect((result.main.log.match(/Configuring: \.\.\/configure/g) ?? []).length).toBeLessThanOrEqual(1);
  });

  test('the registry serves the tag as a manifest list of the three images, under the digest output', async () => {
    const list = await get('manifests/1.0', LIST_TYPES);
    expect(list.status).toBe(200);
    expect(list.digest).toBe(result.main.outputs.get('digest'));
    const manifests = (JSON.parse(list.body.toString('utf8')) as { manifests: Descriptor[] }).manifests;
    expect(manifests.map((m) => m.platform)).toEqual(PLATFORMS);
    const images = JSON.parse(result.main.outputs.get('images')!) as {
      arch: string;
      digest: string;
      tags: string[];
    }[];
    expect(images.map((i) => i.arch)).toEqual(ARCHES);
    expect(images.map((i) => i.digest)).toEqual(manifests.map((m) => m.digest));
    const tagList = await get('tags/list', 'application/json');
    const tags = (JSON.parse(tagList.body.toString('utf8')) as { tags: string[] }).tags;
    if (oneBuild) {
      // One index under the tag, and no per-arch tag anywhere.
      expect(tags).toEqual(['1.0']);
      for (const i of images) expect(i.tags).toEqual([tag]);
      return;
    }
    expect(tags.sort()).toEqual(['1.0', ...images.map((i) => i.tags[0]!.split(':').pop()!)].sort());
    // Each arch's own tag serves that arch's image.
    for (const [n, i] of images.entries()) {
      expect(i.tags).toEqual([
        `${registry!.host}/${REPO}:1.0-${guestArch(ARCHES[n]!)
          .platform.replace(/^linux\//, '')
          .replace(/\//g, '-')}`,
      ]);
      const own = await get(`manifests/${i.tags[0]!.split(':').pop()}`, IMAGE_TYPES);
      expect(own.status).toBe(200);
      expect(own.digest).toBe(i.digest);
    }
  });

  test("every image's RUN step ran under its own emulator", () => {
    const images = JSON.parse(result.main.outputs.get('images')!) as {
      arch: string;
      platform: string;
      imageid: string;
    }[];
    expect(images.map((i) => i.arch)).toEqual(ARCHES);
    for (const i of images) {
      // One multi-platform image on the containerd store: its platforms are in the registry's index.
      const own = oneBuild ? i.platform : undefined;
      if (!oneBuild) {
        const inspect = JSON.parse(docker('image', 'inspect', i.imageid))[0] as { Architecture: string };
        expect(inspect.Architecture).toBe(dockerArch(guestArch(i.arch as GuestArchId).debianArch));
      }
      // Written in the image by processes the RUN shell started: a child shell, and uname as a
      // grandchild, each of which reports the guest machine only when run by that arch's emulator.
      expect(imageFile(i.imageid, '/ran-on', own)).toBe(`${UNAME[i.arch]}\n`);
      expect(imageFile(i.imageid, '/arch-child', own)).toBe(`built-on-${UNAME[i.arch]}\n`);
    }
  });

  test('the run script ran in each guest, its child processes too, with the workspace mounted', () => {
    for (const a of ARCHES) {
      expect(readFileSync(path.join(env.workspace, `run-${UNAME[a]}.txt`), 'utf8')).toBe(
        `built-on-${UNAME[a]}\n`,
      );
      expect(result.main.log).toContain(`ran in ${UNAME[a]}`);
    }
  });

  test('post removed what the action made; the workspace holds only what the script wrote', () => {
    const added = gitStatus(env.workspace)
      .split('\n')
      .filter((l) => l && !before.includes(l));
    expect(added.sort()).toEqual(ARCHES.map((a) => `?? run-${UNAME[a]}.txt`).sort());
    for (const a of ARCHES) rmSync(path.join(env.workspace, `run-${UNAME[a]}.txt`));
    expectPostCleaned(env, before, result.main);
  });
});

describe('a failing run script fails the step with its exit status', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'README.md': 'fixture\n' }));
    result = runAction(env, {
      arch: 'aarch64',
      ...LOCAL_QEMU,
      build: 'false',
      'run-image': BASE_ARM64,
      run: 'echo "before in $(uname -m)"\nsh -c "exit 7"\necho after\n',
    });
  });
  afterAll(() => {
    if (env) cleanupEnv(env);
  });

  test('the step exits with 7, after the lines before the failure', () => {
    expect(result.main.status).toBe(7);
    expect(result.main.log).toContain('before in aarch64');
    expect(result.main.log).not.toMatch(/^after$/m);
    expect(result.main.log).toMatch(
      /::error::The "run" script failed in the linux\/arm64 guest with exit status 7/,
    );
  });

  test('post succeeds and leaves nothing behind', () => {
    expect(result.post.status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
  });
});
