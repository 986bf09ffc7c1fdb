/* html.c - see html.h. */
#include "html.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"

#define HTML_OUT_MAX ((size_t)16 * 1024 * 1024)
#define QUOTE_MAX 8
#define LIST_MAX 8
#define ATTR_MAX 4096

/* ---- built-in converter ---- */

struct conv {
	struct strbuf *out;
	size_t out_start;
	int pre;          /* inside <pre>: keep white space */
	int quote;        /* <blockquote> depth */
	int list;         /* <ul>/<ol> depth */
	int pending_nl;   /* line breaks owed before the next text */
	bool space;       /* a collapsed blank is owed */
	char *href;       /* target of the open <a>, owned */
	size_t link_start;
};

static bool full(const struct conv *c)
{
	return c->out->len - c->out_start > HTML_OUT_MAX;
}

static bool at_top(const struct conv *c)
{
	return c->out->len == c->out_start;
}

/* Line breaks are written lazily, just before the next text, so that
 * nested block tags do not pile up blank lines. */
static void emit(struct conv *c, const char *s, size_t n)
{
	if (at_top(c))
		c->pending_nl = 0;
	bool bol = at_top(c) || c->pending_nl > 0;
	for (int i = 0; i < c->pending_nl; i++)
		strbuf_addc(c->out, '\n');
	c->pending_nl = 0;
	if (bol) {
		for (int i = 0; i < c->quote; i++)
			strbuf_adds(c->out, "> ");
	} else if (c->space) {
		strbuf_addc(c->out, ' ');
	}
	c->space = false;
	strbuf_add(c->out, s, n);
}

static void line_break(struct conv *c, int n)
{
	if (!at_top(c) && c->pending_nl < n)
		c->pending_nl = n;
	c->space = false;
}

static void emit_char(struct conv *c, char ch)
{
	if (c->pre && ch == '\n') {
		if (c->pending_nl < 3)
			c->pending_nl++;
		return;
	}
	if (!c->pre && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f')) {
		if (!at_top(c) && c->pending_nl == 0)
			c->space = true;
		return;
	}
	emit(c, &ch, 1);
}

/* cp as UTF-8, U+FFFD for what may not be written (NUL, a surrogate). */
static void add_utf8(struct strbuf *b, unsigned cp)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	utf8_put(b, cp);
}

static const struct {
	const char *name;
	unsigned cp;
} entities[] = {
	{ "amp", '&' },      { "lt", '<' },        { "gt", '>' },        { "quot", '"' },
	{ "apos", '\'' },    { "nbsp", ' ' },      { "copy", 0xA9 },     { "reg", 0xAE },
	{ "trade", 0x2122 }, { "hellip", 0x2026 }, { "mdash", 0x2014 },  { "ndash", 0x2013 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 },  { "ldquo", 0x201C },  { "rdquo", 0x201D },
	{ "bull", 0x2022 },  { "middot", 0xB7 },   { "euro", 0x20AC },   { "pound", 0xA3 },
	{ "laquo", 0xAB },   { "raquo", 0xBB },    { "deg", 0xB0 },      { "times", 0xD7 },
	{ "shy", 0xAD },     { "zwnj", 0x200C },   { "zwj", 0x200D },    { "ensp", ' ' },
	{ "emsp", ' ' },     { "thinsp", ' ' },
};

/* Decode the entity at s[0] == '&'; returns bytes consumed (0: not one). */
static size_t entity(const char *s, size_t len, unsigned *cp)
{
	size_t semi = 1;
	while (semi < len && semi < 12 && s[semi] != ';')
		semi++;
	if (semi >= len || s[semi] != ';' || semi < 2)
		return 0;
	if (s[1] == '#') {
		bool hex = semi > 2 && (s[2] == 'x' || s[2] == 'X');
		unsigned long v = 0;
		size_t i = hex ? 3 : 2;
		if (i >= semi)
			return 0;
		for (; i < semi; i++) {
			int d = hex && isxdigit((unsigned char)s[i]) ? (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10))
				: isdigit((unsigned char)s[i]) ? s[i] - '0' : -1;
			if (d < 0)
				return 0;
			v = v * (hex ? 16 : 10) + (unsigned)d;
			if (v > 0x10FFFF)
				v = 0x110000; /* stays invalid, no overflow */
		}
		*cp = (unsigned)v;
		return semi + 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(entities); i++)
		if (strlen(entities[i].name) == semi - 1 && memcmp(entities[i].name, s + 1, semi - 1) == 0) {
			*cp = entities[i].cp;
			return semi + 1;
		}
	return 0;
}

/* Text with entities decoded, appended to b (for attribute values). */
static void decode_entities(const char *s, size_t len, struct strbuf *b)
{
	for (size_t i = 0; i < len; i++) {
		unsigned cp;
		size_t n = s[i] == '&' ? entity(s + i, len - i, &cp) : 0;
		if (n) {
			add_utf8(b, cp);
			i += n - 1;
		} else {
			strbuf_addc(b, s[i]);
		}
	}
}

struct tag {
	char name[16];
	bool closing;
	struct strbuf href, alt;
};

static size_t skip_quoted(const char *s, size_t i, size_t len)
{
	char q = s[i++];
	while (i < len && s[i] != q)
		i++;
	return i < len ? i + 1 : len;
}

/* Parse the attributes in s[i..end) we care about (href, alt). */
static void tag_attrs(const char *s, size_t i, size_t end, struct tag *t)
{
	while (i < end) {
		while (i < end && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		size_t n0 = i;
		while (i < end && !isspace((unsigned char)s[i]) && s[i] != '=' && s[i] != '/')
			i++;
		size_t nlen = i - n0;
		while (i < end && isspace((unsigned char)s[i]))
			i++;
		if (i >= end || s[i] != '=') {
			if (nlen == 0)
				i++;
			continue;
		}
		i++;
		while (i < end && isspace((unsigned char)s[i]))
			i++;
		size_t v0 = i, v1;
		if (i < end && (s[i] == '"' || s[i] == '\'')) {
			i = skip_quoted(s, i, end);
			v0++;
			v1 = i > v0 && (s[i - 1] == '"' || s[i - 1] == '\'') ? i - 1 : i;
		} else {
			while (i < end && !isspace((unsigned char)s[i]))
				i++;
			v1 = i;
		}
		struct strbuf *dst = nlen == 4 && strncasecmp(s + n0, "href", 4) == 0 ? &t->href
				     : nlen == 3 && strncasecmp(s + n0, "alt", 3) == 0 ? &t->alt : NULL;
		if (dst && v1 - v0 < ATTR_MAX) {
			strbuf_reset(dst);
			decode_entities(s + v0, v1 - v0, dst);
		}
	}
}

/* Parse the tag starting at s[0] == '<'; returns its length, or 0 when it
 * is not a tag (then '<' is text). */
static size_t tag_parse(const char *s, size_t len, struct tag *t)
{
	size_t i = 1;
	t->closing = i < len && s[i] == '/';
	if (t->closing)
		i++;
	if (i >= len || !isalpha((unsigned char)s[i]))
		return 0;
	size_t n = 0;
	while (i < len && isalnum((unsigned char)s[i])) {
		if (n + 1 < sizeof(t->name))
			t->name[n++] = (char)tolower((unsigned char)s[i]);
		i++;
	}
	t->name[n] = '\0';
	size_t a0 = i;
	while (i < len && s[i] != '>')
		i = (s[i] == '"' || s[i] == '\'') ? skip_quoted(s, i, len) : i + 1;
	tag_attrs(s, a0, i, t);
	return i < len ? i + 1 : len;
}

static bool is_one_of(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return true;
	return false;
}

static const char *const para_tags[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
					 "table", "dl", "center", "address", "figure", NULL };
static const char *const line_tags[] = { "div", "tr", "section", "article", "header", "footer",
					 "dt", "dd", "form", "nav", "main", "aside", "caption",
					 "body", "html", "option", NULL };

static bool url_scheme_ok(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0 ||
	       strncasecmp(u, "mailto:", 7) == 0 || strncasecmp(u, "ftp://", 6) == 0;
}

static void link_open(struct conv *c, struct tag *t)
{
	xfree(&c->href);
	if (t->href.len && url_scheme_ok(t->href.s) && !strpbrk(t->href.s, " \t\r\n<>"))
		c->href = xstrdup(t->href.s);
	c->link_start = c->out->len;
}

static void link_close(struct conv *c)
{
	if (!c->href)
		return;
	const char *text = c->out->s ? c->out->s + c->link_start : "";
	text += strspn(text, " ");
	const char *target = c->href;
	if (strncasecmp(target, "mailto:", 7) == 0 && strcmp(text, target + 7) == 0)
		target = NULL;
	if (target && strcmp(text, target) != 0) {
		emit(c, " <", 2);
		strbuf_adds(c->out, target);
		strbuf_addc(c->out, '>');
	}
	xfree(&c->href);
}

static void list_item(struct conv *c)
{
	static const char indent[] = "              * ";
	int depth = c->list < 1 ? 1 : c->list > LIST_MAX ? LIST_MAX : c->list;
	line_break(c, 1);
	emit(c, indent + sizeof(indent) - 1 - 2 * (size_t)depth, 2 * (size_t)depth - 1);
	c->space = true;
}

static void block_tag(struct conv *c, const struct tag *t)
{
	const char *n = t->name;
	if (strcmp(n, "br") == 0) {
		if (!at_top(c) && c->pending_nl < 3)
			c->pending_nl++;
		c->space = false;
	} else if (strcmp(n, "li") == 0) {
		if (!t->closing)
			list_item(c);
	} else if (strcmp(n, "blockquote") == 0) {
		line_break(c, 2);
		c->quote += t->closing ? (c->quote > 0 ? -1 : 0) : (c->quote < QUOTE_MAX ? 1 : 0);
	} else if (strcmp(n, "pre") == 0) {
		line_break(c, 1);
		c->pre += t->closing ? (c->pre > 0 ? -1 : 0) : 1;
	} else if (strcmp(n, "hr") == 0) {
		line_break(c, 1);
		emit(c, "----", 4);
		line_break(c, 1);
	} else if (is_one_of(n, para_tags)) {
		if (strcmp(n, "ul") == 0 || strcmp(n, "ol") == 0)
			c->list += t->closing ? (c->list > 0 ? -1 : 0) : 1;
		line_break(c, 2);
	} else if (is_one_of(n, line_tags)) {
		line_break(c, 1);
	} else if (strcmp(n, "td") == 0 || strcmp(n, "th") == 0) {
		if (!at_top(c) && c->pending_nl == 0)
			c->space = true;
	}
}

static void handle_tag(struct conv *c, struct tag *t)
{
	if (strcmp(t->name, "a") == 0) {
		if (t->closing)
			link_close(c);
		else
			link_open(c, t);
	} else if (strcmp(t->name, "img") == 0 && t->alt.len) {
		for (size_t i = 0; i < t->alt.len; i++)
			if (t->alt.s[i] == '\n' || t->alt.s[i] == '\r' || t->alt.s[i] == '\t')
				t->alt.s[i] = ' ';
		emit(c, "[", 1);
		strbuf_add(c->out, t->alt.s, t->alt.len);
		strbuf_addc(c->out, ']');
	} else {
		block_tag(c, t);
	}
}

/* Skip to just after "</name ...>"; returns the new index (len if none). */
static size_t skip_element(const char *s, size_t i, size_t len, const char *name)
{
	size_t nl = strlen(name);
	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);
		if (!lt)
			return len;
		i = (size_t)(lt - s) + 1;
		if (i + nl < len && s[i] == '/' && strncasecmp(s + i + 1, name, nl) == 0) {
			const char *gt = memchr(s + i, '>', len - i);
			return gt ? (size_t)(gt - s) + 1 : len;
		}
	}
	return len;
}

/* Handle s[i] == '<'; returns the index after what it consumed. */
static size_t markup(struct conv *c, const char *s, size_t i, size_t len)
{
	if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
		const char *e = memmem(s + i + 4, len - i - 4, "-->", 3);
		return e ? (size_t)(e - s) + 3 : len;
	}
	if (i + 1 < len && (s[i + 1] == '!' || s[i + 1] == '?')) {
		const char *gt = memchr(s + i, '>', len - i);
		return gt ? (size_t)(gt - s) + 1 : len;
	}
	struct tag t;
	strbuf_init(&t.href);
	strbuf_init(&t.alt);
	size_t n = tag_parse(s + i, len - i, &t);
	if (n == 0) {
		emit_char(c, '<');
		n = 1;
	} else if (!t.closing && (strcmp(t.name, "script") == 0 || strcmp(t.name, "style") == 0 ||
				  strcmp(t.name, "title") == 0)) {
		n = skip_element(s, i + n, len, t.name) - i;
	} else {
		handle_tag(c, &t);
	}
	strbuf_free(&t.href);
	strbuf_free(&t.alt);
	return i + n;
}

void html_to_text(const char *html, size_t len, struct strbuf *out)
{
	struct conv c = { .out = out, .out_start = out->len };
	size_t i = 0;
	while (i < len && !full(&c)) {
		if (html[i] == '<') {
			i = markup(&c, html, i, len);
			continue;
		}
		unsigned cp;
		size_t n = html[i] == '&' ? entity(html + i, len - i, &cp) : 0;
		if (n) {
			struct strbuf tmp;
			strbuf_init(&tmp);
			add_utf8(&tmp, cp);
			if (cp == ' ')
				emit(&c, " ", 1); /* &nbsp; is not collapsed */
			else
				emit(&c, tmp.s, tmp.len);
			strbuf_free(&tmp);
			i += n;
			continue;
		}
		emit_char(&c, html[i]);
		i++;
	}
	xfree(&c.href);
	if (out->len > c.out_start && out->s[out->len - 1] != '\n')
		strbuf_addc(out, '\n');
}

/* ---- html_filter ---- */

/* In the child: only async-signal-safe calls until exec. */
static void filter_child(const char *cmd, int in_fd, int out_fd, int null_fd)
{
	sigset_t none;
	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

struct filter_io {
	int in_fd, out_fd;
	const char *in;
	size_t len, written;
	size_t max_out;
	struct strbuf *out;
	size_t out_start;
};

/* One poll round; returns false when stdout has reached EOF. */
static bool filter_pump(struct filter_io *io, int wait_ms, enum html_filter_status *st)
{
	struct pollfd p[2] = { { .fd = io->out_fd, .events = POLLIN }, { .fd = io->in_fd, .events = POLLOUT } };
	nfds_t n = io->in_fd >= 0 ? 2 : 1;
	if (poll(p, n, wait_ms) < 0)
		return errno == EINTR;
	if (n == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
		size_t chunk = io->len - io->written > 65536 ? 65536 : io->len - io->written;
		ssize_t w = chunk ? send(io->in_fd, io->in + io->written, chunk, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
		if (w > 0)
			io->written += (size_t)w;
		if (io->written == io->len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
			close(io->in_fd); /* EOF for the filter; or it stopped reading */
			io->in_fd = -1;
		}
	}
	if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
		char buf[65536];
		ssize_t r = read(io->out_fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (r > 0)
			strbuf_add(io->out, buf, (size_t)r);
		if (io->out->len - io->out_start > io->max_out) {
			*st = HTML_FILTER_TOO_LARGE;
			return false;
		}
	}
	return true;
}

/* Wait for the child until the deadline, then kill its process group. */
static int filter_reap(pid_t pid, long long deadline, enum html_filter_status *st)
{
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, *st == HTML_FILTER_OK ? WNOHANG : 0);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (*st == HTML_FILTER_OK && util_now_ms() >= deadline) {
			*st = HTML_FILTER_TIMEOUT;
			kill(-pid, SIGKILL);
		} else if (r == 0) {
			poll(NULL, 0, 5);
		}
	}
}

enum html_filter_status html_filter_run(const char *cmd, const char *in, size_t len,
					int timeout_ms, size_t max_out, struct strbuf *out)
{
	int sv[2], po[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return HTML_FILTER_FAILED;
	if (pipe2(po, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return HTML_FILTER_FAILED;
	}
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = null_fd < 0 ? -1 : fork();
	if (pid == 0)
		filter_child(cmd, sv[1], po[1], null_fd);
	close(sv[1]);
	close(po[1]);
	if (null_fd >= 0)
		close(null_fd);
	if (pid < 0) {
		close(sv[0]);
		close(po[0]);
		return HTML_FILTER_FAILED;
	}
	setpgid(pid, pid); /* also here, so kill(-pid) works whoever runs first */
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	struct filter_io io = { .in_fd = sv[0], .out_fd = po[0], .in = in, .len = len,
				.max_out = max_out, .out = out, .out_start = out->len };
	enum html_filter_status st = HTML_FILTER_OK;
	long long deadline = util_now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
	while (st == HTML_FILTER_OK) {
		long long left = deadline - util_now_ms();
		if (left <= 0) {
			st = HTML_FILTER_TIMEOUT;
			break;
		}
		if (!filter_pump(&io, (int)(left > 1000 ? 1000 : left), &st))
			break;
	}
	if (st != HTML_FILTER_OK)
		kill(-pid, SIGKILL);
	if (io.in_fd >= 0)
		close(io.in_fd);
	close(po[0]);
	int status = filter_reap(pid, deadline, &st);
	if (st == HTML_FILTER_OK && !(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0))
		st = HTML_FILTER_FAILED;
	if (st != HTML_FILTER_OK) {
		out->len = io.out_start; /* nothing half-converted */
		if (out->s)
			out->s[out->len] = '\0';
	}
	return st;
}
