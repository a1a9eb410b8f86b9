/* Shared output helpers for the guest test programs. */
#ifndef REPORT_H
#define REPORT_H

#if defined(__aarch64__)
#define PROBE_ARCH "aarch64"
#elif defined(__arm__)
#define PROBE_ARCH "arm"
#elif defined(__x86_64__)
#define PROBE_ARCH "x86_64"
#elif defined(__i386__)
#define PROBE_ARCH "i386"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define PROBE_ARCH "ppc64le"
#elif defined(__s390x__)
#define PROBE_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define PROBE_ARCH "riscv64"
#elif defined(__mips64) && defined(__MIPSEL__)
#define PROBE_ARCH "mips64el"
#else
#define PROBE_ARCH "unknown"
#endif

/* Print one string with non-printable bytes escaped (\t \r \n \\ \xNN). */
void put_escaped(const char *s);
/* Symbolic name of an errno value ("ENOENT"), or "E#<n>". */
const char *errno_name(int e);
/* Symbolic name of a signal without the SIG prefix ("TERM"), or "SIG#<n>". */
const char *signal_name(int s);
/* Print arch, argc, argv, readlink(/proc/self/exe) and the sorted environment. */
void report_process(int argc, char **argv);

#endif
