#!/usr/bin/env bash
# Done-when check of the -execve patch: a Debian bookworm arm64 root made with
# `debootstrap --foreign` completes `debootstrap --second-stage` in a chroot, every program in
# it run through the emulator with -execve, no binfmt_misc.
#   second-stage.sh --emulator DIR   (DIR holds qemu-aarch64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/../.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
emu_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --emulator) emu_dir=$2; shift 2 ;;
    *) echo "second-stage.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$emu_dir/qemu-aarch64" ] || { echo "usage: second-stage.sh --emulator DIR (with qemu-aarch64)" >&2; exit 2; }
# With a binfmt_misc handler for aarch64 this test would pass without the patch.
"$root_dir/tests/lib/no-binfmt.sh" aarch64 || { echo "0 passed, 1 failed"; exit 1; }

# The first stage needs no emulation; keep its result between runs.
mirror=$("$root_dir/scripts/debian-mirror.sh")
first="$cache_dir/debootstrap/bookworm-arm64-foreign.tar"
if [ ! -f "$first" ]; then
  mkdir -p "$(dirname "$first")"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-first.XXXXXX")
  echo "==> debootstrap --foreign bookworm arm64 from $mirror"
  debootstrap --foreign --arch=arm64 --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 || {
    tail -n 30 "$tmp/log" >&2; rm -rf "$tmp"; exit 1; }
  tar -C "$tmp/root" -cf "$first.part" .
  mv "$first.part" "$first"
  rm -rf "$tmp"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-second.XXXXXX")
root="$work/root"
cleanup() {
  # The second stage mounts /proc (and maybe more) inside the root: unmount before removing.
  for m in $(awk -v r="$root" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$root"
tar -C "$root" -xf "$first"
install -D -m 755 "$emu_dir/qemu-aarch64" "$root/usr/local/bin/qemu-aarch64"
emu=/usr/local/bin/qemu-aarch64
echo "==> debootstrap --second-stage under qemu-aarch64 -execve"
start=$(date +%s)
if ! chroot "$root" $emu -execve $emu /bin/sh /debootstrap/debootstrap --second-stage >"$work/log" 2>&1; then
  tail -n 40 "$work/log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 40 "$root/debootstrap/debootstrap.log" >&2
  echo "FAIL debootstrap-second-stage"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "    took $(( $(date +%s) - start )) s"
got=$(chroot "$root" $emu -execve $emu /bin/sh -c 'dpkg --print-architecture; uname -m; test -d /debootstrap && echo leftover || echo complete')
want=$'arm64\naarch64\ncomplete'
if [ "$got" = "$want" ]; then
  echo "PASS debootstrap-second-stage"
  echo "1 passed, 0 failed"
else
  printf 'FAIL debootstrap-second-stage: got\n%s\nwant\n%s\n' "$got" "$want"
  echo "0 passed, 1 failed"
  exit 1
fi
