#!/usr/bin/env bash
# A fresh Debian 12 root shaped like a GitHub-hosted runner's machine, as far as the action
# cares, printed as the path of its tarball:
#   debootstrap --variant=minbase bookworm, plus sudo; none of QEMU's build packages (no
#   compiler, ninja, pkg-config, glib, python3, meson);
#   this machine's Node.js (the action's runtime), docker CLI and buildx plugin, copied in.
# The users, the workspace and the Docker socket are added per run by enter.sh's caller.
# Cached under the cache dir, keyed on the mirror and the copied binaries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
mirror=$("$root/scripts/debian-mirror.sh")
node=$(command -v node)
docker_cli=$(command -v docker)
buildx=""
for d in /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/local/lib/docker/cli-plugins; do
  [ -x "$d/docker-buildx" ] && { buildx=$d/docker-buildx; break; }
done
[ -n "$buildx" ] || { echo "make-root.sh: no docker-buildx plugin found (scripts/setup.sh installs it)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "make-root.sh: debootstrap is missing (scripts/setup.sh installs it)" >&2; exit 2; }

key=$( { echo "bookworm minbase sudo $mirror"; sha256sum "$here/make-root.sh" "$node" "$docker_cli" "$buildx"; } | sha256sum | cut -c1-16)
out=$cache_dir/hosted-runner/root-bookworm-$key.tar
if [ ! -f "$out" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-runner-root.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if ! debootstrap --variant=minbase --include=sudo bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
    tail -n 30 "$work/log" >&2
    exit 1
  fi
  install -m 755 "$node" "$work/root/usr/local/bin/node"
  install -m 755 "$docker_cli" "$work/root/usr/local/bin/docker"
  install -D -m 755 "$buildx" "$work/root/usr/libexec/docker/cli-plugins/docker-buildx"
  rm -rf "$work/root/var/cache/apt/archives/"*.deb
  mkdir -p "$(dirname "$out")"
  tar -C "$work/root" -cf "$out.part" .
  mv "$out.part" "$out"
fi
echo "$out"
