/* postponed.h - the postponed messages to recall (recall-message away
 * from the Drafts folder). */
#ifndef MUTTLIKE_UI_POSTPONED_H
#define MUTTLIKE_UI_POSTPONED_H

struct ui;

/* recall-message away from the Drafts folder: none, the only draft at
 * once, or the list of postponed messages to choose from. */
void postponed_offer(struct ui *u, const char *drafts_dir);

#endif
