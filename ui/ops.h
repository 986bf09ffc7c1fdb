/* ops.h - the functions every view has (global_ops: quit, help, shell,
 * :commands, folders, accounts) and the joining of op tables. */
#ifndef MUTTLIKE_UI_OPS_H
#define MUTTLIKE_UI_OPS_H

#include <stddef.h>

#include "view.h"

extern const struct op global_ops[];
/* Join a view's own ops and the shared action ops into all[cap] once
 * (own first, so a view's op wins); returns all. */
const struct op *ops_join(struct op *all, size_t cap, const struct op *own, const struct op *more);

#endif
