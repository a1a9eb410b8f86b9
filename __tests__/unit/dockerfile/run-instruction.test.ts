import { describe, expect, it } from '@jest/globals';
import {
  joinContinuations,
  parseRun,
  parseShebang,
  splitFlags,
} from '../../../src/dockerfile/run-instruction.js';
import { expandWord } from '../../../src/dockerfile/expand.js';

describe('joinContinuations', () => {
  it.each<[string[], string, string, number]>([
    [['RUN a'], '\\', 'RUN a', 1],
    [['RUN a \\', '  b'], '\\', 'RUN a   b', 2],
    [['RUN a \\ \t', 'b'], '\\', 'RUN a b', 2],
    [['RUN a \\', '# c', '  # d', '', ' \t', 'b \\', 'c', 'd'], '\\', 'RUN a b c', 7],
    [['RUN a `', 'b \\'], '`', 'RUN a b \\', 2],
    [['RUN a \\\r', 'b\r'], '\\', 'RUN a b', 2],
    [['RUN a \\'], '\\', 'RUN a ', 1],
  ])('%j (escape %s)', (lines, escape, line, used) => {
    expect(joinContinuations(lines, escape)).toEqual({ line, used });
  });
});

describe('splitFlags', () => {
  it.each<[string, string[], string]>([
    ['echo hi', [], 'echo hi'],
    ['--network=none echo hi', ['--network=none'], 'echo hi'],
    [
      '--mount=type=bind,source="a b" --mount=type=tmpfs,target=/t  ls',
      ['--mount=type=bind,source="a b"', '--mount=type=tmpfs,target=/t'],
      'ls',
    ],
    ['--network=none -- --weird', ['--network=none'], '--weird'],
    ['--network=none', ['--network=none'], ''],
    ['-x', [], '-x'],
  ])('%j', (rest, flags, command) => {
    expect(splitFlags(rest)).toEqual({ flags, command });
  });
});

describe('parseShebang', () => {
  it.each<[string, string[]]>([
    ['#!/bin/sh\necho', ['/bin/sh']],
    ['#! /usr/bin/env python3 \n', ['/usr/bin/env', 'python3']],
    ['#!/usr/bin/env -S python3 -u\n', ['/usr/bin/env', '-S python3 -u']],
  ])('%j', (body, argv) => {
    expect(parseShebang(body)).toEqual(argv);
  });
  it('needs an interpreter', () => {
    expect(() => parseShebang('#!  \nx')).toThrow(/names no interpreter/);
  });
});

describe('parseRun', () => {
  it('reads the shell form after flags', () => {
    expect(parseRun(['RUN --network=none \\', '  echo hi  '], '\\', [])).toEqual({
      command: { kind: 'shell', flags: ['--network=none'], script: 'echo hi' },
      lineCount: 2,
    });
  });
  it('reads a heredoc script', () => {
    expect(parseRun(['RUN <<-EOF', '\ta', '\t\tb', '\tEOF'], '\\', [{ name: 'EOF', chomp: true }])).toEqual({
      command: { kind: 'shell', flags: [], script: 'a\nb\n' },
      lineCount: 4,
    });
  });
  it('reads a #! heredoc', () => {
    expect(
      parseRun(['RUN <<EOF', '#!/bin/bash', 'echo', 'EOF'], '\\', [{ name: 'EOF', chomp: false }]).command,
    ).toEqual({
      kind: 'shebang',
      flags: [],
      interpreter: ['/bin/bash'],
      body: '#!/bin/bash\necho\n',
    });
  });
  it('treats invalid JSON as shell form', () => {
    expect(parseRun(['RUN ["a", b]'], '\\', []).command).toEqual({
      kind: 'shell',
      flags: [],
      script: '["a", b]',
    });
  });
});

describe('expandWord', () => {
  const vars = new Map<string, string | undefined>([
    ['A', 'x'],
    ['EMPTY', ''],
    ['UNSET', undefined],
  ]);
  it.each<[string, string]>([
    ['plain', 'plain'],
    ['$A', 'x'],
    ['${A}y', 'xy'],
    ['$Ay', ''],
    ['$NOPE', ''],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${NOPE:-${A}z}', 'xz'],
    ["'$A'", '$A'],
    ['"$A b"', 'x b'],
    ['\\$A', '$A'],
    ['a$', 'a$'],
  ])('%s -> %s', (word, out) => {
    expect(expandWord(word, vars)).toBe(out);
  });
  it('uses the escape directive character', () => {
    expect(expandWord('`$A', vars, '`')).toBe('$A');
  });
  it('rejects unsupported substitutions', () => {
    expect(() => expandWord('${A%x}', vars)).toThrow(/unsupported substitution/);
  });
});
