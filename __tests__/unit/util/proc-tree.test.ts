// Processes from /proc: parents, trees, and a process named by its pid and start time.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { childrenOf, isRunning, parentPidOf, treeOf } from '../../../src/util/proc-tree.js';

describe('parentPidOf', () => {
  it('reads the ppid after the comm field, whatever the comm holds', () => {
    expect(parentPidOf('1234 (ninja) S 1200 1234 1200 0 -1 4194560 ...')).toBe(1200);
    expect(parentPidOf('77 (a (b) c) R 5 77 5 0')).toBe(5);
    expect(parentPidOf('9 (x) S 0 0 0')).toBeUndefined();
    expect(parentPidOf('garbage')).toBeUndefined();
  });
});

describe('childrenOf', () => {
  it('lists a child this process started, and no longer once it ended', async () => {
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    expect(childrenOf(process.pid)).toContain(child.pid);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(childrenOf(process.pid)).not.toContain(child.pid);
  });
});

describe('treeOf', () => {
  it('lists a process and all below it, parents first; a process is its pid and start time', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait']);
    const sleeper = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(d))));
    const tree = treeOf([child.pid!]);
    expect(tree.map((p) => p.pid)).toEqual([child.pid, sleeper]);
    expect(tree.every(isRunning)).toBe(true);
    // Another start time: not the process named, whatever the pid.
    expect(isRunning({ pid: sleeper, start: '1' })).toBe(false);
    child.kill('SIGTERM');
    process.kill(sleeper, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(isRunning(tree[0]!)).toBe(false);
  });
});
