#!/usr/bin/env bash
# Unpack a runner-like root (make-root.sh) into DIR/root and set it up as a hosted runner is:
#   user runner (uid 1001) in the docker group (the host socket's gid) with passwordless sudo,
#   as GitHub's runner images have it; user nosudo (uid 1002), docker group, no sudo at all;
#   the action checked out at /home/runner/action (action.yml, dist/, patches/), an empty tool
#   cache at /opt/hostedtoolcache owned by runner, and each user's work/_temp.
#   prepare.sh ROOT_TARBALL DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: prepare.sh ROOT_TARBALL DIR" >&2; exit 2; }
tarball=$1 dir=$2
r=$dir/root
mkdir -p "$r"
tar -C "$r" -xf "$tarball"
gid=$(stat -c %g "${DOCKER_SOCKET:-/var/run/docker.sock}")
# Another group of the root may have that gid already: docker shares it (-o).
chroot "$r" groupadd -o -g "$gid" docker
for u in runner:1001 nosudo:1002; do
  chroot "$r" useradd -m -s /bin/bash -u "${u#*:}" -G docker "${u%%:*}"
  install -d -o "${u#*:}" -g "${u#*:}" "$r/home/${u%%:*}/work/_temp" "$r/home/${u%%:*}/work/_files"
done
printf 'runner ALL=(ALL) NOPASSWD:ALL\n' >"$r/etc/sudoers.d/runner"
chmod 440 "$r/etc/sudoers.d/runner"
install -d -o 1001 -g 1001 "$r/opt/hostedtoolcache"
# sudo looks up the machine's own name.
grep -qs "^127.0.1.1" "$r/etc/hosts" || echo "127.0.1.1 $(hostname)" >>"$r/etc/hosts"
a=$r/home/runner/action
mkdir -p "$a"
cp -a "$project/action.yml" "$project/dist" "$project/patches" "$a/"
chmod -R a+rX "$a"
