/* test_net.c - connect errors, timeouts and cancellation from another
 * thread, on loopback listeners the test owns. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "imap.h"
#include "log.h"
#include "net.h"
#include "testutil.h"
#include "util.h"

/* A listener that accepts (the kernel does) but never says a word. */
static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port nobody listens on. */
static int closed_port(void)
{
	int port;
	int fd = silent_listener(&port);
	close(fd);
	return port;
}

static void test_refused(void **state)
{
	(void)state;
	int fd;
	char *err;
	int port = closed_port();
	assert_int_equal(net_connect("127.0.0.1", port, 2000, NULL, &fd, &err), NET_ERR_REFUSED);
	char *want = xasprintf("127.0.0.1:%d: connection refused", port);
	assert_string_equal(err, want);
	free(want);
	free(err);
	assert_int_equal(net_connect("no-such-host.invalid", 993, 2000, NULL, &fd, &err), NET_ERR_RESOLVE);
	assert_non_null(strstr(err, "no-such-host.invalid:993: cannot resolve host name"));
	free(err);
}

static void test_host_port(void **state)
{
	(void)state;
	char *s = net_host_port("::1", 993);
	assert_string_equal(s, "[::1]:993");
	free(s);
	assert_true(net_is_ip_literal("127.0.0.1"));
	assert_true(net_is_ip_literal("::1"));
	assert_false(net_is_ip_literal("localhost"));
}

static void test_ipv6_loopback(void **state)
{
	(void)state;
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (l >= 0)
			close(l);
		skip(); /* no IPv6 here */
	}
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &len);
	int fd;
	char *err;
	assert_int_equal(net_connect("::1", ntohs(a.sin6_port), 2000, NULL, &fd, &err), NET_OK);
	close(fd);
	close(l);
}

static void test_read_timeout(void **state)
{
	(void)state;
	int port;
	int l = silent_listener(&port);
	struct imap_params p = { .conn = { .host = (char *)"127.0.0.1", .port = port, .timeout_s = 1 } };
	imap_t *m = imap_new(&p);
	long long t0 = net_now_ms();
	assert_int_equal(imap_connect(m), IMAP_ERR_NET);
	long long took = net_now_ms() - t0;
	assert_true(took >= 900 && took < 3000);
	assert_non_null(strstr(imap_error(m), "timed out after 1 s"));
	imap_free(&m);
	close(l);
}

static void *cancel_later(void *arg)
{
	usleep(300 * 1000);
	imap_cancel(arg);
	return NULL;
}

static void test_cancel_from_thread(void **state)
{
	(void)state;
	int port;
	int l = silent_listener(&port);
	for (int implicit = 0; implicit < 2; implicit++) {
		/* blocked on the greeting (imap://) or on the handshake (imaps://) */
		struct imap_params p = { .conn = { .host = (char *)"127.0.0.1", .port = port, .timeout_s = 30,
						   .implicit_tls = implicit } };
		imap_t *m = imap_new(&p);
		pthread_t th;
		pthread_create(&th, NULL, cancel_later, m);
		long long t0 = net_now_ms();
		assert_int_equal(imap_connect(m), IMAP_ERR_CANCELLED);
		assert_true(net_now_ms() - t0 < 3000);
		pthread_join(th, NULL);
		assert_non_null(strstr(imap_error(m), "cancelled"));
		imap_free(&m);
	}
	close(l);
}

static void test_cancel_handle(void **state)
{
	(void)state;
	net_cancel_t *c = net_cancel_new();
	assert_false(net_cancel_is_set(c));
	net_cancel_trigger(c);
	net_cancel_trigger(c);
	assert_true(net_cancel_is_set(c));
	net_cancel_reset(c);
	assert_false(net_cancel_is_set(c));
	net_cancel_free(&c);
	assert_null(c);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_ipv6_loopback),
		cmocka_unit_test(test_read_timeout),
		cmocka_unit_test(test_cancel_from_thread),
		cmocka_unit_test(test_cancel_handle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
