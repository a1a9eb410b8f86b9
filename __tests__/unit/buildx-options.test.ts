import { describe, expect, it } from '@jest/globals';
import {
  builderIdFromEnv,
  buildxFlags,
  classicBuilderProblems,
  csvField,
  engineProblems,
  imageStoreProblems,
  parseBuildxOptions,
  pipelineProblems,
  problemsError,
  readList,
  splitForKeepEmulator,
  type BuildxOptions,
} from '../../src/buildx-options.js';
import { InputError } from '../../src/input-error.js';
import { inputErrorOf } from './fixtures/inputs.js';

function parse(values: Record<string, string>): BuildxOptions {
  return parseBuildxOptions((name) => values[name] ?? '');
}

function error(values: Record<string, string>): InputError {
  return inputErrorOf(() => parse(values));
}

const NONE: BuildxOptions = parse({});

describe('readList (build-push-action Util.getInputList)', () => {
  const list = (raw: string) => readList('x', raw);
  const lines = (raw: string) => readList('x', raw, { ignoreComma: true });

  it('splits on commas and lines, trims items and skips blank lines', () => {
    expect(list('linux/amd64,linux/arm64')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(list('  a , b\n\n c \n')).toEqual(['a', 'b', 'c']);
    expect(list('')).toEqual([]);
    expect(list(' \n ')).toEqual([]);
  });

  it('keeps commas within a line with ignoreComma, one item per line', () => {
    expect(lines('type=gha,mode=max\ntype=registry,ref=user/app:buildcache')).toEqual([
      'type=gha,mode=max',
      'type=registry,ref=user/app:buildcache',
    ]);
  });

  it('drops items that are empty after trimming', () => {
    expect(list('a,,  ,b')).toEqual(['a', 'b']);
    expect(lines('a\n   \nb')).toEqual(['a', 'b']);
  });

  it('has no comment syntax: a "#" line is an item', () => {
    expect(lines('# not a comment\nA=b')).toEqual(['# not a comment', 'A=b']);
  });

  it('reads a quoted item with commas and line breaks as one item', () => {
    expect(lines('"MYSECRET=a,b"')).toEqual(['MYSECRET=a,b']);
    expect(lines('"MYSECRET=line1\nline2"\nOTHER=x')).toEqual(['MYSECRET=line1\nline2', 'OTHER=x']);
  });

  it('reads "" inside quotes as one quote', () => {
    expect(lines('"JSON={""key"": ""v""}"')).toEqual(['JSON={"key": "v"}']);
  });

  it('splits even a quoted field on commas without ignoreComma, when it is alone on its line', () => {
    expect(list('"linux/amd64,linux/arm64"')).toEqual(['linux/amd64', 'linux/arm64']);
    // ...but not when the line has several fields.
    expect(list('a,"b,c"')).toEqual(['a', 'b,c']);
  });

  it('joins the fields of a line with ignoreComma, without their quotes', () => {
    expect(lines('type=local,"dest=/x"')).toEqual(['type=local,dest=/x']);
  });

  it('treats a quote that does not open a field as text (relax_quotes)', () => {
    expect(lines('A="x,y"')).toEqual(['A="x,y"']);
    expect(list('a, "b,c"')).toEqual(['a', '"b', 'c"']);
    // A closing quote followed by more text keeps both quotes.
    expect(lines('"abc"def')).toEqual(['"abc"def']);
  });

  it('trims the whole value first, as core.getInput does', () => {
    expect(lines('  "a,b"  ')).toEqual(['a,b']);
  });

  it('reads CRLF line breaks', () => {
    expect(lines('A=1\r\nB=2\r\n')).toEqual(['A=1', 'B=2']);
    expect(lines('"A=1\r\nx"\r\nB=2')).toEqual(['A=1\r\nx', 'B=2']);
  });

  it('leaves quotes alone when quoting is off (outputs)', () => {
    expect(readList('outputs', 'type=local,dest="a b"', { ignoreComma: true, quote: false })).toEqual([
      'type=local,dest="a b"',
    ]);
  });

  it('refuses an unclosed quote, naming the line and not the text', () => {
    let err: unknown;
    try {
      readList('secrets', 'A=1\n"B=hunter2\nmore', { ignoreComma: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('secrets');
    expect((err as InputError).message).toMatch(/line 2/);
    expect((err as InputError).message).not.toMatch(/hunter2/);
  });
});

describe('parseBuildxOptions', () => {
  it('reads nothing when nothing is set', () => {
    expect(NONE).toEqual({
      platforms: [],
      secrets: [],
      ssh: [],
      buildContexts: [],
      cacheFrom: [],
      cacheTo: [],
      noCache: false,
      noCacheFilters: [],
      pull: false,
      network: undefined,
      addHosts: [],
      shmSize: undefined,
      ulimits: [],
      provenance: undefined,
      sbom: undefined,
      annotations: [],
      outputs: [],
    });
  });

  it('reads platforms as a list', () => {
    expect(parse({ platforms: 'linux/arm64,linux/arm/v7\nlinux/riscv64' }).platforms).toEqual([
      'linux/arm64',
      'linux/arm/v7',
      'linux/riscv64',
    ]);
  });

  it('reads secrets, multi-line and quoted, secret-files and secret-envs', () => {
    const o = parse({
      secrets: [
        'GIT_AUTH_TOKEN=abcdef',
        '"MYSECRET=line1',
        'line2"',
        '"KEY=a=b,c"',
        '"JSON={""k"": 1}"',
      ].join('\n'),
      'secret-files': '"MY_SECRET=./secret.txt"',
      'secret-envs': 'ENV_A=MY_ENV_VAR,ENV_B=OTHER_VAR',
    });
    expect(o.secrets).toEqual([
      { kind: 'value', id: 'GIT_AUTH_TOKEN', value: 'abcdef' },
      { kind: 'value', id: 'MYSECRET', value: 'line1\nline2' },
      { kind: 'value', id: 'KEY', value: 'a=b,c' },
      { kind: 'value', id: 'JSON', value: '{"k": 1}' },
      { kind: 'file', id: 'MY_SECRET', file: './secret.txt' },
      { kind: 'env', id: 'ENV_A', env: 'MY_ENV_VAR' },
      { kind: 'env', id: 'ENV_B', env: 'OTHER_VAR' },
    ]);
  });

  it('keeps an unquoted secret value with commas whole (one secret per line)', () => {
    expect(parse({ secrets: 'A=x,y, z' }).secrets).toEqual([{ kind: 'value', id: 'A', value: 'x,y, z' }]);
  });

  it('reads ssh', () => {
    expect(parse({ ssh: 'default' }).ssh).toEqual([{ id: 'default', source: undefined }]);
    expect(parse({ ssh: 'default=/tmp/agent.sock\ngithub=/home/u/.ssh/id_ed25519' }).ssh).toEqual([
      { id: 'default', source: '/tmp/agent.sock' },
      { id: 'github', source: '/home/u/.ssh/id_ed25519' },
    ]);
  });

  it('reads build-contexts one per line', () => {
    expect(
      parse({ 'build-contexts': 'alpine=docker-image://alpine:3.19\nsrc=./vendor,with-comma' }).buildContexts,
    ).toEqual([
      { name: 'alpine', value: 'docker-image://alpine:3.19' },
      { name: 'src', value: './vendor,with-comma' },
    ]);
  });

  it('reads cache-from and cache-to entries', () => {
    const o = parse({
      'cache-from': 'type=registry,ref=user/app:buildcache\nuser/app:cache\ntype=gha',
      'cache-to': 'type=gha,mode=max\ntype=inline\ntype=local,dest=/tmp/.buildx-cache',
    });
    expect(o.cacheFrom.map((c) => [c.type, Object.fromEntries(c.attrs), c.raw])).toEqual([
      ['registry', { ref: 'user/app:buildcache' }, 'type=registry,ref=user/app:buildcache'],
      ['registry', { ref: 'user/app:cache' }, 'user/app:cache'],
      ['gha', {}, 'type=gha'],
    ]);
    expect(o.cacheTo.map((c) => [c.type, Object.fromEntries(c.attrs)])).toEqual([
      ['gha', { mode: 'max' }],
      ['inline', {}],
      ['local', { dest: '/tmp/.buildx-cache' }],
    ]);
  });

  it('reads booleans like core.getBooleanInput', () => {
    expect(parse({ 'no-cache': 'true', pull: 'True' })).toMatchObject({ noCache: true, pull: true });
    expect(parse({ 'no-cache': 'FALSE', pull: 'false' })).toMatchObject({ noCache: false, pull: false });
  });

  it('reads no-cache-filters, network, shm-size', () => {
    const o = parse({ 'no-cache-filters': 'build,test', network: 'host', 'shm-size': '2g' });
    expect(o.noCacheFilters).toEqual(['build', 'test']);
    expect(o.network).toBe('host');
    expect(o.shmSize).toBe('2g');
    for (const n of ['default', 'none'] as const) expect(parse({ network: n }).network).toBe(n);
    for (const s of ['1024', '512m', '512 MB', '1.5GiB', '64kib', '100b', '1.']) {
      expect(parse({ 'shm-size': s }).shmSize).toBe(s);
    }
  });

  it('reads add-hosts in both buildx forms', () => {
    expect(parse({ 'add-hosts': 'docker:10.180.0.1,foo:10.0.0.1' }).addHosts).toEqual([
      { host: 'docker', ip: '10.180.0.1' },
      { host: 'foo', ip: '10.0.0.1' },
    ]);
    expect(parse({ 'add-hosts': 'v6:::1\nbr:[fe80::1]\ngw=host-gateway' }).addHosts).toEqual([
      { host: 'v6', ip: '::1' },
      { host: 'br', ip: 'fe80::1' },
      { host: 'gw', ip: 'host-gateway' },
    ]);
  });

  it('reads ulimit like go-units ParseUlimit', () => {
    expect(parse({ ulimit: 'nofile=1024:1024\nnproc=65535\ncore=-1' }).ulimits).toEqual([
      { name: 'nofile', soft: 1024n, hard: 1024n },
      { name: 'nproc', soft: 65535n, hard: 65535n },
      { name: 'core', soft: -1n, hard: -1n },
    ]);
  });

  it('reads provenance and sbom', () => {
    const attrs = (v: string, input: 'provenance' | 'sbom' = 'provenance') => {
      const a = parse({ [input]: v })[input];
      return a && { disabled: a.disabled, attrs: Object.fromEntries(a.attrs) };
    };
    expect(attrs('mode=max')).toEqual({ disabled: false, attrs: { mode: 'max' } });
    expect(attrs('true')).toEqual({ disabled: false, attrs: {} });
    expect(attrs('false')).toEqual({ disabled: true, attrs: {} });
    expect(attrs('mode=min, inline-only=true')).toEqual({
      disabled: false,
      attrs: { mode: 'min', 'inline-only': 'true' },
    });
    // A Go boolean field, as build-push-action's toolkit reads it.
    expect(attrs('0,mode=max')).toEqual({ disabled: true, attrs: { mode: 'max' } });
    expect(attrs('disabled=true')).toEqual({ disabled: true, attrs: {} });
    expect(attrs('true', 'sbom')).toEqual({ disabled: false, attrs: {} });
    expect(attrs('generator=docker/buildkit-syft-scanner:1', 'sbom')).toEqual({
      disabled: false,
      attrs: { generator: 'docker/buildkit-syft-scanner:1' },
    });
  });

  it('reads annotations one per line', () => {
    const o = parse({
      annotations: [
        'org.opencontainers.image.description=My image, with a comma',
        'index,manifest:org.opencontainers.image.title=app',
        'manifest[linux/arm64]:com.example.key=v=1',
      ].join('\n'),
    });
    expect(o.annotations.map((a) => [a.types, a.key, a.value])).toEqual([
      [[], 'org.opencontainers.image.description', 'My image, with a comma'],
      [['index', 'manifest'], 'org.opencontainers.image.title', 'app'],
      [['manifest'], 'com.example.key', 'v=1'],
    ]);
  });

  it('reads outputs with what each does', () => {
    const o = parse({
      outputs: [
        'type=local,dest=./out',
        'type=registry,compression=zstd',
        'type=image,push=true',
        'type=image,name=app',
        'type=docker',
        'type=docker,dest=/tmp/image.tar',
        'type=tar,"dest=a,b.tar"',
        'type=oci,dest=/tmp/oci.tar',
        './bare-dir',
        'type=cacheonly',
      ].join('\n'),
    });
    expect(o.outputs.map((x) => [x.type, x.dest, x.effect])).toEqual([
      ['local', './out', 'file'],
      ['registry', undefined, 'push'],
      ['image', undefined, 'push'],
      ['image', undefined, 'store'],
      ['docker', undefined, 'store'],
      ['docker', '/tmp/image.tar', 'file'],
      ['tar', 'a,b.tar', 'file'],
      ['oci', '/tmp/oci.tar', 'file'],
      ['local', './bare-dir', 'file'],
      ['cacheonly', undefined, 'none'],
    ]);
    // The quotes reach buildx as written.
    expect(o.outputs[6]?.raw).toBe('type=tar,"dest=a,b.tar"');
    expect(Object.fromEntries(o.outputs[1]?.attrs ?? [])).toEqual({ compression: 'zstd' });
  });

  it('allows platforms when arch is unset', () => {
    expect(parse({ platforms: 'linux/arm64', arch: '' }).platforms).toEqual(['linux/arm64']);
  });

  it.each<[string, Record<string, string>, string, RegExp]>([
    ['platforms with arch', { platforms: 'linux/arm64', arch: 'arm64' }, 'platforms', /set only one/],
    ['a platform with a space', { platforms: 'linux/arm 64' }, 'platforms', /linux\/arm64/],
    ['a secret without KEY=', { secrets: 's3cr3t-value' }, 'secrets', /item 1.*no KEY=/],
    ['a secret with an empty key', { secrets: '=value' }, 'secrets', /no KEY=/],
    ['an empty secret', { secrets: 'A=ok\nB=' }, 'secrets', /item 2.*"B" is empty/],
    ['a secret id with a space', { secrets: '"MY KEY=v"' }, 'secrets', /contains whitespace/],
    ['a secret file without KEY=', { 'secret-files': './secret.txt' }, 'secret-files', /KEY=PATH/],
    [
      'a secret env that is no name',
      { 'secret-envs': 'A=not-a-name' },
      'secret-envs',
      /environment variable/,
    ],
    [
      'a secret id twice',
      { secrets: 'A=1', 'secret-envs': 'A=B' },
      'secret-envs',
      /"A" is given more than once/,
    ],
    ['an ssh id missing', { ssh: '=/tmp/sock' }, 'ssh', /default=<agent socket>/],
    ['an empty ssh source', { ssh: 'default=' }, 'ssh', /Expected default/],
    ['a build context without =', { 'build-contexts': 'alpine' }, 'build-contexts', /name=value/],
    [
      'a build context template',
      { 'build-contexts': 'ctx={{defaultContext}}:sub' },
      'build-contexts',
      /defaultContext/,
    ],
    ['a cache without type', { 'cache-to': 'mode=max' }, 'cache-to', /type= is required/],
    ['a cache field without =', { 'cache-to': 'type=gha,max' }, 'cache-to', /"max" is not key=value/],
    [
      'an unknown cache type',
      { 'cache-from': 'type=redis,ref=x' },
      'cache-from',
      /Unknown cache type "redis"/,
    ],
    [
      'an s3 cache',
      { 'cache-to': 'type=s3,region=eu,bucket=b' },
      'cache-to',
      /s3 cache backend needs a docker-container/,
    ],
    ['an azblob cache', { 'cache-from': 'type=azblob,name=x' }, 'cache-from', /azblob/],
    ['an inline cache-from', { 'cache-from': 'type=inline' }, 'cache-from', /cache-to type/],
    ['a bad no-cache', { 'no-cache': 'yes' }, 'no-cache', /Allowed: true/],
    ['a bad pull', { pull: '1' }, 'pull', /Allowed: true/],
    ['a no-cache-filter with a space', { 'no-cache-filters': 'my stage' }, 'no-cache-filters', /stage names/],
    ['a custom network', { network: 'my-net' }, 'network', /Allowed: default, host, none/],
    ['bridge network', { network: 'bridge' }, 'network', /docker-container builder/],
    ['a host without ip', { 'add-hosts': 'docker' }, 'add-hosts', /host:ip/],
    ['a host with a bad ip', { 'add-hosts': 'docker:example.com' }, 'add-hosts', /IPv4 or IPv6/],
    ['a host without name', { 'add-hosts': ':10.0.0.1' }, 'add-hosts', /host:ip/],
    ['a bad shm-size unit', { 'shm-size': '2x' }, 'shm-size', /size such as 2g/],
    ['a negative shm-size', { 'shm-size': '-1' }, 'shm-size', /"-1"/],
    ['an shm-size with too long a suffix', { 'shm-size': '2gibb' }, 'shm-size', /size/],
    ['an unknown ulimit', { ulimit: 'files=10' }, 'ulimit', /name one of core/],
    ['a ulimit without =', { ulimit: 'nofile' }, 'ulimit', /name=soft\[:hard\]/],
    ['a ulimit that is no number', { ulimit: 'nofile=many' }, 'ulimit', /whole numbers/],
    ['a ulimit soft over hard', { ulimit: 'nofile=2048:1024' }, 'ulimit', /soft limit must not be greater/],
    ['a ulimit with three parts', { ulimit: 'nofile=1:2:3' }, 'ulimit', /name=soft/],
    ['a ulimit beyond int64', { ulimit: 'nofile=9223372036854775808' }, 'ulimit', /whole numbers/],
    ['a provenance mode', { provenance: 'mode=medium' }, 'provenance', /min or max/],
    ['a provenance type', { provenance: 'type=sbom' }, 'provenance', /implied/],
    ['a provenance word', { provenance: 'maximal' }, 'provenance', /"maximal" is not key=value/],
    ['a provenance disabled value', { provenance: 'disabled=maybe' }, 'provenance', /true or false/],
    ['an sbom word', { sbom: 'yes-please' }, 'sbom', /generator=/],
    ['an annotation without =', { annotations: 'org.example.key' }, 'annotations', /key=value/],
    [
      'an annotation type',
      { annotations: 'image:org.example.key=v' },
      'annotations',
      /Unknown annotation type "image"/,
    ],
    ['an annotation without key', { annotations: 'manifest:=v' }, 'annotations', /key=value/],
    ['an unknown output', { outputs: 'type=s3,dest=x' }, 'outputs', /Unknown output type "s3"/],
    ['an output without type', { outputs: 'push=true,name=x' }, 'outputs', /type= is required/],
    ['an output field without =', { outputs: 'type=image,push' }, 'outputs', /"push" is not key=value/],
    ['a local output without dest', { outputs: 'type=local' }, 'outputs', /needs dest=/],
    ['an output to stdout', { outputs: '-' }, 'outputs', /standard output/],
    ['a tar output to stdout', { outputs: 'type=tar,dest=-' }, 'outputs', /standard output/],
    [
      'push-by-digest',
      { outputs: 'type=image,name=user/app,push-by-digest=true,name-canonical=true,push=true' },
      'outputs',
      /push-by-digest is not implemented for the docker driver/,
    ],
    ['an unclosed quote', { 'cache-to': '"type=gha' }, 'cache-to', /never closed/],
  ])('refuses %s', (_name, values, input, message) => {
    const err = error(values);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`"${input}"`);
  });

  it('never shows a secret value in an error', () => {
    for (const secrets of ['hunter2', 'A B=hunter2', 'A=ok\n"B=hunter2']) {
      expect(error({ secrets }).message).not.toContain('hunter2');
    }
  });
});

describe('imageStoreProblems', () => {
  const all = parse({
    'cache-from': 'type=gha\ntype=registry,ref=u/a:c\ntype=local,src=/c',
    'cache-to': 'type=gha,mode=max\ntype=inline\ntype=registry,ref=u/a:c',
    provenance: 'mode=max',
    sbom: 'true',
    outputs:
      'type=oci,dest=/o.tar\ntype=docker,dest=/d.tar\ntype=docker\ntype=local,dest=out\ntype=tar,dest=t.tar',
    annotations: 'index:a=1\nmanifest:b=2\nindex-descriptor:c=3\nd=4',
  });

  it('has nothing against the containerd image store', () => {
    expect(imageStoreProblems(all, true)).toEqual([]);
  });

  it('lists what the classic image store cannot do', () => {
    const problems = imageStoreProblems(all, false);
    expect(problems.map((p) => p.input)).toEqual([
      'cache-to',
      'cache-to',
      'cache-from',
      'provenance',
      'sbom',
      'outputs',
      'outputs',
      'annotations',
      'annotations',
    ]);
    expect(problems[0]?.message).toMatch(/type=gha.*containerd image store.*only type=inline/);
    expect(problems[1]?.message).toMatch(/type=registry/);
    expect(problems[2]?.message).toMatch(/cache-from.*type=gha/);
    expect(problems[5]?.message).toMatch(/type=oci,dest=\/o.tar/);
    expect(problems[7]?.message).toMatch(/index:a=1/);
  });

  it('does not count disabled attestations', () => {
    expect(imageStoreProblems(parse({ provenance: 'false', sbom: 'disabled=true' }), false)).toEqual([]);
  });

  it('has nothing against inline caches, registry and local cache import, and local or tar outputs', () => {
    const ok = parse({
      'cache-from': 'u/a:c\ntype=local,src=/c',
      'cache-to': 'type=inline',
      outputs: 'type=local,dest=out\ntype=tar,dest=t.tar\ntype=docker\ntype=registry',
    });
    expect(imageStoreProblems(ok, false)).toEqual([]);
  });
});

describe('pipelineProblems', () => {
  const one = { archCount: 1, emulated: true, keepEmulator: false };

  it('refuses pull when the emulator image or keep-emulator is involved', () => {
    const o = parse({ pull: 'true' });
    expect(pipelineProblems(o, one).map((p) => p.input)).toEqual(['pull']);
    expect(pipelineProblems(o, one)[0]?.message).toMatch(/emulator image.*docker pull/);
    expect(pipelineProblems(o, { ...one, emulated: false, keepEmulator: true })).toHaveLength(1);
    expect(pipelineProblems(o, { ...one, emulated: false })).toEqual([]);
  });

  it('refuses provenance with keep-emulator', () => {
    const o = parse({ provenance: 'mode=max', sbom: 'true' });
    expect(pipelineProblems(o, one)).toEqual([]);
    expect(pipelineProblems(o, { ...one, keepEmulator: true }).map((p) => p.input)).toEqual(['provenance']);
    expect(pipelineProblems(parse({ provenance: 'false' }), { ...one, keepEmulator: true })).toEqual([]);
  });

  it('refuses file outputs, named image outputs and index annotations with several arches', () => {
    const o = parse({
      outputs: 'type=local,dest=out\ntype=image,name=u/app,push=true\ntype=registry\ntype=docker',
      annotations: 'index:a=1\nb=2',
    });
    expect(pipelineProblems(o, one)).toEqual([]);
    const problems = pipelineProblems(o, { ...one, archCount: 2 });
    expect(problems.map((p) => p.input)).toEqual(['outputs', 'outputs', 'annotations']);
    expect(problems[0]?.message).toMatch(/type=local,dest=out.*each over the last/);
    expect(problems[1]?.message).toMatch(/name=.*tags/);
    expect(problems[2]?.message).toMatch(/index:a=1/);
  });
});

describe('keep-emulator and the classic builder', () => {
  const every = parse({
    secrets: 'A=1',
    'secret-files': 'B=f',
    'secret-envs': 'C=ENV',
    ssh: 'default',
    'build-contexts': 'x=dir',
    'cache-from': 'type=registry,ref=r/c',
    'cache-to': 'type=inline',
    'no-cache': 'true',
    'no-cache-filters': 'build',
    pull: 'true',
    network: 'host',
    'add-hosts': 'h:10.0.0.1',
    'shm-size': '1g',
    ulimit: 'nofile=10:20',
    provenance: 'mode=max',
    sbom: 'true',
    annotations: 'a=1',
    outputs: 'type=local,dest=out',
  });

  it('gives the first build what RUN steps and the cache need, and the second what makes the image', () => {
    const { steps, image } = splitForKeepEmulator(every);
    const flags = (o: BuildxOptions) =>
      buildxFlags(o, new Map([['A', '/s/0']])).filter((a) => a.startsWith('--'));
    expect(flags(steps)).toEqual([
      '--add-host',
      '--build-context',
      '--cache-from',
      '--cache-to',
      '--no-cache-filter',
      '--secret',
      '--secret',
      '--secret',
      '--shm-size',
      '--ssh',
      '--ulimit',
      '--network',
      '--no-cache',
      '--pull',
    ]);
    expect(flags(image)).toEqual(['--annotation', '--output', '--attest', '--attest']);
    // Nothing is lost or doubled by the split.
    expect(flags(steps).length + flags(image).length).toBe(flags(every).length);
  });

  it('refuses every one of them, by name, on the classic builder', () => {
    expect(classicBuilderProblems(NONE)).toEqual([]);
    const problems = classicBuilderProblems(every);
    expect(problems).toHaveLength(18);
    expect(problems[0]?.input).toBe('secrets');
    expect(problems[0]?.message).toMatch(
      /^Input "secrets" is passed to docker buildx, which is not available/,
    );
  });

  it('refuses an inline cache export with keep-emulator', () => {
    const one = { archCount: 1, emulated: true, keepEmulator: true };
    const problems = pipelineProblems(parse({ 'cache-to': 'type=inline' }), one);
    expect(problems.map((p) => p.input)).toEqual(['cache-to']);
    expect(problems[0]?.message).toMatch(/type=registry/);
    expect(pipelineProblems(parse({ 'cache-to': 'type=inline' }), { ...one, keepEmulator: false })).toEqual(
      [],
    );
  });
});

describe('engineProblems', () => {
  it('refuses named build contexts before Docker Engine 23', () => {
    const o = parse({ 'build-contexts': 'extra=dir' });
    expect(engineProblems(o, '20.10.24+dfsg1').map((p) => p.message)).toEqual([
      expect.stringMatching(/^Input "build-contexts": .*Docker Engine 23\.0 or newer.*20\.10\.24\+dfsg1/),
    ]);
    expect(engineProblems(o, '26.1.5+dfsg1')).toEqual([]);
    expect(engineProblems(o, '')).toEqual([]);
    expect(engineProblems(NONE, '20.10.24')).toEqual([]);
  });
});

describe('problemsError', () => {
  it('is undefined without problems', () => {
    expect(problemsError([])).toBeUndefined();
  });

  it('names the first input and lists every message', () => {
    const err = problemsError([
      { input: 'cache-to', message: 'first' },
      { input: 'sbom', message: 'second' },
    ]);
    expect(err).toBeInstanceOf(InputError);
    expect(err?.input).toBe('cache-to');
    expect(err?.message).toBe('first\nsecond');
  });
});

describe('buildxFlags', () => {
  it('adds nothing for nothing', () => {
    expect(buildxFlags(NONE, new Map())).toEqual([]);
  });

  it('passes every option as build-push-action would', () => {
    const o = parse({
      'add-hosts': 'docker:10.180.0.1,v6=[::1]',
      annotations: 'org.opencontainers.image.title=app',
      'build-contexts': 'alpine=docker-image://alpine:3.19',
      'cache-from': 'type=registry,ref=user/app:buildcache',
      'cache-to': 'type=inline',
      'no-cache-filters': 'build',
      outputs: 'type=local,dest=out',
      provenance: 'mode=max',
      sbom: 'true',
      secrets: 'GIT_AUTH_TOKEN=abc',
      'secret-files': 'MY_SECRET=./secret.txt',
      'secret-envs': 'FROM_ENV=MY_ENV',
      'shm-size': '2g',
      ssh: 'default',
      ulimit: 'nofile=1024',
      network: 'none',
      'no-cache': 'true',
      pull: 'true',
    });
    expect(
      buildxFlags(o, new Map([['GIT_AUTH_TOKEN', '/tmp/s/1']]), {
        builderId: 'https://github.com/o/r/actions/runs/7/attempts/1',
      }),
    ).toEqual([
      '--add-host',
      'docker:10.180.0.1',
      '--add-host',
      'v6:::1',
      '--annotation',
      'org.opencontainers.image.title=app',
      '--build-context',
      'alpine=docker-image://alpine:3.19',
      '--cache-from',
      'type=registry,ref=user/app:buildcache',
      '--cache-to',
      'type=inline',
      '--no-cache-filter',
      'build',
      '--output',
      'type=local,dest=out',
      '--attest',
      'type=provenance,mode=max,builder-id=https://github.com/o/r/actions/runs/7/attempts/1',
      '--attest',
      'type=sbom',
      '--secret',
      'id=GIT_AUTH_TOKEN,src=/tmp/s/1',
      '--secret',
      'id=MY_SECRET,src=./secret.txt',
      '--secret',
      'id=FROM_ENV,env=MY_ENV',
      '--shm-size',
      '2g',
      '--ssh',
      'default',
      '--ulimit',
      'nofile=1024:1024',
      '--network',
      'none',
      '--no-cache',
      '--pull',
    ]);
  });

  it('writes disabled attestations and keeps a builder-id the user gave', () => {
    const flags = (v: Record<string, string>) =>
      buildxFlags(parse(v), new Map(), { builderId: 'https://x/runs/1' }).filter(
        (_, i, a) => a[i - 1] === '--attest',
      );
    expect(flags({ provenance: 'false', sbom: 'false' })).toEqual([
      'type=provenance,disabled=true',
      'type=sbom,disabled=true',
    ]);
    expect(flags({ provenance: 'true' })).toEqual(['type=provenance,builder-id=https://x/runs/1']);
    expect(flags({ provenance: 'mode=max,builder-id=mine' })).toEqual([
      'type=provenance,mode=max,builder-id=mine',
    ]);
    expect(buildxFlags(parse({ provenance: 'true' }), new Map())).toEqual(['--attest', 'type=provenance']);
  });

  it('quotes secret fields that hold a comma or a quote', () => {
    const o = parse({ 'secret-files': '"A=./dir,with/comma"\nB=./say"hi"' });
    expect(buildxFlags(o, new Map())).toEqual([
      '--secret',
      'id=A,"src=./dir,with/comma"',
      '--secret',
      'id=B,"src=./say""hi"""',
    ]);
  });

  it('needs a file for every secret value', () => {
    expect(() => buildxFlags(parse({ secrets: 'A=1' }), new Map())).toThrow(
      /no file was written for the secret "A"/,
    );
  });

  it('passes ssh sources', () => {
    expect(buildxFlags(parse({ ssh: 'github=/k/id_ed25519' }), new Map())).toEqual([
      '--ssh',
      'github=/k/id_ed25519',
    ]);
  });
});

describe('csvField', () => {
  it('quotes only what needs it', () => {
    expect(csvField('src=/a/b')).toBe('src=/a/b');
    expect(csvField('src=/a,b')).toBe('"src=/a,b"');
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(' a')).toBe('" a"');
  });
});

describe('builderIdFromEnv', () => {
  it('is the workflow run URL with the attempt', () => {
    expect(
      builderIdFromEnv({
        GITHUB_SERVER_URL: 'https://ghe.example.com',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '3',
      }),
    ).toBe('https://ghe.example.com/o/r/actions/runs/42/attempts/3');
    expect(builderIdFromEnv({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42' })).toBe(
      'https://github.com/o/r/actions/runs/42/attempts/1',
    );
  });

  it('is undefined outside Actions', () => {
    expect(builderIdFromEnv({})).toBeUndefined();
  });
});
