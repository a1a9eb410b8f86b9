import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extract, type Header } from 'tar-stream';
import { ARCHES } from '../../../src/arch.js';
import {
  EMULATOR_IMAGE_CREATED,
  dockerSaveManifest,
  emulatorImageArchive,
  emulatorImageConfig,
  emulatorImageIndex,
  emulatorImageManifest,
  emulatorImageRef,
  emulatorLayerTar,
  fullImageName,
  imagePlatform,
  sha256Hex,
  writeEmulatorImageArchive,
} from '../../../src/docker/emulator-image.js';

interface TarEntry {
  readonly header: Header;
  readonly data: Buffer;
}

async function untar(archive: Buffer): Promise<TarEntry[]> {
  const ex = extract();
  const entries: TarEntry[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      entries.push({ header: entry.header, data: Buffer.concat(chunks) });
    }
  })();
  ex.end(archive);
  await done;
  return entries;
}

function entryOf(entries: readonly TarEntry[], name: string): TarEntry {
  const e = entries.find((x) => x.header.name === name);
  if (!e) throw new Error(`no ${name} in ${entries.map((x) => x.header.name).join(', ')}`);
  return e;
}

/** Every header as the image stores need it: root's, nameless, at the epoch, without pax. */
function expectFixedHeaders(entries: readonly TarEntry[]): void {
  for (const { header } of entries) {
    expect(header).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '' });
    expect(header.mtime.getTime()).toBe(0);
    expect(header.pax ?? null).toBeNull();
  }
}

describe('image platform', () => {
  it('takes architecture and variant from the platform string', () => {
    expect(imagePlatform('linux/arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(imagePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(imagePlatform('linux/386')).toEqual({ os: 'linux', architecture: '386' });
    expect(imagePlatform('linux/mips64le')).toEqual({ os: 'linux', architecture: 'mips64le' });
  });

  it('reads every platform of the arch table', () => {
    for (const arch of ARCHES) {
      const p = imagePlatform(arch.platform);
      expect([p.os, p.architecture, ...(p.variant !== undefined ? [p.variant] : [])].join('/')).toBe(
        arch.platform,
      );
    }
  });

  it('refuses what is not os/architecture[/variant]', () => {
    for (const bad of ['arm64', 'linux/arm/v7/x', 'linux//v7', 'Linux/ARM64', '']) {
      expect(() => imagePlatform(bad)).toThrow(/not a platform/);
    }
  });
});

describe('image config', () => {
  const diffId = `sha256:${'a'.repeat(64)}`;

  it('has the fixed date, the platform, the layer and one history entry', () => {
    expect(JSON.parse(emulatorImageConfig('arm', 'linux/arm/v7', diffId))).toEqual({
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'COPY qemu-arm /qemu-arm' }],
    });
    expect(EMULATOR_IMAGE_CREATED).toBe('1970-01-01T00:00:00Z');
  });

  it('names no variant where the platform has none', () => {
    const c = JSON.parse(emulatorImageConfig('aarch64', 'linux/arm64', diffId)) as Record<string, unknown>;
    expect(c['architecture']).toBe('arm64');
    expect('variant' in c).toBe(false);
  });

  it('is the same text every time', () => {
    expect(emulatorImageConfig('s390x', 'linux/s390x', diffId)).toBe(
      emulatorImageConfig('s390x', 'linux/s390x', diffId),
    );
  });
});

describe('archive descriptions', () => {
  it('manifest.json lists the config, the tag and the layer', () => {
    expect(JSON.parse(dockerSaveManifest('anyarch-emu:arm-1', 'c'.repeat(64), 'l'.repeat(64)))).toEqual([
      {
        Config: `blobs/sha256/${'c'.repeat(64)}`,
        RepoTags: ['anyarch-emu:arm-1'],
        Layers: [`blobs/sha256/${'l'.repeat(64)}`],
      },
    ]);
  });

  it('the image manifest is the one containerd makes of manifest.json alone', () => {
    // A config and a layer that Docker 26's containerd store was seen to load as this manifest.
    const m = emulatorImageManifest(
      { digest: 'sha256:4d512337d172257b04abfd8acff91c2bed56c1da02fe64c5cf0ae1f10123e5cd', size: 290 },
      { digest: 'sha256:7bb31de75a37f9c85f49233e754c5ddfde059c139b4489ec49b3a9c4041275db', size: 7370240 },
    );
    expect(sha256Hex(m)).toBe('d65b1fb415c8a44b39b5753c603b582bc529b761d2b70bf42e572f95b5adac97');
  });

  it('index.json names the image in full and by tag', () => {
    const idx = JSON.parse(emulatorImageIndex('anyarch-emu:arm-1', { digest: 'sha256:m', size: 9 })) as {
      manifests: { digest: string; size: number; annotations: Record<string, string> }[];
    };
    expect(idx.manifests).toHaveLength(1);
    expect(idx.manifests[0]).toMatchObject({
      digest: 'sha256:m',
      size: 9,
      annotations: {
        'io.containerd.image.name': 'docker.io/library/anyarch-emu:arm-1',
        'org.opencontainers.image.ref.name': 'arm-1',
      },
    });
  });

  it('full image names', () => {
    expect(fullImageName('anyarch-emu:x')).toBe('docker.io/library/anyarch-emu:x');
    expect(fullImageName('me/emu:x')).toBe('docker.io/me/emu:x');
    expect(fullImageName('localhost:5000/emu:x')).toBe('localhost:5000/emu:x');
    expect(fullImageName('ghcr.io/me/emu:x')).toBe('ghcr.io/me/emu:x');
  });
});

describe('layer', () => {
  it('holds /qemu-<target> (mode 0755) and its set-user-ID copy: root, mtime 0, the binary', async () => {
    const binary = Buffer.from('\x7fELF not really a program\n');
    const entries = await untar(await emulatorLayerTar('riscv64', binary));
    expect(entries.map((e) => [e.header.name, e.header.mode])).toEqual([
      ['qemu-riscv64', 0o755],
      ['qemu-riscv64-setid', 0o4755],
    ]);
    for (const e of entries) {
      expect(e.header.type).toBe('file');
      expect(e.data.equals(binary)).toBe(true);
    }
    expectFixedHeaders(entries);
  });
});

describe('archive', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-emu-image-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in emulator in its own directory, with the given file mode and mtime. */
  function emulator(name: string, content: Buffer, mode: number, mtime: Date): string {
    const emuDir = path.join(dir, name);
    mkdirSync(emuDir);
    const file = path.join(emuDir, 'qemu-aarch64');
    writeFileSync(file, content);
    chmodSync(file, mode);
    utimesSync(file, mtime, mtime);
    return emuDir;
  }

  it('is byte for byte the same for the same binary, whatever its file mode and times', async () => {
    const content = Buffer.alloc(70_000, 'q');
    const a = emulator('a', content, 0o755, new Date('2024-05-06T07:08:09Z'));
    const b = emulator('b', content, 0o700, new Date('2001-02-03T04:05:06Z'));
    const refA = await writeEmulatorImageArchive(a, 'aarch64', 'linux/arm64', path.join(dir, 'a.tar'));
    const refB = await writeEmulatorImageArchive(b, 'aarch64', 'linux/arm64', path.join(dir, 'b.tar'));
    expect(refA).toBe(emulatorImageRef('aarch64', sha256Hex(content)));
    expect(refB).toBe(refA);
    expect(readFileSync(path.join(dir, 'a.tar')).equals(readFileSync(path.join(dir, 'b.tar')))).toBe(true);
  });

  it('differs when the binary does', async () => {
    const a = emulator('a', Buffer.from('one'), 0o755, new Date(0));
    const b = emulator('b', Buffer.from('two'), 0o755, new Date(0));
    await writeEmulatorImageArchive(a, 'aarch64', 'linux/arm64', path.join(dir, 'a.tar'));
    await writeEmulatorImageArchive(b, 'aarch64', 'linux/arm64', path.join(dir, 'b.tar'));
    expect(readFileSync(path.join(dir, 'a.tar')).equals(readFileSync(path.join(dir, 'b.tar')))).toBe(false);
  });

  it('holds a docker save archive and an OCI layout over blobs named by their digests', async () => {
    const binary = Buffer.from('emulator bytes');
    const ref = emulatorImageRef('arm', sha256Hex(binary));
    const entries = await untar(await emulatorImageArchive('arm', 'linux/arm/v7', binary, ref));
    expectFixedHeaders(entries);
    for (const e of entries.filter(
      (x) => x.header.name.startsWith('blobs/sha256/') && x.header.type === 'file',
    )) {
      expect(path.basename(e.header.name)).toBe(sha256Hex(e.data));
    }

    const save = JSON.parse(entryOf(entries, 'manifest.json').data.toString()) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(save).toHaveLength(1);
    expect(save[0]!.RepoTags).toEqual([ref]);
    const config = JSON.parse(entryOf(entries, save[0]!.Config).data.toString()) as {
      architecture: string;
      variant: string;
      created: string;
      rootfs: { diff_ids: string[] };
    };
    expect(config).toMatchObject({ architecture: 'arm', variant: 'v7', created: EMULATOR_IMAGE_CREATED });
    expect(save[0]!.Layers).toHaveLength(1);
    const layer = entryOf(entries, save[0]!.Layers[0]!).data;
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256Hex(layer)}`]);
    const inLayer = await untar(layer);
    expect(inLayer.map((e) => [e.header.name, e.header.mode])).toEqual([
      ['qemu-arm', 0o755],
      ['qemu-arm-setid', 0o4755],
    ]);
    expect(inLayer[0]!.data.equals(binary)).toBe(true);

    expect(JSON.parse(entryOf(entries, 'oci-layout').data.toString())).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(entryOf(entries, 'index.json').data.toString()) as {
      manifests: { digest: string }[];
    };
    const manifest = JSON.parse(
      entryOf(entries, `blobs/sha256/${index.manifests[0]!.digest.slice('sha256:'.length)}`).data.toString(),
    ) as { config: { digest: string }; layers: { digest: string }[] };
    expect(`blobs/sha256/${manifest.config.digest.slice('sha256:'.length)}`).toBe(save[0]!.Config);
    expect(manifest.layers.map((l) => `blobs/sha256/${l.digest.slice('sha256:'.length)}`)).toEqual(
      save[0]!.Layers,
    );
  });
});

describe('emulatorSetArchive', () => {
  it('is one OCI index with a /qemu variant per platform, the same bytes every time', async () => {
    const { emulatorSetArchive, NATIVE_SHIM } = await import('../../../src/docker/emulator-image.js');
    const variants = [
      { platform: 'linux/arm64', data: Buffer.from('aarch64 binary'), createdBy: 'a' },
      { platform: 'linux/amd64', data: Buffer.from(NATIVE_SHIM), createdBy: 'native' },
    ];
    const one = await emulatorSetArchive(variants, 'anyarch-emu:set-x');
    expect((await emulatorSetArchive(variants, 'anyarch-emu:set-x')).equals(one)).toBe(true);
    const { extract } = await import('tar-stream');
    const files = new Map<string, Buffer>();
    const ex = extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          files.set(h.name, Buffer.concat(chunks));
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    ex.end(one);
    await done;
    const blob = (d: string) => files.get(`blobs/sha256/${d.slice(7)}`)!;
    const top = JSON.parse(files.get('index.json')!.toString()) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(top.manifests[0]!.annotations['io.containerd.image.name']).toBe(
      'docker.io/library/anyarch-emu:set-x',
    );
    const index = JSON.parse(blob(top.manifests[0]!.digest).toString()) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['arm64', 'amd64']);
    // The guest's variant has the set-user-ID copy too, the host's shim none.
    const layerNames = async (m: { digest: string }) => {
      const manifest = JSON.parse(blob(m.digest).toString()) as { layers: { digest: string }[] };
      return (await untar(blob(manifest.layers[0]!.digest))).map((e) => [e.header.name, e.header.mode]);
    };
    expect(await layerNames(index.manifests[0]!)).toEqual([
      ['qemu', 0o755],
      ['qemu-setid', 0o4755],
    ]);
    expect(await layerNames(index.manifests[1]!)).toEqual([['qemu', 0o755]]);
    expect(NATIVE_SHIM).toMatch(/^#!\/bin\/sh\n[\s\S]*shift 2\n.*-execve-setid.*shift 2.*\nexec "\$@"\n$/);
  });
});
