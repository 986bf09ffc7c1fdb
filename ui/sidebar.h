/* sidebar.h - accounts → folder tree → saved searches, with counts. */
#ifndef MUTTLIKE_UI_SIDEBAR_H
#define MUTTLIKE_UI_SIDEBAR_H

#include <stdbool.h>

struct ui;
struct sidebar;

/* Registers its background counting and its refresh after store changes
 * with the main loop (ui_add_source), and its folder names for completion
 * ("account/Folder", u->folders). */
struct sidebar *sidebar_new(struct ui *u);
void sidebar_free(struct sidebar **sb);
void sidebar_draw(struct ui *u, struct sidebar *sb, int y, int x, int w, int h);
void sidebar_refresh(struct ui *u, struct sidebar *sb);
void sidebar_move(struct ui *u, struct sidebar *sb, int dir);
void sidebar_open(struct ui *u, struct sidebar *sb);
bool sidebar_click(struct ui *u, struct sidebar *sb, int row);
/* sidebar_visible as last toggled (data_dir/state/@reader), over the rc's. */
void sidebar_restore_visible(struct ui *u);
/* Open the current account's INBOX, else everything of the account. */
void sidebar_open_account(struct ui *u);
/* Make account the current one and open its INBOX. */
void sidebar_switch_account(struct ui *u, long account);
void sidebar_save_visible(struct ui *u, bool on);
/* data_dir/state/<account>/folder-counts (foldercounts.h).  New string. */
char *sidebar_counts_path(struct ui *u, long account);
/* While the current account's first sync runs: "searching N of M
 * messages indexed so far" (N in the index, M on the server), for the
 * header of a search; else NULL.  New string. */
char *sidebar_first_sync_note(struct ui *u);
/* Query of a folder name as the user writes it ("INBOX", "acc/INBOX",
 * mutt's "=INBOX" or "+INBOX"); NULL when there is no such folder. */
char *sidebar_folder_query(struct ui *u, const char *name);
/* The name without mutt's "=" or "+" (the mail folder) in front; borrowed. */
const char *sidebar_folder_name(const char *typed);
/* The current account's folder the user typed (save, copy, Fcc): without
 * "=", "+" or "account/"; asks "Create folder X?" for an unknown one.  New
 * string, or NULL (empty, or not wanted). */
char *sidebar_dest_folder(struct ui *u, const char *typed);

#endif
