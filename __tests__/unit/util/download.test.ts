// The source download's retries against a real HTTP server on loopback, with the pauses between
// attempts recorded instead of slept.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  download,
  DownloadError,
  errorText,
  isRetryableStatus,
  retryDelaySeconds,
  withRetries,
} from '../../../src/util/download.js';

const BODY = Buffer.alloc(256 * 1024, 'q');

/** A 64 KiB tmpfs (BODY does not fit), or why there is none: mounting needs root and the right. */
function smallDisk(): { dir: string } | { why: string } {
  if (process.getuid?.() !== 0) return { why: 'not root, cannot mount a tmpfs' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return { dir };
  rmSync(dir, { recursive: true, force: true });
  return { why: `cannot mount a tmpfs: ${(r.stderr || String(r.error)).trim()}` };
}

describe('retry policy', () => {
  it('retries server errors, timeouts and rate limits only', () => {
    expect([500, 502, 503, 504, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410].some(isRetryableStatus)).toBe(false);
  });
  it('doubles the pause, or takes a longer Retry-After of at most a minute', () => {
    expect([1, 2, 3].map((n) => retryDelaySeconds(n))).toEqual([2, 4, 8]);
    expect(retryDelaySeconds(1, '30')).toBe(30);
    expect(retryDelaySeconds(3, '5')).toBe(8);
    expect(retryDelaySeconds(1, '3600')).toBe(2);
    expect(retryDelaySeconds(1, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBe(2);
  });
  it('names a dropped connection', () => {
    expect(errorText(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toMatch(
      /closed mid-transfer/,
    );
    expect(errorText(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }))).toBe(
      'connect failed (ECONNREFUSED)',
    );
  });
  it('says how many attempts were made', async () => {
    const slept: number[] = [];
    const log: string[] = [];
    let n = 0;
    const failing = withRetries(
      async () => {
        n++;
        throw new DownloadError('HTTP 503 Service Unavailable', true, 503);
      },
      {
        attempts: 3,
        what: 'download of X',
        sleep: async (s) => void slept.push(s),
        log: (m) => void log.push(m),
      },
    );
    await expect(failing).rejects.toThrow('HTTP 503 Service Unavailable (gave up after 3 attempts)');
    expect(n).toBe(3);
    expect(slept).toEqual([2, 4]);
    expect(log).toEqual([
      'The download of X failed (attempt 1 of 3): HTTP 503 Service Unavailable; retrying in 2 s',
      'The download of X failed (attempt 2 of 3): HTTP 503 Service Unavailable; retrying in 4 s',
    ]);
  });
});

describe('download', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  /** Requests per path. */
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      const n = (hits.get(url) ?? 0) + 1;
      hits.set(url, n);
      const whole = () => res.writeHead(200, { 'Content-Length': BODY.length }).end(BODY);
      if (url === '/ok') whole();
      else if (url === '/500') res.writeHead(500).end('boom\n');
      else if (url === '/404') res.writeHead(404).end('gone\n');
      else if (url === '/503-once') {
        if (n === 1) res.writeHead(503, { 'Retry-After': '3' }).end('busy\n');
        else whole();
      } else if (url === '/drop' || (url === '/drop-once' && n === 1)) {
        // Headers promise the whole body; the connection dies after a quarter of it.
        res.writeHead(200, { 'Content-Length': BODY.length });
        res.write(BODY.subarray(0, BODY.length / 4), () => setTimeout(() => res.socket?.destroy(), 20));
      } else if (url === '/drop-once') whole();
      else res.writeHead(400).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-dl-'));
    hits.clear();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const get = async (p: string) => {
    const slept: number[] = [];
    const log: string[] = [];
    const dest = path.join(dir, 'file.tar.xz');
    const result = download(`${base}${p}`, dest, {
      sleep: async (s) => void slept.push(s),
      log: (m) => void log.push(m),
    });
    return { result, dest, slept, log };
  };

  it('downloads a file', async () => {
    const { result, dest } = await get('/ok');
    await expect(result).resolves.toBe(dest);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(readdirSync(dir)).toEqual(['file.tar.xz']);
  });

  it('recovers from a 503, waiting as long as Retry-After asks', async () => {
    const { result, dest, slept, log } = await get('/503-once');
    await expect(result).resolves.toBe(dest);
    expect(hits.get('/503-once')).toBe(2);
    expect(slept).toEqual([3]);
    expect(log[0]).toMatch(/attempt 1 of 4\): HTTP 503/);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('recovers from a connection dropped mid-body', async () => {
    const { result, dest, log } = await get('/drop-once');
    await expect(result).resolves.toBe(dest);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(
      /attempt 1 of 4\): the connection was closed mid-transfer .* after \d+ of 262144 bytes; retrying in 2 s$/,
    );
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('gives up on a 500 after 4 attempts, naming the URL, and leaves no file', async () => {
    const { result, dest, slept } = await get('/500');
    await expect(result).rejects.toThrow(
      `cannot download ${base}/500: HTTP 500 Internal Server Error (gave up after 4 attempts)`,
    );
    expect(hits.get('/500')).toBe(4);
    expect(slept).toEqual([2, 4, 8]);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a connection that always drops, leaving no partial file', async () => {
    const { result } = await get('/drop');
    await expect(result).rejects.toThrow(
      /cannot download .*\/drop: .* after \d+ of 262144 bytes \(gave up after 4 attempts\)/,
    );
    expect(hits.get('/drop')).toBe(4);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not retry a 404', async () => {
    const { result, slept } = await get('/404');
    await expect(result).rejects.toThrow(/cannot download .*\/404: HTTP 404 Not Found \(not retried/);
    expect(hits.get('/404')).toBe(1);
    expect(slept).toEqual([]);
  });

  it('does not retry when the file cannot be written: a directory in its place', async () => {
    const { result, dest, slept } = await get('/ok');
    mkdirSync(dest);
    writeFileSync(path.join(dest, 'keep'), '');
    await expect(result).rejects.toThrow(
      /cannot download .*\/ok: cannot write .*file\.tar\.xz: EISDIR: .* \(not retried: a local file-system error\)$/,
    );
    // The whole body came; the one request is all the server saw.
    expect(hits.get('/ok')).toBe(1);
    expect(slept).toEqual([]);
    expect(readdirSync(dir)).toEqual(['file.tar.xz']);
  });

  it('does not retry, nor even ask, when the destination directory is a file', async () => {
    writeFileSync(path.join(dir, 'file'), '');
    const slept: number[] = [];
    const result = download(`${base}/ok`, path.join(dir, 'file', 'x.tar.xz'), {
      sleep: async (s) => void slept.push(s),
      log: () => {},
    });
    await expect(result).rejects.toThrow(/cannot write .*x\.tar\.xz\.part: ENOTDIR: .*not retried/);
    expect(hits.get('/ok')).toBeUndefined();
    expect(slept).toEqual([]);
  });

  // A disk that fills up mid-body: a 64 KiB tmpfs of its own, mounted while the tests are collected.
  const disk = smallDisk();
  afterAll(() => {
    if (!('dir' in disk)) return;
    spawnSync('umount', [disk.dir]);
    rmSync(disk.dir, { recursive: true, force: true });
  });
  ('dir' in disk ? it : it.skip)(
    `does not retry a full disk, leaving no partial file${'why' in disk ? ` (skipped: ${disk.why})` : ''}`,
    async () => {
      const full = (disk as { dir: string }).dir;
      const slept: number[] = [];
      const result = download(`${base}/ok`, path.join(full, 'x.tar.xz'), {
        sleep: async (s) => void slept.push(s),
        log: () => {},
      });
      await expect(result).rejects.toThrow(
        /cannot write .*x\.tar\.xz\.part: ENOSPC: no space left on device.*\(not retried: a local file-system error\)/,
      );
      expect(hits.get('/ok')).toBe(1);
      expect(slept).toEqual([]);
      expect(readdirSync(full)).toEqual([]);
    },
  );

  it('retries a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const slept: number[] = [];
    const result = download(`http://127.0.0.1:${port}/x.tar.xz`, path.join(dir, 'x'), {
      sleep: async (s) => void slept.push(s),
      log: () => {},
    });
    await expect(result).rejects.toThrow(/ECONNREFUSED.*gave up after 4 attempts/);
    expect(slept).toHaveLength(3);
  });
});
