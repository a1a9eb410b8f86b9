// `secrets` values reach buildx as files (buildx reads a secret from a file or an environment
// variable, and a command line is visible to every process): masked in the log first, then
// written readable only by this user into a directory the caller removes after the builds.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Secret } from '../buildx-options.js';

/** Write every `secrets` value to its own file in `dir`; returns id -> file for buildxFlags. */
export async function writeSecretFiles(
  secrets: readonly Secret[],
  dir: string,
  /** Hides a value in the log (core.setSecret in the action). */
  mask: (value: string) => void,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const values = secrets.flatMap((s) => (s.kind === 'value' ? [s] : []));
  if (values.length === 0) return files;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [i, s] of values.entries()) {
    // The runner masks line by line, so a multi-line value is registered per line as well.
    mask(s.value);
    for (const line of s.value.split(/\r?\n/)) if (line.trim() !== '') mask(line);
    // Named by position: an id may hold characters a file name should not.
    const file = path.join(dir, `secret-${i}`);
    await fs.writeFile(file, s.value, { mode: 0o600 });
    files.set(s.id, file);
  }
  return files;
}
