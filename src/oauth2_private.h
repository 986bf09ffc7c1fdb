/* oauth2_private.h - shared between the oauth2_*.c files. */
#ifndef MUTTLIKE_OAUTH2_PRIVATE_H
#define MUTTLIKE_OAUTH2_PRIVATE_H

#include <pthread.h>
#include <stddef.h>

#include "oauth2.h"

struct oauth2 {
	char *account, *client_id, *client_secret; /* owned; the secret wiped */
	char *auth_url, *token_url, *device_url, *scope, *login_hint, *ca_file; /* owned */
	char *store_cmd, *lookup_cmd, *data_dir;   /* owned */
	char *token_file, *lock_file;              /* owned; token_file NULL with a command pair */
	long timeout_ms, margin_ms, unit_ms;
	int lock_fd;
	pthread_mutex_t mu;
	char *access;             /* owned, wiped: the access token */
	long long access_expires; /* util_now_ms() deadline */
	bool warned_file;
	bool prefer_browser;      /* the provider's device endpoint refuses mail scopes */
};

/* ---- a flat JSON object (oauth2_json.c) ---- */
enum oauth2_json_kind { OJ_STRING, OJ_NUMBER, OJ_LITERAL, OJ_NESTED };
struct oauth2_json_field {
	char *key, *val; /* owned; val wiped on free (tokens) */
	enum oauth2_json_kind kind;
};
struct oauth2_json {
	struct oauth2_json_field *f; /* owned */
	size_t n;
};
/* Parse one JSON object; nested values are checked and skipped (depth
 * capped), duplicate keys keep the first.  0, or -1 when malformed. */
int oauth2_json_parse(const char *s, size_t len, struct oauth2_json *out);
/* A string member, or NULL. */
const char *oauth2_json_str(const struct oauth2_json *j, const char *key);
/* A number member (also a numeric string: some endpoints quote them). */
bool oauth2_json_long(const struct oauth2_json *j, const char *key, long *out);
void oauth2_json_free(struct oauth2_json *j);

/* ---- HTTP (oauth2_http.c) ---- */
/* The URL is acceptable for an endpoint: https, or http to 127.0.0.1/[::1]. */
bool oauth2_url_ok(const char *url);
/* POST a form (body is wiped by the caller) and parse the JSON answer.
 * *http gets the status code.  OAUTH2_OK when a JSON object came back
 * (whatever the status), else an error with *err. */
enum oauth2_status oauth2_http_post(const oauth2_t *ctx, const char *url, const char *form, long *http,
				    struct oauth2_json *out, char **err);

/* ---- answers of the token endpoint (oauth2.c) ---- */
/* Map an error answer ("error", "error_description") to a status and a
 * one-line message that starts with what; new string in *err. */
enum oauth2_status oauth2_error_map(const oauth2_t *ctx, const char *what, long http, const struct oauth2_json *j,
				    char **err);
/* Keep the access token of a successful answer and save a new refresh
 * token (the caller holds the lock). */
enum oauth2_status oauth2_take_tokens(oauth2_t *ctx, const struct oauth2_json *j, char **err);
/* Append "&name=value" (escaped) to a form. */
void oauth2_form_add(struct strbuf *b, const char *name, const char *value);
/* The client's own form fields: client_id, client_secret when set. */
void oauth2_form_client(const oauth2_t *ctx, struct strbuf *b);
/* Wipe and free a form. */
void oauth2_form_free(struct strbuf *b);
/* Sleep for ms, checking ui->cancelled every 100 ms; false when cancelled. */
bool oauth2_wait(const struct oauth2_ui *ui, long ms);

#endif
