import { describe, expect, it } from '@jest/globals';
import { metadataOutput } from '../../src/pipeline.js';

describe('metadataOutput', () => {
  const meta = (digest: string) => `{\n  "containerimage.digest": "${digest}"\n}\n`;

  it("is the one build's JSON as buildx wrote it, like build-push-action's output", () => {
    expect(metadataOutput([{ platform: 'linux/arm64', metadata: meta('sha256:a') }])).toBe(
      '{\n  "containerimage.digest": "sha256:a"\n}',
    );
  });

  it('is an object by platform with several arches, and empty when no build wrote any', () => {
    const two = metadataOutput([
      { platform: 'linux/arm64', metadata: meta('sha256:a') },
      { platform: 'linux/arm/v7', metadata: '' },
    ]);
    expect(JSON.parse(two)).toEqual({
      'linux/arm64': { 'containerimage.digest': 'sha256:a' },
      'linux/arm/v7': {},
    });
    expect(metadataOutput([])).toBe('');
    expect(metadataOutput([{ platform: 'linux/arm64', metadata: '' }])).toBe('');
    expect(
      metadataOutput([
        { platform: 'linux/arm64', metadata: '' },
        { platform: 'linux/riscv64', metadata: '' },
      ]),
    ).toBe('');
  });
});
