// The fault matrix, src/docker/engine.ts: no Docker daemon at DOCKER_HOST fails at once, saying
// so, where, and how to start one; nothing is downloaded or compiled, cached or left behind.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { faultRuns, type FaultRuns } from '../../support/fault-matrix.js';

describe('fault matrix: the Docker daemon', () => {
  let f: FaultRuns;

  beforeAll(() => {
    assertNoBinfmt('aarch64');
    f = faultRuns('faults-docker');
  });
  afterAll(() => f?.cleanup());

  test('6. dockerd not reachable: the error says so, where, and how to start it', () => {
    const sock = path.join(f.scratch, 'nobody-listens.sock');
    const r = f.run({ build: 'true' }, { DOCKER_HOST: `unix://${sock}` });
    const err = f.failedCleanly(r);
    expect(err).toMatch(
      new RegExp(
        `^The Docker daemon is not reachable at DOCKER_HOST=unix://${sock.replace(/[.]/g, '\\.')} \\(docker version: .*Cannot connect to the Docker daemon`,
      ),
    );
    expect(err).toContain('Start it (e.g. "sudo systemctl start docker", or "sudo dockerd &"');
    expect(r.main.log).not.toMatch(/Compiling|Downloading/);
  });
});
