// A manifest beside each cached emulator: what the entry stands for (its cache digest and what
// that digest is of: QEMU release, source sha256, patch sha256, flags) and the sha256 of each
// file in it. A cache hit is used only when the files are still the ones saved under that
// digest, checked by reading them, before anything in the entry is run.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../util/hash.js';
import type { EmulatorCacheNames } from './key.js';

export const MANIFEST_FILE = 'anyarch-manifest.json';
const SCHEMA = 1;

export interface Manifest {
  readonly schema: number;
  readonly digest: string;
  readonly identity: Readonly<Record<string, unknown>>;
  /** sha256 of each file of the entry, by name. */
  readonly files: Readonly<Record<string, string>>;
}

/** What a file in an entry is, as read: its sha256, or why it cannot stand for one. */
export type FileState = { readonly sha256: string } | { readonly problem: string };

/**
 * Why an entry whose manifest reads `text` and whose files are `files` is not the entry for
 * `digest` holding exactly `names`; undefined when it is.
 */
export function manifestProblem(
  text: string | undefined,
  digest: string,
  names: readonly string[],
  files: ReadonlyMap<string, FileState>,
): string | undefined {
  if (text === undefined) return `it has no ${MANIFEST_FILE}`;
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text) as Partial<Manifest>;
  } catch {
    return `its ${MANIFEST_FILE} is not JSON`;
  }
  if (m === null || typeof m !== 'object' || m.schema !== SCHEMA)
    return `its ${MANIFEST_FILE} is not a version ${SCHEMA} manifest`;
  if (m.digest !== digest) return `its ${MANIFEST_FILE} is for another build (${String(m.digest)})`;
  const listed = typeof m.files === 'object' && m.files !== null ? m.files : {};
  for (const name of names) {
    const want = listed[name];
    const state = files.get(name);
    if (typeof want !== 'string') return `its ${MANIFEST_FILE} lists no ${name}`;
    if (state === undefined || 'problem' in state) return `${name}: ${state?.problem ?? 'not read'}`;
    if (state.sha256 !== want) return `${name} has sha256 ${state.sha256}, its manifest says ${want}`;
  }
  return undefined;
}

/** The sha256 of `file` if it is a regular file (a symlink could point anywhere later). */
async function fileState(file: string): Promise<FileState> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    return { problem: code === 'ENOENT' ? 'missing' : (code ?? message) };
  }
  if (!st.isFile()) return { problem: 'not a regular file' };
  return { sha256: await sha256File(file) };
}

/** Why `dir` is not the entry `entry` names holding `names`, read without running anything. */
export async function entryProblem(
  dir: string,
  entry: EmulatorCacheNames,
  names: readonly string[],
): Promise<string | undefined> {
  const text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
  const files = new Map<string, FileState>();
  for (const name of names) files.set(name, await fileState(path.join(dir, name)));
  return manifestProblem(text, entry.digest, names, files);
}

/** Write the manifest of `dir`, the entry `entry` names, holding `names`. */
export async function writeManifest(
  dir: string,
  entry: EmulatorCacheNames,
  names: readonly string[],
): Promise<void> {
  const files: Record<string, string> = {};
  for (const name of names) files[name] = await sha256File(path.join(dir, name));
  const manifest: Manifest = { schema: SCHEMA, digest: entry.digest, identity: entry.identity, files };
  await fs.writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
