#!/usr/bin/env bash
# Build patched static QEMU linux-user emulators from a Debian orig tarball, for tests and
# development (the action itself builds through src/qemu/). Results are cached by a key over
# the source, the patch, the configure flags and this script, so a second run compiles nothing.
#
#   build-qemu.sh --series 10.2 --targets aarch64,arm --out DIR [--unpatched]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
series="" targets="" out="" patched=1
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --unpatched) patched=0; shift ;;
    *) echo "build-qemu.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$series" ] && [ -n "$targets" ] && [ -n "$out" ] || {
  echo "usage: build-qemu.sh --series X.Y --targets a,b --out DIR [--unpatched]" >&2; exit 2; }

read -r version orig sha patch < <(node -e '
  const s = require(process.argv[1]).series[process.argv[2]];
  if (!s) { console.error("unknown series " + process.argv[2]); process.exit(1); }
  console.log(s.version, s.debian.orig, s.debian.sha256, s.patch);
' "$root/patches/series.json" "$series")
tarball="$cache_dir/sources/$orig"
[ -f "$tarball" ] || "$here/fetch-qemu-sources.sh" "$cache_dir/sources"

target_list=$(echo "$targets" | tr ',' '\n' | sed 's/$/-linux-user/' | paste -sd, -)
flags=(--static "--target-list=$target_list" --without-default-features --disable-system
       --disable-tools --disable-docs --disable-werror --disable-install-blobs --disable-plugins)
# QEMU 10.x needs a meson newer than the one it can embed from a Debian tarball.
case "$version" in 7.*) ;; *) flags+=(--python=/usr/bin/python3) ;; esac

patch_file="$root/patches/$patch"
[ "$patched" = 1 ] || patch_file=/dev/null
key=$( { echo "$version $sha"; cat "$patch_file"; echo "${flags[*]}"; cat "$0"; } | sha256sum | cut -c1-16)
dest="$cache_dir/qemu/$version-$key"
if [ ! -f "$dest/.complete" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-qemu.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "==> building QEMU $version ($targets$([ "$patched" = 1 ] || echo ', unpatched')) in $work"
  tar -xf "$tarball" -C "$work"
  src=$(echo "$work"/qemu-*)
  if [ "$patched" = 1 ]; then
    patch -d "$src" -p1 --fuzz=0 --no-backup-if-mismatch -s <"$patch_file"
  fi
  mkdir "$src/build"
  (cd "$src/build" && ../configure "${flags[@]}" >"$work/configure.log" 2>&1) || {
    tail -n 40 "$work/configure.log" >&2; exit 1; }
  ninja_targets=$(echo "$targets" | tr ',' '\n' | sed 's/^/qemu-/' | paste -sd' ' -)
  # shellcheck disable=SC2086
  (cd "$src/build" && ninja -j"$(nproc)" $ninja_targets >"$work/build.log" 2>&1) || {
    tail -n 60 "$work/build.log" >&2; exit 1; }
  tmpdest="$dest.tmp.$$"
  rm -rf "$tmpdest"; mkdir -p "$tmpdest"
  for t in ${targets//,/ }; do
    strip -o "$tmpdest/qemu-$t" "$src/build/qemu-$t"
  done
  touch "$tmpdest/.complete"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"; mv "$tmpdest" "$dest"
fi
mkdir -p "$out"
for t in ${targets//,/ }; do
  [ -f "$dest/qemu-$t" ] || { echo "cached build $dest lacks qemu-$t" >&2; exit 1; }
  cp "$dest/qemu-$t" "$out/qemu-$t"
done
echo "==> $out: $(cd "$out" && ls)"
