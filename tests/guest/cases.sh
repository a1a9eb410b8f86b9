# shellcheck shell=bash disable=SC2034,SC2086,SC2016,SC2153
# (values are used by run.sh; MMAP_ARGS is split on purpose; $? and $0 belong to the guest shell)
# Cases of the guest test suite; sourced by run.sh (see t and tb there for the case syntax).
#
# Every expectation is what Linux does for the guest on an x86-64 host with a binfmt_misc
# handler (flags POCF) registered for the guest architecture only, with the emulator answering
# readlink("/proc/self/exe") by itself, as QEMU does (so no /proc is needed for that).
# Paths are inside the guest root made by make-root.sh; the programs are:
#   /t/probe, /t/probe-dyn   print arch, argv, readlink(/proc/self/exe), sorted environment
#   /t/xexec, /t/xexec-dyn   exec helper (see src/xexec.c)
#   /t/hostprobe             probe built for the host (x86-64), static
#   /t/fdcount, /t/hostfdcount   print the open descriptors (see src/fdcount.c), guest and host
#   /t/otherarch             probe for a third architecture (arm on aarch64, aarch64 on the others)
#   /t/thirdhdr              an ELF64 header alone, for RISC-V (LoongArch when RISC-V is the guest)
#   /t/ids, /t/ids-dyn       print the real, effective and saved uids and gids and AT_SECURE, or
#                            change them and exec a program (see src/ids.c)
#   /t/ids-suid..., /t/probe-suid...   set-ID copies of ids and probe (see make_fixtures in
#                            make-root.sh)
# Scripts are under /t/s (see make_fixtures in make-root.sh).

# Per-architecture values. CPU_OLD is a CPU model other than the emulator's default that the
# guest's Debian binaries run on, HWCAP_OLD and HWCAP_DEFAULT what `xexec hwcap` prints for it
# and for the default. R_OPT limits the guest address space so that `xexec mmap $MMAP_ARGS`
# fails, while the programs (a static one is linked at a fixed address) still fit.
set_arch_vars() {
  case "$ARCH" in
    aarch64)
      # HWCAP_ATOMICS and HWCAP_SVE: cortex-a53 has neither, the default CPU ("max") both.
      CPU_OLD=cortex-a53
      HWCAP_OLD="atomics=0 sve=0"
      HWCAP_DEFAULT="atomics=1 sve=1"
      # Guest address space of 512 MiB: 0x30000000 is outside it.
      R_OPT="-R 0x20000000"
      MMAP_ARGS="0x30000000 65536"
      ;;
    arm)
      # HWCAP2_AES: cortex-a7 has no v8 crypto, the default CPU ("max") has it.
      CPU_OLD=cortex-a7
      HWCAP_OLD="idiva=1 lpae=1 aes=0"
      HWCAP_DEFAULT="idiva=1 lpae=1 aes=1"
      # The commpage at 0xffff0000 must stay inside; the last 60 KiB of 4 GiB are cut off.
      R_OPT="-R 0xffff1000"
      MMAP_ARGS="0xffffe000 4096"
      ;;
    i386)
      # CPUID.1:EDX: pentium3 has no SSE2, the default CPU ("max") has it. Debian's i386 is
      # i686, which needs CMOV.
      CPU_OLD=pentium3
      HWCAP_OLD="cmov=1 sse=1 sse2=0"
      HWCAP_DEFAULT="cmov=1 sse=1 sse2=1"
      R_OPT="-R 0x20000000"
      MMAP_ARGS="0x30000000 65536"
      ;;
    ppc64le)
      # AT_HWCAP2: POWER8 implements ISA 2.07, the default CPU (POWER9) ISA 3.00 too.
      CPU_OLD=power8
      HWCAP_OLD="arch_2_07=1 arch_3_00=0 arch_3_1=0"
      HWCAP_DEFAULT="arch_2_07=1 arch_3_00=1 arch_3_1=0"
      # Static programs are linked at 0x10000000.
      R_OPT="-R 0x20000000"
      MMAP_ARGS="0x30000000 65536"
      ;;
    s390x)
      # The default CPU ("qemu") without the vector facility: the named models (z196, Debian's
      # baseline, ...) list features that TCG lacks, so QEMU refuses them.
      CPU_OLD=qemu,vx=off,vxeh=off,vxeh2=off
      HWCAP_OLD="eimm=1 vx=0"
      HWCAP_DEFAULT="eimm=1 vx=1"
      R_OPT="-R 0x20000000"
      MMAP_ARGS="0x30000000 65536"
      ;;
    riscv64)
      # sifive-u54 is rv64gc; the default CPU ("max") adds the vector extension. (QEMU 7.2's
      # default, "any", has none and its AT_HWCAP never shows V, so opt/cpu-default-child
      # fails there; npm test runs riscv64 with the newest series only.)
      CPU_OLD=sifive-u54
      HWCAP_OLD="c=1 v=0"
      HWCAP_DEFAULT="c=1 v=1"
      R_OPT="-R 0x20000000"
      MMAP_ARGS="0x30000000 65536"
      ;;
    mips64el)
      # The default CPU for a MIPS64r2 program is MIPS64R2-generic; Loongson-3A4000 (a newer
      # one, not an older) adds MSA and Loongson's multimedia instructions.
      CPU_OLD=Loongson-3A4000
      HWCAP_OLD="r6=0 msa=1 loongson_mmi=1"
      HWCAP_DEFAULT="r6=0 msa=0 loongson_mmi=0"
      # Static programs are linked at 0x120000000 (4.5 GiB).
      R_OPT="-R 0x200000000"
      MMAP_ARGS="0x300000000 65536"
      ;;
    x86_64)
      CPU_OLD='' HWCAP_OLD='' HWCAP_DEFAULT='' R_OPT='' MMAP_ARGS=''
      ;;
  esac
  GUEST_BASE=$((0x10000000000))
  # A host program's /proc/self/exe is the kernel's: no /proc, no answer (--native mounts it).
  if [ "$NATIVE" = 1 ]; then HOST_EXE=/t/hostprobe; else HOST_EXE=ENOENT; fi
}

# pr [-a ARCH] [-n] [-S] [-E VAR=VAL]... EXE ARGV...: the probe's expected output.
#   EXE "-" leaves out the exe= line (for cases run with -x); -n: no PATH=/bin:/usr/bin in
#   the environment; -S: add what busybox sh exports (PWD=/ SHLVL=1); -E: add VAR=VAL.
pr() {
  local arch=$ARCH base=1 sh=0 extra=() o OPTIND=1 i=0 a
  while getopts 'a:nSE:' o; do
    case "$o" in
      a) arch=$OPTARG ;;
      n) base=0 ;;
      S) sh=1 ;;
      E) extra+=("$OPTARG") ;;
      *) return 1 ;;
    esac
  done
  shift $((OPTIND - 1))
  local exe=$1
  shift
  local envs=()
  [ "$base" = 1 ] && envs+=(PATH=/bin:/usr/bin)
  [ "$sh" = 1 ] && envs+=(PWD=/ SHLVL=1)
  envs+=(${extra[@]+"${extra[@]}"})
  printf 'arch=%s\nargc=%d\n' "$arch" $#
  for a in "$@"; do
    printf 'argv[%d]=%s\n' "$i" "$a"
    i=$((i + 1))
  done
  [ "$exe" = - ] || printf 'exe=%s\n' "$exe"
  if [ ${#envs[@]} -gt 0 ]; then printf 'env=%s\n' "${envs[@]}" | LC_ALL=C sort; fi
}

rep() { # char count
  local s
  s=$(printf "%${2}s" '')
  printf '%s' "${s// /$1}"
}

define_cases() {
  local emu=1 P253 gq
  [ "$NATIVE" = 1 ] && emu=0
  P253=/t/L/$(rep p 248)
  gq=QEMU_EXECVE=$Q

  # --- control: the emulator without the option, and things that need no child exec ------
  # Without the option a guest child goes to the host kernel, which has no handler for it,
  # unless it can run it itself (i386 on a kernel with IA-32 emulation; run.sh checks): then
  # it runs natively, and its /proc/self/exe is the kernel's (no /proc in the root).
  if [ "$GUEST_NATIVE" = 0 ]; then
    t control/no-option-child-enoexec -o emu -m none -s 99 -- /t/xexec execve /t/probe probe <<EOF
execve: ENOEXEC
EOF
    t control/no-option-shell-child -o emu -m none -2 -- /bin/sh -c '/t/probe; echo rc=$?' <<EOF
/bin/sh: /t/probe: Exec format error
rc=126
EOF
    t control/no-option-script -o emu -m none -s 99 -- /t/xexec execve /t/s/basic x <<EOF
execve: ENOEXEC
EOF
  else
    t control/no-option-child-native -o emu -m none -- /t/xexec execve /t/probe probe <<EOF
$(pr ENOENT probe)
EOF
    t control/no-option-shell-child-native -o emu -m none -2 -- /bin/sh -c '/t/probe; echo rc=$?' <<EOF
$(pr -S ENOENT /t/probe)
rc=0
EOF
    t control/no-option-script-native -o emu -m none -- /t/xexec execve /t/s/basic x <<EOF
$(pr ENOENT /t/probe /t/s/basic)
EOF
  fi
  t control/no-option-host-child -o emu -m none -- /t/xexec execve /t/hostprobe hp a <<EOF
$(pr -a x86_64 "$HOST_EXE" hp a)
EOF
  t control/no-option-top-static -o emu -m none -- /t/probe a <<EOF
$(pr /t/probe /t/probe a)
EOF
  t control/no-option-top-dynamic -o emu -m none -- /t/probe-dyn a <<EOF
$(pr /t/probe-dyn /t/probe-dyn a)
EOF
  t control/top-static -- /t/probe a 'b c' <<EOF
$(pr /t/probe /t/probe a 'b c')
EOF
  t control/root-has-no-proc -o emu -- /t/xexec stat /proc/self <<EOF
/proc/self: ENOENT
EOF
  t control/cpu-top -o emu -m none -q "-cpu $CPU_OLD" -- /t/xexec hwcap <<EOF
$HWCAP_OLD
EOF
  t control/L-top -o emu -m none -q "-L /opt/lroot" -- /t/needl <<EOF
needl: libguestl loaded
EOF
  t control/L-missing-top -o emu -m none -s 127 -- /t/needl </dev/null
  t control/R-top -o emu -m none -q "$R_OPT" -- /t/xexec mmap $MMAP_ARGS <<EOF
mmap=ENOMEM
EOF
  tb control/B-top -m none

  # --- 1. guest ELF programs run under the emulator again ----------------------------------
  t elf/static -- /t/xexec execve /t/probe probe a 'b c' <<EOF
$(pr /t/probe probe a 'b c')
EOF
  t elf/dynamic -- /t/xexec execve /t/probe-dyn probe-dyn a <<EOF
$(pr /t/probe-dyn probe-dyn a)
EOF
  t elf/argv0-arbitrary -- /t/xexec execve /t/probe 'any name' x <<EOF
$(pr /t/probe 'any name' x)
EOF
  t elf/argv0-empty -- /t/xexec execve /t/probe '' x <<EOF
$(pr /t/probe '' x)
EOF
  t elf/argv0-dynamic -- /t/xexec execve /t/probe-dyn /not/my/path <<EOF
$(pr /t/probe-dyn /not/my/path)
EOF
  # Linux >= 5.18 turns an empty argv into { "" }.
  t elf/argv-null -- /t/xexec execve /t/probe <<EOF
$(pr /t/probe '')
EOF
  t elf/argv-escapes -- /t/xexec execve /t/probe p $'tab\there' $'\x01\xff' <<EOF
arch=$ARCH
argc=3
argv[0]=p
argv[1]=tab\there
argv[2]=\x01\xff
exe=/t/probe
env=PATH=/bin:/usr/bin
EOF
  t elf/many-args -- /t/xexec big /t/xexec 2 5000 xexec argsum <<EOF
argc=5002 bytes=5011
EOF
  t elf/symlink -- /t/xexec execve /t/probe-link link <<EOF
$(pr /t/probe link)
EOF
  t elf/relative -- /t/xexec -C /t execve ./probe ./probe <<EOF
$(pr /t/probe ./probe)
EOF
  t elf/relative-dotdot -- /t/xexec -C /t/s execve ../probe-dyn p <<EOF
$(pr /t/probe-dyn p)
EOF
  t elf/environment -e 'T_VAR=x y' -e T_EMPTY= -- /t/xexec execve /t/probe p <<EOF
$(pr -E 'T_VAR=x y' -E T_EMPTY= /t/probe p)
EOF
  t elf/dynamic-caller -- /t/xexec-dyn execve /t/probe probe <<EOF
$(pr /t/probe probe)
EOF
  t elf/grandchild -- /t/xexec execve /t/xexec xexec execve /t/probe-dyn p <<EOF
$(pr /t/probe-dyn p)
EOF
  t elf/shell-child -- /bin/sh -c '/t/probe a' <<EOF
$(pr -S /t/probe /t/probe a)
EOF
  t elf/shell-grandchild -- /bin/sh -c '/bin/sh -c "/t/probe-dyn a"' <<EOF
$(pr -n -E PATH=/bin:/usr/bin -E PWD=/ -E SHLVL=2 /t/probe-dyn /t/probe-dyn a)
EOF
  t elf/shell-exit-status -- /bin/sh -c '/t/xexec exit 42; echo rc=$?' <<EOF
rc=42
EOF
  t elf/shell-killed -- /bin/sh -c '/t/xexec kill TERM; echo rc=$?' <<EOF
rc=143
EOF
  t elf/exit-status -s 42 -- /t/xexec execve /t/xexec xexec exit 42 </dev/null

  # --- 1. emulator options reach the children ------------------------------------------------
  t opt/cpu-default-child -o emu -- /bin/sh -c '/t/xexec hwcap' <<EOF
$HWCAP_DEFAULT
EOF
  t opt/cpu-child -o emu -q "-cpu $CPU_OLD" -- /bin/sh -c '/t/xexec hwcap' <<EOF
$HWCAP_OLD
EOF
  t opt/cpu-script -o emu -q "-cpu $CPU_OLD" -- /t/xexec execve /t/s/hwcap x <<EOF
$HWCAP_OLD
EOF
  t opt/cpu-env-i-grandchild -o emu -q "-cpu $CPU_OLD" -- /bin/env -i /bin/sh -c '/t/xexec hwcap' <<EOF
$HWCAP_OLD
EOF
  t opt/L-child -o emu -q "-L /opt/lroot" -- /bin/sh -c /t/needl <<EOF
needl: libguestl loaded
EOF
  t opt/L-env-i-child -o emu -q "-L /opt/lroot" -- /bin/env -i /t/needl <<EOF
needl: libguestl loaded
EOF
  t opt/L-missing-child -o emu -- /bin/sh -c '/t/needl; echo rc=$?' <<EOF
rc=127
EOF
  t opt/R-default-child -o emu -- /bin/sh -c "/t/xexec mmap $MMAP_ARGS" <<EOF
mmap=ok
EOF
  t opt/R-child -o emu -q "$R_OPT" -- /bin/sh -c "/t/xexec mmap $MMAP_ARGS" <<EOF
mmap=ENOMEM
EOF
  tb opt/B-child -c
  t opt/combined -o emu -q "-cpu $CPU_OLD -L /opt/lroot $R_OPT" -- \
    /bin/env -i /bin/sh -c "/t/xexec hwcap; /t/needl; /t/xexec mmap $MMAP_ARGS" <<EOF
$HWCAP_OLD
needl: libguestl loaded
mmap=ENOMEM
EOF
  t opt/long-form -o emu -m long -- /t/xexec execve /t/probe probe a <<EOF
$(pr /t/probe probe a)
EOF
  t opt/long-form-shell -o emu -m long -q "-cpu $CPU_OLD" -- /bin/sh -c '/t/xexec hwcap' <<EOF
$HWCAP_OLD
EOF
  t opt/env-form -o emu -m env -- /t/xexec execve /t/probe probe a <<EOF
$(pr -E "$gq" /t/probe probe a)
EOF
  t opt/env-form-shell -o emu -m env -- /bin/sh -c '/t/probe-dyn a' <<EOF
$(pr -S -E "$gq" /t/probe-dyn /t/probe-dyn a)
EOF
  t opt/env-form-env-i -o emu -m env -- /bin/env -i /t/probe a <<EOF
$(pr -n /t/probe /t/probe a)
EOF
  t opt/env-form-script -o emu -m env -- /t/xexec execve /t/s/arg x a <<EOF
$(pr -E "$gq" /t/probe /t/probe -x /t/s/arg a)
EOF

  # --- 2. programs the host runs natively -----------------------------------------------------
  t host/static -- /t/xexec execve /t/hostprobe hp a <<EOF
$(pr -a x86_64 "$HOST_EXE" hp a)
EOF
  t host/static-proc -p -- /t/xexec execve /t/hostprobe hp <<EOF
$(pr -a x86_64 /t/hostprobe hp)
EOF
  t host/shell-child -- /bin/sh -c '/t/hostprobe a' <<EOF
$(pr -a x86_64 -S "$HOST_EXE" /t/hostprobe a)
EOF
  t host/script-interpreter -- /t/xexec execve /t/s/host x a <<EOF
$(pr -a x86_64 "$HOST_EXE" /t/hostprobe -h /t/s/host a)
EOF
  t host/empty-env -- /t/xexec -0 execve /t/hostprobe hp <<EOF
$(pr -a x86_64 -n "$HOST_EXE" hp)
EOF
  # Its ELF interpreter (/lib64/ld-linux-x86-64.so.2) is not in the root.
  t host/dynamic-no-loader -o emu -s 99 -- /t/xexec execve /t/hostdyn x <<EOF
execve: ENOENT
EOF
  # Five scripts and the host ELF: the kernel's limit of 6 files per exec holds.
  t host/script-depth-5 -- /t/xexec execve /t/s/h2 x a <<EOF
$(pr -a x86_64 "$HOST_EXE" /t/hostprobe /t/s/h6 /t/s/h5 /t/s/h4 /t/s/h3 /t/s/h2 a)
EOF
  t host/script-depth-6 -s 99 -- /t/xexec execve /t/s/h1 x a <<EOF
execve: ELOOP
EOF

  # --- 3. #! scripts --------------------------------------------------------------------------
  t script/basic -- /t/xexec execve /t/s/basic ignored a b <<EOF
$(pr /t/probe /t/probe /t/s/basic a b)
EOF
  t script/argument -- /t/xexec execve /t/s/arg x a <<EOF
$(pr /t/probe /t/probe -x /t/s/arg a)
EOF
  # Everything after the interpreter up to the end of the line, trimmed, is one argument.
  t script/one-argument-with-blanks -- /t/xexec execve /t/s/spaces x a <<EOF
$(pr /t/probe /t/probe '-x  -y \t z' /t/s/spaces a)
EOF
  t script/tab-separator -- /t/xexec execve /t/s/tab x <<EOF
$(pr /t/probe /t/probe -x /t/s/tab)
EOF
  t script/crlf-interpreter -s 99 -- /t/xexec execve /t/s/crlf x <<EOF
execve: ENOENT
EOF
  t script/crlf-argument -- /t/xexec execve /t/s/crlf-arg x <<EOF
$(pr /t/probe /t/probe '-x\r' /t/s/crlf-arg)
EOF
  t script/nul-ends-line -- /t/xexec execve /t/s/nul x a <<EOF
$(pr /t/probe /t/probe /t/s/nul a)
EOF
  t script/no-newline -- /t/xexec execve /t/s/no-newline x a <<EOF
$(pr /t/probe /t/probe -n /t/s/no-newline a)
EOF
  t script/dynamic-interpreter -- /t/xexec execve /t/s/dyn x a <<EOF
$(pr /t/probe-dyn /t/probe-dyn -d /t/s/dyn a)
EOF
  t script/shell -- /t/xexec execve /t/s/sh x a b <<EOF
sh-script: /t/s/sh a b
EOF
  t script/exit-status -s 7 -- /t/xexec execve /t/s/exit7 x </dev/null
  t script/env-path-lookup -e PATH=/t:/bin:/usr/bin -- /t/xexec execve /t/s/env x a <<EOF
$(pr -n -E PATH=/t:/bin:/usr/bin /t/probe probe /t/s/env a)
EOF
  t script/interpreter-is-script -- /t/xexec execve /t/s/nest-a x arg <<EOF
$(pr /t/probe /t/probe two /t/s/nest-b one /t/s/nest-a arg)
EOF
  t script/relative-path -- /t/xexec -C /t/s execve ./arg x a <<EOF
$(pr /t/probe /t/probe -x ./arg a)
EOF
  t script/symlink-path -- /t/xexec execve /t/s/arg-link x a <<EOF
$(pr /t/probe /t/probe -x /t/s/arg-link a)
EOF
  t script/relative-interpreter -- /t/xexec -C /t execve /t/s/rel-interp x a <<EOF
$(pr /t/probe probe /t/s/rel-interp a)
EOF
  t script/relative-interpreter-missing -s 99 -- /t/xexec -C / execve /t/s/rel-interp x <<EOF
execve: ENOENT
EOF
  t script/null-argv -- /t/xexec execve /t/s/basic <<EOF
$(pr /t/probe /t/probe /t/s/basic)
EOF
  t script/empty-env -- /t/xexec -0 execve /t/s/basic x <<EOF
$(pr -n /t/probe /t/probe /t/s/basic)
EOF
  t script/shell-child -- /bin/sh -c '/t/s/arg a' <<EOF
$(pr -S /t/probe /t/probe -x /t/s/arg a)
EOF
  # Four scripts, the guest ELF and the emulator (binfmt_misc's interpreter) are 6 files.
  t script/depth-4 -- /t/xexec execve /t/s/g2 x a <<EOF
$(pr /t/probe /t/probe /t/s/g5 /t/s/g4 /t/s/g3 /t/s/g2 a)
EOF
  if [ "$emu" = 1 ]; then
    t script/depth-5 -s 99 -- /t/xexec execve /t/s/g1 x a <<EOF
execve: ELOOP
EOF
  else
    t script/depth-5 -- /t/xexec execve /t/s/g1 x a <<EOF
$(pr /t/probe /t/probe /t/s/g5 /t/s/g4 /t/s/g3 /t/s/g2 /t/s/g1 a)
EOF
  fi
  # BINPRM_BUF_SIZE is 256: the argument is cut at byte 255, an interpreter path may not be.
  t script/long-argument-truncated -- /t/xexec execve /t/s/long-arg x <<EOF
$(pr /t/probe /t/probe "$(rep A 244)" /t/s/long-arg)
EOF
  t script/long-interpreter-fits -- /t/xexec execve /t/s/long-ok x a <<EOF
$(pr /t/probe "$P253" /t/s/long-ok a)
EOF
  t script/long-interpreter-truncated -s 99 -- /t/xexec execve /t/s/long-enoexec x <<EOF
execve: ENOEXEC
EOF
  t script/long-interpreter-missing -s 99 -- /t/xexec execve /t/s/long-interp x <<EOF
execve: ENOEXEC
EOF
  t script/bang-newline -s 99 -- /t/xexec execve /t/s/bang-nl x <<EOF
execve: ENOEXEC
EOF
  t script/bang-blanks -s 99 -- /t/xexec execve /t/s/bang-blank x <<EOF
execve: ENOEXEC
EOF
  # The interpreter name is "": its lookup ends at the cwd, a directory.
  t script/bang-only -s 99 -- /t/xexec execve /t/s/bang-only x <<EOF
execve: EACCES
EOF
  t script/not-executable -s 99 -- /t/xexec execve /t/s/noexec x <<EOF
execve: EACCES
EOF
  t script/interpreter-not-executable -s 99 -- /t/xexec execve /t/s/noexec-interp x <<EOF
execve: EACCES
EOF
  t script/interpreter-directory -s 99 -- /t/xexec execve /t/s/dir-interp x <<EOF
execve: EACCES
EOF
  t script/interpreter-missing -s 99 -- /t/xexec execve /t/s/missing-interp x <<EOF
execve: ENOENT
EOF
  t script/interpreter-no-magic -s 99 -- /t/xexec execve /t/s/plain-interp x <<EOF
execve: ENOEXEC
EOF
  t script/interpreter-third-arch -s 99 -- /t/xexec execve /t/s/other-interp x <<EOF
execve: ENOEXEC
EOF

  # --- 4. no handler: ENOEXEC -------------------------------------------------------------------
  t enoexec/no-magic -s 99 -- /t/xexec execve /t/plain x <<EOF
execve: ENOEXEC
EOF
  t enoexec/empty-file -s 99 -- /t/xexec execve /t/emptyfile x <<EOF
execve: ENOEXEC
EOF
  t enoexec/elf-magic-only -s 99 -- /t/xexec execve /t/elfmagic x <<EOF
execve: ENOEXEC
EOF
  t enoexec/third-arch -s 99 -- /t/xexec execve /t/otherarch x <<EOF
execve: ENOEXEC
EOF
  t enoexec/third-arch-header -s 99 -- /t/xexec execve /t/thirdhdr x <<EOF
execve: ENOEXEC
EOF
  t enoexec/vfork-third-arch -- /t/xexec vfork /t/otherarch x <<EOF
vfork-child execve: ENOEXEC
status=99
EOF
  # glibc's execvp runs a file without magic with /bin/sh.
  t enoexec/execvp-falls-back-to-sh -- /t/xexec execvp /t/plain plain a b <<EOF
plain: /t/plain a b
EOF
  # busybox sh runs it itself, re-executing itself through /proc/self/exe.
  t enoexec/shell-falls-back -p -- /bin/sh -c '/t/plain a b' <<EOF
plain: /t/plain a b
EOF

  # --- 5. errors reach the caller --------------------------------------------------------------
  t error/enoent -s 99 -- /t/xexec execve /t/nonexistent x <<EOF
execve: ENOENT
EOF
  t error/enoent-dangling-symlink -s 99 -- /t/xexec execve /t/dangling x <<EOF
execve: ENOENT
EOF
  t error/enotdir -s 99 -- /t/xexec execve /t/probe/x x <<EOF
execve: ENOTDIR
EOF
  t error/eacces-no-x-bit -s 99 -- /t/xexec execve /t/noexec x <<EOF
execve: EACCES
EOF
  t error/eacces-directory -s 99 -- /t/xexec execve /t x <<EOF
execve: EACCES
EOF
  t error/eloop -s 99 -- /t/xexec execve /t/loop1 x <<EOF
execve: ELOOP
EOF
  # One string over MAX_ARG_STRLEN (32 pages); 4 MB in all with an 8 MiB stack limit.
  t error/e2big-one-argument -s 99 -- /t/xexec big /t/probe 200000 1 probe <<EOF
execve: E2BIG
EOF
  t error/e2big-total -s 99 -- /t/xexec big /t/probe 100000 40 probe <<EOF
execve: E2BIG
EOF
  t error/big-but-fits -- /t/xexec big /t/xexec 100000 10 xexec argsum <<EOF
argc=12 bytes=1000001
EOF
  t error/vfork-enoent -- /t/xexec vfork /t/nonexistent x <<EOF
vfork-child execve: ENOENT
status=99
EOF
  t error/shell-127-missing -- /bin/sh -c '/t/nonexistent; echo rc=$?' <<EOF
rc=127
EOF
  t error/shell-127-not-in-path -- /bin/sh -c 'nosuchcommand; echo rc=$?' <<EOF
rc=127
EOF
  t error/shell-126-no-x-bit -- /bin/sh -c '/t/noexec; echo rc=$?' <<EOF
rc=126
EOF
  t error/shell-126-directory -- /bin/sh -c '/t; echo rc=$?' <<EOF
rc=126
EOF
  t error/shell-enotdir -- /bin/sh -c '/t/probe/x; echo rc=$?' <<EOF
rc=127
EOF
  t error/execvp-skips-eacces -e PATH=/t/p1:/t/p2 -- /t/xexec execvp cmd cmd a <<EOF
$(pr -n -E PATH=/t/p1:/t/p2 /t/probe cmd a)
EOF
  t error/execvp-eacces -e PATH=/t/p1:/t/p2 -s 99 -- /t/xexec execvp onlyp1 x <<EOF
execvp: EACCES
EOF
  t error/execvp-enoent -e PATH=/t/p1:/t/p2 -s 99 -- /t/xexec execvp nosuch x <<EOF
execvp: ENOENT
EOF
  t error/execvp-no-magic-in-path -e PATH=/t/p1:/t/p2:/bin -- /t/xexec execvp plaincmd p a <<EOF
plain: /t/p2/plaincmd a
EOF
  t error/shell-path-skips-eacces -e PATH=/t/p1:/t/p2 -- /bin/sh -c 'cmd a' <<EOF
$(pr -n -E PATH=/t/p1:/t/p2 -E PWD=/ -E SHLVL=1 /t/probe cmd a)
EOF
  t error/shell-path-eacces -e PATH=/t/p1:/t/p2 -- /bin/sh -c 'onlyp1; echo rc=$?' <<EOF
rc=126
EOF

  # --- 6. execveat and fexecve -----------------------------------------------------------------
  # Names built from a directory fd are /dev/fd/N/...; exe= lines are not compared for those.
  t at/dirfd-relative -x -- /t/xexec execveat /t probe 0 probe a <<EOF
$(pr - probe a)
EOF
  t at/dirfd-relative-dynamic -x -- /t/xexec execveat /t probe-dyn 0 p <<EOF
$(pr - p)
EOF
  t at/dirfd-absolute-path -- /t/xexec execveat /t/s /t/probe 0 probe <<EOF
$(pr /t/probe probe)
EOF
  t at/fdcwd-relative -- /t/xexec -C /t execveat cwd probe 0 probe <<EOF
$(pr /t/probe probe)
EOF
  t at/empty-path -x -- /t/xexec execveat /t/probe '' empty probe a <<EOF
$(pr - probe a)
EOF
  t at/empty-path-dynamic -x -- /t/xexec execveat /t/probe-dyn '' empty p <<EOF
$(pr - p)
EOF
  # An O_PATH fd cannot be read: an emulator has to reopen it through /proc/self/fd.
  t at/empty-path-opath -p -x -- /t/xexec execveat /t/probe '' empty,opath probe <<EOF
$(pr - probe)
EOF
  t at/empty-path-host-cloexec -x -- /t/xexec execveat /t/hostprobe '' empty,cloexec hp <<EOF
$(pr -a x86_64 - hp)
EOF
  # binfmt_misc refuses a file whose only name dies with a close-on-exec fd (even with flag O).
  if [ "$emu" = 1 ]; then
    t at/empty-path-cloexec -s 99 -- /t/xexec execveat /t/probe '' empty,cloexec probe <<EOF
execveat: ENOENT
EOF
    t at/dirfd-cloexec -s 99 -- /t/xexec execveat /t probe cloexec probe <<EOF
execveat: ENOENT
EOF
  else
    t at/empty-path-cloexec -x -- /t/xexec execveat /t/probe '' empty,cloexec probe <<EOF
$(pr - probe)
EOF
    t at/dirfd-cloexec -x -- /t/xexec execveat /t probe cloexec probe <<EOF
$(pr - probe)
EOF
  fi
  t at/nofollow-symlink -s 99 -- /t/xexec execveat /t probe-link nofollow p <<EOF
execveat: ELOOP
EOF
  t at/nofollow-regular-file -x -- /t/xexec execveat /t probe nofollow probe <<EOF
$(pr - probe)
EOF
  t at/empty-path-without-flag -s 99 -- /t/xexec execveat /t/probe '' 0 p <<EOF
execveat: ENOENT
EOF
  t at/dirfd-not-directory -s 99 -- /t/xexec execveat /t/probe probe 0 p <<EOF
execveat: ENOTDIR
EOF
  t at/dirfd-enoent -s 99 -- /t/xexec execveat /t nonexistent 0 p <<EOF
execveat: ENOENT
EOF
  t at/dirfd-eacces -s 99 -- /t/xexec execveat /t noexec 0 p <<EOF
execveat: EACCES
EOF
  t at/dirfd-enoexec -s 99 -- /t/xexec execveat /t otherarch 0 p <<EOF
execveat: ENOEXEC
EOF
  t at/script-dirfd -- /t/xexec execveat /t/s arg 0 x a <<EOF
$(pr /t/probe /t/probe -x /dev/fd/9/arg a)
EOF
  t at/script-dirfd-cloexec -s 99 -- /t/xexec execveat /t/s arg cloexec x a <<EOF
execveat: ENOENT
EOF
  t at/script-empty-path -- /t/xexec execveat /t/s/arg '' empty x a <<EOF
$(pr /t/probe /t/probe -x /dev/fd/9 a)
EOF
  t at/script-empty-path-cloexec -s 99 -- /t/xexec execveat /t/s/arg '' empty,cloexec x a <<EOF
execveat: ENOENT
EOF
  t at/fexecve -x -- /t/xexec fexecve /t/probe 0 probe a <<EOF
$(pr - probe a)
EOF
  t at/fexecve-dynamic -x -- /t/xexec fexecve /t/probe-dyn 0 p <<EOF
$(pr - p)
EOF
  t at/fexecve-opath -p -x -- /t/xexec fexecve /t/probe opath p <<EOF
$(pr - p)
EOF
  if [ "$emu" = 1 ]; then
    t at/fexecve-cloexec -s 99 -- /t/xexec fexecve /t/probe cloexec p <<EOF
fexecve: ENOENT
EOF
  else
    t at/fexecve-cloexec -x -- /t/xexec fexecve /t/probe cloexec p <<EOF
$(pr - p)
EOF
  fi
  t at/fexecve-host-cloexec -x -- /t/xexec fexecve /t/hostprobe cloexec hp <<EOF
$(pr -a x86_64 - hp)
EOF
  t at/fexecve-script -- /t/xexec fexecve /t/s/arg 0 x a <<EOF
$(pr /t/probe /t/probe -x /dev/fd/9 a)
EOF
  t at/fexecve-script-cloexec -s 99 -- /t/xexec fexecve /t/s/arg cloexec x a <<EOF
fexecve: ENOENT
EOF
  t at/fexecve-eacces -s 99 -- /t/xexec fexecve /t/noexec 0 p <<EOF
fexecve: EACCES
EOF

  # --- 7. /proc/self/exe --------------------------------------------------------------------------
  t proc-self-exe/static -p -- /t/xexec self renamed probe a <<EOF
$(pr /t/xexec renamed probe a)
EOF
  t proc-self-exe/dynamic -p -- /t/xexec-dyn self renamed probe a <<EOF
$(pr /t/xexec-dyn renamed probe a)
EOF
  t proc-self-exe/from-script-interpreter -p -- /t/xexec execve /t/s/basic x <<EOF
$(pr /t/probe /t/probe /t/s/basic)
EOF

  # --- 8. empty environment, vfork, posix_spawn, threads, signals, descriptors -----------------
  t env/empty-top-level -E -- /t/xexec execve /t/probe p <<EOF
$(pr -n /t/probe p)
EOF
  t env/empty-exec -- /t/xexec -0 execve /t/probe p <<EOF
$(pr -n /t/probe p)
EOF
  t env/empty-exec-dynamic -- /t/xexec -0 execve /t/probe-dyn p <<EOF
$(pr -n /t/probe-dyn p)
EOF
  t env/busybox-env-i -- /bin/env -i /t/probe a <<EOF
$(pr -n /t/probe /t/probe a)
EOF
  t env/empty-chain -E -- /bin/env -i /t/xexec -0 execve /t/xexec xexec -0 execve /t/probe p <<EOF
$(pr -n /t/probe p)
EOF
  t vfork/elf -- /t/xexec vfork /t/probe probe a <<EOF
$(pr /t/probe probe a)
status=0
EOF
  t vfork/dynamic -- /t/xexec-dyn vfork /t/probe-dyn p <<EOF
$(pr /t/probe-dyn p)
status=0
EOF
  t vfork/script -- /t/xexec vfork /t/s/arg x a <<EOF
$(pr /t/probe /t/probe -x /t/s/arg a)
status=0
EOF
  t vfork/host -- /t/xexec vfork /t/hostprobe hp <<EOF
$(pr -a x86_64 "$HOST_EXE" hp)
status=0
EOF
  t vfork/exit-status -- /t/xexec vfork /t/s/exit7 x <<EOF
status=7
EOF
  t spawn/elf -- /t/xexec spawn /t/probe probe a <<EOF
$(pr /t/probe probe a)
status=0
EOF
  t spawn/dynamic -- /t/xexec-dyn spawn /t/probe-dyn p <<EOF
$(pr /t/probe-dyn p)
status=0
EOF
  t spawn/script -- /t/xexec spawn /t/s/arg x a <<EOF
$(pr /t/probe /t/probe -x /t/s/arg a)
status=0
EOF
  t spawn/host -- /t/xexec spawn /t/hostprobe hp <<EOF
$(pr -a x86_64 "$HOST_EXE" hp)
status=0
EOF
  t spawn/killed -- /t/xexec spawn /t/xexec xexec kill TERM <<EOF
signal=TERM
EOF
  t spawn/path-search -e PATH=/t/p1:/t/p2 -- /t/xexec spawnp cmd cmd a <<EOF
$(pr -n -E PATH=/t/p1:/t/p2 /t/probe cmd a)
status=0
EOF
  t thread/exec-from-second-thread -- /t/xexec thread /t/probe probe a <<EOF
$(pr /t/probe probe a)
EOF
  # The signal mask, pending signals and ignored signals survive exec; handlers do not.
  t signal/state-survives-exec -- /t/xexec sigexec /t/xexec xexec sigstate <<EOF
blocked=USR1,USR2
pending=USR1
ignored=INT
EOF
  t signal/state-survives-script -- /t/xexec sigexec /t/s/sigstate x <<EOF
blocked=USR1,USR2
pending=USR1
ignored=INT
EOF
  t signal/flood-elf -- /t/xexec sigexec /t/probe-dyn p <<EOF
$(pr /t/probe-dyn p)
EOF
  t signal/flood-enoent -s 99 -- /t/xexec sigexec /t/nonexistent x <<EOF
execve: ENOENT
EOF
  t fd/cloexec -- /t/xexec fdexec /t/xexec xexec fds 5 6 <<EOF
5=open 6=closed
EOF
  t fd/cloexec-script -- /t/xexec fdexec /t/s/fds x 5 6 <<EOF
5=open 6=closed
EOF
  # Nothing the emulator opens for itself (the guest program it passes to the next emulator,
  # one per exec) may stay open: after 20 execs a guest program, a dynamic one and a host
  # program, and a guest shell's host and guest children, see only the descriptors the suite
  # started them with, as on the kernel.
  t fd/count-after-exec-chain -- /t/xexec chain 20 /t/fdcount fdcount <<EOF
count=3 fds=0,1,2
EOF
  t fd/count-after-exec-chain-dynamic -- /t/xexec-dyn chain 20 /t/fdcount fdcount <<EOF
count=3 fds=0,1,2
EOF
  t fd/count-host-child-after-exec-chain -- /t/xexec chain 20 /t/hostfdcount hostfdcount <<EOF
count=3 fds=0,1,2
EOF
  t fd/count-shell-children -- \
    /bin/sh -c '/t/hostfdcount; /t/fdcount; /t/xexec spawn /t/hostfdcount h' <<EOF
count=3 fds=0,1,2
count=3 fds=0,1,2
count=3 fds=0,1,2
status=0
EOF
  # The emulator's descriptor for the next emulator must stay out of reach while other
  # threads fork: a child forked as the exec happens would keep it through its own execs.
  t fd/exec-while-forking -- /t/xexec forkrace 20 <<EOF
inherited=-
EOF

  # --- 9. set-ID programs (-execve-setid) --------------------------------------------------------
  # `ids` prints "uid REAL EFFECTIVE SAVED gid REAL EFFECTIVE SAVED secure AT_SECURE"; `ids as
  # 1000 1000 -- PROG` first drops from root to 1000:1000 as a login does. The kernel makes a
  # setuid file's owner the effective and saved uid and a setgid file's group (only with group
  # execute) the effective and saved gid, and keeps the real ids; for a plain program the saved
  # ids become the effective ones. AT_SECURE is 1 when the effective ids then differ from the
  # real ones. Owners: ids-suid 0:0 (4755), ids-suid2000 2000:2000 (4755), ids-sgid 0:50 (2755),
  # ids-sgid-nogx 0:50 (2745), ids-suid-sgid 2000:50 (6755); see make-root.sh.
  t setid/suid-root -u -p -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/suid-root-dynamic -u -p -- /t/ids as 1000 1000 -- /t/ids-suid-dyn <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/suid-other-user -u -p -- /t/ids as 1000 1000 -- /t/ids-suid2000 <<EOF
uid 1000 2000 2000 gid 1000 1000 1000 secure 1
EOF
  t setid/sgid -u -p -- /t/ids as 1000 1000 -- /t/ids-sgid <<EOF
uid 1000 1000 1000 gid 1000 50 50 secure 1
EOF
  t setid/sgid-without-group-exec -u -p -- /t/ids as 1000 1000 -- /t/ids-sgid-nogx <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/suid-and-sgid -u -p -- /t/ids as 1000 1000 -- /t/ids-suid-sgid <<EOF
uid 1000 2000 2000 gid 1000 50 50 secure 1
EOF
  t setid/plain -u -p -- /t/ids as 1000 1000 -- /t/ids <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/suid-root-by-root -u -p -- /t/ids -- /t/ids-suid <<EOF
uid 0 0 0 gid 0 0 0 secure 0
EOF
  t setid/suid-other-user-by-root -u -p -- /t/ids -- /t/ids-suid2000 <<EOF
uid 0 2000 2000 gid 0 0 0 secure 1
EOF
  t setid/sgid-by-root -u -p -- /t/ids -- /t/ids-sgid <<EOF
uid 0 0 0 gid 0 50 50 secure 1
EOF
  t setid/nosuid-mount -u -p -n -- /t/ids as 1000 1000 -- /mnt/nosuid/ids-suid <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/no-new-privs -u -p -- /t/ids as 1000 1000 nnp -- /t/ids-suid <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  # What sudo does: a setuid-root program sets all uids to 0 and runs a plain program. Without
  # that the plain program keeps the effective uid 0 (and its saved uid becomes 0); with all
  # uids back at 1000 nothing is left.
  t setid/sudo-setall-root -u -p -- /t/ids as 1000 1000 -- /t/ids-suid show setall 0 -- /t/ids <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
uid 0 0 0 gid 1000 1000 1000 secure 0
EOF
  t setid/sudo-keep-ids -u -p -- /t/ids as 1000 1000 -- /t/ids-suid show -- /t/ids <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/sudo-drop -u -p -- /t/ids as 1000 1000 -- /t/ids-suid show setall 1000 -- /t/ids <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/suid-from-suid -u -p -- /t/ids as 1000 1000 -- /t/ids-suid -- /t/ids-suid2000 <<EOF
uid 1000 2000 2000 gid 1000 1000 1000 secure 1
EOF
  # The kernel ignores set-ID bits on a #! script; its interpreter's count.
  t setid/script-suid-ignored -u -p -- /t/ids as 1000 1000 -- /t/s/suid-script <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/script-suid-interpreter -u -p -- /t/ids as 1000 1000 -- /t/s/suid-interp <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/fexecve -u -p -- /t/ids as 1000 1000 -- /t/xexec fexecve /t/ids-suid 0 ids <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/spawn -u -p -- /t/ids as 1000 1000 -- /t/xexec spawn /t/ids-suid ids <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
status=0
EOF
  t setid/shell-children -u -p -- /t/ids as 1000 1000 -- /bin/sh -c '/t/ids-suid; /t/ids' <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/long-form -m long -u -p -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  t setid/env-form -m env -u -p -- /t/ids as 1000 1000 -- /bin/sh -c /t/ids-suid-dyn <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  # A secure exec loses the variables the C library deems unsafe (the program's own C library
  # drops them); one that is not secure keeps them, though the setid copy started secure.
  t setid/env-secure -u -p -e TMPDIR=/x -e LD_LIBRARY_PATH=/y -- \
    /t/ids as 1000 1000 -- /t/probe-suid p <<EOF
$(pr /t/probe-suid /t/probe-suid p)
EOF
  t setid/env-not-secure -u -p -e TMPDIR=/x -e LD_LIBRARY_PATH=/y -- \
    /t/ids as 1000 1000 -- /t/probe-suid1000 p <<EOF
$(pr -E TMPDIR=/x -E LD_LIBRARY_PATH=/y /t/probe-suid1000 /t/probe-suid1000 p)
EOF
  t setid/with-cpu-option -o emu -u -p -q "-cpu $CPU_OLD" -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 0 0 gid 1000 1000 1000 secure 1
EOF
  # Only the emulator: without -execve-setid set-ID bits are ignored (the option is what makes
  # the difference), and so they are without /proc (the setid copy needs /proc/self/exe) and
  # with an option that does not describe the machine, such as -L (the patch's documented
  # limits: less than the kernel gives, never more).
  t setid/without-setid-option -o emu -p -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/without-proc -o emu -u -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  t setid/with-L-option -o emu -u -p -q "-L /opt/lroot" -- /t/ids as 1000 1000 -- /t/ids-suid <<EOF
uid 1000 1000 1000 gid 1000 1000 1000 secure 0
EOF
  # The setid copy started by hand (a host program: the kernel makes it root) must not make a
  # plain guest program root; it may run it with the caller's ids (AT_SECURE aside: no exec of
  # the kernel's gives this) or refuse to run (no output). The root has no /dev: stderr goes to
  # /tmp.
  t setid/copy-started-directly -o emu -u -p -- /t/ids as 1000 1000 -- /bin/sh -c "
    l=\$($QS /t/ids 2>/tmp/copy.err); rc=\$?
    case \"\$rc:\$l\" in
      126:* | 127:*) echo \"not started: \$rc\" ;;
      *: | *:'uid 1000 1000 1000 gid 1000 1000 1000 secure '[01]) echo no-gain ;;
      *) echo \"gained: \$l\" ;;
    esac" <<EOF
no-gain
EOF
}
