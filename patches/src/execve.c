/*
 * -execve: guest execve()/execveat() run as the Linux kernel runs them with a
 * binfmt_misc entry (flags P, O, C, F) for this target that points at this
 * emulator, so that no binfmt_misc registration is needed on the host:
 *
 *  - an ELF for this target is run by this emulator again, with the same
 *    emulation options, argv[0] preserved and the file already opened;
 *  - a "#!" script is parsed as fs/binfmt_script.c does, and its interpreter
 *    goes through these same rules;
 *  - anything else (host ELF, unknown format) is left to the host kernel,
 *    which runs it natively or fails with ENOEXEC;
 *  - path, permission and nesting errors are found before anything is
 *    executed, so they reach the guest as its kernel would return them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include "qemu/cutils.h"
#include "qemu.h"
#include "user-internals.h"
#include "user/safe-syscall.h"
#include "execve.h"

/* What the kernel reads of a file to choose a handler (BINPRM_BUF_SIZE). */
#define EXECVE_BUF_SIZE 256
/* exec_binprm() gives up with ELOOP after handler calls at depths 0 to 5. */
#define EXECVE_MAX_DEPTH 5

char *qemu_execve_path;
int qemu_execve_fd = -1;

/*
 * Options that describe the emulated machine rather than one process's run
 * (argv[0], environment edits, debugging, logging): children get them too.
 */
static const char *const inherited_names[] = {
    "L", "s", "cpu", "r", "B", "R", "t", "one-insn-per-tb", "singlestep",
    "tb-size", "seed", "xtensa-abi-call0", NULL
};

/* name, value (NULL for flags) pairs, in the order first given */
static GPtrArray *inherited;

void qemu_execve_set_path(const char *arg)
{
    g_free(qemu_execve_path);
    qemu_execve_path = NULL;
    if (qemu_execve_setid_self()) {
        arg = qemu_execve_setid_self();     /* see execve-setid.c */
    }
    if (!arg[0]) {
        return;
    }
    /* Absolute, as binfmt_misc's F flag: a guest chdir() must not move it. */
    if (arg[0] == '/') {
        qemu_execve_path = g_strdup(arg);
    } else {
        g_autofree char *cwd = g_get_current_dir();
        qemu_execve_path = g_build_filename(cwd, arg, NULL);
    }
}

void qemu_execve_set_fd(const char *arg)
{
    int fd;

    /* Trailing text or a value beyond int is an error, not truncated. */
    if (qemu_strtoi(arg, NULL, 10, &fd) < 0 || fd < 0) {
        fprintf(stderr, "qemu: invalid -execve-fd '%s'\n", arg);
        exit(EXIT_FAILURE);
    }
    /*
     * Ours alone now: the loader closes it once the program is mapped, and
     * no exec may pass it on before that.
     */
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr, "qemu: -execve-fd %d: %s\n", fd, strerror(errno));
        exit(EXIT_FAILURE);
    }
    qemu_execve_fd = fd;
}

void qemu_execve_note_option(const char *name, const char *value)
{
    const char *const *n;
    guint i;

    for (n = inherited_names; *n && strcmp(*n, name); n++) {
        continue;
    }
    if (!*n) {
        return;
    }
    if (!inherited) {
        inherited = g_ptr_array_new();
    }
    /* The last value given wins, as it does in parse_args(). */
    for (i = 0; i < inherited->len; i += 2) {
        if (!strcmp(g_ptr_array_index(inherited, i), name)) {
            g_free(g_ptr_array_index(inherited, i + 1));
            g_ptr_array_index(inherited, i + 1) = g_strdup(value);
            return;
        }
    }
    g_ptr_array_add(inherited, g_strdup(name));
    g_ptr_array_add(inherited, g_strdup(value));
}

/* What to hand to the host's execveat() for one guest exec. */
typedef struct ExecvePlan {
    int dirfd;
    char *path;
    int flags;
    GPtrArray *argv;    /* NULL-terminated, strings owned */
    int fd;             /* guest ELF kept open for the child emulator, or -1 */
    int proof;          /* our ids for a set-ID child (execve-setid.c), or -1 */
    guint proof_arg;    /* its place in argv, when running the set-ID copy */
} ExecvePlan;

static void plan_free(ExecvePlan *plan)
{
    g_free(plan->path);
    if (plan->argv) {
        g_ptr_array_free(plan->argv, true);
    }
    if (plan->fd >= 0) {
        close(plan->fd);
    }
    if (plan->proof >= 0) {
        close(plan->proof);
    }
}

static GPtrArray *strv_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

/* The name the kernel gives the file (bprm->filename) for this exec. */
static char *kernel_filename(int dirfd, const char *path)
{
    if (dirfd == AT_FDCWD || path[0] == '/') {
        return g_strdup(path);
    }
    if (!path[0]) {
        return g_strdup_printf("/dev/fd/%d", dirfd);
    }
    return g_strdup_printf("/dev/fd/%d/%s", dirfd, path);
}

/* Without faccessat2(): the mode bits decide, as for a file with no ACL. */
static bool mode_allows_exec(const struct stat *st)
{
    uid_t uid = geteuid();

    if (uid == 0) {
        return st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH);
    }
    if (st->st_uid == uid) {
        return st->st_mode & S_IXUSR;
    }
    if (st->st_gid == getegid()) {
        return st->st_mode & S_IXGRP;
    }
    return st->st_mode & S_IXOTH;
}

/*
 * A new open file description for an fd, so that reading it moves no
 * offset the guest sees.
 */
static int reopen_fd(int fd)
{
    g_autofree char *proc = g_strdup_printf("/proc/self/fd/%d", fd);
    int nfd = open(proc, O_RDONLY | O_CLOEXEC);

    if (nfd < 0) {
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }
    return nfd;
}

/*
 * Open a file to be executed, with the errors do_open_execat() gives: the
 * path's own errors, ELOOP for a final symlink under AT_SYMLINK_NOFOLLOW,
 * EACCES for anything but an executable regular file on an exec mount.
 */
static int open_exec(int dirfd, const char *path, int flags)
{
    struct stat st;
    struct statvfs sv;
    int stat_flags = flags & AT_SYMLINK_NOFOLLOW;
    int fd, r;

    if (!path[0]) {
        if (!(flags & AT_EMPTY_PATH)) {
            return -ENOENT;
        }
        stat_flags |= AT_EMPTY_PATH;
    }
    if (fstatat(dirfd, path, &st, stat_flags) < 0) {
        return -errno;
    }
    if (S_ISLNK(st.st_mode)) {
        return -ELOOP;
    }
    if (!S_ISREG(st.st_mode)) {
        return -EACCES;
    }
    r = faccessat(dirfd, path, X_OK, AT_EACCESS | stat_flags);
    if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
        if (!mode_allows_exec(&st)) {
            return -EACCES;
        }
        r = 0;
    }
    if (r < 0) {
        return -errno;
    }
    if (path[0]) {
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC |
                    (flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
    } else {
        fd = reopen_fd(dirfd);
    }
    if (fd < 0) {
        return -errno;
    }
    if (fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_NOEXEC)) {
        close(fd);
        return -EACCES;
    }
    /* Keep clear of 0-2: an fd there could pass for "not opened" in QEMU. */
    if (fd < 3) {
        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        int err = errno;

        close(fd);
        if (nfd < 0) {
            return -err;
        }
        fd = nfd;
    }
    return fd;
}

static bool spacetab(char c)
{
    return c == ' ' || c == '\t';
}

/* First byte in [p, last] that is not a space or tab, or NULL. */
static char *skip_spacetab(char *p, char *last)
{
    for (; p <= last; p++) {
        if (!spacetab(*p)) {
            return p;
        }
    }
    return NULL;
}

/* First space, tab or NUL in [p, last], or NULL. */
static char *find_terminator(char *p, char *last)
{
    for (; p <= last; p++) {
        if (spacetab(*p) || !*p) {
            return p;
        }
    }
    return NULL;
}

/*
 * Split the "#!" line in buf (EXECVE_BUF_SIZE bytes, NUL-padded) into the
 * interpreter and its one optional argument, with binfmt_script's rules: a
 * truncated interpreter name is ENOEXEC, a truncated argument is fine.
 */
static int parse_shebang(char *buf, char **name, char **arg)
{
    char *last = buf + EXECVE_BUF_SIZE - 1;
    char *end = NULL, *sep, *p;

    for (p = buf; p < buf + EXECVE_BUF_SIZE && *p; p++) {
        if (*p == '\n') {
            end = p;
            break;
        }
    }
    if (!end) {
        end = skip_spacetab(buf + 2, last);
        if (!end || !find_terminator(end, last)) {
            return -ENOEXEC;
        }
        end = last;
    }
    while (spacetab(end[-1])) {
        end--;
    }
    *name = skip_spacetab(buf + 2, end);
    if (!*name || *name == end) {
        return -ENOEXEC;
    }
    *arg = NULL;
    sep = find_terminator(*name, end);
    if (sep && *sep) {
        *arg = skip_spacetab(sep, end);
    }
    *end = '\0';
    if (*arg) {
        *sep = '\0';
    }
    return 0;
}

/* Is fd close-on-exec? Then a /dev/fd/N name for it is gone after exec. */
static bool fd_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    return fl >= 0 && (fl & FD_CLOEXEC);
}

static void push_emulator_args(GPtrArray *argv, int fd, const char *argv0,
                               const char *filename)
{
    guint i;

    for (i = 0; inherited && i < inherited->len; i += 2) {
        const char *name = g_ptr_array_index(inherited, i);
        const char *value = g_ptr_array_index(inherited, i + 1);

        g_ptr_array_add(argv, g_strconcat("-", name, NULL));
        if (value) {
            g_ptr_array_add(argv, g_strdup(value));
        }
    }
    g_ptr_array_add(argv, g_strdup("-execve"));
    g_ptr_array_add(argv, g_strdup(qemu_execve_path));
    if (qemu_execve_setid_path) {
        g_ptr_array_add(argv, g_strdup("-execve-setid"));
        g_ptr_array_add(argv, g_strdup(qemu_execve_setid_path));
    }
    g_ptr_array_add(argv, g_strdup("-execve-fd"));
    g_ptr_array_add(argv, g_strdup_printf("%d", fd));
    g_ptr_array_add(argv, g_strdup("-0"));
    g_ptr_array_add(argv, g_strdup(argv0));
    g_ptr_array_add(argv, g_strdup("--"));
    g_ptr_array_add(argv, g_strdup(filename));
}

/* A guest ELF, opened as fd: run this emulator on it, args after argv[0]. */
static void plan_emulator(ExecvePlan *plan, int fd, GPtrArray *args,
                          const char *filename)
{
    bool setid = qemu_execve_setid_wanted(fd);
    guint i;

    plan->argv = strv_new();
    plan->path = g_strdup(setid ? qemu_execve_setid_path : qemu_execve_path);
    g_ptr_array_add(plan->argv, g_strdup(plan->path));
    if (setid) {
        /* The set-ID copy: its mark, then our ids' memfd (plan_pass_fd()). */
        g_ptr_array_add(plan->argv, g_strdup(qemu_execve_setid_mark()));
        plan->proof_arg = plan->argv->len;
        g_ptr_array_add(plan->argv, g_strdup("-1"));
    }
    push_emulator_args(plan->argv, fd, g_ptr_array_index(args, 0), filename);
    for (i = 1; i < args->len; i++) {
        g_ptr_array_add(plan->argv, g_strdup(g_ptr_array_index(args, i)));
    }
    g_ptr_array_add(plan->argv, NULL);
    plan->dirfd = AT_FDCWD;
    plan->fd = fd;
}

/*
 * Decide how the kernel would run execveat(dirfd, path, argv, flags) with
 * our binfmt_misc entry in place. Returns 0 and fills plan, or -errno.
 * argv is the guest's (possibly empty) NULL-terminated vector.
 */
static int plan_exec(int dirfd, const char *path, int flags, char **argv,
                     ExecvePlan *plan)
{
    g_autoptr(GPtrArray) args = strv_new();
    g_autofree char *filename = NULL;
    g_autofree char *cur_path = g_strdup(path);
    int cur_dirfd = dirfd, cur_flags = flags;
    bool inaccessible;
    int depth, i;

    memset(plan, 0, sizeof(*plan));
    plan->fd = -1;
    plan->proof = -1;
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
        return -EINVAL;
    }
    /* Since Linux 5.18 an empty argv is run as if it were { "" }. */
    g_ptr_array_add(args, g_strdup(argv[0] ? argv[0] : ""));
    for (i = 1; argv[0] && argv[i]; i++) {
        g_ptr_array_add(args, g_strdup(argv[i]));
    }
    filename = kernel_filename(dirfd, path);
    inaccessible = dirfd != AT_FDCWD && path[0] != '/' && fd_cloexec(dirfd);

    for (depth = 0; ; depth++) {
        char buf[EXECVE_BUF_SIZE + 1];
        char *name, *arg;
        ssize_t n;
        int fd, r;

        if (depth > EXECVE_MAX_DEPTH) {
            return -ELOOP;
        }
        fd = open_exec(cur_dirfd, cur_path, cur_flags);
        if (fd < 0) {
            return fd;
        }
        memset(buf, 0, sizeof(buf));
        n = pread(fd, buf, EXECVE_BUF_SIZE, 0);
        if (n < 0) {
            r = -errno;
            close(fd);
            return r;
        }

        if (qemu_execve_is_guest_elf((uint8_t *)buf, n)) {
            /*
             * binfmt_misc wants a name that outlives the exec, even with its
             * O flag; then binfmt_elf loading the emulator is one more call.
             */
            if (inaccessible || depth + 1 > EXECVE_MAX_DEPTH) {
                close(fd);
                return inaccessible ? -ENOENT : -ELOOP;
            }
            plan_emulator(plan, fd, args, filename);
            return 0;
        }
        close(fd);

        if (buf[0] != '#' || buf[1] != '!') {
            /* Not ours: the host kernel runs it natively or says ENOEXEC. */
            g_ptr_array_add(args, NULL);
            plan->argv = g_steal_pointer(&args);
            plan->dirfd = cur_dirfd;
            plan->path = g_steal_pointer(&cur_path);
            plan->flags = cur_flags;
            return 0;
        }
        r = parse_shebang(buf, &name, &arg);
        if (r < 0) {
            return r;
        }
        if (inaccessible) {
            return -ENOENT;
        }
        /* argv becomes: interpreter, [argument], script name, argv[1]... */
        g_free(g_ptr_array_index(args, 0));
        g_ptr_array_index(args, 0) = g_strdup(filename);
        if (arg) {
            g_ptr_array_insert(args, 0, g_strdup(arg));
        }
        g_ptr_array_insert(args, 0, g_strdup(name));
        g_free(filename);
        filename = g_strdup(name);
        g_free(cur_path);
        cur_path = g_strdup(name);
        cur_dirfd = AT_FDCWD;
        /* The kernel looks up an empty interpreter name as the cwd itself. */
        cur_flags = name[0] ? 0 : AT_EMPTY_PATH;
        inaccessible = false;
    }
}

/*
 * Keep the guest ELF's fd open across exec, at offset 0, for the child.
 * Only under start_exclusive(): see qemu_execve_syscall().
 */
static int plan_pass_fd(ExecvePlan *plan)
{
    if (plan->fd < 0) {
        return 0;
    }
    if (lseek(plan->fd, 0, SEEK_SET) < 0 ||
        fcntl(plan->fd, F_SETFD, 0) < 0) {
        return -errno;
    }
    if (plan->proof_arg) {
        /* Without one the set-ID copy takes our real ids: never more. */
        plan->proof = qemu_execve_setid_proof();
        if (plan->proof >= 0 && fcntl(plan->proof, F_SETFD, 0) < 0) {
            return -errno;
        }
        g_free(g_ptr_array_index(plan->argv, plan->proof_arg));
        g_ptr_array_index(plan->argv, plan->proof_arg) =
            g_strdup_printf("%d", plan->proof);
    }
    return 0;
}

static bool is_proc_self_exe(const char *path)
{
    g_autofree char *pid_exe = g_strdup_printf("/proc/%d/exe", getpid());

    return !strcmp(path, "/proc/self/exe") || !strcmp(path, pid_exe);
}

/* Copy a NULL-terminated guest string vector; a NULL vector is empty. */
static int copy_guest_strv(abi_ulong vec, GPtrArray *out)
{
    abi_ulong gp, addr;

    for (gp = vec; gp; gp += sizeof(abi_ulong)) {
        char *s;

        if (get_user_ual(addr, gp)) {
            return -TARGET_EFAULT;
        }
        if (!addr) {
            break;
        }
        s = lock_user_string(addr);
        if (!s) {
            return -TARGET_EFAULT;
        }
        g_ptr_array_add(out, g_strdup(s));
        unlock_user(s, addr, 0);
    }
    g_ptr_array_add(out, NULL);
    return 0;
}

abi_long qemu_execve_syscall(const char *self_exe, int dirfd,
                             abi_ulong guest_path, abi_ulong guest_argv,
                             abi_ulong guest_envp, int flags)
{
    g_autoptr(GPtrArray) argv = strv_new();
    g_autoptr(GPtrArray) envp = strv_new();
    g_autofree char *path = NULL;
    ExecvePlan plan;
    bool exclusive;
    char *p;
    abi_long ret;
    int r;

    ret = copy_guest_strv(guest_argv, argv);
    if (!ret) {
        ret = copy_guest_strv(guest_envp, envp);
    }
    if (ret) {
        return ret;
    }
    p = lock_user_string(guest_path);
    if (!p) {
        return -TARGET_EFAULT;
    }
    /* The guest's own program, even where /proc is not mounted. */
    path = g_strdup(is_proc_self_exe(p) ? self_exe : p);
    unlock_user(p, guest_path, 0);

    r = plan_exec(dirfd, path, flags, (char **)argv->pdata, &plan);
    if (r) {
        plan_free(&plan);
        errno = -r;
        return get_errno(-1);
    }
    /*
     * While the fd for the child emulator is not close-on-exec, no other
     * guest thread may fork: its child would keep the fd through every exec
     * it makes, host programs included. A guest fork() starts exclusive too
     * (fork_start()); the exec ends the other threads, or fails and the fd
     * is closed before they run again.
     */
    exclusive = plan.fd >= 0;
    if (exclusive) {
        start_exclusive();
    }
    r = plan_pass_fd(&plan);
    if (r) {
        errno = -r;
        ret = get_errno(-1);
    } else {
        /*
         * safe_syscall: a guest signal that arrives before the exec is taken
         * as a guest signal, never lost in the new program (as upstream's
         * execve).
         */
        ret = get_errno(safe_syscall(__NR_execveat, plan.dirfd, plan.path,
                                     plan.argv->pdata, envp->pdata,
                                     plan.flags));
    }
    plan_free(&plan);
    if (exclusive) {
        end_exclusive();
    }
    return ret;
}

/* execvp()'s search: the first candidate that runs, else the best error. */
static int search_path(const char *name, char **argv, char **envp,
                       ExecvePlan *plan, char **found)
{
    const char *path = NULL;
    int err = -ENOENT;
    char **e;

    for (e = envp; *e; e++) {
        if (!strncmp(*e, "PATH=", 5)) {
            path = *e + 5;
            break;
        }
    }
    if (!path) {
        path = "/bin:/usr/bin";
    }
    for (;;) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? colon - path : strlen(path);
        g_autofree char *dir = g_strndup(path, len);
        g_autofree char *cand =
            g_build_filename(dir[0] ? dir : ".", name, NULL);
        int r = plan_exec(AT_FDCWD, cand, 0, argv, plan);

        if (!r) {
            *found = g_steal_pointer(&cand);
            return 0;
        }
        if (r == -EACCES) {
            err = r;
        } else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE &&
                   r != -ENODEV && r != -ETIMEDOUT) {
            return r;
        }
        if (!colon) {
            return err;
        }
        path = colon + 1;
    }
}

void qemu_execve_start(char **exec_path, char **argv, const char *argv0,
                       char **envp)
{
    g_autoptr(GPtrArray) args = strv_new();
    ExecvePlan plan;
    char *found = NULL;
    int i, r;

    if (qemu_execve_fd >= 0) {
        return;     /* the parent emulator has done all this */
    }
    g_ptr_array_add(args, g_strdup(argv0 ? argv0 : argv[0]));
    for (i = 1; argv[i]; i++) {
        g_ptr_array_add(args, g_strdup(argv[i]));
    }
    g_ptr_array_add(args, NULL);

    if (!(*exec_path)[0]) {
        r = -ENOENT;
    } else if (strchr(*exec_path, '/')) {
        r = plan_exec(AT_FDCWD, *exec_path, 0, (char **)args->pdata, &plan);
    } else {
        r = search_path(*exec_path, (char **)args->pdata, envp, &plan, &found);
    }
    if (!r && plan.fd >= 0 && plan.proof_arg) {
        /* A set-ID one: the set-ID copy loads it. */
        r = plan_pass_fd(&plan);
        if (!r) {
            execveat(plan.dirfd, plan.path, (char **)plan.argv->pdata, envp,
                     plan.flags);
            r = -errno;
        }
    } else if (!r && plan.fd >= 0) {
        /* An ELF for this target: load it here. */
        plan_free(&plan);
        if (found) {
            *exec_path = found;
        }
        return;
    }
    if (!r) {
        execveat(plan.dirfd, plan.path, (char **)plan.argv->pdata, envp,
                 plan.flags);
        r = -errno;
    }
    fprintf(stderr, "qemu: %s: %s\n", *exec_path, strerror(-r));
    /* The shell's exit codes: not found, found but not runnable. */
    exit(r == -ENOENT || r == -ENOTDIR ? 127 : 126);
}

const char *qemu_execve_exe_path(int execfd, const char *exec_path,
                                 char *buf, size_t size)
{
    g_autofree char *proc = NULL;
    ssize_t n;

    if (qemu_execve_fd < 0 || execfd != qemu_execve_fd) {
        return NULL;
    }
    /* The kernel's name for the opened file, as /proc/self/exe shows it. */
    proc = g_strdup_printf("/proc/self/fd/%d", execfd);
    n = readlink(proc, buf, size - 1);
    if (n >= 0) {
        buf[n] = '\0';
    } else if (!realpath(exec_path, buf)) {
        /* No /proc and a /dev/fd name: the name is all there is. */
        g_strlcpy(buf, exec_path, size);
    }
    return buf;
}
