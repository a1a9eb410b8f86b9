// The action's post step after a main step that failed, and after one that recorded nothing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runMain } from '../../src/main.js';
import { runPost } from '../../src/post.js';
import { recordingIO } from './fixtures/action-io.js';
import { pipelineStub, RUN_DIR, useRunnerDirs } from './fixtures/pipeline-stub.js';

const dirs = useRunnerDirs();

describe('runPost', () => {
  it('removes what main recorded, and warns (never fails) about the rest', async () => {
    const io = recordingIO({ arch: 'aarch64' });
    await runMain({ io, env: dirs.env, pipeline: pipelineStub(new Error('the build failed')) });
    const made = path.join(dirs.temp, RUN_DIR);
    expect(existsSync(made)).toBe(true);
    await runPost(io);
    expect(existsSync(made)).toBe(false);
    expect(io.failed).toEqual(['the build failed']);
  });

  it('does nothing when main recorded nothing', async () => {
    const io = recordingIO({});
    await runPost(io);
    expect(io.warnings).toEqual([]);
    expect(io.infos).toEqual([]);
  });
});
