// keep-emulator: the emulator stays in the image and its entrypoint runs through it, so the
// image runs on this x86-64 host without binfmt_misc.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, removeImages, docker } from '../support/docker.js';
import { expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, type RunEnv } from '../support/workspace.js';

const TAG = 'anyarch-e2e/keep:latest';
// Run by the image's shell: a child shell that starts uname (a grandchild), then a "#!" script
// that prints the machine and, from a subshell (another process, so the emulator does not
// answer for itself), its own shell's command line as the host kernel sees it.
const PROBE = `sh -c 'sh -c "uname -m"; echo child-done'
cat > /tmp/probe <<'END'
#!/bin/sh
uname -m
(tr '\\000' '\\n' < /proc/$$/cmdline)
echo script-done
END
chmod +x /tmp/probe
/tmp/probe
echo end
`;
const DOCKERFILE = `FROM ${BASE_ARM64}
RUN echo "built on $(uname -m)" > /built
CMD ["cat", "/built"]
`;

describe('keep-emulator', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': DOCKERFILE }));
    result = runAction(env, {
      arch: 'arm64',
      ...LOCAL_QEMU,
      context: 'docker',
      tags: TAG,
      load: 'true',
      'keep-emulator': 'true',
    });
  });
  afterAll(() => {
    removeImages(TAG);
    if (env) cleanupEnv(env);
  });

  test('main and post succeed', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.outputs.get('imageid')).toBe(
      docker('image', 'inspect', '--format', '{{.Id}}', TAG).trim(),
    );
  });

  test('docker run IMAGE uname -m prints aarch64 on this host', () => {
    expect(docker('run', '--rm', TAG, 'uname', '-m').trim()).toBe('aarch64');
  });

  test('the original CMD still runs, through the emulator', () => {
    expect(docker('run', '--rm', TAG).trim()).toBe('built on aarch64');
    const config = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', TAG)) as Record<
      string,
      unknown
    >;
    expect(config['Cmd']).toEqual(['cat', '/built']);
    const entrypoint = config['Entrypoint'] as string[];
    expect(entrypoint.length).toBeGreaterThan(0);
    expect(entrypoint[0]).toMatch(/^\/\.anyarch\/qemu-[a-z0-9_]+$/);
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', TAG).trim()).toBe('arm64');
  });

  test("the image's processes start guest children and a #! script through the emulator", () => {
    const lines = docker('run', '--rm', TAG, 'sh', '-c', PROBE).split('\n');
    expect(lines.pop()).toBe('');
    // The grandchild of the entrypoint's shell ran as aarch64.
    expect(lines.slice(0, 2)).toEqual(['aarch64', 'child-done']);
    // The script ran, under its #! interpreter, as aarch64.
    expect(lines[2]).toBe('aarch64');
    expect(lines.slice(-2)).toEqual(['script-done', 'end']);
    // On the host, the script's process is the image's emulator running /bin/sh /tmp/probe: the
    // guest's execve of the script went through the emulator, with no binfmt_misc involved.
    const entrypoint = JSON.parse(
      docker('image', 'inspect', '--format', '{{json .Config.Entrypoint}}', TAG),
    ) as string[];
    const cmdline = lines.slice(3, -2);
    expect(cmdline[0]).toBe(entrypoint[0]);
    expect(cmdline).toContain('-execve');
    expect(cmdline.slice(-2)).toEqual(['/bin/sh', '/tmp/probe']);
  });

  test('the workspace is untouched and helper images are gone', () => {
    expectPostCleaned(env, before, result.main);
  });
});
