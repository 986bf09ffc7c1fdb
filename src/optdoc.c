/* optdoc.c - see optdoc.h. */
#include "optdoc.h"

#include <string.h>

#include "conf.h"
#include "keys.h"
#include "util.h"

static const char *scope_name(enum opt_scope s)
{
	return s == OPT_GLOBAL ? "global" : "account";
}

/* The allowed values, for the type column: "yes|no", "1..3600", ... */
static char *allowed(const struct opt_def *o)
{
	switch (o->type) {
	case OPT_BOOL: return xstrdup("yes|no");
	case OPT_QUAD: return xstrdup("yes|no|ask-yes|ask-no");
	case OPT_NUM:
	case OPT_ENUM: return xstrdup(o->constraint);
	case OPT_URL: return xasprintf("%s URL", o->constraint);
	default: return xstrdup("");
	}
}

/* Quote a default the way an rc needs it. */
static char *rc_quote(const char *v)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addc(&b, '\\');
		strbuf_addc(&b, *p);
	}
	strbuf_addc(&b, '"');
	return strbuf_detach(&b);
}

/* Escape for roff: backslashes, and a leading . or ' on a line. */
static void man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
	}
}

static void print_text(FILE *f)
{
	const struct opt_def *o = conf_options();
	for (size_t i = 0; i < OPT_COUNT; i++) {
		char *al = allowed(&o[i]);
		char *def = rc_quote(o[i].def);
		fprintf(f, "%-18s %-7s %-7s default %s%s%s\n    %s\n", o[i].name, conf_type_name(o[i].type),
			scope_name(o[i].scope), def, *al ? "  values " : "", al, o[i].doc);
		free(def);
		free(al);
	}
}

static void print_man(FILE *f)
{
	const struct opt_def *o = conf_options();
	fputs(".SH OPTIONS\n"
	      "Each option has a type, a scope (global, or per account) and a default.\n"
	      "Account options set before the first \\fBaccount\\fR line are the default of every account.\n",
	      f);
	for (size_t i = 0; i < OPT_COUNT; i++) {
		char *al = allowed(&o[i]);
		char *def = rc_quote(o[i].def);
		fputs(".TP\n.B ", f);
		man_text(f, o[i].name);
		fprintf(f, "\n(%s, %s", conf_type_name(o[i].type), scope_name(o[i].scope));
		if (*al) {
			fputs(": ", f);
			man_text(f, al);
		}
		fputs("; default ", f);
		man_text(f, def);
		fputs(")\n.br\n", f);
		man_text(f, o[i].doc);
		fputc('\n', f);
		free(def);
		free(al);
	}
	size_t n;
	const struct fn_def *fn = keys_functions(&n);
	fputs(".SH FUNCTIONS\n"
	      "Names for \\fBbind\\fR, with the menus where they work\n"
	      "(generic functions work in every menu).\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		fputs(".TP\n.B ", f);
		man_text(f, fn[i].name);
		fputs("\n(", f);
		bool first = true;
		if (fn[i].menus == MENU_ALL) {
			fputs("generic", f);
		} else {
			for (unsigned bit = 1; bit < MENU_ALL; bit <<= 1) {
				if (!(fn[i].menus & bit))
					continue;
				fprintf(f, "%s%s", first ? "" : ", ", keys_menu_name(bit));
				first = false;
			}
		}
		fputs(")\n", f);
		man_text(f, fn[i].doc);
		fputc('\n', f);
	}
}

static void print_rc(FILE *f)
{
	const struct opt_def *o = conf_options();
	for (size_t i = 0; i < OPT_COUNT; i++) {
		char *al = allowed(&o[i]);
		char *def = rc_quote(o[i].def);
		fprintf(f, "# %s (%s, %s%s%s): %s\n# set %s = %s\n\n", o[i].name, conf_type_name(o[i].type),
			scope_name(o[i].scope), *al ? "; " : "", al, o[i].doc, o[i].name, def);
		free(def);
		free(al);
	}
}

int optdoc_print(FILE *f, const char *format)
{
	if (strcmp(format, "text") == 0)
		print_text(f);
	else if (strcmp(format, "man") == 0)
		print_man(f);
	else if (strcmp(format, "rc") == 0)
		print_rc(f);
	else {
		fprintf(stderr, "muttlike: --help-options takes text, man or rc, not '%s'\n", format);
		return -1;
	}
	return 0;
}
