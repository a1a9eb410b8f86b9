import { describe, expect, it } from '@jest/globals';
import { chooseBuilder, parseBuilderInspect } from '../../../src/docker/builder.js';
import { usesContainerdStore } from '../../../src/docker/engine.js';

// What `docker buildx inspect` prints (buildx 0.13) for the docker driver and for a
// docker-container builder that was created but never booted.
const DOCKER_DRIVER = `Name:          default
Driver:        docker
Last Activity: 2026-12-02 15:37:20 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.8+unknown
Platforms:        linux/amd64, linux/386
`;
const CONTAINER_DRIVER = `Name:          builder-1a2b
Driver:        docker-container
Last Activity: 2026-12-02 15:40:01 +0000 UTC

Nodes:
Name:      builder-1a2b0
Endpoint:  unix:///var/run/docker.sock
Status:    inactive
`;

describe('docker buildx inspect', () => {
  it('reads the builder name and driver, not the node lines', () => {
    expect(parseBuilderInspect(DOCKER_DRIVER)).toEqual({ name: 'default', driver: 'docker' });
    expect(parseBuilderInspect(CONTAINER_DRIVER)).toEqual({
      name: 'builder-1a2b',
      driver: 'docker-container',
    });
    expect(parseBuilderInspect('ERROR: no builder "x" found')).toBeUndefined();
  });
});

describe('choosing the builder', () => {
  const docker = { name: 'default', driver: 'docker' };
  const container = { name: 'builder-1a2b', driver: 'docker-container' };
  it("takes the context's docker-driver builder quietly when it is current", () => {
    expect(chooseBuilder(undefined, docker, docker, 'default')).toEqual({
      name: 'default',
      notice: undefined,
    });
  });
  it('takes it over a current docker-container builder, says so, and why', () => {
    const c = chooseBuilder(undefined, docker, container, 'default');
    expect(c.name).toBe('default');
    expect(c.notice).toMatch(
      /current buildx builder is "builder-1a2b" \(docker-container driver\).*building with "default".*left as it was/,
    );
    expect(c.notice).toMatch(/cannot see the local emulator image/);
  });
  it('uses a builder named in the input when it has the docker driver', () => {
    expect(chooseBuilder('default', docker, container, 'default')).toEqual({
      name: 'default',
      notice: undefined,
    });
  });
  it('refuses a named builder of another driver, saying what would go wrong', () => {
    expect(() => chooseBuilder('builder-1a2b', container, container, 'default')).toThrow(
      /Input "builder" names "builder-1a2b", a buildx builder with the docker-container driver.*own bundled QEMU.*Leave "builder" empty/,
    );
  });
  it('refuses a builder that does not exist', () => {
    expect(() => chooseBuilder('nope', undefined, docker, 'default')).toThrow(
      /Input "builder": there is no buildx builder named "nope"/,
    );
  });
  it('fails clearly when the context has no docker-driver builder', () => {
    expect(() => chooseBuilder(undefined, undefined, container, 'remote')).toThrow(
      /Docker context "remote" has no buildx builder with the docker driver/,
    );
  });
});

describe('the image store', () => {
  it("is the containerd store when docker info's DriverStatus names its snapshotter", () => {
    expect(usesContainerdStore('[["driver-type","io.containerd.snapshotter.v1"]]')).toBe(true);
    expect(usesContainerdStore('[["Backing Filesystem","extfs"],["Supports d_type","true"]]')).toBe(false);
    expect(usesContainerdStore('')).toBe(false);
  });
});
