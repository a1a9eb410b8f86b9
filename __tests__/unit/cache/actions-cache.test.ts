import { describe, expect, it } from '@jest/globals';
import { actionsCacheConfigured } from '../../../src/cache/actions-cache.js';

describe('actionsCacheConfigured', () => {
  it('needs a token and a service URL', () => {
    expect(actionsCacheConfigured({})).toBe(false);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'u' })).toBe(true);
    expect(actionsCacheConfigured({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'u' })).toBe(true);
    expect(
      actionsCacheConfigured({
        ACTIONS_RUNTIME_TOKEN: 't',
        ACTIONS_CACHE_SERVICE_V2: 'true',
        ACTIONS_CACHE_URL: 'u',
      }),
    ).toBe(false);
  });
});
