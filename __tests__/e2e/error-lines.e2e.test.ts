// A failing emulated RUN is reported where the user wrote it: BuildKit's excerpt (on daemons that
// print one) shows the user's line numbers, because the rewrite keeps every instruction on its
// line, and the step's error annotation names the user's Dockerfile, the instruction's lines and
// its text as written, not the emulator command line of the temporary file.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BASE_ARM64, docker } from '../support/docker.js';
import { prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, type RunEnv } from '../support/workspace.js';
import { errorCommands } from '../support/workflow-commands.js';

const DOCKERFILE = `FROM ${BASE_ARM64}
# a comment, then a RUN over three lines
RUN echo "step one on $(uname -m)" && \\
    echo failing now && \\
    exit 3
RUN echo never reached
`;

describe("a failing emulated RUN is annotated on the user's own lines", () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;

  beforeAll(() => {
    ({ env, before } = prepareBuild({ 'docker/Dockerfile': DOCKERFILE }));
    result = runAction(env, { arch: 'arm64', ...LOCAL_QEMU, context: 'docker' });
  });
  afterAll(() => {
    if (env) cleanupEnv(env);
  });

  test('the step fails, after the RUN ran under the emulator', () => {
    expect(result.main.status).toBe(1);
    expect(result.main.log).toContain('step one on aarch64');
    expect(result.post.status).toBe(0);
  });

  test('the annotation names the file, lines 3 to 5, and shows the RUN as written', () => {
    const [annotation, ...rest] = errorCommands(result.main.log);
    expect(rest).toEqual([]);
    expect(annotation?.props.get('file')).toBe('docker/Dockerfile');
    expect(annotation?.props.get('line')).toBe('3');
    expect(annotation?.props.get('endLine')).toBe('5');
    expect(annotation?.props.get('title')).toBe('RUN failed at docker/Dockerfile:3');
    expect(annotation?.message).toMatch(/exit code: 3/);
    expect(annotation?.message).toContain('3 | RUN echo "step one on $(uname -m)" && \\');
    expect(annotation?.message).toContain('5 |     exit 3');
    expect(annotation?.message).not.toMatch(/qemu|anyarch/);
  });

  test("BuildKit's own excerpt (Docker 23 and newer print one) is at the user's line", () => {
    const excerpt = /^Dockerfile:(\d+)$/m.exec(result.main.log);
    const major = Number(docker('version', '--format', '{{.Server.Version}}').split('.')[0]);
    expect(excerpt?.[1]).toBe(major >= 23 ? '3' : undefined);
  });

  test('the workspace and runner temp as they were', () => {
    expect(gitStatus(env.workspace)).toBe(before);
  });
});
