import { describe, expect, it } from '@jest/globals';
import { parseStateList } from '../../src/cleanup.js';

describe('parseStateList', () => {
  it('reads JSON string lists and tolerates anything else', () => {
    expect(parseStateList('["a","b"]')).toEqual(['a', 'b']);
    expect(parseStateList('')).toEqual([]);
    expect(parseStateList('{')).toEqual([]);
    expect(parseStateList('[1,"x",""]')).toEqual(['x']);
  });
});
