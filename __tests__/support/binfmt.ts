// The one binfmt_misc check (tests/lib/no-binfmt.sh, shared with every suite and the demo): no
// handler may run a guest arch's programs, or a test could pass without the emulator. It checks
// names and magic in every binfmt_misc it can see and executes a static guest program, requiring
// the kernel's ENOEXEC, so a handler this namespace cannot see is caught too.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './project.js';

export interface BinfmtCheck {
  /** none: no handler runs these arches' programs; found: one does; unknown: the check could not run. */
  readonly result: 'none' | 'found' | 'unknown';
  /** What the check said (empty when none). */
  readonly message: string;
}

/** Run tests/lib/no-binfmt.sh for QEMU arch names (aarch64, arm, riscv64, ...). */
export function checkBinfmt(qemuArches: readonly string[]): BinfmtCheck {
  const r = spawnSync(path.join(PROJECT_ROOT, 'tests', 'lib', 'no-binfmt.sh'), ['-q', ...qemuArches], {
    encoding: 'utf8',
  });
  const message = `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
  if (r.status === 0) return { result: 'none', message: '' };
  return {
    result: r.status === 1 ? 'found' : 'unknown',
    message: message || `no-binfmt.sh exited with ${r.status ?? r.signal}`,
  };
}

/** Throw unless the check passes for every arch given: a test with a handler would prove nothing. */
export function assertNoBinfmt(...qemuArches: string[]): void {
  const c = checkBinfmt(qemuArches);
  if (c.result !== 'none')
    throw new Error(`${c.message}\nso this test would prove nothing about the emulator`);
}
