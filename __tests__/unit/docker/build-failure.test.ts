import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, jest } from '@jest/globals';
import type { AnnotationProperties } from '@actions/core';
import { annotateBuildFailure, buildFailureAnnotation } from '../../../src/docker/build-failure.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'build-error');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const WS = '/ws';
const USER_FILE = '/ws/app/Dockerfile';
const MESSAGE = [
  'process "/bin/sh -c echo \\"building step\\" &&     echo \\"about to fail\\" >&2 &&     exit 3" ' +
    'did not complete successfully: exit code: 3',
  '5 | RUN echo "building step" && \\',
  '6 |     # about to fail',
  '7 |     echo "about to fail" >&2 && \\',
  '8 |     exit 3',
].join('\n');

describe('buildFailureAnnotation', () => {
  it("points at the user's file, relative to the workspace, with the user's lines", () => {
    expect(
      buildFailureAnnotation(
        fixture('multiline.docker26.txt'),
        USER_FILE,
        fixture('multiline.Dockerfile'),
        WS,
      ),
    ).toEqual({
      message: MESSAGE,
      properties: {
        title: 'RUN failed at app/Dockerfile:5',
        file: 'app/Dockerfile',
        startLine: 5,
        endLine: 8,
      },
    });
  });

  it('pads line numbers to the widest', () => {
    const user = `${'\n'.repeat(6)}${fixture('multiline.Dockerfile')}`; // the RUN at lines 11-14
    const out = fixture('multiline.docker20.txt');
    expect(buildFailureAnnotation(out, USER_FILE, user, WS)?.message.split('\n').slice(1)).toEqual([
      '11 | RUN echo "building step" && \\',
      '12 |     # about to fail',
      '13 |     echo "about to fail" >&2 && \\',
      '14 |     exit 3',
    ]);
  });

  it('gives a file outside the workspace no file property', () => {
    const a = buildFailureAnnotation(
      fixture('multiline.docker26.txt'),
      '/elsewhere/Dockerfile',
      fixture('multiline.Dockerfile'),
      WS,
    );
    expect(a?.properties).toEqual({ title: 'RUN failed at /elsewhere/Dockerfile:5' });
  });

  it('is undefined when the output names no instruction', () => {
    expect(
      buildFailureAnnotation('ERROR: failed to solve: canceled\n', USER_FILE, 'FROM a\n', WS),
    ).toBeUndefined();
  });
});

describe('annotateBuildFailure', () => {
  it('reports through the given sink', () => {
    const calls: [string, AnnotationProperties][] = [];
    const made = annotateBuildFailure(
      fixture('multiline.classic.txt'),
      USER_FILE,
      fixture('multiline.Dockerfile'),
      WS,
      (m, p) => void calls.push([m, p]),
    );
    expect(made).toBe(true);
    expect(calls).toEqual([
      [
        MESSAGE,
        { title: 'RUN failed at app/Dockerfile:5', file: 'app/Dockerfile', startLine: 5, endLine: 8 },
      ],
    ]);
  });

  it("writes an ::error workflow command by default (@actions/core's error)", () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      annotateBuildFailure(fixture('heredoc.docker26.txt'), USER_FILE, fixture('heredoc.Dockerfile'), WS);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(
      /^::error title=RUN failed at app\/Dockerfile%3A5,file=app\/Dockerfile,line=5,endLine=9::process /,
    );
  });

  it('makes none, and does not throw, when nothing is found', () => {
    const report = jest.fn();
    expect(annotateBuildFailure('', USER_FILE, 'FROM a\n', WS, report)).toBe(false);
    expect(report).not.toHaveBeenCalled();
  });
});
