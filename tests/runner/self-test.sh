#!/usr/bin/env bash
# The test runner's own checks, each shown failing on a deliberate fault (and passing on the
# control beside it), so that `N passed, 0 failed` from scripts/test.sh can be trusted:
#  - stages: a stage that ran nothing, fewer than expected, printed no counts, or whose command
#    is missing (the e2e stage when package.json lost its script) fails;
#  - jest: a skipped, todo or failing test and a test file that does not load fail, read from
#    jest's JSON results (scripts/jest-stage.mjs);
#  - binfmt_misc: handlers registered in a private binfmt_misc instance of a user namespace
#    (Linux 6.7 and later), so the host never sees them: a maskless one, one under another
#    name, one this mount namespace cannot see at all; tests/lib/no-binfmt.sh and the guest
#    suite must refuse to run;
#  - the patch stage: a patch with a changed context line does not apply;
#  - checkpatch: a line over 80 columns in the patch's source (a warning only) fails.
#   self-test.sh [--list] [PATTERN]
# Ends with `N passed, N failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
list=0 pattern=
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=1; shift ;;
    *) pattern=$1; shift ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# check NAME FUNCTION: run one case; the function returns 0 when the runner behaved.
check() {
  local name=$1 fn=$2 out
  [ -z "$pattern" ] || [[ $name == *"$pattern"* ]] || return 0
  if [ "$list" = 1 ]; then echo "$name"; return 0; fi
  out=$("$fn" 2>&1)
  if [ $? = 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' <<<"$out" | tail -n 30
    failed=$((failed + 1))
  fi
}

# shows REGEX CMD...: run CMD, show its output, and succeed when a line matches REGEX (grep -E),
# whatever CMD's own exit status (the cases expect failures).
shows() {
  local re=$1 out
  shift
  out=$("$@" 2>&1)
  printf '%s\n' "$out"
  grep -qE -- "$re" <<<"$out"
}

# --- stages ------------------------------------------------------------------------------
# in_stage EXPECT CMD...: run one stage in a fresh runner; prints its result line and the
# number of failures it counted.
in_stage() (
  # shellcheck source=../../scripts/lib/stages.sh
  . "$root/scripts/lib/stages.sh"
  stage "probe" "$@" >"$work/stage.out" 2>&1
  grep '^=== probe:' "$work/stage.out"
  echo "failures=$STAGES_FAILED"
)
counts() { printf 'printf "%%s\\n" "%s"\n' "$1"; } # a command printing a counts line

stage_zero() { shows 'failures=1$' in_stage 1 bash -c "$(counts '0 passed, 0 failed')"; }
stage_fewer() { shows 'ran 3 of the 5 it expects' in_stage 5 bash -c "$(counts '3 passed, 0 failed')"; }
stage_more() { shows 'more than the 2 it lists' in_stage 2 bash -c "$(counts '3 passed, 0 failed')"; }
stage_no_counts() { shows "printed no 'N passed, N failed' line" in_stage 1 true; }
stage_exit() { shows 'exited 3 with no failure counted' in_stage 2 bash -c "$(counts '2 passed, 0 failed'); exit 3"; }
stage_ok() { shows 'failures=0$' in_stage 5 bash -c "$(counts '5 passed, 0 failed')"; }
stage_at_least() { shows 'failures=0$' in_stage 4+ bash -c "$(counts '9 passed, 0 failed')"; }
# The e2e stage is run whatever package.json says: without its script it fails, never skips.
stage_missing_script() {
  mkdir -p "$work/noscript"
  echo '{"name": "x", "private": true, "scripts": {}}' >"$work/noscript/package.json"
  (cd "$work/noscript" && shows 'failures=[1-9]' in_stage 1+ node "$root/scripts/jest-stage.mjs" test:e2e)
}

# --- jest ----------------------------------------------------------------------------------
# jest_dir NAME FILE=CONTENT...: a project whose `t` script runs this repository's jest on it.
jest_dir() {
  local d=$work/jest-$1 f
  shift
  mkdir -p "$d"
  printf '{"name": "fixture", "private": true, "scripts": {"t": "%s --ci --rootDir . --testMatch \\"**/*.test.js\\""},\n "jest": {"testEnvironment": "node"}}\n' \
    "$root/node_modules/.bin/jest" >"$d/package.json"
  for f in "$@"; do printf '%s\n' "${f#*=}" >"$d/${f%%=*}"; done
  echo "$d"
}
jest_stage() { (cd "$1" && node "$root/scripts/jest-stage.mjs" t 2>&1); }
ok_js='test("adds", () => { expect(1 + 1).toBe(2); });'

jest_ok() {
  local d
  d=$(jest_dir ok "a.test.js=$ok_js" "b.test.js=$ok_js
test(\"also\", () => { expect(true).toBe(true); });")
  shows '^3 passed, 0 failed$' jest_stage "$d"
}
jest_skipped() {
  local d
  d=$(jest_dir skipped "a.test.js=$ok_js
test.skip(\"not today\", () => {});")
  shows 'not run \(pending\): a.test.js › not today' jest_stage "$d" &&
    shows '^1 passed, 1 failed$' jest_stage "$d"
}
jest_todo() {
  local d
  d=$(jest_dir todo "a.test.js=$ok_js
test.todo(\"some day\");")
  shows 'not run \(todo\): a.test.js › some day' jest_stage "$d"
}
jest_load_error() {
  local d
  d=$(jest_dir load "a.test.js=$ok_js" "b.test.js=throw new Error('cannot load this file');
$ok_js")
  shows 'test file failed outside its tests: b.test.js' jest_stage "$d" &&
    shows '^1 passed, 1 failed$' jest_stage "$d"
}
jest_failing() {
  local d
  d=$(jest_dir failing "a.test.js=test(\"wrong\", () => { expect(1).toBe(2); });")
  shows '^0 passed, 1 failed$' jest_stage "$d"
}

# --- binfmt_misc in a user namespace ---------------------------------------------------------
probe=
binfmt_magic() { # ARCH: the first 20 bytes of its static program, as binfmt_misc wants them
  "$root/tests/lib/no-binfmt.sh" -q "$1" >/dev/null 2>&1 # builds the program if needed
  od -An -N20 -tx1 -v "${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/binfmt-probe/exit0-$1" | tr -d '\n' | sed 's/ /\\x/g'
}
# in_userns HANDLER HIDE CMD: run CMD (bash) in a new user and mount namespace whose own
# binfmt_misc has HANDLER registered (":name:M:...") and, with HIDE=hide, then covered by an
# empty tmpfs, so that nothing in this namespace shows it while the kernel still applies it.
in_userns() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare --user --map-root-user --mount --propagation private bash -c '
    d=/proc/sys/fs/binfmt_misc
    mount -t binfmt_misc binfmt_misc "$d" || { echo "cannot mount a private binfmt_misc (Linux 6.7+ needed)"; exit 90; }
    if [ -n "$1" ]; then printf "%s\n" "$1" >"$d/register" || { echo "cannot register $1"; exit 91; }; fi
    [ "$2" != hide ] || mount -t tmpfs none "$d"
    bash -c "$3"' _ "$1" "$2" "$3"
}
nb=$root/tests/lib/no-binfmt.sh
binfmt_none() { in_userns '' show "$nb aarch64 arm"; }
binfmt_maskless() {
  shows 'handler /proc/sys/fs/binfmt_misc/maskless matches aarch64' \
    in_userns ":maskless:M::$(binfmt_magic aarch64)::/bin/true:" show "$nb aarch64"
}
binfmt_other_name() {
  shows 'arm64-by-another-name matches aarch64' in_userns ":arm64-by-another-name:M:0:\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/bin/true:" show "$nb aarch64"
}
binfmt_other_arch_only() { # precision: an arm handler is not an aarch64 one
  in_userns ":armonly:M::$(binfmt_magic arm)::/bin/true:" show "$nb aarch64 && ! $nb arm"
}
binfmt_hidden() {
  shows 'did not fail with ENOEXEC \(it ran\)' \
    in_userns ":hidden:M::$(binfmt_magic aarch64)::/bin/true:" hide "ls -A /proc/sys/fs/binfmt_misc; $nb aarch64"
}
# The guest suite stops before any case with a maskless handler; it used to print
# `0 passed, 0 failed` and exit 0 there.
guest_suite_maskless() {
  local out
  out=$(in_userns ":maskless:M::$(binfmt_magic aarch64)::/bin/true:" show \
    "$root/tests/guest/run.sh --emulator $work/no-emulator --arches aarch64; echo status=\$?" 2>&1)
  echo "$out"
  grep -q 'refusing to run' <<<"$out" && grep -q 'status=2' <<<"$out" && ! grep -q ' passed, ' <<<"$out"
}

# --- the patch stage -----------------------------------------------------------------------
patch_ok() { "$root/tests/patch/applies.sh" --series 10.2; }
patch_changed_context() {
  # One context line of the first hunk on an existing file changed: --fuzz=0 must refuse it.
  awk 'BEGIN {done = 0} /^--- a\// {inold = 1} inold && !done && /^ [^ ]/ {print " CHANGED" substr($0, 2); done = 1; next} {print}' \
    "$root/patches/qemu-10.2.patch" >"$work/changed.patch"
  ! cmp -s "$work/changed.patch" "$root/patches/qemu-10.2.patch" || { echo "no context line changed"; return 1; }
  ! "$root/tests/patch/applies.sh" --series 10.2 --patch "$work/changed.patch"
}

# --- checkpatch ----------------------------------------------------------------------------
checkpatch_ok() { shows '^[1-9][0-9]* passed, 0 failed$' "$root/tests/patch/checkpatch.sh"; }
checkpatch_long_line() {
  # 81 columns: QEMU's checkpatch.pl only warns (errors start past 90), and a warning fails.
  cp "$root/patches/src/execve.h" "$work/execve.h"
  printf '/* %s */\n' "$(printf '%75s' '' | tr ' ' x)" >>"$work/execve.h"
  shows 'WARNING: line over 80 characters' "$root/tests/patch/checkpatch.sh" "$work/execve.h" &&
    shows '^0 passed, 1 failed$' "$root/tests/patch/checkpatch.sh" "$work/execve.h"
}

check "stage: ran nothing (0 passed, 0 failed) fails" stage_zero
check "stage: ran fewer than it lists fails" stage_fewer
check "stage: ran more than it lists fails" stage_more
check "stage: printed no counts fails" stage_no_counts
check "stage: non-zero exit with no failure counted fails" stage_exit
check "stage: exact count passes (control)" stage_ok
check "stage: at-least count passes (control)" stage_at_least
check "stage: jest stage without its npm script fails" stage_missing_script
check "jest: passing files pass (control)" jest_ok
check "jest: a skipped test fails" jest_skipped
check "jest: a todo test fails" jest_todo
check "jest: a file that does not load fails" jest_load_error
check "jest: a failing test fails" jest_failing
check "binfmt: none registered passes (control)" binfmt_none
check "binfmt: a maskless handler is found" binfmt_maskless
check "binfmt: a handler under another name is found" binfmt_other_name
check "binfmt: an arm handler is not taken for aarch64" binfmt_other_arch_only
check "binfmt: a handler this namespace cannot see is found by exec" binfmt_hidden
check "guest suite: refuses to run with a maskless handler" guest_suite_maskless
check "patch: the shipped patch applies (control)" patch_ok
check "patch: a changed context line does not apply" patch_changed_context
check "checkpatch: the patch's sources pass (control)" checkpatch_ok
check "checkpatch: a line over 80 columns fails" checkpatch_long_line

[ "$list" = 1 ] && exit 0
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
