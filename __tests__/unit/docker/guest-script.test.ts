import { describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import { guestRunArgv } from '../../../src/docker/guest-script.js';

describe('guestRunArgv', () => {
  const base = {
    arch: resolveArch('arm64'),
    image: 'sha256:1234',
    workspace: '/ws/repo',
    shell: '/bin/sh',
    script: 'uname -m\nexit 3\n',
    env: new Map([['CI', 'true']]),
  };

  it('runs the shell through the emulator with -execve, the workspace mounted at its own path', () => {
    expect(guestRunArgv({ ...base, emulator: '/cache/qemu-aarch64' })).toEqual([
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--network',
      'host',
      '--volume',
      '/ws/repo:/ws/repo',
      '--workdir',
      '/ws/repo',
      '--env',
      'CI=true',
      '--volume',
      '/cache/qemu-aarch64:/.anyarch/qemu-aarch64:ro',
      '--entrypoint',
      '/.anyarch/qemu-aarch64',
      'sha256:1234',
      '-execve',
      '/.anyarch/qemu-aarch64',
      '/bin/sh',
      '-e',
      '-c',
      'uname -m\nexit 3\n',
    ]);
  });

  it('runs the shell directly on the host platform', () => {
    const argv = guestRunArgv({ ...base, arch: resolveArch('amd64'), emulator: undefined });
    expect(argv.slice(-6)).toEqual([
      '--entrypoint',
      '/bin/sh',
      'sha256:1234',
      '-e',
      '-c',
      'uname -m\nexit 3\n',
    ]);
    expect(argv.join(' ')).not.toMatch(/qemu|execve/);
  });
});
