/* zwire.c - raw deflate/inflate for COMPRESS=DEFLATE (see zwire.h). */
#include "zwire.h"

#include <string.h>

#include <zlib.h>

struct zwire {
	z_stream in, out;
	unsigned char buf[16384]; /* compressed bytes read, not yet inflated */
	bool more;                /* the last inflate filled its output: zlib may hold more */
};

zwire_t *zwire_new(void)
{
	zwire_t *z = xcalloc(1, sizeof(*z));
	if (inflateInit2(&z->in, -15) != Z_OK) {
		free(z);
		return NULL;
	}
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&z->in);
		free(z);
		return NULL;
	}
	return z;
}

void zwire_free(zwire_t **zp)
{
	if (!zp || !*zp)
		return;
	inflateEnd(&(*zp)->in);
	deflateEnd(&(*zp)->out);
	free(*zp);
	*zp = NULL;
}

bool zwire_deflate(zwire_t *z, const void *p, size_t n, struct strbuf *out)
{
	unsigned char chunk[16384];
	z->out.next_in = (Bytef *)(uintptr_t)p;
	z->out.avail_in = (uInt)n;
	do {
		z->out.next_out = chunk;
		z->out.avail_out = sizeof(chunk);
		int r = deflate(&z->out, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return false;
		strbuf_add(out, (const char *)chunk, sizeof(chunk) - z->out.avail_out);
	} while (z->out.avail_out == 0 || z->out.avail_in);
	return true;
}

ssize_t zwire_read(zwire_t *z, void *buf, size_t count, zwire_fill_fn fill, void *ctx, char **err)
{
	*err = NULL;
	if (count == 0)
		return 0;
	if (count > UINT32_MAX)
		count = UINT32_MAX;
	for (;;) {
		if (z->in.avail_in || z->more) {
			z->in.next_out = buf;
			z->in.avail_out = (uInt)count;
			int r = inflate(&z->in, Z_SYNC_FLUSH);
			size_t got = count - z->in.avail_out;
			z->more = z->in.avail_out == 0;
			if (r == Z_STREAM_END) {
				*err = xstrdup("the server ended the compressed stream");
				return -1;
			}
			if (r != Z_OK && r != Z_BUF_ERROR) {
				*err = xasprintf("the server's compressed data is corrupt (%s)",
						 z->in.msg ? z->in.msg : "zlib error");
				return -1;
			}
			if (got)
				return (ssize_t)got;
		}
		ssize_t n = fill(ctx, z->buf, sizeof(z->buf));
		if (n <= 0)
			return n;
		z->in.next_in = z->buf;
		z->in.avail_in = (uInt)n;
	}
}

bool zwire_pending(const zwire_t *z)
{
	return z->in.avail_in || z->more;
}
