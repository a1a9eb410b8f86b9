// Getting the QEMU source tree the `qemu-source` input names: download or locate the tarball,
// check its sha256 against the pin, unpack it into a temporary directory. A local source tree is
// copied, never patched in place.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { QemuSource } from '../inputs.js';
import { download } from '../util/download.js';
import { mustRun, runCommand } from '../util/exec.js';
import { sha256File } from '../util/hash.js';
import type { SeriesEntry } from './series.js';

export interface ExpectedHash {
  /** Lower-case hex, or undefined when nothing pins this source. */
  readonly sha256: string | undefined;
  /** Where the expectation comes from, for messages. */
  readonly from: string;
}

/** The sha256 a source tarball must have: the `qemu-sha256` pin, else what the series knows. */
export function expectedSha256(
  source: QemuSource,
  entry: SeriesEntry,
  pin: string | undefined,
): ExpectedHash {
  if (pin !== undefined) return { sha256: pin.toLowerCase(), from: 'input "qemu-sha256"' };
  switch (source.kind) {
    case 'upstream':
      return {
        sha256: entry.upstream.sha256 ?? undefined,
        from: `patches/series.json (upstream ${entry.version})`,
      };
    case 'debian':
      return { sha256: entry.debian.sha256, from: `patches/series.json (Debian ${entry.debian.orig})` };
    default:
      return { sha256: undefined, from: 'nothing' };
  }
}

/** Throw when `actual` differs from the expectation; names the input to change. */
export function checkSha256(actual: string, expected: ExpectedHash, what: string): void {
  if (expected.sha256 === undefined || actual.toLowerCase() === expected.sha256) return;
  const input = expected.from.startsWith('input') ? expected.from : 'input "qemu-source"';
  throw new Error(
    `sha256 mismatch for ${what} (${input}): expected ${expected.sha256} (from ${expected.from}), got ${actual}. ` +
      'The tarball is truncated, corrupt, or not the release it claims to be; set "qemu-sha256" only to a hash you have verified.',
  );
}

/** A human description of the source, for logs and the summary. */
export function describeSource(source: QemuSource, entry: SeriesEntry): string {
  switch (source.kind) {
    case 'upstream':
      return entry.upstream.url;
    case 'debian':
      return `Debian ${entry.debian.package} ${entry.debian.version} (${entry.debian.orig})`;
    case 'url':
      return source.url;
    case 'path':
      return source.path;
  }
}

/** QEMU's VERSION file ("10.2.2", "7.2.0", possibly with a trailing newline or "-rcN"). */
export function parseVersionFile(text: string): string {
  return text.trim().split(/\s/)[0] ?? '';
}

async function downloadDebianOrig(entry: SeriesEntry, dir: string, sourcesCache: string): Promise<string> {
  const cached = path.join(sourcesCache, entry.debian.orig);
  if (existsSync(cached)) {
    core.info(`Using ${cached}`);
    return cached;
  }
  // apt drops privileges to _apt for downloads when it can: let it write here.
  await fs.chmod(dir, 0o777);
  core.info(`apt-get source --download-only ${entry.debian.package}=${entry.debian.version}`);
  try {
    await mustRun(
      'apt-get',
      ['source', '--download-only', '-q', `${entry.debian.package}=${entry.debian.version}`],
      { cwd: dir },
    );
  } catch (err) {
    throw new Error(
      `cannot fetch Debian's QEMU source with apt (it needs "deb-src" lines for a suite that has ` +
        `${entry.debian.package} ${entry.debian.version}, and "apt-get update"): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const file = path.join(dir, entry.debian.orig);
  if (!existsSync(file)) throw new Error(`apt-get source did not produce ${entry.debian.orig}`);
  return file;
}

/** Where the tarball is (downloading it into `dir` if needed), or the tree for a local directory. */
async function locate(
  source: QemuSource,
  entry: SeriesEntry,
  dir: string,
  sourcesCache: string,
): Promise<{ file?: string; tree?: string }> {
  switch (source.kind) {
    case 'upstream':
    case 'url': {
      const url = source.kind === 'url' ? source.url : entry.upstream.url;
      const name = path.posix.basename(new URL(url).pathname) || 'qemu-source.tar';
      core.info(`Downloading ${url}`);
      try {
        return { file: await download(url, path.join(dir, name)) };
      } catch (err) {
        const input =
          source.kind === 'url' ? 'input "qemu-source"' : `patches/series.json (upstream ${entry.version})`;
        throw new Error(`Could not get the QEMU source (${input}): ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    case 'debian':
      return { file: await downloadDebianOrig(entry, dir, sourcesCache) };
    case 'path': {
      const st = await fs.stat(source.path).catch(() => undefined);
      if (!st) throw new Error(`Invalid value for input "qemu-source": ${source.path} does not exist`);
      return st.isDirectory() ? { tree: source.path } : { file: source.path };
    }
  }
}

/** Why `tar -xf` failed, from what it (and the decompressor it ran) printed. */
export function unpackProblem(output: string): string {
  if (/no space left on device/i.test(output)) return 'the disk is full';
  // The decompressor's own verdict first: tar then often adds an "Unexpected EOF" of its own.
  if (
    /corrupt|crc|not in gzip format|does not look like a tar archive|format not recognized|invalid (compressed )?data|checksum error/i.test(
      output,
    )
  ) {
    return 'the tarball is corrupt or not a tar archive';
  }
  if (/unexpected end of (input|file)|unexpected eof|premature end|truncated/i.test(output))
    return 'the tarball is truncated';
  return 'tar could not unpack it';
}

/** The error for a tarball tar could not unpack: the cause first, then tar's own words. */
export function unpackError(description: string, file: string, exitCode: number, output: string): string {
  const tail = output.trim().split('\n').slice(-8).join('\n');
  return (
    `Cannot unpack the QEMU source ${description}: ${unpackProblem(output)} ` +
    `(tar -xf ${file} exited with ${exitCode}${tail === '' ? '' : `:\n${tail}`})`
  );
}

/** The directory under `root` holding QEMU's configure: `root` itself or its only subdirectory. */
async function findTop(root: string, description: string): Promise<string> {
  if (existsSync(path.join(root, 'configure'))) return root;
  const entries = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory());
  for (const e of entries) {
    const dir = path.join(root, e.name);
    if (existsSync(path.join(dir, 'configure')) && existsSync(path.join(dir, 'VERSION'))) return dir;
  }
  throw new Error(
    `The QEMU source ${description} holds no QEMU source tree (a directory with configure and VERSION, at its top or one level down)`,
  );
}

export interface PreparedSource {
  /** Top of the unpacked, writable source tree. */
  readonly dir: string;
  readonly description: string;
  /** sha256 of the tarball as read and checked (undefined for a source tree). */
  readonly sha256: string | undefined;
}

/**
 * Produce a writable QEMU source tree under `workDir` for `entry`, from `source`, checking the
 * tarball's hash. The tree's VERSION must be the series' release.
 */
export interface SourceRequest {
  readonly source: QemuSource;
  readonly entry: SeriesEntry;
  /** Input "qemu-sha256". */
  readonly sha256Pin: string | undefined;
  readonly workDir: string;
  /** Where a local copy of Debian's tarball is looked for first (see RunnerEnv). */
  readonly sourcesCache: string;
}

export async function prepareSource(req: SourceRequest): Promise<PreparedSource> {
  const { source, entry, sha256Pin: pin, workDir } = req;
  const description = describeSource(source, entry);
  const dl = path.join(workDir, 'download');
  const unpack = path.join(workDir, 'src');
  await fs.mkdir(dl, { recursive: true });
  await fs.mkdir(unpack, { recursive: true });
  const expected = expectedSha256(source, entry, pin);
  const where = await locate(source, entry, dl, req.sourcesCache);
  let sha256: string | undefined;
  if (where.file !== undefined) {
    sha256 = await sha256File(where.file);
    if (expected.sha256 === undefined) {
      core.warning(
        `No sha256 is pinned for ${description}; it was not verified (got ${sha256}). ` +
          'Set the "qemu-sha256" input to pin it.',
      );
    }
    checkSha256(sha256, expected, description);
    core.info(`sha256 ${sha256}${expected.sha256 ? ' (verified)' : ''}`);
    const tar = await runCommand('tar', ['-xf', where.file, '-C', unpack]);
    if (tar.exitCode !== 0) {
      const what =
        source.kind === 'url' || source.kind === 'path'
          ? `${description} (input "qemu-source")`
          : description;
      throw new Error(unpackError(what, where.file, tar.exitCode, `${tar.stdout}\n${tar.stderr}`));
    }
  } else if (where.tree !== undefined) {
    if (pin !== undefined) {
      throw new Error(
        `Input "qemu-sha256" applies to a tarball, but "qemu-source" is the directory ${where.tree}`,
      );
    }
    await mustRun('cp', ['-a', `${where.tree}/.`, unpack]);
  }
  const dir = await findTop(unpack, description);
  const version = parseVersionFile(await fs.readFile(path.join(dir, 'VERSION'), 'utf8'));
  if (version !== entry.version) {
    throw new Error(
      `The QEMU source from ${description} is version ${version}, but "qemu-version" resolved to ${entry.version}; ` +
        'the -execve patch is made for that exact release.',
    );
  }
  return { dir, description, sha256 };
}
