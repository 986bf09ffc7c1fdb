/* optdoc.h - documentation generated from the option and function tables.
 *
 * The same tables produce `muttlike --help-options`, the OPTIONS and
 * FUNCTIONS sections of doc/muttlike.rc.5 and the option block of
 * muttlike.rc.example, so none of them can drift from the code.
 */
#ifndef MUTTLIKE_OPTDOC_H
#define MUTTLIKE_OPTDOC_H

#include <stdio.h>

/* format: "text", "man" or "rc".  Returns 0, or -1 for an unknown format
 * (after printing a one-line error to stderr). */
int optdoc_print(FILE *f, const char *format);

#endif
