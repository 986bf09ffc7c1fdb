/* ops.h - the functions every view has (global_ops: quit, help, shell,
 * :commands, folders, accounts). */
#ifndef MUTTLIKE_UI_OPS_H
#define MUTTLIKE_UI_OPS_H

#include <stddef.h>

#include "view.h"

extern const struct op global_ops[];

#endif
