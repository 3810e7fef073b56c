/* lib/strv.h - a growable vector of owned C strings.
 *
 * The rule model keeps its action and stream lists in one (rules/rule.h
 * includes this header), aws/kinesis returns the account's streams in one
 * and agent/discover keeps its stream lists in them.  An empty vector is
 * {NULL, 0}; every string in V is owned by the vector and released with
 * it.  Pure; depends on lib/err.h and lib/str.h.
 */
#ifndef SW_LIB_STRV_H
#define SW_LIB_STRV_H

#include <stddef.h>

struct sw_strv {
    char **v;
    size_t n;
};

/* sw_strv_release - free every string and the array; SV is empty
 * afterwards.  NULL ok. */
void sw_strv_release(struct sw_strv *sv);

/* sw_strv_push - append a copy of S.  Returns 0 or SW_ENOMEM (SV
 * unchanged). */
int sw_strv_push(struct sw_strv *sv, const char *s);

/* sw_strv_sort_unique - sort SV in strcmp() order and free repeated
 * strings, in place: listings from outside (a paged ListStreams, a test's
 * fake) may repeat a name, and merge-style comparisons need order. */
void sw_strv_sort_unique(struct sw_strv *sv);

#endif
