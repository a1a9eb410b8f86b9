#!/usr/bin/env bash
# An upstream-shaped QEMU 10.2.2 source for the hosted-runner test, printed as "FILE SHA256".
#
# QEMU's release tarballs carry meson and pycotap as wheels in python/wheels/, which configure
# installs into its own venv, so a release needs no system meson. Debian's orig tarball is the
# same source with python/wheels/ emptied, and qemu.org cannot be reached from here, so the
# fixture is Debian's orig tarball plus, appended to the tar stream:
#   python/wheels/meson-<v>-py3-none-any.whl    made from this machine's meson package (trixie)
#   python/wheels/pycotap-<v>-py3-none-any.whl  made from its python3-pycotap package
#   pythondeps.toml                             the [meson] group's "installed" versions set to
#                                               those wheels' (QEMU 10.2.2 names meson 1.9.0)
#   pc-bios/dtb/*.dtb                           the device-tree blobs a release carries (Debian
#                                               drops them), compiled here from the tree's own
#                                               .dts with dtc, as QEMU's build would
# Nothing else changes. GNU tar extracts members in order, so the appended pythondeps.toml
# replaces the original. Cached under the cache dir, keyed on everything that goes in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
py=/usr/bin/python3

read -r orig orig_sha < <(node -e 'const s = require(process.argv[1]).series["10.2"];
  console.log(s.debian.orig, s.debian.sha256)' "$root/patches/series.json")
[ -f "$cache_dir/sources/$orig" ] || "$root/scripts/fetch-qemu-sources.sh" "$cache_dir/sources" >/dev/null
read -r meson_dir meson_v pycotap_dir pycotap_v < <("$py" -c '
import importlib.metadata as m, os, mesonbuild, pycotap
print(os.path.dirname(mesonbuild.__file__), m.version("meson"), os.path.dirname(pycotap.__file__), m.version("pycotap"))') ||
  { echo "make-source.sh: needs meson and python3-pycotap installed for $py (scripts/setup.sh)" >&2; exit 2; }

command -v dtc >/dev/null || { echo "make-source.sh: needs dtc (device-tree-compiler)" >&2; exit 2; }
key=$( { echo "$orig_sha meson $meson_v pycotap $pycotap_v $(dtc --version)"; sha256sum "$here/make-source.sh" "$here/wheel.py"; } | sha256sum | cut -c1-16)
out=$cache_dir/hosted-runner/qemu-10.2.2-upstream-shaped-$key.tar.gz
if [ ! -f "$out" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-src-fixture.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  top=$(set +o pipefail; tar -tJf "$cache_dir/sources/$orig" | head -n 1 | cut -d/ -f1)
  mkdir -p "$work/add/$top/python/wheels"
  "$py" "$here/wheel.py" "$work/add/$top/python/wheels" meson "$meson_v" "$meson_dir" meson=mesonbuild.mesonmain:main >/dev/null
  "$py" "$here/wheel.py" "$work/add/$top/python/wheels" pycotap "$pycotap_v" "$pycotap_dir" >/dev/null
  tar -xJf "$cache_dir/sources/$orig" -C "$work/add" "$top/pythondeps.toml"
  tar -xJf "$cache_dir/sources/$orig" -C "$work" --wildcards "$top/pc-bios/dtb/*.dts"
  mkdir -p "$work/add/$top/pc-bios/dtb"
  for dts in "$work/$top/pc-bios/dtb/"*.dts; do
    dtc -q -I dts -O dtb -o "$work/add/$top/pc-bios/dtb/$(basename "${dts%.dts}").dtb" "$dts"
  done
  "$py" - "$work/add/$top/pythondeps.toml" "$meson_v" "$pycotap_v" <<'PY'
import re, sys
path, meson, pycotap = sys.argv[1:]
text = open(path).read()
group = re.search(r"^\[meson\]\n(.*?)(?=^\[)", text, re.S | re.M)
body = re.sub(r'^(meson = \{.*installed = ")[^"]+', rf"\g<1>{meson}", group.group(1), flags=re.M)
body = re.sub(r'^(pycotap = \{.*installed = ")[^"]+', rf"\g<1>{pycotap}", body, flags=re.M)
if body == group.group(1) and (meson, pycotap) != ("1.9.0", "1.3.1"):
    sys.exit("pythondeps.toml: the [meson] group's installed versions were not found")
open(path, "w").write(text[:group.start(1)] + body + text[group.end(1):])
PY
  xz -dc "$cache_dir/sources/$orig" >"$work/src.tar"
  tar -rf "$work/src.tar" -C "$work/add" --owner=0 --group=0 "$top/python/wheels" "$top/pythondeps.toml" "$top/pc-bios/dtb"
  mkdir -p "$(dirname "$out")"
  gzip -1 -c "$work/src.tar" >"$out.part"
  mv "$out.part" "$out"
fi
echo "$out $(sha256sum "$out" | cut -d' ' -f1)"
