#!/usr/bin/env bash
# The series' patch applies to the pristine QEMU source, with the command the action runs
# (src/qemu/build.ts: patch -p1 --fuzz=0 ...), every time: it takes seconds, where the emulator
# stage after it may only find its emulators in the tool cache.
#   applies.sh --series 10.2 [--patch FILE]   (FILE: another patch to try, for the self-test)
# Only the files the patch touches are unpacked. Ends with `N passed, N failed`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
series="" patch_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --patch) patch_file=$2; shift 2 ;;
    *) echo "applies.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$series" ] || { echo "usage: applies.sh --series X.Y [--patch FILE]" >&2; exit 2; }
read -r orig patch < <(node -e '
  const s = require(process.argv[1]).series[process.argv[2]];
  if (!s) { console.error("unknown series " + process.argv[2]); process.exit(2); }
  console.log(s.debian.orig, s.patch);
' "$root/patches/series.json" "$series")
patch_file=${patch_file:-$root/patches/$patch}
[ -f "$cache_dir/sources/$orig" ] || "$root/scripts/fetch-qemu-sources.sh" "$cache_dir/sources" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-applies.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Files the patch changes (new files come from /dev/null and need nothing unpacked).
mapfile -t files < <(awk '/^--- a\// {print substr($2, 3)}' "$patch_file" | sort -u)
mkdir "$work/src"
if [ ${#files[@]} -gt 0 ]; then
  tar -xf "$cache_dir/sources/$orig" -C "$work/src" --strip-components=1 --wildcards "${files[@]/#/*/}"
fi
name="QEMU $series: $(basename "$patch_file") applies to $orig"
if out=$(patch -p1 --fuzz=0 --no-backup-if-mismatch --forward --batch -d "$work/src" -i "$patch_file" 2>&1); then
  echo "PASS $name (${#files[@]} files changed)"
  echo "1 passed, 0 failed"
else
  echo "FAIL $name"
  sed 's/^/    /' <<<"$out" | tail -n 20
  echo "0 passed, 1 failed"
  exit 1
fi
