/* crypto_line.c - names for the result fields and a one-line summary of
 * a result for the pager's status line. */
#include <string.h>

#include "crypto.h"
#include "util.h"

static const char *const kind_names[] = {
	[CRYPTO_PGP_MIME_SIGNED] = "PGP/MIME signed",     [CRYPTO_PGP_MIME_ENCRYPTED] = "PGP/MIME encrypted",
	[CRYPTO_PGP_INLINE_SIGNED] = "inline PGP signed", [CRYPTO_PGP_INLINE_ENCRYPTED] = "inline PGP encrypted",
	[CRYPTO_SMIME_SIGNED] = "S/MIME signed",          [CRYPTO_SMIME_OPAQUE] = "S/MIME signed (opaque)",
	[CRYPTO_SMIME_ENVELOPED] = "S/MIME encrypted",
};
static const char *const status_names[] = {
	[CRYPTO_NONE] = "not signed",          [CRYPTO_GOOD] = "good signature",
	[CRYPTO_BAD] = "BAD signature",        [CRYPTO_UNKNOWN_KEY] = "unknown key",
	[CRYPTO_EXPIRED_KEY] = "expired key",  [CRYPTO_REVOKED_KEY] = "revoked key",
	[CRYPTO_ERROR] = "error",
};
static const char *const validity_names[] = {
	[CRYPTO_V_UNKNOWN] = "unknown", [CRYPTO_V_UNDEFINED] = "undefined", [CRYPTO_V_NEVER] = "never",
	[CRYPTO_V_MARGINAL] = "marginal", [CRYPTO_V_FULL] = "full",        [CRYPTO_V_ULTIMATE] = "ultimate",
};

const char *crypto_kind_name(enum crypto_kind k)
{
	return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

const char *crypto_status_name(enum crypto_status s)
{
	return (size_t)s < ARRAY_SIZE(status_names) ? status_names[s] : "?";
}

const char *crypto_validity_name(enum crypto_validity v)
{
	return (size_t)v < ARRAY_SIZE(validity_names) ? validity_names[v] : "?";
}

/* "good signature" and who made it, or what failed. */
static void line_signature(const struct crypto_result *r, struct strbuf *b)
{
	strbuf_adds(b, crypto_status_name(r->status));
	if (r->signer)
		strbuf_addf(b, " from %s", r->signer);
	if (r->fingerprint)
		strbuf_addf(b, " (%s, validity %s)", r->fingerprint, crypto_validity_name(r->validity));
	if (r->status != CRYPTO_ERROR && r->status != CRYPTO_UNKNOWN_KEY)
		strbuf_adds(b, r->from_matches ? ", matches From:" : ", NOT the From: address");
}

char *crypto_result_line(const struct crypto_result *r)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "part %s: %s: ", r->path, crypto_kind_name(r->kind));
	if (r->encrypted)
		strbuf_adds(&b, r->decrypted ? (r->integrity ? "decrypted" : "decrypted, NOT integrity protected")
					     : "NOT decrypted");
	if (r->encrypted && (r->is_signed || r->status == CRYPTO_ERROR))
		strbuf_adds(&b, "; ");
	if (r->is_signed || r->status == CRYPTO_ERROR)
		line_signature(r, &b);
	if (r->error)
		strbuf_addf(&b, ": %s", r->error);
	if (!r->whole)
		strbuf_adds(&b, r->text_outside ? "; the text around it is not covered" : "; only this part");
	if (r->forwarded)
		strbuf_adds(&b, "; in a forwarded message");
	char *s = strbuf_detach(&b);
	for (char *p = s; *p; p++)
		*p = *p == '\n' || *p == '\r' ? ' ' : *p; /* the parts were sanitized: one line */
	return s;
}
