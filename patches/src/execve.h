/*
 * -execve: guest execve()/execveat() run as the Linux kernel runs them with a
 * binfmt_misc entry for this target that points at this emulator.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef LINUX_USER_EXECVE_H
#define LINUX_USER_EXECVE_H

/* Path of this emulator as the guest sees it; NULL when -execve is off. */
extern char *qemu_execve_path;
/* Guest program opened by the parent emulator (-execve-fd), or -1. */
extern int qemu_execve_fd;

void qemu_execve_set_path(const char *arg);
void qemu_execve_set_fd(const char *arg);
/* Remember an option that children must be given too. */
void qemu_execve_note_option(const char *name, const char *value);

/*
 * Start the program named on the command line as the kernel would (after an
 * execvp()-style PATH search): returns only if it is an ELF for this target,
 * to be loaded by this process; *exec_path then names the file found.
 */
void qemu_execve_start(char **exec_path, char **argv, const char *argv0,
                       char **envp);

/*
 * For a program opened by the parent emulator: the name /proc/self/exe
 * gives for it, in buf. NULL for any other program.
 */
const char *qemu_execve_exe_path(int execfd, const char *exec_path,
                                 char *buf, size_t size);

/*
 * Guest execve (dirfd AT_FDCWD, flags 0) and execveat; self_exe is what
 * /proc/self/exe stands for.
 */
abi_long qemu_execve_syscall(const char *self_exe, int dirfd,
                             abi_ulong guest_path, abi_ulong guest_argv,
                             abi_ulong guest_envp, int flags);

/* execve-setid.c: set-ID guest programs (binfmt_misc's C flag). */
/* Path of the set-user-ID copy of this emulator (-execve-setid), or NULL. */
extern char *qemu_execve_setid_path;
void qemu_execve_set_setid_path(const char *arg);
/* First thing in main(): a marked set-ID copy sets the program's ids. */
void qemu_execve_early(int *argc, char ***argv);
/* In a set-ID copy, its own path (for every exec it makes); else NULL. */
const char *qemu_execve_setid_self(void);
/* Run the program opened as fd through the set-ID copy? */
bool qemu_execve_setid_wanted(int fd);
/* The mark, first on the set-ID copy's command line, then the proof's fd. */
const char *qemu_execve_setid_mark(void);
/* A memfd that proves our effective ids to the set-ID copy, or -1. */
int qemu_execve_setid_proof(void);
/* AT_SECURE for the guest program. */
abi_ulong qemu_execve_at_secure(void);

/* In elfload.c: is this file header an executable for this target? */
bool qemu_execve_is_guest_elf(const uint8_t *buf, size_t len);

#endif
