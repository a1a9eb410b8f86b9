import { describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import { isHostPlatform } from '../../../src/docker/build.js';
import { buildxArgv, classicArgv, parseMetadata, type ImageBuildSpec } from '../../../src/docker/buildx.js';
import { emulatorImageRef } from '../../../src/docker/emulator-image.js';
import { keepEmulatorDockerfile, wrappedEntrypoint } from '../../../src/dockerfile/keep-emulator.js';
import { targetsToCompile } from '../../../src/pipeline.js';

const spec: ImageBuildSpec = {
  platform: 'linux/arm64',
  file: '/tmp/x/Dockerfile',
  context: '/ws',
  tags: ['a:1', 'b:2'],
  buildArgs: new Map([['V', 'x=y,z']]),
  labels: new Map([['org.example', 'v']]),
  target: 'final',
  push: true,
  load: false,
  iidFile: '/tmp/x/iid',
  metadataFile: '/tmp/x/meta.json',
};

describe('build command lines', () => {
  it('buildx', () => {
    expect(buildxArgv(spec, 'default')).toEqual([
      'buildx',
      'build',
      '--builder',
      'default',
      '--platform',
      'linux/arm64',
      '--file',
      '/tmp/x/Dockerfile',
      '--iidfile',
      '/tmp/x/iid',
      '--tag',
      'a:1',
      '--tag',
      'b:2',
      '--build-arg',
      'V=x=y,z',
      '--label',
      'org.example=v',
      '--target',
      'final',
      '--metadata-file',
      '/tmp/x/meta.json',
      '--push',
      '/ws',
    ]);
  });
  it('classic builder has no metadata file nor push flag', () => {
    const a = classicArgv(spec);
    expect(a[0]).toBe('build');
    expect(a).not.toContain('--push');
    expect(a).not.toContain('--metadata-file');
    expect(a[a.length - 1]).toBe('/ws');
  });
  it('reads buildx metadata', () => {
    const m = parseMetadata(
      '{"containerimage.digest":"sha256:aa","containerimage.config.digest":"sha256:bb"}',
    );
    expect(m).toEqual({ digest: 'sha256:aa', configDigest: 'sha256:bb' });
    expect(parseMetadata('')).toEqual({ digest: '', configDigest: '' });
  });
});

describe('emulator image', () => {
  it('is tagged by target and binary digest', () => {
    expect(emulatorImageRef('aarch64', 'f'.repeat(64))).toBe(`anyarch-emu:aarch64-${'f'.repeat(16)}`);
  });
});

describe('keep-emulator Dockerfile', () => {
  it('wraps the entrypoint and declares CMD again', () => {
    const text = keepEmulatorDockerfile('stage:1', 'emu:1', 'aarch64', {
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo <x>'],
    });
    expect(text).toBe(
      'FROM stage:1\n' +
        'COPY --from=emu:1 /qemu-aarch64 /.anyarch/qemu-aarch64\n' +
        'ENTRYPOINT ["/.anyarch/qemu-aarch64","-execve","/.anyarch/qemu-aarch64","/bin/sh","-c"]\n' +
        'CMD ["echo \\u003cx>"]\n',
    );
  });
  it('omits CMD when the image has none', () => {
    expect(keepEmulatorDockerfile('s', 'e', 'arm', { entrypoint: null, cmd: null })).not.toContain('CMD');
    expect(wrappedEntrypoint('/e', null)).toEqual(['/e', '-execve', '/e']);
  });
});

describe('platforms', () => {
  it('skips the emulator for the host platform', () => {
    expect(isHostPlatform('linux/amd64', 'linux/amd64')).toBe(true);
    expect(isHostPlatform('linux/arm64', 'linux/amd64')).toBe(false);
    const arches = [resolveArch('amd64'), resolveArch('arm64')];
    expect(targetsToCompile(arches, true, 'linux/amd64').map((a) => a.id)).toEqual(['aarch64']);
    expect(targetsToCompile(arches, false, undefined).map((a) => a.id)).toEqual(['x86_64', 'aarch64']);
  });
});

describe('rewriteDockerfile inject: copy', () => {
  it('copies the emulator after each guest FROM and runs RUN through it without --mount', async () => {
    const { rewriteDockerfile } = await import('../../../src/dockerfile/rewrite.js');
    const text = 'FROM --platform=$BUILDPLATFORM a AS tools\nRUN make\nFROM b\nRUN echo hi\n';
    const out = rewriteDockerfile(text, {
      guestPlatform: 'linux/arm64',
      emulatorImage: 'anyarch-emu:x',
      emulatorPath: '/.anyarch/qemu-aarch64',
      inject: 'copy',
    }).dockerfile;
    expect(out).toBe(
      'FROM --platform=$BUILDPLATFORM a AS tools\nRUN make\nFROM b\n' +
        'COPY --from=anyarch-emu:x /qemu-aarch64 /.anyarch/qemu-aarch64\n' +
        'RUN ["/.anyarch/qemu-aarch64","-execve","/.anyarch/qemu-aarch64","/bin/sh","-c","echo hi"]\n',
    );
  });
});
