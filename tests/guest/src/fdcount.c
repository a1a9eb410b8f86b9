/*
 * fdcount: print how many descriptors this process has open, and which.
 *
 *   count=N fds=A,B,...
 *
 * Asks fcntl(F_GETFD) for every descriptor below 1024, so no /proc is needed. Built for the
 * guest and for the host (a child the host kernel runs natively), so a case can check that
 * nothing the emulator opened for itself reaches either kind of program.
 */
#include <fcntl.h>
#include <stdio.h>

#define FD_LIMIT 1024

int main(void)
{
    int open_fds[FD_LIMIT];
    int n = 0;

    for (int fd = 0; fd < FD_LIMIT; fd++) {
        if (fcntl(fd, F_GETFD) != -1) {
            open_fds[n++] = fd;
        }
    }
    printf("count=%d fds=", n);
    for (int i = 0; i < n; i++) {
        printf("%s%d", i ? "," : "", open_fds[i]);
    }
    printf("%s\n", n ? "" : "-");
    return 0;
}
