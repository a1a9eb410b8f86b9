// A cancel stops the work at once: a command does not start after it; a running one is stopped
// with its whole tree of processes, grandchildren that ignore the signal included; a download
// in progress and a pause between attempts end, leaving no file behind. Real processes and a
// real local HTTP server.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CancelledError, sleep } from '../../../src/util/cancel.js';
import { download } from '../../../src/util/download.js';
import { mustRun, runCommand } from '../../../src/util/exec.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-cancel-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A controller whose abort is a cancel by `sig`, as signals.ts makes one. */
function canceller(sig: NodeJS.Signals = 'SIGINT') {
  const c = new AbortController();
  return { signal: c.signal, cancel: () => c.abort(new CancelledError(sig)) };
}

/** The process exists and has not ended (a zombie has: only its parent has not reaped it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runCommand and a cancel', () => {
  it('starts no command once the run is cancelled', async () => {
    const c = canceller();
    c.cancel();
    const marker = path.join(dir, 'ran');
    await expect(runCommand('touch', [marker], { signal: c.signal })).rejects.toThrow(CancelledError);
    await expect(mustRun('touch', [marker], { signal: c.signal, echo: true })).rejects.toThrow(
      'Cancelled (SIGINT)',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(marker)).toBe(false);
    // A clean-up command still runs.
    await expect(runCommand('touch', [marker], { signal: null })).resolves.toMatchObject({ exitCode: 0 });
    expect(existsSync(marker)).toBe(true);
  });

  it('stops a running command and its whole tree: the command gets the signal, what is left is killed', async () => {
    const c = canceller('SIGINT');
    const got = path.join(dir, 'got');
    const bgPid = path.join(dir, 'bg');
    // A non-interactive sh starts a `&` job with SIGINT ignored: the signal alone leaves it running.
    const script = `trap 'echo INT > ${got}; exit 9' INT; sleep 300 & echo $! > ${bgPid}; echo started; wait`;
    let started = false;
    const run = runCommand('sh', ['-c', script], {
      signal: c.signal,
      onLine: (l) => void (started ||= l === 'started'),
    });
    await until(() => started);
    const bg = Number(readFileSync(bgPid, 'utf8'));
    expect(running(bg)).toBe(true);
    const t0 = Date.now();
    c.cancel();
    await expect(run).rejects.toThrow(CancelledError);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(readFileSync(got, 'utf8')).toBe('INT\n');
    await until(() => !running(bg), 2000);
  });

  it('kills the grandchildren a stopped command leaves behind, however deep', async () => {
    const c = canceller('SIGINT');
    const pids = path.join(dir, 'pids');
    // sh → sh → sleep, each `&` job ignoring SIGINT: only the outer shell ends on the signal.
    const script = `sh -c 'sleep 300 & echo $$ $! > ${pids}; wait' & wait`;
    const run = runCommand('sh', ['-c', script], { signal: c.signal });
    await until(() => existsSync(pids) && readFileSync(pids, 'utf8').endsWith('\n'));
    const [middle = 0, sleeper = 0] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect([running(middle), running(sleeper)]).toEqual([true, true]);
    c.cancel();
    await expect(run).rejects.toThrow('Cancelled (SIGINT)');
    await until(() => !running(middle) && !running(sleeper), 2000);
  });
});

describe('download and a cancel', () => {
  let server: http.Server;
  let base: string;
  let requests = 0;
  const SIZE = 4 << 20;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      if (req.url === '/trickle') {
        // The whole size announced, a kilobyte every 50 ms: minutes to finish.
        res.writeHead(200, { 'Content-Length': SIZE });
        const t = setInterval(() => res.write(Buffer.alloc(1024, 120)), 50);
        res.on('close', () => clearInterval(t));
      } else if (req.url === '/silent') {
        // Never answers.
      } else res.writeHead(503).end('busy\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests = 0;
  });

  it('ends a download in progress at once, leaving no partial file', async () => {
    const c = canceller();
    const dest = path.join(dir, 'qemu.tar.xz');
    const result = download(`${base}/trickle`, dest, { signal: c.signal });
    await until(() => existsSync(`${dest}.part`) && readFileSync(`${dest}.part`).length > 2048);
    const t0 = Date.now();
    c.cancel();
    await expect(result).rejects.toThrow(CancelledError);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(readdirSync(dir)).toEqual([]);
    expect(requests).toBe(1);
  });

  it('ends a download still waiting for the answer', async () => {
    const c = canceller();
    const result = download(`${base}/silent`, path.join(dir, 'f'), { signal: c.signal });
    await until(() => requests === 1);
    const t0 = Date.now();
    c.cancel();
    await expect(result).rejects.toThrow(CancelledError);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cuts the pause before the next attempt short, and makes no further attempt', async () => {
    const c = canceller();
    const log: string[] = [];
    const result = download(`${base}/busy`, path.join(dir, 'f'), {
      signal: c.signal,
      firstDelaySeconds: 60,
      log: (m) => void log.push(m),
    });
    await until(() => log.length === 1);
    expect(log[0]).toMatch(/retrying in 60 s$/);
    const t0 = Date.now();
    c.cancel();
    await expect(result).rejects.toThrow(CancelledError);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(requests).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not start once the run is cancelled', async () => {
    const c = canceller();
    c.cancel();
    await expect(download(`${base}/trickle`, path.join(dir, 'f'), { signal: c.signal })).rejects.toThrow(
      CancelledError,
    );
    expect(requests).toBe(0);
  });
});

describe('sleep', () => {
  it('ends at once on a cancel, with its CancelledError', async () => {
    const c = canceller('SIGTERM');
    const t0 = Date.now();
    const slept = sleep(60_000, c.signal);
    setTimeout(c.cancel, 50);
    await expect(slept).rejects.toThrow('Cancelled (SIGTERM)');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(sleep(10, new AbortController().signal)).resolves.toBeUndefined();
  });
});
