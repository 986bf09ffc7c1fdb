/* net.h - TCP connections with timeouts and cancellation.
 *
 * Every wait in the network layers goes through net_wait(), which polls the
 * socket together with a cancellation handle, so that another thread (the
 * UI quitting) can stop a connect, a TLS handshake or a read at once.
 */
#ifndef MUTTLIKE_NET_H
#define MUTTLIKE_NET_H

#include <stdbool.h>

enum net_status {
	NET_OK = 0,
	NET_ERR_RESOLVE,     /* host name not found */
	NET_ERR_REFUSED,     /* connection refused */
	NET_ERR_TIMEOUT,     /* no answer within the timeout */
	NET_ERR_UNREACHABLE, /* no route to host / network unreachable */
	NET_ERR_CANCELLED,   /* net_cancel_trigger() was called */
	NET_ERR_CLOSED,      /* the peer closed the connection */
	NET_ERR_IO,          /* any other socket error */
};

/* A cancellation handle: an eventfd that stays readable once triggered. */
typedef struct net_cancel net_cancel_t;
net_cancel_t *net_cancel_new(void);
void net_cancel_free(net_cancel_t **c);
/* Safe from any thread (and from a signal handler). */
void net_cancel_trigger(net_cancel_t *c);
/* Clear a triggered handle so it can be reused for a new connection. */
void net_cancel_reset(net_cancel_t *c);
bool net_cancel_is_set(const net_cancel_t *c);

/* Resolve host and connect to port, trying every address getaddrinfo()
 * returns (IPv6 and IPv4) in order; each attempt may take timeout_ms.
 * On success *fd is a connected, non-blocking, close-on-exec socket.  On
 * failure *err is one line such as "imap.example.org:993: connection
 * refused" (caller frees).  cancel may be NULL.  Name resolution itself is
 * bounded by the resolver's own timeout (resolv.conf), not by timeout_ms. */
enum net_status net_connect(const char *host, int port, int timeout_ms, net_cancel_t *cancel,
			    int *fd, char **err);

/* Wait until fd is readable (for_write false) or writable, timeout_ms
 * (< 0: forever) passes, or cancel is triggered. */
enum net_status net_wait(int fd, bool for_write, int timeout_ms, net_cancel_t *cancel);

/* "host:port", with brackets around an IPv6 literal.  New string. */
char *net_host_port(const char *host, int port);

/* True when host is an IPv4 or IPv6 literal (no SNI for those). */
bool net_is_ip_literal(const char *host);

/* Milliseconds on the monotonic clock. */
long long net_now_ms(void);

const char *net_status_str(enum net_status st);

#endif
