// A multi-stage Dockerfile with shell-form, exec-form and heredoc RUNs, SHELL, and a
// $BUILDPLATFORM stage, built for aarch64 with only arch (+ QEMU source/version) set.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_AMD64, BASE_ARM64, docker, imageFile, imageFiles } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, type RunEnv } from '../support/workspace.js';

const DOCKERFILE = `# A guest image built with a helper stage on the build platform.
ARG BASE=${BASE_ARM64}
FROM --platform=$BUILDPLATFORM ${BASE_AMD64} AS tools
RUN uname -m > /build-arch

FROM \${BASE} AS guest
SHELL ["/bin/sh", "-e", "-c"]
RUN uname -m > /guest-arch && sh -c 'echo child-$(uname -m)' > /child
RUN ["/bin/sh", "-c", "echo exec-$(uname -m) > /exec"]
RUN <<EOF
echo heredoc-$(uname -m) > /heredoc
EOF
RUN <<EOF
#!/bin/sh
echo shebang-$(uname -m) > /shebang
EOF
COPY --from=tools /build-arch /build-arch

FROM guest
ENV GREETING="hello world"
SHELL ["/bin/ash", "-c"]
RUN echo "$GREETING" > /greeting
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /guest-arch"]
`;

describe('multi-stage build for aarch64', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ Dockerfile: DOCKERFILE, 'README.md': 'fixture\n' }));
    result = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU });
  });
  afterAll(() => {
    const id = result?.main.outputs.get('imageid');
    if (id) docker('image', 'rm', '--force', id);
    if (env) cleanupEnv(env);
  });

  test('main and post succeed with the outputs set', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    const o = result.main.outputs;
    expect(o.get('qemu-version')).toBe('10.2.2');
    expect(o.get('platform')).toBe('linux/arm64');
    expect(['tool-cache', 'false']).toContain(o.get('cache-hit'));
    expect(o.get('qemu-path')).toMatch(/anyarch-qemu/);
    expect(o.get('imageid')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.main.summary).toContain('aarch64');
    expect(result.main.summary).toContain(o.get('imageid'));
  });

  test('the image is arm64 and its RUN steps ran emulated, children included', () => {
    const id = result.main.outputs.get('imageid')!;
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', id).trim()).toBe(
      'linux/arm64',
    );
    expect(imageFile(id, '/guest-arch').trim()).toBe('aarch64');
    expect(imageFile(id, '/child').trim()).toBe('child-aarch64');
    expect(imageFile(id, '/exec').trim()).toBe('exec-aarch64');
    expect(imageFile(id, '/heredoc').trim()).toBe('heredoc-aarch64');
    expect(imageFile(id, '/shebang').trim()).toBe('shebang-aarch64');
    expect(imageFile(id, '/greeting').trim()).toBe('hello world');
    // The $BUILDPLATFORM stage ran natively.
    expect(imageFile(id, '/build-arch').trim()).toBe('x86_64');
  });

  test('the image config is what the Dockerfile declares', () => {
    const id = result.main.outputs.get('imageid')!;
    const config = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', id)) as Record<
      string,
      unknown
    >;
    expect(config['Entrypoint']).toEqual(['/bin/sh', '-c']);
    expect(config['Cmd']).toEqual(['cat /guest-arch']);
    expect(config['Shell']).toEqual(['/bin/ash', '-c']);
    expect(config['Env']).toContain('GREETING=hello world');
  });

  test('no emulator and no mountpoint are left in the image', () => {
    expectNoEmulator(imageFiles(result.main.outputs.get('imageid')!));
  });

  test('the workspace is untouched and post removed the temporary files and images', () => {
    expectPostCleaned(env, before, result.main);
  });

  // A workflow step with nothing but `arch: aarch64`: the default source (upstream) is not
  // reachable here, so this run must be served by the emulator the first run cached.
  // The source stays named: the cache key holds the source's sha256, so a run with the default
  // source (upstream) does not take an emulator built from Debian's tarball.
  test('a second run with only arch and the source set takes the emulator from the tool cache and builds the same', () => {
    const again = runAction(env, { arch: 'aarch64', 'qemu-source': LOCAL_QEMU['qemu-source'] });
    const id = again.main.outputs.get('imageid');
    try {
      if (again.main.status !== 0) throw new Error(again.main.log.slice(-6000));
      expect(again.post.status).toBe(0);
      expect(again.main.outputs.get('cache-hit')).toBe('tool-cache');
      expect(again.main.outputs.get('qemu-version')).toBe(result.main.outputs.get('qemu-version'));
      expect(again.main.log).not.toMatch(/Configuring|Compiling on/);
      expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', id!).trim()).toBe(
        'linux/arm64',
      );
      expect(imageFile(id!, '/child').trim()).toBe('child-aarch64');
      expect(imageFile(id!, '/shebang').trim()).toBe('shebang-aarch64');
      expect(imageFile(id!, '/build-arch').trim()).toBe('x86_64');
      expect(gitStatus(env.workspace)).toBe(before);
    } finally {
      if (id && id !== result.main.outputs.get('imageid')) docker('image', 'rm', '--force', id);
    }
  });
});
