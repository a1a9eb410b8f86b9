// The fault matrix, src/inputs.ts: a bad value for each kind of input fails before anything is
// looked up, downloaded or compiled, naming the input and what it allows; nothing is cached or
// left behind.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { faultRuns, type FaultRuns } from '../../support/fault-matrix.js';

describe('fault matrix: inputs', () => {
  let f: FaultRuns;

  beforeAll(() => {
    assertNoBinfmt('aarch64');
    f = faultRuns('faults-inputs');
  });
  afterAll(() => f?.cleanup());

  describe('8. bad input values', () => {
    test.each<[string, Record<string, string>, RegExp]>([
      ['arch', { arch: 'sparc' }, /^Invalid value for input "arch": "sparc"\. Allowed: aarch64, arm, /],
      [
        'qemu-version',
        { 'qemu-version': '9.9' },
        /^Invalid value for input "qemu-version": "9\.9" matches no supported series\. Supported: latest, 10\.2 \(10\.2\.2\)/,
      ],
      [
        'qemu-version',
        { 'qemu-version': '10.2.1' },
        /^Invalid value for input "qemu-version": "10\.2\.1" is not the release this action ships/,
      ],
      [
        'qemu-source',
        { 'qemu-source': 'ftp://example.invalid/qemu.tar.xz' },
        /^Invalid value for input "qemu-source": .*Allowed: upstream, debian, an http\(s\) URL, or a local path/,
      ],
      [
        'qemu-source',
        { 'qemu-source': 'upsteam' },
        /^Invalid value for input "qemu-source": "upsteam"\. Allowed: .*; there is no \/\S+\/workspace\/upsteam$/,
      ],
      [
        'qemu-sha256',
        { 'qemu-sha256': 'not-a-hash' },
        /^Invalid value for input "qemu-sha256": "not-a-hash"\. Expected 64 hexadecimal digits$/,
      ],
      [
        'context',
        { context: '../elsewhere', build: 'true' },
        /^Invalid value for input "context": "\.\.\/elsewhere" is outside the workspace /,
      ],
      [
        'file',
        { file: '/etc/passwd', build: 'true' },
        /^Invalid value for input "file": "\/etc\/passwd" is outside the workspace /,
      ],
      [
        'build-args',
        { 'build-args': 'A="first\nsecond"' },
        /^Invalid value for input "build-args" \(line 1\): the value of A opens a quote it does not close; values cannot span lines$/,
      ],
      [
        'build-args',
        { 'build-args': 'OK=1\nnot a pair' },
        /^Invalid value for input "build-args" \(line 2\): expected KEY=VALUE/,
      ],
      [
        'labels',
        { labels: 'bad key=1' },
        /^Invalid value for input "labels" \(line 1\): bad key "bad key"; keys must match /,
      ],
      [
        'tags',
        { tags: 'me/App:1' },
        /^Invalid value for input "tags": "me\/App:1"\. Expected \[registry\[:port\]\/\]name\[:tag\]/,
      ],
      [
        'cache',
        { cache: 'yes' },
        /^Invalid value for input "cache": "yes"\. Allowed: true, True, TRUE, false, False, FALSE$/,
      ],
      ['build', { build: 'no' }, /^Invalid value for input "build": "no"\. Allowed: true, /],
      ['push', { push: '1' }, /^Invalid value for input "push": "1"\. Allowed: true, /],
      [
        'install-deps',
        { 'install-deps': 'always' },
        /^Invalid value for input "install-deps": "always"\. Allowed: auto, false, never$/,
      ],
    ])('%s %j', (_input, inputs, message) => {
      const r = f.run(inputs);
      expect(f.failedCleanly(r)).toMatch(message);
      expect(r.main.log).not.toMatch(/Emulator cache key|Compiling|Downloading/);
    });
  });
});
