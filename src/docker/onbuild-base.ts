// Before a build: the ONBUILD triggers of every guest stage's base image, and for a base that
// has some, a copy without them in the local image store, tagged for this run, for the rewrite
// to build the stage FROM (dockerfile/onbuild.ts says why). The triggers are read from the image
// the build will use: BuildKit's docker driver takes a base from the local store when it is
// there for the build's platform, and otherwise pulls it. `docker image inspect` says whether a
// base has triggers; only then is it saved (`docker save` is the one command that gives a local
// image's config as stored), keeping just the small files of the archive.
//
// A base that is not local cannot be read here: `docker buildx imagetools inspect` leaves
// OnBuild out of the config it prints (the OCI config has no such field), and pulling it would
// retag the user's images. Its RUN triggers, if any, fail as before; unreadHint explains that.
// On the containerd image store `docker image inspect` shows one platform of a multi-platform
// image; when that one has triggers, the saved image gives the build platform's own.
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { extract } from 'tar-stream';
import { mustRun, runCommand } from '../util/exec.js';
import { analyzeStages, type StageOptions } from '../dockerfile/stages.js';
import { imageStages, type StageTriggers } from '../dockerfile/onbuild.js';
import { imagePlatform, loadArchive, tarOf } from './emulator-image.js';
import {
  configTriggers,
  derivedArchiveFiles,
  derivedConfig,
  platformMatches,
  readSavedImage,
  type ImageStore,
} from './saved-image.js';

const DERIVED_REPO = 'anyarch-onbuild';

/** Entries of a saved image above this size are layers: not kept (configs and manifests are small). */
const KEEP_AT_MOST = 1 << 20;

/** A local image as `docker image inspect` shows it. */
interface LocalImage {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly triggers: readonly string[];
}

async function inspectLocal(ref: string): Promise<LocalImage | undefined> {
  const r = await runCommand('docker', ['image', 'inspect', '--format', '{{json .}}', ref]);
  if (r.exitCode !== 0) return undefined;
  const j = JSON.parse(r.stdout) as {
    Os?: string;
    Architecture?: string;
    Variant?: string;
    Config?: { OnBuild?: unknown } | null;
  };
  const onbuild = j.Config?.OnBuild;
  return {
    os: j.Os ?? '',
    architecture: j.Architecture ?? '',
    ...(j.Variant ? { variant: j.Variant } : {}),
    triggers: Array.isArray(onbuild) ? onbuild.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** The small files of the image archive `file` (name -> content), layers left out. */
async function smallFiles(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  createReadStream(file).pipe(ex);
  for await (const entry of ex) {
    if (entry.header.type !== 'file' || entry.header.size > KEEP_AT_MOST) {
      entry.resume();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
  }
  return files;
}

export interface OnbuildRequest extends StageOptions {
  readonly store: ImageStore;
  /** Scratch directory, removed by the caller. */
  readonly workDir: string;
  /** This run's own suffix for the tags it makes. */
  readonly runId: string;
  /** Records an image the action created, for the post step to remove. */
  readonly track: (ref: string) => void;
}

/** A guest stage's base that is not in the local store for the build's platform. */
export interface UnreadBase {
  /** 1-based line of the FROM. */
  readonly line: number;
  readonly image: string;
}

export interface OnbuildPlan {
  /** stage index -> what the rewrite does for its base's triggers (RewriteOptions.onbuild). */
  readonly stages: ReadonlyMap<number, StageTriggers>;
  readonly unread: readonly UnreadBase[];
}

/** The copy of `base` without triggers, and the triggers; undefined when it has none. */
async function copyWithoutTriggers(
  base: string,
  req: OnbuildRequest,
  n: number,
): Promise<StageTriggers | undefined> {
  const dir = path.join(req.workDir, 'onbuild');
  await fs.mkdir(dir, { recursive: true });
  const saved = path.join(dir, `base-${n}.tar`);
  let files: Map<string, Buffer>;
  try {
    await mustRun('docker', ['save', '-o', saved, base]);
    files = await smallFiles(saved);
  } finally {
    await fs.rm(saved, { force: true });
  }
  const image = readSavedImage(files, req.guestPlatform, req.store);
  const triggers = configTriggers(image.config);
  if (triggers.length === 0) return undefined;
  const digest = derivedConfig(image).digest;
  // Named by its config, and by the run: jobs sharing a daemon each remove only their own tag.
  const ref = `${DERIVED_REPO}:${digest.slice('sha256:'.length, 'sha256:'.length + 16)}-${req.runId}`;
  req.track(ref);
  await loadArchive(path.join(dir, `derived-${n}.tar`), async (file) =>
    fs.writeFile(file, await tarOf(derivedArchiveFiles(image, ref))),
  );
  return { image: ref, triggers };
}

/** What `base` (FROM on `line`) needs: a copy without triggers, nothing, or it cannot be read. */
async function baseTriggers(
  base: string,
  line: number,
  req: OnbuildRequest,
  n: number,
): Promise<StageTriggers | undefined | 'unread'> {
  const local = await inspectLocal(base);
  // Elsewhere than on the containerd store, an image of another platform is not what BuildKit uses.
  if (local === undefined) return 'unread';
  if (!platformMatches(local, imagePlatform(req.guestPlatform)) && req.store === 'classic') return 'unread';
  if (local.triggers.length === 0) return undefined;
  let derived: StageTriggers | undefined;
  try {
    derived = await copyWithoutTriggers(base, req, n);
  } catch (err) {
    const list = local.triggers.map((t) => JSON.stringify(t)).join(', ');
    throw new Error(
      `line ${line}: the base image ${base} has ONBUILD triggers (${list}), and no copy of it ` +
        `without them could be made to run them through the emulator: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (derived) {
    core.info(
      `The base image ${base} (line ${line}) has ${derived.triggers.length} ONBUILD trigger(s): they run ` +
        `through the emulator right after the FROM, which builds from ${derived.image}, a copy without them`,
    );
  }
  return derived;
}

/**
 * Read the triggers of every guest stage's local base image; make a copy without them of each
 * base that has some. Throws (naming the base and its FROM line) when a copy cannot be made.
 */
export async function planOnbuild(text: string, req: OnbuildRequest): Promise<OnbuildPlan> {
  const stages = new Map<number, StageTriggers>();
  const unread: UnreadBase[] = [];
  // base -> its copy without triggers (undefined: it has none), or "unread"
  const done = new Map<string, StageTriggers | undefined | 'unread'>();
  for (const stage of imageStages(analyzeStages(text, req).stages)) {
    const line = stage.line + 1;
    if (!done.has(stage.base)) done.set(stage.base, await baseTriggers(stage.base, line, req, done.size));
    const result = done.get(stage.base);
    if (result === 'unread') unread.push({ line, image: stage.base });
    else if (result !== undefined) stages.set(stage.index, result);
  }
  return { stages, unread };
}

/**
 * Why the one multi-platform build cannot run the Dockerfile, or undefined: a guest stage's
 * local base has ONBUILD triggers, and a copy of a base without them serves one platform.
 */
export async function onbuildOneBuildReason(
  text: string,
  guestPlatforms: readonly string[],
  opts: Omit<StageOptions, 'guestPlatform'>,
): Promise<string | undefined> {
  const seen = new Set<string>();
  for (const guestPlatform of guestPlatforms) {
    for (const stage of imageStages(analyzeStages(text, { ...opts, guestPlatform }).stages)) {
      if (seen.has(stage.base)) continue;
      seen.add(stage.base);
      const local = await inspectLocal(stage.base);
      if (local !== undefined && local.triggers.length > 0) {
        return `the base image ${stage.base} (line ${stage.line + 1}) has ONBUILD triggers, which run through the emulator in a build of one platform`;
      }
    }
  }
  return undefined;
}
