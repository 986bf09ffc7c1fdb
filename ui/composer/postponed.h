/* postponed.h - the postponed messages to recall (recall-message away
 * from the Drafts folder). */
#ifndef MUTTLIKE_UI_POSTPONED_H
#define MUTTLIKE_UI_POSTPONED_H

struct ui;

/* recall-message away from the Drafts folder: none, the only draft at
 * once, or the list of postponed messages to choose from; recall is
 * called with the Maildir file of the draft chosen. */
typedef void (*postponed_recall_fn)(struct ui *u, const char *file);
void postponed_offer(struct ui *u, const char *drafts_dir, postponed_recall_fn recall);

#endif
