// The errors the fault matrix relies on, as pure functions over what the tools print: each
// names the cause before quoting the tool.
import { describe, expect, it } from '@jest/globals';
import { dockerUnreachable } from '../../src/docker/engine.js';
import { InputError } from '../../src/input-error.js';
import { imageTagProblem, parseInputs } from '../../src/inputs.js';
import { getterOf } from './fixtures/inputs.js';
import { patchFailures } from '../../src/qemu/build.js';
import { unpackError, unpackProblem } from '../../src/qemu/source.js';

describe('unpacking a tarball', () => {
  // What GNU tar 1.34 with xz 5.4 and gzip print (Debian 12).
  it.each([
    [
      'xz: (stdin): Unexpected end of input\ntar: Unexpected EOF in archive\ntar: Error is not recoverable: exiting now',
      'the tarball is truncated',
    ],
    ['gzip: stdin: unexpected end of file\ntar: Unexpected EOF in archive', 'the tarball is truncated'],
    ['tar: Unexpected EOF in archive', 'the tarball is truncated'],
    [
      'xz: (stdin): Compressed data is corrupt\ntar: Child returned status 1',
      'the tarball is corrupt or not a tar archive',
    ],
    [
      'xz: (stdin): Compressed data is corrupt\ntar: Unexpected EOF in archive',
      'the tarball is corrupt or not a tar archive',
    ],
    ['xz: (stdin): File format not recognized', 'the tarball is corrupt or not a tar archive'],
    [
      'tar: This does not look like a tar archive\ntar: Skipping to next header',
      'the tarball is corrupt or not a tar archive',
    ],
    ['tar: qemu-10.2.2/x: Cannot write: No space left on device', 'the disk is full'],
    ['tar: something else', 'tar could not unpack it'],
  ])('%j: %s', (output, cause) => {
    expect(unpackProblem(output)).toBe(cause);
  });

  it('puts the cause before the command and its output', () => {
    const msg = unpackError(
      'https://x.invalid/q.tar.xz (input "qemu-source")',
      '/t/q.tar.xz',
      2,
      'xz: (stdin): Unexpected end of input\n',
    );
    expect(msg).toBe(
      'Cannot unpack the QEMU source https://x.invalid/q.tar.xz (input "qemu-source"): the tarball is truncated ' +
        '(tar -xf /t/q.tar.xz exited with 2:\nxz: (stdin): Unexpected end of input)',
    );
  });
});

describe('patchFailures', () => {
  // GNU patch 2.7.6 output, from applying qemu-10.2.patch to changed trees.
  it('names a failed hunk with its file', () => {
    const out = [
      'patching file linux-user/main.c',
      'patching file linux-user/syscall.c',
      'Hunk #2 FAILED at 9882.',
      '1 out of 2 hunks FAILED -- saving rejects to file linux-user/syscall.c.rej',
    ].join('\n');
    expect(patchFailures(out)).toEqual(['linux-user/syscall.c: hunk #2 FAILED at line 9882']);
  });
  it('names a file missing from the tree, not the one patched before it', () => {
    const out = [
      'patching file linux-user/main.c',
      "can't find file to patch at input line 815",
      'Perhaps you used the wrong -p or --strip option?',
      'The text leading up to this was:',
      '--------------------------',
      '|diff --git a/linux-user/meson.build b/linux-user/meson.build',
      '|index efca843..a47d820 100644',
      '|--- a/linux-user/meson.build',
      '|+++ b/linux-user/meson.build',
      '--------------------------',
      'No file to patch.  Skipping patch.',
      'patching file linux-user/syscall.c',
    ].join('\n');
    expect(patchFailures(out)).toEqual(['linux-user/meson.build: not in the source tree']);
  });
  it('recognises a tree that is already patched', () => {
    const out = [
      'patching file linux-user/elfload.c',
      'Reversed (or previously applied) patch detected!  Skipping patch.',
      'The next patch would create the file linux-user/execve.c,',
      'which already exists!  Skipping patch.',
    ].join('\n');
    expect(patchFailures(out)).toEqual([
      'linux-user/elfload.c: already patched',
      'linux-user/execve.c: already exists',
    ]);
  });
});

describe('dockerUnreachable', () => {
  it('says the daemon is not reachable, where, and how to start it', () => {
    const msg = dockerUnreachable(
      'Cannot connect to the Docker daemon at unix:///tmp/none.sock. Is the docker daemon running?',
      { DOCKER_HOST: 'unix:///tmp/none.sock' },
    );
    expect(msg).toMatch(/^The Docker daemon is not reachable at DOCKER_HOST=unix:\/\/\/tmp\/none\.sock /);
    expect(msg).toContain('systemctl start docker');
    expect(msg).toContain('dockerd');
    expect(msg).toContain('"build: false"');
  });
  it('tells a permission problem apart', () => {
    const msg = dockerUnreachable(
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock',
      {},
    );
    expect(msg).toMatch(/refuses this user/);
    expect(msg).toContain('"docker" group');
  });
});

describe('image tags', () => {
  it.each([
    'app',
    'app:1.0',
    'me/app:arm64',
    'ghcr.io/me/app:v1.2.3-arm64',
    'localhost:5000/app',
    '127.0.0.1:5000/a/b:c',
    'a__b/c-d.e_f:T_1.x-y',
    '[::1]:5000/app:1',
  ])('accepts %s', (tag) => {
    expect(imageTagProblem(tag)).toBeUndefined();
  });
  it.each([
    ['app name', /whitespace/],
    ['My/App:1', /lower case/],
    ['app:', /lower case/],
    ['app:-x', /not starting/],
    ['app:' + 'x'.repeat(129), /up to 128/],
    ['app@sha256:' + 'a'.repeat(64), /\[registry/],
    ['-app', /\[registry/],
    ['app//x', /\[registry/],
    ['a'.repeat(256), /longer than 255/],
  ])('rejects %s', (tag, why) => {
    expect(imageTagProblem(tag)).toMatch(why);
  });
  it('is checked by parseInputs', () => {
    expect(() => parseInputs(getterOf({ arch: 'arm64', tags: 'ok:1\nBad:2' }), { workspace: '/ws' })).toThrow(
      /Invalid value for input "tags": "Bad:2"\. Expected \[registry/,
    );
  });
});

describe('a local qemu-source', () => {
  const parse = (source: string, exists?: (p: string) => boolean) =>
    parseInputs(getterOf({ arch: 'arm64', 'qemu-source': source, 'allow-unverified-source': 'true' }), {
      workspace: '/ws',
      ...(exists ? { exists } : {}),
    });

  it('must exist when the parse may look', () => {
    let err: unknown;
    try {
      parse('upsteam', () => false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('qemu-source');
    expect((err as InputError).message).toBe(
      'Invalid value for input "qemu-source": "upsteam". Allowed: upstream, debian, an http(s) URL, or a local path to a ' +
        'tarball or source tree; there is no /ws/upsteam',
    );
  });
  it('is taken as it is otherwise', () => {
    expect(parse('src/qemu', (p) => p === '/ws/src/qemu').qemuSource).toEqual({
      kind: 'path',
      path: '/ws/src/qemu',
    });
    expect(parse('src/qemu').qemuSource).toEqual({ kind: 'path', path: '/ws/src/qemu' });
  });
});
