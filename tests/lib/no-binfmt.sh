#!/usr/bin/env bash
# The one check, for every test suite, that no binfmt_misc handler can run guest programs:
# with one, the emulation tests would pass without the -execve patch and prove nothing.
#
#   no-binfmt.sh [-q] [--elf FILE] ARCH...     (QEMU's arch names: aarch64 arm riscv64 ...)
#
# For each ARCH, three checks; any that fails is fatal (exit 1, with what was found):
#  1. no entry named qemu-ARCH in any binfmt_misc mounted in this mount namespace;
#  2. no entry in them (whatever its name, enabled or not, with or without a mask) whose magic
#     matches the first bytes of a static ARCH program;
#  3. executing that program from the host fails with ENOEXEC ("Exec format error"). This one
#     also catches a handler this namespace cannot see: a binfmt_misc mounted only in another
#     mount namespace, or the private instance of a user namespace (Linux 6.7 and later).
#     Where the host kernel runs ARCH itself (i386 on x86-64) it cannot tell: checks 1 and 2 only.
# The program is FILE (one ARCH only), or one built once with ARCH's cross compiler and kept
# under ${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/binfmt-probe.
# Exit status: 0 none found, 1 a handler can run ARCH programs, 2 bad usage or no program.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=arches.sh
. "$here/arches.sh"
usage() { printf 'no-binfmt.sh: %s\n' "$*" >&2; exit 2; }
found() { printf 'no-binfmt.sh: %s\n' "$*" >&2; exit 1; }

quiet=0 elf=
arches=()
while [ $# -gt 0 ]; do
  case "$1" in
    -q) quiet=1; shift ;;
    --elf) [ $# -ge 2 ] || usage "--elf needs a file"; elf=$2; shift 2 ;;
    -*) usage "unknown option $1" ;;
    *) arches+=("$1"); shift ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || usage "usage: no-binfmt.sh [-q] [--elf FILE] ARCH..."
[ -z "$elf" ] || [ ${#arches[@]} -eq 1 ] || usage "--elf goes with one ARCH"

# probe_elf ARCH: a static program for ARCH, built once.
probe_elf() {
  local deb cc dir out
  deb=$(debian_arch "$1") || usage "unknown arch '$1' (${GUEST_ARCHES[*]})"
  cc=$(cross_cc "$deb")
  dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/binfmt-probe
  out=$dir/exit0-$1
  if [ ! -x "$out" ] || [ "$here/exit0.c" -nt "$out" ]; then
    command -v "$cc" >/dev/null || usage "$cc not found: it builds the $1 program this check executes (scripts/setup.sh installs it)"
    mkdir -p "$dir"
    "$cc" -static -Os -o "$out.$$" "$here/exit0.c" || usage "$cc could not build a static $1 program"
    mv "$out.$$" "$out"
  fi
  printf '%s\n' "$out"
}

# Every binfmt_misc mounted in this mount namespace (usually none, or /proc/sys/fs/binfmt_misc).
mapfile -t dirs < <(awk '$3 == "binfmt_misc" {print $2}' /proc/self/mounts | sort -u)

# magic_matches HEX_SAMPLE ENTRY_FILE: does the entry's magic (under its mask, if any) match?
magic_matches() {
  local sample=$1 entry=$2 magic mask offset i k m
  magic=$(awk '$1 == "magic" {print $2}' "$entry")
  mask=$(awk '$1 == "mask" {print $2}' "$entry")
  offset=$(awk '$1 == "offset" {print $2}' "$entry")
  [ -n "$magic" ] || return 1 # an extension entry: it matches file names, not contents
  [[ $offset =~ ^[0-9]+$ ]] || offset=0
  for ((i = 0; i < ${#magic}; i += 2)); do
    k=$((offset * 2 + i))
    [ "$k" -lt ${#sample} ] || return 1
    # No mask line means every bit counts.
    m=255
    [ -z "$mask" ] || m=$((16#${mask:i:2}))
    [ $((16#${sample:k:2} & m)) -eq $((16#${magic:i:2} & m)) ] || return 1
  done
  return 0
}

for arch in "${arches[@]}"; do
  debian_arch "$arch" >/dev/null || usage "unknown arch '$arch' (${GUEST_ARCHES[*]})"
  prog=${elf:-$(probe_elf "$arch")} || exit 2
  [ -f "$prog" ] || usage "$prog not found"
  sample=$(od -An -N256 -tx1 -v "$prog" | tr -d ' \n')
  for d in ${dirs[@]+"${dirs[@]}"}; do
    if [ -e "$d/qemu-$arch" ]; then
      found "binfmt_misc handler $d/qemu-$arch is registered; remove it (echo -1 > $d/qemu-$arch)"
    fi
    for entry in "$d"/*; do
      case "${entry##*/}" in register | status) continue ;; esac
      [ -f "$entry" ] || continue
      if magic_matches "$sample" "$entry"; then
        found "binfmt_misc handler $entry matches $arch programs ($(head -n 1 "$entry"), interpreter $(awk '$1 == "interpreter" {print $2}' "$entry")); remove it (echo -1 > $entry)"
      fi
    done
  done
  how="no handler in ${#dirs[@]} binfmt_misc mount(s)"
  if host_runs_natively "$arch"; then
    how+=", the kernel runs $arch programs itself (exec check not applicable)"
  else
    chmod 755 "$prog" 2>/dev/null
    # execv(2) itself, with no shell fallback on ENOEXEC (as execvp and perl's exec have): the
    # kernel's errno, or nothing if the program ran.
    errno=$(python3 -c 'import os, sys
try:
    os.execv(sys.argv[1], sys.argv[1:])
except OSError as e:
    print(e.errno)' "$prog" 2>&1)
    if [ "$errno" != 8 ]; then
      what="it ran"
      [ -z "$errno" ] || what="errno $errno"
      found "executing a static $arch program ($prog) from the host did not fail with ENOEXEC ($what): the kernel applies a binfmt_misc handler for $arch that this namespace does not show (mounted elsewhere, or in a user namespace's own binfmt_misc). Remove it before running the tests."
    fi
    how+=", exec gives ENOEXEC"
  fi
  [ "$quiet" = 1 ] || echo "no binfmt_misc handler for $arch: $how"
done
exit 0
