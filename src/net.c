/* net.c - getaddrinfo, non-blocking connect, poll with cancellation. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct net_cancel {
	int fd; /* owned eventfd */
};

net_cancel_t *net_cancel_new(void)
{
	net_cancel_t *c = xcalloc(1, sizeof(*c));
	c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->fd < 0)
		util_oom(); /* only fails when out of descriptors or memory */
	return c;
}

void net_cancel_free(net_cancel_t **c)
{
	if (!c || !*c)
		return;
	close((*c)->fd);
	free(*c);
	*c = NULL;
}

void net_cancel_trigger(net_cancel_t *c)
{
	uint64_t one = 1;
	if (c && write(c->fd, &one, sizeof(one)) < 0) {
		/* EAGAIN means the counter is already huge: still triggered */
	}
}

void net_cancel_reset(net_cancel_t *c)
{
	uint64_t v;
	if (c && read(c->fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: was not set */
	}
}

bool net_cancel_is_set(const net_cancel_t *c)
{
	if (!c)
		return false;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

long long net_now_ms(void)
{
	return util_now_ms();
}

enum net_status net_wait(int fd, bool for_write, int timeout_ms, net_cancel_t *cancel)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = for_write ? POLLOUT : POLLIN },
		{ .fd = cancel ? cancel->fd : -1, .events = POLLIN },
	};
	long long deadline = timeout_ms >= 0 ? net_now_ms() + timeout_ms : -1;
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			long long l = deadline - net_now_ms();
			left = l < 0 ? 0 : (int)l;
		}
		int r = poll(p, cancel ? 2 : 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return NET_ERR_IO;
		}
		if (cancel && (p[1].revents & POLLIN))
			return NET_ERR_CANCELLED;
		if (r == 0)
			return NET_ERR_TIMEOUT;
		/* errors and hang-ups are reported by the read/write that follows */
		return NET_OK;
	}
}

char *net_host_port(const char *host, int port)
{
	return strchr(host, ':') ? xasprintf("[%s]:%d", host, port) : xasprintf("%s:%d", host, port);
}

bool net_is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

const char *net_status_str(enum net_status st)
{
	switch (st) {
	case NET_OK: return "ok";
	case NET_ERR_RESOLVE: return "host name not found";
	case NET_ERR_REFUSED: return "connection refused";
	case NET_ERR_TIMEOUT: return "timed out";
	case NET_ERR_UNREACHABLE: return "no route to host";
	case NET_ERR_CANCELLED: return "cancelled";
	case NET_ERR_CLOSED: return "connection closed by the server";
	case NET_ERR_IO: return "network error";
	}
	return "?";
}

static enum net_status errno_status(int e)
{
	switch (e) {
	case ECONNREFUSED: return NET_ERR_REFUSED;
	case ETIMEDOUT: return NET_ERR_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL: return NET_ERR_UNREACHABLE;
	default: return NET_ERR_IO;
	}
}

/* One connect attempt; *why gets a short reason on failure. */
static enum net_status try_addr(const struct addrinfo *ai, int timeout_ms, net_cancel_t *cancel,
				int *fdp, char **why)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*why = xstrdup(strerror(errno));
		return errno_status(errno);
	}
	enum net_status st = NET_OK;
	int e = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			st = errno_status(e);
		} else {
			st = net_wait(fd, true, timeout_ms, cancel);
			if (st == NET_OK) {
				socklen_t len = sizeof(e);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
					e = errno;
				st = e ? errno_status(e) : NET_OK;
			}
		}
	}
	if (st != NET_OK) {
		if (st == NET_ERR_TIMEOUT && !e)
			*why = xasprintf("timed out after %d s", (timeout_ms + 999) / 1000);
		else if (st == NET_ERR_CANCELLED)
			*why = xstrdup("cancelled");
		else if (st == NET_ERR_REFUSED)
			*why = xstrdup("connection refused");
		else
			*why = xstrdup(e ? strerror(e) : net_status_str(st));
		close(fd);
		return st;
	}
	*fdp = fd;
	return NET_OK;
}

static char *addr_str(const struct addrinfo *ai)
{
	char h[INET6_ADDRSTRLEN] = "?";
	const void *a = ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
						  : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	inet_ntop(ai->ai_family, a, h, sizeof(h));
	return xstrdup(h);
}

enum net_status net_connect(const char *host, int port, int timeout_ms, net_cancel_t *cancel,
			    int *fd, char **err)
{
	*fd = -1;
	*err = NULL;
	char *hp = net_host_port(host, port);
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0) {
		*err = xasprintf("%s: cannot resolve host name: %s", hp,
				 g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		free(hp);
		return NET_ERR_RESOLVE;
	}
	if (net_cancel_is_set(cancel)) {
		freeaddrinfo(res);
		*err = xasprintf("%s: cancelled", hp);
		free(hp);
		return NET_ERR_CANCELLED;
	}
	/* Collect one reason per address; if they all agree, say it once. */
	struct strbuf why;
	strbuf_init(&why);
	enum net_status st = NET_ERR_IO, first = NET_OK;
	bool same = true;
	char *first_why = NULL;
	size_t tried = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char *w = NULL;
		st = try_addr(ai, timeout_ms, cancel, fd, &w);
		if (st == NET_OK)
			break;
		char *a = addr_str(ai);
		log_debug("connect %s port %d: %s", a, port, w);
		strbuf_addf(&why, "%s%s: %s", tried ? "; " : "", a, w);
		if (!tried) {
			first = st;
			first_why = xstrdup(w);
		} else if (strcmp(first_why, w) != 0) {
			same = false;
		}
		tried++;
		free(a);
		free(w);
		if (st == NET_ERR_CANCELLED)
			break;
	}
	freeaddrinfo(res);
	if (st != NET_OK) {
		if (same && first_why)
			*err = xasprintf("%s: %s", hp, first_why);
		else
			*err = xasprintf("%s: %s", hp, why.s ? why.s : "no address");
		if (same)
			st = first;
	}
	free(first_why);
	strbuf_free(&why);
	free(hp);
	return st;
}
