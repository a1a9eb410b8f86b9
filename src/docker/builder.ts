// Which buildx builder the action builds with. Workflows often run docker/setup-buildx-action
// first, which creates a docker-container builder and makes it current; a build there fails
// for us (it cannot see the local emulator image, and its BuildKit wraps foreign RUN steps in
// its own QEMU). So the builder is always named explicitly: the docker-driver builder of the
// current Docker context, or the one the `builder` input names if it has that driver.
import { runCommand } from '../util/exec.js';

export interface BuilderInfo {
  readonly name: string;
  readonly driver: string;
}

/** Name and driver from `docker buildx inspect` output (its first "Name:" and "Driver:" lines). */
export function parseBuilderInspect(text: string): BuilderInfo | undefined {
  const field = (k: string) => new RegExp(`^${k}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
  const name = field('Name');
  const driver = field('Driver');
  return name !== undefined && driver !== undefined ? { name, driver } : undefined;
}

/** Why a builder of another driver cannot build for us; part of errors and notices. */
const WHY_DOCKER_DRIVER =
  'a builder in its own container cannot see the local emulator image that the rewritten RUN steps mount, ' +
  "and its BuildKit runs foreign-platform RUN steps through its own bundled QEMU, which cannot run the action's x86-64 emulator";

export interface BuilderChoice {
  readonly name: string;
  /** Said when the choice is not the builder that was current. */
  readonly notice: string | undefined;
}

/**
 * The builder to pass as --builder. `named` is what `docker buildx inspect` said of the
 * requested builder (or of the context's own when none was requested), `current` of the
 * current one; undefined where inspect failed.
 */
export function chooseBuilder(
  requested: string | undefined,
  named: BuilderInfo | undefined,
  current: BuilderInfo | undefined,
  contextName: string,
): BuilderChoice {
  if (requested !== undefined) {
    if (named === undefined) {
      throw new Error(
        `Input "builder": there is no buildx builder named "${requested}" (docker buildx ls lists them)`,
      );
    }
    if (named.driver !== 'docker') {
      throw new Error(
        `Input "builder" names "${requested}", a buildx builder with the ${named.driver} driver. ` +
          `The action builds with the docker driver only: ${WHY_DOCKER_DRIVER}. ` +
          `Leave "builder" empty to use the current Docker context's own builder ("${contextName}").`,
      );
    }
    return { name: named.name, notice: undefined };
  }
  if (named === undefined || named.driver !== 'docker') {
    throw new Error(
      `The Docker context "${contextName}" has no buildx builder with the docker driver (docker buildx inspect ${contextName}` +
        `${named ? ` says driver ${named.driver}` : ' failed'}); the action needs one: ${WHY_DOCKER_DRIVER}.`,
    );
  }
  const notice =
    current !== undefined && current.name !== named.name
      ? `The current buildx builder is "${current.name}" (${current.driver} driver), as docker/setup-buildx-action leaves it; ` +
        `building with "${named.name}" (docker driver) instead, because ${WHY_DOCKER_DRIVER}. The current builder is left as it was.`
      : undefined;
  return { name: named.name, notice };
}

async function inspect(name?: string): Promise<BuilderInfo | undefined> {
  const r = await runCommand('docker', ['buildx', 'inspect', ...(name !== undefined ? [name] : [])]);
  return r.exitCode === 0 ? parseBuilderInspect(r.stdout) : undefined;
}

/** Pick the builder (buildx must work). */
export async function selectBuilder(requested: string | undefined): Promise<BuilderChoice> {
  const ctx = await runCommand('docker', ['context', 'show']);
  // buildx names each context's docker-driver builder after the context.
  const contextName = ctx.exitCode === 0 && ctx.stdout.trim() !== '' ? ctx.stdout.trim() : 'default';
  const named = await inspect(requested ?? contextName);
  return chooseBuilder(requested, named, await inspect(), contextName);
}
