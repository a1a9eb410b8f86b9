import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  findFailedInstruction,
  goUnquote,
  withoutEmulator,
  type FailedInstruction,
} from '../../../src/dockerfile/build-error.js';

// Outputs of failed builds through the CLI (`--arch arm64`), captured on Docker 20.10 with
// buildx 0.13 (docker20), on Docker 26 with the containerd image store (docker26), and of the
// classic builder (DOCKER_BUILDKIT=0) on the copy-mode rewrite (classic). <name>.Dockerfile is
// the user's file; crlf.Dockerfile has CRLF line ends.
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'build-error');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const MULTILINE_RUN = [
  'RUN echo "building step" && \\',
  '    # about to fail',
  '    echo "about to fail" >&2 && \\',
  '    exit 3',
].join('\n');
const MULTILINE: FailedInstruction = {
  line: 5,
  endLine: 8,
  keyword: 'RUN',
  text: MULTILINE_RUN,
  message:
    'process "/bin/sh -c echo \\"building step\\" &&     echo \\"about to fail\\" >&2 &&     exit 3" ' +
    'did not complete successfully: exit code: 3',
};
const HEREDOC: FailedInstruction = {
  line: 5,
  endLine: 9,
  keyword: 'RUN',
  text: 'RUN <<EOF\nset -e\necho "in heredoc"\nexit 4\nEOF',
  message:
    'process "/bin/sh -c set -e\\necho \\"in heredoc\\"\\nexit 4\\n" did not complete successfully: exit code: 4',
};
const CRLF: FailedInstruction = {
  line: 8,
  endLine: 12,
  keyword: 'RUN',
  text: 'RUN <<EOF\n#!/bin/sh -e\necho "shebang body"\nexit 5\nEOF',
  message: 'process "/bin/sh -e <<EOF" did not complete successfully: exit code: 5',
};
const COPY_MISSING = { line: 10, endLine: 10, keyword: 'COPY', text: 'COPY --from=build /etc/hostname /x' };
const COPY_RANGE = { line: 4, endLine: 5, keyword: 'COPY', text: 'COPY \\\n     missing.txt /x' };

describe('findFailedInstruction on captured builds', () => {
  it.each<[string, string, FailedInstruction]>([
    ['multiline', 'docker20', MULTILINE],
    ['multiline', 'docker26', MULTILINE],
    ['multiline', 'classic', MULTILINE],
    ['heredoc', 'docker20', HEREDOC],
    ['heredoc', 'docker26', HEREDOC],
    ['heredoc', 'classic', HEREDOC],
    ['crlf', 'docker20', CRLF],
    ['crlf', 'docker26', CRLF],
  ])('%s, %s', (name, builder, expected) => {
    const out = fixture(`${name}.${builder}.txt`);
    expect(findFailedInstruction(out, fixture(`${name}.Dockerfile`))).toEqual(expected);
  });

  it('the CRLF fixture still has CRLF line ends', () => {
    expect(fixture('crlf.Dockerfile')).toMatch(/^FROM [^\n]*\r\n/);
  });

  it.each<[string, string, typeof COPY_MISSING, string]>([
    [
      'copymissing',
      'docker20',
      COPY_MISSING,
      'failed to compute cache key: "/etc/hostname" not found: not found',
    ],
    [
      'copymissing',
      'docker26',
      COPY_MISSING,
      'failed to compute cache key: failed to calculate checksum of ref ' +
        '836md3970klv90ae1lq9579cq::airigo3s1yvgqa5jf6nrw2z6y: "/etc/hostname": not found',
    ],
    ['copyrange', 'docker20', COPY_RANGE, 'failed to compute cache key: "/missing.txt" not found: not found'],
    [
      'copyrange',
      'docker26',
      COPY_RANGE,
      'failed to compute cache key: failed to calculate checksum of ref ' +
        '836md3970klv90ae1lq9579cq::m7l4suavak1b9hp6yyjlp2dor: "/missing.txt": not found',
    ],
  ])('a failed %s step, %s', (name, builder, expected, message) => {
    const out = fixture(`${name}.${builder}.txt`);
    expect(findFailedInstruction(out, fixture(`${name}.Dockerfile`))).toEqual({ ...expected, message });
  });

  it('reads newer buildx\'s "failed to build: failed to solve:"', () => {
    // buildx 0.13 is what this machine has; newer ones add "failed to build: " to the last line.
    const out = fixture('multiline.docker26.txt').replace(
      /^ERROR: failed to solve: /m,
      'ERROR: failed to build: failed to solve: ',
    );
    expect(findFailedInstruction(out, fixture('multiline.Dockerfile'))).toEqual(MULTILINE);
  });

  it('takes the line from the excerpt even when the output has no command', () => {
    const out = fixture('multiline.docker26.txt').replace(/^ERROR: [^\n]*$/gm, 'ERROR: something else');
    expect(findFailedInstruction(out, fixture('multiline.Dockerfile'))).toEqual({
      ...MULTILINE,
      message: 'something else',
    });
  });

  it('uses the stage of the failed step when the same command is in two stages', () => {
    // heredoc.Dockerfile with its failing RUN copied into the first stage, named "build".
    const user = fixture('heredoc.Dockerfile').replace(
      'RUN echo ok\n',
      'RUN echo ok\nRUN <<EOF\nset -e\necho "in heredoc"\nexit 4\nEOF\n',
    );
    const found = findFailedInstruction(fixture('heredoc.docker20.txt'), user);
    expect(found?.line).toBe(10); // stage-1's RUN, not build's at line 3
    // The classic builder names no stage: two candidates are no answer.
    expect(findFailedInstruction(fixture('heredoc.classic.txt'), user)).toBeUndefined();
  });

  it('finds nothing in output that names no instruction', () => {
    expect(
      findFailedInstruction('ERROR: failed to solve: context canceled\n', 'FROM a\nRUN x\n'),
    ).toBeUndefined();
    expect(findFailedInstruction('', 'FROM a\n')).toBeUndefined();
  });

  it('finds nothing when the excerpt and the command point nowhere in the file', () => {
    const out = 'Dockerfile:40\n--------------------\n  40 | >>> RUN x\n--------------------\nERROR: boom\n';
    expect(findFailedInstruction(out, 'FROM a\nRUN y\n')).toBeUndefined();
  });

  it('a build without the emulator (the host platform) maps the same way', () => {
    const out = [
      '------',
      ' > [stage-0 2/2] RUN ["false"]:',
      '------',
      'ERROR: failed to solve: process "false" did not complete successfully: exit code: 1',
      '',
    ].join('\n');
    expect(findFailedInstruction(out, 'FROM a\nRUN [ "true" ]\nRUN ["false"]\n')).toEqual({
      line: 3,
      endLine: 3,
      keyword: 'RUN',
      text: 'RUN ["false"]',
      message: 'process "false" did not complete successfully: exit code: 1',
    });
  });
});

describe('helpers', () => {
  it('goUnquote undoes strconv.Quote', () => {
    expect(goUnquote('a\\"b\\\\c\\nd\\te\\x41\\u00e9\\U0001F600\\101\\a')).toBe('a"b\\c\nd\teAé😀A\x07');
  });

  it('withoutEmulator removes only "<emu> -execve <emu> [-execve-setid <emu>-setid] "', () => {
    expect(
      withoutEmulator('/dev/.anyarch/qemu-aarch64 -execve /dev/.anyarch/qemu-aarch64 /bin/sh -c x'),
    ).toBe('/bin/sh -c x');
    expect(withoutEmulator('/a -execve /b /bin/sh -c x')).toBe('/a -execve /b /bin/sh -c x');
    expect(withoutEmulator('/bin/sh -c x')).toBe('/bin/sh -c x');
    expect(
      withoutEmulator('/e/qemu-arm -execve /e/qemu-arm -execve-setid /e/qemu-arm-setid /bin/sh -c x'),
    ).toBe('/bin/sh -c x');
    // Another path after -execve-setid is not the rewrite's: the command stays whole.
    expect(withoutEmulator('/e/q -execve /e/q -execve-setid /x /bin/sh -c x')).toBe(
      '/e/q -execve /e/q -execve-setid /x /bin/sh -c x',
    );
  });
});
