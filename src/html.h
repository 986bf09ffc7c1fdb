/* html.h - text/html to plain text for the pager.
 *
 * Two ways: the user's html_filter command (their own command string run
 * with /bin/sh -c; the HTML goes to its stdin, nothing from the message is
 * put on its command line), or a small built-in converter that is good
 * enough to read a newsletter and never runs anything.
 *
 * Output is UTF-8 but not sanitized: callers pass it through
 * text_sanitize() like any other message text.
 */
#ifndef MUTTLIKE_HTML_H
#define MUTTLIKE_HTML_H

#include <stddef.h>

#include "util.h"

/* Built-in converter: tags stripped, <script>/<style>/<head> dropped,
 * entities decoded (&amp; &lt; &gt; &quot; &nbsp; &#NNN; &#xHH; and a few
 * more), block tags become line breaks, <li> becomes "* ", <blockquote>
 * lines get "> ", links become "text <url>" (http, https, mailto, ftp
 * only).  Input is UTF-8; output appended to out. Linear time. */
void html_to_text(const char *html, size_t len, struct strbuf *out);

enum html_filter_status {
	HTML_FILTER_OK = 0,
	HTML_FILTER_FAILED,    /* could not start, or exited non-zero / by a signal */
	HTML_FILTER_TIMEOUT,   /* killed (with its process group) after timeout_ms */
	HTML_FILTER_TOO_LARGE, /* more than max_out bytes of output; killed */
};

/* Run cmd with /bin/sh -c in its own process group: in[0..len) on its
 * stdin (a socket, so an early exit cannot SIGPIPE us), its stdout appended
 * to out, stderr to /dev/null.  Safe to call from any thread. */
enum html_filter_status html_filter_run(const char *cmd, const char *in, size_t len,
					int timeout_ms, size_t max_out, struct strbuf *out);

#endif
