// Cancel means stop. A cancelled step gets SIGINT (a runner sends SIGTERM next): during the
// download of the QEMU source, during configure and during an emulated RUN step of the image
// build, main ends at once with 130 or 143; nothing it started is left running, in its session
// or as a build step in the daemon; no new command starts; RUNNER_TEMP is empty when main alone
// has ended (post has nothing left to do), and no tool-cache entry is marked complete. The
// cancel during ninja is in qemu-build.e2e.test.ts.
//
// No compile: the download never ends, configure is stopped, the image build uses the shared
// emulator.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { BASE_ARM64, imageExists } from '../../support/docker.js';
import { FAULT_INPUTS, faultRuns, type FaultRuns } from '../../support/fault-matrix.js';
import { prepareBuild } from '../../support/image-test.js';
import {
  killSession,
  runNodeInSession,
  sessionMembers,
  settledSession,
  type SessionEnd,
} from '../../support/process-sessions.js';
import { LOCAL_QEMU, requireDebianTarball, type DebianTarball } from '../../support/qemu-sources.js';
import { mainResult, prepareStep, runPost, stepError, type Step } from '../../support/runner.js';
import { servedDir, startSourceServer, type SourceServer } from '../../support/source-server.js';
import { completeMarks } from '../../support/tool-cache.js';
import { cleanupEnv, gitStatus } from '../../support/workspace.js';

/** The command line of every process on the host (those of containers included). */
function commandLines(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Cancelled {
  readonly end: SessionEnd;
  /** The session's command names when the signal was sent. */
  readonly running: string[];
  /** What was still running in the session once main had ended (up to 15 s). */
  readonly left: string[];
  /** From the signal to main's end. */
  readonly ms: number;
}

/**
 * Run `step`'s main in a session of its own; once its log matches `when` and `ready()` resolves,
 * send it `sig`. Whatever is left of the session afterwards is killed.
 */
async function cancelMain(
  step: Step,
  when: RegExp,
  sig: NodeJS.Signals,
  ready: () => Promise<void> = async () => undefined,
): Promise<Cancelled> {
  let running: string[] = [];
  let sentAt = 0;
  const end = await runNodeInSession(
    step.main,
    { env: step.processEnv, cwd: step.env.workspace },
    when,
    (pid) =>
      void ready().then(() => {
        running = sessionMembers(pid).map((p) => p.comm);
        sentAt = Date.now();
        process.kill(pid, sig);
      }),
  );
  const ms = Date.now() - sentAt;
  const left = await settledSession(end.pid);
  await killSession(end.pid);
  if (sentAt === 0) throw new Error(`main ended before the ${sig}:\n${end.log.slice(-6000)}`);
  return { end, running, left, ms };
}

/** What every cancelled main shows: the status, its error, nothing running and nothing in RUNNER_TEMP. */
function expectStopped(c: Cancelled, step: Step, sig: 'SIGINT' | 'SIGTERM'): void {
  const code = sig === 'SIGINT' ? 130 : 143;
  expect({ code: c.end.code, signal: c.end.signal }).toEqual({ code, signal: null });
  const main = mainResult(step, c.end.code ?? -1, c.end.log);
  expect(stepError(main)).toBe(
    `Cancelled (${sig}): the running work was stopped and this step's temporary files removed`,
  );
  expect(c.left).toEqual([]);
  expect(readdirSync(step.env.temp)).toEqual([]);
  // Post finds nothing left to do, and succeeds.
  expect(JSON.parse(main.state.get('anyarch-paths') ?? '[]')).toEqual([]);
  const post = runPost(step, main);
  expect(post.status).toBe(0);
  expect(readdirSync(step.env.temp)).toEqual([]);
}

describe('cancel means stop', () => {
  let f: FaultRuns;
  let debian: DebianTarball;
  let server: SourceServer;
  let tarball: string;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    debian = requireDebianTarball();
    f = faultRuns('cancel');
    tarball = `qemu-${debian.entry.version}.tar.xz`;
    server = await startSourceServer(servedDir(path.join(f.scratch, 'served'), { [tarball]: debian.file }));
  });
  afterAll(() => {
    server?.stop();
    f?.cleanup();
  });

  test('SIGINT during the download of the source: no retry, no partial file, exit 130 at once', async () => {
    const url = server.url(tarball, 'trickle');
    const step = prepareStep(
      f.env,
      { ...FAULT_INPUTS, 'qemu-source': url, 'qemu-sha256': debian.sha256 },
      f.options(),
    );
    const asked = () => server.requests(`/trickle/${tarball}`).length;
    const c = await cancelMain(step, /^Downloading http/m, 'SIGINT', async () => {
      while (asked() === 0) await wait(50);
      await wait(1500); // the body is coming, a KiB at a time
    });
    expect(c.end.log).toContain('Received SIGINT: passing it on to no running command; the run is cancelled');
    expect(c.ms).toBeLessThan(5000);
    expectStopped(c, step, 'SIGINT');
    expect(asked()).toBe(1);
    expect(c.end.log).not.toMatch(/retrying in|Configuring: /);
    expect(existsSync(f.toolCache) ? readdirSync(f.toolCache) : []).toEqual([]);
    expect(gitStatus(f.env.workspace)).toBe(f.before);
  });

  test('SIGTERM during configure: configure and all it started stop, ninja never starts, exit 143', async () => {
    const url = server.url(tarball);
    const step = prepareStep(
      f.env,
      { ...FAULT_INPUTS, 'qemu-source': url, 'qemu-sha256': debian.sha256 },
      f.options(),
    );
    // Some seconds into configure, when it runs programs of its own (meson, the compiler).
    const c = await cancelMain(step, /^Configuring: /m, 'SIGTERM', () => wait(3000));
    expect(c.running.length).toBeGreaterThan(2);
    expect(c.end.log).toMatch(
      /Received SIGTERM: passing it on to pid \d+ and all below; the run is cancelled/,
    );
    expect(c.ms).toBeLessThan(15_000);
    expectStopped(c, step, 'SIGTERM');
    expect(c.end.log).not.toMatch(/Compiling on/);
    expect(completeMarks(f.toolCache)).toEqual([]);
    expect(gitStatus(f.env.workspace)).toBe(f.before);
  });

  test('SIGINT during an emulated RUN step: the build and its guest process stop, the emulator image is removed, exit 130', async () => {
    // A number no other process has in its command line: the guest's sleep, found on the host.
    // Matched as a word of its own: busybox's sh runs the applet through /proc/self/exe, so the
    // emulator's command line reads "... -0 sleep -- /bin/busybox <token>" once sh has exec'd it
    // (only the shell's own "sleep <token>", before that exec, held the two words together).
    const token = String(2_000_000 + (Date.now() % 1_000_000));
    const guestSleeps = () => commandLines().filter((l) => l.split(' ').includes(token));
    const dockerfile = `FROM ${BASE_ARM64}\nRUN echo "guest-$(uname -m)-started" && sleep ${token}\n`;
    const { env, before } = prepareBuild({ Dockerfile: dockerfile });
    try {
      const step = prepareStep(env, { arch: 'aarch64', ...LOCAL_QEMU, 'no-cache': 'true' });
      let sleeping: string[] = [];
      const c = await cancelMain(step, /guest-aarch64-started/, 'SIGINT', async () => {
        for (let i = 0; i < 300 && sleeping.length === 0; i++) {
          sleeping = guestSleeps();
          await wait(100);
        }
      });
      expect(sleeping).not.toEqual([]);
      expect(c.running).toContain('docker');
      expect(c.ms).toBeLessThan(15_000);
      expectStopped(c, step, 'SIGINT');
      for (let i = 0; i < 150 && guestSleeps().length > 0; i++) await wait(100);
      expect(guestSleeps()).toEqual([]);
      const removed = /Removed image\(s\): (.*)$/m.exec(c.end.log)?.[1]?.split(', ') ?? [];
      expect(removed.some((r) => r.startsWith('anyarch-emu:'))).toBe(true);
      for (const r of removed) expect(imageExists(r)).toBe(false);
      expect(gitStatus(env.workspace)).toBe(before);
    } finally {
      cleanupEnv(env);
    }
  });
});
