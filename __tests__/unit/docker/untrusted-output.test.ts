// What the user's build and `run` script print reaches the log fenced by ::stop-commands::, so
// that none of it runs as a workflow command. A stand-in `docker` on PATH prints such lines.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { resolveArch } from '../../../src/arch.js';
import type { ImageBuildSpec } from '../../../src/docker/buildx.js';
import { GuestScriptError, runInGuest } from '../../../src/docker/guest-script.js';
import { buildWith } from '../../../src/docker/image-build.js';

/** Lines that look like workflow commands (leading blanks allowed, as the runner allows) outside every fence. */
function unfenced(lines: readonly string[]): string[] {
  const out: string[] = [];
  let token: string | undefined;
  for (const l of lines) {
    if (token !== undefined) {
      if (l === `::${token}::`) token = undefined;
    } else if (l.startsWith('::stop-commands::')) token = l.slice('::stop-commands::'.length);
    else if (/^\s*(::|##\[)/.test(l)) out.push(l);
  }
  if (token !== undefined) out.push(`(fence ${token} never ended)`);
  return out;
}

describe('output of the user build and script', () => {
  let bin: string;
  let written: string[];
  const savedPath = process.env['PATH'];
  const realWrite = process.stdout.write.bind(process.stdout);

  beforeAll(() => {
    bin = mkdtempSync(path.join(os.tmpdir(), 'anyarch-fake-docker-'));
    writeFileSync(
      path.join(bin, 'docker'),
      '#!/bin/sh\necho "::add-mask::from-$1"\necho "::set-output name=x::y" >&2\n' +
        'printf "##[warning]no newline"\nexit "${FAKE_DOCKER_EXIT:-0}"\n',
    );
    chmodSync(path.join(bin, 'docker'), 0o755);
    process.env['PATH'] = `${bin}:${savedPath}`;
  });
  afterAll(() => {
    process.env['PATH'] = savedPath;
    rmSync(bin, { recursive: true, force: true });
  });
  beforeEach(() => {
    written = [];
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = realWrite;
    delete process.env['FAKE_DOCKER_EXIT'];
  });
  const logLines = () => written.join('').split('\n');

  const guest = {
    arch: resolveArch('arm64'),
    image: 'sha256:1234',
    emulator: '/cache/qemu-aarch64',
    workspace: '/ws',
    shell: '/bin/sh',
    script: 'echo "::add-mask::$SECRET"\n',
    env: new Map<string, string>(),
  };

  it('fences the run script, also when it fails', async () => {
    await runInGuest(guest);
    expect(logLines()).toContain('::add-mask::from-run');
    expect(unfenced(logLines())).toEqual([]);

    written = [];
    process.env['FAKE_DOCKER_EXIT'] = '3';
    await expect(runInGuest(guest)).rejects.toThrow(GuestScriptError);
    expect(logLines()).toContain('::add-mask::from-run');
    expect(unfenced(logLines())).toEqual([]);
  });

  const spec = (dir: string): ImageBuildSpec => ({
    platform: 'linux/arm64',
    file: path.join(dir, 'Dockerfile'),
    context: dir,
    tags: ['a:1', 'b:2'],
    buildArgs: new Map(),
    labels: new Map(),
    target: undefined,
    push: true,
    load: false,
    iidFile: path.join(dir, 'iid'),
    metadataFile: path.join(dir, 'meta.json'),
  });

  it('fences the buildx and the classic builder, their pushes, and a failed build', async () => {
    await buildWith(spec(bin), 'default');
    await buildWith(spec(bin), undefined);
    const lines = logLines();
    expect(lines.filter((l) => l === '::add-mask::from-buildx')).toHaveLength(1);
    expect(lines.filter((l) => l === '::add-mask::from-build')).toHaveLength(1);
    expect(lines.filter((l) => l === '::add-mask::from-push')).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('::stop-commands::'))).toHaveLength(4);
    expect(unfenced(lines)).toEqual([]);

    written = [];
    process.env['FAKE_DOCKER_EXIT'] = '1';
    await expect(buildWith(spec(bin), undefined)).rejects.toThrow(/exited with 1/);
    expect(logLines()).toContain('::add-mask::from-build');
    expect(unfenced(logLines())).toEqual([]);
  });
});
