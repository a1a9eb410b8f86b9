// Post step: will remove the emulator image and temporary files unless keep-emulator is set.
export async function post(): Promise<void> {
  // Nothing to clean up yet.
}

await post();
