// Debian packages for the image tests to install in a guest: downloaded with `apt-get download`
// from the archive apt already uses (scripts/setup.sh adds the foreign architectures), kept under
// the cache dir in a directory named by the packages and the versions apt offers, so a second run
// downloads nothing and a new version is a new directory. What a package ships is read from the
// .deb itself (dpkg-deb), so a test can compare an image with what its packages put in it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cacheBase } from './project.js';

export interface DebianPackage {
  /** As apt names it: name:arch for a package of a foreign architecture, name for an "all" one. */
  readonly spec: string;
  readonly version: string;
  /** The downloaded .deb. */
  readonly file: string;
}

/** apt's candidate version of each spec (`apt-cache policy`, one call for all of them). */
function candidateVersions(specs: readonly string[]): Map<string, string> {
  const policy = execFileSync('apt-cache', ['policy', ...specs], { encoding: 'utf8' });
  const versions = new Map<string, string>();
  let current: string | undefined;
  for (const line of policy.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) current = header[1];
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (candidate && current !== undefined) versions.set(current, candidate[1]!);
  }
  for (const spec of specs) {
    const v = versions.get(spec);
    if (v === undefined || v === '(none)')
      throw new Error(
        `apt has no candidate for ${spec} (a foreign architecture needs dpkg --add-architecture and apt-get update, as scripts/setup.sh does)`,
      );
  }
  return versions;
}

/**
 * The .deb files of `specs` (apt's package specs: "sudo:arm64", "libpam-runtime"), at apt's
 * candidate versions, downloaded once into the cache dir.
 */
export function debianPackages(specs: readonly string[]): DebianPackage[] {
  const versions = candidateVersions(specs);
  const pinned = specs.map((s) => `${s}=${versions.get(s)!}`);
  const key = createHash('sha256')
    .update(`debs 1\n${[...pinned].sort().join('\n')}\n`)
    .digest('hex');
  const dir = path.join(cacheBase(), 'debs', key.slice(0, 16));
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = mkdtempSync(`${dir}.part-`);
    try {
      // apt downloads as its own unprivileged user when it can write the directory.
      chmodSync(tmp, 0o777);
      execFileSync('apt-get', ['download', '-q', ...pinned], {
        cwd: tmp,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      chmodSync(tmp, 0o755);
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.deb'))
    .map((f) => path.join(dir, f));
  return specs.map((spec) => {
    const name = spec.split(':')[0]!;
    const file = files.find((f) => path.basename(f).startsWith(`${name}_`));
    if (!file) throw new Error(`no .deb of ${spec} in ${dir}`);
    return { spec, version: versions.get(spec)!, file };
  });
}

/** One entry of an archive listing (`tar -tv`, `dpkg-deb -c`): its mode string and its path. */
export interface ListedFile {
  /** ls-style, e.g. -rwsr-xr-x. */
  readonly mode: string;
  /** Without a leading "./" or "/". */
  readonly path: string;
}

/** Parse GNU tar's verbose listing (what `dpkg-deb -c` prints too). */
export function parseTarListing(listing: string): ListedFile[] {
  const out: ListedFile[] = [];
  for (const line of listing.split('\n')) {
    // mode owner/group size date time name[ -> target | link to target]
    const m = /^(\S{10})\s+\S+\s+\d+(?:,\s*\d+)?\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    let name = m[2]!;
    if (m[1]!.startsWith('l')) name = name.replace(/ -> .*$/, '');
    if (m[1]!.startsWith('h')) name = name.replace(/ link to .*$/, '');
    out.push({ mode: m[1]!, path: name.replace(/^\.?\//, '').replace(/\/$/, '') });
  }
  return out;
}

/** Whether an entry is a regular file with the setuid or the setgid bit. */
export function isSetId(f: ListedFile): boolean {
  return f.mode.startsWith('-') && /[sS]/.test(f.mode[3]! + f.mode[6]!);
}

/** What a .deb unpacks (`dpkg-deb -c`). */
export function debContents(deb: string): ListedFile[] {
  return parseTarListing(execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}
