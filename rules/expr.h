/* rules/expr.h - a subset of CloudWatch metric math, parsed and evaluated.
 *
 * A metric-math alarm (PutMetricAlarm Metrics) names up to 10 metrics by id
 * and alarms on one expression over them, e.g. "w - FILL(r, 0)".  This
 * module parses such an expression once (agent/conf, at load time) and
 * evaluates it over the fetched datapoints on every cycle, with
 * CloudWatch's semantics so that the local alarm and the synced one agree.
 * Pure: no I/O, no clock, no globals; depends only on lib/.  The full
 * write-up with sources is docs/metric-math.md.
 *
 * Syntax (all of it; anything else is a parse error naming the column):
 *   expr    := term { ("+" | "-") term }           left-associative
 *   term    := unary { ("*" | "/") unary }         left-associative
 *   unary   := "-" unary | primary                 binds tighter than * /
 *   primary := NUMBER | ID | "SHARDS" | "(" expr ")"
 *            | "ABS" "(" expr ")"
 *            | "FILL" "(" expr "," (expr | "REPEAT" | "LINEAR") ")"
 *   ID      := [a-z][A-Za-z0-9_]*, one of the rule's metric ids
 *   NUMBER  := [0-9]+ ["." [0-9]+] [("e" | "E") ["+" | "-"] [0-9]+]
 * Blanks (space, tab, CR, LF) separate tokens.  Function names and the
 * REPEAT / LINEAR keywords are uppercase, as CloudWatch requires ("All
 * functions must be written in uppercase letters").  At most
 * SW_EXPR_MAX_LEN bytes (the API's Expression limit, 1-2048) and
 * SW_EXPR_MAX_DEPTH nested parentheses, unary minuses and calls.
 * Columns are 1-based byte offsets.
 *
 * Types, checked at parse time: a metric id is a time series, a number is a
 * scalar; an operator with a series operand yields a series; ABS and FILL's
 * first argument must be series, FILL's second a scalar, REPEAT or LINEAR;
 * the whole expression must be a series ("The final result of any math
 * expression must be a single time series").  Scalar sub-expressions are
 * computed at parse time: a constant division by zero or a constant that
 * overflows is a parse error.
 *
 * SHARDS is ours, not CloudWatch's: a scalar, the open shard count of the
 * rule's Kinesis stream (DescribeStreamSummary OpenShardCount), which the
 * caller supplies at evaluation time (struct sw_expr_vars), so that
 * "w / (SHARDS * 60000) * 100" is a 60 s Sum of IncomingRecords as a
 * percentage of the stream's write capacity (1,000 records/s a shard).
 * Scalars that use it are computed at evaluation time; one that divides
 * by zero or overflows there drops every datapoint it meets.  A synced
 * alarm gets the expression with the number in its place
 * (sw_expr_subst_shards()): CloudWatch has no SHARDS.
 *
 * Semantics (CloudWatch user guide, "Metric math syntax and functions";
 * sources and the reasoning in docs/metric-math.md):
 *   - series op series is computed at every timestamp where at least one
 *     operand has a value; "Missing values in a time series are treated as
 *     0" for the other.  Where neither has a value there is no result.
 *   - series op scalar (and scalar op series) applies to every datapoint
 *     of the series, and only there.
 *   - "If the value of a data point causes a function to attempt to divide
 *     by zero, the data point is dropped."  A value that is not a finite
 *     number (overflow) is dropped the same way, at every step, so NaN and
 *     infinity are never emitted.
 *   - ABS: "the absolute value of each data point".
 *   - FILL(m, v): every timestamp of the period grid of the window
 *     [start, end) where m has no value gets v, including before m's first
 *     and after its last datapoint (CloudWatch warns that FILL in an alarm
 *     makes "the latest data point ... always be the FILL value" when the
 *     newest period has no data yet).  FILL(m, REPEAT) fills a missing grid
 *     timestamp with the most recent value before it (none before the first
 *     datapoint); FILL(m, LINEAR) interpolates linearly in time between the
 *     values on both sides of a gap (none before the first or after the
 *     last datapoint).
 */
#ifndef SW_RULES_EXPR_H
#define SW_RULES_EXPR_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"

#define SW_EXPR_MAX_LEN   2048 /* bytes; PutMetricAlarm Expression */
#define SW_EXPR_MAX_DEPTH 64   /* nested "(", "-" and calls */
/* Periods in one evaluation window: the GetMetricData datapoint limit. */
#define SW_EXPR_MAX_GRID 100800

struct sw_expr; /* a parsed, type-checked expression */

/* sw_expr_parse - parse and check TEXT (NUL-terminated).
 *
 * IDS are the NIDS metric ids the expression may use (borrowed for the
 * call only; ids are matched exactly, case-sensitively).
 *
 * Returns 0 and sets *OUT: new (free with sw_expr_free()).  On failure
 * *OUT is NULL and the result is SW_EPARSE with a one-line message in ERR
 * that starts with the column ("column 7: unknown metric id 'x'", "column
 * 3: expected ')'"), SW_EINVAL (TEXT or OUT NULL, or IDS NULL with NIDS >
 * 0) or SW_ENOMEM. */
int sw_expr_parse(const char *text, const char *const *ids, size_t nids,
                  struct sw_expr **out, char *err, size_t errlen);

/* sw_expr_free - free E; NULL is accepted. */
void sw_expr_free(struct sw_expr *e);

/* sw_expr_uses - 1 when E refers to the metric id at index I of the IDS
 * given to sw_expr_parse(), else 0 (also for I out of range), so that the
 * agent fetches only the metrics the expression needs. */
int sw_expr_uses(const struct sw_expr *e, size_t i);

/* sw_expr_uses_shards - 1 when E uses SHARDS (its evaluation then needs
 * the stream's shard count), else 0 (also for E NULL). */
int sw_expr_uses_shards(const struct sw_expr *e);

/* The values of the names an expression may use besides its metric ids,
 * known only when it is evaluated. */
struct sw_expr_vars {
    int shards_known; /* 1: SHARDS is SHARDS below */
    double shards;    /* the stream's open shard count, >= 0 */
};

/* sw_expr_eval - evaluate E over the window [START, END) of PERIOD_S second
 * periods.
 *
 * INPUTS[i] and NINPUTS[i] (borrowed) are the datapoints of the metric id
 * at index i given to sw_expr_parse(); both arrays have that call's NIDS
 * entries, and entries of ids E does not use may be NULL / 0.  Datapoints
 * may come in any order; points outside [START, END) and values that are
 * NaN or infinite are ignored (missing); of two points with the same
 * timestamp the later in the array wins (as sw_datapoints_normalize()).
 * The period grid is START + k * PERIOD_S < END: the caller aligns START to
 * the period as CloudWatch does.  Inputs off that grid keep their own
 * timestamps in arithmetic; FILL only fills grid timestamps.
 *
 * Returns 0 with *OUT (new, free(); NULL when *NOUT is 0) holding the
 * result datapoints sorted ascending by ts, sample_count -1.  On failure
 * *OUT is NULL, *NOUT 0, and the result is SW_EINVAL (NULL arguments,
 * PERIOD_S <= 0, END < START), SW_ETOOBIG (more than SW_EXPR_MAX_GRID
 * periods in the window) or SW_ENOMEM, with a message in ERR. */
int sw_expr_eval(const struct sw_expr *e,
                 const struct sw_datapoint *const *inputs,
                 const size_t *ninputs, time_t start, time_t end, int period_s,
                 struct sw_datapoint **out, size_t *nout, char *err,
                 size_t errlen);

/* sw_expr_eval_vars - sw_expr_eval() with the values of VARS (borrowed;
 * NULL: none known).  An expression that uses SHARDS fails with SW_EINVAL
 * ("the expression uses SHARDS and the stream's shard count is not
 * known") unless VARS->shards_known, and when VARS->shards is not a
 * finite number >= 0; the value is never guessed.  sw_expr_eval() is this
 * with VARS NULL. */
int sw_expr_eval_vars(const struct sw_expr *e, const struct sw_expr_vars *vars,
                      const struct sw_datapoint *const *inputs,
                      const size_t *ninputs, time_t start, time_t end,
                      int period_s, struct sw_datapoint **out, size_t *nout,
                      char *err, size_t errlen);

/* Room for sw_expr_format_shards(): "%.17g" of any double. */
#define SW_EXPR_NUM_BUF 32

/* sw_expr_format_shards - SHARDS as it is written into an expression: a
 * whole number as digits ("4"), anything else with "%.17g".  Returns 0;
 * SW_EINVAL (not a finite number >= 0, OUT NULL); SW_ETOOBIG (SIZE). */
int sw_expr_format_shards(double shards, char *out, size_t size);

/* sw_expr_subst_shards - TEXT (an expression sw_expr_parse() accepts)
 * with every SHARDS replaced by SHARDS's value as
 * sw_expr_format_shards() writes it, everything else as written: what a
 * synced alarm sends to CloudWatch ("w / (SHARDS * 60000) * 100" with 4
 * shards is "w / (4 * 60000) * 100").  A TEXT without SHARDS comes back
 * unchanged.  Returns 0 and *OUT: new (free()); SW_EINVAL (NULL
 * arguments, SHARDS not a finite number >= 0); SW_EPARSE (TEXT does not
 * lex; ERR names the column); SW_ETOOBIG (the result is longer than
 * SW_EXPR_MAX_LEN); SW_ENOMEM.  On failure *OUT is NULL and ERR says
 * why. */
int sw_expr_subst_shards(const char *text, double shards, char **out, char *err,
                         size_t errlen);

#endif
