// Action inputs: a pure parser over a getter, so the action (core.getInput), the CLI (its flags)
// and the tests all go through the same checks. Names and defaults come from action.yml, through
// the generated src/action-contract.ts.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { INPUTS, type InputName } from './action-contract.js';
import { type Arch, resolveArchList } from './arch.js';
import { parseBuildxOptions, BUILDX_OPTION_INPUTS, type BuildxOptions } from './buildx-options.js';
import { InputError } from './input-error.js';

export type QemuSource =
  | { readonly kind: 'upstream' }
  | { readonly kind: 'debian' }
  | { readonly kind: 'url'; readonly url: string }
  /** A tarball or an unpacked source tree; absolute. */
  | { readonly kind: 'path'; readonly path: string };

export type InstallDeps = 'auto' | 'never';

/** What the user's image build is given, as the inputs name it. */
export interface ImageOptions {
  /** Absolute (inside the workspace, for inputs). */
  readonly context: string;
  /** Absolute (inside the workspace, for inputs). */
  readonly file: string;
  readonly tags: readonly string[];
  readonly buildArgs: ReadonlyMap<string, string>;
  readonly labels: ReadonlyMap<string, string>;
  readonly target: string | undefined;
  readonly push: boolean;
  readonly load: boolean;
}

export interface Inputs extends ImageOptions {
  readonly arches: readonly Arch[];
  /** Unresolved spec; see resolveQemuVersion. */
  readonly qemuVersion: string;
  readonly qemuSource: QemuSource;
  /** Lower-case 64-hex pin for the source tarball, when given. */
  readonly qemuSha256: string | undefined;
  /** Build from a URL or local source that nothing pins (never cached). */
  readonly allowUnverifiedSource: boolean;
  readonly cache: boolean;
  readonly installDeps: InstallDeps;
  readonly build: boolean;
  readonly keepEmulator: boolean;
  /** Script for the guest (see src/docker/guest-run.ts). */
  readonly run: string | undefined;
  /** Guest image the script runs in; undefined = the image just built. */
  readonly runImage: string | undefined;
  readonly runShell: string;
  /** buildx builder named by the user; undefined = the Docker context's own (see docker/builder.ts). */
  readonly builder: string | undefined;
  /** build-push-action's build inputs (secrets, cache, outputs, ...); see buildx-options.ts. */
  readonly buildx: BuildxOptions;
}

export type InputGetter = (name: InputName) => string;

/** Inputs that take a list: the CLI lets their flags repeat and joins them with newlines. */
export const LIST_INPUTS: ReadonlySet<InputName> = new Set<InputName>([
  'arch',
  'tags',
  'build-args',
  'labels',
  ...(Object.keys(BUILDX_OPTION_INPUTS) as (keyof typeof BUILDX_OPTION_INPUTS)[]).filter((name) => {
    const mode = BUILDX_OPTION_INPUTS[name];
    return mode === 'list' || mode === 'lines';
  }),
]);

const DEFAULTS: ReadonlyMap<InputName, string> = new Map(INPUTS.map((i) => [i.name, i.default]));

/** `get`, with action.yml's default for an input that is empty (the runner does the same). */
function withDefaults(get: InputGetter): InputGetter {
  return (name) => {
    const v = get(name);
    return v.trim() === '' ? (DEFAULTS.get(name) ?? '') : v;
  };
}

function bad(input: string, value: string, allowed: string): InputError {
  return new InputError(input, `Invalid value for input "${input}": ${JSON.stringify(value)}. ${allowed}`);
}

// YAML 1.2 core schema booleans, which is what GitHub documents for action inputs.
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

function parseBool(input: string, raw: string): boolean {
  const v = raw.trim();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw bad(input, v, 'Allowed: true, True, TRUE, false, False, FALSE');
}

/** Items separated by commas and/or newlines, trimmed, empty ones dropped, duplicates removed. */
function parseList(raw: string): string[] {
  const out: string[] = [];
  for (const item of raw.split(/[,\n]/)) {
    const v = item.trim();
    if (v !== '' && !out.includes(v)) out.push(v);
  }
  return out;
}

const BUILD_ARG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/**
 * One KEY=VALUE per line. The value is everything after the first "=", so it may hold "=" and
 * commas. A line without "=" or a value opening a quote it does not close is reported as an
 * attempt at a multi-line value, which docker --build-arg/--label cannot carry.
 */
function parseKeyValues(input: string, raw: string, keyPattern: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  const lines = raw.split('\n');
  lines.forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '') return;
    const at = `line ${i + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new InputError(
        input,
        `Invalid value for input "${input}" (${at}): expected KEY=VALUE, got ${JSON.stringify(line)}; values cannot span lines`,
      );
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!keyPattern.test(key)) {
      throw new InputError(
        input,
        `Invalid value for input "${input}" (${at}): bad key ${JSON.stringify(key)}; keys must match ${keyPattern.source}`,
      );
    }
    const q = value[0];
    if ((q === '"' || q === "'") && (value.length < 2 || !value.endsWith(q))) {
      throw new InputError(
        input,
        `Invalid value for input "${input}" (${at}): the value of ${key} opens a quote it does not close; values cannot span lines`,
      );
    }
    out.set(key, value);
  });
  return out;
}

/** Resolve `p` against the workspace and insist it stays inside it. With `realpath`, symbolic
 * links count too: a link in the workspace that points outside it is outside. */
function insideWorkspace(
  input: string,
  p: string,
  workspace: string,
  realpath?: (p: string) => string,
): string {
  const root = path.resolve(workspace);
  const abs = path.resolve(root, p);
  const outside = (r: string, a: string): boolean => {
    const rel = path.relative(r, a);
    return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  };
  if (outside(root, abs)) {
    throw new InputError(
      input,
      `Invalid value for input "${input}": ${JSON.stringify(p)} is outside the workspace ${root}`,
    );
  }
  if (realpath) {
    const real = resolveLinks(abs, realpath);
    if (outside(resolveLinks(root, realpath), real)) {
      throw new InputError(
        input,
        `Invalid value for input "${input}": ${JSON.stringify(p)} leads through a symbolic link to ${real}, outside the workspace ${root}`,
      );
    }
  }
  return abs;
}

/** `realpath` of the longest part of `p` that exists, with the rest appended (a Dockerfile
 * named by `file` may not exist yet when the inputs are read). */
function resolveLinks(p: string, realpath: (p: string) => string): string {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    try {
      return path.join(realpath(dir), ...rest.reverse());
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return p;
      rest.push(path.basename(dir));
      dir = parent;
    }
  }
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

const QEMU_SOURCES = 'Allowed: upstream, debian, an http(s) URL, or a local path to a tarball or source tree';

/** `exists`, when given, checks a local path at once (else the compile finds out much later). */
function parseQemuSource(raw: string, workspace: string, exists?: (p: string) => boolean): QemuSource {
  const v = raw.trim();
  if (v === '' || v === 'upstream') return { kind: 'upstream' };
  if (v === 'debian') return { kind: 'debian' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw bad('qemu-source', v, 'Not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('qemu-source', v, QEMU_SOURCES);
    return { kind: 'url', url: url.href };
  }
  const local = path.resolve(workspace, v);
  if (exists && !exists(local)) throw bad('qemu-source', v, `${QEMU_SOURCES}; there is no ${local}`);
  return { kind: 'path', path: local };
}

/**
 * Why a source may not be used as given, or undefined: a tarball from a URL or a local path is
 * only built when "qemu-sha256" pins it or the user says it needs no verifying; an http:// one
 * (which anyone on the way can change) only with a pin.
 */
export function unverifiedSourceProblem(
  source: QemuSource,
  pin: string | undefined,
  allowUnverified: boolean,
): InputError | undefined {
  if (pin !== undefined || source.kind === 'upstream' || source.kind === 'debian') return undefined;
  const where = source.kind === 'url' ? source.url : source.path;
  if (source.kind === 'url' && new URL(source.url).protocol === 'http:') {
    return new InputError(
      'qemu-source',
      `Input "qemu-source" is an http:// URL (${where}), which anything between here and the server can change. ` +
        'Use https, or set "qemu-sha256" to the sha256 of the tarball you expect.',
    );
  }
  if (allowUnverified) return undefined;
  return new InputError(
    'qemu-source',
    `Nothing verifies the QEMU source ${where} (input "qemu-source"): set "qemu-sha256" to the sha256 of the tarball, ` +
      'use qemu-source: upstream or debian (checked against the sha256 this action records), ' +
      'or set "allow-unverified-source: true" to build from it unverified (its emulator is then never cached).',
  );
}

// Docker's reference grammar (distribution/reference) for a tag given to "docker build -t":
// [registry[:port]/]path[:tag], path components lower-case.
const DOMAIN_PART = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_TAG = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`,
);

/** Why `tag` is not something "docker build -t" takes, or undefined. */
export function imageTagProblem(tag: string): string | undefined {
  if (/\s/.test(tag)) return 'A tag cannot contain whitespace';
  if (tag.replace(/:[^/:]*$/, '').length > 255)
    return 'The name (without the tag) is longer than 255 characters';
  if (!IMAGE_TAG.test(tag)) {
    return (
      'Expected [registry[:port]/]name[:tag]: name components in lower case (a-z, 0-9, separated by ".", "_", "__" or "-"), ' +
      'and a tag of up to 128 letters, digits, "_", "." or "-" not starting with "." or "-"'
    );
  }
  return undefined;
}

// A stage name as BuildKit accepts it after AS (it compares them in lower case).
const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Why `ref` is not an image reference `docker run` takes ([registry/]name[:tag][@digest], or an
 * image ID), or undefined. A value starting with "-" would be read as one of docker run's flags.
 */
export function imageReferenceProblem(ref: string): string | undefined {
  const allowed =
    'Expected an image reference such as debian:bookworm, ghcr.io/me/img:1.0, img@sha256:<digest>, or an image ID';
  if (ref.startsWith('-'))
    return `An image reference cannot start with "-" (docker run would read it as a flag). ${allowed}`;
  if (/^(?:sha256:)?[0-9a-f]{12,64}$/.test(ref)) return undefined;
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  if (at >= 0 && !DIGEST.test(ref.slice(at + 1))) return `"${ref.slice(at + 1)}" is not a digest. ${allowed}`;
  const problem = imageTagProblem(name);
  return problem === undefined ? undefined : `${problem}. ${allowed}`;
}

export interface ParseOptions {
  /** GITHUB_WORKSPACE, or the working directory when run outside Actions. */
  readonly workspace: string;
  /** Checks that a local qemu-source exists; without it the parse touches no file. */
  readonly exists?: (p: string) => boolean;
  /** Resolves symbolic links, so that `context` and `file` can't leave the workspace through one. */
  readonly realpath?: (p: string) => string;
}

export function parseInputs(raw: InputGetter, opts: ParseOptions): Inputs {
  const { workspace } = opts;
  const get = withDefaults(raw);
  // Read first: it checks that "arch" and "platforms" are not both set.
  const buildx = parseBuildxOptions(get);
  const archInput = get('arch').trim() !== '' ? 'arch' : 'platforms';
  const archRaw = archInput === 'arch' ? get('arch') : buildx.platforms.join(',');
  if (archRaw.trim() === '') {
    throw new InputError(
      'arch',
      'Input "arch" is required: the guest architecture(s) to build for, e.g. arm64 (or name them as Docker platforms in "platforms", e.g. linux/arm64)',
    );
  }
  let arches: Arch[];
  try {
    arches = resolveArchList(archRaw);
  } catch (err) {
    // The arch table's messages name "arch"; the value may have come from "platforms".
    throw new InputError(archInput, (err as Error).message.replace(/input "arch"/gi, `input "${archInput}"`));
  }

  const sha = get('qemu-sha256').trim();
  if (sha !== '' && !SHA256.test(sha)) throw bad('qemu-sha256', sha, 'Expected 64 hexadecimal digits');

  const installRaw = get('install-deps').trim();
  let installDeps: InstallDeps;
  if (installRaw === 'auto' || TRUE.includes(installRaw)) installDeps = 'auto';
  else if (installRaw === 'never' || FALSE.includes(installRaw)) installDeps = 'never';
  else throw bad('install-deps', installRaw, 'Allowed: auto, false, never');

  const context = insideWorkspace('context', get('context').trim(), workspace, opts.realpath);
  const fileRaw = get('file').trim();
  const file =
    fileRaw === ''
      ? insideWorkspace('file', path.join(context, 'Dockerfile'), workspace, opts.realpath)
      : insideWorkspace('file', fileRaw, workspace, opts.realpath);
  // BuildKit reads <Dockerfile>.dockerignore beside it, and the build copies that file: the
  // same workspace check as the Dockerfile's, so a link there cannot pull in a file from outside.
  if (opts.realpath) {
    const ignore = `${file}.dockerignore`;
    try {
      insideWorkspace('file', ignore, workspace, opts.realpath);
    } catch (err) {
      throw new InputError(
        'file',
        `${(err as Error).message.replace(/^Invalid value for input "file": /, 'The ignore file beside input "file", ')}; ` +
          'make it a regular file in the workspace, or remove it',
      );
    }
  }

  const tags = parseList(get('tags'));
  for (const t of tags) {
    const problem = imageTagProblem(t);
    if (problem !== undefined) throw bad('tags', t, problem);
  }

  const target = get('target').trim();
  if (target !== '' && !STAGE_NAME.test(target)) {
    throw bad(
      'target',
      target,
      'Expected the name of a build stage (FROM ... AS <name>): a letter, then letters, digits, "_", "." or "-"',
    );
  }
  const run = get('run');
  const runImage = get('run-image').trim();
  if (runImage !== '') {
    const problem = imageReferenceProblem(runImage);
    if (problem !== undefined) throw bad('run-image', runImage, problem);
  }
  const runShell = get('run-shell').trim();
  if (!runShell.startsWith('/') || /\s/.test(runShell)) {
    throw bad(
      'run-shell',
      runShell,
      'Expected the absolute path of a shell in the guest image, e.g. /bin/sh or /bin/bash',
    );
  }
  const builder = get('builder').trim();
  if (builder !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(builder)) {
    throw bad(
      'builder',
      builder,
      'Expected the name of a buildx builder (letters, digits, ".", "_", "-"), as docker buildx ls lists it',
    );
  }
  const build = parseBool('build', get('build'));
  if (run.trim() !== '' && runImage === '' && !build) {
    throw new InputError(
      'run-image',
      'Input "run" needs an image to run in: set "run-image" to a guest image, or leave "build" true to run in the image just built',
    );
  }

  const qemuSource = parseQemuSource(get('qemu-source'), workspace, opts.exists);
  const qemuSha256 = sha === '' ? undefined : sha.toLowerCase();
  const allowUnverifiedSource = parseBool('allow-unverified-source', get('allow-unverified-source'));
  const sourceProblem = unverifiedSourceProblem(qemuSource, qemuSha256, allowUnverifiedSource);
  if (sourceProblem) throw sourceProblem;

  return {
    arches,
    qemuVersion: get('qemu-version').trim(),
    qemuSource,
    qemuSha256,
    allowUnverifiedSource,
    cache: parseBool('cache', get('cache')),
    installDeps,
    build,
    context,
    file,
    tags,
    buildArgs: parseKeyValues('build-args', get('build-args'), BUILD_ARG_KEY),
    labels: parseKeyValues('labels', get('labels'), LABEL_KEY),
    target: target === '' ? undefined : target,
    push: parseBool('push', get('push')),
    load: parseBool('load', get('load')),
    keepEmulator: parseBool('keep-emulator', get('keep-emulator')),
    run: run.trim() === '' ? undefined : run,
    runImage: runImage === '' ? undefined : runImage,
    runShell,
    builder: builder === '' ? undefined : builder,
    buildx,
  };
}

/** The file system checks of a real run (the action and the CLI); tests may leave them out. */
export const FILE_CHECKS = { exists: existsSync, realpath: realpathSync.native } as const;
