#!/usr/bin/env bash
# Patched static QEMU linux-user emulators for the tests and for development, built by the
# action's own code (its CLI with `--build false`), so the tests, the demo and the action share
# one implementation and one tool cache:
#   ${RUNNER_TOOL_CACHE:-${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/tool-cache}
# Each emulator is cached on its own: a second run compiles nothing, and a run asking for
# targets that an earlier build already made compiles only the missing ones, all in one build.
#
#   build-qemu.sh --series 10.2 --targets aarch64,arm --out DIR
#   build-qemu.sh --series 10.2 --targets aarch64 --out DIR --unpatched   (upstream QEMU, no patch)
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
[ -f "$cache_dir/sources/$orig" ] || "$here/fetch-qemu-sources.sh" "$cache_dir/sources"
mkdir -p "$out"

if [ "$patched" = 1 ]; then
  log=$(mktemp "${TMPDIR:-/tmp}/anyarch-build-qemu.XXXXXX")
  trap 'rm -f "$log"' EXIT
  echo "==> QEMU $version for $targets (through the action's CLI)"
  if ! ANYARCH_CACHE_DIR=$cache_dir node "$root/dist/cli/index.js" --arch "$targets" --qemu-version "$version" \
      --qemu-source debian --install-deps never --build false >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    exit 1
  fi
  grep -E '^(Emulator|qemu-|Built|Compiling|  [0-9]+%)' "$log" || true
  dir=$(sed -n 's/^qemu-path=//p' "$log" | tail -n 1)
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "the CLI printed no qemu-path" >&2; tail -n 20 "$log" >&2; exit 1; }
  for t in ${targets//,/ }; do cp "$dir/qemu-$t" "$out/qemu-$t"; done
  echo "==> $out: $(cd "$out" && ls | paste -sd" " -)"
  exit 0
fi

# Upstream QEMU without the patch, for comparing: its own small cache, same flags as the action.
target_list=$(echo "$targets" | tr ',' '\n' | sed 's/$/-linux-user/' | paste -sd, -)
flags=(--static "--target-list=$target_list" --without-default-features --disable-system
       --disable-tools --disable-docs --disable-werror --disable-install-blobs --disable-plugins)
case "$version" in 7.*) ;; *) flags+=(--python=/usr/bin/python3) ;; esac
key=$( { echo "$version $sha unpatched"; echo "${flags[*]}"; } | sha256sum | cut -c1-16)
dest="$cache_dir/qemu-unpatched/$version-$key"
if [ ! -f "$dest/.complete" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-qemu.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "==> building QEMU $version ($targets, unpatched) in $work"
  tar -xf "$cache_dir/sources/$orig" -C "$work"
  src=$(echo "$work"/qemu-*)
  mkdir "$src/build"
  (cd "$src/build" && ../configure "${flags[@]}" >"$work/configure.log" 2>&1) || {
    tail -n 40 "$work/configure.log" >&2; exit 1; }
  # shellcheck disable=SC2046
  (cd "$src/build" && ninja -j"$(nproc)" $(echo "$targets" | tr ',' '\n' | sed 's/^/qemu-/') >"$work/build.log" 2>&1) || {
    tail -n 60 "$work/build.log" >&2; exit 1; }
  tmpdest="$dest.tmp.$$"
  rm -rf "$tmpdest"; mkdir -p "$tmpdest"
  for t in ${targets//,/ }; do strip -o "$tmpdest/qemu-$t" "$src/build/qemu-$t"; done
  touch "$tmpdest/.complete"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"; mv "$tmpdest" "$dest"
fi
for t in ${targets//,/ }; do cp "$dest/qemu-$t" "$out/qemu-$t"; done
echo "==> $out: $(cd "$out" && ls | paste -sd" " -)"
