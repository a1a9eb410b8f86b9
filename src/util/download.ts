// Downloading one file over HTTP(S) with retries: server errors (5xx, 408, 429), refused or reset
// connections and bodies cut short are retried with a growing pause; other client errors (404…)
// and failures of the local file system (disk full, no permission) are not. The file appears at
// its destination only once complete, so a failed or interrupted download never leaves something
// that looks like the whole file. A cancel (cancel.ts) ends a download and a pause at once.
import { promises as fs } from 'node:fs';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import type { RequestHandler } from '@actions/http-client/lib/interfaces';
import { cancelReason, cancelSignal, CancelledError, sleep as cancellableSleep } from './cancel.js';

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

/** Writing the file failed here (disk full, no permission, no such directory): another attempt would too. */
export class LocalFileError extends DownloadError {
  constructor(file: string, cause: unknown) {
    super(`cannot write ${file}: ${errorText(cause)}`, false);
    this.name = 'LocalFileError';
    this.cause = cause;
  }
}

/** Run a file-system operation on `file`; its failure is a LocalFileError. */
async function onDisk<T>(file: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new LocalFileError(file, err);
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
  /** Ends the attempts and the pauses (default: the run's cancel). */
  readonly signal?: AbortSignal;
}

/**
 * Run `attempt` until it succeeds, a DownloadError says it is not worth retrying, or `attempts`
 * have failed. The error thrown at the end says how many attempts were made. A cancel ends an
 * attempt or a pause with its CancelledError.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const signal = opts.signal ?? cancelSignal();
  const sleep = opts.sleep ?? ((s: number) => cancellableSleep(s * 1000, signal));
  const log = opts.log ?? ((m: string) => core.info(m));
  for (let n = 1; ; n++) {
    try {
      if (signal.aborted) throw cancelReason(signal);
      return await attempt(n);
    } catch (err) {
      // Whatever the attempt made of it, an abort is a cancel, never worth another attempt.
      if (signal.aborted) throw cancelReason(signal);
      const e = err instanceof DownloadError ? err : new DownloadError(errorText(err), true);
      if (!e.retryable) {
        const why =
          e instanceof LocalFileError
            ? 'a local file-system error'
            : 'that answer is not a transient failure';
        throw new DownloadError(`${e.message} (not retried: ${why})`, false, e.status);
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

/** Write `body` (counted by `count`) to a new `file`; only writing it fails with LocalFileError. */
async function saveBody(body: IncomingMessage, count: Transform, file: string): Promise<void> {
  const out = await onDisk(file, () => fs.open(file, 'w'));
  // pipeline may report the abort of the streams before the sink's own error: keep the latter.
  let writeError: LocalFileError | undefined;
  try {
    await pipeline(body, count, async (chunks: AsyncIterable<Buffer>) => {
      // writeFile writes the whole chunk at the current position (write may write part of it).
      for await (const chunk of chunks) {
        await out.writeFile(chunk).catch((err: unknown) => {
          throw (writeError = new LocalFileError(file, err));
        });
      }
    });
  } catch (err) {
    await out.close().catch(() => undefined);
    throw writeError ?? err;
  }
  await onDisk(file, () => out.close());
}

/** Gives each request (redirects too) the abort signal: aborting destroys it and its response. */
function abortingWith(signal: AbortSignal): RequestHandler {
  return {
    prepareRequest: (options: RequestOptions) => void (options.signal = signal),
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('not supported')),
  };
}

async function attemptDownload(client: HttpClient, url: string, dest: string): Promise<void> {
  const partial = `${dest}.part`;
  await onDisk(partial, () => fs.rm(partial, { force: true }));
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
    await saveBody(res, count, partial);
    if (!Number.isNaN(expected) && count.bytes !== expected) {
      throw new DownloadError(`the connection was closed after ${count.bytes} of ${expected} bytes`, true);
    }
    await onDisk(dest, () => fs.rename(partial, dest));
  } catch (err) {
    res.destroy(); // a body left unread (the file could not be opened) would hold the connection
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
  /** Ends the download at once, removing what it wrote (default: the run's cancel). */
  readonly signal?: AbortSignal;
}

/**
 * Download `url` to `dest` (which must not exist), following redirects and the runner's proxy
 * settings, with retries. Returns `dest`; throws a DownloadError naming the URL otherwise.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<string> {
  const signal = opts.signal ?? cancelSignal();
  const client = new HttpClient('anyarch-action', [abortingWith(signal)], {
    allowRetries: false,
    allowRedirects: true,
    socketTimeout: opts.socketTimeoutMs ?? 120_000,
  });
  try {
    await withRetries(() => attemptDownload(client, url, dest), {
      signal,
      attempts: opts.attempts ?? DOWNLOAD_ATTEMPTS,
      what: `download of ${url}`,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.firstDelaySeconds !== undefined ? { firstDelaySeconds: opts.firstDelaySeconds } : {}),
    });
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    const e = err as DownloadError;
    throw new DownloadError(`cannot download ${url}: ${e.message}`, e.retryable, e.status);
  } finally {
    client.dispose();
  }
  return dest;
}
