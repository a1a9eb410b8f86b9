#!/usr/bin/env bash
# One-time machine set-up for developing and testing anyarch-action on Debian/Ubuntu (as root):
# Docker daemon + buildx, QEMU build dependencies, cross compilers for guest test programs
# (aarch64, arm, i386, ppc64le, s390x, riscv64, mips64el), foreign dpkg architectures,
# Debian source lines, and the QEMU source tarballs of every supported series.
# Idempotent: a second run only checks and starts what is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
log() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh must run as root (it installs packages and starts dockerd)" >&2
  exit 1
fi

# --- apt sources -----------------------------------------------------------
# Reuse the archive URI and key that apt already trusts for Debian's main archive.
uris=$("$here/debian-mirror.sh")
sources=/etc/apt/sources.list.d/debian.sources
keyring=""
[ -f "$sources" ] && keyring=$(awk '/^Signed-By:/{print $2; exit}' "$sources")
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

changed=0
write_if_different() { # file content
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then printf '%s\n' "$2" >"$1"; changed=1; fi
}
write_if_different /etc/apt/sources.list.d/anyarch-src.sources "Types: deb-src
URIs: $uris
Suites: bookworm trixie sid
Components: main
Signed-By: $keyring"
# trixie binaries for meson >= 1.5 and docker-buildx, pinned low so nothing else upgrades.
write_if_different /etc/apt/sources.list.d/anyarch-trixie.sources "Types: deb
URIs: $uris
Suites: trixie
Components: main
Signed-By: $keyring"
write_if_different /etc/apt/preferences.d/anyarch-trixie "Package: *
Pin: release n=trixie
Pin-Priority: 100"

# Guest architectures whose busybox-static and libc6 the guest suite and the image tests unpack.
# Debian bookworm has no riscv64 port: its packages come from the trixie lines above only.
for a in arm64 armhf i386 ppc64el s390x riscv64 mips64el; do
  if ! dpkg --print-foreign-architectures | grep -qx "$a"; then dpkg --add-architecture "$a"; changed=1; fi
done

stamp=/var/lib/apt/lists/.anyarch-updated
if [ "$changed" = 1 ] || [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
  log "apt-get update"
  apt-get update -q || log "apt-get update reported errors (continuing; missing packages will fail below)"
  touch "$stamp"
fi

# --- packages --------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
need=()
for p in docker.io ninja-build pkg-config libglib2.0-dev python3-venv python3-pycotap \
         device-tree-compiler gcc make git xz-utils bzip2 ca-certificates curl debootstrap \
         gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross \
         gcc-i686-linux-gnu gcc-powerpc64le-linux-gnu gcc-s390x-linux-gnu gcc-riscv64-linux-gnu \
         gcc-mips64el-linux-gnuabi64 libc6-dev-i386-cross libc6-dev-ppc64el-cross \
         libc6-dev-s390x-cross libc6-dev-riscv64-cross libc6-dev-mips64el-cross \
         dpkg-dev file docker-registry iproute2 runc openssh-client \
         uidmap rootlesskit slirp4netns; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
trixie_need=()
meson_ok=0
if command -v meson >/dev/null && dpkg --compare-versions "$(meson --version)" ge 1.5; then meson_ok=1; fi
[ "$meson_ok" = 1 ] || trixie_need+=(meson)
dpkg-query -W -f='${Status}' docker-buildx 2>/dev/null | grep -q 'ok installed' || trixie_need+=(docker-buildx)
if [ ${#trixie_need[@]} -gt 0 ]; then
  log "installing from trixie: ${trixie_need[*]}"
  apt-get install -y -q --no-install-recommends -t trixie "${trixie_need[@]}"
fi

# --- rootless Docker ------------------------------------------------------
# slirp4netns, which gives a rootless dockerd its network, opens /dev/net/tun as the user; some
# machines (containers, VM images) ship it root-only (0600) where stock systems have 0666. A
# device node: the mode does not survive a reboot, and a second run of this script restores it.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  log "chmod 666 /dev/net/tun (was $(stat -c %a /dev/net/tun); stock machines have 0666)"
  chmod 666 /dev/net/tun
fi

# --- dockerd ---------------------------------------------------------------
"$here/start-dockerd.sh"
# Docker 26 beside it, once per image store, for the image tests of today's Docker.
for store in classic containerd; do
  log "Docker 26 ($store image store): $("$here/start-dockerd26.sh" "$store")"
done

# --- QEMU sources ----------------------------------------------------------
"$here/fetch-qemu-sources.sh" "$cache_dir/sources"

log "setup complete"
