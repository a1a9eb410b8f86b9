#!/usr/bin/env bash
# The patch's own sources (patches/src/*.c, *.h) pass QEMU's scripts/checkpatch.pl with no
# error and no warning, as a patch sent to qemu-devel must. checkpatch.pl comes from the
# newest series' Debian orig tarball (the one the other patch checks use), extracted once into
# the cache; a second run reads only the cache.
#   checkpatch.sh [--list] [--series X.Y] [FILE...]   (FILE: other files to check, for the
#                                                      self-test; default patches/src/*.[ch])
# One case per file. Ends with `N passed, N failed`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
series="" list=0 files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=1; shift ;;
    --series) series=$2; shift 2 ;;
    -*) echo "checkpatch.sh: unknown argument '$1'" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
if [ ${#files[@]} = 0 ]; then
  mapfile -t files < <(cd "$root" && ls patches/src/*.c patches/src/*.h)
fi
name_of() { echo "checkpatch.pl: ${1#"$root"/} has no errors or warnings"; }
if [ "$list" = 1 ]; then
  for f in "${files[@]}"; do name_of "$f"; done
  exit 0
fi

# Every case failed, with why: the stage then shows failures rather than a missing count.
give_up() {
  echo "checkpatch.sh: $*" >&2
  for f in "${files[@]}"; do echo "FAIL $(name_of "$f")"; done
  echo "0 passed, ${#files[@]} failed"
  exit 1
}

read -r version orig sha < <(node -e '
  const all = require(process.argv[1]).series;
  const k = process.argv[2] || Object.keys(all)[0];
  const s = all[k];
  if (!s) { console.error("unknown series " + k); process.exit(2); }
  console.log(s.version, s.debian.orig, s.debian.sha256);
' "$root/patches/series.json" "$series")
script="$cache_dir/checkpatch/qemu-$version-${sha:0:16}/checkpatch.pl"
if [ ! -f "$script" ]; then
  if [ ! -f "$cache_dir/sources/$orig" ]; then
    "$root/scripts/fetch-qemu-sources.sh" "$cache_dir/sources" >/dev/null ||
      give_up "cannot get $orig (scripts/fetch-qemu-sources.sh failed), so no checkpatch.pl"
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-checkpatch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Only the top-level scripts/checkpatch.pl (roms/u-boot has one of its own).
  tar -xf "$cache_dir/sources/$orig" -C "$tmp" --strip-components=1 --wildcards \
      --no-wildcards-match-slash '*/scripts/checkpatch.pl' 2>"$tmp/err" ||
    give_up "no scripts/checkpatch.pl in $orig: $(cat "$tmp/err")"
  mkdir -p "$(dirname "$script")"
  mv "$tmp/scripts/checkpatch.pl" "$script.part"
  mv "$script.part" "$script"
fi

passed=0 failed=0
for f in "${files[@]}"; do
  path=$f
  [[ $path = /* ]] || path=$root/$f
  # -f: a source file rather than a patch; --no-tree: no QEMU tree around it; --strict: a
  # warning fails too.
  set +e
  out=$(perl "$script" --no-tree --strict --color=never -f "$path" 2>&1)
  rc=$?
  set -e
  total=$(grep -E '^total: [0-9]+ errors, [0-9]+ warnings' <<<"$out" | tail -n 1)
  if [ "$rc" = 0 ] && [[ $total == "total: 0 errors, 0 warnings,"* ]]; then
    echo "PASS $(name_of "$f")"
    passed=$((passed + 1))
  else
    echo "FAIL $(name_of "$f") (${total:-no summary}, exit $rc)"
    sed 's/^/    /' <<<"$out" | head -n 60
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
