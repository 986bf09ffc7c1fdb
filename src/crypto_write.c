/* crypto_write.c - sign and encrypt a MIME entity into PGP/MIME (RFC 3156)
 * or S/MIME (RFC 8551), with protected headers (the Subject inside the
 * encrypted part). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "crypto_private.h"
#include "encode.h"
#include "util.h"

/* One wrap in progress. */
struct wrap {
	crypto_t *c;
	const struct crypto_write *w;
	gpgme_ctx_t ctx;
	char *err; /* owned: the first error */
};

static void wrap_fail(struct wrap *x, char *msg)
{
	if (!x->err)
		x->err = msg;
	else
		free(msg);
}

static char *new_boundary(void)
{
	char hex[33];
	util_random_hex(hex, 16);
	return xasprintf("=-muttlike-%s", hex);
}

/* micalg for the hash of the last signature on ctx: "pgp-sha256", "sha-256". */
static char *micalg(gpgme_ctx_t ctx, enum crypto_proto proto)
{
	gpgme_sign_result_t sr = gpgme_op_sign_result(ctx);
	const char *name = sr && sr->signatures ? gpgme_hash_algo_name(sr->signatures->hash_algo) : NULL;
	char *lower = xstrdup(name ? name : "SHA256");
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *r = proto == CRYPTO_OPENPGP ? xasprintf("pgp-%s", lower)
		  : strncmp(lower, "sha", 3) == 0 ? xasprintf("sha-%s", lower + 3)
						   : xstrdup(lower);
	free(lower);
	return r;
}

/* Set the signing key; false and x->err when it is missing or unusable. */
static bool set_signer(struct wrap *x)
{
	gpgme_key_t k = crypto_key_get(x->ctx, x->w->signer, true);
	const char *why = k ? crypto_key_unusable(k, NULL, false) : "missing (no secret key)";
	if (!why)
		gpgme_signers_add(x->ctx, k);
	else
		wrap_fail(x, xasprintf("the signing key %s is %s", x->w->signer ? x->w->signer : "(none)", why));
	gpgme_key_unref(k);
	return !why;
}

/* The recipients' keys and self, NULL-terminated (caller unrefs each and
 * frees), or NULL and x->err. */
static gpgme_key_t *recipients(struct wrap *x)
{
	size_t n = x->w->nrecipients + 1, k = 0;
	gpgme_key_t *keys = xcalloc(n + 1, sizeof(*keys));
	for (size_t i = 0; i < n && !x->err; i++) {
		const char *r = i < x->w->nrecipients ? x->w->recipients[i] : x->w->self;
		if (!r)
			continue;
		gpgme_key_t key = crypto_key_get(x->ctx, r, false);
		const char *why = key ? crypto_key_unusable(key, NULL, true) : "missing";
		if (why)
			wrap_fail(x, xasprintf("the key %s is %s", r, why));
		if (key && !why)
			keys[k++] = key;
		else
			gpgme_key_unref(key);
	}
	if (!k && !x->err)
		wrap_fail(x, xstrdup("no recipient to encrypt to"));
	if (!x->err)
		return keys;
	for (size_t i = 0; i < k; i++)
		gpgme_key_unref(keys[i]);
	free(keys);
	return NULL;
}

static void keys_free(gpgme_key_t *keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		gpgme_key_unref(keys[i]);
	free(keys);
}

/* ---- the GnuPG operations ---- */

/* A detached signature over text (armored for OpenPGP, DER for S/MIME). */
static char *detached_sig(struct wrap *x, const char *text, size_t n, size_t *sig_len)
{
	gpgme_data_t in = crypto_data_in(text, n), out = crypto_data_out();
	gpgme_set_armor(x->ctx, x->w->proto == CRYPTO_OPENPGP);
	crypto_watch_start(x->c, x->ctx);
	gpgme_error_t e = gpgme_op_sign(x->ctx, in, out, GPGME_SIG_MODE_DETACH);
	if (crypto_watch_stop(x->c))
		e = gpg_error(GPG_ERR_TIMEOUT);
	gpgme_data_release(in);
	char *sig = crypto_data_take(out, sig_len);
	if (!e)
		return sig;
	wrap_fail(x, crypto_err("signing", e));
	free(sig);
	return NULL;
}

/* text encrypted (and signed, OpenPGP only: one combined message) to keys. */
static char *encrypt_to(struct wrap *x, gpgme_key_t *keys, const char *text, size_t n, bool sign, size_t *len)
{
	gpgme_data_t in = crypto_data_in(text, n), out = crypto_data_out();
	gpgme_set_armor(x->ctx, x->w->proto == CRYPTO_OPENPGP);
	/* validity was checked by crypto_key_for; GnuPG must not prompt */
	gpgme_encrypt_flags_t fl = GPGME_ENCRYPT_ALWAYS_TRUST;
	crypto_watch_start(x->c, x->ctx);
	gpgme_error_t e = sign ? gpgme_op_encrypt_sign(x->ctx, keys, fl, in, out)
			       : gpgme_op_encrypt(x->ctx, keys, fl, in, out);
	if (crypto_watch_stop(x->c))
		e = gpg_error(GPG_ERR_TIMEOUT);
	gpgme_data_release(in);
	char *c = crypto_data_take(out, len);
	if (!e)
		return c;
	wrap_fail(x, crypto_err(sign ? "signing and encrypting" : "encrypting", e));
	free(c);
	return NULL;
}

/* ---- the MIME around it ---- */

/* multipart/signed around the canonical entity and its signature. */
static char *signed_entity(struct wrap *x, const char *canon, size_t n, size_t *len)
{
	size_t sl;
	char *sig = detached_sig(x, canon, n, &sl);
	if (!sig)
		return NULL;
	bool pgp = x->w->proto == CRYPTO_OPENPGP;
	char *b = new_boundary(), *mic = micalg(x->ctx, x->w->proto);
	struct strbuf o;
	strbuf_init(&o);
	strbuf_addf(&o, "Content-Type: multipart/signed; micalg=%s;\r\n\tprotocol=\"application/%s\";\r\n"
			"\tboundary=\"%s\"\r\n\r\n",
		    mic, pgp ? "pgp-signature" : "pkcs7-signature", b);
	strbuf_addf(&o, "This is a%s signed message.\r\n--%s\r\n", pgp ? "n OpenPGP/MIME" : "n S/MIME", b);
	strbuf_add(&o, canon, n);
	strbuf_addf(&o, "\r\n--%s\r\n", b);
	if (pgp) {
		strbuf_adds(&o, "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
				"Content-Description: OpenPGP digital signature\r\n"
				"Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n");
		encode_crlf(sig, sl, &o);
	} else {
		strbuf_adds(&o, "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
				"Content-Transfer-Encoding: base64\r\n"
				"Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n");
		encode_base64(sig, sl, &o);
	}
	strbuf_addf(&o, "\r\n--%s--\r\n", b);
	free(sig);
	free(b);
	free(mic);
	*len = o.len;
	return strbuf_detach(&o);
}

/* The encrypted entity around ciphertext: multipart/encrypted (OpenPGP)
 * or application/pkcs7-mime (S/MIME). */
static char *encrypted_entity(struct wrap *x, const char *cipher, size_t n, size_t *len)
{
	struct strbuf o;
	strbuf_init(&o);
	if (x->w->proto == CRYPTO_SMIME) {
		strbuf_adds(&o, "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n"
				"Content-Transfer-Encoding: base64\r\n"
				"Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n");
		encode_base64(cipher, n, &o);
		*len = o.len;
		return strbuf_detach(&o);
	}
	char *b = new_boundary();
	strbuf_addf(&o, "Content-Type: multipart/encrypted;\r\n\tprotocol=\"application/pgp-encrypted\";\r\n"
			"\tboundary=\"%s\"\r\n\r\nThis is an OpenPGP/MIME encrypted message.\r\n",
		    b);
	strbuf_addf(&o, "--%s\r\nContent-Type: application/pgp-encrypted\r\n"
			"Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n",
		    b);
	strbuf_addf(&o, "--%s\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
			"Content-Description: OpenPGP encrypted message\r\n"
			"Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n",
		    b);
	encode_crlf(cipher, n, &o);
	strbuf_addf(&o, "\r\n--%s--\r\n", b);
	free(b);
	*len = o.len;
	return strbuf_detach(&o);
}

/* Where the Content-Type field in the header of canon ends (before the
 * field's last CRLF), or 0 when it has none. */
static size_t content_type_end(const char *canon, size_t n)
{
	size_t i = 0, ct_end = 0;
	bool in_ct = false;
	while (i < n) {
		const char *nl = memchr(canon + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - canon) + 1 : n;
		if (e - i <= 2 && (canon[i] == '\r' || canon[i] == '\n'))
			break;
		bool cont = canon[i] == ' ' || canon[i] == '\t';
		in_ct = cont ? in_ct : e - i > 13 && strncasecmp(canon + i, "content-type:", 13) == 0;
		if (in_ct)
			ct_end = e >= 2 && canon[e - 2] == '\r' ? e - 2 : e;
		i = e;
	}
	return ct_end;
}

/* Protected headers (draft-autocrypt-lamps-protected-headers): the real
 * Subject and protected-headers="v1" in the entity that gets encrypted. */
static char *protect(const char *canon, size_t n, const char *subject, size_t *len)
{
	size_t ct_end = content_type_end(canon, n);
	struct strbuf o, enc;
	strbuf_init(&o);
	strbuf_init(&enc);
	encode_rfc2047_text(subject, &enc);
	encode_fold_header("Subject", enc.s ? enc.s : "", &o);
	if (ct_end) {
		strbuf_add(&o, canon, ct_end);
		strbuf_adds(&o, ";\r\n\tprotected-headers=\"v1\"");
		strbuf_add(&o, canon + ct_end, n - ct_end);
	} else {
		strbuf_adds(&o, "Content-Type: text/plain; charset=us-ascii; protected-headers=\"v1\"\r\n");
		strbuf_add(&o, canon, n);
	}
	strbuf_free(&enc);
	*len = o.len;
	return strbuf_detach(&o);
}

/* Sign and/or encrypt canon with x set up. */
static char *wrap_run(struct wrap *x, const char *canon, size_t n, size_t *len)
{
	const struct crypto_write *w = x->w;
	if (w->sign && !set_signer(x))
		return NULL;
	if (!w->encrypt)
		return signed_entity(x, canon, n, len);
	gpgme_key_t *keys = recipients(x);
	if (!keys)
		return NULL;
	/* S/MIME has no combined operation: the signed entity is encrypted */
	bool nest = w->sign && w->proto == CRYPTO_SMIME;
	size_t pl = n, cl = 0;
	char *signed_part = nest ? signed_entity(x, canon, n, &pl) : NULL;
	char *cipher = nest && !signed_part ? NULL : encrypt_to(x, keys, nest ? signed_part : canon, pl, w->sign && !nest, &cl);
	char *out = cipher ? encrypted_entity(x, cipher, cl, len) : NULL;
	free(signed_part);
	free(cipher);
	keys_free(keys);
	return out;
}

int crypto_wrap(crypto_t *c, const struct crypto_write *w, const char *entity, size_t len, char **out,
		size_t *out_len, char **err)
{
	*out = NULL;
	*out_len = 0;
	*err = NULL;
	if (w->sign && !encode_text_is_7bit(entity, len)) {
		*err = xstrdup("a signed part must be 7-bit: encode its body as quoted-printable or base64 first");
		return -1;
	}
	struct wrap x = {.c = c, .w = w};
	x.ctx = crypto_ctx(c, w->proto, &x.err);
	size_t n;
	char *canon = crypto_canon_crlf(entity, len, &n);
	if (x.ctx && w->encrypt && w->subject) {
		char *p = protect(canon, n, w->subject, &n);
		free(canon);
		canon = p;
	}
	if (x.ctx)
		*out = wrap_run(&x, canon, n, out_len);
	crypto_wipe(&canon, n);
	gpgme_release(x.ctx);
	if (!*out && !x.err)
		x.err = xstrdup("signing or encrypting failed");
	*err = *out ? NULL : x.err;
	if (*out)
		free(x.err);
	return *out ? 0 : -1;
}
