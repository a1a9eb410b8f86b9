// ONBUILD triggers of a guest stage's base image. BuildKit runs them right after the stage's
// FROM, in the stage (its build args, the base's WORKDIR and ENV), each parsed as a one-line
// Dockerfile with the default escape character; run that way, a RUN trigger executes guest
// programs without the emulator ("exec format error"). So the stage is built FROM a copy of the
// base without triggers (docker/onbuild-base.ts), and the rewrite (rewrite.ts) writes the
// triggers after the FROM as instructions of the stage, its RUNs wrapped as the stage's own.
// Pure: trigger texts in, instructions and line bookkeeping out.
import { DockerfileParser, Onbuild, Shell, type Instruction } from 'dockerfile-ast';
import { DEFAULT_SHELL, shellArgs, type StageAnalysis, type StageInfo } from './stages.js';
import { indexLines } from './text.js';

/** What the rewrite does for one image-based guest stage whose base has triggers. */
export interface StageTriggers {
  /** The image its FROM names instead: the base without its triggers. */
  readonly image: string;
  /** The base image's Config.OnBuild, in order. */
  readonly triggers: readonly string[];
}

/** The escape character BuildKit parses a trigger with. */
export const TRIGGER_ESCAPE = '\\';

// Docker refuses these after ONBUILD; a config holding one was not made by a Dockerfile.
const NOT_TRIGGERS = new Set(['ONBUILD', 'FROM', 'MAINTAINER']);

/** One trigger parsed as BuildKit parses it: alone, as a whole Dockerfile. */
export interface ParsedTrigger {
  readonly text: string;
  readonly instruction: Instruction;
}

export function parseTrigger(trigger: string): ParsedTrigger {
  const instructions = DockerfileParser.parse(trigger).getInstructions();
  const ins = instructions[0];
  if (instructions.length !== 1 || ins === undefined) {
    throw new Error(`ONBUILD trigger ${JSON.stringify(trigger)} is not one instruction`);
  }
  if (NOT_TRIGGERS.has(ins.getKeyword())) {
    throw new Error(`ONBUILD trigger ${JSON.stringify(trigger)}: ${ins.getKeyword()} cannot be a trigger`);
  }
  return { text: trigger, instruction: ins };
}

/** The SHELL in effect after `triggers`, for a stage that starts with `start`. */
export function shellAfterTriggers(
  triggers: readonly string[],
  start: readonly string[] = DEFAULT_SHELL,
): readonly string[] {
  let shell = start;
  for (const t of triggers) {
    const { instruction } = parseTrigger(t);
    if (instruction instanceof Shell) shell = shellArgs(t, indexLines(t), TRIGGER_ESCAPE, instruction);
  }
  return shell;
}

/** stage index -> the SHELL its triggers leave, for the stages where they set one. */
export function startShells(onbuild: ReadonlyMap<number, StageTriggers>): Map<number, readonly string[]> {
  const out = new Map<number, readonly string[]>();
  for (const [stage, { triggers }] of onbuild) {
    const shell = shellAfterTriggers(triggers);
    if (shell !== DEFAULT_SHELL) out.set(stage, shell);
  }
  return out;
}

/**
 * A trigger other than RUN, as a line of a Dockerfile whose escape character is `escape`. Such a
 * line is copied as it is, so where the file's escape character is not BuildKit's default for
 * triggers, a trigger that holds either character would mean something else: refused.
 */
export function verbatimTrigger(trigger: string, escape: string): string {
  if (escape !== TRIGGER_ESCAPE && (trigger.includes(escape) || trigger.includes(TRIGGER_ESCAPE))) {
    throw new Error(
      `ONBUILD trigger ${JSON.stringify(trigger)} is read with the escape character ${TRIGGER_ESCAPE}, ` +
        `but this Dockerfile sets ${escape}: it cannot be placed in it unchanged`,
    );
  }
  return trigger;
}

/** Lines the rewritten Dockerfile has that the user's has not: `count` of them after user line `after`. */
export interface Insertion {
  /** 1-based line of the user's file they follow. */
  readonly after: number;
  readonly count: number;
}

/**
 * The user's line for line `line` of the rewritten file; an inserted line counts as the user's
 * line it follows (for a trigger, its stage's FROM).
 */
export function userLine(line: number, insertions: readonly Insertion[]): number {
  let shift = 0;
  for (const ins of [...insertions].sort((a, b) => a.after - b.after)) {
    if (line <= ins.after + shift) break;
    if (line <= ins.after + shift + ins.count) return ins.after;
    shift += ins.count;
  }
  return line - shift;
}

/** The guest stages built FROM an image (not a stage, not scratch): those whose base may have triggers. */
export function imageStages(stages: readonly StageInfo[]): StageInfo[] {
  return stages.filter((s) => s.guest && s.baseStage === undefined && s.base.toLowerCase() !== 'scratch');
}

/**
 * After a failed build: when a program of the wrong architecture was run ("exec format error")
 * and some guest stage's base could not be read before the build, the likely cause and the cure.
 */
export function unreadHint(
  output: string,
  unread: readonly { readonly line: number; readonly image: string }[],
  platform: string,
): string | undefined {
  if (unread.length === 0 || !/exec format error/.test(output)) return undefined;
  const bases = unread.map((u) => `${u.image} (line ${u.line})`).join(', ');
  const pulls = [...new Set(unread.map((u) => `docker pull --platform ${platform} ${u.image}`))].join('; ');
  return (
    `The build ran a program of another architecture. If it was an ONBUILD trigger of a base image: ` +
    `${bases} ${unread.length === 1 ? 'is' : 'are'} not in the local image store for ${platform}, so ` +
    `${unread.length === 1 ? 'its' : 'their'} triggers could not be read and run through the emulator. ` +
    `Pull ${unread.length === 1 ? 'it' : 'them'} before this step: ${pulls}`
  );
}

/**
 * Guest stages built FROM an earlier stage of the file that has an ONBUILD RUN: BuildKit runs a
 * stage's triggers in a stage built FROM it too, and there the rewrite cannot reach them (making
 * them run through the emulator would change the earlier stage's own image). One line each.
 */
export function stageTriggerWarnings(analysis: StageAnalysis): string[] {
  const runs = new Map<number, number[]>();
  for (const { instruction, stage } of analysis.instructions) {
    if (instruction instanceof Onbuild && instruction.getTrigger() === 'RUN') {
      runs.set(stage, [...(runs.get(stage) ?? []), instruction.getRange().start.line + 1]);
    }
  }
  return analysis.stages
    .filter((s) => s.guest && s.baseStage !== undefined && runs.has(s.baseStage))
    .map(
      (s) =>
        `line ${s.line + 1}: this stage is built FROM stage ${s.base}, whose ONBUILD RUN (line ` +
        `${(runs.get(s.baseStage!) ?? []).join(', ')}) BuildKit runs in it without the emulator`,
    );
}
