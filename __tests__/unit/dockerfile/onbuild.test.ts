import { describe, expect, it } from '@jest/globals';
import { findFailedInstruction } from '../../../src/dockerfile/build-error.js';
import {
  imageStages,
  parseTrigger,
  shellAfterTriggers,
  stageTriggerWarnings,
  unreadHint,
  userLine,
  verbatimTrigger,
  type Insertion,
  type StageTriggers,
} from '../../../src/dockerfile/onbuild.js';
import { rewriteDockerfile, type RewriteOptions } from '../../../src/dockerfile/rewrite.js';
import { analyzeStages } from '../../../src/dockerfile/stages.js';

const OPTS: RewriteOptions = {
  guestPlatform: 'linux/arm64',
  emulatorImage: 'anyarch-emu:abc123',
  emulatorPath: '/.anyarch/qemu-aarch64',
};

// Pieces of the expected lines (as in rewrite.test.ts).
const M = '--mount=type=bind,from=anyarch-emu:abc123,source=/,target=/.anyarch';
const Q =
  '"/.anyarch/qemu-aarch64","-execve","/.anyarch/qemu-aarch64","-execve-setid","/.anyarch/qemu-aarch64-setid"';
const SH = '"/bin/sh","-c"';
const run = (args: string): string => `RUN ${M} [${Q},${args}]`;
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const DERIVED = 'anyarch-onbuild:0123456789abcdef-run1';
const TRIGGERS: StageTriggers = {
  image: DERIVED,
  triggers: ['RUN uname -m > /onbuild-ran', 'ENV ONBUILD_ENV="from the base"'],
};
const onStage = (stage: number, t: StageTriggers = TRIGGERS) => new Map([[stage, t]]);

describe('parseTrigger', () => {
  it('reads one instruction as BuildKit parses a trigger', () => {
    expect(parseTrigger('RUN echo hi').instruction.getKeyword()).toBe('RUN');
    expect(parseTrigger('ENV A=1').instruction.getKeyword()).toBe('ENV');
  });
  it('refuses what Docker never stores as a trigger', () => {
    expect(() => parseTrigger('ONBUILD RUN x')).toThrow(/ONBUILD cannot be a trigger/);
    expect(() => parseTrigger('FROM alpine')).toThrow(/FROM cannot be a trigger/);
    expect(() => parseTrigger('RUN a\nRUN b')).toThrow(/is not one instruction/);
    expect(() => parseTrigger('')).toThrow(/is not one instruction/);
  });
});

describe('shellAfterTriggers', () => {
  it('follows SHELL triggers, else keeps the default', () => {
    expect(shellAfterTriggers(['RUN a', 'ENV B=1'])).toEqual(['/bin/sh', '-c']);
    expect(shellAfterTriggers(['SHELL ["/bin/ash", "-e", "-c"]', 'RUN a'])).toEqual(['/bin/ash', '-e', '-c']);
  });
});

describe('verbatimTrigger', () => {
  it('copies a trigger where the escape characters agree, or it holds neither', () => {
    expect(verbatimTrigger('ENV A=b\\ c', '\\')).toBe('ENV A=b\\ c');
    expect(verbatimTrigger('ENV A=1', '`')).toBe('ENV A=1');
  });
  it("refuses one that would read differently under the file's escape character", () => {
    expect(() => verbatimTrigger('ENV A=b\\ c', '`')).toThrow(
      /escape character \\, but this Dockerfile sets `/,
    );
    expect(() => verbatimTrigger('ENV A=b` c', '`')).toThrow(/escape character/);
  });
});

describe('userLine', () => {
  const ins: Insertion[] = [
    { after: 5, count: 3 },
    { after: 1, count: 2 },
  ];
  it('maps lines above, inside and below the insertions', () => {
    // user 1 | inserted 2,3 | user 2..5 at 4..7 | inserted 8..10 | user 6 at 11
    expect([1, 2, 3, 4, 7, 8, 10, 11, 12].map((l) => userLine(l, ins))).toEqual([1, 1, 1, 2, 5, 5, 5, 6, 7]);
    expect(userLine(9, [])).toBe(9);
  });
});

describe('imageStages', () => {
  it('lists guest stages built from an image, not stages, scratch or host stages', () => {
    const text = lines(
      'FROM --platform=$BUILDPLATFORM tools:1 AS t',
      'FROM scratch AS s',
      'FROM base:1 AS a',
      'FROM a AS b',
      'FROM SCRATCH',
      'FROM other:2',
    );
    const stages = analyzeStages(text, OPTS).stages;
    expect(imageStages(stages).map((s) => [s.index, s.base])).toEqual([
      [2, 'base:1'],
      [5, 'other:2'],
    ]);
  });
});

describe('rewrite with the triggers of a base image', () => {
  it('names the copy in the FROM, keeps its flag and name, and runs the triggers after it', () => {
    const input = lines(
      'ARG B=base:1',
      'FROM --platform=$TARGETPLATFORM ${B} AS app',
      'RUN make',
      'CMD ["app"]',
    );
    const out = rewriteDockerfile(input, { ...OPTS, onbuild: onStage(0) });
    expect(out.dockerfile).toBe(
      lines(
        'ARG B=base:1',
        `FROM --platform=$TARGETPLATFORM ${DERIVED} AS app`,
        run(`${SH},"uname -m > /onbuild-ran"`),
        'ENV ONBUILD_ENV="from the base"',
        run(`${SH},"make"`),
        'CMD ["app"]',
      ),
    );
    expect(out.rewritten).toBe(2);
    expect(out.insertions).toEqual([{ after: 2, count: 2 }]);
    expect(out.stages[0]?.name).toBe('app');
  });

  it('touches only the stages given, and each as often as it is given', () => {
    const input = lines('FROM base:1 AS a', 'RUN one', 'FROM base:1', 'RUN two');
    const out = rewriteDockerfile(input, {
      ...OPTS,
      onbuild: new Map([
        [0, TRIGGERS],
        [1, TRIGGERS],
      ]),
    });
    const got = out.dockerfile.split('\n');
    expect(got[0]).toBe(`FROM ${DERIVED} AS a`);
    expect(got[4]).toBe(`FROM ${DERIVED}`);
    expect(out.insertions).toEqual([
      { after: 1, count: 2 },
      { after: 3, count: 2 },
    ]);
    expect(rewriteDockerfile(input, OPTS).dockerfile).not.toContain(DERIVED);
  });

  it('a SHELL trigger is the shell of the stage that follows, as in BuildKit', () => {
    const t = { image: DERIVED, triggers: ['SHELL ["/bin/ash", "-c"]', 'RUN one'] };
    const out = rewriteDockerfile(lines('FROM base:1', 'RUN two'), { ...OPTS, onbuild: onStage(0, t) });
    expect(out.dockerfile).toBe(
      lines(
        `FROM ${DERIVED}`,
        'SHELL ["/bin/ash", "-c"]',
        run('"/bin/ash","-c","one"'),
        run('"/bin/ash","-c","two"'),
      ),
    );
  });

  it('reads RUN triggers with the escape character \\ whatever the file sets', () => {
    const t = { image: DERIVED, triggers: ['RUN printf "a\\\\n" > /x', 'RUN ["/bin/echo", "b"]'] };
    const input = lines('# escape=`', 'FROM base:1', 'RUN make');
    const out = rewriteDockerfile(input, { ...OPTS, onbuild: onStage(0, t) });
    expect(out.dockerfile).toBe(
      lines(
        '# escape=`',
        `FROM ${DERIVED}`,
        run(`${SH},"printf \\"a\\\\\\\\n\\" > /x"`),
        run('"/bin/echo","b"'),
        run(`${SH},"make"`),
      ),
    );
  });

  it('refuses a trigger it cannot place, naming the FROM line and the base', () => {
    const t = { image: DERIVED, triggers: ['ENV A=b\\ c'] };
    expect(() =>
      rewriteDockerfile(lines('# escape=`', 'FROM base:1'), { ...OPTS, onbuild: onStage(0, t) }),
    ).toThrow(/^line 2, the ONBUILD triggers of base:1: ONBUILD trigger "ENV A=b\\\\ c" is read with/);
  });

  it('refuses triggers for a stage that runs none', () => {
    const input = lines('FROM base:1 AS a', 'FROM a', 'FROM --platform=linux/amd64 tools:1');
    for (const stage of [1, 2, 3]) {
      expect(() => rewriteDockerfile(input, { ...OPTS, onbuild: onStage(stage) })).toThrow(/no guest stage/);
    }
  });

  it('with the classic builder the emulator is copied in before the triggers run', () => {
    const out = rewriteDockerfile(lines('FROM base:1', 'RUN make'), {
      ...OPTS,
      inject: 'copy',
      onbuild: onStage(0),
    });
    const copied = 'COPY --from=anyarch-emu:abc123 /qemu-aarch64 /.anyarch/qemu-aarch64';
    // No set-ID copy where the emulator is copied in: it would stay in the image.
    const bare = (args: string) =>
      `RUN ["/.anyarch/qemu-aarch64","-execve","/.anyarch/qemu-aarch64",${args}]`;
    expect(out.dockerfile).toBe(
      lines(
        `FROM ${DERIVED}`,
        copied,
        bare(`${SH},"uname -m > /onbuild-ran"`),
        'ENV ONBUILD_ENV="from the base"',
        bare(`${SH},"make"`),
      ),
    );
    expect(out.insertions).toEqual([{ after: 1, count: 3 }]);
  });

  it('keeps CRLF line ends', () => {
    const out = rewriteDockerfile('FROM base:1\r\nRUN make\r\n', { ...OPTS, onbuild: onStage(0) });
    expect(out.dockerfile).toBe(
      [
        `FROM ${DERIVED}`,
        run(`${SH},"uname -m > /onbuild-ran"`),
        'ENV ONBUILD_ENV="from the base"',
        run(`${SH},"make"`),
        '',
      ].join('\r\n'),
    );
  });
});

describe("a failed build's line, below inserted triggers", () => {
  const user = lines('FROM base:1 AS app', 'COPY missing /x');
  // Docker 26's output shape, for the rewritten file (FROM, two trigger lines, COPY on line 4).
  const output = (line: number) =>
    [
      '------',
      ' > [app 4/4] COPY missing /x:',
      '------',
      `Dockerfile:${line}`,
      '--------------------',
      `   ${line} | >>> COPY missing /x`,
      '--------------------',
      'ERROR: failed to solve: failed to compute cache key: "/missing": not found',
      '',
    ].join('\n');
  const { insertions } = rewriteDockerfile(user, { ...OPTS, onbuild: onStage(0) });

  it("is the user's line", () => {
    const found = findFailedInstruction(output(4), user, (l) => userLine(l, insertions));
    expect(found?.line).toBe(2);
    expect(found?.keyword).toBe('COPY');
  });
  it("is the FROM's line when a trigger failed", () => {
    expect(findFailedInstruction(output(3), user, (l) => userLine(l, insertions))?.keyword).toBe('FROM');
  });
});

describe('unreadHint', () => {
  const unread = [{ line: 3, image: 'example/onbuild:1' }];
  it('explains an exec format error when some base could not be read', () => {
    const hint = unreadHint('... exec /bin/sh: exec format error ...', unread, 'linux/arm64');
    expect(hint).toContain('example/onbuild:1 (line 3) is not in the local image store for linux/arm64');
    expect(hint).toContain('docker pull --platform linux/arm64 example/onbuild:1');
  });
  it('says nothing otherwise', () => {
    expect(unreadHint('exit code: 3', unread, 'linux/arm64')).toBeUndefined();
    expect(unreadHint('exec format error', [], 'linux/arm64')).toBeUndefined();
  });
});

describe('stageTriggerWarnings', () => {
  it('names a guest stage built FROM a stage of the file that has an ONBUILD RUN', () => {
    const text = lines(
      'FROM base:1 AS p',
      'ONBUILD ENV A=1',
      'ONBUILD RUN make',
      'FROM p AS c',
      'FROM --platform=$BUILDPLATFORM tools:1 AS h',
      'ONBUILD RUN x',
      'FROM h',
      'FROM c',
    );
    expect(stageTriggerWarnings(analyzeStages(text, OPTS))).toEqual([
      'line 4: this stage is built FROM stage p, whose ONBUILD RUN (line 3) BuildKit runs in it without the emulator',
    ]);
    expect(
      stageTriggerWarnings(analyzeStages(lines('FROM base:1 AS p', 'ONBUILD ENV A=1', 'FROM p'), OPTS)),
    ).toEqual([]);
  });
});
