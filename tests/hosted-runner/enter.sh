#!/usr/bin/env bash
# Run a command in a runner-like root (from make-root.sh, unpacked) as one of its users, the way
# a runner runs an action: in a mount and PID namespace of its own, with /proc, /dev and the
# host's Docker socket mounted in, the host's DNS settings, and nothing of the host's
# environment but what is passed.
#   enter.sh ROOT USER [VAR=VALUE...] -- CMD...
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: enter.sh ROOT USER [VAR=VALUE...] -- CMD..." >&2; exit 2; }
root=$1 user=$2
shift 2
vars=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "enter.sh: missing --" >&2; exit 2; }
shift
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
[ -S "$socket" ] || { echo "enter.sh: no Docker socket at $socket" >&2; exit 2; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --pid --fork --propagation private bash -c '
  set -e
  root=$1 user=$2 socket=$3
  shift 3
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  touch "$root/run/docker.sock"
  mount --bind "$socket" "$root/run/docker.sock"
  exec chroot "$root" runuser -u "$user" -- "$@"' _ "$root" "$user" "$socket" \
  env -i PATH=/usr/local/bin:/usr/bin:/bin "HOME=/home/$user" "USER=$user" ${vars[@]+"${vars[@]}"} "$@"
