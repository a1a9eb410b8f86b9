#!/usr/bin/env bash
# Start Docker 26 (Debian trixie's dockerd and containerd, unpacked, not installed) beside the
# system's daemon, for the end-to-end tests of what users run today:
#
#   start-dockerd26.sh classic      the classic image store
#   start-dockerd26.sh containerd   the containerd image store (the default of new Docker 29 installs)
#
# Prints the daemon's DOCKER_HOST. Idempotent: a daemon that answers is left alone.
# Each daemon has its own containerd, data and exec roots, and its own bridge (never
# `--bridge none`: that deletes the host's docker0 under the other daemon). trixie's runc needs
# a newer glibc than bookworm's, so the system's runc runs the containers.
set -euo pipefail
die() { printf 'start-dockerd26.sh: %s\n' "$*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: start-dockerd26.sh classic|containerd"
store=$1
case "$store" in
  classic) bridge=anyarch-d26c net=10.231.0.1/24 snapshotter=false ;;
  containerd) bridge=anyarch-d26s net=10.231.1.1/24 snapshotter=true ;;
  *) die "unknown image store '$store' (classic or containerd)" ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"
command -v runc >/dev/null || die "runc is missing (apt-get install runc; docker.io brings it)"

cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
pkgroot=$cache_dir/docker26/root
dir=/run/anyarch-docker26/$store
data=/var/lib/anyarch-docker26/$store
sock=$dir/docker.sock
ctr=$dir/containerd.sock
export PATH="$pkgroot/usr/sbin:$pkgroot/usr/bin:$PATH" # its shim, docker-init and docker-proxy
answers() { DOCKER_HOST=unix://$sock docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then echo "unix://$sock"; exit 0; fi

if [ ! -x "$pkgroot/usr/sbin/dockerd" ] || [ ! -x "$pkgroot/usr/bin/containerd" ]; then
  debs=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-docker26.XXXXXX")
  (cd "$debs" && apt-get download -q docker.io/trixie containerd/trixie >/dev/null) ||
    die "apt-get download docker.io/trixie containerd/trixie failed (scripts/setup.sh adds the trixie lines)"
  rm -rf "$pkgroot.part" && mkdir -p "$pkgroot.part"
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$pkgroot.part"; done
  rm -rf "$debs" "$pkgroot" && mv "$pkgroot.part" "$pkgroot"
fi

# runs PIDFILE WORD: the process in PIDFILE is alive and its command line has WORD (a pid left by
# a killed run may have been reused by another process).
runs() { [ -f "$1" ] && { tr '\0' ' ' <"/proc/$(cat "$1")/cmdline"; } 2>/dev/null | grep -qF -- "$2"; }

mkdir -p "$dir" "$data/containerd" "$data/docker"
if ! runs "$dir/containerd.pid" "$dir/containerd.toml"; then
  # Its own sockets everywhere, and no CRI plugin (it wants CNI, and nothing here uses it).
  cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$data/containerd"
state = "$dir/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctr"
[ttrpc]
  address = "$ctr.ttrpc"
[debug]
  address = "$dir/containerd-debug.sock"
EOF
  rm -f "$ctr" "$ctr.ttrpc"
  setsid "$pkgroot/usr/bin/containerd" --config "$dir/containerd.toml" >"$dir/containerd.log" 2>&1 </dev/null &
  echo $! >"$dir/containerd.pid"
  for _ in $(seq 1 60); do [ -S "$ctr" ] && break; sleep 0.5; done
  [ -S "$ctr" ] || { tail -n 20 "$dir/containerd.log" >&2; die "containerd ($store) did not start"; }
fi

if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add name "$bridge" type bridge
  ip addr add "$net" dev "$bridge"
fi
ip link set "$bridge" up

printf '{"features": {"containerd-snapshotter": %s}}\n' "$snapshotter" >"$dir/daemon.json"
# A dockerd of ours that is up but not answering yet gets a minute; a stale pidfile would stop
# a new one from starting.
if runs "$dir/dockerd.pid" "$sock"; then
  for _ in $(seq 1 120); do answers && { echo "unix://$sock"; exit 0; }; sleep 0.5; done
  die "dockerd 26 ($store) runs (pid $(cat "$dir/dockerd.pid")) but does not answer at unix://$sock"
fi
rm -f "$sock" "$dir/dockerd.pid"
# --cgroup-parent: its containers' cgroups apart from the system daemon's /docker.
setsid "$pkgroot/usr/sbin/dockerd" --config-file "$dir/daemon.json" --data-root "$data/docker" \
  --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" -H "unix://$sock" --containerd "$ctr" \
  --bridge "$bridge" --iptables=false --ip6tables=false --cgroup-parent "/anyarch-docker26-$store" \
  >"$dir/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 120); do answers && break; sleep 0.5; done
answers || { tail -n 30 "$dir/dockerd.log" >&2; die "dockerd 26 ($store) did not answer at unix://$sock"; }
echo "unix://$sock"
