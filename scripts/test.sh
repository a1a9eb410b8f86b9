#!/usr/bin/env bash
# The whole test suite (`npm test`): unit tests, bundle and patch checks, the guest suite of the
# -execve patch for every supported QEMU series (all seven guest arches for the newest, aarch64
# and arm for the others), debootstrap's second stage under emulation (aarch64), and the
# end-to-end tests of the action. Needs the machine set up by scripts/setup.sh (root, dockerd
# running). Ends with one line: `N passed, N failed`.
#
# ANYARCH_TEST_SERIES="10.2 7.2" limits the QEMU series (default: all in patches/series.json).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
passed=0
failed=0
failures=()
work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Run one stage, show its output, and add up its "N passed, N failed" line (jest's "Tests:"
# line too). A stage that fails without printing counts is one failure.
stage() {
  local name=$1; shift
  local log="$work/stage.log" start=$SECONDS p f line
  printf '\n=== %s\n' "$name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  line=$(grep -E '^([A-Za-z]+: *)?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
  else
    line=$(grep -E '^Tests: ' "$log" | tail -n 1)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  fi
  p=${p:-0}; f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" = 0 ] || failures+=("$name")
  printf '=== %s: %s passed, %s failed, %d s\n' "$name" "$p" "$f" $((SECONDS - start))
}

# A check with no count of its own: one test.
one() {
  local name=$1; shift
  if "$@"; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; return 1; fi
}

all_arches=aarch64,arm,i386,ppc64le,s390x,riscv64,mips64el
for a in ${all_arches//,/ }; do
  if [ -e "/proc/sys/fs/binfmt_misc/qemu-$a" ]; then
    echo "a binfmt_misc handler for $a is registered: emulation tests would pass without the patch." >&2
    echo "Remove it (echo -1 > /proc/sys/fs/binfmt_misc/qemu-$a) and run again." >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

all_series=$(node -e 'console.log(Object.keys(require(process.argv[1]).series).join(" "))' "$root/patches/series.json")
newest=${all_series%% *}
series=${ANYARCH_TEST_SERIES:-$all_series}

stage "unit tests" npm run --silent test:unit
stage "dist/ matches src/" one dist npm run --silent check-dist
stage "patches match patches/src + patches/hooks" scripts/make-patches.sh --check
for s in $series; do
  # The newest series builds all seven emulators in one QEMU build and runs the guest suite for
  # each; the older ones only aarch64 and arm, to bound the run on a 2-core machine (the patch
  # is one file for every series, and its per-series hooks are not arch-specific).
  targets=aarch64,arm
  [ "$s" != "$newest" ] || targets=$all_arches
  stage "QEMU $s: patch applies, emulators build" one build scripts/build-qemu.sh --series "$s" --targets "$targets" --out "$work/qemu-$s"
  [ -x "$work/qemu-$s/qemu-aarch64" ] || continue
  # Two arches at a time: the cases run one emulated process after another, so this halves the
  # wall time on two cores.
  stage "QEMU $s: guest suite ($targets)" tests/guest/run.sh --emulator "$work/qemu-$s" --arches "$targets" --jobs 2
  stage "QEMU $s: debootstrap --second-stage" tests/debootstrap/second-stage.sh --emulator "$work/qemu-$s"
done
if node -e 'process.exit(require("./package.json").scripts["test:e2e"] ? 0 : 1)'; then
  stage "end-to-end tests" npm run --silent test:e2e
fi

printf '\n'
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
