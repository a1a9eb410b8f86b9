/*
 * Workload for the benchmark's per-exec row, compiled static for the guest and for the host.
 *
 *   exec-chain N        exec itself with N-1, N-2, ... 0: N execve calls in one process
 *   exec-chain -f N     fork N children one after the other, each execs itself with 0
 *
 * argv[0] must be a path to this program (the benchmark passes an absolute one). Exits 0 when
 * every exec succeeded, 127 or the failing child's status otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long count(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || n < 0) {
    fprintf(stderr, "exec-chain: bad count '%s'\n", s);
    exit(2);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-f") == 0) {
    long n = count(argv[2]);
    for (long i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid < 0) {
        perror("exec-chain: fork");
        return 127;
      }
      if (pid == 0) {
        execl(argv[0], argv[0], "0", (char *)NULL);
        perror("exec-chain: execl");
        _exit(127);
      }
      int status;
      if (waitpid(pid, &status, 0) < 0) {
        perror("exec-chain: waitpid");
        return 127;
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
    }
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: exec-chain N | exec-chain -f N\n");
    return 2;
  }
  long n = count(argv[1]);
  if (n == 0) return 0;
  char next[32];
  snprintf(next, sizeof next, "%ld", n - 1);
  execl(argv[0], argv[0], next, (char *)NULL);
  perror("exec-chain: execl");
  return 127;
}
