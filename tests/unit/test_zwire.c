/* test_zwire.c - COMPRESS=DEFLATE: the zlib layer (round trips, partial
 * reads and writes) and the transport under it (the size caps count the
 * inflated bytes: a deflate bomb is refused). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"
#include "util.h"
#include "zwire.h"

/* A source of compressed bytes handing out at most step bytes a call. */
struct src {
	const char *p;
	size_t len, off, step;
};

static ssize_t src_fill(void *ctx, void *buf, size_t n)
{
	struct src *s = ctx;
	size_t left = s->len - s->off;
	if (n > s->step)
		n = s->step;
	if (n > left)
		n = left;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Inflate everything in src through reads of at most count bytes. */
static char *inflate_all(zwire_t *z, struct src *src, size_t count, size_t *outlen)
{
	struct strbuf b;
	strbuf_init(&b);
	char buf[4096];
	for (;;) {
		char *err = NULL;
		ssize_t n = zwire_read(z, buf, count, src_fill, src, &err);
		assert_null(err);
		if (n <= 0)
			break;
		strbuf_add(&b, buf, (size_t)n);
	}
	*outlen = b.len;
	return strbuf_detach(&b);
}

static void test_round_trip_partial(void **state)
{
	(void)state;
	zwire_t *a = zwire_new(), *b = zwire_new();
	assert_non_null(a);
	assert_non_null(b);
	struct strbuf wire, plain;
	strbuf_init(&wire);
	strbuf_init(&plain);
	/* several writes, each flushed: the reader gets each one whole
	 * before the next is written */
	for (int i = 0; i < 200; i++) {
		char line[128];
		int n = snprintf(line, sizeof(line), "* %d FETCH (UID %d FLAGS (\\Seen))\r\n", i + 1, 1000 + i);
		size_t before = wire.len;
		assert_true(zwire_deflate(a, line, (size_t)n, &wire));
		assert_true(wire.len > before);
		strbuf_add(&plain, line, (size_t)n);
		/* the sync flush ends in the empty stored block 00 00 ff ff */
		assert_memory_equal(wire.s + wire.len - 4, "\0\0\xff\xff", 4);
	}
	assert_true(wire.len < plain.len / 2);
	/* one compressed byte per fill, three bytes per read */
	struct src src = { .p = wire.s, .len = wire.len, .step = 1 };
	size_t got = 0;
	char *out = inflate_all(b, &src, 3, &got);
	assert_int_equal(got, plain.len);
	assert_memory_equal(out, plain.s, got);
	assert_false(zwire_pending(b));
	free(out);
	/* a read smaller than what one fill inflates leaves the rest pending */
	strbuf_reset(&wire);
	assert_true(zwire_deflate(a, "0123456789", 10, &wire));
	struct src src2 = { .p = wire.s, .len = wire.len, .step = 4096 };
	char buf[4];
	char *err;
	assert_int_equal(zwire_read(b, buf, 4, src_fill, &src2, &err), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_true(zwire_pending(b));
	assert_int_equal(zwire_read(b, buf, 4, src_fill, &src2, &err), 4);
	assert_int_equal(zwire_read(b, buf, 4, src_fill, &src2, &err), 2);
	assert_memory_equal(buf, "89", 2);
	strbuf_free(&wire);
	strbuf_free(&plain);
	zwire_free(&a);
	zwire_free(&b);
	assert_null(a);
}

static void test_corrupt(void **state)
{
	(void)state;
	zwire_t *z = zwire_new();
	struct src src = { .p = "\xff\xff\xff\xff\xff\xff", .len = 6, .step = 6 };
	char buf[64], *err = NULL;
	assert_int_equal(zwire_read(z, buf, sizeof(buf), src_fill, &src, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "corrupt"));
	free(err);
	zwire_free(&z);
}

/* A plaintext tls_stream over one end of a socket pair, compressed. */
static tls_stream_t *stream_pair(int sv[2], const struct tls_limits *lim)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct tls_config cfg = { .host = "peer.test", .port = 143, .timeout_ms = 5000 };
	tls_stream_t *s = tls_stream_new(sv[0], &cfg);
	if (lim)
		tls_stream_set_limits(s, lim);
	assert_true(tls_stream_start_deflate(s));
	assert_true(tls_stream_compressed(s));
	return s;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void test_stream_both_ways(void **state)
{
	(void)state;
	int sv[2];
	tls_stream_t *s = stream_pair(sv, NULL);
	mailstream_low *low = tls_stream_low(s);
	/* client to server: the peer inflates what we wrote */
	const char *cmd = "7 UID FETCH 1:* (FLAGS)\r\n";
	assert_int_equal(mailstream_low_write(low, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	char wire[512];
	ssize_t n = read(sv[1], wire, sizeof(wire));
	assert_true(n > 0);
	zwire_t *peer = zwire_new();
	struct src src = { .p = wire, .len = (size_t)n, .step = (size_t)n };
	char buf[512], *err;
	ssize_t m = zwire_read(peer, buf, sizeof(buf), src_fill, &src, &err);
	assert_int_equal(m, (ssize_t)strlen(cmd));
	assert_memory_equal(buf, cmd, strlen(cmd));
	/* server to client */
	struct strbuf out;
	strbuf_init(&out);
	const char *answer = "* 1 FETCH (UID 1 FLAGS ())\r\n7 OK done\r\n";
	assert_true(zwire_deflate(peer, answer, strlen(answer), &out));
	write_all(sv[1], out.s, out.len);
	assert_int_equal(mailstream_low_read(low, buf, sizeof(buf)), (ssize_t)strlen(answer));
	assert_memory_equal(buf, answer, strlen(answer));
	struct tls_wire_stats st;
	tls_stream_wire_stats(s, &st);
	assert_int_equal(st.plain_in, strlen(answer));
	assert_int_equal(st.wire_in, out.len);
	assert_int_equal(st.plain_out, strlen(cmd));
	assert_int_equal(st.wire_out, (uint64_t)n);
	strbuf_free(&out);
	zwire_free(&peer);
	mailstream_low_close(low);
	mailstream_low_free(low);
	tls_stream_free(&s);
	close(sv[1]);
}

/* 64 MiB of one line in a few kB on the wire: the line cap stops it after
 * at most the cap and one read more, and nothing over the cap reaches the
 * parser. */
static void test_stream_deflate_bomb(void **state)
{
	(void)state;
	int sv[2];
	struct tls_limits lim;
	tls_limits_default(&lim);
	tls_stream_t *s = stream_pair(sv, &lim);
	mailstream_low *low = tls_stream_low(s);
	zwire_t *peer = zwire_new();
	struct strbuf wire;
	strbuf_init(&wire);
	char *chunk = xmalloc(1u << 20);
	memset(chunk, 'A', 1u << 20);
	assert_true(zwire_deflate(peer, "* OK ", 5, &wire));
	for (int i = 0; i < 64; i++)
		assert_true(zwire_deflate(peer, chunk, 1u << 20, &wire));
	free(chunk);
	assert_true(wire.len < 200000);
	/* the socket buffer may not take it all: the rest goes after the
	 * client stops reading, so it is written from a child */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		size_t off = 0;
		while (off < wire.len) {
			ssize_t w = write(sv[1], wire.s + off, wire.len - off);
			if (w <= 0)
				_exit(0);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(sv[1]);
	uint64_t delivered = 0;
	char buf[8192];
	ssize_t n;
	while ((n = mailstream_low_read(low, buf, sizeof(buf))) > 0)
		delivered += (uint64_t)n;
	assert_int_equal(n, -1);
	assert_int_equal(tls_stream_status(s), TLS_ERR_LIMIT);
	assert_string_equal(tls_stream_error(s), "the server sent a line of 8.0 MiB, over the 8 MiB limit");
	assert_true(delivered <= lim.max_line);
	/* refused for good */
	assert_int_equal(mailstream_low_read(low, buf, sizeof(buf)), -1);
	mailstream_low_close(low);
	mailstream_low_free(low);
	tls_stream_free(&s);
	int ws;
	waitpid(pid, &ws, 0);
	strbuf_free(&wire);
	zwire_free(&peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_partial),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_stream_both_ways),
		cmocka_unit_test(test_stream_deflate_bomb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
