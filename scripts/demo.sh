#!/usr/bin/env bash
# Build a Debian bookworm arm64 image on this x86-64 machine, without binfmt_misc, through the
# action's command-line entry point, then run it here:
#
#   scripts/demo.sh          (as root; without root it uses the Docker that is there)
#
# 1. scripts/setup.sh: Docker, buildx and the QEMU build dependencies from Debian; dockerd.
# 2. A Debian bookworm arm64 root, first stage only (debootstrap --foreign runs nothing of the
#    guest), packed as rootfs.tar into a temporary build context with examples/debian-arm64/.
# 3. node dist/cli/index.js: the patched QEMU emulator (compiled once, then from the tool
#    cache), and the image build, whose RUN steps (debootstrap --second-stage, apt-get) run
#    through it. keep-emulator leaves the emulator in the image so that it runs here too.
# 4. docker run IMAGE uname -m → aarch64, docker run IMAGE dpkg --print-architecture → arm64.
#
# Environment:
#   QEMU_SOURCE   upstream, debian (default), a URL or a path (the action's qemu-source)
#   QEMU_SHA256   the sha256 of that URL's or path's tarball (the action's qemu-sha256)
#   QEMU_VERSION  latest (default), 10, 10.2, 10.2.2, 7.2, ... (the action's qemu-version)
#   DEMO_TAG      image tag (default anyarch-demo:bookworm-arm64)
#   ANYARCH_CACHE_DIR  where the emulator and the first-stage root are kept between runs
#                      (default ~/.cache/anyarch-action)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}
qemu_source=${QEMU_SOURCE:-debian}
qemu_version=${QEMU_VERSION:-latest}
tag=${DEMO_TAG:-anyarch-demo:bookworm-arm64}
example="$root/examples/debian-arm64"
first="$cache_dir/debootstrap/bookworm-arm64-foreign.tar"

log() { printf '\n==> %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

# --- timings -----------------------------------------------------------------
phases=()
phase_start=0
phase_name=""
begin() { phase_name=$1; phase_start=$(date +%s); log "$1"; }
end() {
  local s=$(( $(date +%s) - phase_start ))
  phases+=("$(printf '%-56s %3d:%02d' "$phase_name" $((s / 60)) $((s % 60)))")
  printf '    (%d:%02d)\n' $((s / 60)) $((s % 60))
}
demo_start=$(date +%s)
timings_printed=0
print_timings() {
  local s=$(( $(date +%s) - demo_start )) p
  timings_printed=1
  printf '\nTimings\n'
  for p in "${phases[@]}"; do printf '  %s\n' "$p"; done
  printf '  %-56s %3d:%02d\n' total $((s / 60)) $((s % 60))
}

work=""
cleanup() {
  local rc=$?
  [ -z "$work" ] || rm -rf "$work"
  if [ "$rc" != 0 ] && [ "$timings_printed" = 0 ]; then
    phase_name="$phase_name (failed)"
    end >/dev/null
    print_timings
  fi
}
trap cleanup EXIT

# --- what this needs -----------------------------------------------------------
begin "Checks"
host=$(uname -m)
[ "$host" = x86_64 ] || echo "note: this host is $host, not x86_64; the action targets x86-64 hosts"

node_major=0
if command -v node >/dev/null; then node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); fi
if [ "$node_major" -lt 20 ]; then
  if [ "$node_major" = 0 ]; then found="no node on PATH"; else found="node $(node --version) on PATH"; fi
  die "the action's command line (dist/cli/index.js) needs Node.js 20 or newer; found $found.
Debian 12's own nodejs package is version 18. Install Node.js 20+ (for instance from
nodejs.org or NodeSource; Debian 13 ships 20) and run this again."
fi
echo "node $(node --version)"

if [ "$(id -u)" = 0 ]; then
  end
  begin "Machine set-up (scripts/setup.sh)"
  "$here/setup.sh"
else
  echo "not root: skipping scripts/setup.sh, which needs root to install Docker, buildx and the"
  echo "QEMU build dependencies with apt and to start dockerd; using the Docker that is running"
  if ! docker info >/dev/null 2>&1; then
    die "no usable Docker daemon for $(id -un). Run the demo as root (sudo scripts/demo.sh) so
that it can install Docker and start dockerd, or give this user access to a running Docker
(with the buildx plugin and the QEMU build dependencies of scripts/setup.sh installed)."
  fi
  echo "docker $(docker version --format '{{.Server.Version}}')"
fi
# The demo would pass without the action's emulator if the kernel could run aarch64 programs
# by itself: the tests' own check (it executes a static aarch64 program, so it comes after the
# set-up that installs the cross compiler).
"$root/tests/lib/no-binfmt.sh" aarch64 || die "a binfmt_misc handler can run aarch64 programs (above): remove it and run again"
end

# --- the Debian root, first stage ------------------------------------------------
begin "Debian bookworm arm64 root, first stage"
if [ -f "$first" ]; then
  echo "cached: $first"
else
  [ "$(id -u)" = 0 ] || die "making the Debian root (debootstrap --foreign) needs root: sudo scripts/demo.sh"
  command -v debootstrap >/dev/null || die "debootstrap is missing (scripts/setup.sh installs it)"
  mirror=$("$here/debian-mirror.sh")
  mkdir -p "$(dirname "$first")"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-first.XXXXXX")
  work=$tmp
  echo "debootstrap --foreign --arch=arm64 --variant=minbase bookworm ROOT $mirror"
  if ! debootstrap --foreign --arch=arm64 --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1; then
    tail -n 30 "$tmp/log" >&2
    die "debootstrap --foreign failed (its log is above)"
  fi
  tar -C "$tmp/root" -cf "$first.part" .
  mv "$first.part" "$first"
  rm -rf "$tmp"
  work=""
  echo "saved: $first"
fi
# The mirror the root was made from; the second stage writes it into /etc/apt/sources.list.
root_mirror=$(tar -xOf "$first" ./debootstrap/mirror) || die "$first holds no debootstrap/mirror: not a first-stage root"
echo "mirror: $root_mirror"
echo "size: $(du -h "$first" | cut -f1)"
end

# --- the image, through the action's CLI ---------------------------------------------
begin "Image build through the action (qemu-source $qemu_source)"
work=$(mktemp -d "${TMPDIR:-/tmp}/anyarch-demo.XXXXXX")
ctx="$work/context"
mkdir "$ctx"
cp "$example/Dockerfile" "$ctx/Dockerfile"
if tar -tvf "$first" ./proc 2>/dev/null | grep -q '^l'; then
  # debootstrap run where it believes it is inside Docker (/.dockerenv) replaces the root's /proc
  # with a symlink to /proc; runc refuses to start a build step on such a root ("proc must be
  # mounted on ordinary directory"). The context's copy gets a plain directory instead.
  echo "the first-stage root has /proc as a symlink (debootstrap ran inside a container): making it a directory"
  cp "$first" "$ctx/rootfs.tar"
  tar --delete -f "$ctx/rootfs.tar" ./proc
  mkdir -p "$work/fix/proc"
  # A fixed mtime keeps the tar the same from run to run, so the build's cache still applies.
  tar -C "$work/fix" -rf "$ctx/rootfs.tar" --owner=0 --group=0 --mode=0555 --mtime="@$(stat -c %Y "$first")" ./proc
else
  ln "$first" "$ctx/rootfs.tar" 2>/dev/null || cp "$first" "$ctx/rootfs.tar"
fi
# The build context is the temporary directory, which is the CLI's workspace; its working
# directory is the workspace unless GITHUB_WORKSPACE says otherwise.
cli=(node "$root/dist/cli/index.js"
  --arch arm64
  --qemu-source "$qemu_source"
  --qemu-version "$qemu_version"
  --context .
  --tags "$tag"
  --load true
  --keep-emulator true)
[ -z "${QEMU_SHA256:-}" ] || cli+=(--qemu-sha256 "$QEMU_SHA256")
printf '%q ' "${cli[@]}"
printf '\n'
set +e
(cd "$ctx" && GITHUB_WORKSPACE="$ctx" "${cli[@]}") 2>&1 | tee "$work/cli.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || die "the action's CLI failed (exit $rc); its output is above"
out() { sed -n "s/^$1=//p" "$work/cli.log" | tail -n 1; }
cache_hit=$(out cache-hit)
qemu_used=$(out qemu-version)
imageid=$(out imageid)
end

# --- the image runs here --------------------------------------------------------------
begin "Run the image on this $host host"
failed=0
check() { # name want command...
  local name=$1 want=$2 got
  shift 2
  printf '$ %s\n' "$*"
  # stdout is compared; stderr (docker's warning that an arm64 image is not this host's
  # platform) is shown only when the check fails.
  if got=$("$@" 2>"$work/stderr"); then :; else got="$got (exit $?)"; fi
  printf '%s\n' "$got"
  if [ "$got" = "$want" ]; then
    printf 'ok: %s\n' "$name"
  else
    cat "$work/stderr" >&2
    printf 'FAILED: %s: expected "%s"\n' "$name" "$want" >&2
    failed=1
  fi
}
check "the image runs as aarch64" aarch64 docker run --rm "$tag" uname -m
check "dpkg's architecture is arm64" arm64 docker run --rm "$tag" dpkg --print-architecture
check "the image is an arm64 image" arm64 docker image inspect --format '{{.Architecture}}' "$tag"
check "debootstrap's second stage completed" complete \
  docker run --rm "$tag" sh -c 'test -e /debootstrap && echo "/debootstrap is left over" || echo complete'
check "apt's sources point at $root_mirror" "deb $root_mirror bookworm main" \
  docker run --rm "$tag" cat /etc/apt/sources.list
check "Debian 12" 12 docker run --rm "$tag" sh -c 'cut -d. -f1 /etc/debian_version'
end

print_timings
if [ "$failed" != 0 ]; then
  die "the image $tag does not behave as a Debian arm64 image should (see FAILED above)"
fi
cat <<EOF

Built $tag (${imageid:-?}) with QEMU ${qemu_used:-?}, emulator from: $( [ "$cache_hit" = false ] && echo "a compile" || echo "${cache_hit:-?}").
It carries its emulator, so it runs on this host without binfmt_misc:
  docker run --rm -it $tag
EOF
