// Several arches in one `docker buildx build --platform a,b,c`, as build-push-action does it:
// one image index under the user's tags, no per-arch tags. It needs the containerd image store
// (the classic store holds one platform per image) and one rewritten Dockerfile for every
// platform: the emulator comes from one image with a /qemu variant per platform (see
// emulator-image.ts), passed as a named build context so that BuildKit resolves it for each
// stage's own platform. (A `from=<image>` mount made BuildKit 0.13 parse `FROM x:$TARGETARCH`
// without the platform's arguments in multi-platform builds; a named context does not.)
import * as core from '@actions/core';
import type { Arch } from '../arch.js';
import { rewriteDockerfile, type ScriptFile } from '../dockerfile/rewrite.js';

/** The build context name the rewritten RUN steps mount the emulator set from. */
export const EMULATOR_CONTEXT = 'anyarch-emulator';
/** Where each RUN finds its platform's /qemu: the same path for every platform. */
export const SET_EMULATOR_PATH = '/dev/.anyarch/qemu';

export interface OneBuildConditions {
  readonly arches: readonly Arch[];
  readonly containerdStore: boolean;
  /** buildx builder, or undefined for the classic builder. */
  readonly builder: string | undefined;
  readonly keepEmulator: boolean;
}

/** Why the arches are built one by one instead of in one build, or undefined when one build can. */
export function perArchReason(c: OneBuildConditions): string | undefined {
  if (c.arches.length < 2) return 'one arch';
  if (c.builder === undefined) return 'the classic builder builds one platform at a time';
  if (!c.containerdStore) {
    return (
      'the daemon uses the classic image store, which keeps one platform per image: each arch is built and pushed as <tag>-<arch>, and the tags are joined into a manifest list. ' +
      'With the containerd image store ("features": {"containerd-snapshotter": true} in daemon.json) all arches are built in one build under your tags alone'
    );
  }
  if (c.keepEmulator)
    return "keep-emulator wraps each arch's image with that arch's emulator, one arch at a time";
  return undefined;
}

export interface OneBuildRewrite {
  readonly dockerfile: string;
  readonly scripts: readonly ScriptFile[];
  readonly rewritten: number;
}

/**
 * The one Dockerfile every platform can build with, or the reason there is none: the rewrite
 * for each emulated platform must come out the same (it does unless the Dockerfile names
 * platforms of its own in FROM --platform). The host's platform uses it too: its /qemu variant
 * runs each command natively.
 */
export function oneBuildRewrite(
  original: string,
  arches: readonly Arch[],
  hostPlatform: string,
  buildArgs: ReadonlyMap<string, string>,
  isHost: (a: Arch) => boolean,
): OneBuildRewrite | { readonly reason: string } {
  const emulated = arches.filter((a) => !isHost(a));
  let first: OneBuildRewrite | undefined;
  for (const arch of emulated) {
    let out: OneBuildRewrite;
    try {
      const rw = rewriteDockerfile(original, {
        guestPlatform: arch.platform,
        hostPlatform,
        buildArgs,
        emulatorImage: EMULATOR_CONTEXT,
        emulatorPath: SET_EMULATOR_PATH,
        inject: 'mount',
      });
      out = { dockerfile: rw.dockerfile, scripts: rw.scripts, rewritten: rw.rewritten };
    } catch (err) {
      return {
        reason: `the Dockerfile does not rewrite for ${arch.platform} alone (${(err as Error).message})`,
      };
    }
    if (first === undefined) first = out;
    else if (out.dockerfile !== first.dockerfile) {
      return {
        reason: `the Dockerfile's stages differ between ${emulated[0]?.platform} and ${arch.platform} (a FROM --platform of its own), so each platform needs its own rewrite`,
      };
    }
  }
  return first ?? { reason: 'no arch needs the emulator' };
}

/** The --build-context flag that gives the RUN steps the emulator set image `ref`. */
export function emulatorContextFlag(ref: string): string[] {
  return ['--build-context', `${EMULATOR_CONTEXT}=docker-image://${ref}`];
}

export interface IndexEntry {
  readonly digest: string;
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
}

/** platform string -> manifest digest, from an image index's JSON (imagetools inspect --raw). */
export function platformDigests(indexJson: string): Map<string, string> {
  const index = JSON.parse(indexJson) as { manifests?: IndexEntry[] };
  const out = new Map<string, string>();
  for (const m of index.manifests ?? []) {
    const p = m.platform;
    if (p === undefined || p.os === 'unknown') continue;
    out.set([p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/'), m.digest);
  }
  return out;
}

/** Log why the arches are built one at a time, when several are. */
export function reportPerArch(reason: string, arches: readonly Arch[]): void {
  if (arches.length > 1)
    core.info(`Building ${arches.map((a) => a.platform).join(', ')} one at a time: ${reason}`);
}
