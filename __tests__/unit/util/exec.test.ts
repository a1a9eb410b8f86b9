// Running real programs: argv arrays (a path with a space runs), exit statuses, captured and
// echoed output, and the fence around output that is not ours.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandError, mustRun, runCommand } from '../../../src/util/exec.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write an executable shell script `name` under `dir`, in subdirectory `sub`. */
function script(sub: string, name: string, body: string): string {
  mkdirSync(path.join(dir, sub), { recursive: true });
  const file = path.join(dir, sub, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('runCommand', () => {
  it('runs a program whose path holds a space, passing each argument whole', async () => {
    const prog = script('a b', 'say', 'printf "%s|" "$@"; echo');
    expect(prog).toContain(' ');
    await expect(runCommand(prog, ['one two', '--x'])).resolves.toEqual({
      exitCode: 0,
      stdout: 'one two|--x|\n',
      stderr: '',
    });
    await expect(mustRun(prog, [])).resolves.toMatchObject({ stdout: '|\n' });
  });

  it('keeps the exit status, and reports a program killed by a signal as 128 + its number', async () => {
    expect((await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3'])).exitCode).toBe(3);
    expect((await runCommand('sh', ['-c', 'kill -TERM $$'])).exitCode).toBe(128 + 15);
    const failed = mustRun('sh', ['-c', 'echo why; exit 2']);
    await expect(failed).rejects.toThrow(CommandError);
    await expect(failed).rejects.toThrow('sh -c echo why; exit 2 exited with 2:\nwhy');
  });

  it('rejects a program that does not exist', async () => {
    await expect(runCommand(path.join(dir, 'no such program'), [])).rejects.toThrow(/ENOENT/);
  });

  it('feeds input, and runs in cwd with env added to the environment', async () => {
    await expect(runCommand('cat', [], { input: 'to stdin' })).resolves.toMatchObject({
      stdout: 'to stdin',
    });
    const r = await runCommand('sh', ['-c', 'pwd; echo "$ANYARCH_T $HOME"'], {
      cwd: dir,
      env: { ANYARCH_T: 'set' },
    });
    expect(r.stdout).toBe(`${dir}\nset ${process.env['HOME']}\n`);
    // A relative program path is relative to cwd, as for `../configure`.
    script('sub', 'rel', 'echo rel');
    expect((await runCommand('../sub/rel', [], { cwd: path.join(dir, 'a b') })).stdout).toBe('rel\n');
  });

  it('hands every line to onLine, the last one even without its newline', async () => {
    const lines: string[] = [];
    await runCommand('sh', ['-c', 'echo a; sleep 0.1; echo b >&2; sleep 0.1; printf "c\\nd"'], {
      onLine: (l) => lines.push(l),
    });
    expect(lines).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('echoed output', () => {
  let written: string[];
  const realWrite = process.stdout.write.bind(process.stdout);
  beforeEach(() => {
    written = [];
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = realWrite;
  });
  const logLines = () => written.join('').split('\n');

  it('prints the command line, then the output as it comes', async () => {
    const r = await runCommand('sh', ['-c', 'echo out; sleep 0.1; echo err >&2'], { echo: true });
    expect(r.stdout).toBe('out\n');
    expect(logLines()).toEqual(['[command]sh -c echo out; sleep 0.1; echo err >&2', 'out', 'err', '']);
  });

  const PRINTS_COMMANDS = 'echo "::add-mask::secret"; echo "::error::x"; printf "  ::set-output name=a::b"';

  it('fences untrusted output with ::stop-commands:: and a fresh token each time', async () => {
    await runCommand('sh', ['-c', PRINTS_COMMANDS], { echo: true, untrustedOutput: true });
    const first = logLines();
    expect(first[0]).toMatch(/^::stop-commands::[0-9a-f]{32}$/);
    const token = first[0]!.slice('::stop-commands::'.length);
    expect(first).toEqual([
      `::stop-commands::${token}`,
      `[command]sh -c ${PRINTS_COMMANDS}`,
      '::add-mask::secret',
      '::error::x',
      // Output that does not end its line still leaves the resume marker a line of its own.
      '  ::set-output name=a::b',
      `::${token}::`,
      '',
    ]);

    written = [];
    await runCommand('sh', ['-c', PRINTS_COMMANDS], { echo: true, untrustedOutput: true });
    const again = logLines()[0]!.slice('::stop-commands::'.length);
    expect(again).toMatch(/^[0-9a-f]{32}$/);
    expect(again).not.toBe(token);
    expect(logLines().at(-2)).toBe(`::${again}::`);
  });

  it('ends the fence before a failed command reports, and when the program cannot start', async () => {
    await mustRun('sh', ['-c', 'echo "::add-mask::secret"; exit 1'], {
      echo: true,
      untrustedOutput: true,
    }).catch((err: Error) => core.warning(`the build failed: ${err.message}`));
    const lines = logLines();
    const token = lines[0]!.slice('::stop-commands::'.length);
    const resume = lines.indexOf(`::${token}::`);
    expect(resume).toBeGreaterThan(lines.indexOf('::add-mask::secret'));
    // Our own workflow command comes after the fence, so the runner acts on it.
    expect(lines.findIndex((l) => l.startsWith('::warning::the build failed'))).toBe(resume + 1);

    written = [];
    await expect(
      runCommand(path.join(dir, 'missing'), [], { echo: true, untrustedOutput: true }),
    ).rejects.toThrow();
    const [start, , end] = logLines();
    expect(end).toBe(`::${start!.slice('::stop-commands::'.length)}::`);
  });
});
