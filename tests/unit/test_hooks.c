/* test_hooks.c - mutt's hook table: order, patterns, event commands. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks.h"
#include "testutil.h"
#include "util.h"

static void add(hooks_t *h, enum hook_type t, const char *pattern, const char *cmd)
{
	char *err = NULL;
	if (!hooks_add(h, t, pattern, cmd, &err))
		fail_msg("%s %s: %s", hooks_type_name(t), pattern ? pattern : "", err);
}

/* The matching commands joined by " ; ". */
static char *collect(const hooks_t *h, enum hook_type t, const struct hook_ctx *ctx)
{
	size_t n;
	const char **v = hooks_collect(h, t, ctx, &n);
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&b, "%s%s", i ? " ; " : "", v[i]);
	free(v);
	return strbuf_detach(&b);
}

static char *for_folder(const hooks_t *h, const char *name)
{
	struct hook_ctx ctx = { .name = name };
	return collect(h, HOOK_FOLDER, &ctx);
}

static void test_folder_hooks(void **state)
{
	(void)state;
	hooks_t *h = hooks_new();
	add(h, HOOK_FOLDER, ".", "set sort=date");
	add(h, HOOK_FOLDER, "=lists/", "set sort=threads");
	add(h, HOOK_FOLDER, "!^INBOX$", "set mark_old=no");
	add(h, HOOK_FOLDER, ".", "set sort=date"); /* the same again: kept once */
	add(h, HOOK_ACCOUNT, "^work$", "set signature=~/.sig-work");
	char *s = for_folder(h, "lists/debian");
	/* the default first, then the specific ones, in rc order */
	assert_string_equal(s, "set sort=date ; set sort=threads ; set mark_old=no");
	free(s);
	s = for_folder(h, "INBOX");
	assert_string_equal(s, "set sort=date");
	free(s);
	struct hook_ctx acc = { .name = "work" };
	s = collect(h, HOOK_ACCOUNT, &acc);
	assert_string_equal(s, "set signature=~/.sig-work");
	free(s);
	acc.name = "workshop";
	s = collect(h, HOOK_ACCOUNT, &acc);
	assert_string_equal(s, "");
	free(s);
	char *err = NULL;
	assert_false(hooks_add(h, HOOK_FOLDER, "([", "x", &err));
	assert_non_null(strstr(err, "folder-hook: '([' is not a valid regular expression"));
	free(err);
	assert_false(hooks_add(h, HOOK_FOLDER, "", "x", &err));
	assert_string_equal(err, "folder-hook needs a pattern and a command");
	free(err);
	assert_int_equal(hooks_remove(h, HOOK_FOLDER), 3);
	s = for_folder(h, "INBOX");
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(hooks_remove(h, HOOK_NONE), 1);
	hooks_free(&h);
	assert_null(h);
}

struct msg {
	struct addr_list from, to, cc;
	struct hook_msg m;
};

static void msg_init(struct msg *x, const char *from, const char *to, const char *cc, const char *subject)
{
	char *err = NULL;
	addr_list_init(&x->from);
	addr_list_init(&x->to);
	addr_list_init(&x->cc);
	assert_true(addr_parse(from, &x->from, &err));
	assert_true(addr_parse(to, &x->to, &err));
	assert_true(addr_parse(cc, &x->cc, &err));
	static const char *const lists[] = { "^dev@lists\\.example\\.org$", NULL };
	x->m = (struct hook_msg){ &x->from, &x->to, &x->cc, subject, lists };
}

static void msg_clear(struct msg *x)
{
	addr_list_clear(&x->from);
	addr_list_clear(&x->to);
	addr_list_clear(&x->cc);
}

static void test_send_hooks(void **state)
{
	(void)state;
	hooks_t *h = hooks_new();
	add(h, HOOK_SEND, ".", "unset signature");
	add(h, HOOK_SEND, "~t @work\\.example\\.com", "set signature=work");
	add(h, HOOK_SEND, "~C boss", "my_hdr X-Priority: 1");
	add(h, HOOK_SEND, "~s URGENT", "set crypt_autosign");
	add(h, HOOK_SEND, "~l", "set from=me@lists");
	add(h, HOOK_SEND, "!~f me@ (~s 'hello world' | ~c carol)", "set x");
	add(h, HOOK_SEND, "mum@home\\.example", "set charset=utf-8");
	add(h, HOOK_REPLY, "friend@", "set attribution='Hi!'");
	struct msg x;
	msg_init(&x, "me@home.example", "Ann <ann@work.example.com>", "The Boss <b@corp.example>", "urgent stuff");
	struct hook_ctx ctx = { .msg = &x.m };
	char *s = collect(h, HOOK_SEND, &ctx);
	/* ~s URGENT has upper case: case-sensitive, no match on "urgent" */
	assert_string_equal(s, "unset signature ; set signature=work ; my_hdr X-Priority: 1");
	free(s);
	msg_clear(&x);
	msg_init(&x, "other@x.example", "dev@lists.example.org, mum@home.example", "carol@x.example", "URGENT");
	s = collect(h, HOOK_SEND, &ctx);
	assert_string_equal(s, "unset signature ; set crypt_autosign ; set from=me@lists ; set x ; set charset=utf-8");
	free(s);
	/* reply-hook: a bare regex is on the sender of the message replied to */
	s = collect(h, HOOK_REPLY, &ctx);
	assert_string_equal(s, "");
	free(s);
	msg_clear(&x);
	msg_init(&x, "Friend <friend@x.example>", "me@home.example", "", "hello world");
	s = collect(h, HOOK_REPLY, &ctx);
	assert_string_equal(s, "set attribution='Hi!'");
	free(s);
	msg_clear(&x);
	/* a new message whose recipients come in the editor: "." still matches */
	msg_init(&x, "me@home.example", "", "", "");
	s = collect(h, HOOK_SEND, &ctx);
	assert_string_equal(s, "unset signature");
	free(s);
	msg_clear(&x);
	char *err = NULL;
	assert_false(hooks_add(h, HOOK_SEND, "~d <1w", "x", &err));
	assert_non_null(strstr(err, "~d is not supported"));
	free(err);
	assert_false(hooks_add(h, HOOK_SEND, "~t (", "x", &err));
	free(err);
	assert_false(hooks_add(h, HOOK_SEND, "(~t a", "x", &err));
	assert_non_null(strstr(err, "a ( is not closed"));
	free(err);
	hooks_free(&h);
}

static bool query_match(void *ud, const char *query)
{
	strbuf_adds(ud, query);
	return true;
}

static void test_message_hooks(void **state)
{
	(void)state;
	hooks_t *h = hooks_new();
	add(h, HOOK_MESSAGE, "~f alice", "set pager_index_lines=5");
	add(h, HOOK_MESSAGE, "~d <1w", "set display_filter=x"); /* only the store can tell */
	struct msg x;
	msg_init(&x, "alice@example.org", "", "", "s");
	struct strbuf asked;
	strbuf_init(&asked);
	struct hook_ctx ctx = { .msg = &x.m, .query_match = query_match, .ud = &asked };
	char *s = collect(h, HOOK_MESSAGE, &ctx);
	assert_string_equal(s, "set pager_index_lines=5 ; set display_filter=x");
	assert_string_equal(asked.s, "date:1weeks..");
	free(s);
	ctx.query_match = NULL;
	s = collect(h, HOOK_MESSAGE, &ctx);
	assert_string_equal(s, "set pager_index_lines=5");
	free(s);
	strbuf_free(&asked);
	msg_clear(&x);
	add(h, HOOK_STARTUP, NULL, "echo start");
	add(h, HOOK_STARTUP, NULL, "echo again");
	s = collect(h, HOOK_STARTUP, NULL);
	assert_string_equal(s, "echo start ; echo again");
	free(s);
	hooks_free(&h);
}

static void test_event_hooks(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *cmd = xasprintf("cd %s && printf '%%s' \"$MUTTLIKE_SUBJECT\" > subject && cat > stdin", dir);
	char *marker = xasprintf("%s/pwned", dir);
	char *subj = xasprintf("MUTTLIKE_SUBJECT=$(touch %s); `touch %s` '\"", marker, marker);
	const char *const env[] = { subj, NULL };
	static const char msg[] = "From: x@example.org\n\nbody $(touch nope)\n";
	char *err = NULL;
	assert_true(hooks_run_event(cmd, env, msg, strlen(msg), 10000, &err));
	char *p = xasprintf("%s/subject", dir), *got = tu_read(p);
	assert_string_equal(got, strchr(subj, '=') + 1);
	free(got);
	free(p);
	p = xasprintf("%s/stdin", dir);
	got = tu_read(p);
	assert_string_equal(got, msg);
	free(got);
	free(p);
	assert_int_not_equal(access(marker, F_OK), 0); /* data never ran */
	/* a hook that hangs is stopped */
	assert_false(hooks_run_event("sleep 30", NULL, NULL, 0, 200, &err));
	assert_non_null(strstr(err, "did not finish"));
	free(err);
	assert_false(hooks_run_event("exit 3", NULL, NULL, 0, 0, &err));
	assert_string_equal(err, "hook failed (exit status 3)");
	free(err);
	free(subj);
	free(marker);
	free(cmd);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_hooks),
		cmocka_unit_test(test_send_hooks),
		cmocka_unit_test(test_message_hooks),
		cmocka_unit_test(test_event_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
