/* rules/template.h - templated rules: one alarm per Kinesis stream.
 *
 * A rule with `streams = [ "orders", "clicks-*" ]` is a template.  Each
 * stream it names (literally, or through a pattern that the agent matches
 * against Kinesis ListStreams at run time) gets its own alarm: a deep copy
 * of the template with "{stream}" replaced by the stream's name in the
 * name, the description, every dimension value (rule-level and per metric)
 * and every label value.  agent/conf checks templates and expands the
 * literal names at load time; the agent expands pattern matches.
 *
 * Patterns are the Kinesis stream-name alphabet [a-zA-Z0-9_.-] plus '*'
 * (any run of characters, empty included) and '?' (exactly one): fnmatch()
 * without flags, and no other glob syntax (no [...] classes, no escapes),
 * so a pattern never means something its reader did not expect.
 *
 * Pure: no I/O, no clock, no globals; depends only on lib/ and
 * rules/rule.h.
 */
#ifndef SW_RULES_TEMPLATE_H
#define SW_RULES_TEMPLATE_H

#include "rules/rule.h"

#define SW_STREAM_PLACEHOLDER "{stream}"
#define SW_STREAM_NAME_MAX    128 /* Kinesis StreamName, 1-128 */

/* sw_stream_is_pattern - 1 when S holds '*' or '?', else 0. */
int sw_stream_is_pattern(const char *s);

/* sw_stream_check - S is a Kinesis stream name ([a-zA-Z0-9_.-], 1 to 128
 * characters) or, when ALLOW_PATTERN, a pattern in the same alphabet plus
 * '*' and '?' (1 to 128 characters).  Returns 0 or SW_EINVAL. */
int sw_stream_check(const char *s, int allow_pattern);

/* sw_stream_pattern_match - 1 when STREAM matches PATTERN, else 0.  A
 * pattern that fails sw_stream_check(pattern, 1) matches nothing, so the
 * other glob syntax of fnmatch() is never interpreted. */
int sw_stream_pattern_match(const char *pattern, const char *stream);

/* sw_template_wants_stream - 1 when STREAM matches one of the patterns of
 * TMPL->streams and is not one of its literal names (those alarms exist
 * already, from the load-time expansion), else 0.  What the agent asks of
 * every name ListStreams returns. */
int sw_template_wants_stream(const struct sw_rule *tmpl, const char *stream);

/* sw_template_subst - TEXT with every "{stream}" replaced by STREAM.
 * A NULL TEXT gives *out = NULL.
 * Returns 0 and *out: new (free()), or SW_ENOMEM. */
int sw_template_subst(const char *text, const char *stream, char **out);

/* sw_rule_dup - a deep copy of R: every string, array and list.
 * Returns 0 and *out: new (free with sw_rule_free()), or SW_ENOMEM. */
int sw_rule_dup(const struct sw_rule *r, struct sw_rule **out);

/* sw_rule_instantiate - the alarm TMPL defines for STREAM: a deep copy
 * with "{stream}" replaced by STREAM in name, description, dimension
 * values (the rule's and each metric's) and label values; streams empty;
 * stream set to STREAM and template_name to TMPL->name.  The result is not
 * checked again (lengths, name prefixes): agent/conf does that.
 * Returns 0 and *out: new (free with sw_rule_free()); SW_EINVAL when STREAM
 * is not a stream name (sw_stream_check(stream, 0)); SW_ENOMEM. */
int sw_rule_instantiate(const struct sw_rule *tmpl, const char *stream,
                        struct sw_rule **out);

#endif
