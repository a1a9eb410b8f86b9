import { describe, expect, it } from '@jest/globals';
import { DockerfileParser } from 'dockerfile-ast';
import { rewriteDockerfile, type RewriteOptions } from '../../../src/dockerfile/rewrite.js';
import { analyzeStages } from '../../../src/dockerfile/stages.js';
import { parseRun } from '../../../src/dockerfile/run-instruction.js';

const OPTS: RewriteOptions = {
  guestPlatform: 'linux/arm64',
  emulatorImage: 'anyarch-emu:abc123',
  emulatorPath: '/.anyarch/qemu-aarch64',
};

// Pieces of the expected lines.
const M = '--mount=type=bind,from=anyarch-emu:abc123,source=/,target=/.anyarch';
const Q =
  '"/.anyarch/qemu-aarch64","-execve","/.anyarch/qemu-aarch64","-execve-setid","/.anyarch/qemu-aarch64-setid"';
const SH = '"/bin/sh","-c"';
const run = (args: string, flags = ''): string => `RUN ${flags}${M} [${Q},${args}]`;

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
// The blank lines that follow a RUN which spanned n+1 lines, keeping later lines in place.
const pad = (n: number): string[] => Array<string>(n).fill('');

interface Case {
  name: string;
  input: string;
  output: string;
  opts?: Partial<RewriteOptions>;
}

const CASES: Case[] = [
  {
    name: 'single stage: only RUN changes',
    input: lines('FROM alpine:3.20', 'ENV A=1', 'RUN echo hi', 'CMD ["sh"]'),
    output: lines('FROM alpine:3.20', 'ENV A=1', run(`${SH},"echo hi"`), 'CMD ["sh"]'),
  },
  {
    name: 'multi-stage: guest, $BUILDPLATFORM, host literal, $TARGETPLATFORM, guest literal, inherited',
    input: lines(
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'RUN go build -o /out/app .',
      'FROM --platform=linux/amd64 alpine AS tools',
      'RUN apk add jq',
      'FROM --platform=$TARGETPLATFORM debian AS base',
      'RUN apt-get update',
      'FROM --platform=linux/arm64/v8 debian AS literal',
      'RUN true',
      'FROM build AS more-build',
      'RUN go vet ./...',
      'FROM base',
      'COPY --from=build /out/app /app',
      'RUN /app --version',
    ),
    output: lines(
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'RUN go build -o /out/app .',
      'FROM --platform=linux/amd64 alpine AS tools',
      'RUN apk add jq',
      'FROM --platform=$TARGETPLATFORM debian AS base',
      run(`${SH},"apt-get update"`),
      'FROM --platform=linux/arm64/v8 debian AS literal',
      run(`${SH},"true"`),
      'FROM build AS more-build',
      'RUN go vet ./...',
      'FROM base',
      'COPY --from=build /out/app /app',
      run(`${SH},"/app --version"`),
    ),
  },
  {
    name: 'SHELL changes in order and is inherited by FROM <stage>, not by FROM <image>',
    input: lines(
      'FROM debian AS a',
      'RUN echo one',
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      'RUN echo two',
      'SHELL ["/bin/bash", "-eu", "-c"]',
      'FROM a AS b',
      'RUN echo three',
      'SHELL [ "/bin/dash" , "-c" ]',
      'FROM debian',
      'RUN echo four',
      'FROM b',
      'RUN echo five',
    ),
    output: lines(
      'FROM debian AS a',
      run(`${SH},"echo one"`),
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      run('"/bin/bash","-o","pipefail","-c","echo two"'),
      'SHELL ["/bin/bash", "-eu", "-c"]',
      'FROM a AS b',
      run('"/bin/bash","-eu","-c","echo three"'),
      'SHELL [ "/bin/dash" , "-c" ]',
      'FROM debian',
      run(`${SH},"echo four"`),
      'FROM b',
      run('"/bin/dash","-c","echo five"'),
    ),
  },
  {
    name: 'exec form, spaced exec form, and a shell command that merely starts with "["',
    input: lines(
      'FROM alpine',
      'RUN ["echo", "a \\"quoted\\" \\\\ word", "tab\\there"]',
      'RUN [ "ls" , "-l" ]   ',
      'RUN [ -f /etc/os-release ] && cat /etc/os-release',
    ),
    output: lines(
      'FROM alpine',
      run('"echo","a \\"quoted\\" \\\\ word","tab\\there"'),
      run('"ls","-l"'),
      run(`${SH},"[ -f /etc/os-release ] && cat /etc/os-release"`),
    ),
  },
  {
    name: 'escaped quotes and backslashes in shell form are JSON-escaped',
    input: lines('FROM alpine', `RUN echo "a \\"b\\" c" 'single \\n' \\\\ x	y`),
    output: lines('FROM alpine', run(`${SH},"echo \\"a \\\\\\"b\\\\\\" c\\" 'single \\\\n' \\\\\\\\ x\\ty"`)),
  },
  {
    name: 'RUN flags are kept in front of the emulator mount',
    input: lines(
      'FROM debian',
      'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --network=none apt-get update',
      'RUN --mount=type=secret,id=tok --security=insecure ["cat", "/run/secrets/tok"]',
      'RUN --mount=type=bind,source="a b",target=/src make -C /src',
    ),
    output: lines(
      'FROM debian',
      run(
        `${SH},"apt-get update"`,
        '--mount=type=cache,target=/var/cache/apt,sharing=locked --network=none ',
      ),
      run('"cat","/run/secrets/tok"', '--mount=type=secret,id=tok --security=insecure '),
      run(`${SH},"make -C /src"`, '--mount=type=bind,source="a b",target=/src '),
    ),
  },
  {
    name: 'line continuations: joined as Docker does, comments and blank lines dropped',
    input: lines(
      'FROM debian',
      'RUN apt-get update && \\',
      '    # install things',
      '    apt-get install -y \\  ',
      '',
      '       curl \\',
      '   \t',
      '    && rm -rf /var/lib/apt/lists/*',
      'RUN \\',
      '  --mount=type=cache,target=/root/.cache \\',
      '  pip install x',
      'WORKDIR /x',
    ),
    output: lines(
      'FROM debian',
      run(`${SH},"apt-get update &&     apt-get install -y        curl     && rm -rf /var/lib/apt/lists/*"`),
      ...pad(6),
      run(`${SH},"pip install x"`, '--mount=type=cache,target=/root/.cache '),
      ...pad(2),
      'WORKDIR /x',
    ),
  },
  {
    name: '# escape=` directive: backtick continues lines, backslashes are literal',
    input: lines(
      '# escape=`',
      'FROM alpine',
      'RUN echo C:\\path\\ `',
      '  # note',
      '  && echo "done" \\',
      'COPY a b',
    ),
    output: lines(
      '# escape=`',
      'FROM alpine',
      run(`${SH},"echo C:\\\\path\\\\   && echo \\"done\\" \\\\"`),
      ...pad(2),
      'COPY a b',
    ),
  },
  {
    name: 'heredoc that is the script, with <<- tab stripping and a quoted name',
    input: lines(
      'FROM alpine',
      'RUN <<EOF',
      'set -e',
      'echo "$HOME" \\',
      'EOF',
      'RUN <<-EOT',
      '\tindented',
      '\t\ttwice',
      '\tEOT',
      "RUN --network=none <<'EOF'",
      'echo $NOT_EXPANDED_BY_BUILDKIT',
      'EOF',
      'RUN <<EOF',
      'EOF',
      'CMD ["x"]',
    ),
    output: lines(
      'FROM alpine',
      run(`${SH},"set -e\\necho \\"$HOME\\" \\\\\\n"`),
      ...pad(3),
      run(`${SH},"indented\\ntwice\\n"`),
      ...pad(3),
      run(`${SH},"echo $NOT_EXPANDED_BY_BUILDKIT\\n"`, '--network=none '),
      ...pad(2),
      run(`${SH},""`),
      ...pad(1),
      'CMD ["x"]',
    ),
  },
  {
    name: 'heredoc as data of a command goes to the shell whole',
    input: lines(
      'FROM alpine',
      'SHELL ["/bin/ash", "-c"]',
      'RUN cat <<EOF > /etc/motd',
      'hello $USER',
      '',
      'EOF',
      'RUN cat <<-EOT \\',
      '  > /x',
      '\thello',
      '\tEOT',
      'RUN python3 <<"PY"',
      'print("hi")',
      'PY',
      'RUN <<A <<B sh -c "cat /dev/stdin"',
      'a',
      'A',
      'b',
      'B',
    ),
    output: lines(
      'FROM alpine',
      'SHELL ["/bin/ash", "-c"]',
      run('"/bin/ash","-c","cat \\u003c\\u003cEOF > /etc/motd\\nhello $USER\\n\\nEOF"'),
      ...pad(3),
      run('"/bin/ash","-c","cat \\u003c\\u003c-EOT   > /x\\n\\thello\\nEOT"'),
      ...pad(3),
      run('"/bin/ash","-c","python3 \\u003c\\u003c\\"PY\\"\\nprint(\\"hi\\")\\nPY"'),
      ...pad(2),
      run('"/bin/ash","-c","\\u003c\\u003cA \\u003c\\u003cB sh -c \\"cat /dev/stdin\\"\\na\\nA\\nb\\nB"'),
      ...pad(4),
    ),
  },
  {
    name: '#! heredoc runs its interpreter on the body',
    input: lines(
      'FROM python:3',
      'RUN <<EOF',
      '#!/usr/bin/env python3',
      "print('it''s')",
      'EOF',
      'RUN <<-EOF',
      '#!/bin/bash -eu',
      '\techo hi',
      '\tEOF',
    ),
    output: lines(
      'FROM python:3',
      run(
        `${SH},"f=\\"\${TMPDIR:-/tmp}/anyarch-heredoc.$$\\"\\n` +
          `printf '%s' '#!/usr/bin/env python3\\nprint('\\\\''it'\\\\'''\\\\''s'\\\\'')\\n' >\\"$f\\" || exit\\n` +
          `'/usr/bin/env' 'python3' \\"$f\\"\\nrc=$?\\nrm -f \\"$f\\"\\nexit $rc"`,
      ),
      ...pad(3),
      run(
        `${SH},"f=\\"\${TMPDIR:-/tmp}/anyarch-heredoc.$$\\"\\n` +
          `printf '%s' '#!/bin/bash -eu\\necho hi\\n' >\\"$f\\" || exit\\n` +
          `'/bin/bash' '-eu' \\"$f\\"\\nrc=$?\\nrm -f \\"$f\\"\\nexit $rc"`,
      ),
      ...pad(3),
    ),
  },
  {
    name: 'FROM scratch is a guest stage',
    input: lines(
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ),
    output: lines('FROM scratch', 'COPY busybox /bin/busybox', run('"/bin/busybox","--install","-s","/bin"')),
  },
  {
    name: 'ARG before FROM: image and platform expand with defaults and build args',
    input: lines(
      'ARG BASE=debian:bookworm',
      'ARG PLAT=linux/amd64',
      'ARG GUEST',
      'FROM ${BASE} AS base',
      'RUN uname -m',
      'FROM --platform=$PLAT alpine',
      'RUN uname -m',
      'FROM --platform=${GUEST:-$BUILDPLATFORM} alpine',
      'RUN uname -m',
      'FROM --platform=linux/${TARGETARCH} alpine',
      'RUN uname -m',
    ),
    opts: { buildArgs: new Map([['GUEST', 'linux/arm64']]) },
    output: lines(
      'ARG BASE=debian:bookworm',
      'ARG PLAT=linux/amd64',
      'ARG GUEST',
      'FROM ${BASE} AS base',
      run(`${SH},"uname -m"`),
      'FROM --platform=$PLAT alpine',
      'RUN uname -m',
      'FROM --platform=${GUEST:-$BUILDPLATFORM} alpine',
      run(`${SH},"uname -m"`),
      'FROM --platform=linux/${TARGETARCH} alpine',
      run(`${SH},"uname -m"`),
    ),
  },
  {
    name: 'a build arg can name an earlier stage as base',
    input: lines(
      'ARG FROM_STAGE=build',
      'FROM --platform=$BUILDPLATFORM alpine AS Build',
      'FROM ${FROM_STAGE}',
      'RUN echo host',
    ),
    output: lines(
      'ARG FROM_STAGE=build',
      'FROM --platform=$BUILDPLATFORM alpine AS Build',
      'FROM ${FROM_STAGE}',
      'RUN echo host',
    ),
  },
  {
    name: 'CRLF line ends, lower-case keyword, indented RUN, ONBUILD untouched',
    input: 'FROM alpine\r\nrun echo a \\\r\n  b\r\n  RUN echo c\r\nONBUILD RUN echo later\r\n',
    output: `FROM alpine\r\nrun ${M} [${Q},${SH},"echo a   b"]\r\n\r\n  ${run(`${SH},"echo c"`)}\r\nONBUILD RUN echo later\r\n`,
  },
];

function opts(c: Case): RewriteOptions {
  return { ...OPTS, ...c.opts };
}

describe('rewriteDockerfile', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(rewriteDockerfile(c.input, opts(c)).dockerfile).toBe(c.output);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('output parses again: %s', (_name, c) => {
    const out = rewriteDockerfile(c.input, opts(c)).dockerfile;
    const keywords = (t: string): string[] =>
      DockerfileParser.parse(t)
        .getInstructions()
        .map((i) => i.getKeyword());
    expect(keywords(out)).toEqual(keywords(c.input));
    // Every rewritten RUN reads back as exec form starting with the emulator.
    const analysis = analyzeStages(out, opts(c));
    for (const { instruction, stage } of analysis.instructions) {
      if (instruction.getKeyword() !== 'RUN' || !analysis.stages[stage]?.guest) continue;
      const text = instruction.getTextContent();
      const parsed = parseRun(text.split('\n'), analysis.escape, []);
      expect(parsed.command.kind).toBe('exec');
      if (parsed.command.kind === 'exec') {
        const emu = opts(c).emulatorPath;
        expect(parsed.command.argv.slice(0, 5)).toEqual([
          emu,
          '-execve',
          emu,
          '-execve-setid',
          `${emu}-setid`,
        ]);
      }
    }
  });

  it('uses the given mount target and image', () => {
    const out = rewriteDockerfile(lines('FROM --platform=linux/arm arm32v7/debian', 'RUN true'), {
      guestPlatform: 'linux/arm/v7',
      emulatorPath: '/opt/emu/bin/qemu-arm',
      mountTarget: '/opt/emu',
      emulatorImage: 'localhost/emu@sha256:' + 'a'.repeat(64),
    });
    expect(out.dockerfile).toBe(
      lines(
        'FROM --platform=linux/arm arm32v7/debian',
        `RUN --mount=type=bind,from=localhost/emu@sha256:${'a'.repeat(64)},source=/,target=/opt/emu ` +
          '["/opt/emu/bin/qemu-arm","-execve","/opt/emu/bin/qemu-arm","-execve-setid","/opt/emu/bin/qemu-arm-setid","/bin/sh","-c","true"]',
      ),
    );
    expect(out.rewritten).toBe(1);
  });

  it.each<[string, string, RegExp]>([
    [
      'another foreign platform',
      lines('FROM alpine', 'FROM --platform=linux/s390x alpine'),
      /line 2: stage 1 runs on linux\/s390x, but this build emulates only linux\/arm64/,
    ],
    [
      'an unsupported platform',
      lines('FROM --platform=linux/arm/v6 alpine AS x'),
      /stage x runs on linux\/arm\/v6/,
    ],
    ['an empty platform', lines('FROM --platform=$NOPE alpine'), /line 1: --platform=\$NOPE is empty/],
    ['an unknown instruction', lines('FROM alpine', 'RUNN echo'), /line 2: unknown instruction "RUNN"/],
    [
      'an unterminated heredoc',
      lines('FROM alpine', 'RUN <<EOF', 'echo'),
      /line 2: unterminated heredoc <<EOF/,
    ],
    [
      'a non-string exec form',
      lines('FROM alpine', 'RUN ["echo", 1]'),
      /line 2: RUN exec form must be a JSON array of strings/,
    ],
    ['a RUN with only flags', lines('FROM alpine', 'RUN --network=none'), /line 2: RUN has no command/],
    [
      'a SHELL not in JSON',
      lines('FROM alpine', 'SHELL /bin/bash -c'),
      /line 2: SHELL requires a JSON array/,
    ],
    ['no FROM', lines('ARG A=1'), /no FROM instruction/],
    ['an instruction before FROM', lines('RUN echo', 'FROM alpine'), /line 1: RUN before the first FROM/],
  ])('rejects %s', (_what, input, msg) => {
    expect(() => rewriteDockerfile(input, OPTS)).toThrow(msg);
  });

  it.each([
    ['emulatorPath', 'qemu-aarch64'],
    ['emulatorPath', '/a b/qemu'],
    ['emulatorImage', 'img,src=/etc'],
    ['emulatorImage', ''],
    ['mountTarget', '/'],
  ])('rejects a bad %s %j', (key, value) => {
    expect(() => rewriteDockerfile(lines('FROM alpine'), { ...OPTS, [key]: value })).toThrow(/^bad emulator/);
  });
});

describe('analyzeStages', () => {
  it('reports every stage with its platform, base and final SHELL', () => {
    const a = analyzeStages(
      lines(
        'ARG IMG=debian',
        'FROM --platform=$BUILDPLATFORM golang AS Build',
        'FROM ${IMG} AS base',
        'SHELL ["/bin/bash", "-c"]',
        'FROM base',
        'FROM scratch AS out',
      ),
      { guestPlatform: 'linux/arm64/v8' },
    );
    expect(a.escape).toBe('\\');
    expect(a.stages).toEqual([
      {
        index: 0,
        name: 'build',
        base: 'golang',
        baseStage: undefined,
        platform: 'linux/amd64',
        guest: false,
        shell: ['/bin/sh', '-c'],
        line: 1,
      },
      {
        index: 1,
        name: 'base',
        base: 'debian',
        baseStage: undefined,
        platform: 'linux/arm64',
        guest: true,
        shell: ['/bin/bash', '-c'],
        line: 2,
      },
      {
        index: 2,
        name: undefined,
        base: 'base',
        baseStage: 1,
        platform: 'linux/arm64',
        guest: true,
        shell: ['/bin/bash', '-c'],
        line: 4,
      },
      {
        index: 3,
        name: 'out',
        base: 'scratch',
        baseStage: undefined,
        platform: 'linux/arm64',
        guest: true,
        shell: ['/bin/sh', '-c'],
        line: 5,
      },
    ]);
  });

  it('rejects a guest platform it cannot emulate', () => {
    expect(() => analyzeStages('FROM alpine\n', { guestPlatform: 'linux/sparc64' })).toThrow(
      /guest platform: unsupported platform "linux\/sparc64"/,
    );
  });
});

describe('rewriteDockerfile keeps line numbers', () => {
  // Multi-line RUNs of every kind, comments and blank lines inside and between them, a host
  // stage, ONBUILD, and a last RUN without a final line break.
  const USER = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=debian',
    'FROM --platform=$BUILDPLATFORM golang AS host',
    'RUN go build \\',
    '    -o /out/app .',
    '',
    'FROM ${BASE} AS guest',
    '# set-up',
    'RUN apt-get update && \\',
    '    # a comment inside',
    '',
    '    apt-get install -y \\',
    '      curl',
    'ENV A=1 \\',
    '    B=2',
    'RUN <<EOF',
    'set -e',
    'echo "$A"',
    'EOF',
    'RUN --network=none <<-EOT',
    '#!/bin/sh -e',
    '\techo hi',
    '\tEOT',
    'RUN cat <<EOF >/etc/motd \\',
    '  && echo done',
    'hello',
    'EOF',
    'ONBUILD RUN echo \\',
    '  later',
    'COPY --from=host /out/app /app',
    'RUN [ "/app", \\',
    '      "--version" ]',
    'FROM guest',
    'RUN echo last \\',
    '  && true',
  ].join('\n');

  interface Shape {
    keyword: string;
    line: number;
  }
  const shape = (text: string): Shape[] =>
    DockerfileParser.parse(text)
      .getInstructions()
      .map((i) => ({ keyword: i.getKeyword(), line: i.getRange().start.line }));
  const guestRuns = (text: string): string[][] => {
    const a = analyzeStages(text, OPTS);
    return a.instructions
      .filter(({ instruction, stage }) => instruction.getKeyword() === 'RUN' && a.stages[stage]?.guest)
      .map(({ instruction }) => {
        const cmd = parseRun(instruction.getTextContent().split('\n'), a.escape, []).command;
        return cmd.kind === 'exec' ? [...cmd.argv] : [];
      });
  };
  const EMU = [
    '/.anyarch/qemu-aarch64',
    '-execve',
    '/.anyarch/qemu-aarch64',
    '-execve-setid',
    '/.anyarch/qemu-aarch64-setid',
  ];
  const EXPECTED_RUNS = [
    [...EMU, '/bin/sh', '-c', 'apt-get update &&     apt-get install -y       curl'],
    [...EMU, '/bin/sh', '-c', 'set -e\necho "$A"\n'],
    [...EMU, '/bin/sh', '-c', expect.stringContaining("'/bin/sh' '-e' \"$f\"")],
    [...EMU, '/bin/sh', '-c', 'cat <<EOF >/etc/motd   && echo done\nhello\nEOF'],
    [...EMU, '/app', '--version'],
    [...EMU, '/bin/sh', '-c', 'echo last   && true'],
  ];

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('%s: every instruction starts on its line, and the output reads as the same instructions', (_n, eol) => {
    const input = USER.replace(/\n/g, eol);
    const out = rewriteDockerfile(input, OPTS);
    expect(out.rewritten).toBe(6);
    expect(shape(out.dockerfile)).toEqual(shape(input));
    expect(out.dockerfile.split(/\r\n|\r|\n/)).toHaveLength(input.split(/\r\n|\r|\n/).length);
    // The line ends stay the file's own: no LF alone in a CRLF file.
    if (eol === '\r\n') expect(out.dockerfile.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(guestRuns(out.dockerfile)).toEqual(EXPECTED_RUNS);
    // A guest RUN's first line is its rewrite and its other lines are blank; the rest is as written.
    const a = analyzeStages(input, OPTS);
    const rewritten = new Map<number, string>();
    for (const { instruction, stage } of a.instructions) {
      if (instruction.getKeyword() !== 'RUN' || !a.stages[stage]?.guest) continue;
      const { start, end } = instruction.getRange();
      for (let l = start.line; l <= end.line; l++) rewritten.set(l, l === start.line ? 'RUN' : '');
    }
    expect(rewritten.size).toBe(21);
    const outLines = out.dockerfile.split(eol);
    input.split(eol).forEach((l, k) => {
      const r = rewritten.get(k);
      if (r === undefined) expect(outLines[k]).toBe(l);
      else if (r === '') expect(outLines[k]).toBe('');
      else expect(outLines[k]).toMatch(/^RUN (--network=none )?--mount=type=bind,from=anyarch-emu:abc123,/);
    });
  });

  it('a rewritten RUN is followed by blank lines only', () => {
    const out = rewriteDockerfile(lines('FROM alpine', 'RUN a \\', '  b', 'USER x'), OPTS).dockerfile;
    expect(out).toBe(lines('FROM alpine', run(`${SH},"a   b"`), '', 'USER x'));
  });

  it('inject "copy" adds a line after each guest FROM: later lines move down by one per FROM', () => {
    const input = USER;
    const out = rewriteDockerfile(input, { ...OPTS, inject: 'copy' }).dockerfile;
    const before = shape(input);
    const after = shape(out).filter((s, k, all) => !(s.keyword === 'COPY' && all[k - 1]?.keyword === 'FROM'));
    const guestFroms = [6, 32]; // 0-based lines of the guest FROMs
    expect(after).toEqual(
      before.map((s) => ({ ...s, line: s.line + guestFroms.filter((f) => f < s.line).length })),
    );
  });
});
