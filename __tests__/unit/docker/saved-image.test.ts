import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  configTriggers,
  derivedArchiveFiles,
  derivedConfig,
  readSavedImage,
  withoutTriggers,
  type ArchiveFile,
  type SavedImage,
} from '../../../src/docker/saved-image.js';

// Shapes of what `docker save` writes, cut down to the fields that matter here: Docker 20.10's
// classic store (manifest.json, <id>.json, <id>/layer.tar) and Docker 26's containerd store (an
// OCI layout whose index names an image index with the image and a provenance attestation).

interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created: string;
  config: { Env?: string[]; WorkingDir?: string; OnBuild?: string[] | null };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: { created_by: string; empty_layer?: boolean }[];
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

const hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const TRIGGERS = ['RUN uname -m > /onbuild-ran', 'ENV A=1'];
const DIFF_ID = `sha256:${'d'.repeat(64)}`;

const config = (architecture: string, onbuild: string[] | null = TRIGGERS): ImageConfig => ({
  architecture,
  os: 'linux',
  created: '2026-01-01T00:00:00Z',
  config: { Env: ['PATH=/bin'], WorkingDir: '/srv', OnBuild: onbuild },
  rootfs: { type: 'layers', diff_ids: [DIFF_ID] },
  history: [{ created_by: 'ADD root.tar /' }, { created_by: 'ONBUILD RUN …', empty_layer: true }],
});

/** Docker 20.10's classic store: the image's files, its layer left out as the reader leaves it. */
function classicSave(c: ImageConfig): Map<string, Buffer> {
  const data = json(c);
  const id = hex(data);
  const manifest = [{ Config: `${id}.json`, RepoTags: ['base:1'], Layers: [`${'a'.repeat(64)}/layer.tar`] }];
  return new Map([
    [`${id}.json`, data],
    ['manifest.json', json(manifest)],
    ['repositories', json({ base: { '1': 'a'.repeat(64) } })],
  ]);
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const LAYER: Descriptor = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: `sha256:${'c'.repeat(64)}`,
  size: 6208350,
};

/** Docker 26's containerd store: an index of the arm64 image, an amd64 one and an attestation. */
function containerdSave(): { files: Map<string, Buffer>; arm64Manifest: Record<string, unknown> } {
  const files = new Map<string, Buffer>();
  const put = (v: unknown): Descriptor & { data: Buffer } => {
    const data = json(v);
    files.set(`blobs/sha256/${hex(data)}`, data);
    return { mediaType: '', digest: `sha256:${hex(data)}`, size: data.length, data };
  };
  const image = (arch: string) => {
    const c = put(config(arch));
    const m = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: c.size },
      layers: [LAYER],
    };
    return { manifest: m, desc: put(m) };
  };
  const arm64 = image('arm64');
  const amd64 = image('amd64');
  const attestation = put({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] });
  const entry = (d: Descriptor, os: string, architecture: string): Descriptor => ({
    mediaType: OCI_MANIFEST,
    digest: d.digest,
    size: d.size,
    platform: { os, architecture },
  });
  const index = put({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      entry(amd64.desc, 'linux', 'amd64'),
      entry(attestation, 'unknown', 'unknown'),
      entry(arm64.desc, 'linux', 'arm64'),
    ],
  });
  files.set(
    'index.json',
    json({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_INDEX, digest: index.digest, size: index.size }],
    }),
  );
  return { files, arm64Manifest: arm64.manifest };
}

const fileOf = (files: ArchiveFile[], name: string): Buffer => {
  const f = files.find((x) => x.name === name);
  if (f?.data === undefined) throw new Error(`no ${name} in ${files.map((x) => x.name).join(', ')}`);
  return f.data;
};

describe('the config edit', () => {
  it('reads the triggers, and removes them and nothing else', () => {
    const c = config('arm64') as unknown as Record<string, unknown>;
    expect(configTriggers(c)).toEqual(TRIGGERS);
    const edited = withoutTriggers(c);
    expect(configTriggers(edited)).toEqual([]);
    expect(edited).toEqual({ ...c, config: { Env: ['PATH=/bin'], WorkingDir: '/srv' } });
    expect(configTriggers(c)).toEqual(TRIGGERS); // the original is left as it was
    expect(configTriggers(config('arm64', null) as unknown as Record<string, unknown>)).toEqual([]);
  });
});

describe('a classic-store archive', () => {
  const saved = readSavedImage(classicSave(config('arm64')), 'linux/arm64', 'classic');

  it('gives the config and the layer paths', () => {
    expect(configTriggers(saved.config)).toEqual(TRIGGERS);
    expect(saved.description).toEqual({ kind: 'docker-save', layers: [`${'a'.repeat(64)}/layer.tar`] });
  });

  it('becomes manifest.json and the new config, the layers named but not there', () => {
    const files = derivedArchiveFiles(saved, 'anyarch-onbuild:x-1');
    const { digest } = derivedConfig(saved);
    const configName = `blobs/sha256/${digest.slice(7)}`;
    expect(files.filter((f) => f.data !== undefined).map((f) => f.name)).toEqual([
      configName,
      'manifest.json',
    ]);
    expect(hex(fileOf(files, configName))).toBe(digest.slice(7));
    expect(JSON.parse(fileOf(files, configName).toString())).toEqual(withoutTriggers(saved.config));
    expect(JSON.parse(fileOf(files, 'manifest.json').toString())).toEqual([
      { Config: configName, RepoTags: ['anyarch-onbuild:x-1'], Layers: [`${'a'.repeat(64)}/layer.tar`] },
    ]);
  });

  it('refuses an image of another platform', () => {
    expect(() => readSavedImage(classicSave(config('amd64')), 'linux/arm64', 'classic')).toThrow(
      /is linux\/amd64, not linux\/arm64/,
    );
  });
});

describe('a containerd-store archive', () => {
  const { files, arm64Manifest } = containerdSave();

  it("takes the platform's manifest out of the image index", () => {
    const saved = readSavedImage(files, 'linux/arm64', 'containerd');
    expect(saved.config['architecture']).toBe('arm64');
    expect(saved.description).toEqual({
      kind: 'oci',
      manifest: arm64Manifest,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(readSavedImage(files, 'linux/amd64', 'containerd').config['architecture']).toBe('amd64');
    expect(() => readSavedImage(files, 'linux/riscv64', 'containerd')).toThrow(/no linux\/riscv64 manifest/);
  });

  it('becomes an OCI layout: the same layers, the new config, one tagged manifest', () => {
    const saved: SavedImage = readSavedImage(files, 'linux/arm64', 'containerd');
    const out = derivedArchiveFiles(saved, 'anyarch-onbuild:x-1');
    expect(out.map((f) => f.name)).not.toContain('manifest.json');
    const index = JSON.parse(fileOf(out, 'index.json').toString()) as { manifests: Descriptor[] };
    expect(index.manifests).toHaveLength(1);
    const entry = index.manifests[0]!;
    expect(entry.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(entry.annotations).toEqual({
      'io.containerd.image.name': 'docker.io/library/anyarch-onbuild:x-1',
      'org.opencontainers.image.ref.name': 'x-1',
    });
    const manifestData = fileOf(out, `blobs/sha256/${entry.digest.slice(7)}`);
    expect(hex(manifestData)).toBe(entry.digest.slice(7));
    expect(entry.size).toBe(manifestData.length);
    const manifest = JSON.parse(manifestData.toString()) as { config: Descriptor; layers: Descriptor[] };
    expect(manifest.layers).toEqual([LAYER]);
    expect(manifest.config.digest).toBe(derivedConfig(saved).digest);
    const configData = fileOf(out, `blobs/sha256/${manifest.config.digest.slice(7)}`);
    expect(manifest.config.size).toBe(configData.length);
    expect(configTriggers(JSON.parse(configData.toString()) as Record<string, unknown>)).toEqual([]);
    expect(out.some((f) => f.name.endsWith('c'.repeat(64)))).toBe(false);
  });

  it('names what is missing', () => {
    expect(() => readSavedImage(new Map(), 'linux/arm64', 'containerd')).toThrow(/has no index.json/);
    expect(() => readSavedImage(new Map(), 'linux/arm64', 'classic')).toThrow(/has no manifest.json/);
  });
});
