// Post step: remove what the main step left outside the tool cache (emulator images, the
// keep-emulator staging image, temporary directories). Runs after a failed main step too.
import * as core from '@actions/core';
import { parseStateList, removeLeftovers, STATE_IMAGES, STATE_PATHS } from './cleanup.js';

export async function post(): Promise<void> {
  await removeLeftovers({
    images: parseStateList(core.getState(STATE_IMAGES)),
    paths: parseStateList(core.getState(STATE_PATHS)),
  });
}

post().catch((err: unknown) => {
  core.warning(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
});
