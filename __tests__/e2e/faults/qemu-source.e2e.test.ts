// The fault matrix, src/qemu/source.ts: a truncated or corrupt tarball, from a URL or a local
// path, pinned to its own bytes or to another release's, or a local one allowed unverified,
// fails naming the source and the cause, caches nothing,
// and leaves nothing behind after post (support/fault-matrix.ts). Nothing is compiled.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { faultRuns, type FaultRuns } from '../../support/fault-matrix.js';
import { requireDebianTarball, type DebianTarball } from '../../support/qemu-sources.js';
import { corruptTarball, truncatedTarball } from '../../support/qemu-tarballs.js';
import { servedDir, startSourceServer, type SourceServer } from '../../support/source-server.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('fault matrix: the QEMU source', () => {
  let f: FaultRuns;
  let debian: DebianTarball;
  let srv: string;
  let server: SourceServer;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    debian = requireDebianTarball();
    f = faultRuns('faults-source');
    srv = servedDir(path.join(f.scratch, 'served'), {});
    truncatedTarball(debian.file, path.join(srv, 'truncated.tar.xz'));
    corruptTarball(f.scratch, debian.entry.version, path.join(srv, 'corrupt.tar.xz'));
    server = await startSourceServer(srv);
  });
  afterAll(() => {
    server?.stop();
    f?.cleanup();
  });

  describe('2. a truncated or corrupt tarball', () => {
    const cases: [string, string, RegExp][] = [
      [
        'truncated',
        'truncated.tar.xz',
        /: the tarball is truncated \(tar -xf \S+ exited with 2:\n[^]*Unexpected end of input/,
      ],
      [
        'corrupt',
        'corrupt.tar.xz',
        /: the tarball is corrupt or not a tar archive \(tar -xf \S+ exited with 2:\n[^]*Compressed data is corrupt/,
      ],
    ];
    describe.each(cases)('%s', (_what, name, cause) => {
      const sources = () => [server.url(name), path.join(srv, name)];
      const unpackFails = (r: ReturnType<FaultRuns['run']>, source: string) => {
        const err = f.failedCleanly(r);
        expect(err).toMatch(/^Cannot unpack the QEMU source /);
        expect(err).toContain(`Cannot unpack the QEMU source ${source} (input "qemu-source")`);
        expect(err).toMatch(cause);
        expect(r.main.log).not.toMatch(/Applying |Configuring: /);
      };

      test('unverified (a local path, allowed): the unpack fails, naming the source and the cause', () => {
        const source = path.join(srv, name);
        const r = f.run({ 'qemu-source': source, 'allow-unverified-source': 'true' });
        unpackFails(r, source);
        expect(r.main.log).toContain(`No sha256 is pinned for ${source}`);
      });

      test('pinned to its own bytes (over http too): the sha256 passes, the unpack fails', () => {
        for (const source of sources()) {
          const r = f.run({ 'qemu-source': source, 'qemu-sha256': sha256(path.join(srv, name)) });
          unpackFails(r, source);
          expect(r.main.log).toContain(`sha256 ${sha256(path.join(srv, name))} (verified)`);
        }
      });

      test('with a pin: the sha256 check fails before anything is unpacked', () => {
        for (const source of sources()) {
          const r = f.run({ 'qemu-source': source, 'qemu-sha256': debian.sha256 });
          const err = f.failedCleanly(r);
          expect(err).toBe(
            `sha256 mismatch for ${source} (input "qemu-sha256"): expected ${debian.sha256} (from input "qemu-sha256"), ` +
              `got ${sha256(path.join(srv, name))}. The tarball is truncated, corrupt, or not the release it claims to be; ` +
              'set "qemu-sha256" only to a hash you have verified.',
          );
          expect(r.main.log).not.toMatch(/Cannot unpack|Applying /);
        }
      });
    });
  });
});
