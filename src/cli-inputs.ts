// The CLI's flags: the action's inputs (action.yml is the source; a unit test holds these to
// it). Apart from src/cli.ts, which runs the CLI when loaded.

/** The action's inputs, in action.yml order. */
export const INPUT_NAMES = [
  'arch', 'qemu-version', 'qemu-source', 'qemu-sha256', 'cache', 'install-deps', 'build', 'context',
  'file', 'tags', 'build-args', 'labels', 'target', 'builder', 'push', 'load', 'keep-emulator', 'run',
  'run-image', 'run-shell',
] as const;

/** Inputs whose action.yml default differs from "empty" (checked against action.yml by a unit test). */
export const CLI_DEFAULTS: Readonly<Record<string, string>> = {
  'qemu-version': 'latest',
  'qemu-source': 'upstream',
  cache: 'true',
  'install-deps': 'auto',
  build: 'true',
  context: '.',
  push: 'false',
  load: 'false',
  'keep-emulator': 'false',
  'run-shell': '/bin/sh',
};

/** List inputs may be given several times; the values are joined with newlines. */
export const MULTI: ReadonlySet<string> = new Set(['tags', 'build-args', 'labels', 'arch']);
