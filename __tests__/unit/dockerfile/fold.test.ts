import { describe, expect, it } from '@jest/globals';
import { DockerfileParser, Run } from 'dockerfile-ast';
import { foldLine } from '../../../src/dockerfile/fold.js';
import { execJson, rewriteDockerfile } from '../../../src/dockerfile/rewrite.js';
import { parseRun } from '../../../src/dockerfile/run-instruction.js';

/** BuildKit's reading of continuation lines: drop the escape character ending each but the last. */
function joinAsBuildKit(pieces: readonly string[], escape: string): string {
  return pieces.map((p, i) => (i < pieces.length - 1 ? p.slice(0, -escape.length) : p)).join('');
}

/** What the parser would skip or trim: a piece must not invite it. */
function expectSafePieces(pieces: readonly string[], escape: string): void {
  for (const [i, p] of pieces.entries()) {
    if (i > 0) expect(p).not.toMatch(/^[\s#\\]/);
    if (i < pieces.length - 1) {
      expect(p.endsWith(escape)).toBe(true);
      const body = p.slice(0, -escape.length);
      expect(body).not.toMatch(/[\s\\]$/);
      expect(body.endsWith(escape)).toBe(false);
    }
  }
}

const fold = (line: string, escape: string, units: number) =>
  foldLine(line, escape, 0, units).map((p, i, all) => (i < all.length - 1 ? p + escape : p));

describe('foldLine', () => {
  it('leaves a line under the limit alone', () => {
    const line = `RUN ${execJson(['/bin/sh', '-c', 'x'.repeat(1000)])}`;
    expect(foldLine(line, '\\')).toEqual([line]);
  });

  it('cuts only where the joined pieces are the same JSON: escapes, quotes, "#", blanks, non-ASCII', () => {
    const script = 'a "q" \\ b\\\\c # not a comment\n\t<<EOF é 😀 \u0001 ``` done '.repeat(40);
    const line = `RUN ${execJson(['/bin/sh', '-c', script])}`;
    for (const escape of ['\\', '`']) {
      for (const units of [5, 7, 13, 64]) {
        const pieces = fold(line, escape, units);
        expect(pieces.length).toBeGreaterThan(3);
        expectSafePieces(pieces, escape);
        const joined = joinAsBuildKit(pieces, escape);
        expect(joined).toBe(line);
        expect(JSON.parse(joined.slice(4))).toEqual(['/bin/sh', '-c', script]);
      }
    }
  });

  it('holds for random scripts', () => {
    const alphabet = ['a', ' ', '\t', '\n', '"', '\\', '#', '`', '<', 'é', '😀', '\u0000', ','];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 400; n++) {
      let script = '';
      const len = 50 + (next() % 400);
      for (let k = 0; k < len; k++) script += alphabet[next() % alphabet.length];
      const line = `RUN ${execJson(['/bin/sh', '-c', script])}`;
      const pieces = fold(line, '\\', 8 + (next() % 40));
      expectSafePieces(pieces, '\\');
      expect(joinAsBuildKit(pieces, '\\')).toBe(line);
    }
  });
});

describe('a RUN longer than BuildKit reads in one line', () => {
  // 70 KB of script over 700 continuation lines (past the line limit, under the file limit), then a later instruction.
  const body = Array.from({ length: 700 }, (_, i) => `    echo "line ${i} ${'x'.repeat(80)}" >> /big && \\`);
  const input = ['FROM scratch', 'RUN set -e && \\', ...body, '    true', 'ENV AFTER=1', ''].join('\n');
  const out = rewriteDockerfile(input, {
    guestPlatform: 'linux/arm64',
    emulatorImage: 'anyarch-emu:abc123',
    emulatorPath: '/.anyarch/qemu-aarch64',
  }).dockerfile;

  it('is folded into lines under 48 KiB, and later instructions keep their line', () => {
    const lines = out.split('\n');
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(48 * 1024);
    expect(lines.length).toBe(input.split('\n').length);
    expect(lines.indexOf('ENV AFTER=1')).toBe(input.split('\n').indexOf('ENV AFTER=1'));
  });

  it('reads back as the same command', () => {
    const run = DockerfileParser.parse(out)
      .getInstructions()
      .find((i): i is Run => i instanceof Run);
    const { start, end } = run!.getRange();
    const physical = out.split('\n').slice(start.line, end.line + 1);
    const parsed = parseRun(physical, '\\', []);
    expect(parsed.command.kind).toBe('exec');
    const argv = parsed.command.kind === 'exec' ? parsed.command.argv : [];
    expect(argv.slice(0, 7)).toEqual([
      '/.anyarch/qemu-aarch64',
      '-execve',
      '/.anyarch/qemu-aarch64',
      '-execve-setid',
      '/.anyarch/qemu-aarch64-setid',
      '/bin/sh',
      '-c',
    ]);
    expect(argv[7]).toBe(['set -e && ', ...body.map((l) => l.slice(0, -1)), '    true'].join(''));
  });
});

describe('a script too long for one argument', () => {
  const opts = {
    guestPlatform: 'linux/arm64',
    emulatorImage: 'anyarch-emu:abc123',
    emulatorPath: '/.anyarch/qemu-aarch64',
  };
  const long = Array.from({ length: 1200 }, (_, i) => `echo ${i} ${'y'.repeat(80)}`).join('\n');

  it('reads a long "#!" heredoc from a secret file named by its digest', () => {
    const input = `FROM scratch\nRUN <<EOF\n#!/usr/bin/env python3\n${long}\nEOF\n`;
    const rw = rewriteDockerfile(input, opts);
    expect(rw.scripts).toHaveLength(1);
    const [script] = rw.scripts;
    expect(script!.id).toMatch(/^anyarch-script-[0-9a-f]{16}$/);
    expect(script!.content).toBe(`#!/usr/bin/env python3\n${long}\n`);
    const line = rw.dockerfile.split('\n')[1]!;
    expect(line).toContain(`--mount=type=secret,id=${script!.id},target=/dev/.${script!.id},mode=0444`);
    expect(line.endsWith(`"/usr/bin/env","python3","/dev/.${script!.id}"]`)).toBe(true);
    // Every later line keeps its place.
    expect(rw.dockerfile.split('\n')).toHaveLength(input.split('\n').length);
  });

  it('sources a long shell script from the file; a short one stays an argument', () => {
    const rw = rewriteDockerfile(
      `FROM scratch\nRUN ${long.split('\n').join(' && \\\n    ')}\nRUN echo short\n`,
      opts,
    );
    expect(rw.scripts).toHaveLength(1);
    const lines = rw.dockerfile.split('\n');
    expect(lines[1]!.endsWith(`"/bin/sh","-c",". /dev/.${rw.scripts[0]!.id}"]`)).toBe(true);
    expect(lines[lines.length - 2]).toContain('"/bin/sh","-c","echo short"]');
  });

  it('a different script is a different file and RUN line, so the cache key follows the script', () => {
    const a = rewriteDockerfile(`FROM scratch\nRUN <<EOF\n#!/bin/sh\n${long}\nEOF\n`, opts);
    const b = rewriteDockerfile(`FROM scratch\nRUN <<EOF\n#!/bin/sh\n${long}x\nEOF\n`, opts);
    expect(a.scripts[0]!.id).not.toBe(b.scripts[0]!.id);
    expect(a.dockerfile).not.toBe(b.dockerfile);
  });

  it('stays an argument for the classic builder, which has no --mount', () => {
    const rw = rewriteDockerfile(`FROM scratch\nRUN <<EOF\n#!/bin/sh\n${long}\nEOF\n`, {
      ...opts,
      inject: 'copy',
    });
    expect(rw.scripts).toEqual([]);
  });
});

describe('a bare carriage return', () => {
  it('is refused, naming the line: BuildKit and our parser would read different lines', () => {
    const opts = {
      guestPlatform: 'linux/arm64',
      emulatorImage: 'e:1',
      emulatorPath: '/.anyarch/qemu-aarch64',
    };
    expect(() => rewriteDockerfile('FROM scratch\nRUN a\rRUN b\n', opts)).toThrow(
      /carriage return \(CR\) without a line feed on line 2: .*LF or CRLF/,
    );
    expect(rewriteDockerfile('FROM scratch\r\nRUN a\r\n', opts).rewritten).toBe(1);
  });
});
