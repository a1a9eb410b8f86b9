// Starting and stopping servers/source-server.mjs: QEMU source tarballs over HTTP on loopback,
// with the faults it serves on request (HTTP 500/503, a dropped connection, a 503 once, a
// trickle).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './project.js';

export type Fault = 'file' | 'status-500' | 'status-503' | 'drop' | 'fail-once' | 'trickle';

export interface SourceServer {
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** The URL of `name` (a file of the served directory, or not) served as `kind`. */
  url(name: string, kind?: Fault): string;
  /** Every time the path (e.g. "/file/x.tar.xz") was asked for, in order. */
  requests(urlPath: string): string[];
  /** Stop the server and remove its request log. */
  stop(): void;
}

const SCRIPT = path.join(PROJECT_ROOT, '__tests__', 'support', 'servers', 'source-server.mjs');

/** Serve the files of `dir` (see servers/source-server.mjs for the paths). */
export async function startSourceServer(dir: string): Promise<SourceServer> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-source-server-'));
  const log = path.join(logDir, 'requests');
  const server: ChildProcess = spawn(process.execPath, [SCRIPT, dir, log], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let port: string;
  try {
    port = await new Promise<string>((resolve, reject) => {
      server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      server.once('exit', (code) => reject(new Error(`the source server exited (${code})`)));
      server.once('error', reject);
    });
  } catch (err) {
    rmSync(logDir, { recursive: true, force: true });
    throw err;
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    url: (name, kind = 'file') => `${base}/${kind}/${name}`,
    requests: (p) =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l === p)
        : [],
    stop: () => {
      server.kill();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** A directory (made if missing) holding a symlink to each file, under the name given: what to serve. */
export function servedDir(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, file] of Object.entries(files)) symlinkSync(file, path.join(dir, name));
  return dir;
}
