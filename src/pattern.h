/* pattern.h - mutt's search patterns (~f carol ~d <1w) as notmuch queries.
 *
 * A pure translation (no store, no clock): limit, tag-pattern and the
 * query prompts pass what the user typed through pattern_to_notmuch().
 * Text that is not a mutt pattern (no `~` starting a word) is notmuch
 * syntax and comes back unchanged, so both habits work at one prompt.
 *
 * Supported: ~f ~s ~t ~c ~C ~L ~b ~B ~i ~y (with a word, "a phrase" or,
 * for ~f ~s ~y, a regular expression), ~d with <N, >N (units y m w d H M S)
 * or DD/MM/YYYY[-DD/MM/YYYY], ~N ~U ~R ~F ~Q ~A, and `!`, `|`, juxtaposition
 * (and) and `( … )`.  Anything else is refused with a message that names
 * it (doc/READER.md, "Mutt patterns", lists the differences).
 */
#ifndef MUTTLIKE_PATTERN_H
#define MUTTLIKE_PATTERN_H

#include <stdbool.h>

/* True when `in` is written in mutt's syntax: a `~` at the start or after
 * a space, `(`, `!` or `|`. */
bool pattern_is_mutt(const char *in);

/* Translate `in` into a notmuch query.  Returns a newly allocated query
 * (the caller frees it), or NULL with *err set to a newly allocated
 * message naming what is wrong or not supported. */
char *pattern_to_notmuch(const char *in, char **err);

#endif
