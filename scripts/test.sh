#!/usr/bin/env bash
# The whole test suite (`npm test`): unit tests, bundle and patch checks, the guest suite of the
# -execve patch for every supported QEMU series (all seven guest arches for the newest, aarch64
# and arm for the others), debootstrap's second stage under emulation (aarch64), the
# end-to-end tests of the action on the system's dockerd, and its image tests again on Docker 26
# with the classic and with the containerd image store (scripts/start-dockerd26.sh). Needs the
# machine set up by scripts/setup.sh (root, dockerd running). Every stage states how many results it expects, and fewer is a failure (see
# scripts/lib/stages.sh); a table of expected and actual counts per stage comes before the
# closing line: `N passed, N failed`.
#
# ANYARCH_TEST_SERIES="10.2 7.2" limits the QEMU series (default: all in patches/series.json).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib/stages.sh
. "$here/lib/stages.sh"
# shellcheck source=../tests/lib/arches.sh
. "$root/tests/lib/arches.sh"
all_arches=$(IFS=,; echo "${GUEST_ARCHES[*]}")

# No binfmt_misc handler may run any guest arch's programs (the shared check: names, magic
# and a real exec), or every emulation test below would pass without the patch.
"$root/tests/lib/no-binfmt.sh" "${GUEST_ARCHES[@]}" || {
  echo "a binfmt_misc handler can run guest programs: the emulation tests would prove nothing." >&2
  echo "0 passed, 1 failed"
  exit 1
}

all_series=$(node -e 'console.log(Object.keys(require(process.argv[1]).series).join(" "))' "$root/patches/series.json")
newest=${all_series%% *}
series=${ANYARCH_TEST_SERIES:-$all_series}
n_series=$(wc -w <<<"$all_series")
files_in() { find "$1" -name "$2" | wc -l; }

stage "test runner self-test" "$(tests/runner/self-test.sh --list | wc -l)" tests/runner/self-test.sh
stage "unit tests" "$(files_in __tests__/unit '*.test.ts')+" node scripts/jest-stage.mjs test:unit
stage "TypeScript types (tsc --noEmit)" 1 one types npx tsc --noEmit
stage "lint: ESLint and Prettier, per file" "$(node scripts/lint.mjs --list | wc -l)" node scripts/lint.mjs
stage "dist/ matches src/" 1 one dist npm run --silent check-dist
stage "workflows and action.yml lint" "$(node scripts/lint-workflows.mjs --list | wc -l)" npm run --silent lint:workflows
stage "patches match patches/src + patches/hooks" "$n_series" scripts/make-patches.sh --check
stage "patches/src passes QEMU's checkpatch.pl" "$(tests/patch/checkpatch.sh --list | wc -l)" tests/patch/checkpatch.sh
for s in $series; do
  # The newest series builds all seven emulators in one QEMU build and runs the guest suite for
  # each; the older ones only aarch64 and arm, to bound the run on a 2-core machine (the patch
  # is one file for every series, and its per-series hooks are not arch-specific).
  targets=aarch64,arm
  [ "$s" != "$newest" ] || targets=$all_arches
  stage "QEMU $s: patch applies to the pristine source" 1 tests/patch/applies.sh --series "$s"
  stage "QEMU $s: emulators (tool cache, or a compile)" 1 one build scripts/build-qemu.sh --series "$s" --targets "$targets" --out "$work/qemu-$s"
  [ -x "$work/qemu-$s/qemu-aarch64" ] || continue
  # Two arches at a time: the cases run one emulated process after another, so this halves the
  # wall time on two cores.
  stage "QEMU $s: guest suite ($targets)" "$(tests/guest/run.sh --list --arches "$targets" | wc -l)" \
    tests/guest/run.sh --emulator "$work/qemu-$s" --arches "$targets" --jobs 2
  stage "QEMU $s: debootstrap --second-stage" 1 tests/debootstrap/second-stage.sh --emulator "$work/qemu-$s"
done
stage "end-to-end tests" "$(files_in __tests__/e2e '*.e2e.test.ts')+" node scripts/jest-stage.mjs test:e2e

# The image tests again on Docker 26, with the classic image store and with the containerd
# image store (what new Docker 29 installs use), each daemon with a buildx state of its own. The
# tests of the emulator's source, compile and cache and of the host's packages are left out:
# they do not depend on the daemon; nor do the container-job test (the system daemon is enough)
# and the rootless test, which starts a daemon of its own.
not_image=(faults cache-invalidation cache.e2e install-deps hosted-runner source-url rootless container-job)
n_image=$(find __tests__/e2e -name '*.e2e.test.ts' | grep -cvE "$(IFS='|'; echo "${not_image[*]}")")
for store in classic containerd; do
  if host=$(scripts/start-dockerd26.sh "$store"); then
    stage "end-to-end image tests, Docker 26, $store image store" "$n_image+" \
      env DOCKER_HOST="$host" DOCKER_CONFIG="$work/docker-config-$store" \
      node scripts/jest-stage.mjs test:e2e --testPathIgnorePatterns "${not_image[@]}"
  else
    stage "end-to-end image tests, Docker 26, $store image store" "$n_image+" one "dockerd 26 ($store)" false
  fi
done

stage_table
[ "$STAGES_FAILED" = 0 ]
