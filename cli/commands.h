/* commands.h - subcommands of the muttlike binary (muttlike [-F FILE] CMD ...). */
#ifndef MUTTLIKE_COMMANDS_H
#define MUTTLIKE_COMMANDS_H

#include <stdbool.h>

#include "conf.h"

/* muttlike check [-v] [ACCOUNT]: connect, verify, log in, list folders with
 * counts.  argv[0] is "check".  Returns the exit status (0, 1 runtime, 2
 * usage/config). */
int cmd_check(conf_t *c, int argc, char **argv);

/* muttlike sync [ACCOUNT...] [--watch] [--allow-deletes FOLDER]: mirror the
 * accounts (all when none is named).  argv[0] is "sync". */
int cmd_sync(conf_t *c, int argc, char **argv);

/* muttlike search QUERY: print matching messages from the store, one a
 * line.  argv[0] is "search". */
int cmd_search(conf_t *c, int argc, char **argv);

/* muttlike reindex [ACCOUNT]: rebuild the index from the Maildirs and put
 * the tags back from the tag dump.  argv[0] is "reindex". */
int cmd_reindex(conf_t *c, int argc, char **argv);

/* muttlike doctor [ACCOUNT]: check Maildir, sync state and index offline,
 * repair what is local and safe.  argv[0] is "doctor". */
int cmd_doctor(conf_t *c, int argc, char **argv);

/* muttlike [-F FILE] setup [flags]: add an account with the wizard
 * (ui/entry.h), written to rc_path.  argv[0] is "setup". */
int cmd_setup(conf_t *c, const char *rc_path, int argc, char **argv);

/* muttlike setup --oauth ACCOUNT / --reauth ACCOUNT: the OAuth2
 * authorization of an account that has its oauth_* options (device grant
 * or browser), the refresh token stored.  0, 1 failed, 2 config. */
int cmd_setup_oauth(conf_t *c, const char *account, bool reauth);

#endif
