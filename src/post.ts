// The action's post step: remove what the main step left outside the tool cache (emulator
// images, the keep-emulator staging image, temporary directories). Runs after a failed main
// step too, and never fails the job itself.
import { actionsIO, type ActionIO } from './action-io.js';
import { parseStateList, removeLeftovers, STATE_IMAGES, STATE_PATHS } from './cleanup.js';
import { errorMessage } from './exit-status.js';

export async function runPost(io: ActionIO = actionsIO): Promise<void> {
  try {
    await removeLeftovers(
      {
        images: parseStateList(io.getState(STATE_IMAGES)),
        paths: parseStateList(io.getState(STATE_PATHS)),
      },
      io,
    );
  } catch (err) {
    io.warning(`cleanup failed: ${errorMessage(err)}`);
  }
}
