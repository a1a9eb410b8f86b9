#!/usr/bin/env bash
# Regenerate patches/qemu-<series>.patch from the shared sources in patches/src/ and the
# per-series hooks in patches/hooks/, against the pristine QEMU source of each series.
#   make-patches.sh [--check] [SERIES...]   (default: every series in patches/series.json)
# --check: write nothing; fail if a committed patch differs from what would be generated.
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
mapfile -t all < <(node -e 'console.log(Object.keys(require(process.argv[1]).series).join("\n"))' "$root/patches/series.json")
[ $# -gt 0 ] || set -- "${all[@]}"
"$here/fetch-qemu-sources.sh" "$cache_dir/sources" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-patches.XXXXXX")
trap 'rm -rf "$work"' EXIT
for series in "$@"; do
  orig=$(node -e 'console.log(require(process.argv[1]).series[process.argv[2]].debian.orig)' "$root/patches/series.json" "$series")
  tree="$work/$series"
  mkdir -p "$tree"
  tar -xf "$cache_dir/sources/$orig" -C "$tree" --strip-components=1 --wildcards '*/linux-user'
  git -C "$tree" init -q
  git -C "$tree" add -A
  git -C "$tree" -c user.name=x -c user.email=x@x commit -qm pristine
  git -C "$tree" apply --whitespace=nowarn "$root/patches/hooks/qemu-$series.diff"
  cp "$root"/patches/src/* "$tree/linux-user/"
  git -C "$tree" add -A
  git -C "$tree" diff --cached --no-color >"$work/qemu-$series.patch"
  if [ "$check" = 1 ]; then
    if cmp -s "$work/qemu-$series.patch" "$root/patches/qemu-$series.patch"; then
      echo "PASS patches/qemu-$series.patch is generated from patches/src and patches/hooks"
      ok=$((${ok:-0} + 1))
    else
      echo "FAIL patches/qemu-$series.patch differs from patches/src + patches/hooks (run scripts/make-patches.sh)"
      status=1
      bad=$((${bad:-0} + 1))
    fi
  else
    mv "$work/qemu-$series.patch" "$root/patches/qemu-$series.patch"
    echo "==> patches/qemu-$series.patch"
  fi
done
[ "$check" = 0 ] || echo "${ok:-0} passed, ${bad:-0} failed"
exit "${status:-0}"
