// The second run of a step finds the emulator in the tool cache and compiles nothing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction } from '../support/runner.js';
import { cleanupEnv, makeWorkspace, type RunEnv } from '../support/workspace.js';

describe('tool cache', () => {
  let env: RunEnv;
  const inputs = { arch: 'aarch64', ...LOCAL_QEMU, build: 'false' };

  beforeAll(() => {
    env = makeWorkspace({ 'README.md': 'fixture\n' });
  });
  afterAll(() => {
    if (env) cleanupEnv(env);
  });

  test('a second run is a tool-cache hit without a compile', () => {
    const first = runAction(env, inputs);
    if (first.main.status !== 0) throw new Error(first.main.log.slice(-6000));
    const second = runAction(env, inputs);
    if (second.main.status !== 0) throw new Error(second.main.log.slice(-6000));
    expect(second.main.outputs.get('cache-hit')).toBe('tool-cache');
    expect(second.main.outputs.get('qemu-path')).toBe(first.main.outputs.get('qemu-path'));
    expect(second.main.log).not.toMatch(/Compiling QEMU|ninja/);
    expect(second.main.outputs.get('imageid')).toBe('');
  });
});
