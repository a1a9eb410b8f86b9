# shellcheck shell=bash
# The guest architectures the test scripts know, in one table: QEMU's name, Debian's name and
# the cross compiler that builds guest programs for it (gcc-<triplet> + libc6-dev-<arch>-cross,
# installed by scripts/setup.sh). Sourced by the guest suite, make-root.sh and no-binfmt.sh.

# QEMU's names of the guest architectures, newest series order.
GUEST_ARCHES=(aarch64 arm i386 ppc64le s390x riscv64 mips64el)

# debian_arch QEMU_ARCH: Debian's name (x86_64 is the host: amd64).
debian_arch() {
  case "$1" in
    aarch64) echo arm64 ;;
    arm) echo armhf ;;
    i386) echo i386 ;;
    ppc64le) echo ppc64el ;;
    s390x) echo s390x ;;
    riscv64) echo riscv64 ;;
    mips64el) echo mips64el ;;
    x86_64) echo amd64 ;;
    *) return 1 ;;
  esac
}

# cross_cc DEBIAN_ARCH: the C compiler that builds programs for it.
cross_cc() {
  case "$1" in
    arm64) echo aarch64-linux-gnu-gcc ;;
    armhf) echo arm-linux-gnueabihf-gcc ;;
    i386) echo i686-linux-gnu-gcc ;;
    ppc64el) echo powerpc64le-linux-gnu-gcc ;;
    s390x) echo s390x-linux-gnu-gcc ;;
    riscv64) echo riscv64-linux-gnu-gcc ;;
    mips64el) echo mips64el-linux-gnuabi64-gcc ;;
    amd64) echo gcc ;;
    *) return 1 ;;
  esac
}

# host_runs_natively QEMU_ARCH: the x86-64 kernel runs this architecture's programs itself
# (i386 through IA-32 emulation), so a guest program that starts proves nothing either way.
host_runs_natively() {
  case "$1" in i386 | x86_64) return 0 ;; *) return 1 ;; esac
}
