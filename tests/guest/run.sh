#!/usr/bin/env bash
# Guest test suite for QEMU linux-user's -execve option.
#
#   run.sh --emulator DIR [--arch A]... [--arches A,B,...] [--jobs N] [--keep] [--timeout SEC] [PATTERN...]
#   run.sh --native [--keep] [PATTERN...]
#   run.sh --list [--arch ...] [--native] [PATTERN...]
#
# Architectures (QEMU's names): aarch64 arm i386 ppc64le s390x riscv64 mips64el.
# --emulator DIR  directory holding static host builds qemu-A of any of them
# --arch A        run only architecture A (repeatable); default: every qemu-A found in DIR
# --arches LIST   the same for a comma-separated list
# --jobs N        spread the arches over N processes run at once (default 1); each arch's cases
#                 still run one after another, and each process's output is shown when it ends
# --native        run the cases on the host kernel itself, without an emulator (an amd64 root),
#                 to check the suite's expectations about the kernel; emulator-only cases skip
# --list          print the case names and exit
# --keep          keep the per-run roots (their location is printed)
# PATTERN         run only cases whose name ARCH/CASE matches: a shell glob, or a substring
#
# Each case runs `chroot ROOT /usr/local/bin/qemu-A -execve /usr/local/bin/qemu-A CMD...` in a
# copy of the root built by make-root.sh (the emulator is copied in; the cached root stays
# clean), with the environment PATH=/bin:/usr/bin only, stdin from /dev/null and no /proc
# unless the case mounts it. Its stdout and exit status must match exactly. Output ends with
# `N passed, N failed`; the exit status is 1 if any case failed. The set-ID cases also get
# `-execve-setid /usr/local/bin/qemu-A-setid`, a copy of the emulator owned by root with mode
# 04755 (so the root must not be on a nosuid file system).
#
# The expectations are what Linux does for the guest with a binfmt_misc handler with flags POCF
# for the guest architecture only (what the option promises), so the suite refuses to run when
# such a handler is registered: it would make the guest's children run whatever the emulator does.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

emu_dir=
arches=()
list=0
native=0
keep=0
timeout_s=60
jobs=1
patterns=()
while [ $# -gt 0 ]; do
  case "$1" in
    --emulator) [ $# -ge 2 ] || die "--emulator needs a directory"; emu_dir=$2; shift 2 ;;
    --emulator=*) emu_dir=${1#*=}; shift ;;
    --arch) [ $# -ge 2 ] || die "--arch needs a value"; arches+=("$2"); shift 2 ;;
    --arch=*) arches+=("${1#*=}"); shift ;;
    --arches) [ $# -ge 2 ] || die "--arches needs a list"; IFS=, read -r -a more <<<"$2"; arches+=("${more[@]}"); shift 2 ;;
    --arches=*) IFS=, read -r -a more <<<"${1#*=}"; arches+=("${more[@]}"); shift ;;
    --native) native=1; shift ;;
    --list) list=1; shift ;;
    --keep) keep=1; shift ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout_s=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    -h|--help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; patterns+=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) patterns+=("$1"); shift ;;
  esac
done

# shellcheck source=../lib/arches.sh
. "$here/../lib/arches.sh"
all_arches=("${GUEST_ARCHES[@]}")

if [ "$native" = 1 ]; then
  [ ${#arches[@]} -eq 0 ] || die "--native runs the host architecture only; drop --arch"
  arches=(x86_64)
elif [ ${#arches[@]} -eq 0 ]; then
  if [ "$list" = 1 ] && [ -z "$emu_dir" ]; then
    arches=("${all_arches[@]}")
  else
    [ -n "$emu_dir" ] || die "--emulator DIR is required (or --native)"
    for a in "${all_arches[@]}"; do [ -f "$emu_dir/qemu-$a" ] && arches+=("$a"); done
    [ ${#arches[@]} -gt 0 ] || die "no qemu-A in $emu_dir (A: ${all_arches[*]})"
  fi
fi
[ ${#arches[@]} -gt 0 ] || die "empty --arches list"
for a in "${arches[@]}"; do
  debian_arch "$a" >/dev/null || die "unsupported arch '$a' (${all_arches[*]})"
  if [ "$a" = x86_64 ] && [ "$native" = 0 ]; then die "x86_64 is the host: use --native"; fi
done

[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive integer, got '$jobs'"

# Several processes: each runs this script for its share of the arches (round robin), with
# its output in a file shown when it ends, then the totals are added up. The cases are mostly
# one emulated process at a time, so a 2-core machine runs two arches in about the time of one.
if [ "$jobs" -gt 1 ] && [ ${#arches[@]} -gt 1 ] && [ "$list" = 0 ] && [ "$native" = 0 ]; then
  [ "$jobs" -le ${#arches[@]} ] || jobs=${#arches[@]}
  logs=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-guest-jobs.XXXXXX")
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$logs"' EXIT
  trap 'exit 130' INT TERM
  extra=()
  [ "$keep" = 1 ] && extra+=(--keep)
  for ((j = 0; j < jobs; j++)); do
    share=()
    for ((i = j; i < ${#arches[@]}; i += jobs)); do share+=("${arches[i]}"); done
    echo "job $((j + 1)): ${share[*]}"
    "$0" --emulator "$emu_dir" --arches "$(IFS=,; echo "${share[*]}")" --timeout "$timeout_s" \
      ${extra[@]+"${extra[@]}"} -- ${patterns[@]+"${patterns[@]}"} >"$logs/$j.log" 2>&1 &
    pids+=($!)
  done
  total_p=0 total_f=0
  for ((j = 0; j < jobs; j++)); do
    wait "${pids[j]}"
    # Every line but the job's own totals, which are added up here.
    grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$logs/$j.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$j.log" | tail -n 1)
    if [ -z "$line" ]; then
      echo "FAIL job $((j + 1)) ended without totals"
      total_f=$((total_f + 1))
      continue
    fi
    read -r p _ f _ <<<"${line//,/}"
    total_p=$((total_p + p)); total_f=$((total_f + f))
  done
  pids=()
  echo "$total_p passed, $total_f failed"
  [ "$total_f" -eq 0 ]
  exit
fi

# Case selection ---------------------------------------------------------------
selected() { # full-name
  local p
  [ ${#patterns[@]} -eq 0 ] && return 0
  for p in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # the patterns are globs on purpose
    case "$p" in
      *[\*\?\[]*) [[ $1 == $p || ${1#*/} == $p ]] && return 0 ;;
      *) [[ $1 == *"$p"* ]] && return 0 ;;
    esac
  done
  return 1
}

# Case definitions call t (and tb); what they do depends on the phase.
PASSED=0
FAILED=0
MOUNTS=()

mount_proc() { # root
  mount -t proc proc "$1/proc" 2>/dev/null || mount --bind /proc "$1/proc" || return 1
  MOUNTS+=("$1/proc")
}

# A nosuid tmpfs on /mnt/nosuid holding a setuid-root copy of /t/ids (cp -a keeps owner and mode).
mount_nosuid() { # root
  mount -t tmpfs -o nosuid,mode=755,size=8m tmpfs "$1/mnt/nosuid" || return 1
  MOUNTS+=("$1/mnt/nosuid")
  cp -a "$1/t/ids-suid" "$1/mnt/nosuid/ids-suid"
}

umount_all() {
  local m
  for m in ${MOUNTS[@]+"${MOUNTS[@]}"}; do
    if mountpoint -q "$m"; then umount "$m" 2>/dev/null || umount -l "$m"; fi
  done
  MOUNTS=()
}

report() { # full-name ok expected-file actual-file errfile want-status got-status [note]
  local name=$1 ok=$2 exp=$3 act=$4 err=$5 want=$6 got=$7 note=${8:-}
  if [ "$ok" = 1 ]; then
    echo "PASS $name"
    PASSED=$((PASSED + 1))
    return
  fi
  echo "FAIL $name"
  FAILED=$((FAILED + 1))
  [ -n "$note" ] && echo "    $note"
  [ "$want" = "$got" ] || echo "    exit status: expected $want, got $got"
  if ! cmp -s "$exp" "$act"; then
    echo "    stdout diff (- expected, + actual):"
    diff -u --label expected --label actual "$exp" "$act" | sed 's/^/    /'
  fi
  if [ -s "$err" ]; then
    echo "    stderr:"
    head -c 2000 "$err" | sed 's/^/    /'
  fi
}

# Close inherited descriptors above 2 (the cases check which descriptors an exec keeps).
close_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
  done 2>/dev/null
  return 0
}

# set_env VAR=VAL: replace VAR in the array envs, or append it.
set_env() {
  local i
  for i in ${envs[@]+"${!envs[@]}"}; do
    if [ "${envs[i]%%=*}" = "${1%%=*}" ]; then envs[i]=$1; return; fi
  done
  envs+=("$1")
}

# t NAME [options] -- CMD...      expected stdout on stdin
#   -s N        expected exit status (default 0)
#   -m MODE     how the emulator gets the option: opt (-execve, default), long (--execve),
#               env (QEMU_EXECVE), none (not at all)
#   -q OPTS     more emulator options (split on spaces), before the program
#   -u          set-ID case: pass -execve-setid QS (the setid copy, in the form -m says: opt,
#               long or env QEMU_EXECVE_SETID); fails at once if the root is on a nosuid mount
#   -p          mount /proc in the root for this case
#   -n          mount a nosuid tmpfs on /mnt/nosuid with a setuid-root copy of /t/ids in it
#   -e VAR=VAL  add to the environment (a second PATH= replaces the default)
#   -E          start from an empty environment (no PATH)
#   -2          compare stderr too (merged into stdout)
#   -x          drop exe= lines before comparing
#   -o WHERE    only run under the emulator (emu) or only with --native (native)
t() {
  local name=$1
  shift
  local status=0 mode=opt qopts=() proc=0 envs=(PATH=/bin:/usr/bin) merge=0 dropexe=0 only=
  local setid=0 nosuid=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case "$1" in
      -s) status=$2; shift 2 ;;
      -m) mode=$2; shift 2 ;;
      -q) read -r -a qopts <<<"$2"; shift 2 ;;
      -p) proc=1; shift ;;
      -u) setid=1; shift ;;
      -n) nosuid=1; shift ;;
      -e) set_env "$2"; shift 2 ;;
      -E) envs=(); shift ;;
      -2) merge=1; shift ;;
      -x) dropexe=1; shift ;;
      -o) only=$2; shift 2 ;;
      *) die "case $name: unknown option $1" ;;
    esac
  done
  [ "${1:-}" = -- ] || die "case $name: missing --"
  shift
  local full=$ARCH/$name
  case "$only" in
    emu) [ "$NATIVE" = 0 ] || return 0 ;;
    native) [ "$NATIVE" = 1 ] || return 0 ;;
  esac
  selected "$full" || return 0
  if [ "$LISTING" = 1 ]; then echo "$full"; return 0; fi

  local dir=$CASES_DIR/${name//\//_}
  mkdir -p "$dir"
  cat >"$dir/expected"

  local cmd=()
  if [ "$NATIVE" = 1 ]; then
    cmd=("$@")
    proc=1 # the kernel's own /proc/self/exe needs it; the emulator answers it without /proc
  else
    cmd=("$Q")
    case "$mode" in
      opt) cmd+=(-execve "$Q") ;;
      long) cmd+=(--execve "$Q") ;;
      env) envs+=("QEMU_EXECVE=$Q") ;;
      none) [ "$setid" = 0 ] || die "case $name: -u needs -execve" ;;
      *) die "case $name: unknown mode $mode" ;;
    esac
    if [ "$setid" = 1 ]; then
      case "$mode" in
        opt) cmd+=(-execve-setid "$QS") ;;
        long) cmd+=(--execve-setid "$QS") ;;
        env) envs+=("QEMU_EXECVE_SETID=$QS") ;;
      esac
    fi
    cmd+=(${qopts[@]+"${qopts[@]}"} "$@")
  fi
  if [ "$setid" = 1 ] && [ "$ROOT_NOSUID" = 1 ]; then
    report "$full" 0 "$dir/expected" /dev/null /dev/null "$status" "-" \
      "the root is on a nosuid mount: set-ID programs cannot run there (set TMPDIR elsewhere)"
    return 0
  fi
  if [ "$proc" = 1 ] && ! mount_proc "$ROOT"; then
    report "$full" 0 "$dir/expected" /dev/null /dev/null "$status" "-" "could not mount /proc"
    return 0
  fi
  if [ "$nosuid" = 1 ] && ! mount_nosuid "$ROOT"; then
    umount_all
    report "$full" 0 "$dir/expected" /dev/null /dev/null "$status" "-" "could not mount a nosuid tmpfs"
    return 0
  fi
  local got
  (
    close_fds
    ulimit -s 8192 2>/dev/null
    cd /
    if [ "$merge" = 1 ]; then exec 2>&1; fi
    exec timeout -k 5 "$timeout_s" env -i ${envs[@]+"${envs[@]}"} "$CHROOT" "$ROOT" "${cmd[@]}"
  ) </dev/null >"$dir/actual" 2>"$dir/stderr"
  got=$?
  umount_all
  if [ "$dropexe" = 1 ]; then sed -i '/^exe=/d' "$dir/actual"; fi
  local ok=0
  if [ "$got" = "$status" ] && cmp -s "$dir/expected" "$dir/actual"; then ok=1; fi
  local note=
  [ "$got" = 124 ] && note="timed out after ${timeout_s}s"
  report "$full" "$ok" "$dir/expected" "$dir/actual" "$dir/stderr" "$status" "$got" "$note"
}

# tb NAME [-c] [-m MODE]: guest base. Runs `qemu -B $GUEST_BASE` with /t/xexec pidwait (as the
# program itself, or with -c as the child of a guest shell), then checks from the host that
# the process's lowest mapping of /t/xexec starts at GUEST_BASE + its first PT_LOAD address.
# Expected stdout: "released" from the program, then "guest_base=ok".
tb() {
  local name=$1
  shift
  local child=0 mode=opt
  while [ $# -gt 0 ]; do
    case "$1" in
      -c) child=1; shift ;;
      -m) mode=$2; shift 2 ;;
      *) die "case $name: unknown option $1" ;;
    esac
  done
  local full=$ARCH/$name
  [ "$NATIVE" = 0 ] || return 0
  selected "$full" || return 0
  if [ "$LISTING" = 1 ]; then echo "$full"; return 0; fi

  local dir=$CASES_DIR/${name//\//_}
  mkdir -p "$dir"
  printf 'released\nguest_base=ok\n' >"$dir/expected"
  local pidfile=$ROOT/tmp/gb.pid fifo=$ROOT/tmp/gb.fifo
  rm -f "$pidfile" "$fifo"
  mkfifo "$fifo"
  local prog=(/t/xexec pidwait /tmp/gb.pid /tmp/gb.fifo)
  [ "$child" = 1 ] && prog=(/bin/sh -c "${prog[*]}; exit \$?")
  local opts=()
  case "$mode" in
    opt) opts=(-execve "$Q") ;;
    none) ;;
  esac
  (
    close_fds
    cd /
    exec timeout -k 5 "$timeout_s" env -i PATH=/bin:/usr/bin "$CHROOT" "$ROOT" "$Q" \
      ${opts[@]+"${opts[@]}"} -B "$GUEST_BASE" "${prog[@]}"
  ) </dev/null >"$dir/actual.prog" 2>"$dir/stderr" &
  local job=$! i pid='' verdict
  for ((i = 0; i < 200; i++)); do
    [ -s "$pidfile" ] && break
    kill -0 "$job" 2>/dev/null || break
    sleep 0.1
  done
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    local vaddr want lowest
    vaddr=$(readelf -lW "$ROOT/t/xexec" | awk '$1 == "LOAD" {print $3; exit}')
    want=$(printf '%x' $(((GUEST_BASE + vaddr) & ~0xfff)))
    lowest=$(awk '$6 ~ /\/t\/xexec$/ {split($1, r, "-"); print r[1]; exit}' "/proc/$pid/maps" 2>/dev/null)
    if [ "$lowest" = "$want" ]; then
      verdict=guest_base=ok
    else
      verdict="guest_base=wrong: /t/xexec mapped at 0x${lowest:-none}, want 0x$want"
    fi
    # The reader may be gone already: do not wait for it forever.
    # shellcheck disable=SC2016 # $1 belongs to the inner bash
    timeout 20 bash -c 'echo >"$1"' _ "$fifo"
  else
    verdict="guest_base=unknown: the program never wrote its pid"
  fi
  wait "$job"
  local got=$?
  { cat "$dir/actual.prog"; echo "$verdict"; } >"$dir/actual"
  local ok=0
  if [ "$got" = 0 ] && cmp -s "$dir/expected" "$dir/actual"; then ok=1; fi
  report "$full" "$ok" "$dir/expected" "$dir/actual" "$dir/stderr" 0 "$got"
  rm -f "$pidfile" "$fifo"
}

# shellcheck source=cases.sh
. "$here/cases.sh"

if [ "$list" = 1 ]; then
  LISTING=1
  for ARCH in "${arches[@]}"; do
    NATIVE=$native
    GUEST_NATIVE=0
    Q=/usr/local/bin/qemu-$ARCH
    QS=$Q-setid
    set_arch_vars
    define_cases
  done
  exit 0
fi
LISTING=0

# Preconditions ------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (chroot, mount)"
CHROOT=$(command -v chroot) || die "chroot not found"
for tool in timeout env mountpoint findmnt readelf mkfifo diff cmp; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
# binfmt_misc: no handler may run a guest architecture's programs, or the guest's children would
# run anyway and the suite would prove nothing about the option (the check is shared by every
# suite). It comes first: a case that never ran must not look like a pass.
if [ "$native" = 0 ]; then
  "$here/../lib/no-binfmt.sh" "${arches[@]}" || die "a binfmt_misc handler can run guest programs (above): refusing to run"
  for a in "${arches[@]}"; do
    [ -f "$emu_dir/qemu-$a" ] || die "$emu_dir/qemu-$a not found"
    file_type=$(od -An -N20 -tx1 "$emu_dir/qemu-$a" | tr -d ' \n')
    # ELF, 64-bit, little endian ... e_machine 0x3e (x86-64)
    if [[ $file_type != 7f454c460201* ]] || [ "${file_type:36:4}" != 3e00 ]; then
      die "$emu_dir/qemu-$a is not an x86-64 ELF"
    fi
    if readelf -lW "$emu_dir/qemu-$a" | grep -q 'Requesting program interpreter'; then
      die "$emu_dir/qemu-$a is dynamically linked; the guest root has no host libraries"
    fi
  done
fi

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-guest.XXXXXX")
cleanup() {
  umount_all
  if [ "$keep" = 1 ]; then
    echo "kept $RUN_DIR"
  else
    # The roots never have anything mounted at this point; stay on this file system anyway.
    rm -rf --one-file-system "$RUN_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ARCH in "${arches[@]}"; do
  NATIVE=$native
  ROOT=$RUN_DIR/$ARCH/root
  CASES_DIR=$RUN_DIR/$ARCH/cases
  mkdir -p "$CASES_DIR"
  if ! "$here/make-root.sh" "$(debian_arch "$ARCH")" "$ROOT"; then
    echo "FAIL $ARCH/make-root"
    FAILED=$((FAILED + 1))
    continue
  fi
  # Set-ID programs in the root only gain their ids if its file system allows it.
  ROOT_NOSUID=0
  if findmnt -n -o OPTIONS -T "$ROOT" | tr , '\n' | grep -qx nosuid; then ROOT_NOSUID=1; fi
  GUEST_NATIVE=0
  if [ "$NATIVE" = 0 ]; then
    Q=/usr/local/bin/qemu-$ARCH
    cp "$emu_dir/qemu-$ARCH" "$ROOT$Q"
    chmod 755 "$ROOT$Q"
    # The emulator that -execve-setid names: the same bytes, setuid root.
    QS=$Q-setid
    cp "$ROOT$Q" "$ROOT$QS"
    chown 0:0 "$ROOT$QS"
    chmod 4755 "$ROOT$QS"
    # Can the host kernel run guest programs itself (i386 on a kernel with IA-32 emulation)?
    # Without the option they then run natively instead of failing (the control cases).
    if timeout 20 env -i "$CHROOT" "$ROOT" /t/probe </dev/null >/dev/null 2>&1; then
      # shellcheck disable=SC2034 # read by cases.sh
      GUEST_NATIVE=1
      echo "note: the host kernel runs $ARCH programs itself"
    fi
  else
    Q='' QS=''
  fi
  set_arch_vars
  define_cases
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
