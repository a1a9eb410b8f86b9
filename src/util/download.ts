// Downloading one file over HTTP(S) with retries: server errors (5xx, 408, 429), refused or reset
// connections and bodies cut short are retried with a growing pause; other client errors (404…)
// are not. The file appears at its destination only once complete, so a failed or interrupted
// download never leaves something that looks like the whole file.
import { createWriteStream, promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';

/** Attempts in all (the first one and its retries). */
const DOWNLOAD_ATTEMPTS = 4;
/** Pause after the first failed attempt; doubled after each further one. */
const FIRST_RETRY_DELAY_SECONDS = 2;
/** Longest pause a Retry-After header may ask for before it is ignored for our own. */
const MAX_RETRY_AFTER_SECONDS = 60;

export class DownloadError extends Error {
  constructor(
    message: string,
    /** Worth another attempt. */
    readonly retryable: boolean,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    /** Retry-After header of that answer. */
    readonly retryAfter?: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** 408 Request Timeout, 429 Too Many Requests and every 5xx are transient; other statuses are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Seconds to wait after failed attempt number `failed` (1-based): 2, 4, 8, … or what the
 * server's Retry-After (seconds) asks, when that is longer and at most a minute.
 */
export function retryDelaySeconds(
  failed: number,
  retryAfter?: string,
  first = FIRST_RETRY_DELAY_SECONDS,
): number {
  const backoff = first * 2 ** (failed - 1);
  const asked = retryAfter !== undefined && /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return asked !== undefined && asked > backoff && asked <= MAX_RETRY_AFTER_SECONDS ? asked : backoff;
}

export interface RetryOptions {
  readonly attempts: number;
  /** What is being done, for messages: "download of https://…". */
  readonly what: string;
  readonly sleep?: (seconds: number) => Promise<void>;
  readonly log?: (message: string) => void;
  readonly firstDelaySeconds?: number;
}

const realSleep = (s: number) => new Promise<void>((resolve) => setTimeout(resolve, s * 1000));

/**
 * Run `attempt` until it succeeds, a DownloadError says it is not worth retrying, or `attempts`
 * have failed. The error thrown at the end says how many attempts were made.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const log = opts.log ?? ((m: string) => core.info(m));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const e = err instanceof DownloadError ? err : new DownloadError(errorText(err), true);
      if (!e.retryable) {
        throw new DownloadError(
          `${e.message} (not retried: that answer is not a transient failure)`,
          false,
          e.status,
        );
      }
      if (n >= opts.attempts) {
        throw new DownloadError(
          `${e.message} (gave up after ${n} attempt${n === 1 ? '' : 's'})`,
          true,
          e.status,
        );
      }
      const delay = retryDelaySeconds(n, e.retryAfter, opts.firstDelaySeconds);
      log(`The ${opts.what} failed (attempt ${n} of ${opts.attempts}): ${e.message}; retrying in ${delay} s`);
      await sleep(delay);
    }
  }
}

/** A readable message for anything thrown by the network stack. */
export function errorText(err: unknown): string {
  // Not `instanceof Error`: errors from Node's own modules may come from another realm.
  if (typeof err !== 'object' || err === null || typeof (err as Error).message !== 'string')
    return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message;
  if (message === 'aborted' || code === 'ECONNRESET')
    return `the connection was closed mid-transfer (${code ?? message})`;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** Count the bytes going through, to compare with Content-Length. */
function counter(): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      t.bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

async function attemptDownload(client: HttpClient, url: string, dest: string): Promise<void> {
  const partial = `${dest}.part`;
  await fs.rm(partial, { force: true });
  let res: IncomingMessage;
  try {
    res = (await client.get(url)).message;
  } catch (err) {
    throw new DownloadError(errorText(err), true);
  }
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    res.resume();
    const header = res.headers['retry-after'];
    throw new DownloadError(
      `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`,
      isRetryableStatus(status),
      status,
      typeof header === 'string' ? header : undefined,
    );
  }
  const expected =
    res.headers['content-encoding'] === undefined ? Number(res.headers['content-length'] ?? NaN) : NaN;
  const count = counter();
  try {
    await pipeline(res, count, createWriteStream(partial));
    if (!Number.isNaN(expected) && count.bytes !== expected) {
      throw new DownloadError(`the connection was closed after ${count.bytes} of ${expected} bytes`, true);
    }
    await fs.rename(partial, dest);
  } catch (err) {
    await fs.rm(partial, { force: true }).catch(() => undefined);
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(
      `${errorText(err)} after ${count.bytes}${Number.isNaN(expected) ? '' : ` of ${expected}`} bytes`,
      true,
    );
  }
}

export interface DownloadOptions {
  readonly attempts?: number;
  readonly sleep?: (seconds: number) => Promise<void>;
  readonly log?: (message: string) => void;
  readonly firstDelaySeconds?: number;
  /** Idle time after which a connection counts as dropped (ms). */
  readonly socketTimeoutMs?: number;
}

/**
 * Download `url` to `dest` (which must not exist), following redirects and the runner's proxy
 * settings, with retries. Returns `dest`; throws a DownloadError naming the URL otherwise.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<string> {
  const client = new HttpClient('anyarch-action', [], {
    allowRetries: false,
    allowRedirects: true,
    socketTimeout: opts.socketTimeoutMs ?? 120_000,
  });
  try {
    await withRetries(() => attemptDownload(client, url, dest), {
      attempts: opts.attempts ?? DOWNLOAD_ATTEMPTS,
      what: `download of ${url}`,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.firstDelaySeconds !== undefined ? { firstDelaySeconds: opts.firstDelaySeconds } : {}),
    });
  } catch (err) {
    const e = err as DownloadError;
    throw new DownloadError(`cannot download ${url}: ${e.message}`, e.retryable, e.status);
  } finally {
    client.dispose();
  }
  return dest;
}
