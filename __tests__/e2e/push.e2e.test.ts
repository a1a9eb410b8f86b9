// push: true against a real registry (Debian's docker-registry on loopback): the manifest the
// registry serves for the tag is the action's "digest" output, and it describes the arm64 image
// whose emulated RUN step wrote a file.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import { BASE_ARM64, docker, ensureBaseImages, imageExists } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, makeWorkspace, type RunEnv } from '../support/workspace.js';

const DOCKERFILE = `FROM ${BASE_ARM64}
RUN sh -c 'echo child-$(uname -m)' > /pushed-child
CMD ["cat", "/pushed-child"]
`;

const REPO = 'anyarch-e2e/push';
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { architecture: string; os: string };
}
interface Manifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

describe('push: true to a loopback registry', () => {
  let registry: Registry | undefined;
  let env: RunEnv;
  let before: string;
  let tag: string;
  let result: ActionRun;
  let blobDir: string;

  const get = async (p: string, accept?: string) => {
    const r = await fetch(`http://${registry!.host}/v2/${p}`, accept ? { headers: { Accept: accept } } : {});
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  };
  const blob = async (digest: string) => {
    const r = await get(`${REPO}/blobs/${digest}`);
    expect(r.status).toBe(200);
    expect(`sha256:${createHash('sha256').update(r.body).digest('hex')}`).toBe(digest);
    return r.body;
  };
  /** The arm64 image manifest the tag points to (through an index, should it be one). */
  const imageManifest = async (): Promise<Manifest> => {
    const r = await get(`${REPO}/manifests/test`, MANIFEST_TYPES.join(', '));
    let m = JSON.parse(r.body.toString('utf8')) as Manifest;
    if (m.manifests) {
      const d = m.manifests.find((x) => x.platform?.architecture === 'arm64' && x.platform.os === 'linux');
      expect(d).toBeDefined();
      m = JSON.parse(
        (await get(`${REPO}/manifests/${d!.digest}`, MANIFEST_TYPES.join(', '))).body.toString('utf8'),
      ) as Manifest;
    }
    return m;
  };

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    const insecure = JSON.parse(
      docker('info', '--format', '{{json .RegistryConfig.InsecureRegistryCIDRs}}'),
    ) as string[];
    if (!insecure.includes('127.0.0.0/8')) {
      throw new Error(
        `dockerd does not allow plain HTTP to 127.0.0.0/8 (insecure registries: ${insecure.join(', ')})`,
      );
    }
    ensureBaseImages();
    blobDir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-blobs-'));
    registry = await startRegistry();
    tag = `${registry.host}/${REPO}:test`;
    env = makeWorkspace({ Dockerfile: DOCKERFILE });
    before = gitStatus(env.workspace);
    result = runAction(env, {
      arch: 'aarch64',
      ...LOCAL_QEMU,
      push: 'true',
      tags: tag,
    });
  });
  afterAll(async () => {
    // The docker driver also keeps the pushed image in the local store.
    const id = result?.main.outputs.get('imageid');
    for (const ref of [tag, id]) {
      if (ref && imageExists(ref)) docker('image', 'rm', '--force', ref);
    }
    if (env) cleanupEnv(env);
    if (blobDir) rmSync(blobDir, { recursive: true, force: true });
    await registry?.stop();
  });

  test('main and post succeed, with a digest output', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    if (result.post.status !== 0) throw new Error(result.post.log.slice(-3000));
    expect(['tool-cache', 'false']).toContain(result.main.outputs.get('cache-hit'));
    expect(result.main.outputs.get('platform')).toBe('linux/arm64');
    expect(result.main.outputs.get('digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("the registry serves the tag under the action's digest", async () => {
    const r = await get(`${REPO}/manifests/test`, MANIFEST_TYPES.join(', '));
    expect(r.status).toBe(200);
    const digest = r.headers.get('docker-content-digest');
    expect(digest).toBe(result.main.outputs.get('digest'));
    expect(`sha256:${createHash('sha256').update(r.body).digest('hex')}`).toBe(digest);
    // The digest also addresses the manifest.
    expect((await get(`${REPO}/manifests/${digest}`, MANIFEST_TYPES.join(', '))).status).toBe(200);
  });

  test('the pushed config is linux/arm64', async () => {
    const m = await imageManifest();
    const config = JSON.parse((await blob(m.config!.digest)).toString('utf8')) as Record<string, unknown>;
    expect(config['architecture']).toBe('arm64');
    expect(config['os']).toBe('linux');
    expect((config['config'] as { Cmd?: string[] }).Cmd).toEqual(['cat', '/pushed-child']);
  });

  test("the RUN step's file is in a pushed layer, and no emulator is", async () => {
    const m = await imageManifest();
    expect(m.layers!.length).toBeGreaterThan(0);
    let child: string | undefined;
    const all: string[] = [];
    for (const [i, layer] of m.layers!.entries()) {
      const file = path.join(blobDir, `layer-${i}`);
      writeFileSync(file, await blob(layer.digest));
      // GNU tar detects the layer's compression itself when reading a file.
      const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8', maxBuffer: 256 << 20 })
        .split('\n')
        .filter((n) => n);
      all.push(...names.map((n) => n.replace(/^\.\//, '')));
      const entry = names.find((n) => n.replace(/^\.\//, '') === 'pushed-child');
      if (entry) child = execFileSync('tar', ['-xOf', file, entry], { encoding: 'utf8' });
    }
    expect(child?.trim()).toBe('child-aarch64');
    expectNoEmulator(all);
  });

  test('post removed the emulator image and temporary files; the workspace is untouched', () => {
    expectPostCleaned(env, before, result.main);
  });
});
