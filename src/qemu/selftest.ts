// Checking that a binary is a working emulator with the -execve option.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../util/exec.js';

/** Why the outputs of `qemu-<t> -version` and `-h` are not those of a patched `version`, or undefined. */
export function selfTestProblem(versionOut: string, helpOut: string, version: string): string | undefined {
  const m = /version\s+(\d+\.\d+\.\d+)/.exec(versionOut);
  if (!m) return `"-version" printed no version: ${JSON.stringify(versionOut.trim().slice(0, 200))}`;
  if (m[1] !== version) return `it is QEMU ${m[1]}, expected ${version}`;
  if (!/^\s*-execve\s/m.test(helpOut)) return '"-h" does not list -execve (the patch is missing)';
  return undefined;
}

/** Run the self-test on `dir/qemu-<t>` for each target; the first problem found, or undefined. */
export async function selfTest(
  dir: string,
  targets: readonly string[],
  version: string,
): Promise<string | undefined> {
  for (const t of targets) {
    const bin = path.join(dir, `qemu-${t}`);
    if (!existsSync(bin)) return `${bin} is missing`;
    try {
      const v = await runCommand(bin, ['-version']);
      if (v.exitCode !== 0) return `${bin} -version exited with ${v.exitCode}`;
      const h = await runCommand(bin, ['-h']);
      const problem = selfTestProblem(v.stdout + v.stderr, h.stdout + h.stderr, version);
      if (problem !== undefined) return `${bin}: ${problem}`;
    } catch (err) {
      return `${bin} does not run: ${(err as Error).message}`;
    }
  }
  return undefined;
}
