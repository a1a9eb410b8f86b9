// The real signals, in a process of its own (support/programs/cancel-step.ts does what the
// action's entries do): SIGINT or SIGTERM during a command or a download ends the step with
// 130 or 143, nothing it started left running, no new command started, its temp dir removed;
// a phase that ignores the cancel is ended by the last resort, which still removes the temp dir.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isRunning, treeOf, type Proc } from '../../../src/util/proc-tree.js';
import { PROJECT_ROOT } from '../../support/project.js';
import { transpileForNode } from '../../support/transpile.js';

let scratch: string;
let program: string;
let server: http.Server;
let trickle: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'anyarch-cancel-step-'));
  program = transpileForNode(
    path.join(PROJECT_ROOT, '__tests__', 'support', 'programs', 'cancel-step.ts'),
    path.join(scratch, 'js'),
  );
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': 1 << 24 });
    const t = setInterval(() => res.write(Buffer.alloc(1024)), 50);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trickle = `http://127.0.0.1:${(server.address() as AddressInfo).port}/qemu.tar.xz`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

interface Ended {
  code: number | null;
  log: string;
  /** The step's descendants just before the signal. */
  tree: Proc[];
  /** Milliseconds from the signal to the end. */
  ms: number;
}

/** Run the step in `mode`; once `ready(log, tree)` holds, send `sig`. */
function cancelStep(
  mode: string,
  dir: string,
  sig: NodeJS.Signals,
  ready: (log: string, tree: Proc[]) => boolean,
  env: Record<string, string> = {},
): Promise<Ended> {
  const child = spawn(process.execPath, [program, mode, dir, trickle], { env: { ...process.env, ...env } });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  let tree: Proc[] = [];
  let sent = 0;
  const poll = setInterval(() => {
    const t = treeOf([child.pid!]).filter((p) => p.pid !== child.pid);
    if (sent === 0 && ready(log, t)) {
      tree = t;
      sent = Date.now();
      child.kill(sig);
    }
  }, 50);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, log, tree, ms: Date.now() - sent });
    }),
  );
}

const hasSleep = (log: string, tree: Proc[]) => log.includes('ready') && tree.length >= 2;

describe('a step cancelled by a signal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s during a command: exit %d, its tree stopped, no new command, temp dir removed',
    async (sig, code) => {
      const dir = mkdtempSync(path.join(scratch, 'run-'));
      const r = await cancelStep('command', dir, sig, hasSleep);
      expect(r.code).toBe(code);
      expect(r.log).toMatch(
        new RegExp(`Received ${sig}: passing it on to pid \\d+ and all below; the run is cancelled`),
      );
      expect(r.log).toContain(`error: Cancelled (${sig})`);
      expect(r.log).toContain(`refused: Cancelled (${sig})`);
      expect(r.tree.map((p) => p.pid)).toHaveLength(2); // sh and its sleep
      expect(r.tree.filter(isRunning)).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
      expect(r.ms).toBeLessThan(5000);
    },
  );

  it('SIGINT during a download: exit 130 at once, no partial file', async () => {
    const dir = mkdtempSync(path.join(scratch, 'run-'));
    const r = await cancelStep('download', dir, 'SIGINT', (log) => {
      const work = readdirSync(dir)[0];
      return log.includes('ready') && work !== undefined && existsSync(path.join(dir, work, 'file.part'));
    });
    expect(r.code).toBe(130);
    expect(r.log).toContain('Received SIGINT: passing it on to no running command; the run is cancelled');
    expect(r.log).toContain('error: Cancelled (SIGINT)');
    expect(readdirSync(dir)).toEqual([]);
    expect(r.ms).toBeLessThan(2000);
  });

  it('a phase that ignores the cancel: the last resort exits 143 and still removes the temp dir', async () => {
    const dir = mkdtempSync(path.join(scratch, 'run-'));
    const r = await cancelStep('hang', dir, 'SIGTERM', (log) => log.includes('ready'), { GRACE_MS: '300' });
    expect(r.code).toBe(143);
    expect(r.log).toContain('The run did not end after the cancel');
    expect(r.log).not.toContain('error:');
    expect(readdirSync(dir)).toEqual([]);
  });
});
