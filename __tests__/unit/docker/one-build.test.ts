import { describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import {
  EMULATOR_CONTEXT,
  emulatorContextFlag,
  oneBuildRewrite,
  perArchReason,
  platformDigests,
  SET_EMULATOR_PATH,
} from '../../../src/docker/one-build.js';

const arm64 = resolveArch('arm64');
const armv7 = resolveArch('arm');
const amd64 = resolveArch('amd64');
const isHost = (a: { platform: string }) => a.platform === 'linux/amd64';
const base = { arches: [arm64, armv7], containerdStore: true, builder: 'default', keepEmulator: false };

describe('perArchReason', () => {
  it('allows one build only for several arches, buildx, the containerd store and no keep-emulator', () => {
    expect(perArchReason(base)).toBeUndefined();
    expect(perArchReason({ ...base, arches: [arm64] })).toBe('one arch');
    expect(perArchReason({ ...base, builder: undefined })).toMatch(/classic builder/);
    expect(perArchReason({ ...base, containerdStore: false })).toMatch(
      /^the daemon uses the classic image store.*<tag>-<arch>.*containerd-snapshotter/,
    );
    expect(perArchReason({ ...base, keepEmulator: true })).toMatch(/keep-emulator/);
  });
});

describe('oneBuildRewrite', () => {
  const rewrite = (text: string, arches = [arm64, armv7, amd64]) =>
    oneBuildRewrite(text, arches, 'linux/amd64', new Map(), isHost);

  it('gives one Dockerfile for every platform: the set mounted from the named context at one path', () => {
    const out = rewrite(
      'FROM debian\nRUN uname -m\nFROM --platform=$BUILDPLATFORM debian AS tools\nRUN true\n',
    );
    if ('reason' in out) throw new Error(out.reason);
    expect(out.rewritten).toBe(1);
    expect(out.dockerfile.split('\n')[1]).toBe(
      `RUN --mount=type=bind,from=${EMULATOR_CONTEXT},source=/,target=/dev/.anyarch ["${SET_EMULATOR_PATH}","-execve","${SET_EMULATOR_PATH}","-execve-setid","${SET_EMULATOR_PATH}-setid","/bin/sh","-c","uname -m"]`,
    );
    // The build platform's stage runs natively, unchanged.
    expect(out.dockerfile.split('\n')[3]).toBe('RUN true');
  });

  it('gives a reason when the Dockerfile fixes a platform of its own', () => {
    const out = rewrite('FROM --platform=linux/arm64 debian\nRUN true\n');
    expect('reason' in out && out.reason).toMatch(/does not rewrite for linux\/arm\/v7|differ between/);
  });

  it('gives a reason when no arch needs the emulator', () => {
    expect(rewrite('FROM debian\nRUN true\n', [amd64])).toEqual({ reason: 'no arch needs the emulator' });
  });

  it('names the set by a docker-image context', () => {
    expect(emulatorContextFlag('anyarch-emu:set-1')).toEqual([
      '--build-context',
      `${EMULATOR_CONTEXT}=docker-image://anyarch-emu:set-1`,
    ]);
  });
});

describe('platformDigests', () => {
  it('maps each platform of an index to its manifest, leaving attestations out', () => {
    const index = JSON.stringify({
      manifests: [
        { digest: 'sha256:a', platform: { os: 'linux', architecture: 'arm64' } },
        { digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { digest: 'sha256:c', platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    });
    expect([...platformDigests(index)]).toEqual([
      ['linux/arm64', 'sha256:a'],
      ['linux/arm/v7', 'sha256:b'],
    ]);
  });
});
