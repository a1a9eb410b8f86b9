# shellcheck shell=bash
# Test stages that prove they ran: sourced by scripts/test.sh (and by the runner's self-test).
#
#   stage NAME EXPECT CMD...
#
# runs CMD, shows its output, and reads its last `N passed, N failed` line. EXPECT is how many
# results the stage must produce: `N` exactly N (a case list known in advance), `N+` at least N
# (a jest stage: every test file holds one test or more). A stage that printed no counts, ran
# fewer than expected (more, for an exact count), or exited non-zero without a failure counts
# as failed: a stage that ran nothing never looks green. stage_table prints every stage's
# expected and actual counts; STAGES_PASSED and STAGES_FAILED hold the totals.

STAGES_PASSED=0
STAGES_FAILED=0
STAGES_FAILURES=()
STAGES_ROWS=()
STAGES_LOG=$(mktemp "${TMPDIR:-/tmp}/anyarch-stage.XXXXXX")

# stage_counts LOG: "P F" from the last counts line, or nothing.
stage_counts() {
  local line
  line=$(grep -E '^([A-Za-z]+: *)?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  [ -n "$line" ] || return 1
  sed -E 's/^([A-Za-z]+: *)?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/' <<<"$line"
}

stage() {
  local name=$1 expect=$2
  shift 2
  local start=$SECONDS p=0 f=0 ran want at_least=0 counts why=()
  case "$expect" in
    *+) at_least=1; want=${expect%+} ;;
    *) want=$expect ;;
  esac
  [[ $want =~ ^[0-9]+$ ]] || { echo "stage '$name': bad expectation '$expect' (N or N+)" >&2; return 2; }
  printf '\n=== %s (expects %s)\n' "$name" "$([ "$at_least" = 1 ] && echo "at least $want" || echo "$want")"
  "$@" 2>&1 | tee "$STAGES_LOG"
  local rc=${PIPESTATUS[0]}
  if counts=$(stage_counts "$STAGES_LOG"); then
    read -r p f <<<"$counts"
  else
    why+=("printed no 'N passed, N failed' line")
  fi
  ran=$((p + f))
  if [ "$ran" -lt "$want" ]; then
    why+=("ran $ran of the $want it expects")
    f=$((f + want - ran))
  elif [ "$at_least" = 0 ] && [ "$ran" -gt "$want" ]; then
    why+=("ran $ran, more than the $want it lists")
    f=$((f + 1))
  fi
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    why+=("exited $rc with no failure counted")
    f=1
  fi
  STAGES_PASSED=$((STAGES_PASSED + p))
  STAGES_FAILED=$((STAGES_FAILED + f))
  local verdict=ok reasons
  reasons=$(printf '%s; ' ${why[@]+"${why[@]}"})
  reasons=${reasons%; }
  if [ "$f" != 0 ]; then
    verdict="FAILED${reasons:+: $reasons}"
    STAGES_FAILURES+=("$name${reasons:+ ($reasons)}")
  fi
  printf '=== %s: expected %s, ran %d: %d passed, %d failed, %d s (%s)\n' \
    "$name" "$expect" "$ran" "$p" "$f" $((SECONDS - start)) "$verdict"
  STAGES_ROWS+=("$(printf '%-72s %8s %6d %6d %6d %6d' "$name" "$expect" "$ran" "$p" "$f" $((SECONDS - start)))")
}

# One check with no count of its own: one result.
one() {
  local name=$1
  shift
  if "$@"; then echo "1 passed, 0 failed"; else echo "FAIL $name"; echo "0 passed, 1 failed"; return 1; fi
}

# The per-stage table, the failed stages, and the closing `N passed, N failed` line.
stage_table() {
  local row f
  printf '\n%-72s %8s %6s %6s %6s %6s\n' stage expected ran passed failed s
  for row in ${STAGES_ROWS[@]+"${STAGES_ROWS[@]}"}; do echo "$row"; done
  printf '\n'
  for f in ${STAGES_FAILURES[@]+"${STAGES_FAILURES[@]}"}; do echo "failed: $f"; done
  rm -f "$STAGES_LOG"
  echo "$STAGES_PASSED passed, $STAGES_FAILED failed"
}
