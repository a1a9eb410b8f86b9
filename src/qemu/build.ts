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

/** The files and hunks GNU patch reports as not applied, from its output. */
export function patchFailures(output: string): string[] {
  const out: string[] = [];
  let file = '';
  let missing = false;
  for (const line of output.split('\n')) {
    const f =
      /^(?:checking|patching) file '?(.+?)'?$/.exec(line) ??
      /^The next patch would create the file (.+),$/.exec(line);
    if (f) file = f[1] ?? '';
    if (/^can't find file to patch/.test(line)) missing = true;
    const header = /^\|(?:---|\+\+\+) [ab]\/(.+?)(?:\t.*)?$/.exec(line);
    if (missing && header) {
      out.push(`${header[1]}: not in the source tree`);
      missing = false;
    }
    const hunk = /^Hunk #(\d+) FAILED at (\d+)/.exec(line);
    if (hunk) out.push(`${file}: hunk #${hunk[1]} FAILED at line ${hunk[2]}`);
    if (/^Reversed \(or previously applied\) patch detected/.test(line)) out.push(`${file}: already patched`);
    if (/^which already exists!/.test(line)) out.push(`${file}: already exists`);
  }
  return [...new Set(out)];
}

async function applyPatch(srcDir: string, patchFile: string, qemuVersion: string): Promise<void> {
  const r = await runCommand('patch', [
    '-p1',
    '--fuzz=0',
    '--no-backup-if-mismatch',
    '--forward',
    '--batch',
    '-d',
    srcDir,
    '-i',
    patchFile,
  ]);
  if (r.exitCode !== 0) {
    const output = `${r.stdout}\n${r.stderr}`;
    const failed = patchFailures(output);
    const series = qemuVersion.split('.').slice(0, 2).join('.');
    throw new Error(
      `The -execve patch ${path.basename(patchFile)} (QEMU series ${series}, made for ${qemuVersion}) does not apply to this QEMU source` +
        `${failed.length > 0 ? `: ${failed.join('; ')}` : ''}. It needs the release's pristine source tree. ` +
        `patch -p1 --fuzz=0 said:\n${output.trim().split('\n').slice(-20).join('\n')}`,
    );
  }
}

/** The whole build log, in a group the log viewer shows collapsed. */
function showLog(title: string, log: readonly string[]): void {
  core.startGroup(title);
  core.info(log.join('\n'));
  core.endGroup();
}

export async function buildEmulators(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const log: string[] = [];
  const record = (line: string) => log.push(line);
  const buildDir = path.join(req.srcDir, 'build');
  try {
    core.info(`Applying ${path.basename(req.patchFile)}`);
    await applyPatch(req.srcDir, req.patchFile, req.qemuVersion);
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
    showLog(`QEMU build log (${log.length} lines, failed)`, log);
    if (err instanceof CommandError)
      throw new Error(`building QEMU ${req.qemuVersion} failed: ${err.message}`, { cause: err });
    throw err;
  }
  showLog(`QEMU build log (${log.length} lines)`, log);

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
