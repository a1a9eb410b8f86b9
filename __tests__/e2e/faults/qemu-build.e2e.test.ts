// The fault matrix, src/qemu/build.ts: a patch that does not apply fails naming the patch and
// the series, and touches nothing; a compile stopped in ninja (SIGINT, as a cancelled step gets,
// then SIGKILL to the whole tree, as a runner that gives up sends) leaves nothing running and no
// tool-cache entry that looks usable, and post still cleans up; a "complete" tool-cache entry
// holding another binary than its manifest lists is discarded without being run, and rebuilt;
// a third run is a tool-cache hit.
//
// One QEMU compile (aarch64, from Debian's orig tarball served over HTTP).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MANIFEST_FILE } from '../../../src/cache/manifest.js';
import { assertNoBinfmt } from '../../support/binfmt.js';
import { FAULT_INPUTS, faultRuns, type FaultRuns } from '../../support/fault-matrix.js';
import {
  killSession,
  runNodeInSession,
  sessionMembers,
  settledSession,
} from '../../support/process-sessions.js';
import { requireDebianTarball, TEST_SERIES, type DebianTarball } from '../../support/qemu-sources.js';
import { extractFiles } from '../../support/qemu-tarballs.js';
import { mainResult, prepareStep, runAction, runPost } from '../../support/runner.js';
import { servedDir, startSourceServer, type SourceServer } from '../../support/source-server.js';
import { completeMarks, sharedEmulator } from '../../support/tool-cache.js';
import { gitStatus } from '../../support/workspace.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** A line of ninja's progress, as the action prints it. */
const NINJA_PROGRESS = /^\s+\d+% \(\d+\/\d+\), \d+ s$/m;

describe('fault matrix: the QEMU build', () => {
  let f: FaultRuns;
  let debian: DebianTarball;
  let server: SourceServer;
  /** The tool-cache entry (TOOL/VERSION/ARCH) of qemu-aarch64, as the action names it. */
  let entry: string;
  /** That entry in the shared tool cache. */
  let sharedDir: string;

  beforeAll(async () => {
    assertNoBinfmt('aarch64');
    debian = requireDebianTarball();
    f = faultRuns('faults-build');
    const tarball = `qemu-${debian.entry.version}.tar.xz`;
    server = await startSourceServer(servedDir(path.join(f.scratch, 'served'), { [tarball]: debian.file }));
    // Where the action keeps this emulator, read from a run that finds it in the shared tool
    // cache: the same path below this test's own tool cache is where it will look for it.
    ({ entry, dir: sharedDir } = sharedEmulator('aarch64', TEST_SERIES));
  });
  afterAll(() => {
    server?.stop();
    f?.cleanup();
  });

  test('4. a patch that does not apply names the patch and the series; the tree given is not touched', () => {
    // The files the patch touches, from the real tarball, with one of them changed locally.
    const tree = path.join(f.scratch, 'local-tree');
    const files = [
      'VERSION',
      'configure',
      ...['elfload.c', 'main.c', 'meson.build', 'syscall.c'].map((x) => `linux-user/${x}`),
    ];
    extractFiles(debian.file, debian.entry.version, tree, files);
    const syscall = path.join(tree, 'linux-user', 'syscall.c');
    const line = 'return do_execv(cpu_env, arg1, arg2, arg3, arg4, arg5, true);';
    const text = readFileSync(syscall, 'utf8');
    expect(text.split(line)).toHaveLength(2);
    writeFileSync(syscall, text.replace(line, `${line} /* changed here */`));
    const listing = () => (readdirSync(tree, { recursive: true }) as string[]).sort();
    const was = { files: listing(), syscall: sha256(syscall) };

    const r = f.run({ 'qemu-source': tree, 'allow-unverified-source': 'true' });
    const err = f.failedCleanly(r);
    expect(err).toMatch(
      /^The -execve patch qemu-10\.2\.patch \(QEMU series 10\.2, made for 10\.2\.2\) does not apply to this QEMU source: linux-user\/syscall\.c: hunk #2 FAILED at line \d+\. /,
    );
    expect(err).toContain('Hunk #2 FAILED');
    expect(r.main.log).toContain('Applying qemu-10.2.patch');
    expect(r.main.log).not.toContain('Configuring: ');
    expect({ files: listing(), syscall: sha256(syscall) }).toEqual(was);
  });

  test('5. a compile killed in ninja leaves nothing usable; a broken cached binary is discarded and rebuilt', async () => {
    const { env, before, toolCache } = f;
    const url = server.url(`qemu-${debian.entry.version}.tar.xz`);
    const inputs = { ...FAULT_INPUTS, 'qemu-source': url, 'qemu-sha256': debian.sha256 };
    const opts = f.options();
    const startMain = (step: ReturnType<typeof prepareStep>, atNinja: (pid: number) => void) =>
      runNodeInSession(step.main, { env: step.processEnv, cwd: env.workspace }, NINJA_PROGRESS, atNinja);

    // A cancelled step: SIGINT to main alone once ninja reports progress. Main passes it on to
    // ninja, which stops its compilers (each in a group of its own); nothing may be left running.
    const step1 = prepareStep(env, inputs, opts);
    let runningAtSigint: string[] = [];
    const cancelled = await startMain(step1, (pid) => {
      runningAtSigint = sessionMembers(pid).map((p) => p.comm);
      process.kill(pid, 'SIGINT');
    });
    const leftAfterSigint = await settledSession(cancelled.pid);
    await killSession(cancelled.pid);
    expect(runningAtSigint).toContain('ninja');
    expect(cancelled.log).toMatch(/Received SIGINT: passing it on to pid \d+/);
    expect({ code: cancelled.code, signal: cancelled.signal }).toEqual({ code: 130, signal: null });
    expect(leftAfterSigint).toEqual([]);
    // Main removed its temp dir itself, before post.
    expect(readdirSync(env.temp)).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);
    const cancelledResult = mainResult(step1, cancelled.code ?? -1, cancelled.log);
    expect(runPost(step1, cancelledResult).status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);

    // A runner that gives up waiting: SIGKILL to main and all it started, mid-compile.
    const step = prepareStep(env, inputs, opts);
    let running: string[] = [];
    let killing: Promise<void> | undefined;
    const hard = await startMain(step, (pid) => {
      running = sessionMembers(pid).map((p) => p.comm);
      killing = killSession(pid);
    });
    await killing;
    const log = hard.log;
    expect(hard.signal).toBe('SIGKILL');
    expect(log).toMatch(/Compiling on \d+ core\(s\): ninja /);
    expect(running).toContain('ninja');
    expect(sessionMembers(hard.pid)).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);

    const killed = mainResult(step, -1, log);
    expect(killed.state.get('anyarch-paths')).toContain(env.temp);
    const post = runPost(step, killed);
    expect(post.status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);
    expect(completeMarks(toolCache)).toEqual([]);

    // A "complete" entry where the action looks for this emulator, beside the manifest of the
    // real one: a script that answers the self-test as a patched QEMU would, and leaves a mark
    // if anything runs it.
    const planted = path.join(toolCache, entry);
    const ran = path.join(f.scratch, 'planted-ran');
    mkdirSync(planted, { recursive: true });
    writeFileSync(
      path.join(planted, 'qemu-aarch64'),
      `#!/bin/sh\ntouch '${ran}'\ncase "$1" in -version) echo "qemu-aarch64 version 10.2.2";; -h) echo "-execve path  emulate execve";; esac\n`,
      { mode: 0o755 },
    );
    copyFileSync(path.join(sharedDir, MANIFEST_FILE), path.join(planted, MANIFEST_FILE));
    writeFileSync(`${planted}.complete`, '');
    const plantedSha = sha256(path.join(planted, 'qemu-aarch64'));
    const manifest = JSON.parse(readFileSync(path.join(planted, MANIFEST_FILE), 'utf8'));

    const rebuilt = runAction(env, inputs, opts);
    if (rebuilt.main.status !== 0) throw new Error(rebuilt.main.log.slice(-6000));
    expect(rebuilt.main.log).toContain(
      `::warning::Discarding the cached emulator in ${planted}: qemu-aarch64 has sha256 ${plantedSha}, ` +
        `its manifest says ${manifest.files['qemu-aarch64']}. It will be rebuilt.`,
    );
    expect(existsSync(ran)).toBe(false);
    expect(rebuilt.main.log).toContain(`Downloading ${url}`);
    expect(rebuilt.main.log).toContain(`sha256 ${debian.sha256} (verified)`);
    expect(rebuilt.main.log).toMatch(/Built qemu-aarch64 in \d+ s/);
    expect(rebuilt.main.outputs.get('cache-hit')).toBe('false');
    expect(rebuilt.main.outputs.get('qemu-path')).toBe(planted);
    expect(completeMarks(toolCache)).toEqual([path.relative(toolCache, `${planted}.complete`)]);
    const bin = path.join(planted, 'qemu-aarch64');
    expect(spawnSync(bin, ['-version'], { encoding: 'utf8' }).stdout).toMatch(/version 10\.2\.2/);
    expect(spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout).toMatch(/^-execve\s/m);
    expect(rebuilt.post.status).toBe(0);
    expect(gitStatus(env.workspace)).toBe(before);
    expect(readdirSync(env.temp)).toEqual([]);

    const again = runAction(env, inputs, opts);
    if (again.main.status !== 0) throw new Error(again.main.log.slice(-6000));
    expect(again.main.outputs.get('cache-hit')).toBe('tool-cache');
    expect(again.main.outputs.get('qemu-path')).toBe(planted);
    expect(again.main.log).not.toMatch(/Discarding|Downloading|Compiling/);
    expect(again.post.status).toBe(0);
    expect(readdirSync(env.temp)).toEqual([]);
  });
});
