/* addrbook.h - the reader's side of aliases and query_command:
 * create-alias and query (the tables live in the conf, src/alias.h,
 * src/query.h; Tab in address prompts is prompt.c's). */
#ifndef MUTTLIKE_UI_ADDRBOOK_H
#define MUTTLIKE_UI_ADDRBOOK_H

struct ui;
struct view;

/* create-alias: an alias for the current message's sender, appended to
 * alias_file and defined at once. */
void addrbook_op_create_alias(struct ui *u, struct view *v);
/* query: ask query_command, pick one of its results, write to it. */
void addrbook_op_query(struct ui *u, struct view *v);

#endif
