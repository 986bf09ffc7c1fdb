/* crypto_read.c - find the signed and encrypted parts of a message, have
 * GPGME verify or decrypt them, and report one result per part.
 *
 * What is verified is what is shown: the content a result hands to the
 * pager (content, inner) is the exact bytes GnuPG verified or decrypted,
 * parsed again, never the part as the outer parse saw it.  See
 * doc/crypto.md. */
#include <string.h>
#include <strings.h>

#include "crypto_private.h"
#include "util.h"

struct walk {
	crypto_t *c;
	struct crypto_report *r;
	const mime_part_t *root; /* of the message walked */
	const char *from;        /* its single From: address, or NULL */
	const char *prefix;      /* path of the parts walked so far: "", "3/", "3>" */
	int depth;
	bool whole;      /* the message walked is what the pager shows as a whole */
	bool forwarded;  /* inside a message/rfc822 */
	bool inside;     /* inside a signed or decrypted part: its leaves are protected */
};

static void walk_msg(struct walk *w, const mime_msg_t *m);

/* The one From: address of m, else NULL (no or several authors). */
static const char *single_from(const mime_msg_t *m)
{
	const struct mime_addrlist *l = mime_msg_addrs(m, MIME_H_FROM);
	return l->n == 1 && *l->v[0].mailbox ? l->v[0].mailbox : NULL;
}

static struct crypto_result *result_new(struct walk *w, const mime_part_t *p, enum crypto_kind kind)
{
	struct crypto_report *r = w->r;
	if (r->n >= CRYPTO_MAX_RESULTS) {
		r->truncated = true;
		return NULL;
	}
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	struct crypto_result *res = &r->v[r->n++];
	memset(res, 0, sizeof(*res));
	res->path = xasprintf("%s%zu", w->prefix, mime_part_number(p));
	res->part = mime_part_number(p);
	res->kind = kind;
	res->forwarded = w->forwarded;
	res->whole = w->whole && p == w->root;
	res->is_signed = kind != CRYPTO_PGP_MIME_ENCRYPTED && kind != CRYPTO_PGP_INLINE_ENCRYPTED &&
			 kind != CRYPTO_SMIME_ENVELOPED;
	res->encrypted = !res->is_signed;
	res->status = res->is_signed ? CRYPTO_ERROR : CRYPTO_NONE;
	return res;
}

static void result_error(struct crypto_result *res, char *msg)
{
	res->status = CRYPTO_ERROR;
	free(res->error);
	res->error = msg;
}

/* ---- signatures ---- */

static const struct {
	gpg_err_code_t code;
	enum crypto_status status;
} sig_codes[] = {
	{GPG_ERR_NO_ERROR, CRYPTO_GOOD},           {GPG_ERR_BAD_SIGNATURE, CRYPTO_BAD},
	{GPG_ERR_NO_PUBKEY, CRYPTO_UNKNOWN_KEY},    {GPG_ERR_KEY_EXPIRED, CRYPTO_EXPIRED_KEY},
	{GPG_ERR_SIG_EXPIRED, CRYPTO_EXPIRED_KEY},  {GPG_ERR_CERT_REVOKED, CRYPTO_REVOKED_KEY},
	{GPG_ERR_CERT_EXPIRED, CRYPTO_EXPIRED_KEY},
};

static enum crypto_status sig_status(gpgme_signature_t s)
{
	enum crypto_status st = CRYPTO_ERROR;
	for (size_t i = 0; i < ARRAY_SIZE(sig_codes); i++)
		if (sig_codes[i].code == gpg_err_code(s->status))
			st = sig_codes[i].status;
	if (st == CRYPTO_GOOD && (s->summary & GPGME_SIGSUM_KEY_REVOKED))
		st = CRYPTO_REVOKED_KEY;
	else if (st == CRYPTO_GOOD && (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED)))
		st = CRYPTO_EXPIRED_KEY;
	else if (st == CRYPTO_GOOD && (s->summary & GPGME_SIGSUM_RED))
		st = CRYPTO_BAD;
	return st;
}

/* Signer, fingerprint, validity and the From: match of signature s. */
static void signer_fill(struct walk *w, gpgme_ctx_t ctx, gpgme_signature_t s, struct crypto_result *res)
{
	res->fingerprint = crypto_clean(s->fpr);
	res->validity = s->validity <= GPGME_VALIDITY_ULTIMATE ? (enum crypto_validity)s->validity : CRYPTO_V_UNKNOWN;
	gpgme_key_t key = NULL;
	if (!s->fpr || gpgme_get_key(ctx, s->fpr, &key, 0))
		return;
	gpgme_user_id_t match = crypto_uid_for(key, w->from, false);
	res->from_matches = match != NULL;
	gpgme_user_id_t shown = match && gpgme_get_protocol(ctx) == GPGME_PROTOCOL_OpenPGP ? match : key->uids;
	res->signer = crypto_clean(shown ? shown->uid : NULL);
	if (key->subkeys && key->subkeys->fpr && gpgme_get_protocol(ctx) == GPGME_PROTOCOL_OpenPGP) {
		free(res->fingerprint);
		res->fingerprint = crypto_clean(key->subkeys->fpr); /* the primary key's, not the signing subkey's */
	}
	gpgme_key_unref(key);
}

/* Judge the signatures of the last verify on ctx: the first that is not
 * good decides, else the first. */
static void sigs_eval(struct walk *w, gpgme_ctx_t ctx, struct crypto_result *res)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t pick = NULL;
	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s; s = s->next)
		if (!pick || (sig_status(pick) == CRYPTO_GOOD && sig_status(s) != CRYPTO_GOOD))
			pick = s;
	if (!pick) {
		if (res->is_signed)
			result_error(res, xstrdup("no signature found"));
		return;
	}
	res->is_signed = true;
	res->status = sig_status(pick);
	if (res->status == CRYPTO_ERROR)
		res->error = crypto_err("signature", pick->status);
	signer_fill(w, ctx, pick, res);
}

/* ---- what was verified or decrypted, walked in turn ---- */

/* Keep content in res and walk it as a MIME entity of its own.  The walk
 * adds results, so the array res lies in may move: callers use res no
 * more after this. */
static void content_walk(struct walk *w, const mime_part_t *p, struct crypto_result *res, char *content, size_t len)
{
	res->content = content;
	res->content_len = len;
	if (res->kind == CRYPTO_PGP_INLINE_SIGNED || res->kind == CRYPTO_PGP_INLINE_ENCRYPTED)
		return;
	mime_msg_parse(content, len, &res->inner);
	if (w->depth + 1 >= CRYPTO_MAX_DEPTH) {
		w->r->truncated = true;
		return;
	}
	char *prefix = xasprintf("%s/", res->path);
	struct walk sub = *w;
	sub.prefix = prefix;
	sub.depth = w->depth + 1;
	sub.whole = w->whole && p == w->root;
	sub.inside = true;
	sub.root = mime_msg_root(res->inner);
	walk_msg(&sub, res->inner);
	free(prefix);
}

/* ---- the kinds of parts ---- */

static bool too_large(struct crypto_result *res, size_t n)
{
	if (n <= CRYPTO_MAX_INPUT)
		return false;
	result_error(res, xasprintf("%zu bytes is over the %zu MiB limit for signed or encrypted parts", n,
				    CRYPTO_MAX_INPUT >> 20));
	return true;
}

/* The decoded body of p's own entity (a part parsed from bytes we split). */
static char *entity_body(const char *raw, size_t n, size_t *len)
{
	mime_msg_t *m = NULL;
	char *out = NULL;
	mime_msg_parse(raw, n, &m);
	mime_part_decode(mime_msg_root(m), &out, len);
	mime_msg_free(&m);
	return out;
}

static void verify_detached(struct walk *w, const mime_part_t *p, gpgme_ctx_t ctx, struct crypto_result *res,
			    const char *body, size_t n)
{
	const char *boundary = mime_part_param(p, "boundary");
	const char *sp, *gp;
	size_t sl, gl, canon_len, sig_len;
	if (!crypto_signed_split(body, n, boundary, &sp, &sl, &gp, &gl)) {
		result_error(res, xstrdup("multipart/signed without its two parts"));
		return;
	}
	char *canon = crypto_canon_crlf(sp, sl, &canon_len);
	char *sig = entity_body(gp, gl, &sig_len);
	gpgme_data_t dsig = crypto_data_in(sig, sig_len), dtext = crypto_data_in(canon, canon_len);
	crypto_watch_start(w->c, ctx);
	gpgme_error_t e = gpgme_op_verify(ctx, dsig, dtext, NULL);
	if (crypto_watch_stop(w->c))
		e = gpg_error(GPG_ERR_TIMEOUT);
	gpgme_data_release(dsig);
	gpgme_data_release(dtext);
	free(sig);
	if (e)
		result_error(res, crypto_err("verifying", e));
	else
		sigs_eval(w, ctx, res);
	content_walk(w, p, res, canon, canon_len);
}

/* Run one GnuPG operation on part p's decoded body: verify_detached for
 * multipart/signed, else op on the body with the output as content. */
typedef gpgme_error_t (*crypto_op_fn)(gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out);

static gpgme_error_t op_verify(gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out)
{
	return gpgme_op_verify(ctx, in, NULL, out);
}

static gpgme_error_t op_decrypt(gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out)
{
	if (gpgme_get_protocol(ctx) == GPGME_PROTOCOL_CMS)
		return gpgme_op_decrypt(ctx, in, out);
	return gpgme_op_decrypt_verify(ctx, in, out);
}

/* EFAIL: OpenPGP plaintext is given out only when the ciphertext was
 * integrity protected and the check passed (GnuPG fails the decryption
 * otherwise; a legacy cipher without MDC is refused here as well). */
static bool decrypt_ok(gpgme_ctx_t ctx, gpgme_error_t e, struct crypto_result *res)
{
	gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(ctx);
	if (!e && dr && dr->legacy_cipher_nomdc)
		e = gpg_error(GPG_ERR_BAD_DATA);
	if (e) {
		bool bad_data = gpg_err_code(e) == GPG_ERR_BAD_DATA;
		result_error(res, crypto_err(bad_data ? "decryption failed (damaged or not integrity protected)"
						      : "decryption failed",
					     e));
		return false;
	}
	res->decrypted = true;
	res->integrity = gpgme_get_protocol(ctx) == GPGME_PROTOCOL_OpenPGP;
	return true;
}

/* Verify (signed) or decrypt (encrypted) in[0..n) with the output as the
 * result's content, walked in turn.  p is the part it stands for. */
static void run_op(struct walk *w, const mime_part_t *p, gpgme_ctx_t ctx, struct crypto_result *res, const char *in,
		   size_t n)
{
	gpgme_data_t din = crypto_data_in(in, n), dout = crypto_data_out();
	crypto_watch_start(w->c, ctx);
	gpgme_error_t e = (res->encrypted ? op_decrypt : op_verify)(ctx, din, dout);
	if (crypto_watch_stop(w->c))
		e = gpg_error(GPG_ERR_TIMEOUT);
	gpgme_data_release(din);
	size_t len;
	char *out = crypto_data_take(dout, &len);
	bool keep = res->encrypted ? decrypt_ok(ctx, e, res) : !e;
	if (!res->encrypted && e)
		result_error(res, crypto_err("verifying", e));
	if (keep)
		sigs_eval(w, ctx, res);
	if (!keep) {
		crypto_wipe(&out, len);
		return;
	}
	content_walk(w, p, res, out, len);
}

/* The ciphertext of multipart/encrypted: its second part, decoded. */
static char *pgp_ciphertext(const mime_part_t *p, size_t *len)
{
	const mime_part_t *c1 = mime_part_first_child(p), *c2 = c1 ? mime_part_next(c1) : NULL;
	char *out = NULL;
	*len = 0;
	if (c2 && strcmp(mime_part_type(c1), "application/pgp-encrypted") == 0)
		mime_part_decode(c2, &out, len);
	return out;
}

/* Handle part p of kind k with protocol proto. */
static void part_crypto(struct walk *w, const mime_part_t *p, enum crypto_kind k, enum crypto_proto proto)
{
	struct crypto_result *res = result_new(w, p, k);
	if (!res)
		return;
	size_t n = 0;
	char *body = NULL, *err = NULL;
	if (k == CRYPTO_PGP_MIME_ENCRYPTED)
		body = pgp_ciphertext(p, &n);
	else
		mime_part_decode(p, &body, &n);
	gpgme_ctx_t ctx = NULL;
	if (!body)
		result_error(res, xstrdup("multipart/encrypted without its application/pgp-encrypted part"));
	else if (!too_large(res, n) && !(ctx = crypto_ctx(w->c, proto, &err)))
		result_error(res, err);
	else if (ctx && (k == CRYPTO_PGP_MIME_SIGNED || k == CRYPTO_SMIME_SIGNED))
		verify_detached(w, p, ctx, res, body, n);
	else if (ctx)
		run_op(w, p, ctx, res, body, n);
	gpgme_release(ctx);
	free(body);
}

/* ---- inline PGP in text parts ---- */

static bool blank_range(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static void inline_block(struct walk *w, const mime_part_t *p, const char *text, size_t n, size_t start, size_t len,
			 enum crypto_armor kind)
{
	struct crypto_result *res =
		result_new(w, p, kind == CRYPTO_ARMOR_SIGNED ? CRYPTO_PGP_INLINE_SIGNED : CRYPTO_PGP_INLINE_ENCRYPTED);
	if (!res)
		return;
	res->inline_start = start;
	res->inline_len = len;
	res->text_outside = !blank_range(text, 0, start) || !blank_range(text, start + len, n);
	res->whole = res->whole && !res->text_outside;
	char *err = NULL;
	gpgme_ctx_t ctx = NULL;
	if (!too_large(res, len) && !(ctx = crypto_ctx(w->c, CRYPTO_OPENPGP, &err)))
		result_error(res, err);
	else if (ctx)
		run_op(w, p, ctx, res, text + start, len);
	gpgme_release(ctx);
}

/* Inline PGP blocks of a text part; false when it has none. */
static bool part_inline(struct walk *w, const mime_part_t *p)
{
	char *text = NULL;
	size_t n = 0, pos = 0, start, len, found = 0;
	enum crypto_armor kind;
	mime_part_decode(p, &text, &n);
	while (found < CRYPTO_MAX_INLINE && crypto_armor_find(text, n, &pos, &start, &len, &kind)) {
		inline_block(w, p, text, n, start, len, kind);
		found++;
	}
	free(text);
	return found > 0;
}

/* ---- the walk ---- */

/* A forwarded message: its own From: and its own parts, never "whole". */
static void part_forwarded(struct walk *w, const mime_part_t *p)
{
	if (w->depth + 1 >= CRYPTO_MAX_DEPTH) {
		w->r->truncated = true;
		return;
	}
	char *raw = NULL;
	size_t n = 0;
	mime_part_decode(p, &raw, &n);
	mime_msg_t *m = NULL;
	mime_msg_parse(raw, n, &m);
	free(raw);
	char *prefix = xasprintf("%s%zu>", w->prefix, mime_part_number(p));
	struct walk sub = *w;
	sub.prefix = prefix;
	sub.depth = w->depth + 1;
	sub.whole = false;
	sub.forwarded = true;
	sub.from = single_from(m);
	sub.root = mime_msg_root(m);
	walk_msg(&sub, m);
	free(prefix);
	mime_msg_free(&m);
}

static const struct {
	const char *type, *param, *value; /* value NULL: the parameter is absent or anything else */
	enum crypto_kind kind;
	enum crypto_proto proto;
} part_kinds[] = {
	{"multipart/signed", "protocol", "application/pgp-signature", CRYPTO_PGP_MIME_SIGNED, CRYPTO_OPENPGP},
	{"multipart/signed", "protocol", "application/pkcs7-signature", CRYPTO_SMIME_SIGNED, CRYPTO_SMIME},
	{"multipart/signed", "protocol", "application/x-pkcs7-signature", CRYPTO_SMIME_SIGNED, CRYPTO_SMIME},
	{"multipart/encrypted", "protocol", "application/pgp-encrypted", CRYPTO_PGP_MIME_ENCRYPTED, CRYPTO_OPENPGP},
	{"application/pkcs7-mime", "smime-type", "signed-data", CRYPTO_SMIME_OPAQUE, CRYPTO_SMIME},
	{"application/x-pkcs7-mime", "smime-type", "signed-data", CRYPTO_SMIME_OPAQUE, CRYPTO_SMIME},
	{"application/pkcs7-mime", "smime-type", NULL, CRYPTO_SMIME_ENVELOPED, CRYPTO_SMIME},
	{"application/x-pkcs7-mime", "smime-type", NULL, CRYPTO_SMIME_ENVELOPED, CRYPTO_SMIME},
};

/* The entry of part_kinds for p, or -1. */
static int kind_of(const mime_part_t *p)
{
	const char *type = mime_part_type(p);
	for (size_t i = 0; i < ARRAY_SIZE(part_kinds); i++) {
		if (strcmp(type, part_kinds[i].type) != 0)
			continue;
		const char *v = mime_part_param(p, part_kinds[i].param);
		if (!part_kinds[i].value || (v && strcasecmp(v, part_kinds[i].value) == 0))
			return (int)i;
	}
	return -1;
}

static enum mime_walk_ret visit(const mime_part_t *p, void *ud)
{
	struct walk *w = ud;
	int k = kind_of(p);
	if (k >= 0) {
		part_crypto(w, p, part_kinds[k].kind, part_kinds[k].proto);
		return MIME_WALK_SKIP_CHILDREN;
	}
	if (strcmp(mime_part_type(p), "message/rfc822") == 0) {
		part_forwarded(w, p);
		return MIME_WALK_SKIP_CHILDREN;
	}
	if (mime_part_first_child(p))
		return MIME_WALK_CONTINUE;
	bool text = strcmp(mime_part_type(p), "text/plain") == 0;
	size_t before = w->r->n;
	if (!(text && part_inline(w, p)) || (w->r->n > before && w->r->v[w->r->n - 1].text_outside))
		w->r->unprotected += !w->inside;
	return MIME_WALK_CONTINUE;
}

static void walk_msg(struct walk *w, const mime_msg_t *m)
{
	mime_walk(m, visit, w);
}

struct crypto_report *crypto_process(crypto_t *c, const mime_msg_t *m)
{
	struct crypto_report *r = xcalloc(1, sizeof(*r));
	struct walk w = {
		.c = c, .r = r, .root = mime_msg_root(m), .from = single_from(m), .prefix = "", .whole = true,
	};
	walk_msg(&w, m);
	return r;
}

void crypto_report_free(struct crypto_report **rp)
{
	struct crypto_report *r = *rp;
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct crypto_result *res = &r->v[i];
		free(res->path);
		free(res->signer);
		free(res->fingerprint);
		free(res->error);
		crypto_wipe(&res->content, res->content_len);
		mime_msg_free(&res->inner);
	}
	free(r->v);
	xfree(rp);
}
