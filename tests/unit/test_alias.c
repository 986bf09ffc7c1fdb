/* test_alias.c - mutt's alias file, expansion, completion, create-alias. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias.h"
#include "testutil.h"
#include "util.h"

static void collect(void *ud, const char *msg)
{
	struct strbuf *b = ud;
	strbuf_adds(b, msg);
	strbuf_addc(b, '\n');
}

/* The expansion of typed as "a, b" through addr_list_format. */
static char *expand(const alias_table_t *t, const char *typed)
{
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL;
	if (!alias_expand(t, typed, &l, &err))
		fail_msg("%s: %s", typed, err);
	char *s = addr_list_format(&l);
	addr_list_clear(&l);
	return s;
}

static const char mutt_file[] =
	"# written by mutt\n"
	"alias bob Bob Smith <bob@example.org>\n"
	"alias carol \"Jones, Carol\" <carol@example.org> # met at FOSDEM\n"
	"alias -group work -group friends dave dave@example.net (Dave D)\n"
	"alias team bob, carol, \\\n"
	"   erin@example.com\n"
	"alias loop1 loop2, x@example.org\n"
	"alias loop2 loop1, y@example.org\n"
	"set realname = \"Alice\"\n"
	"alias broken Bob <not an address\n"
	"\n"
	"alias Hash \"A # not a comment\" <h@example.org>\r\n";

static void test_mutt_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *path = tu_write(dir, "aliases", mutt_file, 0600);
	alias_table_t *t = alias_table_new();
	struct strbuf errs;
	strbuf_init(&errs);
	assert_true(alias_load_file(t, path, collect, &errs));
	/* the set line and the broken alias are reported with file:line */
	char *want1 = xasprintf("%s:9: 'set': only alias and unalias are read from alias_file", path);
	assert_non_null(strstr(errs.s, want1));
	char *want2 = xasprintf("%s:10: alias broken:", path);
	assert_non_null(strstr(errs.s, want2));
	assert_int_equal(alias_count(t), 7);
	const struct alias *c = alias_find(t, "CAROL");
	assert_non_null(c);
	assert_string_equal(c->comment, "met at FOSDEM");
	const struct alias *d = alias_find(t, "dave");
	assert_int_equal(d->ngroups, 2);
	assert_string_equal(d->groups[1], "friends");
	char *s = expand(t, "team, zed@example.org");
	assert_string_equal(s, "Bob Smith <bob@example.org>, \"Jones, Carol\" <carol@example.org>, "
			       "erin@example.com, zed@example.org");
	free(s);
	s = expand(t, "loop1");
	assert_string_equal(s, "y@example.org, x@example.org"); /* loop2 first, then loop1's own */
	free(s);
	s = expand(t, "hash");
	assert_string_equal(s, "A # not a comment <h@example.org>");
	free(s);
	s = expand(t, "dave");
	assert_string_equal(s, "Dave D <dave@example.net>");
	free(s);
	free(want1);
	free(want2);
	strbuf_free(&errs);
	alias_table_free(&t);
	assert_null(t);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

static void test_define_and_errors(void **state)
{
	(void)state;
	alias_table_t *t = alias_table_new();
	char *err = NULL;
	assert_false(alias_define(t, "lonely", &err));
	assert_string_equal(err, "alias lonely: the alias has no address");
	free(err);
	assert_false(alias_define(t, "", &err));
	free(err);
	assert_false(alias_define(t, "-group", &err));
	assert_string_equal(err, "-group needs a group name");
	free(err);
	assert_true(alias_define(t, "x a@example.org", &err));
	assert_true(alias_define(t, "X b@example.org", &err)); /* replaces, case-insensitively */
	assert_int_equal(alias_count(t), 1);
	char *s = expand(t, "x");
	assert_string_equal(s, "b@example.org");
	free(s);
	/* an unknown bare word is not an address */
	struct addr_list l;
	addr_list_init(&l);
	assert_false(alias_expand(t, "nobody", &l, &err));
	assert_non_null(strstr(err, "not a valid address"));
	free(err);
	addr_list_clear(&l);
	assert_int_equal(alias_undefine(t, "nosuch x"), 1);
	assert_int_equal(alias_count(t), 0);
	alias_define(t, "p a@example.org", &err);
	alias_define(t, "q b@example.org", &err);
	assert_int_equal(alias_undefine(t, "*"), 2);
	alias_table_free(&t);
}

static void test_deep_chain(void **state)
{
	(void)state;
	alias_table_t *t = alias_table_new();
	char *err = NULL;
	for (int i = 0; i < 40; i++) {
		char *line = xasprintf("a%d a%d, n%d@example.org", i, i + 1, i);
		assert_true(alias_define(t, line, &err));
		free(line);
	}
	struct addr_list l;
	addr_list_init(&l);
	assert_false(alias_expand(t, "a0", &l, &err));
	assert_non_null(strstr(err, "nested more than"));
	free(err);
	addr_list_clear(&l);
	alias_table_free(&t);
}

static void test_complete(void **state)
{
	(void)state;
	alias_table_t *t = alias_table_new();
	char *err = NULL;
	alias_define(t, "bobby b2@example.org", &err);
	alias_define(t, "bob b@example.org", &err);
	alias_define(t, "bobcat c@example.org", &err);
	alias_define(t, "alice a@example.org", &err);
	const struct alias *out[2];
	char *common = NULL;
	assert_int_equal(alias_complete(t, "BO", out, 2, &common), 3);
	assert_string_equal(out[0]->key, "bob");
	assert_string_equal(out[1]->key, "bobby");
	assert_string_equal(common, "bob");
	free(common);
	assert_int_equal(alias_complete(t, "z", out, 2, &common), 0);
	assert_null(common);
	assert_int_equal(alias_complete(t, "ali", out, 2, &common), 1);
	assert_string_equal(common, "alice");
	free(common);
	assert_string_equal(alias_reverse(t, "C@EXAMPLE.ORG")->key, "bobcat");
	assert_null(alias_reverse(t, "z@example.org"));
	alias_table_free(&t);
}

/* The editor's header block: To/Cc/Bcc expanded (continuations joined),
 * other fields, a field that does not expand and the body untouched. */
static void test_header_block(void **state)
{
	(void)state;
	alias_table_t *t = alias_table_new();
	char *err = NULL;
	assert_true(alias_define(t, "bob Bob B <b@example.org>", &err));
	assert_true(alias_define(t, "team bob, c@example.org", &err));
	char *out = alias_expand_header_block(t, "From: me@example.org\nTo: team,\n\tx@example.org\n"
						 "cc: bob\nBcc: bob, not an address\nSubject: team\n\nTo: bob\n");
	assert_string_equal(out, "From: me@example.org\nTo: Bob B <b@example.org>, c@example.org, x@example.org\n"
				 "cc: Bob B <b@example.org>\nBcc: bob, not an address\nSubject: team\n\nTo: bob\n");
	free(out);
	alias_table_free(&t);
}

static void test_append(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *path = tu_write(dir, "aliases", "alias bob bob@example.org", 0640);
	struct addr_list l;
	addr_list_init(&l);
	addr_list_add(&l, "Evil \"Quote\" `rm -rf` $HOME # x, y", "e@example.org");
	addr_list_add(&l, NULL, "f@example.org");
	char *err = NULL;
	assert_false(alias_append(path, "BOB", &l, &err));
	assert_non_null(strstr(err, "already exists"));
	free(err);
	assert_false(alias_append(path, "two words", &l, &err));
	free(err);
	assert_true(alias_append(path, "evil", &l, &err));
	char *text = tu_read(path);
	assert_string_equal(text, "alias bob bob@example.org\n"
				  "alias evil \"Evil \\\"Quote\\\" \\`rm -rf\\` \\$HOME # x, y\" <e@example.org>, "
				  "<f@example.org>\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* read back: the same addresses */
	alias_table_t *t = alias_table_new();
	assert_true(alias_load_file(t, path, NULL, NULL));
	struct addr_list back;
	addr_list_init(&back);
	assert_true(alias_expand(t, "evil", &back, &err));
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].name, l.v[0].name);
	assert_string_equal(back.v[1].mailbox, "f@example.org");
	addr_list_clear(&back);
	alias_table_free(&t);
	/* through a symlink: the link stays, its target gets the line */
	char *link = xasprintf("%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_true(alias_append(link, "new", &l, &err));
	struct stat lst;
	assert_int_equal(lstat(link, &lst), 0);
	assert_true(S_ISLNK(lst.st_mode));
	text = tu_read(path);
	assert_non_null(strstr(text, "alias new "));
	free(text);
	/* a new file is created private */
	char *fresh = xasprintf("%s/fresh", dir);
	assert_true(alias_append(fresh, "x", &l, &err));
	assert_int_equal(stat(fresh, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(fresh);
	free(link);
	addr_list_clear(&l);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutt_file),	  cmocka_unit_test(test_define_and_errors),
		cmocka_unit_test(test_deep_chain),	  cmocka_unit_test(test_complete),
		cmocka_unit_test(test_append),		  cmocka_unit_test(test_header_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
