/* zwire.h - COMPRESS=DEFLATE (RFC 4978): raw deflate (windowBits -15) in
 * both directions of one IMAP connection, with a sync flush after each
 * write.  The transport (tls.c) puts it between the socket/TLS record layer
 * and the size caps, so the caps count inflated bytes. */
#ifndef MUTTLIKE_ZWIRE_H
#define MUTTLIKE_ZWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

typedef struct zwire zwire_t;

/* NULL if zlib could not be set up. */
zwire_t *zwire_new(void);
void zwire_free(zwire_t **z);

/* Compress n bytes and flush them (Z_SYNC_FLUSH): the bytes to send are
 * appended to out.  False on a zlib failure. */
bool zwire_deflate(zwire_t *z, const void *p, size_t n, struct strbuf *out);

/* Where compressed bytes come from: >0 bytes, 0 end of stream, -1 error. */
typedef ssize_t (*zwire_fill_fn)(void *ctx, void *buf, size_t n);

/* Up to count inflated bytes into buf, calling fill only when zlib has
 * nothing left to give: >0 bytes, 0 the peer closed, -1 a read error (from
 * fill) or corrupt data (*err set, caller frees; NULL for fill's errors). */
ssize_t zwire_read(zwire_t *z, void *buf, size_t count, zwire_fill_fn fill, void *ctx, char **err);

/* Inflated output may be waiting without reading the transport. */
bool zwire_pending(const zwire_t *z);

#endif
