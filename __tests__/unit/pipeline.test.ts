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

describe('runIdOf and the emulator image tag', () => {
  it("tags the emulator image for the run, by its temp dir's unique suffix", async () => {
    const { runIdOf } = await import('../../src/pipeline.js');
    const { emulatorImageRef } = await import('../../src/docker/emulator-image.js');
    expect(runIdOf('/runner/_temp/anyarch-Ab3xYz')).toBe('Ab3xYz');
    const sha = 'ab'.repeat(32);
    expect(emulatorImageRef('aarch64', sha, 'Ab3xYz')).toBe('anyarch-emu:aarch64-abababababababab-Ab3xYz');
    expect(emulatorImageRef('aarch64', sha)).toBe('anyarch-emu:aarch64-abababababababab');
  });
});
