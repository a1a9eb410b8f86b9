/*
 * Lists the comments of the keys an SSH agent holds, one per line, by asking the agent in
 * $SSH_AUTH_SOCK for its identities (SSH2_AGENTC_REQUEST_IDENTITIES). Built static for a guest
 * arch, it shows that an emulated RUN --mount=type=ssh reaches the agent on the runner.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(void)
{
	const char *path = getenv("SSH_AUTH_SOCK");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned char request[] = { 0, 0, 0, 1, 11 };
	unsigned char head[4];
	unsigned char *msg;
	uint32_t len, count, off = 5;
	int fd;

	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "no usable SSH_AUTH_SOCK\n");
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror(path);
		return 3;
	}
	if (write(fd, request, sizeof(request)) != sizeof(request) || read_full(fd, head, 4))
		return 4;
	len = be32(head);
	msg = malloc(len);
	if (!msg || len < 5 || read_full(fd, msg, len) || msg[0] != 12)
		return 5;
	count = be32(msg + 1);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t blob, comment;

		if (off + 4 > len)
			return 6;
		blob = be32(msg + off);
		off += 4 + blob;
		if (off + 4 > len)
			return 6;
		comment = be32(msg + off);
		off += 4;
		if (off + comment > len)
			return 6;
		printf("%.*s\n", (int)comment, (const char *)msg + off);
		off += comment;
	}
	return 0;
}
