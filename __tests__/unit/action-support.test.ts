import { describe, expect, it } from '@jest/globals';
import { actionsCacheConfigured } from '../../src/cache/actions-cache.js';
import { parseStateList } from '../../src/cleanup.js';
import { runnerEnv } from '../../src/runner.js';
import { emulatorOrigin, formatSeconds, summaryCells, type SummaryRow } from '../../src/summary.js';

describe('actionsCacheConfigured', () => {
  it('needs a token and a service URL', () => {
    expect(actionsCacheConfigured({})).toBe(false);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'u' })).toBe(true);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'u' })).toBe(true);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_CACHE_URL: 'u' })).toBe(false);
  });
});

describe('parseStateList', () => {
  it('reads JSON string lists and tolerates anything else', () => {
    expect(parseStateList('["a","b"]')).toEqual(['a', 'b']);
    expect(parseStateList('')).toEqual([]);
    expect(parseStateList('{')).toEqual([]);
    expect(parseStateList('[1,"x",""]')).toEqual(['x']);
  });
});

describe('runnerEnv', () => {
  it('reads the runner variables', () => {
    const env = { GITHUB_WORKSPACE: '/w', RUNNER_TEMP: '/t', RUNNER_TOOL_CACHE: '/tc', RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64', ANYARCH_CACHE_DIR: '/c' };
    const r = runnerEnv(env, '/cwd');
    expect(r).toEqual({ workspace: '/w', temp: '/t', toolCache: '/tc', sourcesCache: '/c/sources', os: 'Linux', arch: 'X64' });
  });
  it('falls back outside Actions', () => {
    const r = runnerEnv({ ANYARCH_CACHE_DIR: '/c' }, '/cwd');
    expect(r.workspace).toBe('/cwd');
    expect(r.toolCache).toBe('/c/tool-cache');
  });
});

describe('summary', () => {
  const row: SummaryRow = {
    arch: 'aarch64',
    platform: 'linux/arm64',
    qemuVersion: '10.2.2',
    cacheHit: 'false',
    source: 'Debian qemu',
    compileSeconds: 301,
    imageid: 'sha256:1',
    digest: '',
  };
  it('formats a row', () => {
    expect(summaryCells(row)).toEqual(['aarch64', 'linux/arm64', '10.2.2', 'compiled from Debian qemu', '5 min 1 s', 'sha256:1', '-']);
    expect(emulatorOrigin({ ...row, cacheHit: 'tool-cache' })).toBe('tool cache');
    expect(formatSeconds(undefined)).toBe('-');
    expect(formatSeconds(42)).toBe('42 s');
  });
});
