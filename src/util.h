/* util.h - allocation, strings and small helpers shared by every module.
 *
 * Allocation failure is not recoverable in a mail reader that must never
 * half-write state, so x*alloc() abort in one place (util_oom) instead of
 * making every caller check for NULL.
 */
#ifndef MUTTLIKE_UTIL_H
#define MUTTLIKE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define ML_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ML_NORETURN __attribute__((noreturn))
#else
#define ML_PRINTF(f, a)
#define ML_NORETURN
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of nmemb elements of size bytes, checking for overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* xstrdup, or NULL for NULL. */
char *xstrdup_null(const char *s);
char *xstrndup(const char *s, size_t n);
/* s[0..n) without leading and trailing white space.  New string. */
char *xstrndup_trim(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ML_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) ML_PRINTF(1, 0);
ML_NORETURN void util_oom(void);

/* Free *p and set it to NULL. */
void xfree(void *pp);

/* Overwrite then free a secret (password, token). NULL-safe. */
void util_wipe_free(char **secret);

/* 2*nbytes lowercase hex digits of random bytes (getrandom; time and pid
 * when there is no entropy source) into out, NUL-terminated; nbytes <= 32. */
void util_random_hex(char *out, size_t nbytes);

/* A growable byte buffer; always NUL-terminated after any append. */
struct strbuf {
	char *s;    /* owned */
	size_t len;
	size_t cap;
};
void strbuf_init(struct strbuf *b);
void strbuf_add(struct strbuf *b, const char *data, size_t n);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) ML_PRINTF(2, 3);
void strbuf_reset(struct strbuf *b);
/* Hand the buffer to the caller (never NULL); b is reset. */
char *strbuf_detach(struct strbuf *b);
void strbuf_free(struct strbuf *b);

/* Levenshtein distance, capped: returns cap+1 once the distance exceeds cap. */
size_t util_edit_distance(const char *a, const char *b, size_t cap);

/* Parse a whole string as a long in [min,max]; false on junk or range. */
bool util_parse_long(const char *s, long min, long max, long *out);

/* The index of word in a '|'-separated list ("imaps|imap"), or -1. */
int util_list_index(const char *list, const char *word);
/* "a, b or c" from "a|b|c"; a new string. */
char *util_list_pretty(const char *list);

/* $HOME, falling back to the passwd entry; never NULL. */
const char *util_home(void);

/* Expand a leading ~ or ~/ and $VAR / ${VAR} references (unset -> "").
 * Returns a new string. */
char *util_expand_path(const char *in);

/* mkdir -p with the given mode for created components; 0 or -1/errno. */
int util_mkdirs(const char *path, unsigned mode);

/* Milliseconds of the monotonic clock (for timeouts and durations). */
long long util_now_ms(void);

/* fsync a directory (after a rename or create in it).  0, or -1 with errno. */
int util_fsync_dir(const char *dir);

/* Unlink the files directly in dir (not the directory itself; hidden:
 * names starting with '.' too). */
void util_unlink_files(const char *dir, bool hidden);

/* Write all of data to fd, again after EINTR and short writes.  0, or -1
 * with errno set. */
int util_write_all(int fd, const void *data, size_t len);
/* The whole file (NUL-terminated, new string; *len its length), or NULL
 * with errno set. */
char *util_read_file(const char *path, size_t *len);

/* Write data to path atomically: tmp file in the same dir, fsync, rename,
 * fsync the dir.  0 on success, -1 with errno set. */
int util_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Less than UTIL_DISK_LOW_BYTES free for an unprivileged writer on the
 * file system that holds path (a full disk, for error messages). */
#define UTIL_DISK_LOW_BYTES (8ull << 20)
bool util_disk_low(const char *path);

#endif
