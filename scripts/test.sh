#!/usr/bin/env bash
# The whole test suite (`npm test`): unit tests, bundle and patch checks, the guest suite of the
# -execve patch for every supported QEMU series on two guest arches, debootstrap's second stage
# under emulation, and the end-to-end tests of the action. Needs the machine set up by
# scripts/setup.sh (root, dockerd running). Ends with one line: `N passed, N failed`.
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

for a in aarch64 arm; do
  if [ -e "/proc/sys/fs/binfmt_misc/qemu-$a" ]; then
    echo "a binfmt_misc handler for $a is registered: emulation tests would pass without the patch." >&2
    echo "Remove it (echo -1 > /proc/sys/fs/binfmt_misc/qemu-$a) and run again." >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

series=${ANYARCH_TEST_SERIES:-$(node -e 'console.log(Object.keys(require(process.argv[1]).series).join(" "))' "$root/patches/series.json")}

stage "unit tests" npm run --silent test:unit
stage "dist/ matches src/" one dist npm run --silent check-dist
stage "patches match patches/src + patches/hooks" scripts/make-patches.sh --check
for s in $series; do
  stage "QEMU $s: patch applies, emulators build" one build scripts/build-qemu.sh --series "$s" --targets aarch64,arm --out "$work/qemu-$s"
  [ -x "$work/qemu-$s/qemu-aarch64" ] || continue
  stage "QEMU $s: guest suite" tests/guest/run.sh --emulator "$work/qemu-$s"
  stage "QEMU $s: debootstrap --second-stage" tests/debootstrap/second-stage.sh --emulator "$work/qemu-$s"
done
if node -e 'process.exit(require("./package.json").scripts["test:e2e"] ? 0 : 1)'; then
  stage "end-to-end tests" npm run --silent test:e2e
fi

printf '\n'
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
