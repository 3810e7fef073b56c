/* lib/json_util.h - small helpers around jansson shared by every module
 * that builds JSON requests or documents.
 *
 * Ownership follows jansson: sw_json_set_new() steals its value, as
 * json_object_set_new() does.  No I/O.
 */
#ifndef SW_LIB_JSON_UTIL_H
#define SW_LIB_JSON_UTIL_H

#include <jansson.h>

#include "lib/buf.h"

/* sw_json_append - append J to B compactly, members in insertion order
 * (the model's order, as the SDKs send them).  On failure B is left as it
 * was, never with half a document in it.  Returns 0, SW_ETOOBIG (B's cap)
 * or SW_ENOMEM. */
int sw_json_append(const json_t *j, struct sw_buf *b);

/* sw_json_set_new - json_object_set_new() that records a failure (a NULL
 * VALUE included) in *FAILED instead of losing it.  Steals: value. */
void sw_json_set_new(json_t *o, const char *key, json_t *value, int *failed);

#endif
