// Secret values on disk: real files in a temporary directory.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSecretFiles } from '../../../src/docker/secrets.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeSecretFiles', () => {
  it('writes each value to a file only its owner can read, after masking it and each of its lines', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'secrets-test-'));
    const masked: string[] = [];
    const files = await writeSecretFiles(
      [
        { kind: 'value', id: 'TOKEN', value: 's3cr3t,with comma' },
        { kind: 'file', id: 'F', file: 'x' },
        { kind: 'value', id: 'KEY/with=odd', value: 'line one\nline two\n' },
        { kind: 'env', id: 'E', env: 'HOME' },
      ],
      path.join(dir, 'secrets'),
      (v) => masked.push(v),
    );
    expect([...files.keys()]).toEqual(['TOKEN', 'KEY/with=odd']);
    expect(readFileSync(files.get('TOKEN') ?? '', 'utf8')).toBe('s3cr3t,with comma');
    expect(readFileSync(files.get('KEY/with=odd') ?? '', 'utf8')).toBe('line one\nline two\n');
    for (const f of files.values()) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(masked).toEqual([
      's3cr3t,with comma',
      's3cr3t,with comma',
      'line one\nline two\n',
      'line one',
      'line two',
    ]);
  });

  it('makes no directory when there is no value to write', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'secrets-test-'));
    const files = await writeSecretFiles(
      [{ kind: 'env', id: 'E', env: 'HOME' }],
      path.join(dir, 's'),
      () => {},
    );
    expect(files.size).toBe(0);
    expect(() => statSync(path.join(dir, 's'))).toThrow();
  });
});
