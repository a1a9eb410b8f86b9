import { describe, expect, it } from '@jest/globals';
import { runnerEnv } from '../../src/runner.js';

describe('runnerEnv', () => {
  it('reads the runner variables', () => {
    const env = {
      GITHUB_WORKSPACE: '/w',
      RUNNER_TEMP: '/t',
      RUNNER_TOOL_CACHE: '/tc',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      ANYARCH_CACHE_DIR: '/c',
    };
    const r = runnerEnv(env, '/cwd');
    expect(r).toEqual({
      workspace: '/w',
      temp: '/t',
      toolCache: '/tc',
      sourcesCache: '/c/sources',
      os: 'Linux',
      arch: 'X64',
    });
  });
  it('falls back outside Actions', () => {
    const r = runnerEnv({ ANYARCH_CACHE_DIR: '/c' }, '/cwd');
    expect(r.workspace).toBe('/cwd');
    expect(r.toolCache).toBe('/c/tool-cache');
  });
});
