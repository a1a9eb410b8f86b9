// docker/build-push-action's build inputs, read the way that action reads them, checked, and turned
// into extra `docker buildx build` arguments. Pure: a getter in, a typed object out; the I/O code
// writes the secret values to files and passes their paths to buildxFlags.
//
// What this follows (read in docker/build-push-action src/context.ts getInputs/getArgs, docker/
// actions-toolkit src/util.ts Util.getList and src/buildx/build.ts, csv-parse lib/api/index.js,
// docker/buildx build/opt.go toSolveOpt, util/buildflags/{cache,export,secrets,attests}.go,
// build/utils.go, driver/docker/driver.go, moby builder/builder-next/controller.go, docker/go-units
// size.go and ulimit.go, docs.docker.com/build/cache/backends/):
//
// The list reader (Util.getList): core.getInput trims the whole value; csv-parse then reads it with
// `"` quotes (doubled inside a quoted field for a literal quote; a quote opens a field only as its
// first character, so ` "a,b"` is literal text; a closing quote not followed by a comma or line end
// stays in the text; an unclosed quote is an error), comma-separated fields, the first of \r\n, \n
// or \r as the line break, empty lines skipped, no comment syntax (a "#" line is an item) and no
// trimming. A line of one field is one item, or with comma splitting that field split on every comma
// (quoted or not); a line of several fields is those fields, or with ignoreComma the fields joined
// back with "," (the quotes are gone, so `"MYSECRET=a,b"` is `MYSECRET=a,b`). Items are trimmed.
// We also drop items that are empty after trimming (build-push-action passes them on as "").
// readList gave the same items (or both an error) as csv-parse 5.6.0 with the toolkit's options on
// 600,000 random inputs of quotes, commas, line breaks and spaces.
//
//   input            list mode          flag
//   platforms        commas too         --platform (our `arch`: not emitted here)
//   secrets          one per line       KEY=VALUE; the value goes to a temp file: --secret id=KEY,src=FILE
//   secret-files     one per line       KEY=PATH: --secret id=KEY,src=PATH (build-push-action copies
//                                       the file to a temp file first; we pass the path, CSV-quoted)
//   secret-envs      commas too         KEY=ENVVAR: --secret id=KEY,env=ENVVAR
//   ssh              commas too         --ssh default|<id>[=<socket or key>] (so id=k1,k2 is two items)
//   build-contexts   one per line       --build-context name=value ({{defaultContext}} is a template)
//   cache-from/-to   one per line       --cache-from / --cache-to, each line a buildx cache entry
//   no-cache, pull   boolean            --no-cache, --pull (core.getBooleanInput: true|True|TRUE|false|…)
//   no-cache-filters commas too         --no-cache-filter <stage>
//   network          plain              --network (buildx passes only default, host, none to BuildKit)
//   add-hosts        commas too         --add-host host:ip (buildx also takes host=ip; ip or host-gateway)
//   shm-size         plain              --shm-size <n>[b|k|m|g|t|p][i][b] (go-units RAMInBytes, 1024-based)
//   ulimit           one per line       --ulimit name=soft[:hard] (go-units ParseUlimit)
//   provenance       plain              --attest type=provenance,... (see below)
//   sbom             plain              --attest type=sbom,...
//   annotations      one per line       --annotation [type[,type][platform]:]key=value
//   outputs          one per line, no quoting       --output, each line a buildx export entry
//
// A bad secret is only a warning in build-push-action ("... is not a valid secret"); here it is an
// error, and its message never shows the value. Provenance: a YAML boolean becomes
// `type=provenance,builder-id=<run URL>` (true) or `type=provenance,disabled=true` (false); other
// text is attributes, with builder-id=<run URL> added unless given (the URL is
// ${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/attempts/${GITHUB_RUN_ATTEMPT});
// a field that is a Go boolean (1, t, true, 0, f, false, ...) becomes disabled=<its negation>. sbom is
// the same without builder-id. buildx's own --provenance/--sbom flags are shorthands for these
// --attest values; build-push-action uses --attest and so do we. Unlike build-push-action we add no
// provenance by default (see BUILDX_ENV in docker/buildx.ts).
//
// What the docker driver supports (moby's BuildKit, buildx's docker driver features): on the classic
// image store, cache import from registry and local, cache export inline only ("Cache export is not
// supported for the docker driver" otherwise), no attestations, no oci exporter and no docker
// exporter with a dest. With the containerd image store: cache import from registry, local and gha,
// export to those and inline, attestations, oci and docker tarballs. s3 and azblob never (dockerd's
// BuildKit registers no such backend). local and tar exports work on both. buildx reads the gha
// cache's token and URL from its own environment (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL...),
// and secret-envs too, so the I/O code must run buildx with the action's environment.
import { isIP } from 'node:net';
import { InputError } from './input-error.js';

// ---------------------------------------------------------------------------------------------
// The list reader

export interface ListOptions {
  /** One item per line: a line's fields are joined back with "," (build-push-action's ignoreComma). */
  readonly ignoreComma?: boolean;
  /** Whether `"` quotes fields (true by default; build-push-action turns it off for `outputs`). */
  readonly quote?: boolean;
}

class UnclosedQuote extends Error {
  constructor(readonly line: number) {
    super(`a quote opened on line ${line} is never closed`);
  }
}

/** csv-parse's records for the options build-push-action gives it (see the header). */
function csvRecords(text: string, quote: boolean): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoting = false;
  let wasQuoting = false;
  let line = 1;
  let quoteLine = 1;
  let lineBreak: string | undefined;
  /** Length of the line break at i, or 0. The first one seen decides which one counts. */
  const breakAt = (i: number): number => {
    if (lineBreak !== undefined) return text.startsWith(lineBreak, i) ? lineBreak.length : 0;
    if (text[i] === '\r') return text[i + 1] === '\n' ? 2 : 1;
    return text[i] === '\n' ? 1 : 0;
  };
  const endField = (): void => {
    record.push(field);
    field = '';
    wasQuoting = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoting) {
      if (c !== '"') {
        if (c === '\n') line++;
        field += c;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoting = false;
        wasQuoting = true;
        const next = i + 1;
        // A quote that does not end the field stays in the text with its partner.
        if (next < text.length && text[next] !== ',' && breakAt(next) === 0) field = `"${field}"`;
      }
      continue;
    }
    const br = breakAt(i);
    if (br > 0) {
      lineBreak ??= text.slice(i, i + br);
      if (wasQuoting || record.length > 0 || field.length > 0) {
        endField();
        records.push(record);
        record = [];
      }
      line++;
      i += br - 1;
    } else if (c === ',') {
      endField();
    } else if (quote && c === '"' && field.length === 0) {
      quoting = true;
      quoteLine = line;
    } else {
      field += c;
    }
  }
  if (quoting) throw new UnclosedQuote(quoteLine);
  if (wasQuoting || record.length > 0 || field.length > 0) {
    endField();
    records.push(record);
  }
  return records;
}

/**
 * Items of a list input, read like build-push-action's Util.getInputList (see the header).
 * `input` names the input in the error an unclosed quote raises.
 */
export function readList(input: string, raw: string, opts: ListOptions = {}): string[] {
  const text = raw.trim();
  if (text === '') return [];
  let records: string[][];
  try {
    records = csvRecords(text, opts.quote ?? true);
  } catch (err) {
    if (err instanceof UnclosedQuote) {
      throw new InputError(
        input,
        `Invalid value for input "${input}": ${err.message}. Quote a whole item ("KEY=a,b"), and double a quote inside quotes ("")`,
      );
    }
    throw err;
  }
  const items: string[] = [];
  for (const record of records) {
    if (record.length === 1) {
      const only = record[0] ?? '';
      items.push(...(opts.ignoreComma ? [only] : only.split(',')));
    } else if (opts.ignoreComma) {
      items.push(record.join(','));
    } else {
      items.push(...record);
    }
  }
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** The comma-separated fields of one buildx flag value (buildx reads them as CSV too). */
function csvFields(input: string, value: string): string[] {
  try {
    return csvRecords(value, true).flat();
  } catch (err) {
    if (err instanceof UnclosedQuote) {
      throw new InputError(
        input,
        `Invalid value for input "${input}": ${JSON.stringify(value)} opens a quote it does not close`,
      );
    }
    throw err;
  }
}

/** One CSV field as buildx's parser reads it back: quoted when it holds a comma, quote or line break. */
export function csvField(field: string): string {
  return /[",\r\n]|^\s/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

// ---------------------------------------------------------------------------------------------
// Types

export type Secret =
  /** From `secrets`: the I/O code writes `value` to a file (and masks it in the log). */
  | { readonly kind: 'value'; readonly id: string; readonly value: string }
  /** From `secret-files`: a path as written (buildx resolves it against its working directory). */
  | { readonly kind: 'file'; readonly id: string; readonly file: string }
  /** From `secret-envs`: the name of an environment variable of the buildx process. */
  | { readonly kind: 'env'; readonly id: string; readonly env: string };

export interface SshSpec {
  /** `default` or a key id, as RUN --mount=type=ssh,id=... names it. */
  readonly id: string;
  /** The socket or key file(s) after "=", or undefined for the agent in $SSH_AUTH_SOCK. */
  readonly source: string | undefined;
}

export interface NamedContext {
  readonly name: string;
  /** A path, docker-image://, oci-layout://, target:, a URL or a Git reference. */
  readonly value: string;
}

export type CacheType = 'registry' | 'local' | 'inline' | 'gha' | 's3' | 'azblob';

export interface CacheEntry {
  /** The line as written; it is what buildx gets. */
  readonly raw: string;
  readonly type: CacheType;
  /** Lower-case keys, as buildx reads them; a bare reference is {ref: <it>}. */
  readonly attrs: ReadonlyMap<string, string>;
}

export type OutputType = 'image' | 'registry' | 'local' | 'tar' | 'oci' | 'docker' | 'cacheonly';

/**
 * What an output does, for the pipeline: "push" (registry, or image with push=true), "store" (into
 * the daemon's image store, as --load does: image without push, docker without dest), "file" (a
 * directory or tarball on the runner) or "none" (cacheonly).
 */
export type OutputEffect = 'push' | 'store' | 'file' | 'none';

export interface OutputSpec {
  /** The line as written; it is what buildx gets. */
  readonly raw: string;
  readonly type: OutputType;
  readonly dest: string | undefined;
  /** Attributes other than type and dest, lower-case keys. */
  readonly attrs: ReadonlyMap<string, string>;
  readonly effect: OutputEffect;
}

export interface HostEntry {
  readonly host: string;
  /** An IP address (IPv6 without brackets) or "host-gateway". */
  readonly ip: string;
}

export interface Ulimit {
  readonly name: string;
  readonly soft: bigint;
  readonly hard: bigint;
}

export interface Attestation {
  /** `provenance: false`, a false boolean field, or disabled=true. */
  readonly disabled: boolean;
  /** key=value attributes in the order written, minus type and disabled. */
  readonly attrs: ReadonlyMap<string, string>;
}

export type AnnotationType = 'manifest' | 'manifest-descriptor' | 'index' | 'index-descriptor';

export interface Annotation {
  /** The line as written; it is what buildx gets. */
  readonly raw: string;
  /** Types named before ":" (empty: buildx's default, the image manifest). */
  readonly types: readonly AnnotationType[];
  readonly key: string;
  readonly value: string;
}

export type NetworkMode = 'default' | 'host' | 'none';

export interface BuildxOptions {
  /** `platforms`, unresolved (the later step maps them to arches like `arch`). */
  readonly platforms: readonly string[];
  /** `secrets`, then `secret-files`, then `secret-envs`; ids are unique. */
  readonly secrets: readonly Secret[];
  readonly ssh: readonly SshSpec[];
  readonly buildContexts: readonly NamedContext[];
  readonly cacheFrom: readonly CacheEntry[];
  readonly cacheTo: readonly CacheEntry[];
  readonly noCache: boolean;
  readonly noCacheFilters: readonly string[];
  readonly pull: boolean;
  readonly network: NetworkMode | undefined;
  readonly addHosts: readonly HostEntry[];
  /** As written (buildx parses it); undefined when unset. */
  readonly shmSize: string | undefined;
  readonly ulimits: readonly Ulimit[];
  readonly provenance: Attestation | undefined;
  readonly sbom: Attestation | undefined;
  readonly annotations: readonly Annotation[];
  readonly outputs: readonly OutputSpec[];
}

/** The inputs this module reads, with build-push-action's list mode for each list. */
export const BUILDX_OPTION_INPUTS = {
  platforms: 'list',
  secrets: 'lines',
  'secret-files': 'lines',
  'secret-envs': 'list',
  ssh: 'list',
  'build-contexts': 'lines',
  'cache-from': 'lines',
  'cache-to': 'lines',
  'no-cache': 'bool',
  'no-cache-filters': 'list',
  pull: 'bool',
  network: 'plain',
  'add-hosts': 'list',
  'shm-size': 'plain',
  ulimit: 'lines',
  provenance: 'plain',
  sbom: 'plain',
  annotations: 'lines',
  outputs: 'lines',
} as const satisfies Record<string, 'list' | 'lines' | 'bool' | 'plain'>;

export type BuildxOptionInput = keyof typeof BUILDX_OPTION_INPUTS;

// ---------------------------------------------------------------------------------------------
// Parsing

function bad(input: string, value: string, allowed: string): InputError {
  return new InputError(input, `Invalid value for input "${input}": ${JSON.stringify(value)}. ${allowed}`);
}

const YAML_TRUE = ['true', 'True', 'TRUE'];
const YAML_FALSE = ['false', 'False', 'FALSE'];

/** core.getBooleanInput's YAML 1.2 core schema booleans; empty (unset) is false. */
function parseBool(input: string, raw: string): boolean {
  const v = raw.trim();
  if (v === '' || YAML_FALSE.includes(v)) return false;
  if (YAML_TRUE.includes(v)) return true;
  throw bad(input, v, 'Allowed: true, True, TRUE, false, False, FALSE');
}

/** Go's strconv.ParseBool, which buildx applies to attestation fields and exporter attributes. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}

/** Split at the first "=": [key, value], or undefined without one. */
function cutEquals(s: string): [string, string] | undefined {
  const eq = s.indexOf('=');
  return eq < 0 ? undefined : [s.slice(0, eq), s.slice(eq + 1)];
}

const SECRET_FORMS: Record<Secret['kind'], string> = {
  value:
    'Expected KEY=VALUE, e.g. GIT_AUTH_TOKEN=${{ secrets.TOKEN }}; quote a value with commas or line breaks as a whole ("KEY=a,b")',
  file: 'Expected KEY=PATH, e.g. MY_SECRET=./secret.txt',
  env: "Expected KEY=ENV_VAR, e.g. MY_SECRET=MY_ENV_VAR (the variable must be set in the step's env)",
};

/** A secret's id and its value, path or variable. Messages name the id and item, never the value. */
function parseSecrets(input: string, items: readonly string[], kind: Secret['kind']): Secret[] {
  return items.map((item, i) => {
    const kv = cutEquals(item);
    const at = `Invalid value for input "${input}" (item ${i + 1})`;
    if (kv === undefined || kv[0] === '') {
      throw new InputError(input, `${at}: no KEY= before the value. ${SECRET_FORMS[kind]}`);
    }
    const [id, rest] = kv;
    if (/\s/.test(id)) {
      throw new InputError(
        input,
        `${at}: the secret id ${JSON.stringify(id)} contains whitespace. ${SECRET_FORMS[kind]}`,
      );
    }
    if (rest === '')
      throw new InputError(input, `${at}: the secret ${JSON.stringify(id)} is empty. ${SECRET_FORMS[kind]}`);
    if (kind === 'value') return { kind, id, value: rest };
    if (kind === 'file') return { kind, id, file: rest };
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) {
      throw new InputError(
        input,
        `${at}: ${JSON.stringify(rest)} is not an environment variable name. ${SECRET_FORMS[kind]}`,
      );
    }
    return { kind, id, env: rest };
  });
}

function parseSsh(items: readonly string[]): SshSpec[] {
  return items.map((item) => {
    const kv = cutEquals(item);
    const id = kv ? kv[0] : item;
    const source = kv ? kv[1] : undefined;
    if (id === '' || /\s/.test(id) || source === '') {
      throw bad(
        'ssh',
        item,
        'Expected default, default=<agent socket>, or <id>=<socket or private key file>[,<key file>...]',
      );
    }
    return { id, source };
  });
}

function parseBuildContexts(items: readonly string[]): NamedContext[] {
  return items.map((item) => {
    const kv = cutEquals(item);
    if (kv === undefined || kv[0].trim() === '' || kv[1].trim() === '') {
      throw bad(
        'build-contexts',
        item,
        'Expected name=value, e.g. alpine=docker-image://alpine:3.19 or src=./path',
      );
    }
    // build-push-action renders each value as a Handlebars template whose {{defaultContext}} is the
    // Git URL of the commit; we build from the checked-out workspace and have no such URL.
    if (kv[1].includes('{{')) {
      throw bad(
        'build-contexts',
        item,
        'Templates such as {{defaultContext}} (the Git context of build-push-action) are not supported: this action builds from the workspace, so name a path instead',
      );
    }
    return { name: kv[0], value: kv[1] };
  });
}

const CACHE_TYPES: readonly CacheType[] = ['registry', 'local', 'inline', 'gha', 's3', 'azblob'];

/** buildx's cache entry syntax: a bare reference (registry), or type=...,key=value fields. */
function parseCache(input: 'cache-from' | 'cache-to', items: readonly string[]): CacheEntry[] {
  const out: CacheEntry[] = [];
  const usage = `Expected <registry ref> or type=<${CACHE_TYPES.join('|')}>,key=value,... (e.g. type=gha,mode=max or type=registry,ref=user/app:buildcache)`;
  for (const raw of items) {
    const fields = csvFields(input, raw);
    if (!raw.includes('=')) {
      // Reference-only form: every field is a registry reference of its own.
      for (const ref of fields) {
        if (ref.trim() === '' || /\s/.test(ref.trim())) throw bad(input, raw, usage);
        out.push({ raw: ref.trim(), type: 'registry', attrs: new Map([['ref', ref.trim()]]) });
      }
      continue;
    }
    let type: string | undefined;
    const attrs = new Map<string, string>();
    for (const field of fields) {
      const kv = cutEquals(field);
      if (kv === undefined) throw bad(input, raw, `${JSON.stringify(field)} is not key=value. ${usage}`);
      const key = kv[0].toLowerCase();
      if (key === 'type') type = kv[1];
      else attrs.set(key, kv[1]);
    }
    if (type === undefined) throw bad(input, raw, `type= is required. ${usage}`);
    if (!(CACHE_TYPES as readonly string[]).includes(type))
      throw bad(input, raw, `Unknown cache type ${JSON.stringify(type)}. ${usage}`);
    const t = type as CacheType;
    if (t === 's3' || t === 'azblob') {
      throw bad(
        input,
        raw,
        `The ${t} cache backend needs a docker-container or remote builder: the Docker daemon's BuildKit, which the docker driver uses (and this action must), has none. Use registry, local or gha (the last two need the containerd image store), or inline`,
      );
    }
    if (input === 'cache-from' && t === 'inline') {
      throw bad(
        input,
        raw,
        'inline is a cache-to type; read an inline cache back with type=registry,ref=<the image>',
      );
    }
    out.push({ raw, type: t, attrs });
  }
  return out;
}

function parseNetwork(raw: string): NetworkMode | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (v === 'default' || v === 'host' || v === 'none') return v;
  throw bad(
    'network',
    v,
    "Allowed: default, host, none. buildx passes no other mode to BuildKit; a custom network is a docker-container builder's driver option, and this action builds on the docker driver",
  );
}

function parseAddHosts(items: readonly string[]): HostEntry[] {
  return items.map((item) => {
    // buildx cuts at the first "=", else at the first ":" (so host:::1 is host and ::1).
    const eq = item.indexOf('=');
    const at = eq >= 0 ? eq : item.indexOf(':');
    const host = at >= 0 ? item.slice(0, at) : '';
    let ip = at >= 0 ? item.slice(at + 1) : '';
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (host === '' || /\s/.test(host) || (ip !== 'host-gateway' && isIP(ip) === 0)) {
      throw bad(
        'add-hosts',
        item,
        'Expected host:ip (or host=ip), with an IPv4 or IPv6 address or host-gateway; several are separated by commas',
      );
    }
    return { host, ip };
  });
}

// go-units RAMInBytes: a non-negative number, one optional space, then b, or k/m/g/t/p followed by
// nothing, "b" or "ib", in any case.
const SIZE = /^(?:\d+(?:\.\d*)?|\.\d+) ?(?:b|[kmgtp](?:i?b)?)?$/i;

function parseShmSize(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (!SIZE.test(v)) {
    throw bad(
      'shm-size',
      v,
      'Expected a size such as 2g, 512m, 1.5GiB or a number of bytes (units are powers of 1024)',
    );
  }
  return v;
}

const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function parseUlimits(items: readonly string[]): Ulimit[] {
  const usage = `Expected name=soft[:hard], e.g. nofile=1024:1024, with name one of ${ULIMIT_NAMES.join(', ')}`;
  return items.map((item) => {
    const kv = cutEquals(item);
    if (kv === undefined || !ULIMIT_NAMES.includes(kv[0])) throw bad('ulimit', item, usage);
    const parts = kv[1].split(':');
    if (parts.length > 2) throw bad('ulimit', item, usage);
    const soft = parseInt64(parts[0] ?? '');
    const hard = parts.length === 2 ? parseInt64(parts[1] ?? '') : soft;
    if (soft === undefined || hard === undefined)
      throw bad('ulimit', item, `Limits are whole numbers. ${usage}`);
    if (soft > hard) throw bad('ulimit', item, 'The soft limit must not be greater than the hard limit');
    return { name: kv[0], soft, hard };
  });
}

/** `provenance` or `sbom`: a YAML boolean, or attributes (see the header). */
function parseAttestation(input: 'provenance' | 'sbom', raw: string): Attestation | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (YAML_TRUE.includes(v)) return { disabled: false, attrs: new Map() };
  if (YAML_FALSE.includes(v)) return { disabled: true, attrs: new Map() };
  const usage =
    input === 'provenance'
      ? 'Expected true, false, or attributes such as mode=max or mode=min,inline-only=true'
      : 'Expected true, false, or attributes such as generator=<scanner image>';
  let disabled = false;
  const attrs = new Map<string, string>();
  // build-push-action's toolkit reads these fields with csv-parse's trim option.
  for (const field of csvFields(input, v).map((f) => f.trim())) {
    const b = goBool(field);
    if (b !== undefined) {
      disabled = !b;
      continue;
    }
    const kv = cutEquals(field);
    if (kv === undefined) throw bad(input, v, `${JSON.stringify(field)} is not key=value. ${usage}`);
    const key = kv[0].toLowerCase();
    if (key === 'type') throw bad(input, v, `The type is implied by the input's name. ${usage}`);
    if (key === 'disabled') {
      const d = goBool(kv[1]);
      if (d === undefined) throw bad(input, v, 'disabled= takes true or false');
      disabled = d;
      continue;
    }
    if (input === 'provenance' && key === 'mode' && kv[1] !== 'min' && kv[1] !== 'max') {
      throw bad(input, v, 'mode= takes min or max');
    }
    attrs.set(kv[0], kv[1]);
  }
  return { disabled, attrs };
}

const ANNOTATION_TYPE = /^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$/;
const ANNOTATION_TYPES: readonly AnnotationType[] = [
  'manifest',
  'manifest-descriptor',
  'index',
  'index-descriptor',
];

function parseAnnotations(items: readonly string[]): Annotation[] {
  const usage = `Expected [type[,type]:]key=value, one per line, with type one of ${ANNOTATION_TYPES.join(', ')} and an optional [platform]`;
  return items.map((raw) => {
    const kv = cutEquals(raw);
    if (kv === undefined) throw bad('annotations', raw, usage);
    const colon = kv[0].indexOf(':');
    const key = colon < 0 ? kv[0] : kv[0].slice(colon + 1);
    const types: AnnotationType[] = [];
    if (colon >= 0) {
      for (const t of kv[0].slice(0, colon).split(',')) {
        const m = ANNOTATION_TYPE.exec(t);
        const name = m?.[1] ?? '';
        if (!(ANNOTATION_TYPES as readonly string[]).includes(name)) {
          throw bad('annotations', raw, `Unknown annotation type ${JSON.stringify(t)}. ${usage}`);
        }
        types.push(name as AnnotationType);
      }
    }
    if (key === '') throw bad('annotations', raw, usage);
    return { raw, types, key, value: kv[1] };
  });
}

const OUTPUT_TYPES: readonly OutputType[] = [
  'image',
  'registry',
  'local',
  'tar',
  'oci',
  'docker',
  'cacheonly',
];

/** buildx's export entry syntax: a bare path (local), or type=...,dest=...,key=value fields. */
function parseOutputs(items: readonly string[]): OutputSpec[] {
  const usage = `Expected a directory, or type=<${OUTPUT_TYPES.join('|')}>[,dest=<path>][,key=value...], one per line`;
  return items.map((raw) => {
    const fields = csvFields('outputs', raw);
    let type: string | undefined;
    let dest: string | undefined;
    const attrs = new Map<string, string>();
    if (fields.length === 1 && fields[0] === raw && !raw.startsWith('type=')) {
      // A bare value is a local directory, and "-" a tarball on stdout.
      type = raw === '-' ? 'tar' : 'local';
      dest = raw;
    } else {
      for (const field of fields) {
        const kv = cutEquals(field);
        if (kv === undefined)
          throw bad('outputs', raw, `${JSON.stringify(field)} is not key=value. ${usage}`);
        const key = kv[0].trim().toLowerCase();
        if (key === 'type') type = kv[1];
        else if (key === 'dest') dest = kv[1] === '' ? undefined : kv[1];
        else attrs.set(key, kv[1]);
      }
    }
    if (type === undefined) throw bad('outputs', raw, `type= is required. ${usage}`);
    if (!(OUTPUT_TYPES as readonly string[]).includes(type)) {
      throw bad('outputs', raw, `Unknown output type ${JSON.stringify(type)}. ${usage}`);
    }
    const t = type as OutputType;
    const isFileType = t === 'local' || t === 'tar' || t === 'oci';
    if (dest === '-') {
      throw bad('outputs', raw, "dest=- writes to standard output, which is this step's log; name a file");
    }
    if (isFileType && dest === undefined) {
      throw bad('outputs', raw, `type=${t} needs dest=<path>`);
    }
    const push = t === 'registry' || (t === 'image' && goBool(attrs.get('push') ?? '') === true);
    if (push && goBool(attrs.get('push-by-digest') ?? '') === true) {
      throw bad(
        'outputs',
        raw,
        'push-by-digest is not implemented for the docker driver (buildx refuses it); push with tags instead',
      );
    }
    let effect: OutputEffect;
    if (t === 'cacheonly') effect = 'none';
    else if (push) effect = 'push';
    else if (isFileType || (t === 'docker' && dest !== undefined)) effect = 'file';
    else effect = 'store';
    return { raw, type: t, dest, attrs, effect };
  });
}

/**
 * Read build-push-action's build inputs through `get` (unset inputs read as ""). Throws an
 * InputError naming the input for a malformed value, and for what can never work on the docker
 * driver, whatever else is set: s3 and azblob caches, network modes other than default, host and
 * none, push-by-digest, dest=-, {{defaultContext}}, and `platforms` together with `arch`.
 * What depends on the image store or on the other inputs is checked by imageStoreProblems and
 * pipelineProblems.
 */
export function parseBuildxOptions(get: (name: BuildxOptionInput | 'arch') => string): BuildxOptions {
  // build-push-action reads `outputs` without quoting, so quotes reach buildx as written.
  const items = (name: BuildxOptionInput): string[] =>
    readList(name, get(name), {
      ignoreComma: BUILDX_OPTION_INPUTS[name] === 'lines',
      quote: name !== 'outputs',
    });

  const platforms = items('platforms');
  for (const p of platforms) {
    if (/\s/.test(p)) throw bad('platforms', p, 'Expected platforms such as linux/arm64,linux/arm/v7');
  }
  if (platforms.length > 0 && get('arch').trim() !== '') {
    throw new InputError(
      'platforms',
      'Inputs "arch" and "platforms" both name the platforms to build ("platforms" is build-push-action\'s name for "arch"); set only one',
    );
  }

  const secrets = [
    ...parseSecrets('secrets', items('secrets'), 'value'),
    ...parseSecrets('secret-files', items('secret-files'), 'file'),
    ...parseSecrets('secret-envs', items('secret-envs'), 'env'),
  ];
  const seen = new Set<string>();
  for (const s of secrets) {
    if (seen.has(s.id)) {
      const input = s.kind === 'value' ? 'secrets' : `secret-${s.kind}s`;
      throw new InputError(
        input,
        `Invalid value for input "${input}": the secret id ${JSON.stringify(s.id)} is given more than once across "secrets", "secret-files" and "secret-envs"`,
      );
    }
    seen.add(s.id);
  }

  const noCacheFilters = items('no-cache-filters');
  for (const f of noCacheFilters) {
    if (/\s/.test(f)) throw bad('no-cache-filters', f, 'Expected stage names, separated by commas or lines');
  }

  return {
    platforms,
    secrets,
    ssh: parseSsh(items('ssh')),
    buildContexts: parseBuildContexts(items('build-contexts')),
    cacheFrom: parseCache('cache-from', items('cache-from')),
    cacheTo: parseCache('cache-to', items('cache-to')),
    noCache: parseBool('no-cache', get('no-cache')),
    noCacheFilters,
    pull: parseBool('pull', get('pull')),
    network: parseNetwork(get('network')),
    addHosts: parseAddHosts(items('add-hosts')),
    shmSize: parseShmSize(get('shm-size')),
    ulimits: parseUlimits(items('ulimit')),
    provenance: parseAttestation('provenance', get('provenance')),
    sbom: parseAttestation('sbom', get('sbom')),
    annotations: parseAnnotations(items('annotations')),
    outputs: parseOutputs(items('outputs')),
  };
}

// ---------------------------------------------------------------------------------------------
// Refusals that depend on the environment
//
// These return every problem rather than throwing at the first: the caller learns the image store
// (and the arch count) only after parseInputs and a look at the daemon, possibly after minutes of
// compiling QEMU, and one failed run should name everything to fix. problemsError turns the list
// into one InputError.

export interface Problem {
  readonly input: BuildxOptionInput;
  readonly message: string;
}

/** One InputError naming the first problem's input and listing all, or undefined for none. */
export function problemsError(problems: readonly Problem[]): InputError | undefined {
  const first = problems[0];
  if (first === undefined) return undefined;
  return new InputError(first.input, problems.map((p) => p.message).join('\n'));
}

const CONTAINERD_HINT =
  'the docker driver supports it only with the containerd image store ("features": {"containerd-snapshotter": true} in daemon.json, the default on new Docker installs)';

const enabled = (a: Attestation | undefined): boolean => a !== undefined && !a.disabled;

const isIndexAnnotation = (a: Annotation): boolean =>
  a.types.includes('index') || a.types.includes('index-descriptor');

/**
 * What the docker driver cannot do on the classic image store (containerdStore false); nothing on
 * the containerd store. buildx would refuse most of these itself, but with advice to switch
 * drivers, which this action cannot; a gha cache-from it would silently skip or BuildKit refuse.
 */
export function imageStoreProblems(opts: BuildxOptions, containerdStore: boolean): Problem[] {
  if (containerdStore) return [];
  const out: Problem[] = [];
  for (const c of opts.cacheTo) {
    if (c.type !== 'inline') {
      out.push({
        input: 'cache-to',
        message: `Input "cache-to": type=${c.type} (${c.raw}) exports the cache, and ${CONTAINERD_HINT}; on the classic image store only type=inline works`,
      });
    }
  }
  for (const c of opts.cacheFrom) {
    if (c.type === 'gha') {
      out.push({
        input: 'cache-from',
        message: `Input "cache-from": type=gha (${c.raw}) needs the GitHub Actions cache backend, and ${CONTAINERD_HINT}; on the classic image store use type=registry or type=local`,
      });
    }
  }
  for (const input of ['provenance', 'sbom'] as const) {
    if (enabled(opts[input])) {
      out.push({
        input,
        message: `Input "${input}": attestations are stored next to the image in an image index, and ${CONTAINERD_HINT}; set ${input}: false or leave it unset`,
      });
    }
  }
  for (const o of opts.outputs) {
    if (o.type === 'oci' || (o.type === 'docker' && o.dest !== undefined)) {
      out.push({
        input: 'outputs',
        message: `Input "outputs": ${o.raw} writes an image tarball (the ${o.type} exporter), and ${CONTAINERD_HINT}; use load: true and docker save, or type=tar for the file system`,
      });
    }
  }
  for (const a of opts.annotations) {
    if (isIndexAnnotation(a)) {
      out.push({
        input: 'annotations',
        message: `Input "annotations": ${a.raw} annotates an image index, which a single-platform image on the classic image store does not have (buildx refuses it); use manifest annotations`,
      });
    }
  }
  return out;
}

/**
 * What the daemon's own BuildKit cannot do: named build contexts need the Dockerfile frontend of
 * BuildKit 0.10, first built into Docker Engine 23.0 (older ones fail with "unsupported frontend
 * capability moby.buildkit.frontend.contexts"; a `# syntax=` line could fetch a newer frontend,
 * but that is the user's choice to make, not ours).
 */
export function engineProblems(opts: BuildxOptions, engineVersion: string): Problem[] {
  const major = Number(/^(\d+)\./.exec(engineVersion)?.[1] ?? 'NaN');
  if (opts.buildContexts.length === 0 || !(major < 23)) return [];
  return [
    {
      input: 'build-contexts',
      message: `Input "build-contexts": named build contexts need Docker Engine 23.0 or newer (its built-in Dockerfile frontend), and this daemon is ${engineVersion}; upgrade Docker, or add "# syntax=docker/dockerfile:1" as the Dockerfile's first line when the daemon can pull that frontend`,
    },
  ];
}

export interface PipelineContext {
  /** Number of arches built (one image each, then a manifest list of them when pushed). */
  readonly archCount: number;
  /** Whether any arch is built through the emulator (is not the Docker host's). */
  readonly emulated: boolean;
  readonly keepEmulator: boolean;
}

/**
 * What cannot work with the way this action builds: one single-platform build per arch (the
 * manifest list is made afterwards with imagetools create from the pushed per-arch images, tagged
 * <tag>-<arch>), RUN steps that mount a local emulator image, and for keep-emulator a second build
 * FROM the first one's local image.
 */
export function pipelineProblems(opts: BuildxOptions, ctx: PipelineContext): Problem[] {
  const out: Problem[] = [];
  // --pull makes BuildKit resolve every image from its registry, and the emulator image (and
  // keep-emulator's intermediate image) exist only in the local image store.
  if (opts.pull && (ctx.emulated || ctx.keepEmulator)) {
    out.push({
      input: 'pull',
      message:
        'Input "pull": pull: true makes BuildKit fetch every image the build uses from its registry, including the emulator image this action builds locally, so the build would fail. Pull newer base images with docker pull in an earlier step instead',
    });
  }
  // Provenance of the keep-emulator image would describe the wrapper build (FROM the first build's
  // image, plus the emulator), not the user's Dockerfile.
  if (ctx.keepEmulator && enabled(opts.provenance)) {
    out.push({
      input: 'provenance',
      message:
        'Input "provenance": with keep-emulator the image comes from a second build that adds the emulator to the first one, so its provenance would describe that build, not your Dockerfile; set provenance: false or keep-emulator: false',
    });
  }
  // The inline cache travels in the first build's image, which keep-emulator does not push: the
  // pushed image is the wrapper's, whose inline cache would describe only the wrapper build.
  if (ctx.keepEmulator) {
    for (const c of opts.cacheTo) {
      if (c.type === 'inline') {
        out.push({
          input: 'cache-to',
          message: `Input "cache-to": ${c.raw} puts the cache into the image built from your Dockerfile, and with keep-emulator the image pushed is a second build that adds the emulator to it, so the cache would not describe your steps; use type=registry (containerd image store) or keep-emulator: false`,
        });
      }
    }
  }
  if (ctx.archCount > 1) {
    for (const o of opts.outputs) {
      if (o.effect === 'file') {
        out.push({
          input: 'outputs',
          message: `Input "outputs": ${o.raw} would be written by each arch's build in turn (one build per arch), each over the last; build one arch per step for file outputs`,
        });
      } else if ((o.type === 'image' || o.type === 'registry') && o.attrs.has('name')) {
        out.push({
          input: 'outputs',
          message: `Input "outputs": name= in ${o.raw} would give every arch's image the same name; with several arches name the images with "tags" (each arch gets <tag>-<arch>, and the tags a manifest list)`,
        });
      }
    }
    for (const a of opts.annotations) {
      if (isIndexAnnotation(a)) {
        out.push({
          input: 'annotations',
          message: `Input "annotations": ${a.raw} annotates an image index, but each arch is built as a single-platform image and the manifest list is assembled afterwards without these annotations; use manifest annotations`,
        });
      }
    }
  }
  return out;
}

/** The inputs among these that are set (not empty, not false): what the classic builder cannot take. */
export function inputsInUse(opts: BuildxOptions): BuildxOptionInput[] {
  const used: [BuildxOptionInput, boolean][] = [
    ['secrets', opts.secrets.some((s) => s.kind === 'value')],
    ['secret-files', opts.secrets.some((s) => s.kind === 'file')],
    ['secret-envs', opts.secrets.some((s) => s.kind === 'env')],
    ['ssh', opts.ssh.length > 0],
    ['build-contexts', opts.buildContexts.length > 0],
    ['cache-from', opts.cacheFrom.length > 0],
    ['cache-to', opts.cacheTo.length > 0],
    ['no-cache', opts.noCache],
    ['no-cache-filters', opts.noCacheFilters.length > 0],
    ['pull', opts.pull],
    ['network', opts.network !== undefined],
    ['add-hosts', opts.addHosts.length > 0],
    ['shm-size', opts.shmSize !== undefined],
    ['ulimit', opts.ulimits.length > 0],
    ['provenance', opts.provenance !== undefined],
    ['sbom', opts.sbom !== undefined],
    ['annotations', opts.annotations.length > 0],
    ['outputs', opts.outputs.length > 0],
  ];
  return used.filter(([, on]) => on).map(([name]) => name);
}

/** What the classic builder (no buildx) cannot do: any of these inputs. */
export function classicBuilderProblems(opts: BuildxOptions): Problem[] {
  return inputsInUse(opts).map((input) => ({
    input,
    message: `Input "${input}" is passed to docker buildx, which is not available here (the classic builder has no such option). Install the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx or docker-buildx-plugin)`,
  }));
}

/** No build-push-action input set: what the parser makes of empty inputs. */
const NONE: BuildxOptions = parseBuildxOptions(() => '');

/**
 * keep-emulator builds twice: the user's Dockerfile, then a wrapper FROM it that adds the emulator.
 * What the RUN steps and the layer cache need goes to the first build; what describes or exports
 * the image the user gets goes to the second.
 */
export function splitForKeepEmulator(opts: BuildxOptions): { steps: BuildxOptions; image: BuildxOptions } {
  const { secrets, ssh, buildContexts, cacheFrom, cacheTo, noCache, noCacheFilters, pull } = opts;
  const { network, addHosts, shmSize, ulimits, provenance, sbom, annotations, outputs } = opts;
  return {
    steps: {
      ...NONE,
      secrets,
      ssh,
      buildContexts,
      cacheFrom,
      cacheTo,
      noCache,
      noCacheFilters,
      pull,
      network,
      addHosts,
      shmSize,
      ulimits,
    },
    image: { ...NONE, provenance, sbom, annotations, outputs },
  };
}

// ---------------------------------------------------------------------------------------------
// Flags

export interface FlagOptions {
  /** builder-id for provenance: build-push-action's workflow run URL (see builderIdFromEnv). */
  readonly builderId?: string;
}

/** The workflow run URL build-push-action records as the provenance builder-id, or undefined outside Actions. */
export function builderIdFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  const repo = env.GITHUB_REPOSITORY;
  const run = env.GITHUB_RUN_ID;
  if (!repo || !run) return undefined;
  return `${server}/${repo}/actions/runs/${run}/attempts/${env.GITHUB_RUN_ATTEMPT || '1'}`;
}

function attestFlag(type: 'provenance' | 'sbom', a: Attestation, builderId: string | undefined): string {
  if (a.disabled) return `type=${type},disabled=true`;
  const fields = [`type=${type}`, ...[...a.attrs].map(([k, v]) => csvField(`${k}=${v}`))];
  const hasBuilderId = [...a.attrs.keys()].some((k) => k.toLowerCase() === 'builder-id');
  if (type === 'provenance' && builderId !== undefined && !hasBuilderId) {
    fields.push(csvField(`builder-id=${builderId}`));
  }
  return fields.join(',');
}

/**
 * The extra `docker buildx build` arguments for `opts` (not --platform: the pipeline passes one arch
 * per build). `secretFiles` maps the id of every `secrets` value to the file the caller wrote it
 * to; secret files are passed by their own path and env secrets by name.
 */
export function buildxFlags(
  opts: BuildxOptions,
  secretFiles: ReadonlyMap<string, string>,
  flagOpts: FlagOptions = {},
): string[] {
  const args: string[] = [];
  for (const h of opts.addHosts) args.push('--add-host', `${h.host}:${h.ip}`);
  for (const a of opts.annotations) args.push('--annotation', a.raw);
  for (const c of opts.buildContexts) args.push('--build-context', `${c.name}=${c.value}`);
  for (const c of opts.cacheFrom) args.push('--cache-from', c.raw);
  for (const c of opts.cacheTo) args.push('--cache-to', c.raw);
  for (const f of opts.noCacheFilters) args.push('--no-cache-filter', f);
  for (const o of opts.outputs) args.push('--output', o.raw);
  if (opts.provenance) args.push('--attest', attestFlag('provenance', opts.provenance, flagOpts.builderId));
  if (opts.sbom) args.push('--attest', attestFlag('sbom', opts.sbom, undefined));
  for (const s of opts.secrets) {
    let source: string;
    if (s.kind === 'value') {
      const file = secretFiles.get(s.id);
      if (file === undefined) throw new Error(`no file was written for the secret ${JSON.stringify(s.id)}`);
      source = `src=${file}`;
    } else if (s.kind === 'file') {
      source = `src=${s.file}`;
    } else {
      source = `env=${s.env}`;
    }
    args.push('--secret', `${csvField(`id=${s.id}`)},${csvField(source)}`);
  }
  if (opts.shmSize !== undefined) args.push('--shm-size', opts.shmSize);
  for (const s of opts.ssh) args.push('--ssh', s.source === undefined ? s.id : `${s.id}=${s.source}`);
  for (const u of opts.ulimits) args.push('--ulimit', `${u.name}=${String(u.soft)}:${String(u.hard)}`);
  if (opts.network !== undefined) args.push('--network', opts.network);
  if (opts.noCache) args.push('--no-cache');
  if (opts.pull) args.push('--pull');
  return args;
}
