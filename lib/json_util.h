/* lib/json_util.h - small helpers around jansson shared by every module
 * that builds JSON requests or documents.
 *
 * One family builds documents: sw_json_set_new() and sw_json_append_new()
 * are json_object_set_new() and json_array_append_new() that record a
 * failure (a NULL value from a failed constructor included) in *FAILED
 * instead of losing it, so a builder makes all its calls and checks once
 * at the end.  Ownership follows jansson: both steal their value, also
 * when they fail.  No I/O.  Depends on lib/buf, lib/utf8 and jansson.
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

/* sw_json_set_new - json_object_set_new(O, KEY, VALUE); a NULL VALUE or a
 * failure sets *FAILED to 1.  Steals: value. */
void sw_json_set_new(json_t *o, const char *key, json_t *value, int *failed);

/* sw_json_append_new - json_array_append_new(A, VALUE); a NULL VALUE or a
 * failure sets *FAILED to 1.  Steals: value. */
void sw_json_append_new(json_t *a, json_t *value, int *failed);

/* sw_json_string_repair - a JSON string of S, bytes that are not UTF-8
 * replaced with U+FFFD (jansson refuses them; names come from config
 * files, reasons from our evaluator); NULL gives JSON null.
 * Returns: new reference, or NULL when memory runs out. */
json_t *sw_json_string_repair(const char *s);

/* sw_json_str - the string member KEY of O.  Returns: borrowed (valid
 * while O holds it), or NULL when O is not an object or KEY is missing or
 * not a string. */
const char *sw_json_str(const json_t *o, const char *key);

#endif
