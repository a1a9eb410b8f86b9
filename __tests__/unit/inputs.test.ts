import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/input-error.js';
import { parseInputs, type Inputs } from '../../src/inputs.js';
import { getterOf, inputErrorOf } from './fixtures/inputs.js';

const WS = '/ws/repo';

function parse(values: Record<string, string>): Inputs {
  return parseInputs((name) => values[name] ?? '', { workspace: WS });
}

function error(values: Record<string, string>): InputError {
  return inputErrorOf(() => parse(values));
}

describe('parseInputs', () => {
  it('applies the defaults', () => {
    const i = parse({ arch: 'arm64' });
    expect({ ...i, arches: i.arches.map((a) => a.id) }).toEqual({
      arches: ['aarch64'],
      qemuVersion: 'latest',
      qemuSource: { kind: 'upstream' },
      qemuSha256: undefined,
      allowUnverifiedSource: false,
      cache: true,
      installDeps: 'auto',
      build: true,
      context: WS,
      file: `${WS}/Dockerfile`,
      tags: [],
      buildArgs: new Map(),
      labels: new Map(),
      target: undefined,
      push: false,
      load: false,
      keepEmulator: false,
      run: undefined,
      runImage: undefined,
      runShell: '/bin/sh',
      buildx: {
        platforms: [],
        secrets: [],
        ssh: [],
        buildContexts: [],
        cacheFrom: [],
        cacheTo: [],
        noCache: false,
        noCacheFilters: [],
        pull: false,
        network: undefined,
        addHosts: [],
        shmSize: undefined,
        ulimits: [],
        provenance: undefined,
        sbom: undefined,
        annotations: [],
        outputs: [],
      },
    });
  });

  it('takes the arches from "platforms", build-push-action\'s name, when "arch" is unset', () => {
    const i = parse({ platforms: 'linux/arm64,"linux/arm/v7"\nlinux/riscv64' });
    expect(i.arches.map((a) => a.id)).toEqual(['aarch64', 'arm', 'riscv64']);
    expect(i.buildx.platforms).toEqual(['linux/arm64', 'linux/arm/v7', 'linux/riscv64']);
  });

  it('needs "arch" or "platforms", and not both', () => {
    const none = error({});
    expect(none.input).toBe('arch');
    expect(none.message).toMatch(/^Input "arch" is required: .*"platforms"/);
    const both = error({ arch: 'arm64', platforms: 'linux/arm64' });
    expect(both.input).toBe('platforms');
    expect(both.message).toMatch(/set only one/);
  });

  it('names "platforms" when one of its platforms is unknown', () => {
    const e = error({ platforms: 'linux/arm64,linux/sparc' });
    expect(e.input).toBe('platforms');
    expect(e.message).toMatch(/^Invalid value for input "platforms": "linux\/sparc"\. Allowed: aarch64/);
  });

  it('reads the build-push-action inputs through the shared parser', () => {
    const i = parse({
      arch: 'arm64',
      secrets: '"GIT_AUTH_TOKEN=abc,def"\nOTHER=x',
      'cache-from': 'type=registry,ref=r/app:cache',
      'cache-to': 'type=inline',
      'no-cache': 'true',
    });
    expect(i.buildx.secrets).toEqual([
      { kind: 'value', id: 'GIT_AUTH_TOKEN', value: 'abc,def' },
      { kind: 'value', id: 'OTHER', value: 'x' },
    ]);
    expect(i.buildx.cacheFrom.map((c) => c.type)).toEqual(['registry']);
    expect(i.buildx.cacheTo.map((c) => c.type)).toEqual(['inline']);
    expect(i.buildx.noCache).toBe(true);
  });

  it('reads every input', () => {
    const i = parse({
      arch: 'aarch64,arm\nriscv',
      'qemu-version': '10.2',
      'qemu-source': 'debian',
      'qemu-sha256': 'AB'.repeat(32),
      cache: 'False',
      'install-deps': 'never',
      build: 'FALSE',
      context: 'app',
      file: 'docker/Dockerfile.arm',
      tags: 'a/b:1, a/b:2\na/b:1\n',
      'build-args': 'A=1\nURL=https://x/?a=b,c=d\n\nEMPTY=',
      labels: 'org.opencontainers.image.title=My thing',
      target: 'final',
      push: 'true',
      load: 'True',
      'keep-emulator': 'TRUE',
      run: 'uname -m\necho ok\n',
      'run-image': 'debian:bookworm',
      'run-shell': '/bin/bash',
    });
    expect(i.arches.map((a) => a.id)).toEqual(['aarch64', 'arm', 'riscv64']);
    expect(i.qemuVersion).toBe('10.2');
    expect(i.qemuSource).toEqual({ kind: 'debian' });
    expect(i.qemuSha256).toBe('ab'.repeat(32));
    expect([i.cache, i.installDeps, i.build, i.push, i.load, i.keepEmulator]).toEqual([
      false,
      'never',
      false,
      true,
      true,
      true,
    ]);
    expect(i.context).toBe(`${WS}/app`);
    expect(i.file).toBe(`${WS}/docker/Dockerfile.arm`);
    expect(i.tags).toEqual(['a/b:1', 'a/b:2']);
    expect([...i.buildArgs]).toEqual([
      ['A', '1'],
      ['URL', 'https://x/?a=b,c=d'],
      ['EMPTY', ''],
    ]);
    expect([...i.labels]).toEqual([['org.opencontainers.image.title', 'My thing']]);
    expect(i.target).toBe('final');
    expect(i.run).toBe('uname -m\necho ok\n');
    expect(i.runImage).toBe('debian:bookworm');
    expect(i.runShell).toBe('/bin/bash');
  });

  it('needs an image for "run" when nothing is built', () => {
    const e = error({ arch: 'arm64', run: 'true', build: 'false' });
    expect(e.input).toBe('run-image');
    expect(e.message).toMatch(/"run" needs an image/);
    expect(parse({ arch: 'arm64', run: 'true', build: 'false', 'run-image': 'img' }).runImage).toBe('img');
  });

  it('takes run-image as an image reference only: "-" first would be a docker run flag', () => {
    for (const ok of [
      'debian:bookworm',
      'ghcr.io/me/img:1.0',
      'localhost:5000/a/b',
      `img@sha256:${'ab'.repeat(32)}`,
      `sha256:${'cd'.repeat(32)}`,
    ]) {
      expect(parse({ arch: 'arm64', 'run-image': ok }).runImage).toBe(ok);
    }
    for (const bad of ['--privileged', '-v/:/host', 'Debian', 'img@md5', 'a b']) {
      const e = error({ arch: 'arm64', 'run-image': bad });
      expect(e.input).toBe('run-image');
      expect(e.message).toMatch(/^Invalid value for input "run-image": .*Expected an image reference/);
    }
    expect(error({ arch: 'arm64', 'run-image': '--privileged' }).message).toContain('cannot start with "-"');
  });

  it('takes target as a stage name', () => {
    expect(parse({ arch: 'arm64', target: 'build-stage.2_x' }).target).toBe('build-stage.2_x');
    for (const bad of ['--no-cache', 'a b', '2nd', 'x/y']) {
      const e = error({ arch: 'arm64', target: bad });
      expect(e.input).toBe('target');
      expect(e.message).toMatch(/Expected the name of a build stage/);
    }
  });

  it.each([
    ['run-image', 'a b'],
    ['run-shell', 'sh'],
    ['run-shell', '/bin/sh -x'],
  ])('rejects %s %j', (input, value) => {
    const e = error({ arch: 'arm64', [input]: value });
    expect(e.input).toBe(input);
    expect(e.message).toContain(`"${input}"`);
  });

  it("takes a builder name, or none (the Docker context's own builder)", () => {
    expect(parse({ arch: 'arm' }).builder).toBeUndefined();
    expect(parse({ arch: 'arm', builder: ' default ' }).builder).toBe('default');
    expect(parse({ arch: 'arm', builder: 'builder-1a2b.x_y' }).builder).toBe('builder-1a2b.x_y');
  });

  it('defaults file to <context>/Dockerfile', () => {
    expect(parse({ arch: 'arm', context: './sub/dir' }).file).toBe(`${WS}/sub/dir/Dockerfile`);
  });

  it.each([
    ['upstream', { kind: 'upstream' }],
    [
      'https://example.org/qemu-10.2.2.tar.xz',
      { kind: 'url', url: 'https://example.org/qemu-10.2.2.tar.xz' },
    ],
    ['HTTP://example.org/q.tar.gz', { kind: 'url', url: 'http://example.org/q.tar.gz' }],
    ['vendor/qemu-10.2.2.tar.xz', { kind: 'path', path: `${WS}/vendor/qemu-10.2.2.tar.xz` }],
    ['/opt/src/qemu', { kind: 'path', path: '/opt/src/qemu' }],
  ])('qemu-source %s', (raw, want) => {
    const pin = { 'qemu-sha256': 'ab'.repeat(32) };
    expect(parse({ arch: 'arm', 'qemu-source': raw, ...pin }).qemuSource).toEqual(want);
  });

  describe('a source nothing verifies', () => {
    const https = 'https://example.org/qemu-10.2.2.tar.xz';
    const http = 'http://example.org/qemu-10.2.2.tar.xz';
    it.each([https, 'vendor/qemu.tar.xz', '/opt/src/qemu'])(
      '%s needs qemu-sha256 or allow-unverified-source',
      (source) => {
        const err = inputErrorOf(() => parse({ arch: 'arm', 'qemu-source': source }));
        expect(err.input).toBe('qemu-source');
        expect(err.message).toMatch(
          /^Nothing verifies the QEMU source \S+ \(input "qemu-source"\): set "qemu-sha256" to the sha256 of the tarball, .*or set "allow-unverified-source: true" to build from it unverified \(its emulator is then never cached\)\.$/,
        );
        expect(parse({ arch: 'arm', 'qemu-source': source, 'qemu-sha256': 'ab'.repeat(32) }).qemuSha256).toBe(
          'ab'.repeat(32),
        );
        expect(
          parse({ arch: 'arm', 'qemu-source': source, 'allow-unverified-source': 'true' })
            .allowUnverifiedSource,
        ).toBe(true);
      },
    );

    it('an http:// URL needs a pin, whatever allow-unverified-source says', () => {
      for (const allow of ['false', 'true']) {
        const err = inputErrorOf(() =>
          parse({ arch: 'arm', 'qemu-source': http, 'allow-unverified-source': allow }),
        );
        expect(err.input).toBe('qemu-source');
        expect(err.message).toBe(
          `Input "qemu-source" is an http:// URL (${http}), which anything between here and the server can change. ` +
            'Use https, or set "qemu-sha256" to the sha256 of the tarball you expect.',
        );
      }
      expect(parse({ arch: 'arm', 'qemu-source': http, 'qemu-sha256': 'ab'.repeat(32) }).qemuSource).toEqual({
        kind: 'url',
        url: http,
      });
    });

    it('upstream and debian need neither (their sha256 is recorded)', () => {
      for (const source of ['upstream', 'debian', ''])
        expect(parse({ arch: 'arm', 'qemu-source': source }).allowUnverifiedSource).toBe(false);
    });
  });

  it.each(['true', 'auto', 'TRUE'])('install-deps %s is auto', (v) => {
    expect(parse({ arch: 'arm', 'install-deps': v }).installDeps).toBe('auto');
  });

  it.each<[Record<string, string>, string, RegExp]>([
    [{}, 'arch', /Input "arch" is required/],
    [{ arch: 'arm64,sparc' }, 'arch', /Invalid value for input "arch": "sparc"\. Allowed: aarch64, arm,/],
    [
      { arch: 'arm', cache: 'yes' },
      'cache',
      /Invalid value for input "cache": "yes"\. Allowed: true, True, TRUE, false, False, FALSE/,
    ],
    [{ arch: 'arm', push: '1' }, 'push', /input "push": "1"/],
    [{ arch: 'arm', 'keep-emulator': 'on' }, 'keep-emulator', /input "keep-emulator"/],
    [{ arch: 'arm', 'install-deps': 'always' }, 'install-deps', /Allowed: auto, false, never/],
    [{ arch: 'arm', 'qemu-sha256': 'abc' }, 'qemu-sha256', /64 hexadecimal digits/],
    [
      { arch: 'arm', 'qemu-source': 'ftp://x/q.tar.xz' },
      'qemu-source',
      /Allowed: upstream, debian, an http\(s\) URL/,
    ],
    [{ arch: 'arm', context: '../other' }, 'context', /"\.\.\/other" is outside the workspace \/ws\/repo/],
    [{ arch: 'arm', context: '/etc' }, 'context', /outside the workspace/],
    [{ arch: 'arm', file: '../Dockerfile' }, 'file', /outside the workspace/],
    [{ arch: 'arm', file: 'a/../../b/Dockerfile' }, 'file', /outside the workspace/],
    [
      { arch: 'arm', 'build-args': 'A=1\ncontinued' },
      'build-args',
      /\(line 2\): expected KEY=VALUE.*values cannot span lines/,
    ],
    [{ arch: 'arm', 'build-args': 'BAD-KEY=1' }, 'build-args', /\(line 1\): bad key "BAD-KEY"/],
    [{ arch: 'arm', 'build-args': '=1' }, 'build-args', /bad key ""/],
    [
      { arch: 'arm', 'build-args': 'A="multi\nline"' },
      'build-args',
      /\(line 1\): the value of A opens a quote/,
    ],
    [{ arch: 'arm', labels: 'has space=1' }, 'labels', /bad key "has space"/],
    [{ arch: 'arm', tags: 'a b' }, 'tags', /cannot contain whitespace/],
    [
      { arch: 'arm', builder: 'my builder' },
      'builder',
      /Invalid value for input "builder".*name of a buildx builder/,
    ],
    [{ arch: 'arm', builder: '--push' }, 'builder', /input "builder"/],
  ])('rejects %j', (values, input, msg) => {
    const err = error(values);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(msg);
  });

  it('keeps a later duplicate build-arg', () => {
    expect([...parse({ arch: 'arm', 'build-args': 'A=1\nA=2' }).buildArgs]).toEqual([['A', '2']]);
  });

  it('allows a context that is the workspace itself or a dot-dot-named child', () => {
    expect(parse({ arch: 'arm', context: WS }).context).toBe(WS);
    expect(parse({ arch: 'arm', context: '..x' }).context).toBe(`${WS}/..x`);
  });
});

describe('context and file through symbolic links', () => {
  // A real directory: the check resolves links on the file system.
  let ws: string;
  let outside: string;
  const parseIn = (values: Record<string, string>): Inputs =>
    parseInputs((name) => values[name] ?? '', { workspace: ws, realpath: realpathSync.native });

  beforeAll(() => {
    const top = mkdtempSync(path.join(os.tmpdir(), 'anyarch-links-'));
    ws = path.join(top, 'ws');
    outside = path.join(top, 'elsewhere');
    mkdirSync(path.join(ws, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'Dockerfile'), 'FROM scratch\n');
    symlinkSync(outside, path.join(ws, 'out'));
    symlinkSync(path.join(ws, 'sub'), path.join(ws, 'in'));
    symlinkSync(path.join(outside, 'Dockerfile'), path.join(ws, 'Dockerfile.link'));
    writeFileSync(path.join(outside, 'secret'), 'not for the build\n');
    mkdirSync(path.join(ws, 'ig'));
    writeFileSync(path.join(ws, 'ig', 'Dockerfile'), 'FROM scratch\n');
    symlinkSync(path.join(outside, 'secret'), path.join(ws, 'ig', 'Dockerfile.dockerignore'));
    writeFileSync(path.join(ws, 'ig', 'Other.dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(ws, 'ig', 'ignored'), '*.log\n');
    symlinkSync(path.join(ws, 'ig', 'ignored'), path.join(ws, 'ig', 'Other.dockerfile.dockerignore'));
    // The workspace reached through a link of its own is still the workspace.
    symlinkSync(ws, path.join(top, 'ws-link'));
  });
  afterAll(() => rmSync(path.dirname(ws), { recursive: true, force: true }));

  it.each([
    [{ arch: 'arm', context: 'out' }, 'context'],
    [{ arch: 'arm', file: 'out/Dockerfile' }, 'file'],
    [{ arch: 'arm', file: 'Dockerfile.link' }, 'file'],
    [{ arch: 'arm', context: 'out/deeper/not-yet' }, 'context'],
  ])('refuses %j, naming %s and where the link leads', (values, input) => {
    let err: unknown;
    try {
      parseIn(values);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe(input);
    expect((err as Error).message).toContain(`leads through a symbolic link to ${outside}`);
  });

  it('refuses a <Dockerfile>.dockerignore that leads outside, and takes one that stays inside', () => {
    let err: unknown;
    try {
      parseIn({ arch: 'arm', file: 'ig/Dockerfile' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('file');
    expect((err as Error).message).toBe(
      `The ignore file beside input "file", "${path.join(ws, 'ig', 'Dockerfile.dockerignore')}" leads through a symbolic link to ` +
        `${path.join(outside, 'secret')}, outside the workspace ${ws}; make it a regular file in the workspace, or remove it`,
    );
    expect(parseIn({ arch: 'arm', file: 'sub/Other.dockerfile' }).file).toBe(
      path.join(ws, 'sub', 'Other.dockerfile'),
    );
  });

  it('takes links that stay inside, and a workspace named through a link', () => {
    expect(parseIn({ arch: 'arm', context: 'in' }).context).toBe(path.join(ws, 'in'));
    expect(parseIn({ arch: 'arm', file: 'in/Dockerfile' }).file).toBe(path.join(ws, 'in', 'Dockerfile'));
    const viaLink = path.join(path.dirname(ws), 'ws-link');
    const i = parseInputs(getterOf({ arch: 'arm', context: 'sub' }), {
      workspace: viaLink,
      realpath: realpathSync.native,
    });
    expect(i.context).toBe(path.join(viaLink, 'sub'));
  });
});
