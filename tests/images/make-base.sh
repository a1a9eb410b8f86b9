#!/usr/bin/env bash
# Build a tiny guest base image from Debian packages and load it into the local Docker image
# store, for the end-to-end tests (no registry needed).
#
#   make-base.sh ARCH TAG
#
# ARCH is a Debian architecture (arm64, armhf, i386, ppc64el, s390x, riscv64, mips64el, amd64;
# dpkg must know it: dpkg --add-architecture; riscv64 comes from trixie, scripts/setup.sh adds
# all of them).
# The image holds busybox-static and libc6 of ARCH, with a symlink per busybox applet in
# /bin, so /bin/sh, ls, uname, ... exist. It is built FROM scratch with
# `docker buildx build --platform <p> --load`, so the image's config names the guest platform
# (`docker import` would mark it amd64). Does nothing when TAG already exists with that
# platform.
set -euo pipefail
die() { printf 'make-base.sh: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: make-base.sh ARCH TAG"
arch=$1 tag=$2

case "$arch" in
  arm64) platform=linux/arm64 ;;
  armhf) platform=linux/arm/v7 ;;
  amd64) platform=linux/amd64 ;;
  i386) platform=linux/386 ;;
  ppc64el) platform=linux/ppc64le ;;
  s390x) platform=linux/s390x ;;
  riscv64) platform=linux/riscv64 ;;
  mips64el) platform=linux/mips64le ;;
  *) die "unsupported ARCH '$arch'" ;;
esac
want_arch=${platform#linux/}; want_arch=${want_arch%%/*}

have=$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$tag" 2>/dev/null || true)
if [ "$have" = "linux/$want_arch" ]; then
  echo "==> $tag already present ($have)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/debs" "$work/root"
# apt downloads as the _apt user when it can.
chmod 755 "$work"; chmod 777 "$work/debs"
(cd "$work/debs" && apt-get download -q "busybox-static:$arch" "libc6:$arch" >/dev/null) ||
  die "apt-get download failed; run: dpkg --add-architecture $arch && apt-get update"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

root=$work/root
# Packages from a merged-/usr release (trixie's, the only riscv64 ones) ship below /usr only.
for d in bin sbin lib lib64; do
  if [ ! -e "$root/$d" ] && [ -d "$root/usr/$d" ]; then ln -s "usr/$d" "$root/$d"; fi
done
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/tmp" "$root/etc" "$root/root"
chmod 1777 "$root/tmp"
[ -x "$root/bin/busybox" ] || die "busybox-static:$arch has no /bin/busybox"
# Applet links (busybox --list would need the guest CPU); Debian's busybox-static has all of them.
for a in sh ash ls cat echo uname mkdir rm cp mv ln chmod touch test true false env sed grep \
         head tail sort wc id printf sleep readlink dirname basename find xargs tr cut awk \
         which expr seq stat date hostname ps kill mktemp; do
  ln -sf /bin/busybox "$root/bin/$a"
done
[ -e "$root/bin/sh" ] || ln -sf /bin/busybox "$root/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/ctx-root.tar" .
mkdir "$work/ctx"
mv "$work/ctx-root.tar" "$work/ctx/root.tar"
printf 'FROM scratch\nADD root.tar /\nCMD ["/bin/sh"]\n' >"$work/ctx/Dockerfile"
docker buildx build --platform "$platform" --load -t "$tag" "$work/ctx" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; die "docker buildx build failed"; }
echo "==> $tag: $(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$tag")"
