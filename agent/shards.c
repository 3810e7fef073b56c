/* agent/shards.c - the shard-count cache behind SHARDS; see shards.h. */
#include "config.h"

#include "agent/shards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/discover.h"
#include "aws/client.h"
#include "aws/kinesis.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/cwrender.h"
#include "rules/expr.h"
#include "rules/rule.h"

struct entry {
    char name[SW_KINESIS_NAME_MAX + 1];
    int have;          /* a count was fetched once */
    int shards;        /* the last good count */
    time_t fetched_at; /* wall time of the last success */
    time_t next_at;    /* the next refresh is due at this time */
    time_t tried_at;   /* wall time of the last attempt */
    int tried;
    int last_r; /* SW_E* of the last failed attempt */
    char last_error[640];
};

struct sw_shards {
    struct sw_aws *aws; /* borrowed */
    int interval_s;
    struct entry *v; /* sorted by name, for bsearch */
    size_t n, cap;
    int pace_ms;
    sw_mono_ms last_call; /* monotonic time of the last call */
    int called;
    sw_shards_describe_fn *fn; /* NULL: sw_kinesis_describe_stream_summary */
    void *fn_arg;
};

int
sw_shards_new(struct sw_aws *a, int interval_s, struct sw_shards **out)
{
    struct sw_shards *s;

    if (!out)
        return SW_EINVAL;
    *out = NULL;
    if (!a)
        return SW_EINVAL;
    interval_s = sw_discover_interval(interval_s);
    if (!interval_s)
        return SW_EINVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return SW_ENOMEM;
    s->aws = a;
    s->interval_s = interval_s;
    s->pace_ms = SW_SHARDS_PACE_MS;
    *out = s;
    return 0;
}

void
sw_shards_free(struct sw_shards *s)
{
    if (!s)
        return;
    free(s->v);
    free(s);
}

void
sw_shards_set_describer(struct sw_shards *s, sw_shards_describe_fn *fn,
                        void *arg)
{
    s->fn = fn;
    s->fn_arg = arg;
}

void
sw_shards_set_pace(struct sw_shards *s, int ms)
{
    s->pace_ms = ms < 0 ? 0 : ms;
}

void
sw_shards_invalidate(struct sw_shards *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        s->v[i].next_at = 0;
}

/* The entry of NAME, added (never fetched) when there is none; NULL when
 * memory runs out. */
static struct entry *
entry_of(struct sw_shards *s, const char *name)
{
    size_t lo = 0, hi = s->n;
    struct entry *e;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->v[mid].name, name);

        if (c == 0)
            return &s->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct entry *v = realloc(s->v, cap * sizeof(*v));

        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    memmove(&s->v[lo + 1], &s->v[lo], (s->n - lo) * sizeof(*s->v));
    s->n++;
    e = &s->v[lo];
    memset(e, 0, sizeof(*e));
    sw_strlcpy(e->name, name, sizeof(e->name));
    return e;
}

/* Copy AWS text into a log line without control characters. */
static void
clean_copy(char *dst, size_t size, const char *s)
{
    size_t j = 0;

    if (!size)
        return;
    for (size_t i = 0; s[i] && j + 1 < size; i++)
        dst[j++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    dst[j] = '\0';
}

/* Space the calls SW_SHARDS_PACE_MS apart: many alarms of many streams
 * come due in the same cycle after a start. */
static void
pace(struct sw_shards *s)
{
    sw_mono_ms now = sw_mono_now(), wait;

    if (s->called && s->pace_ms > 0) {
        wait = s->last_call + s->pace_ms - now;
        if (wait > 0 && wait <= s->pace_ms) {
            struct timespec ts = {(time_t)(wait / 1000),
                                  (long)(wait % 1000) * 1000000L};

            (void)nanosleep(&ts, NULL);
        }
    }
    s->called = 1;
    s->last_call = sw_mono_now();
}

static int
describe(struct sw_shards *s, const char *stream,
         struct sw_kinesis_summary *sum, struct sw_aws_error *aerr)
{
    if (s->fn)
        return s->fn(s->fn_arg, s->aws, stream, sum, aerr);
    return sw_kinesis_describe_stream_summary(s->aws, stream, NULL, sum, aerr);
}

int
sw_shards_get(struct sw_shards *s, const char *stream, time_t now, double *out,
              char *err, size_t errlen)
{
    struct sw_kinesis_summary sum;
    struct sw_aws_error aerr;
    struct entry *e;
    char code[128], msg[512], when[SW_TIME_BUF];
    int r;

    if (err && errlen)
        err[0] = '\0';
    if (!s || !stream || !out || !sw_kinesis_name_is_valid(stream)) {
        sw_err_set(err, errlen, "shards: no cache, stream or output");
        return SW_EINVAL;
    }
    e = entry_of(s, stream);
    if (!e) {
        sw_err_set(err, errlen, "shards: out of memory");
        return SW_ENOMEM;
    }
    /* A clock stepped back would otherwise hold the count (or the wait
     * for a retry) for as long as the step. */
    if (!(e->tried && now < e->tried_at) && now < e->next_at) {
        if (e->have) {
            *out = e->shards;
            return 0;
        }
        /* Waiting to retry with nothing cached: the last failure again,
         * rather than one more call for every alarm of the stream. */
        sw_err_set(err, errlen, "%s", e->last_error);
        return e->last_r;
    }
    memset(&sum, 0, sizeof(sum));
    memset(&aerr, 0, sizeof(aerr));
    pace(s);
    e->tried = 1;
    e->tried_at = now;
    r = describe(s, stream, &sum, &aerr);
    if (r < 0) {
        clean_copy(code, sizeof(code), aerr.code);
        clean_copy(msg, sizeof(msg), aerr.message);
        e->last_r = r;
        e->next_at =
            now + (s->interval_s < SW_SHARDS_RETRY_S ? s->interval_s
                                                     : SW_SHARDS_RETRY_S);
        if (e->have) {
            sw_err_set(e->last_error, sizeof(e->last_error),
                       "shards: DescribeStreamSummary for stream '%s' "
                       "failed: %s%s%s; keeping %d open shards from %s",
                       stream, code[0] ? code : sw_strerror(r),
                       msg[0] ? ": " : "", msg, e->shards,
                       sw_time_rfc3339(e->fetched_at, when));
            sw_log_warn("%s", e->last_error);
            *out = e->shards;
            return 0;
        }
        sw_err_set(e->last_error, sizeof(e->last_error),
                   "shards: DescribeStreamSummary for stream '%s' failed: "
                   "%s%s%s; no shard count yet",
                   stream, code[0] ? code : sw_strerror(r), msg[0] ? ": " : "",
                   msg);
        sw_err_set(err, errlen, "%s", e->last_error);
        return r;
    }
    if (!e->have)
        sw_log_info("shards: stream '%s': %d open shards", stream,
                    sum.open_shards);
    else if (e->shards != sum.open_shards)
        sw_log_info("shards: stream '%s': %d -> %d open shards", stream,
                    e->shards, sum.open_shards);
    e->have = 1;
    e->shards = sum.open_shards;
    e->fetched_at = now;
    e->next_at = now + s->interval_s;
    e->last_error[0] = '\0';
    *out = e->shards;
    return 0;
}

int
sw_shards_rule_stream(const struct sw_rule *r, const char **stream)
{
    const char *ids[SW_RULE_MAX_METRICS];
    struct sw_expr *e = NULL;
    char err[256];
    int rc, uses;

    if (stream)
        *stream = NULL;
    if (!r || !stream)
        return SW_EINVAL;
    if (!sw_rule_is_math(r))
        return 0;
    if (r->nmetrics > SW_RULE_MAX_METRICS)
        return SW_EINVAL;
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    rc = sw_expr_parse(r->expression, ids, r->nmetrics, &e, err, sizeof(err));
    if (rc < 0)
        return rc;
    uses = sw_expr_uses_shards(e);
    sw_expr_free(e);
    if (!uses)
        return 0;
    *stream = sw_cwrender_stream(r);
    return *stream ? 1 : SW_EINVAL;
}
