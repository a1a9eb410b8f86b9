// Compiling the patched static emulators from a prepared source tree: patch, configure, ninja on
// every core, strip, self-test, in a staging directory moved into place only when complete.
import { availableParallelism } from 'node:os';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { CommandError, mustRun, runCommand } from '../util/exec.js';
import { ninjaTargets, parseNinjaProgress, progressToReport } from './configure.js';
import { selfTest } from './selftest.js';

export interface BuildRequest {
  /** Top of a writable QEMU source tree. */
  readonly srcDir: string;
  /** The -execve patch for this series. */
  readonly patchFile: string;
  readonly qemuVersion: string;
  readonly targets: readonly string[];
  readonly configureFlags: readonly string[];
  /** Directory to create with qemu-<t> for each target; must not exist. */
  readonly outDir: string;
}

export interface BuildResult {
  readonly dir: string;
  readonly seconds: number;
}

async function applyPatch(srcDir: string, patchFile: string): Promise<void> {
  const r = await runCommand('patch', ['-p1', '--fuzz=0', '--no-backup-if-mismatch', '--forward', '-d', srcDir, '-i', patchFile]);
  if (r.exitCode !== 0) {
    throw new Error(
      `the -execve patch ${path.basename(patchFile)} does not apply to this QEMU source ` +
        `(patch -p1 --fuzz=0 failed):\n${(r.stdout + r.stderr).trim().split('\n').slice(-20).join('\n')}`,
    );
  }
}

export async function buildEmulators(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const log: string[] = [];
  const record = (line: string) => log.push(line);
  const buildDir = path.join(req.srcDir, 'build');
  try {
    core.info(`Applying ${path.basename(req.patchFile)}`);
    await applyPatch(req.srcDir, req.patchFile);
    await fs.mkdir(buildDir, { recursive: true });
    core.info(`Configuring: ../configure ${req.configureFlags.join(' ')}`);
    await mustRun('../configure', req.configureFlags, { cwd: buildDir, onLine: record });
    const jobs = availableParallelism();
    const ninja = ['-j', String(jobs), ...ninjaTargets(req.targets)];
    core.info(`Compiling on ${jobs} core(s): ninja ${ninja.join(' ')}`);
    let last = -10;
    await mustRun('ninja', ninja, {
      cwd: buildDir,
      onLine: (line) => {
        record(line);
        const p = parseNinjaProgress(line);
        const pct = p && progressToReport(p, last);
        if (p && pct !== undefined) {
          last = pct;
          core.info(`  ${pct}% (${p.done}/${p.total}), ${Math.round((Date.now() - started) / 1000)} s`);
        }
      },
    });
  } catch (err) {
    // The tail of the output is in the error; the whole log goes into a collapsed group.
    await core.group(`QEMU build log (${log.length} lines, failed)`, async () => core.info(log.join('\n')));
    if (err instanceof CommandError) throw new Error(`building QEMU ${req.qemuVersion} failed: ${err.message}`);
    throw err;
  }
  await core.group(`QEMU build log (${log.length} lines)`, async () => core.info(log.join('\n')));

  const staging = `${req.outDir}.staging-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  for (const t of req.targets) {
    await mustRun('strip', ['-o', path.join(staging, `qemu-${t}`), path.join(buildDir, `qemu-${t}`)]);
  }
  const problem = await selfTest(staging, req.targets, req.qemuVersion);
  if (problem !== undefined) throw new Error(`the freshly built emulator fails its self-test: ${problem}`);
  await fs.rename(staging, req.outDir);
  const seconds = Math.round((Date.now() - started) / 1000);
  core.info(`Built ${req.targets.map((t) => `qemu-${t}`).join(', ')} in ${seconds} s`);
  return { dir: req.outDir, seconds };
}
