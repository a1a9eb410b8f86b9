/*
 * xexec: exec helper for the guest test suite.
 *
 *   xexec [-C DIR] [-0] COMMAND ARGS...
 *
 * -C DIR   chdir(DIR) first.
 * -0       pass an empty environment to the exec call.
 *
 * Exec commands (ARGV... becomes the new argv; no ARGV at all means a NULL argv):
 *   execve PATH ARGV...             execve(2)
 *   execveat DIR PATH FLAGS ARGV... execveat(2); DIR is "cwd" (AT_FDCWD) or a path opened
 *                                   as fd 9; FLAGS is "0" or a comma list of empty
 *                                   (AT_EMPTY_PATH), nofollow (AT_SYMLINK_NOFOLLOW),
 *                                   cloexec (open DIR with O_CLOEXEC), opath (with O_PATH)
 *   fexecve FILE FLAGS ARGV...      glibc fexecve(3) on FILE opened as fd 9 (FLAGS as above)
 *   execvp FILE ARGV...             glibc execvp(3) (PATH search, ENOEXEC fallback)
 *   self ARGV...                    execve("/proc/self/exe")
 *   vfork PATH ARGV...              vfork(2) + execve(2) in the child, then wait
 *   spawn PATH ARGV...              posix_spawn(3), then wait
 *   spawnp FILE ARGV...             posix_spawnp(3), then wait
 *   thread PATH ARGV...             execve(2) from a second thread
 *   big PATH SIZE COUNT ARGV...     execve with COUNT extra arguments of SIZE bytes (with NUL)
 *   fdexec PATH ARGV...             execve with fd 5 open and fd 6 open close-on-exec
 *   chain N PATH ARGV...            execve this program (argv[0], which must name it) with
 *                                   "chain N-1 PATH ARGV..." N times, then PATH with ARGV
 *   forkrace N                      execve this program (argv[0]) N times, each time while
 *                                   two other threads fork without pause; every child reports
 *                                   through a pipe the descriptors an exec of its own would
 *                                   keep (open, not close-on-exec) besides 0-2 and the pipe,
 *                                   and the last program prints them: "inherited=FD,..." or
 *                                   "inherited=-"
 *   sigexec PATH ARGV...            execve with USR1,USR2 blocked, USR1 pending, INT ignored,
 *                                   a WINCH handler installed, and a child flooding WINCH
 * A failed exec prints "<command>: <ERRNO NAME>" and exits 99. Waiting commands print
 * "status=N" or "signal=NAME" for the child.
 *
 * Report commands:
 *   probe            same report as the probe program (arch, argv, exe, env)
 *   argsum           "argc=N bytes=M" (M = total length of all argv strings)
 *   hwcap            a few AT_HWCAP/AT_HWCAP2 bits (CPUID bits on i386) that depend on the
 *                    emulated CPU model
 *   mmap ADDR LEN    try a MAP_FIXED_NOREPLACE mapping of LEN bytes at ADDR
 *   sigstate         blocked, pending and ignored signals among a fixed set
 *   fds FD...        "FD=open" or "FD=closed" for each numeric argument
 *   pidwait PIDFILE FIFO   write getpid() to PIDFILE, then read FIFO until EOF
 *   kill SIG         die by signal SIG (name without SIG prefix)
 *   exit N           exit with status N
 *   stat PATH        "PATH: ok" or "PATH: <ERRNO NAME>"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__i386__)
#include <cpuid.h>
#endif

#include "report.h"

#define EXIT_EXEC_FAILED 99

extern char **environ;

static char *empty_env[] = { NULL };
static char **exec_env;
static char *null_argv[] = { NULL };

static void usage(void)
{
    fputs("usage: xexec [-C DIR] [-0] COMMAND ARGS... (see the source for commands)\n", stderr);
    exit(2);
}

static void need(int argc, int n)
{
    if (argc < n) {
        usage();
    }
}

/* argv for the new program: the remaining arguments, or a NULL argv if there are none. */
static char **rest(int argc, char **argv, int from)
{
    return from < argc ? argv + from : null_argv;
}

static void exec_failed(const char *what, int err)
{
    printf("%s: %s\n", what, errno_name(err));
    fflush(stdout);
    exit(EXIT_EXEC_FAILED);
}

static unsigned long parse_num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || end == s) {
        fprintf(stderr, "xexec: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static int parse_signal(const char *name)
{
    for (int s = 1; s < NSIG; s++) {
        const char *n = sigabbrev_np(s);
        if (n && strcmp(n, name) == 0) {
            return s;
        }
    }
    fprintf(stderr, "xexec: unknown signal '%s'\n", name);
    exit(2);
}

struct exec_flags {
    int at_flags;
    int open_flags;
};

static struct exec_flags parse_flags(const char *s)
{
    struct exec_flags f = { 0, 0 };
    char *copy = strdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "0") == 0) {
            continue;
        } else if (strcmp(tok, "empty") == 0) {
            f.at_flags |= AT_EMPTY_PATH;
        } else if (strcmp(tok, "nofollow") == 0) {
            f.at_flags |= AT_SYMLINK_NOFOLLOW;
        } else if (strcmp(tok, "cloexec") == 0) {
            f.open_flags |= O_CLOEXEC;
        } else if (strcmp(tok, "opath") == 0) {
            f.open_flags |= O_PATH;
        } else {
            fprintf(stderr, "xexec: unknown flag '%s'\n", tok);
            exit(2);
        }
    }
    free(copy);
    return f;
}

/* Open PATH as fd 9 with the given extra open flags (the fd number is part of /dev/fd/N names). */
static int open_fd9(const char *path, int open_flags)
{
    int fd = open(path, O_RDONLY | open_flags);
    if (fd < 0) {
        printf("open %s: %s\n", path, errno_name(errno));
        exit(2);
    }
    if (fd != 9) {
        if (dup3(fd, 9, open_flags & O_CLOEXEC) < 0) {
            perror("dup3");
            exit(2);
        }
        close(fd);
    }
    return 9;
}

static void print_wait_status(int status)
{
    if (WIFEXITED(status)) {
        printf("status=%d\n", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        printf("signal=%s\n", signal_name(WTERMSIG(status)));
    } else {
        printf("wait=0x%x\n", status);
    }
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            printf("waitpid: %s\n", errno_name(errno));
            return 1;
        }
    }
    fflush(stdout);
    print_wait_status(status);
    return 0;
}

static int cmd_vfork(char *path, char **args)
{
    pid_t pid = vfork();
    if (pid < 0) {
        printf("vfork: %s\n", errno_name(errno));
        return 1;
    }
    if (pid == 0) {
        execve(path, args, exec_env);
        /* Only async-signal-safe calls in a vfork child. */
        const char *n = errno_name(errno);
        write(1, "vfork-child execve: ", 20);
        write(1, n, strlen(n));
        write(1, "\n", 1);
        _exit(EXIT_EXEC_FAILED);
    }
    return wait_child(pid);
}

static int cmd_spawn(int use_path, char *path, char **args)
{
    pid_t pid;
    int err = use_path ? posix_spawnp(&pid, path, NULL, NULL, args, exec_env)
                       : posix_spawn(&pid, path, NULL, NULL, args, exec_env);
    if (err) {
        printf("%s: %s\n", use_path ? "posix_spawnp" : "posix_spawn", errno_name(err));
        return EXIT_EXEC_FAILED;
    }
    return wait_child(pid);
}

struct thread_exec {
    char *path;
    char **args;
};

static void *thread_main(void *p)
{
    struct thread_exec *te = p;
    execve(te->path, te->args, exec_env);
    exec_failed("thread execve", errno);
    return NULL;
}

static int cmd_thread(char *path, char **args)
{
    static struct thread_exec te;
    pthread_t t;
    te.path = path;
    te.args = args;
    fflush(stdout);
    if (pthread_create(&t, NULL, thread_main, &te) != 0) {
        printf("pthread_create failed\n");
        return 1;
    }
    for (;;) {
        pause();
    }
}

static int cmd_big(char *path, size_t size, size_t count, int argc, char **argv, int from)
{
    size_t nfixed = from < argc ? (size_t)(argc - from) : 0;
    char **args = calloc(nfixed + count + 1, sizeof(char *));
    char *big = malloc(size);
    if (!args || !big || size == 0) {
        printf("big: bad size\n");
        return 2;
    }
    memset(big, 'x', size - 1);
    big[size - 1] = '\0';
    for (size_t i = 0; i < nfixed; i++) {
        args[i] = argv[from + i];
    }
    for (size_t i = 0; i < count; i++) {
        args[nfixed + i] = big;
    }
    execve(path, args, exec_env);
    exec_failed("execve", errno);
    return EXIT_EXEC_FAILED;
}

static int cmd_argsum(int argc, char **argv)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) {
        bytes += strlen(argv[i]);
    }
    printf("argc=%d bytes=%zu\n", argc, bytes);
    return 0;
}

static int cmd_hwcap(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    unsigned long hw2 = getauxval(AT_HWCAP2);
#if defined(__aarch64__)
    (void)hw2;
    printf("atomics=%d sve=%d\n", !!(hw & (1UL << 8)), !!(hw & (1UL << 22)));
#elif defined(__arm__)
    printf("idiva=%d lpae=%d aes=%d\n", !!(hw & (1UL << 17)), !!(hw & (1UL << 20)),
           !!(hw2 & (1UL << 0)));
#elif defined(__i386__)
    /* glibc's AT_HWCAP is its own on x86: ask CPUID.1:EDX, which the kernel's AT_HWCAP is. */
    unsigned int eax, ebx, ecx, edx = 0;
    (void)hw;
    (void)hw2;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    printf("cmov=%d sse=%d sse2=%d\n", !!(edx & (1U << 15)), !!(edx & (1U << 25)),
           !!(edx & (1U << 26)));
#elif defined(__powerpc64__)
    (void)hw;
    printf("arch_2_07=%d arch_3_00=%d arch_3_1=%d\n", !!(hw2 & 0x80000000UL),
           !!(hw2 & 0x00800000UL), !!(hw2 & 0x00040000UL));
#elif defined(__s390x__)
    (void)hw2;
    printf("eimm=%d vx=%d\n", !!(hw & (1UL << 5)), !!(hw & (1UL << 11)));
#elif defined(__riscv)
    /* One bit per single-letter ISA extension, bit 0 for 'a'. */
    (void)hw2;
    printf("c=%d v=%d\n", !!(hw & (1UL << ('c' - 'a'))), !!(hw & (1UL << ('v' - 'a'))));
#elif defined(__mips__)
    (void)hw2;
    printf("r6=%d msa=%d loongson_mmi=%d\n", !!(hw & (1UL << 0)), !!(hw & (1UL << 1)),
           !!(hw & (1UL << 11)));
#else
    (void)hw;
    (void)hw2;
    printf("hwcap=n/a\n");
#endif
    return 0;
}

static int cmd_mmap(unsigned long addr, unsigned long len)
{
    /*
     * MAP_FIXED, not MAP_FIXED_NOREPLACE: QEMU 7.2 takes the latter as a hint.
     * The address is far from anything the probe maps, so nothing is replaced.
     */
    void *want = (void *)addr;
    void *p = mmap(want, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap=%s\n", errno_name(errno));
    } else if (p == want) {
        printf("mmap=ok\n");
    } else {
        printf("mmap=moved\n");
    }
    return 0;
}

static const int tracked_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGWINCH, SIGURG,
};
#define NTRACKED (sizeof(tracked_signals) / sizeof(tracked_signals[0]))

static void print_sigset_line(const char *label, int (*member)(int sig, void *ctx), void *ctx)
{
    int any = 0;
    printf("%s=", label);
    for (size_t i = 0; i < NTRACKED; i++) {
        if (member(tracked_signals[i], ctx)) {
            printf("%s%s", any ? "," : "", signal_name(tracked_signals[i]));
            any = 1;
        }
    }
    printf("%s\n", any ? "" : "-");
}

static int in_set(int sig, void *ctx)
{
    return sigismember((sigset_t *)ctx, sig) == 1;
}

static int is_ignored(int sig, void *ctx)
{
    struct sigaction sa;
    (void)ctx;
    return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

static int cmd_sigstate(void)
{
    sigset_t blocked, pending;
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    sigpending(&pending);
    print_sigset_line("blocked", in_set, &blocked);
    print_sigset_line("pending", in_set, &pending);
    print_sigset_line("ignored", is_ignored, NULL);
    return 0;
}

static volatile sig_atomic_t winch_count;

static void on_winch(int sig)
{
    (void)sig;
    winch_count++;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_sigexec(char *path, char **args)
{
    sigset_t none, block;
    struct sigaction sa;
    pid_t parent = getpid();

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (size_t i = 0; i < NTRACKED; i++) {
        signal(tracked_signals[i], SIG_DFL);
    }
    signal(SIGINT, SIG_IGN);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);

    fflush(stdout);
    pid_t flooder = fork();
    if (flooder < 0) {
        printf("fork: %s\n", errno_name(errno));
        return 1;
    }
    if (flooder == 0) {
        /* Keep no output open, so nobody waits for this process's EOF. */
        close(0);
        close(1);
        close(2);
        /* Flood the parent until it (or the program it became) is gone. */
        while (getppid() == parent && kill(parent, SIGWINCH) == 0) {
        }
        _exit(0);
    }
    double deadline = now_seconds() + 20;
    while (winch_count < 20 && now_seconds() < deadline) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    if (winch_count < 20) {
        printf("sigexec: signal flood did not start\n");
        return 1;
    }
    execve(path, args, exec_env);
    exec_failed("execve", errno);
    return EXIT_EXEC_FAILED;
}

static int cmd_fds(int argc, char **argv, int from)
{
    const char *sep = "";
    for (int i = from; i < argc; i++) {
        char *end;
        long fd = strtol(argv[i], &end, 10);
        if (*argv[i] == '\0' || *end) {
            continue; /* not a number: lets a #! line put the script path in between */
        }
        printf("%s%ld=%s", sep, fd, fcntl((int)fd, F_GETFD) == -1 ? "closed" : "open");
        sep = " ";
    }
    printf("\n");
    return 0;
}

static int cmd_fdexec(char *path, char **args)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (fd < 0 || dup2(fd, 5) < 0 || dup3(fd, 6, O_CLOEXEC) < 0) {
        printf("fdexec: setup failed: %s\n", errno_name(errno));
        return 2;
    }
    if (fd != 5 && fd != 6) {
        close(fd);
    }
    execve(path, args, exec_env);
    exec_failed("execve", errno);
    return EXIT_EXEC_FAILED;
}

static int cmd_chain(int argc, char **argv, int from)
{
    unsigned long n = parse_num(argv[from]);
    char count[32];

    if (n == 0) {
        execve(argv[from + 1], rest(argc, argv, from + 2), exec_env);
        exec_failed("chain execve", errno);
    }
    /* The same argv with the count lowered: options such as -0 stay in effect. */
    snprintf(count, sizeof(count), "%lu", n - 1);
    argv[from] = count;
    execve(argv[0], argv, exec_env);
    exec_failed("chain self execve", errno);
    return EXIT_EXEC_FAILED;
}

/* forkrace: the pipe the forked children report to, kept open across the execs. */
#define RACE_READ_FD 7
#define RACE_WRITE_FD 8
#define RACE_FD_LIMIT 1024
#define RACE_THREADS 2

static int race_forks;

/* Forked child: report every descriptor it would pass on through an exec. */
static void race_child_report(void)
{
    char line[16];

    for (int fd = 3; fd < RACE_FD_LIMIT; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fd != RACE_READ_FD && fd != RACE_WRITE_FD && fl != -1 && !(fl & FD_CLOEXEC)) {
            int n = snprintf(line, sizeof(line), "%d\n", fd);
            if (write(RACE_WRITE_FD, line, n) != n) {
                _exit(1);
            }
        }
    }
    _exit(0);
}

static void *race_forker(void *arg)
{
    (void)arg;
    for (;;) {
        if (fork() == 0) {
            race_child_report();
        }
        __atomic_add_fetch(&race_forks, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

/* The last program: collect what every child reported (each child exits at once). */
static int race_collect(void)
{
    static char seen[RACE_FD_LIMIT];
    char buf[4096], line[16];
    size_t len = 0;
    ssize_t n;
    int any = 0;

    close(RACE_WRITE_FD);
    while ((n = read(RACE_READ_FD, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof(line) - 1) {
                    line[len++] = buf[i];
                }
                continue;
            }
            line[len] = '\0';
            len = 0;
            long fd = strtol(line, NULL, 10);
            if (fd > 0 && fd < RACE_FD_LIMIT) {
                seen[fd] = 1;
            }
        }
    }
    printf("inherited=");
    for (int fd = 0; fd < RACE_FD_LIMIT; fd++) {
        if (seen[fd]) {
            printf("%s%d", any ? "," : "", fd);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : "-");
    return 0;
}

static int cmd_forkrace(char *self, unsigned long n, int first)
{
    char count[32];
    char *args[] = { self, "forkrace-link", count, NULL };
    pthread_t t;

    if (first) {
        int p[2];
        if (pipe(p) < 0 || p[0] >= RACE_READ_FD || p[1] >= RACE_READ_FD ||
            dup2(p[0], RACE_READ_FD) < 0 || dup2(p[1], RACE_WRITE_FD) < 0) {
            printf("forkrace: pipe setup failed\n");
            return 2;
        }
        close(p[0]);
        close(p[1]);
    }
    if (n == 0) {
        return race_collect();
    }
    /* No waiting: the children are reaped by the kernel (and outlive the exec). */
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < RACE_THREADS; i++) {
        if (pthread_create(&t, NULL, race_forker, NULL) != 0) {
            printf("forkrace: pthread_create failed\n");
            return 2;
        }
    }
    /* Exec while children are being forked. */
    while (__atomic_load_n(&race_forks, __ATOMIC_SEQ_CST) < 2) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    snprintf(count, sizeof(count), "%lu", n - 1);
    execve(self, args, exec_env);
    exec_failed("forkrace execve", errno);
    return EXIT_EXEC_FAILED;
}

static int cmd_pidwait(const char *pidfile, const char *fifo)
{
    char tmp[4096], buf[256];
    snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        printf("pidwait: %s: %s\n", tmp, errno_name(errno));
        return 2;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    if (rename(tmp, pidfile) < 0) {
        printf("pidwait: rename: %s\n", errno_name(errno));
        return 2;
    }
    int fd = open(fifo, O_RDONLY);
    if (fd < 0) {
        printf("pidwait: %s: %s\n", fifo, errno_name(errno));
        return 2;
    }
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
    printf("released\n");
    return 0;
}

static int cmd_kill(const char *name)
{
    int sig = parse_signal(name);
    sigset_t s;
    signal(sig, SIG_DFL);
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    fflush(stdout);
    raise(sig);
    printf("survived %s\n", name);
    return 98;
}

static int cmd_stat(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        printf("%s: ok\n", path);
    } else {
        printf("%s: %s\n", path, errno_name(errno));
    }
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    exec_env = environ;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
            if (chdir(argv[i + 1]) < 0) {
                printf("chdir %s: %s\n", argv[i + 1], errno_name(errno));
                return 2;
            }
            i += 2;
        } else if (strcmp(argv[i], "-0") == 0) {
            exec_env = empty_env;
            i++;
        } else {
            usage();
        }
    }
    need(argc, i + 1);
    const char *cmd = argv[i++];
    /* Exec commands flush first: the new program shares our stdout. */
    fflush(stdout);

    if (strcmp(cmd, "execve") == 0) {
        need(argc, i + 1);
        execve(argv[i], rest(argc, argv, i + 1), exec_env);
        exec_failed("execve", errno);
    } else if (strcmp(cmd, "execveat") == 0) {
        need(argc, i + 3);
        struct exec_flags f = parse_flags(argv[i + 2]);
        int dirfd = strcmp(argv[i], "cwd") == 0 ? AT_FDCWD : open_fd9(argv[i], f.open_flags);
        syscall(SYS_execveat, dirfd, argv[i + 1], rest(argc, argv, i + 3), exec_env, f.at_flags);
        exec_failed("execveat", errno);
    } else if (strcmp(cmd, "fexecve") == 0) {
        need(argc, i + 2);
        struct exec_flags f = parse_flags(argv[i + 1]);
        int fd = open_fd9(argv[i], f.open_flags);
        fexecve(fd, rest(argc, argv, i + 2), exec_env);
        exec_failed("fexecve", errno);
    } else if (strcmp(cmd, "execvp") == 0) {
        need(argc, i + 1);
        if (exec_env != environ) {
            environ = exec_env;
        }
        execvp(argv[i], rest(argc, argv, i + 1));
        exec_failed("execvp", errno);
    } else if (strcmp(cmd, "self") == 0) {
        execve("/proc/self/exe", rest(argc, argv, i), exec_env);
        exec_failed("execve", errno);
    } else if (strcmp(cmd, "vfork") == 0) {
        need(argc, i + 1);
        return cmd_vfork(argv[i], rest(argc, argv, i + 1));
    } else if (strcmp(cmd, "spawn") == 0 || strcmp(cmd, "spawnp") == 0) {
        need(argc, i + 1);
        return cmd_spawn(cmd[5] == 'p', argv[i], rest(argc, argv, i + 1));
    } else if (strcmp(cmd, "thread") == 0) {
        need(argc, i + 1);
        return cmd_thread(argv[i], rest(argc, argv, i + 1));
    } else if (strcmp(cmd, "big") == 0) {
        need(argc, i + 3);
        return cmd_big(argv[i], parse_num(argv[i + 1]), parse_num(argv[i + 2]), argc, argv, i + 3);
    } else if (strcmp(cmd, "fdexec") == 0) {
        need(argc, i + 1);
        return cmd_fdexec(argv[i], rest(argc, argv, i + 1));
    } else if (strcmp(cmd, "chain") == 0) {
        need(argc, i + 2);
        return cmd_chain(argc, argv, i);
    } else if (strcmp(cmd, "forkrace") == 0 || strcmp(cmd, "forkrace-link") == 0) {
        need(argc, i + 1);
        return cmd_forkrace(argv[0], parse_num(argv[i]), cmd[8] == '\0');
    } else if (strcmp(cmd, "sigexec") == 0) {
        need(argc, i + 1);
        return cmd_sigexec(argv[i], rest(argc, argv, i + 1));
    } else if (strcmp(cmd, "probe") == 0) {
        report_process(argc, argv);
        return 0;
    } else if (strcmp(cmd, "argsum") == 0) {
        return cmd_argsum(argc, argv);
    } else if (strcmp(cmd, "hwcap") == 0) {
        return cmd_hwcap();
    } else if (strcmp(cmd, "mmap") == 0) {
        need(argc, i + 2);
        return cmd_mmap(parse_num(argv[i]), parse_num(argv[i + 1]));
    } else if (strcmp(cmd, "sigstate") == 0) {
        return cmd_sigstate();
    } else if (strcmp(cmd, "fds") == 0) {
        return cmd_fds(argc, argv, i);
    } else if (strcmp(cmd, "pidwait") == 0) {
        need(argc, i + 2);
        return cmd_pidwait(argv[i], argv[i + 1]);
    } else if (strcmp(cmd, "kill") == 0) {
        need(argc, i + 1);
        return cmd_kill(argv[i]);
    } else if (strcmp(cmd, "exit") == 0) {
        need(argc, i + 1);
        return (int)parse_num(argv[i]);
    } else if (strcmp(cmd, "stat") == 0) {
        need(argc, i + 1);
        return cmd_stat(argv[i]);
    }
    usage();
    return 2;
}
