/* test_conf.c - the rc language: quoting, continuation, every command and
 * every error path, plus the files we ship (example rc, keymaps, themes). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "conf.h"
#include "keys.h"
#include "util.h"

/* Load text; return the conf (caller frees). */
static conf_t *load(const char *text)
{
	conf_t *c = conf_new();
	conf_load_string(c, "t.rc", text);
	return c;
}

/* Assert exactly one error, containing want. */
static void assert_one_error(const char *text, const char *want)
{
	conf_t *c = load(text);
	if (conf_error_count(c) != 1)
		fail_msg("'%s': expected 1 error, got %zu (first: %s)", text, conf_error_count(c),
			 conf_error_count(c) ? conf_error(c, 0) : "-");
	if (!strstr(conf_error(c, 0), want))
		fail_msg("'%s': error '%s' lacks '%s'", text, conf_error(c, 0), want);
	conf_free(&c);
}

static void test_defaults(void **state)
{
	(void)state;
	conf_t *c = conf_new();
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 30);
	assert_true(conf_bool(c, -1, OPT_ID_sidebar_visible));
	assert_string_equal(conf_str(c, -1, OPT_ID_tls), "required");
	assert_int_equal(conf_enum(c, -1, OPT_ID_tls), 0);
	assert_int_equal(conf_quad(c, -1, OPT_ID_abort_unmodified), QUAD_ASK_YES);
	assert_false(conf_is_set(c, -1, OPT_ID_timeout));
	assert_int_equal(conf_account_count(c), 0);
	conf_free(&c);
	assert_null(c);
}

static void test_set_forms(void **state)
{
	(void)state;
	conf_t *c = load("set timeout = 10\n"
			 "set sync_interval=11\n"
			 "set sidebar_width =12\n"
			 "set wrap= 13\n"
			 "set mouse\n"
			 "set nomarkers\n"
			 "set invthreads\n"
			 "set editor=vim confirm_quit = ask-no\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 10);
	assert_int_equal(conf_num(c, -1, OPT_ID_sync_interval), 11);
	assert_int_equal(conf_num(c, -1, OPT_ID_sidebar_width), 12);
	assert_int_equal(conf_num(c, -1, OPT_ID_wrap), 13);
	assert_true(conf_bool(c, -1, OPT_ID_mouse));
	assert_false(conf_bool(c, -1, OPT_ID_markers));
	assert_false(conf_bool(c, -1, OPT_ID_threads));
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "vim");
	assert_int_equal(conf_quad(c, -1, OPT_ID_confirm_quit), QUAD_ASK_NO);
	assert_true(conf_is_set(c, -1, OPT_ID_timeout));
	conf_free(&c);
}

/* A mutt user's spellings: realname, sort=threads, the alternates command. */
static void test_mutt_spellings(void **state)
{
	(void)state;
	conf_t *c = load("set threads = no\n"
			 "set sort = reverse-date\n"
			 "set realname = \"Alice Example\"\n"
			 "set sort = threads\n"
			 "alternates 'alice@example\\.org' \"a@work\\.example\"\n"
			 "alternates x@y\n"
			 "unalternates x@y\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_string_equal(conf_str(c, -1, OPT_ID_real_name), "Alice Example");
	assert_true(conf_bool(c, -1, OPT_ID_threads));
	assert_string_equal(conf_str(c, -1, OPT_ID_sort), "reverse-date"); /* the order stays */
	/* the rc's quoting turns \\. into . (doc/ARCHITECTURE.md, config contract) */
	assert_string_equal(conf_str(c, -1, OPT_ID_alternates), "(alice@example.org)|(a@work.example)");
	conf_free(&c);
	c = load("set sort = reverse-threads\nalternates x\nunalternates *\nalternates '('\n");
	assert_int_equal(conf_error_count(c), 1); /* the bad regex */
	assert_true(conf_bool(c, -1, OPT_ID_threads));
	assert_string_equal(conf_str(c, -1, OPT_ID_sort), "newest-first");
	assert_string_equal(conf_str(c, -1, OPT_ID_alternates), "");
	conf_free(&c);
}

/* mutt's header display: ignore / unignore / hdr_order write header_list. */
static void test_mutt_ignore_hdr_order(void **state)
{
	(void)state;
	conf_t *c = load("hdr_order date from\n");
	assert_int_equal(conf_error_count(c), 0);
	/* mutt's system rc before it: ignore *, unignore the five */
	assert_string_equal(conf_str(c, -1, OPT_ID_header_list), "Date* From* To Cc Subject");
	conf_free(&c);
	c = load("ignore *\nunignore from: subject: to: cc: date: x-mailer\nhdr_order From: Date: Subject:\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_string_equal(conf_str(c, -1, OPT_ID_header_list), "From Date Subject To Cc X-Mailer*");
	conf_free(&c);
	c = load("ignore *\nunignore from:\nunignore *\nhdr_order subject:\nignore received x-spam\n");
	assert_string_equal(conf_str(c, -1, OPT_ID_header_list), "Subject !Received* !X-Spam* *");
	conf_free(&c);
	c = load("ignore *\nunignore from:\nignore *\n");
	assert_string_equal(conf_str(c, -1, OPT_ID_header_list), "");
	conf_free(&c);
}

/* my_hdr / unmy_hdr: one header each, replaced by name; no CR/LF. */
static void test_mutt_my_hdr(void **state)
{
	(void)state;
	conf_t *c = load("my_hdr X-Foo: one\nmy_hdr Organization: Example  Inc.\nmy_hdr x-foo: two\n"
			 "my_hdr \"X-Bad: a\\nBcc: evil@x\"\nmy_hdr \"X-Bad: a\\rb\"\nmy_hdr NoColon\nmy_hdr Bad Name: x\n");
	assert_int_equal(conf_error_count(c), 4);
	const char *const *h = conf_my_hdr(c);
	assert_string_equal(h[0], "Organization: Example Inc.");
	assert_string_equal(h[1], "x-foo: two");
	assert_null(h[2]);
	conf_command(c, -1, "unmy_hdr X-FOO:");
	assert_string_equal(conf_my_hdr(c)[0], "Organization: Example Inc.");
	assert_null(conf_my_hdr(c)[1]);
	conf_command(c, -1, "my_hdr From: Alice <a@example.org>");
	conf_command(c, -1, "unmy_hdr *");
	assert_null(conf_my_hdr(c)[0]);
	conf_free(&c);
}

/* mailboxes, folder, spoolfile, alternative_order, auto_view, and mutt's
 * options with no meaning here: accepted, the last with a notice. */
static void test_mutt_accepted(void **state)
{
	(void)state;
	conf_t *c = load("set folder = imaps://imap.example.org/\nset spoolfile = +INBOX\n"
			 "mailboxes =INBOX +lists imaps://imap.example.org/Work/Team =lists\nunmailboxes =Gone\n"
			 "alternative_order text/enriched\nalternative_order text/plain text/html\n"
			 "auto_view text/html application/pdf\nunauto_view application/pdf\n"
			 "set sort_aux = last-date-received\nset nouse_from\nset pager_index_lines=10\nunset move\n"
			 "toggle reverse_alias\nset timeout = 60\nset editor = vim\n");
	assert_int_equal(conf_error_count(c), 0);
	const char *const *mb = conf_mailboxes(c);
	assert_string_equal(mb[0], "INBOX");
	assert_string_equal(mb[1], "lists");
	assert_string_equal(mb[2], "Work/Team");
	assert_null(mb[3]);
	assert_string_equal(conf_str(c, -1, OPT_ID_alternative_order), "text/enriched text/plain text/html");
	assert_string_equal(conf_auto_view(c)[0], "text/html");
	assert_null(conf_auto_view(c)[1]);
	size_t n = conf_notice_count(c);
	assert_int_equal(n, 7); /* spoolfile, application/pdf, the 5 options */
	assert_non_null(strstr(conf_notice(c, 0), ":2: mutt's spoolfile means nothing in muttlike: ignored"));
	assert_non_null(strstr(conf_notice(c, 3), ":10: mutt's use_from means"));
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 60);
	conf_command(c, -1, "unalternative_order *");
	assert_string_equal(conf_str(c, -1, OPT_ID_alternative_order), "text/plain text/html");
	conf_free(&c);
	c = load("set sort_auxx = date\nset no_such_mutt_option\nmailboxes\n");
	assert_int_equal(conf_error_count(c), 3); /* an option neither mutt's nor ours stays an error */
	conf_free(&c);
}

static void test_bool_spellings(void **state)
{
	(void)state;
	conf_t *c = load("set mouse = on\nset markers = FALSE\nset threads=1\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_true(conf_bool(c, -1, OPT_ID_mouse));
	assert_false(conf_bool(c, -1, OPT_ID_markers));
	assert_true(conf_bool(c, -1, OPT_ID_threads));
	assert_string_equal(conf_str(c, -1, OPT_ID_markers), "no"); /* canonical */
	conf_free(&c);
}

static void test_unset_toggle_reset(void **state)
{
	(void)state;
	conf_t *c = load("set editor = vim\nunset editor\nset timeout = 9\nunset timeout\n"
			 "toggle mouse\ntoggle confirm_quit\nset wrap = 40\nreset wrap\nunset sidebar_visible\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "");
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 30);
	assert_true(conf_bool(c, -1, OPT_ID_mouse));
	assert_int_equal(conf_quad(c, -1, OPT_ID_confirm_quit), QUAD_YES);
	assert_int_equal(conf_num(c, -1, OPT_ID_wrap), 0);
	assert_false(conf_is_set(c, -1, OPT_ID_wrap));
	assert_false(conf_bool(c, -1, OPT_ID_sidebar_visible));
	conf_free(&c);
}

static void test_quoting(void **state)
{
	(void)state;
	conf_t *c = load("set editor = \"vim -c 'set tw=72' \\\"x\\\" \\\\ # not a comment\"\n"
			 "set attribution = 'On %d, %n wrote:' # a comment\n"
			 "set quote_prefix = \"\\t|\"\n"
			 "set html_filter = w3m\\ -dump\n"
			 "set date_format = \"a\"'b'c\n"
			 "set real_name = \"\"\n"
			 "set from = \"Ann <a@example.org>\"\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "vim -c 'set tw=72' \"x\" \\ # not a comment");
	assert_string_equal(conf_str(c, -1, OPT_ID_attribution), "On %d, %n wrote:");
	assert_string_equal(conf_str(c, -1, OPT_ID_quote_prefix), "\t|");
	assert_string_equal(conf_str(c, -1, OPT_ID_html_filter), "w3m -dump");
	assert_string_equal(conf_str(c, -1, OPT_ID_date_format), "abc");
	assert_true(conf_is_set(c, -1, OPT_ID_real_name));
	assert_string_equal(conf_str(c, -1, OPT_ID_real_name), "");
	assert_string_equal(conf_str(c, -1, OPT_ID_from), "Ann <a@example.org>");
	conf_free(&c);
}

static void test_escape_in_single_quotes_and_equals_in_value(void **state)
{
	(void)state;
	conf_t *c = load("set editor = 'it\\'s'\nset html_filter = \"a=b\"\nset url_opener=open=x\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "it's");
	assert_string_equal(conf_str(c, -1, OPT_ID_html_filter), "a=b");
	assert_string_equal(conf_str(c, -1, OPT_ID_url_opener), "open=x");
	conf_free(&c);
}

static void test_continuation(void **state)
{
	(void)state;
	conf_t *c = load("set editor = \"vim \\\n-u NONE\"\n"
			 "set \\\n  timeout \\\n  = 7\n"
			 "set bogus_after_continuation = 1\n"
			 "set html_filter = trailing\\\\\n");
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "vim -u NONE");
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 7);
	assert_int_equal(conf_error_count(c), 1);
	/* the error is reported on the line where the logical line starts */
	assert_non_null(strstr(conf_error(c, 0), "t.rc:6:"));
	/* an escaped backslash at the end is not a continuation */
	assert_string_equal(conf_str(c, -1, OPT_ID_html_filter), "trailing\\");
	conf_free(&c);
}

static void test_continuation_at_eof(void **state)
{
	(void)state;
	conf_t *c = load("set timeout = 5 \\");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 5);
	conf_free(&c);
}

static void test_comments_and_blank(void **state)
{
	(void)state;
	conf_t *c = load("# a comment\n\n   \t\n   # indented comment\nset timeout = 3 # trailing\n\r\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 3);
	conf_free(&c);
}

static void test_errors(void **state)
{
	(void)state;
	assert_one_error("set timout = 5", "t.rc:1: unknown option 'timout' (did you mean timeout?)");
	assert_one_error("\nset mouse = maybe", "t.rc:2: mouse is a boolean: 'maybe' is not yes or no");
	assert_one_error("set tls = maybe", "tls is one of required or none, not 'maybe'");
	assert_one_error("set sort = random", "sort is one of newest-first, oldest-first, subject, from, date, reverse-date");
	assert_one_error("set timeout = 0", "timeout takes a number from 1 to 3600, not '0'");
	assert_one_error("set timeout = 12abc", "takes a number");
	assert_one_error("set timeout", "timeout needs a value");
	assert_one_error("set timeout =", "timeout needs a value after '='");
	assert_one_error("set = 5", "'=' without an option name");
	assert_one_error("set confirm_quit = perhaps", "yes, no, ask-yes or ask-no");
	assert_one_error("sett timeout = 5", "unknown command 'sett' (did you mean set?)");
	assert_one_error("frobnicate", "unknown command 'frobnicate'");
	assert_one_error("set editor = \"vim", "unterminated \" quote");
	assert_one_error("set editor = 'vim", "unterminated ' quote");
	assert_one_error("toggle editor", "toggle works on booleans and quads; editor is a string");
	assert_one_error("unset nosuch", "unknown option 'nosuch'");
	assert_one_error("reset nosuch", "unknown option 'nosuch'");
	assert_one_error("account", "usage: account NAME");
	assert_one_error("account a b", "usage: account NAME");
	assert_one_error("account ../x", "account name '../x' may use only");
	assert_one_error("account ..", "account name '..'");
	assert_one_error("search onlyname", "usage: search NAME QUERY");
	assert_one_error("search x \"\"", "search needs a name and a query");
	assert_one_error("set tls_pin = \"sha256:abcd\"", "tls_pin must be");
	assert_one_error("set tls_pin = md5:00", "tls_pin must be");
	assert_one_error("set imap_url = http://x", "unsupported scheme 'http' (use imaps or imap)");
	assert_one_error("set imap_url = imaps://", "no host");
	assert_one_error("set imap_url = imaps://host:99999", "bad port");
	assert_one_error("set imap_url = imaps://host:abc", "bad port");
	assert_one_error("set imap_url = imaps://host/INBOX", "unexpected path");
	assert_one_error("set imap_url = host.example", "is not a URL");
	assert_one_error("set imap_url = \"imaps://ho st\"", "bad character in host name");
	assert_one_error("set smtp_url = imaps://x", "unsupported scheme 'imaps' (use smtps or smtp)");
	assert_one_error("set imap_url = imaps://%zz@host", "bad user name");
}

static void test_errors_bind_macro_color(void **state)
{
	(void)state;
	assert_one_error("bind index j", "usage: bind MENU KEY FUNCTION");
	assert_one_error("bind indx j next-entry", "unknown menu 'indx' (did you mean index?)");
	assert_one_error("bind index j next-entyr", "unknown function 'next-entyr' (did you mean next-entry?)");
	assert_one_error("bind attach x reply", "function 'reply' does not work in menu 'attach'");
	assert_one_error("bind index <Nope> next-entry", "bad key '<Nope>': unknown key name <Nope>");
	assert_one_error("bind index \"\" next-entry", "empty key");
	assert_one_error("bind index ^1 next-entry", "bad control key");
	assert_one_error("macro index", "usage: macro MENU KEY KEYS");
	assert_one_error("color index_subjekt red default", "unknown colour object 'index_subjekt' (did you mean index_subject?)");
	assert_one_error("color index reddish default", "bad colour 'reddish'");
	assert_one_error("color index red", "usage: color");
	assert_one_error("color status red default x", "takes no pattern");
	assert_one_error("color index red default \"(\"", "bad pattern '('");
	assert_one_error("color index bold", "usage: color");
	assert_one_error("color index color256 default", "bad colour 'color256'");
}

static void test_errors_continue(void **state)
{
	(void)state;
	conf_t *c = load("set timout = 1\nset timeout = 2\nbogus\nset sidebar_width = 40\n");
	assert_int_equal(conf_error_count(c), 2);
	assert_non_null(strstr(conf_error(c, 0), "t.rc:1:"));
	assert_non_null(strstr(conf_error(c, 1), "t.rc:3:"));
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 2);
	assert_int_equal(conf_num(c, -1, OPT_ID_sidebar_width), 40);
	conf_free(&c);
}

static void test_nul_byte(void **state)
{
	(void)state;
	static const char text[] = "set timeout = 4\nset \0editor = x\nset wrap = 5\n";
	conf_t *c = conf_new();
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/nul.rc", dir);
	FILE *f = fopen(path, "wb");
	fwrite(text, 1, sizeof(text) - 1, f);
	fclose(f);
	assert_int_equal(conf_load_file(c, path), 1);
	assert_non_null(strstr(conf_error(c, 0), "nul.rc:2: line contains a NUL byte"));
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 4);
	assert_int_equal(conf_num(c, -1, OPT_ID_wrap), 5);
	conf_free(&c);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void test_accounts(void **state)
{
	(void)state;
	conf_t *c = load("set timeout = 20\n"
			 "set tls_ca_file = /ca.pem\n" /* account option before any account: default */
			 "account work\n"
			 "set imap_url = imaps://alice@imap.work.example\n"
			 "set editor = nano\n" /* global option: global even inside an account */
			 "account home\n"
			 "set imap_url = imap://bob@mail.home.example:1143\n"
			 "set tls_ca_file = /home-ca.pem\n"
			 "account work\n"
			 "set from = \"A <a@work.example>\"\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_account_count(c), 2);
	assert_string_equal(conf_account_name(c, 0), "work");
	assert_string_equal(conf_account_name(c, 1), "home");
	assert_int_equal(conf_account_find(c, "home"), 1);
	assert_int_equal(conf_account_find(c, "nope"), -1);
	assert_string_equal(conf_str(c, 0, OPT_ID_imap_url), "imaps://alice@imap.work.example");
	assert_string_equal(conf_str(c, 1, OPT_ID_imap_url), "imap://bob@mail.home.example:1143");
	assert_string_equal(conf_str(c, 0, OPT_ID_tls_ca_file), "/ca.pem");
	assert_string_equal(conf_str(c, 1, OPT_ID_tls_ca_file), "/home-ca.pem");
	assert_string_equal(conf_str(c, 0, OPT_ID_from), "A <a@work.example>");
	assert_string_equal(conf_str(c, 1, OPT_ID_from), "");
	assert_string_equal(conf_str(c, -1, OPT_ID_editor), "nano");
	assert_string_equal(conf_str(c, 1, OPT_ID_editor), "nano");
	assert_int_equal(conf_num(c, 1, OPT_ID_timeout), 20);
	conf_free(&c);
}

static void test_bind_macro_color_search(void **state)
{
	(void)state;
	conf_t *c = load("bind index,pager <Up> previous-entry\n"
			 "bind index \\Cf next-page\n"
			 "bind generic gg first-entry\n"
			 "macro index \\ei \"<change-folder>=INBOX<Enter>\" \"go to inbox\"\n"
			 "color index_subject bold brightwhite color236 \"^Re:\"\n"
			 "colour status black default\n"
			 "search Unread \"tag:unread and not tag:spam\"\n"
			 "search Flagged tag:flagged\n"
			 "search Unread tag:unread\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_binding_count(c), 5); /* index,pager makes two */
	const struct conf_binding *b = conf_binding(c, 0);
	assert_string_equal(b->menu, "index");
	assert_string_equal(b->function, "previous-entry");
	assert_int_equal(b->nkeys, 1);
	assert_int_equal(b->keys[0], KEYCODE_UP);
	assert_string_equal(conf_binding(c, 1)->menu, "pager");
	b = conf_binding(c, 2);
	assert_int_equal(b->keys[0], 6); /* ^F */
	b = conf_binding(c, 3);
	assert_int_equal(b->nkeys, 2);
	assert_int_equal(b->keys[0], 'g');
	assert_string_equal(b->menu, "generic");
	b = conf_binding(c, 4);
	assert_null(b->function);
	assert_string_equal(b->macro, "<change-folder>=INBOX<Enter>");
	assert_string_equal(b->desc, "go to inbox");
	assert_int_equal(b->keys[0], 27);
	assert_int_equal(b->keys[1], 'i');
	assert_int_equal(b->line, 4);
	assert_int_equal(conf_color_count(c), 2);
	const struct conf_color *col = conf_color(c, 0);
	assert_string_equal(col->object, "index_subject");
	assert_int_equal(col->attrs, COLOR_ATTR_BOLD);
	assert_int_equal(col->fg, 15);
	assert_int_equal(col->bg, 236);
	assert_string_equal(col->regex, "^Re:");
	col = conf_color(c, 1);
	assert_int_equal(col->fg, 0);
	assert_int_equal(col->bg, -1);
	assert_null(col->regex);
	assert_int_equal(conf_search_count(c), 2);
	assert_string_equal(conf_search(c, 0)->name, "Unread");
	assert_string_equal(conf_search(c, 0)->query, "tag:unread"); /* the later one wins */
	assert_string_equal(conf_search(c, 1)->query, "tag:flagged");
	conf_free(&c);
}

static void test_source_relative_loop_missing(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *sub = xasprintf("%s/sub", dir);
	util_mkdirs(sub, 0700);
	free(tu_write(sub, "b.rc", "set timeout = 42\nsource c.rc\n", 0600));
	free(tu_write(sub, "c.rc", "set wrap = 60\nsource ../main.rc\n", 0600));
	char *main_rc = tu_write(dir, "main.rc", "source sub/b.rc\nsource missing.rc\nset sidebar_width = 30\n", 0600);
	conf_t *c = conf_new();
	size_t n = conf_load_file(c, main_rc);
	assert_int_equal(n, 2);
	assert_int_equal(conf_error_count(c), 2);
	assert_non_null(strstr(conf_error(c, 0), "c.rc:2: source loop"));
	assert_non_null(strstr(conf_error(c, 1), "main.rc:2: cannot read"));
	assert_non_null(strstr(conf_error(c, 1), "missing.rc: No such file"));
	assert_int_equal(conf_num(c, -1, OPT_ID_timeout), 42);
	assert_int_equal(conf_num(c, -1, OPT_ID_wrap), 60);
	assert_int_equal(conf_num(c, -1, OPT_ID_sidebar_width), 30);
	conf_free(&c);
	tu_rmtree(dir);
	free(main_rc);
	free(sub);
	free(dir);
}

static void test_source_self_and_missing_top(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *self = tu_write(dir, "self.rc", "source self.rc\n", 0600);
	conf_t *c = conf_new();
	assert_int_equal(conf_load_file(c, self), 1);
	assert_non_null(strstr(conf_error(c, 0), "self.rc:1: source loop"));
	char *missing = xasprintf("%s/none.rc", dir);
	assert_int_equal(conf_load_file(c, missing), 1);
	assert_non_null(strstr(conf_error(c, 1), "cannot read"));
	assert_int_equal(conf_load_file(c, dir), 1); /* a directory */
	assert_non_null(strstr(conf_error(c, 2), "not a regular file"));
	conf_free(&c);
	tu_rmtree(dir);
	free(self);
	free(missing);
	free(dir);
}

static void test_expansion(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	setenv("ML_TEST_DIR", dir, 1);
	setenv("HOME", dir, 1);
	free(tu_write(dir, "theme.rc", "set sidebar_width = 33\n", 0600));
	conf_t *c = load("source $ML_TEST_DIR/theme.rc\nsource ~/theme.rc\nset data_dir = ~/data\n"
			 "set attach_save_dir = ${ML_TEST_DIR}/dl/$NOT_SET_VAR\n");
	assert_int_equal(conf_error_count(c), 0);
	assert_int_equal(conf_num(c, -1, OPT_ID_sidebar_width), 33);
	char *dd = conf_data_dir(c);
	char *want = xasprintf("%s/data", dir);
	assert_string_equal(dd, want);
	char *p = conf_path(c, -1, OPT_ID_attach_save_dir);
	char *want2 = xasprintf("%s/dl/", dir);
	assert_string_equal(p, want2);
	free(p);
	free(want2);
	free(dd);
	free(want);
	conf_free(&c);
	tu_rmtree(dir);
	free(dir);
}

static void test_data_dir_defaults(void **state)
{
	(void)state;
	conf_t *c = conf_new();
	setenv("HOME", "/home/someone", 1);
	unsetenv("XDG_DATA_HOME");
	char *d = conf_data_dir(c);
	assert_string_equal(d, "/home/someone/.local/share/muttlike");
	free(d);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	d = conf_data_dir(c);
	assert_string_equal(d, "/xdg/data/muttlike");
	free(d);
	setenv("XDG_DATA_HOME", "relative/ignored", 1);
	d = conf_data_dir(c);
	assert_string_equal(d, "/home/someone/.local/share/muttlike");
	free(d);
	unsetenv("XDG_DATA_HOME");
	conf_free(&c);
}

static void test_find_file_order(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	setenv("HOME", dir, 1);
	char *xdg = xasprintf("%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_null(conf_find_file(NULL));
	char *p = conf_find_file("/explicit/path.rc");
	assert_string_equal(p, "/explicit/path.rc");
	free(p);
	free(tu_write(dir, ".muttlikerc", "", 0600));
	p = conf_find_file(NULL);
	assert_non_null(strstr(p, "/.muttlikerc"));
	free(p);
	char *cfg = xasprintf("%s/.config/muttlike", dir);
	util_mkdirs(cfg, 0700);
	free(tu_write(cfg, "muttlike.rc", "", 0600));
	p = conf_find_file(NULL);
	assert_non_null(strstr(p, "/.config/muttlike/muttlike.rc"));
	free(p);
	char *xdgm = xasprintf("%s/muttlike", xdg);
	util_mkdirs(xdgm, 0700);
	free(tu_write(xdgm, "muttlike.rc", "", 0600));
	p = conf_find_file(NULL);
	char *want = xasprintf("%s/muttlike/muttlike.rc", xdg);
	assert_string_equal(p, want);
	free(p);
	free(want);
	unsetenv("XDG_CONFIG_HOME");
	tu_rmtree(dir);
	free(xdgm);
	free(cfg);
	free(xdg);
	free(dir);
}

static void test_password_permission_warning(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *open_rc = tu_write(dir, "open.rc", "account a\nset imap_pass = \"secret\"\n", 0644);
	char *closed_rc = tu_write(dir, "closed.rc", "account a\nset imap_pass = \"secret\"\n", 0600);
	char *nopass_rc = tu_write(dir, "nopass.rc", "account a\nset imap_pass_cmd = \"pass x\"\n", 0644);
	conf_t *c = conf_new();
	conf_load_file(c, open_rc);
	assert_int_equal(conf_warning_count(c), 1);
	assert_non_null(strstr(conf_warning(c, 0), "holds imap_pass but is readable by group or others; run: chmod 600"));
	conf_free(&c);
	c = conf_new();
	conf_load_file(c, closed_rc);
	assert_int_equal(conf_warning_count(c), 0);
	conf_free(&c);
	c = conf_new();
	conf_load_file(c, nopass_rc);
	assert_int_equal(conf_warning_count(c), 0);
	conf_free(&c);
	tu_rmtree(dir);
	free(open_rc);
	free(closed_rc);
	free(nopass_rc);
	free(dir);
}

static void test_runtime_command_and_set(void **state)
{
	(void)state;
	conf_t *c = load("account a\naccount b\n");
	assert_int_equal(conf_command(c, 1, "set from = \"B <b@x>\""), 0);
	assert_string_equal(conf_str(c, 1, OPT_ID_from), "B <b@x>");
	assert_string_equal(conf_str(c, 0, OPT_ID_from), "");
	assert_int_equal(conf_command(c, 1, "set nosuch = 1"), 1);
	assert_non_null(strstr(conf_error(c, 0), "(command):1: unknown option"));
	char *err = NULL;
	assert_false(conf_set(c, -1, "timeout", "-1", &err));
	assert_non_null(strstr(err, "timeout takes a number"));
	free(err);
	assert_true(conf_set(c, -1, "timeout", "99", &err));
	assert_int_equal(conf_num(c, 0, OPT_ID_timeout), 99);
	conf_free(&c);
}

static void test_too_many_words(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "unset");
	for (int i = 0; i < 80; i++)
		strbuf_adds(&b, " mouse");
	assert_one_error(b.s, "too many words");
	strbuf_free(&b);
}

static void test_option_table(void **state)
{
	(void)state;
	const struct opt_def *o = conf_options();
	for (size_t i = 0; i < OPT_COUNT; i++) {
		/* every default must itself be a valid value */
		conf_t *c = conf_new();
		char *err = NULL;
		if (!conf_set(c, -1, o[i].name, o[i].def, &err))
			fail_msg("default of %s is invalid: %s", o[i].name, err);
		assert_non_null(o[i].doc);
		assert_true(strlen(o[i].doc) > 10);
		assert_ptr_equal(conf_option(o[i].name), &o[i]);
		conf_free(&c);
	}
	assert_null(conf_option("nonexistent"));
}

/* Load every file matching pattern; each must parse without errors. */
static size_t load_shipped(const char *pattern)
{
	const char *src = getenv("MUTTLIKE_SRCDIR") ? getenv("MUTTLIKE_SRCDIR") : ".";
	char *pat = xasprintf("%s/%s", src, pattern);
	glob_t g;
	size_t n = 0;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			conf_t *c = conf_new();
			conf_load_file(c, g.gl_pathv[i]);
			if (conf_error_count(c))
				fail_msg("%s", conf_error(c, 0));
			conf_free(&c);
			n++;
		}
		globfree(&g);
	}
	free(pat);
	return n;
}

static void test_example_rc_documents_every_option(void **state)
{
	(void)state;
	const char *src = getenv("MUTTLIKE_SRCDIR") ? getenv("MUTTLIKE_SRCDIR") : ".";
	char *path = xasprintf("%s/muttlike.rc.example", src);
	char *text = tu_read(path);
	assert_non_null(text);
	conf_t *c = conf_new();
	conf_load_file(c, path);
	if (conf_error_count(c))
		fail_msg("%s", conf_error(c, 0));
	assert_true(conf_account_count(c) >= 1);
	const struct opt_def *o = conf_options();
	for (size_t i = 0; i < OPT_COUNT; i++) {
		char *line = xasprintf("# set %s = \"", o[i].name);
		if (!strstr(text, line))
			fail_msg("muttlike.rc.example does not document %s", o[i].name);
		free(line);
	}
	conf_free(&c);
	free(text);
	free(path);
}

static void test_keymaps_and_themes_load(void **state)
{
	(void)state;
	assert_true(load_shipped("keymaps/*.keys") >= 3);
	assert_true(load_shipped("themes/*.theme") >= 4);
}

/* issue 17: an rc's escape bytes never reach the terminal, and a run of
 * errors from one file is cut when printed. */
static void collect(const char *line, void *ud)
{
	struct strbuf *b = ud;
	strbuf_adds(b, line);
	strbuf_addc(b, '\n');
}

static void test_errors_sanitized_and_capped(void **state)
{
	(void)state;
	conf_t *c = load("foo\x1b]0;TITLE\x07 bar\nset sort\x1b[2J = x\n");
	assert_int_equal(conf_error_count(c), 2);
	assert_string_equal(conf_error(c, 0), "t.rc:1: unknown command 'foo?]0;TITLE?'");
	assert_null(strchr(conf_error(c, 1), '\x1b'));
	conf_free(&c);

	struct strbuf rc;
	strbuf_init(&rc);
	for (int i = 0; i < 84; i++)
		strbuf_addf(&rc, "bogus%d\n", i);
	strbuf_adds(&rc, "account a\nset imap_url = imaps://a@b\n");
	c = conf_new();
	conf_load_string(c, "bin\x1b[31m.rc", rc.s);
	assert_int_equal(conf_error_count(c), 84); /* all kept, for :help */
	struct strbuf out;
	strbuf_init(&out);
	conf_report_errors(c, CONF_REPORT_MAX_RUN, collect, &out);
	size_t lines = 0;
	for (const char *p = out.s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, CONF_REPORT_MAX_RUN + 1);
	assert_non_null(strstr(out.s, "bin?[31m.rc:10: unknown command 'bogus9'\n"));
	assert_null(strstr(out.s, "bogus10"));
	assert_non_null(strstr(out.s, "\n... and 74 more errors in bin?[31m.rc\n"));
	strbuf_free(&out);
	/* a short run is printed whole, and runs are per file */
	strbuf_init(&out);
	conf_report_errors(c, 100, collect, &out);
	assert_null(strstr(out.s, "more errors"));
	strbuf_free(&out);
	conf_free(&c);
	strbuf_free(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_forms),
		cmocka_unit_test(test_bool_spellings),
		cmocka_unit_test(test_unset_toggle_reset),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_escape_in_single_quotes_and_equals_in_value),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_continuation_at_eof),
		cmocka_unit_test(test_comments_and_blank),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_bind_macro_color),
		cmocka_unit_test(test_errors_continue),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_bind_macro_color_search),
		cmocka_unit_test(test_source_relative_loop_missing),
		cmocka_unit_test(test_source_self_and_missing_top),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_data_dir_defaults),
		cmocka_unit_test(test_find_file_order),
		cmocka_unit_test(test_password_permission_warning),
		cmocka_unit_test(test_runtime_command_and_set),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_mutt_spellings),
		cmocka_unit_test(test_mutt_ignore_hdr_order),
		cmocka_unit_test(test_mutt_my_hdr),
		cmocka_unit_test(test_mutt_accepted),
		cmocka_unit_test(test_option_table),
		cmocka_unit_test(test_example_rc_documents_every_option),
		cmocka_unit_test(test_keymaps_and_themes_load),
		cmocka_unit_test(test_errors_sanitized_and_capped),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
