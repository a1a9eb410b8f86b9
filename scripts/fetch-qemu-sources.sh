#!/usr/bin/env bash
# Download Debian's orig tarball of every QEMU series in patches/series.json into DIR
# (apt verifies them through Debian's signed indexes) and check them against our pinned sha256.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: fetch-qemu-sources.sh DIR}
mkdir -p "$dir"
node -e '
  const s = require(process.argv[1]).series;
  for (const k of Object.keys(s)) { const d = s[k].debian; console.log(d.version, d.orig, d.sha256); }
' "$here/../patches/series.json" | while read -r version orig sha; do
  if [ -f "$dir/$orig" ] && echo "$sha  $dir/$orig" | sha256sum -c --status; then
    echo "==> $orig present"
    continue
  fi
  echo "==> fetching qemu=$version"
  work=$(mktemp -d "$dir/.fetch.XXXXXX")
  (cd "$work" && apt-get source --download-only -q "qemu=$version" >/dev/null)
  if ! echo "$sha  $work/$orig" | sha256sum -c --status; then
    echo "sha256 of $orig is $(sha256sum "$work/$orig" | cut -d' ' -f1), expected $sha" >&2
    rm -rf "$work"
    exit 1
  fi
  mv "$work/$orig" "$dir/$orig"
  rm -rf "$work"
done
