#!/usr/bin/env bash
# Make a guest root for the guest test suite (tests/guest/run.sh) and copy it to OUTDIR.
#
#   make-root.sh ARCH OUTDIR
#
# ARCH is a Debian architecture: arm64, armhf, i386, ppc64el, s390x, riscv64 or mips64el (guest
# roots for qemu-aarch64, qemu-arm, qemu-i386, qemu-ppc64le, qemu-s390x, qemu-riscv64,
# qemu-mips64el), or amd64 (a root for the host itself, used by `run.sh --native` to check the
# suite's expectations against the running kernel).
#
# The root holds Debian's busybox-static and libc6 for ARCH, busybox applet symlinks, the test
# programs from src/ (cross-compiled, static and dynamic), one static x86-64 host program, and
# the #! scripts, set-ID copies and other files the cases execute (all under /t). Building it
# needs root (the set-ID copies are chowned). OUTDIR must not exist or be empty. Finished roots
# are cached under
#   ${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/guest-roots/ARCH-KEY/root
# where KEY hashes every input (this script, src/, package versions, compiler versions), so a
# second run with the same inputs only copies.
#
# Needs: apt-get with package lists for ARCH (dpkg --add-architecture ARCH && apt-get update;
# riscv64 packages come from trixie, as Debian bookworm has no riscv64 port), dpkg-deb, gcc, the
# cross compiler for ARCH with its libc6-dev-ARCH-cross, and aarch64-linux-gnu-gcc (for the
# "third architecture" program; arm-linux-gnueabihf-gcc when ARCH is arm64). scripts/setup.sh
# installs all of them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'make-root.sh: %s\n' "$*" >&2; exit 1; }

archs="arm64 | armhf | i386 | ppc64el | s390x | riscv64 | mips64el | amd64"
[ $# -eq 2 ] || die "usage: make-root.sh ARCH OUTDIR   (ARCH: $archs)"
arch=$1
out=$2

# cc builds the guest programs; other_cc one program for an architecture that is neither the
# guest's nor the host's (no binfmt_misc handler may exist for it either).
# shellcheck source=../lib/arches.sh
. "$here/../lib/arches.sh"
host_cc=gcc
other_cc=aarch64-linux-gnu-gcc
cc=$(cross_cc "$arch") || die "unsupported ARCH '$arch' (use $archs)"
[ "$arch" != arm64 ] || other_cc=arm-linux-gnueabihf-gcc
[ "$(uname -m)" = x86_64 ] || die "the host must be x86-64 (the suite runs one static x86-64 program in the guest)"

for tool in apt-get apt-cache dpkg dpkg-deb sha256sum "$host_cc" "$cc" "$other_cc"; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' not found (scripts/setup.sh installs the cross compilers, gcc-<triplet> and libc6-dev-<arch>-cross)"
done

if [ "$arch" != "$(dpkg --print-architecture)" ] &&
   ! grep -qx "$arch" <<<"$(dpkg --print-foreign-architectures)"; then
  die "dpkg does not know architecture $arch; run: dpkg --add-architecture $arch && apt-get update"
fi

pkgs=(busybox-static libc6)
declare -A version
# One apt-cache call for all packages: each call loads the whole package cache.
policy=$(apt-cache policy "${pkgs[@]/%/:$arch}" 2>/dev/null || true)
for p in "${pkgs[@]}"; do
  # apt-cache names packages of the native architecture without the :ARCH suffix.
  v=$(awk -v want="$p:$arch:" -v bare="$p:" '$1 == want || $1 == bare {inpkg = 1; next} /^[^ ]/ {inpkg = 0}
        inpkg && $1 == "Candidate:" {print $2; exit}' <<<"$policy")
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    die "apt has no candidate for $p:$arch; run: dpkg --add-architecture $arch && apt-get update"
  fi
  version[$p]=$v
done

# --- cache key ---------------------------------------------------------------
key_input() {
  echo "guest-root format 1"
  echo "arch $arch"
  for p in "${pkgs[@]}"; do echo "pkg $p:$arch=${version[$p]}"; done
  for c in "$host_cc" "$cc" "$other_cc"; do echo "cc $c $("$c" -dumpmachine) $("$c" -dumpfullversion)"; done
  sha256sum "$here/make-root.sh"
  (cd "$here" && find src -type f | LC_ALL=C sort | xargs sha256sum)
}
key=$(key_input | sha256sum | cut -c1-16)
cache_dir=${ANYARCH_CACHE_DIR:-$HOME/.cache/anyarch-action}/guest-roots
cached=$cache_dir/$arch-$key

# --- fixtures ------------------------------------------------------------------
# Executable file with exact bytes (printf format in $2, arguments after).
put() { # path mode format [args...]
  local path=$1 mode=$2
  shift 2
  # shellcheck disable=SC2059
  printf -- "$@" >"$path"
  chmod "$mode" "$path"
}

repeat() { # char count
  local s
  s=$(printf "%${2}s" '')
  printf '%s' "${s// /$1}"
}

# shellcheck disable=SC2016 # the scripts' $0 and $* are theirs
make_fixtures() { # root
  local r=$1 t=$1/t s=$1/t/s i
  mkdir -p "$s" "$t/p1" "$t/p2" "$t/L"

  # Plain files that are not executables for anyone: no #!, empty, truncated ELF, third-arch ELF.
  put "$t/plain" 755 'echo "plain: $0 $*"\n'
  put "$t/emptyfile" 755 ''
  put "$t/elfmagic" 755 '\177ELF'
  # An ELF64 header and nothing else, for an arch with no binfmt handler that is not the host's:
  # RISC-V (e_machine 243), or LoongArch (258) when RISC-V is the guest.
  local machine='\363\000'
  [ "$arch" != riscv64 ] || machine='\002\001'
  put "$t/thirdhdr" 755 '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000'"$machine"'\001\000\000\000'
  head -c 64 /dev/zero >>"$t/thirdhdr"

  # Permission and lookup errors.
  cp "$t/probe" "$t/noexec" && chmod 644 "$t/noexec"
  ln -s probe "$t/probe-link"
  ln -s loop2 "$t/loop1"
  ln -s loop1 "$t/loop2"
  ln -s nonexistent "$t/dangling"

  # PATH search: p1 has a non-executable "cmd" and "onlyp1", p2 the real "cmd" and a no-#! script.
  put "$t/p1/cmd" 644 'echo wrong cmd\n'
  put "$t/p1/onlyp1" 644 'echo wrong onlyp1\n'
  ln -s ../probe "$t/p2/cmd"
  cp "$t/plain" "$t/p2/plaincmd"

  # #! scripts. Comments give the argv the kernel builds for `execve(SCRIPT, [X, ARGS...])`.
  put "$s/basic" 755 '#!/t/probe\n'                          # /t/probe SCRIPT ARGS
  put "$s/arg" 755 '#!/t/probe -x\n'                         # /t/probe -x SCRIPT ARGS
  put "$s/spaces" 755 '#!  \t/t/probe \t -x  -y \t z \t\n'   # /t/probe "-x  -y \t z" SCRIPT ARGS
  put "$s/tab" 755 '#!/t/probe\t-x\n'                        # /t/probe -x SCRIPT ARGS
  put "$s/crlf" 755 '#!/t/probe\r\n'                         # interpreter "/t/probe\r": ENOENT
  put "$s/crlf-arg" 755 '#!/t/probe -x\r\n'                  # /t/probe "-x\r" SCRIPT ARGS
  put "$s/nul" 755 '#!/t/probe\000 -x\n'                     # NUL ends the line: /t/probe SCRIPT ARGS
  put "$s/no-newline" 755 '#!/t/probe -n'                    # /t/probe -n SCRIPT ARGS
  put "$s/dyn" 755 '#!/t/probe-dyn -d\n'                     # dynamic interpreter
  put "$s/host" 755 '#!/t/hostprobe -h\n'                    # host (x86-64) interpreter
  put "$s/sh" 755 '#!/bin/sh\necho "sh-script: $0 $*"\n'
  put "$s/exit7" 755 '#!/bin/sh\nexit 7\n'
  put "$s/env" 755 '#!/usr/bin/env probe\n'                  # env probe SCRIPT ARGS, via PATH
  put "$s/fds" 755 '#!/t/xexec fds\n'
  put "$s/sigstate" 755 '#!/t/xexec sigstate\n'
  put "$s/hwcap" 755 '#!/t/xexec hwcap\n'
  put "$s/nest-a" 755 '#!/t/s/nest-b one\n'                  # script whose interpreter is a script
  put "$s/nest-b" 755 '#!/t/probe two\n'
  put "$s/noexec" 644 '#!/t/probe\n'                         # EACCES
  put "$s/noexec-interp" 755 '#!/t/noexec\n'                 # EACCES
  put "$s/dir-interp" 755 '#!/t\n'                           # EACCES
  put "$s/missing-interp" 755 '#!/t/nonexistent\n'           # ENOENT
  put "$s/plain-interp" 755 '#!/t/plain\n'                   # ENOEXEC
  put "$s/other-interp" 755 '#!/t/otherarch\n'               # ENOEXEC
  put "$s/rel-interp" 755 '#!probe\n'                        # resolved against the cwd
  put "$s/bang-nl" 755 '#!\n'                                # ENOEXEC
  put "$s/bang-blank" 755 '#!  \t \n'                        # ENOEXEC
  put "$s/bang-only" 755 '#!'                                # empty interpreter name: EACCES
  ln -s arg "$s/arg-link"

  # Nesting: g1 -> g2 -> g3 -> g4 -> g5 -> /t/probe (guest ELF),
  #          h1 -> ... -> h6 -> /t/hostprobe (host ELF).
  for i in 1 2 3 4; do put "$s/g$i" 755 "#!/t/s/g$((i + 1))\n"; done
  put "$s/g5" 755 '#!/t/probe\n'
  for i in 1 2 3 4 5; do put "$s/h$i" 755 "#!/t/s/h$((i + 1))\n"; done
  put "$s/h6" 755 '#!/t/hostprobe\n'

  # The kernel reads 256 bytes (BINPRM_BUF_SIZE) of a #! file.
  # long-arg: no newline in the buffer; the argument is cut to bytes 11..254 (244 x A).
  put "$s/long-arg" 755 '#!/t/probe %s\n' "$(repeat A 300)"
  # long-interp: interpreter path runs past the buffer: ENOEXEC.
  put "$s/long-interp" 755 '#!/t/%s\n' "$(repeat a 300)"
  # long-ok: 253-byte interpreter path at bytes 2..254, a space at byte 255: runs, no argument.
  local p253 p254
  p253=/t/L/$(repeat p 248)
  p254=/t/L/$(repeat q 249)
  ln -s ../probe "$r$p253"
  ln -s ../probe "$r$p254"
  put "$s/long-ok" 755 '#!%s %s\n' "$p253" "$(repeat B 40)"
  # long-enoexec: 254-byte interpreter path fills bytes 2..255, newline at 256: ENOEXEC.
  put "$s/long-enoexec" 755 '#!%s\n' "$p254"

  # Set-ID programs: copies of /t/ids with numeric owners (the root has no passwd or group
  # file). chown clears the set-ID bits, so the mode comes after it. The setgid bit counts only
  # with group execute: ids-sgid-nogx has it without (the kernel ignores it).
  setid_copy "$t/ids" "$t/ids-suid" 0:0 4755
  setid_copy "$t/ids-dyn" "$t/ids-suid-dyn" 0:0 4755
  setid_copy "$t/ids" "$t/ids-suid2000" 2000:2000 4755
  setid_copy "$t/ids" "$t/ids-sgid" 0:50 2755
  setid_copy "$t/ids" "$t/ids-sgid-nogx" 0:50 2745
  setid_copy "$t/ids" "$t/ids-suid-sgid" 2000:50 6755
  # Probes for the environment of a secure and of a not secure set-ID start (run by 1000).
  setid_copy "$t/probe" "$t/probe-suid" 0:0 4755
  setid_copy "$t/probe" "$t/probe-suid1000" 1000:1000 4755
  # A setuid-root script (the kernel ignores set-ID bits on scripts: the interpreter's count)
  # with a plain interpreter, and a plain script whose interpreter is setuid-root.
  put "$s/suid-script" 755 '#!/t/ids script\n'
  chown 0:0 "$s/suid-script" && chmod 4755 "$s/suid-script"
  put "$s/suid-interp" 755 '#!/t/ids-suid script\n'
  # run.sh mounts a nosuid tmpfs here for the cases that need one.
  mkdir -p "$r/mnt/nosuid"
}

setid_copy() { # from to owner:group mode
  cp "$1" "$2"
  chown "$3" "$2"
  chmod "$4" "$2"
}

build_root() { # dir
  local b=$1 r=$1/root d=$1/debs o=$1/obj p src=$here/src
  mkdir -p "$r" "$d" "$o"
  (
    cd "$d"
    for p in "${pkgs[@]}"; do
      apt-get -q -o APT::Sandbox::User=root download "$p:$arch=${version[$p]}" >/dev/null
    done
  ) || die "apt-get download ${pkgs[*]} for $arch failed"
  for p in "$d"/*.deb; do dpkg-deb -x "$p" "$r"; done
  rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/lintian" "$r/usr/share/locale" \
         "$r/usr/share/info" "$r"/usr/lib/*/gconv "$r"/usr/lib/*/audit "$r/usr/share/bug"
  # Merged-/usr packages ship their libraries below /usr only.
  for p in lib lib64 bin sbin; do
    if [ ! -e "$r/$p" ] && [ -d "$r/usr/$p" ]; then ln -s "usr/$p" "$r/$p"; fi
  done
  mkdir -p "$r/bin" "$r/usr/bin" "$r/usr/local/bin" "$r/tmp" "$r/proc" "$r/t" "$r/opt/lroot/lonly"
  chmod 1777 "$r/tmp"
  [ -x "$r/bin/busybox" ] || die "busybox-static:$arch has no /bin/busybox"
  # busybox --install would need to run the guest binary; create the applet links by name.
  for p in sh ash env cat echo ls readlink true false printf test sleep pwd mkdir rm ln chmod \
           head tail sed grep wc id kill uname cut tr sort; do
    ln -sf busybox "$r/bin/$p"
  done
  ln -sf ../../bin/busybox "$r/usr/bin/env"

  local cflags=(-O2 -Wall -Wextra -Werror -std=gnu11)
  "$cc" "${cflags[@]}" -static -o "$r/t/probe" "$src/probe.c" "$src/report.c"
  "$cc" "${cflags[@]}" -o "$r/t/probe-dyn" "$src/probe.c" "$src/report.c"
  "$cc" "${cflags[@]}" -static -o "$r/t/xexec" "$src/xexec.c" "$src/report.c" -lpthread
  "$cc" "${cflags[@]}" -o "$r/t/xexec-dyn" "$src/xexec.c" "$src/report.c" -lpthread
  "$cc" "${cflags[@]}" -static -o "$r/t/fdcount" "$src/fdcount.c"
  "$cc" "${cflags[@]}" -static -o "$r/t/ids" "$src/ids.c" "$src/report.c"
  "$cc" "${cflags[@]}" -o "$r/t/ids-dyn" "$src/ids.c" "$src/report.c"
  "$cc" "${cflags[@]}" -shared -fPIC -Wl,-soname,libguestl.so.1 -o "$o/libguestl.so.1" "$src/libguestl.c"
  ln -s libguestl.so.1 "$o/libguestl.so"
  "$cc" "${cflags[@]}" -o "$r/t/needl" "$src/needl.c" -L"$o" -lguestl -Wl,-rpath,/lonly
  cp "$o/libguestl.so.1" "$r/opt/lroot/lonly/"
  # Host programs: static (runs natively) and dynamic (its loader is not in the root).
  "$host_cc" "${cflags[@]}" -static -o "$r/t/hostprobe" "$src/probe.c" "$src/report.c"
  "$host_cc" "${cflags[@]}" -o "$r/t/hostdyn" "$src/probe.c" "$src/report.c"
  "$host_cc" "${cflags[@]}" -static -o "$r/t/hostfdcount" "$src/fdcount.c"
  # An ELF for a third architecture (neither the guest's nor the host's).
  "$other_cc" "${cflags[@]}" -static -o "$r/t/otherarch" "$src/probe.c" "$src/report.c"
  make_fixtures "$r"
  key_input >"$b/inputs.txt"
}

if [ ! -f "$cached/inputs.txt" ]; then
  mkdir -p "$cache_dir"
  tmp=$(mktemp -d "$cache_dir/.build-$arch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "make-root.sh: building $arch root ($key)" >&2
  # Other users run programs in the root (the set-ID cases): whatever the caller's umask.
  umask 022
  build_root "$tmp"
  rm -rf "$tmp/debs" "$tmp/obj"
  if mv -T "$tmp" "$cached" 2>/dev/null; then
    # Drop roots for the same ARCH built from older inputs.
    for old in "$cache_dir/$arch"-*; do
      [ "$old" = "$cached" ] || rm -rf "$old"
    done
  elif [ ! -f "$cached/inputs.txt" ]; then
    die "could not move the new root to $cached"
  fi
  trap - EXIT
  rm -rf "$tmp"
fi

if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  die "OUTDIR $out exists and is not empty"
fi
mkdir -p "$out"
cp -a "$cached/root/." "$out/"
