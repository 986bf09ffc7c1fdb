/* tls.h - our GnuTLS transport under libetpan, and certificate decisions.
 *
 * libetpan's own GnuTLS code verifies nothing, so muttlike never uses it.
 * A tls_stream owns the socket; tls_stream_low() plugs it under a libetpan
 * mailstream as a mailstream_low driver.  It starts in plaintext (for
 * STARTTLS) and tls_stream_handshake() upgrades it in place: TLS 1.2 or
 * newer, SNI, the system trust store plus tls_ca_file, and a host name
 * check against the name the user configured (never a resolved address).
 * The handshake and the verification finish before any IMAP byte after it
 * is read.
 *
 * A certificate that fails produces a struct tls_cert_info.  The core never
 * asks the user: the caller shows the result and decides (reject, accept
 * once: connect again with accept_once set; accept always:
 * tls_pin_file_add() then connect again).
 *
 * The driver also enforces response size caps on everything it reads (see
 * struct tls_limits): libetpan 1.9.4 allocates whatever literal size a
 * server announces, so the cap must be applied before libetpan sees the
 * bytes.
 */
#ifndef MUTTLIKE_TLS_H
#define MUTTLIKE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "net.h"

enum tls_status {
	TLS_OK = 0,
	TLS_ERR_CONFIG,    /* tls_ca_file unreadable, GnuTLS setup failed */
	TLS_ERR_NET,       /* timeout, reset, closed (see tls_stream_net_status) */
	TLS_ERR_CANCELLED,
	TLS_ERR_HANDSHAKE, /* protocol failure or an alert from the server */
	TLS_ERR_CERT,      /* certificate refused: see tls_stream_cert() */
	TLS_ERR_LIMIT,     /* the server broke a size cap */
};

/* Why a certificate failed; a bit set (0: trusted). */
enum {
	TLS_CERT_UNTRUSTED = 1 << 0,     /* no path to a trusted CA (self-signed too) */
	TLS_CERT_EXPIRED = 1 << 1,
	TLS_CERT_NOT_YET_VALID = 1 << 2,
	TLS_CERT_WRONG_HOST = 1 << 3,    /* names do not cover the configured host */
	TLS_CERT_REVOKED = 1 << 4,
	TLS_CERT_INSECURE = 1 << 5,      /* insecure signature algorithm */
	TLS_CERT_PIN_MISMATCH = 1 << 6,  /* tls_pin is set and the leaf differs */
	TLS_CERT_OTHER = 1 << 7,         /* no certificate, bad purpose, ... */
};

/* The result of verifying one server certificate.  All strings owned. */
struct tls_cert_info {
	unsigned reasons;   /* TLS_CERT_* bits; 0 when trusted */
	bool pinned;        /* reasons were overridden by a pin / accept-once */
	char *host;         /* the configured name it was checked against */
	int port;
	char *subject;      /* RFC 4514 DN of the leaf (untrusted text) */
	char *issuer;
	char *names;        /* "a.example, b.example, 192.0.2.1" from the SAN (or CN) */
	time_t not_before, not_after;
	char sha256[65];    /* lower-case hex SHA-256 of the leaf DER */
	bool self_signed;
};
void tls_cert_info_free(struct tls_cert_info **ci);
struct tls_cert_info *tls_cert_info_dup(const struct tls_cert_info *ci);
/* One line: "certificate for HOST is not trusted (self-signed)". New string. */
char *tls_cert_describe(const struct tls_cert_info *ci);
/* "ab:cd:..." from 64 hex digits.  New string. */
char *tls_fingerprint_pretty(const char *hex);
/* The rc line that trusts this certificate: set tls_pin = "sha256:...". */
char *tls_cert_pin_line(const struct tls_cert_info *ci);

/* Pins.  A pin is "sha256:" and 64 hex digits (colons and case ignored). */
/* Normalize into out (64 lower-case hex digits + NUL); false if malformed. */
bool tls_pin_normalize(const char *pin, char out[65]);
/* data_dir/certs: lines "HOST sha256:HEX", '#' comments.  True when the file
 * has that exact fingerprint for that exact configured host. */
bool tls_pin_file_match(const char *path, const char *host, const char *sha256hex);
/* Append a pin (accept always); 0, or -1 with *err (caller frees). */
int tls_pin_file_add(const char *path, const char *host, const char *sha256hex, char **err);

/* Size caps on what a server may send (0: no cap). */
struct tls_limits {
	uint64_t max_literal;  /* one literal {N}; default 64 MiB */
	uint64_t max_line;     /* one line outside literals; default 8 MiB */
	uint64_t max_response; /* everything read between two client writes; default 256 MiB */
};
void tls_limits_default(struct tls_limits *l);

/* The IMAP framing scanner behind the caps; public for tests and fuzzing. */
struct tls_frame {
	int phase;          /* where we are in a possible "{N}\r\n" line end */
	uint64_t num;       /* the literal size being read (saturating) */
	unsigned ndigits;
	uint64_t lit_left;  /* bytes of literal data still to come */
	uint64_t line_len;
	uint64_t resp_len;
};
/* Scan n bytes; false when a cap is broken, with *err (caller frees). */
bool tls_frame_scan(struct tls_frame *f, const struct tls_limits *lim, const unsigned char *p, size_t n,
		    char **err);

/* How to connect.  Strings are borrowed for the call to tls_stream_new. */
struct tls_config {
	const char *host;        /* configured name: SNI and the name check */
	int port;
	const char *ca_file;     /* extra trust anchors (NULL or "": none) */
	const char *pin;         /* tls_pin or NULL */
	const char *pin_file;    /* data_dir/certs or NULL */
	const char *accept_once; /* hex SHA-256 the user accepted for this connection */
	int timeout_ms;          /* per read/write wait and for the whole handshake */
	net_cancel_t *cancel; /* foreign, may be NULL */
};

typedef struct tls_stream tls_stream_t;

/* Take ownership of a connected socket (plaintext until the handshake). */
tls_stream_t *tls_stream_new(int fd, const struct tls_config *cfg);
/* Free the stream and close the socket.  Call after the mailstream built on
 * tls_stream_low() is gone (mailimap_free / mailstream_close). */
void tls_stream_free(tls_stream_t **s);

/* A libetpan mailstream_low reading and writing through s (plaintext or
 * TLS).  Closing/freeing the low closes the socket but leaves s (and its
 * last error) alive; s stays owned by the caller.  One low per stream. */
mailstream_low *tls_stream_low(tls_stream_t *s);

/* Run the TLS handshake and verify the server.  Nothing must be buffered
 * above the stream (the caller checks libetpan's read buffer first). */
enum tls_status tls_stream_handshake(tls_stream_t *s);

/* Read up to max bytes until the first line end without taking them from
 * the reader above: the mailstream still gets them.  Only before the first
 * read.  Returns the bytes read (NUL-terminated, owned by s; may hold more
 * than one line and need not be text) or NULL on error. */
const char *tls_stream_peek_line(tls_stream_t *s, size_t max);

bool tls_stream_is_tls(const tls_stream_t *s);
/* "TLS1.3 / ECDHE-... " after a handshake; static string or "". */
const char *tls_stream_version(const tls_stream_t *s);
/* The last verification result (refused or accepted), or NULL. */
const struct tls_cert_info *tls_stream_cert(const tls_stream_t *s);
/* The last error as a short phrase ("timed out after 30 s waiting for the
 * server", "TLS alert from the server: handshake failure"), or NULL. */
const char *tls_stream_error(const tls_stream_t *s);
enum tls_status tls_stream_status(const tls_stream_t *s);
void tls_stream_set_limits(tls_stream_t *s, const struct tls_limits *l);
/* Forget the per-response byte count (also done on every write). */
void tls_stream_reset_response(tls_stream_t *s);
/* Keep a copy of the bytes libetpan reads from now on (at most max), for
 * responses libetpan parses but does not keep (several STATUS in one
 * LIST-STATUS).  _end() stops and returns the copy, NUL-terminated
 * (caller frees), or NULL when it went past max. */
void tls_stream_capture_start(tls_stream_t *s, size_t max);
char *tls_stream_capture_end(tls_stream_t *s);
/* COMPRESS=DEFLATE (RFC 4978): from now on both directions go through raw
 * deflate, and the size caps count the inflated bytes.  Call after the
 * server's OK to COMPRESS, before anything else is read or written.  False
 * if zlib could not be set up. */
bool tls_stream_start_deflate(tls_stream_t *s);
bool tls_stream_compressed(const tls_stream_t *s);
/* Bytes through the stream: on the wire (compressed when COMPRESS is on,
 * before TLS) and as IMAP text. */
struct tls_wire_stats {
	uint64_t wire_in, wire_out;
	uint64_t plain_in, plain_out;
};
void tls_stream_wire_stats(const tls_stream_t *s, struct tls_wire_stats *out);
/* Wait until there is something to read (buffered in GnuTLS or on the
 * socket): NET_OK, NET_ERR_TIMEOUT, NET_ERR_CANCELLED. */
enum net_status tls_stream_wait_readable(tls_stream_t *s, int timeout_ms);

#endif
