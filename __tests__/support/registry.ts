// A throwaway distribution registry (Debian's docker-registry) on loopback, which dockerd treats
// as an insecure registry by default; its storage is a temporary directory.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Registry {
  /** host:port, on 127.0.0.1. */
  readonly host: string;
  /** Stop the registry and remove its storage. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-registry-'));
  const logFile = path.join(dir, 'registry.log');
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  let lastError = '';
  // A port picked free can be taken before the registry binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(dir, 'data')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        '',
      ].join('\n'),
    );
    const log = openSync(logFile, 'w');
    // Output goes to a file: the tests block the event loop (spawnSync), so a pipe could fill up.
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', (e) => {
        lastError = String(e);
        exited = true;
        resolve();
      });
    });
    const stop = async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      cleanupDir();
    };
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return { host: `127.0.0.1:${port}`, stop };
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    lastError ||= existsSync(logFile) ? readFileSync(logFile, 'utf8') : 'no log';
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
  }
  cleanupDir();
  throw new Error(`docker-registry did not start: ${lastError.slice(-3000)}`);
}
