// Generated from action.yml by scripts/gen-action-contract.mjs (`npm run gen`); do not edit.

/** The action's inputs, in action.yml's order, with their defaults. */
export const INPUTS = [
  { name: 'arch', default: '', required: false },
  { name: 'qemu-version', default: 'latest', required: false },
  { name: 'qemu-source', default: 'upstream', required: false },
  { name: 'qemu-sha256', default: '', required: false },
  { name: 'allow-unverified-source', default: 'false', required: false },
  { name: 'cache', default: 'true', required: false },
  { name: 'install-deps', default: 'auto', required: false },
  { name: 'build', default: 'true', required: false },
  { name: 'context', default: '.', required: false },
  { name: 'file', default: '', required: false },
  { name: 'tags', default: '', required: false },
  { name: 'build-args', default: '', required: false },
  { name: 'labels', default: '', required: false },
  { name: 'target', default: '', required: false },
  { name: 'builder', default: '', required: false },
  { name: 'platforms', default: '', required: false },
  { name: 'secrets', default: '', required: false },
  { name: 'secret-files', default: '', required: false },
  { name: 'secret-envs', default: '', required: false },
  { name: 'ssh', default: '', required: false },
  { name: 'build-contexts', default: '', required: false },
  { name: 'cache-from', default: '', required: false },
  { name: 'cache-to', default: '', required: false },
  { name: 'no-cache', default: 'false', required: false },
  { name: 'no-cache-filters', default: '', required: false },
  { name: 'pull', default: 'false', required: false },
  { name: 'network', default: '', required: false },
  { name: 'add-hosts', default: '', required: false },
  { name: 'shm-size', default: '', required: false },
  { name: 'ulimit', default: '', required: false },
  { name: 'provenance', default: '', required: false },
  { name: 'sbom', default: '', required: false },
  { name: 'annotations', default: '', required: false },
  { name: 'outputs', default: '', required: false },
  { name: 'push', default: 'false', required: false },
  { name: 'load', default: 'false', required: false },
  { name: 'keep-emulator', default: 'false', required: false },
  { name: 'run', default: '', required: false },
  { name: 'run-image', default: '', required: false },
  { name: 'run-shell', default: '/bin/sh', required: false },
] as const;

export type InputName = (typeof INPUTS)[number]['name'];

/** The action's outputs, in action.yml's order. */
export const OUTPUTS = [
  'qemu-version',
  'qemu-path',
  'cache-hit',
  'platform',
  'imageid',
  'digest',
  'images',
  'metadata',
] as const;

export type OutputName = (typeof OUTPUTS)[number];
