/* test_roles.c - which folder is Sent, Drafts, Trash, Archive: the
 * account's option first, then what the server's SPECIAL-USE said (as the
 * sync recorded it), then the conventional name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "conf.h"
#include "roles.h"
#include "util.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static conf_t *load(const char *extra)
{
	conf_t *c = conf_new();
	char *rc = xasprintf("set data_dir = \"%s\"\naccount work\nset imap_url = \"imaps://u@h\"\n%s\n", tmp, extra);
	assert_int_equal(conf_load_string(c, "rc", rc), 0);
	free(rc);
	return c;
}

static void check(const conf_t *c, enum imap_special role, const char *rel, const char *name)
{
	char *n = NULL;
	char *r = roles_folder(c, 0, role, &n);
	assert_non_null(r);
	assert_string_equal(r, rel);
	assert_string_equal(n, name);
	free(r);
	free(n);
}

static void test_defaults_without_record(void **state)
{
	(void)state;
	conf_t *c = load("");
	check(c, IMAP_SPECIAL_SENT, "Sent", "Sent");
	check(c, IMAP_SPECIAL_DRAFTS, "Drafts", "Drafts");
	check(c, IMAP_SPECIAL_TRASH, "Trash", "Trash");
	check(c, IMAP_SPECIAL_ARCHIVE, "Archive", "Archive");
	assert_null(roles_folder(c, 0, IMAP_SPECIAL_INBOX, NULL));
	conf_free(&c);
}

static void test_special_use_recorded_then_option_wins(void **state)
{
	(void)state;
	struct imap_folder f[] = {
		{ .raw = "INBOX", .name = "INBOX", .delim = '.', .special = IMAP_SPECIAL_INBOX },
		{ .raw = "INBOX.Gesendet", .name = "INBOX.Gesendet", .delim = '.', .special = IMAP_SPECIAL_SENT },
		{ .raw = "Papierkorb", .name = "Papierkorb", .delim = '.', .special = IMAP_SPECIAL_TRASH },
		{ .raw = "Evil", .name = "Evil\nArchive - x", .delim = '.', .special = IMAP_SPECIAL_ARCHIVE },
		{ .raw = "[Gmail]", .name = "[Gmail]", .delim = '.', .flags = IMAP_FOLDER_NOSELECT,
		  .special = IMAP_SPECIAL_DRAFTS },
		{ .raw = "&AOQ-rchiv", .name = "\xc3\xa4rchiv", .delim = '.', .special = IMAP_SPECIAL_ARCHIVE },
	};
	char *sd = xasprintf("%s/state/work", tmp);
	assert_int_equal(roles_save(sd, f, sizeof(f) / sizeof(f[0]), NULL, 0, false), 0);
	struct stat st1, st2;
	char *rp = xasprintf("%s/roles", sd);
	assert_int_equal(stat(rp, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0600);
	/* the same list again leaves the file alone */
	assert_int_equal(roles_save(sd, f, sizeof(f) / sizeof(f[0]), NULL, 0, false), 0);
	assert_int_equal(stat(rp, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);

	conf_t *c = load("");
	check(c, IMAP_SPECIAL_SENT, "INBOX/Gesendet", "INBOX/Gesendet");
	check(c, IMAP_SPECIAL_TRASH, "Papierkorb", "Papierkorb");
	/* a name with a newline is not recorded; the next \Archive is */
	check(c, IMAP_SPECIAL_ARCHIVE, "\xc3\xa4rchiv", "\xc3\xa4rchiv");
	/* \Drafts only on a \Noselect folder: the conventional name */
	check(c, IMAP_SPECIAL_DRAFTS, "Drafts", "Drafts");
	conf_free(&c);

	c = load("set record = \"Outgoing/2026\"\nset trash = Bin");
	check(c, IMAP_SPECIAL_SENT, "Outgoing/2026", "Outgoing/2026");
	check(c, IMAP_SPECIAL_TRASH, "Bin", "Bin");
	check(c, IMAP_SPECIAL_ARCHIVE, "\xc3\xa4rchiv", "\xc3\xa4rchiv");
	conf_free(&c);
	free(rp);
	free(sd);
}

/* Courier and classic Cyrus: no SPECIAL-USE marks, every folder under
 * "INBOX.": an existing INBOX.Trash is the Trash (not a new top-level
 * one), and a role with no folder yet is made inside the namespace. */
static void test_namespace_fallback(void **state)
{
	(void)state;
	struct imap_folder f[] = {
		{ .raw = "INBOX", .name = "INBOX", .delim = '.' },
		{ .raw = "INBOX.Projects.Trash", .name = "INBOX.Projects.Trash", .delim = '.' },
		{ .raw = "INBOX.Trash", .name = "INBOX.Trash", .delim = '.' },
		{ .raw = "INBOX.drafts", .name = "INBOX.drafts", .delim = '.' },
	};
	const struct imap_folder *t = roles_find(f, 4, IMAP_SPECIAL_TRASH, NULL);
	assert_non_null(t);
	assert_string_equal(t->name, "INBOX.Trash");
	assert_null(roles_find(f, 4, IMAP_SPECIAL_TRASH, "Bin"));
	char *sd = xasprintf("%s/state/work", tmp);
	assert_int_equal(roles_save(sd, f, 4, "INBOX.", '.', false), 0);
	conf_t *c = load("");
	check(c, IMAP_SPECIAL_TRASH, "INBOX/Trash", "INBOX/Trash");
	check(c, IMAP_SPECIAL_DRAFTS, "INBOX/drafts", "INBOX/drafts");
	check(c, IMAP_SPECIAL_SENT, "INBOX/Sent", "INBOX/Sent");
	check(c, IMAP_SPECIAL_ARCHIVE, "INBOX/Archive", "INBOX/Archive");
	conf_free(&c);
	/* without a prefix the usual names stay as they were */
	assert_int_equal(roles_save(sd, f, 1, "", '.', false), 0);
	c = load("");
	check(c, IMAP_SPECIAL_SENT, "Sent", "Sent");
	conf_free(&c);
	free(sd);
}

/* A Gmail-shaped account (X-GM-EXT-1 and an \All folder): its other
 * folders are labels, and a delete there only removes the label. */
static void test_labels(void **state)
{
	(void)state;
	struct imap_folder f[] = {
		{ .raw = "INBOX", .name = "INBOX", .delim = '/', .special = IMAP_SPECIAL_INBOX },
		{ .raw = "Work", .name = "Work", .delim = '/' },
		{ .raw = "[Gmail]/All Mail", .name = "[Gmail]/All Mail", .delim = '/', .special = IMAP_SPECIAL_ALL },
		{ .raw = "[Gmail]/Trash", .name = "[Gmail]/Trash", .delim = '/', .special = IMAP_SPECIAL_TRASH },
		{ .raw = "[Gmail]/Sent Mail", .name = "[Gmail]/Sent Mail", .delim = '/', .special = IMAP_SPECIAL_SENT },
	};
	char *sd = xasprintf("%s/state/work", tmp);
	assert_int_equal(roles_save(sd, f, 5, "", '/', false), 0);
	conf_t *c = load("");
	assert_false(roles_labels(c, 0));
	assert_false(roles_is_label(c, 0, "Work"));
	conf_free(&c);
	assert_int_equal(roles_save(sd, f, 5, "", '/', true), 0);
	c = load("");
	assert_true(roles_labels(c, 0));
	assert_true(roles_is_label(c, 0, "Work"));
	assert_false(roles_is_label(c, 0, "INBOX"));
	assert_false(roles_is_label(c, 0, "[Gmail]/Trash"));
	assert_false(roles_is_label(c, 0, "[Gmail]/Sent Mail"));
	/* the roles themselves still read back */
	check(c, IMAP_SPECIAL_TRASH, "[Gmail]/Trash", "[Gmail]/Trash");
	conf_free(&c);
	free(sd);
}

static void test_hostile_recorded_names_stay_inside(void **state)
{
	(void)state;
	struct imap_folder f[] = {
		{ .raw = "a", .name = "../../etc", .delim = '/', .special = IMAP_SPECIAL_TRASH },
		{ .raw = "b", .name = "x/y", .delim = '.', .special = IMAP_SPECIAL_SENT },
	};
	char *sd = xasprintf("%s/state/work", tmp);
	assert_int_equal(roles_save(sd, f, 2, NULL, 0, false), 0);
	conf_t *c = load("");
	char *r = roles_folder(c, 0, IMAP_SPECIAL_TRASH, NULL);
	assert_non_null(r);
	assert_null(strstr(r, "../"));
	free(r);
	/* '/' inside a component of a '.'-delimited server: not usable */
	check(c, IMAP_SPECIAL_SENT, "Sent", "Sent");
	conf_free(&c);
	/* a server whose delimiter is '-' (any byte reads back as itself) */
	struct imap_folder g[] = { { .raw = "a", .name = "Mail-Junk", .delim = '-', .special = IMAP_SPECIAL_JUNK },
				   { .raw = "b", .name = "Old-Sent", .delim = 0, .special = IMAP_SPECIAL_SENT } };
	assert_int_equal(roles_save(sd, g, 2, NULL, 0, false), 0);
	c = load("");
	check(c, IMAP_SPECIAL_JUNK, "Mail/Junk", "Mail/Junk");
	check(c, IMAP_SPECIAL_SENT, "Old-Sent", "Old-Sent");
	conf_free(&c);
	free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_without_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_use_recorded_then_option_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespace_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_recorded_names_stay_inside, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
