// The fault matrix, src/util/download.ts: HTTP 500/503 and dropped connections are retried,
// then reported naming the URL; a server that fails once is recovered from. Each fault caches
// nothing and leaves nothing behind after post (support/fault-matrix.ts). Nothing is compiled:
// the tarball served is a small one of the wrong release.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { faultRuns, type FaultRuns } from '../../support/fault-matrix.js';
import { fakeTarball } from '../../support/qemu-tarballs.js';
import { servedDir, startSourceServer, type Fault, type SourceServer } from '../../support/source-server.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A sound tarball of the wrong release, small: a download that recovers then fails later.
const WRONG = 'qemu-10.2.1.tar.xz';

describe('fault matrix: downloads', () => {
  let f: FaultRuns;
  let srv: string;
  let server: SourceServer;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    f = faultRuns('faults-download');
    srv = servedDir(path.join(f.scratch, 'served'), {});
    fakeTarball(f.scratch, '10.2.1', path.join(srv, WRONG));
    server = await startSourceServer(srv);
  });
  afterAll(() => {
    server?.stop();
    f?.cleanup();
  });

  describe('3. HTTP errors and dropped connections', () => {
    test.each<[Fault, string]>([
      ['status-500', 'HTTP 500 Internal Server Error'],
      ['status-503', 'HTTP 503 Service Unavailable'],
      ['drop', 'the connection was closed mid-transfer \\(ECONNRESET\\) after \\d+ of \\d+ bytes'],
    ])('%s: retried 3 times, then reported naming the URL', (kind, said /* a RegExp source */) => {
      const url = server.url(WRONG, kind);
      const r = f.run({ 'qemu-source': url, 'qemu-sha256': sha256(path.join(srv, WRONG)) });
      const err = f.failedCleanly(r);
      expect(err).toMatch(/^Could not get the QEMU source \(input "qemu-source"\): cannot download /);
      expect(err).toMatch(new RegExp(`cannot download ${esc(url)}: ${said} \\(gave up after 4 attempts\\)$`));
      for (const n of [1, 2, 3]) {
        expect(r.main.log).toMatch(
          new RegExp(
            `The download of ${esc(url)} failed \\(attempt ${n} of 4\\): .*; retrying in ${2 ** n} s`,
          ),
        );
      }
      expect(r.main.log).not.toContain('attempt 4 of 4');
      expect(server.requests(`/${kind}/${WRONG}`)).toHaveLength(4);
    });

    test('a server that fails once: the download recovers and the run goes on to the next step', () => {
      const url = server.url(WRONG, 'fail-once');
      const r = f.run({ 'qemu-source': url, 'qemu-sha256': sha256(path.join(srv, WRONG)) });
      expect(r.main.log).toContain(
        `The download of ${url} failed (attempt 1 of 4): HTTP 503 Service Unavailable; retrying in 2 s`,
      );
      expect(r.main.log).not.toContain('attempt 2 of 4');
      expect(server.requests(`/fail-once/${WRONG}`)).toHaveLength(2);
      // The whole file came (its sha256 is logged), was unpacked, and is rejected for what it is.
      expect(r.main.log).toContain(`sha256 ${sha256(path.join(srv, WRONG))}`);
      const err = f.failedCleanly(r);
      expect(err).toBe(
        `The QEMU source from ${url} is version 10.2.1, but "qemu-version" resolved to 10.2.2; the -execve patch is made for that exact release.`,
      );
    });
  });
});
