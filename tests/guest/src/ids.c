/*
 * ids: print this process's user and group ids, or change them first and exec a program.
 *
 *   ids [WORD...] [-- PROG ARGS...]
 *
 * The words are done from left to right:
 *   show           print "uid R E S gid R E S secure N": the real, effective and saved ids
 *                  (getresuid, getresgid) and getauxval(AT_SECURE)
 *   as U G         become U:G as a login does: setgroups(0), setresgid(G,G,G), setresuid(U,U,U)
 *   setall U       setresuid(U,U,U), as sudo does before it runs a command
 *   nnp            prctl(PR_SET_NO_NEW_PRIVS, 1)
 *   script PATH    ignored: a #! script whose interpreter line is "ids script" passes its path
 * then "-- PROG ARGS..." (or "exec PROG ARGS...") execs PROG with the argv PROG ARGS...; with
 * no program the ids are printed at the end (so `ids` alone prints them).
 * A failed call prints "<what>: <ERRNO NAME>" and exits 99; a bad word exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "report.h"

static void fail(const char *what)
{
    printf("%s: %s\n", what, errno_name(errno));
    exit(99);
}

static void show(void)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (getresuid(&ru, &eu, &su) != 0) {
        fail("getresuid");
    }
    if (getresgid(&rg, &eg, &sg) != 0) {
        fail("getresgid");
    }
    printf("uid %u %u %u gid %u %u %u secure %lu\n", (unsigned)ru, (unsigned)eu, (unsigned)su,
           (unsigned)rg, (unsigned)eg, (unsigned)sg, getauxval(AT_SECURE));
    fflush(stdout);
}

static unsigned number(const char *s)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > 0xfffffffeUL) {
        fprintf(stderr, "ids: bad id '%s'\n", s);
        exit(2);
    }
    return (unsigned)v;
}

/* Argument i of the word at argv[w], or exit 2 if it is missing. */
static const char *arg(int argc, char **argv, int w, int i)
{
    if (w + i >= argc) {
        fprintf(stderr, "ids: %s needs %d argument(s)\n", argv[w], i);
        exit(2);
    }
    return argv[w + i];
}

int main(int argc, char **argv)
{
    int i = 1;

    while (i < argc) {
        const char *w = argv[i];
        if (strcmp(w, "--") == 0 || strcmp(w, "exec") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ids: %s needs a program\n", w);
                return 2;
            }
            fflush(stdout);
            execv(argv[i + 1], argv + i + 1);
            fail("exec");
        } else if (strcmp(w, "show") == 0) {
            show();
            i += 1;
        } else if (strcmp(w, "as") == 0) {
            uid_t u = number(arg(argc, argv, i, 1));
            gid_t g = number(arg(argc, argv, i, 2));
            if (setgroups(0, NULL) != 0) {
                fail("setgroups");
            }
            if (setresgid(g, g, g) != 0) {
                fail("setresgid");
            }
            if (setresuid(u, u, u) != 0) {
                fail("setresuid");
            }
            i += 3;
        } else if (strcmp(w, "setall") == 0) {
            uid_t u = number(arg(argc, argv, i, 1));
            if (setresuid(u, u, u) != 0) {
                fail("setresuid");
            }
            i += 2;
        } else if (strcmp(w, "nnp") == 0) {
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
                fail("prctl");
            }
            i += 1;
        } else if (strcmp(w, "script") == 0) {
            arg(argc, argv, i, 1);
            i += 2;
        } else {
            fprintf(stderr, "ids: unknown word '%s'\n", w);
            return 2;
        }
    }
    show();
    return 0;
}
