// Which build stages run on the guest platform, decided from the FROM lines as BuildKit would
// for `docker buildx build --platform <guest>` on a host of another platform.
import { Arg, DockerfileParser, From, Shell, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { archFromPlatform, platformParts } from '../arch.js';
import { expandWord } from './expand.js';
import { instructionArgs, parseJsonArgs } from './run-instruction.js';
import { indexLines, instructionText, type LineIndex } from './text.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];
const DEFAULT_HOST_PLATFORM = 'linux/amd64';

export interface StageOptions {
  /** The platform being built, e.g. "linux/arm64". */
  readonly guestPlatform: string;
  /** The platform the builder runs on natively. Default linux/amd64. */
  readonly hostPlatform?: string;
  /** --build-arg values; they override the defaults of ARGs declared before the first FROM. */
  readonly buildArgs?: ReadonlyMap<string, string>;
  /**
   * SHELL in effect after the FROM of an image-based stage, by stage index, where it is not the
   * default: a SHELL among the ONBUILD triggers the rewrite runs right after that FROM.
   */
  readonly startShells?: ReadonlyMap<number, readonly string[]>;
}

export interface StageInfo {
  /** 0-based position among the FROMs. */
  readonly index: number;
  /** The "AS" name, lower-cased as BuildKit matches it. */
  readonly name: string | undefined;
  /** The base after ARG expansion: an image reference, "scratch" or an earlier stage's name. */
  readonly base: string;
  /** Index of the earlier stage this one is built on, if any. */
  readonly baseStage: number | undefined;
  /** The canonical platform its RUN steps execute on. */
  readonly platform: string;
  /** True when its RUN steps need the emulator. */
  readonly guest: boolean;
  /** SHELL in effect when the stage ends (what a stage built on it starts with). */
  readonly shell: readonly string[];
  /** 0-based line of the FROM instruction. */
  readonly line: number;
}

/** An instruction with the stage it belongs to and the SHELL in effect at it. */
export interface StagedInstruction {
  readonly instruction: Instruction;
  readonly stage: number;
  readonly shell: readonly string[];
}

export interface StageAnalysis {
  readonly dockerfile: Dockerfile;
  readonly escape: string;
  readonly stages: readonly StageInfo[];
  /** Instructions from the first FROM on, in order (global ARGs excluded). */
  readonly instructions: readonly StagedInstruction[];
}

const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

function lineOf(i: Instruction): number {
  return i.getRange().start.line + 1;
}

function canonicalPlatform(p: string, what: string): string {
  const arch = archFromPlatform(p);
  if (!arch) throw new Error(`${what}: unsupported platform "${p}"`);
  return arch.platform;
}

/** The automatic platform ARGs BuildKit defines for every FROM. */
function platformArgs(guest: string, host: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [prefix, p] of [
    ['TARGET', guest],
    ['BUILD', host],
  ] as const) {
    const { os, arch, variant } = platformParts(p);
    vars.set(`${prefix}PLATFORM`, p);
    vars.set(`${prefix}OS`, os);
    vars.set(`${prefix}ARCH`, arch);
    vars.set(`${prefix}VARIANT`, variant);
  }
  return vars;
}

export function analyzeStages(text: string, opts: StageOptions): StageAnalysis {
  const guest = canonicalPlatform(opts.guestPlatform, 'guest platform');
  const host = canonicalPlatform(opts.hostPlatform ?? DEFAULT_HOST_PLATFORM, 'host platform');
  const dockerfile = DockerfileParser.parse(text);
  const escape = dockerfile.getEscapeCharacter();
  const index = indexLines(text);
  const automatic = platformArgs(guest, host);
  const globals = new Map<string, string | undefined>(automatic);

  const stages: StageInfo[] = [];
  const instructions: StagedInstruction[] = [];
  let shell: readonly string[] = DEFAULT_SHELL;

  const finishStage = (): void => {
    const last = stages[stages.length - 1];
    if (last) stages[stages.length - 1] = { ...last, shell };
  };

  for (const ins of dockerfile.getInstructions()) {
    const keyword = ins.getKeyword();
    if (!KEYWORDS.has(keyword)) {
      throw new Error(`line ${lineOf(ins)}: unknown instruction ${JSON.stringify(ins.getInstruction())}`);
    }
    if (ins instanceof From) {
      finishStage();
      const stage = fromStage(ins, stages, globals, escape, guest, host, opts.startShells);
      stages.push(stage);
      shell = stage.shell;
      instructions.push({ instruction: ins, stage: stage.index, shell });
      continue;
    }
    if (stages.length === 0) {
      if (!(ins instanceof Arg)) throw new Error(`line ${lineOf(ins)}: ${keyword} before the first FROM`);
      declareGlobalArgs(ins, globals, automatic, opts.buildArgs, escape);
      continue;
    }
    if (ins instanceof Shell) shell = shellArgs(text, index, escape, ins);
    instructions.push({ instruction: ins, stage: stages.length - 1, shell });
  }
  finishStage();
  if (stages.length === 0) throw new Error('the Dockerfile has no FROM instruction');
  return { dockerfile, escape, stages, instructions };
}

// The parser's own JSON values do not decode escapes, so read SHELL's array from the text.
export function shellArgs(text: string, index: LineIndex, escape: string, ins: Shell): string[] {
  const { args } = instructionArgs(instructionText(text, index, ins).lines, escape);
  let shell: string[] | undefined;
  try {
    shell = parseJsonArgs(args, 'SHELL');
  } catch (err) {
    throw new Error(`line ${lineOf(ins)}: ${(err as Error).message}`, { cause: err });
  }
  if (!shell) throw new Error(`line ${lineOf(ins)}: SHELL requires a JSON array of strings`);
  return shell;
}

function declareGlobalArgs(
  ins: Arg,
  globals: Map<string, string | undefined>,
  automatic: ReadonlyMap<string, string>,
  buildArgs: ReadonlyMap<string, string> | undefined,
  escape: string,
): void {
  for (const p of ins.getProperties()) {
    const name = p.getName();
    if (automatic.has(name)) continue; // BuildKit keeps the platform values
    const given = buildArgs?.get(name);
    const dflt = p.getValue();
    globals.set(name, given ?? (dflt === null ? undefined : expandWord(dflt, globals, escape)));
  }
}

function fromStage(
  ins: From,
  stages: readonly StageInfo[],
  globals: ReadonlyMap<string, string | undefined>,
  escape: string,
  guest: string,
  host: string,
  startShells: ReadonlyMap<number, readonly string[]> | undefined,
): StageInfo {
  const where = `line ${lineOf(ins)}`;
  const index = stages.length;
  const args = ins.getArguments().map((a) => a.getValue());
  const rawBase = args[0];
  if (rawBase === undefined) throw new Error(`${where}: FROM names no image`);
  let name: string | undefined;
  if (args.length >= 3 && args[1]?.toLowerCase() === 'as') name = args[2]?.toLowerCase();
  else if (args.length !== 1) throw new Error(`${where}: expected FROM [--platform=...] image [AS name]`);

  const base = expandWord(rawBase, globals, escape);
  const line = ins.getRange().start.line;
  const parent = base.includes(':') || base.includes('/') ? undefined : findStage(stages, base.toLowerCase());
  if (parent) {
    // BuildKit builds on the parent's state and platform, whatever --platform says.
    return {
      index,
      name,
      base,
      baseStage: parent.index,
      platform: parent.platform,
      guest: parent.guest,
      shell: parent.shell,
      line,
    };
  }

  const flag = ins.getPlatformFlag();
  let platform = guest;
  if (flag) {
    const raw = flag.getValue() ?? '';
    const value = expandWord(raw, globals, escape);
    if (value === '') throw new Error(`${where}: --platform=${raw} is empty after expanding build args`);
    const arch = archFromPlatform(value);
    if (!arch || (arch.platform !== guest && arch.platform !== host)) {
      throw new Error(
        `${where}: stage ${name ?? index} runs on ${value}, but this build emulates only ${guest} ` +
          `(stages may use no --platform, $TARGETPLATFORM, ${guest}, or $BUILDPLATFORM/${host})`,
      );
    }
    platform = arch.platform;
  }
  return {
    index,
    name,
    base,
    baseStage: undefined,
    platform,
    guest: platform === guest,
    shell: startShells?.get(index) ?? DEFAULT_SHELL,
    line,
  };
}

function findStage(stages: readonly StageInfo[], name: string): StageInfo | undefined {
  for (let i = stages.length - 1; i >= 0; i--) {
    const s = stages[i];
    if (s?.name === name) return s;
  }
  return undefined;
}
