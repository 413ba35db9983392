// hello.c: the C sample, a tiny HTTP server built with clang and wasi-libc. It serves on the
// socket wk opened for its containerPort, announced in WK_LISTEN_FDS=PORT=FD (no SDK needed):
// GET /health answers "ok", anything else a greeting with the pod's name.
//
// Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -o hello-c.wasm hello.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_fd(void) {
	const char *fds = getenv("WK_LISTEN_FDS");
	if (fds == NULL) {
		return -1;
	}
	const char *eq = strchr(fds, '=');
	return eq ? atoi(eq + 1) : -1;
}

static void serve(int conn, const char *host) {
	char req[2048];
	ssize_t n = read(conn, req, sizeof req - 1);
	if (n <= 0) {
		return;
	}
	req[n] = '\0';
	char body[256];
	if (strncmp(req, "GET /health", 11) == 0) {
		snprintf(body, sizeof body, "ok\n");
	} else {
		snprintf(body, sizeof body, "Hello from %s (C)\n", host);
	}
	char resp[512];
	int len = snprintf(resp, sizeof resp,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		strlen(body), body);
	write(conn, resp, len);
}

int main(void) {
	int fd = listen_fd();
	if (fd < 0) {
		fprintf(stderr, "hello-c: WK_LISTEN_FDS names no listener\n");
		return 1;
	}
	const char *host = getenv("HOSTNAME");
	printf("hello-c listening on fd %d in pod %s\n", fd, host ? host : "?");
	fflush(stdout);
	for (;;) {
		int conn = accept(fd, NULL, NULL);
		if (conn < 0) {
			continue;
		}
		serve(conn, host ? host : "?");
		close(conn);
	}
}
