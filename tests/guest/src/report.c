/* Shared output helpers for the guest test programs. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

void put_escaped(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        default:
            if (*p < 0x20 || *p >= 0x7f) {
                printf("\\x%02x", *p);
            } else {
                putchar(*p);
            }
        }
    }
}

const char *errno_name(int e)
{
    static char buf[32];
    const char *n = strerrorname_np(e);
    if (n) {
        return n;
    }
    snprintf(buf, sizeof(buf), "E#%d", e);
    return buf;
}

const char *signal_name(int s)
{
    static char buf[32];
    const char *n = sigabbrev_np(s);
    if (n) {
        return n;
    }
    snprintf(buf, sizeof(buf), "SIG#%d", s);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void report_process(int argc, char **argv)
{
    char exe[PATH_MAX + 1];
    ssize_t n;
    size_t envc = 0;

    printf("arch=%s\n", PROBE_ARCH);
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=", i);
        put_escaped(argv[i]);
        putchar('\n');
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0) {
        printf("exe=%s\n", errno_name(errno));
    } else {
        exe[n] = '\0';
        fputs("exe=", stdout);
        put_escaped(exe);
        putchar('\n');
    }
    /* Sorted: emulators are free to reorder the environment block. */
    while (environ && environ[envc]) {
        envc++;
    }
    if (envc) {
        char **sorted = malloc(envc * sizeof(*sorted));
        if (!sorted) {
            abort();
        }
        memcpy(sorted, environ, envc * sizeof(*sorted));
        qsort(sorted, envc, sizeof(*sorted), cmp_str);
        for (size_t i = 0; i < envc; i++) {
            fputs("env=", stdout);
            put_escaped(sorted[i]);
            putchar('\n');
        }
        free(sorted);
    }
    fflush(stdout);
}
