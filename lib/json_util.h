/* lib/json_util.h - small helpers around jansson shared by every module
 * that builds JSON requests or documents.
 *
 * One family builds documents: sw_json_set_new() and sw_json_append_new()
 * are json_object_set_new() and json_array_append_new() that record a
 * failure (a NULL value from a failed constructor included) in *FAILED
 * instead of losing it, so a builder makes all its calls and checks once
 * at the end.  Ownership follows jansson: both steal their value, also
 * when they fail.  The rest serve the modules that speak JSON to a
 * server (aws/cloudwatch, aws/kinesis, aws/cwalarms_*) and the ones that
 * write JSON lines (notifiers/log, notifiers/outbox): loading an untrusted
 * reply that must be an object, naming a value's type in a message, a string
 * without NUL inside, a request body with its one-line failure, a document
 * as one line.  No I/O.  Depends on lib/buf, lib/err, lib/str, lib/utf8
 * and jansson.
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

/* sw_json_append_body - sw_json_append() for a request builder: on
 * failure a one-line reason in ERR ("request body too large for its
 * buffer", "out of memory"). */
int sw_json_append_body(const json_t *j, struct sw_buf *b, char *err,
                        size_t errlen);

/* sw_json_finish_body - the end of a request builder: the object O
 * (consumed; NULL when its json_object() failed) appended to B with
 * sw_json_append_body() unless building it FAILED (then "out of memory"
 * and SW_ENOMEM).  The sw_json_*_new setters take a NULL container (jansson
 * frees the value it could not store), so a builder makes all its calls
 * and a failed allocation only shows here as FAILED.  On failure B is as
 * it was. */
int sw_json_finish_body(json_t *o, int failed, struct sw_buf *b, char *err,
                        size_t errlen);

/* sw_json_line - J dumped with FLAGS (json_dumps() flags) and a newline:
 * one line of a log or a file.  Returns: new (free()), or NULL when the
 * dump or memory fails. */
char *sw_json_line(const json_t *j, size_t flags);

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

/* sw_json_type_name - what V is, for a message: "an object", "an array",
 * "a string", "a number", "a boolean" or "null".  Returns: static. */
const char *sw_json_type_name(const json_t *v);

/* sw_json_whole_string - the value of V when V is a JSON string whose C
 * string is all of it (jansson accepts "\u0000" inside a string, which
 * would cut the C string short), its length in *LEN (LEN may be NULL).
 * Returns: borrowed (valid while V lives), or NULL. */
const char *sw_json_whole_string(const json_t *v, size_t *len);

/* sw_json_array_member - the member KEY of the object O, which must be
 * an array of at most MAX entries when present.  Returns 0 and *OUT
 * (borrowed; NULL when KEY is absent or null), or SW_EPARSE with the
 * reason in ERR: "'KEY' is a string, not an array", "'KEY' has 7
 * entries, more than 5". */
int sw_json_array_member(const json_t *o, const char *key, size_t max,
                         json_t **out, char *err, size_t errlen);

/* sw_json_load_object - parse the untrusted reply JSON (LEN bytes; NULL
 * reads as empty), which must be an object.  Duplicate keys are accepted,
 * the last one winning (jansson's default).  Returns: new reference, or
 * NULL with a one-line reason in ERR: "reply is not JSON: <jansson's
 * reason> at line L column C" (jansson quotes the input near the error:
 * its control bytes become spaces, so the reason stays one printable
 * line), "reply is an array, not a JSON object". */
json_t *sw_json_load_object(const char *json, size_t len, char *err,
                            size_t errlen);

#endif
