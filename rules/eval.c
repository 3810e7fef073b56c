/* rules/eval.c - CloudWatch alarm evaluation; see eval.h. */
#include "config.h"

#include "rules/eval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"

/* A reason lists at most N datapoints (N * period <= 7 days, so a few
 * thousand); the caps only stop a runaway, they are never reached. */
#define REASON_CAP      (1024 * 1024)
#define REASON_DATA_CAP (4 * 1024 * 1024)

enum slot_kind {
    SLOT_MISSING = 0,
    SLOT_OK,     /* a real datapoint within the threshold */
    SLOT_BREACH, /* a real datapoint outside the threshold */
};

/* One period of the evaluation range, oldest first. */
struct slot {
    enum slot_kind kind;
    const struct sw_datapoint *p; /* borrowed from the caller's array */
    int used;                     /* real point evaluated, or missing slot
                                   * filled / reported as unknown */
};

/* What the decision needs the reason and reason data to say. */
enum outcome {
    OUT_THRESHOLD,    /* a state decided from (real and filled) points */
    OUT_INSUFFICIENT, /* no data at all under `missing` */
    OUT_RETAINED,     /* `ignore` kept the previous state */
};

struct decision {
    enum outcome outcome;
    enum sw_state state;
    int nreal;       /* real points evaluated */
    int nbreach;     /* of those, breaching */
    int nfill;       /* missing points filled */
    int fill_breach; /* fills count as breaching */
};

static const char *
plural(long n)
{
    return n == 1 ? "" : "s";
}

static const char *
was_were(long n)
{
    return n == 1 ? "was" : "were";
}

static const char *
op_phrase(enum sw_cmp c)
{
    switch (c) {
    case SW_CMP_GT: return "greater than";
    case SW_CMP_GE: return "greater than or equal to";
    case SW_CMP_LT: return "less than";
    case SW_CMP_LE: return "less than or equal to";
    }
    return "?";
}

static int
add_num(struct sw_buf *b, double v)
{
    char tmp[64];
    int n = sw_format_double(tmp, sizeof(tmp), v);

    if (n < 0)
        return n;
    return sw_buf_add(b, tmp, (size_t)n);
}

/* "12.0 (25/11/26 10:04:00)" */
static int
add_point(struct sw_buf *b, const struct sw_datapoint *p)
{
    char when[SW_TIME_BUF];
    int r = add_num(b, p->value);

    if (r < 0)
        return r;
    return sw_buf_addf(b, " (%s)", sw_time_reason(p->ts, when));
}

/* The bracketed list of used real points of KIND, newest first. */
static int
add_list(struct sw_buf *b, const struct slot *s, size_t nslots,
         enum slot_kind kind)
{
    int r, first = 1;

    r = sw_buf_addc(b, '[');
    for (size_t i = nslots; r == 0 && i-- > 0;) {
        if (!s[i].used || s[i].kind != kind)
            continue;
        if (!first)
            r = sw_buf_adds(b, ", ");
        if (r == 0)
            r = add_point(b, s[i].p);
        first = 0;
    }
    if (r == 0)
        r = sw_buf_addc(b, ']');
    return r;
}

static int
add_json_str(struct sw_buf *b, const char *s)
{
    int r = sw_buf_addc(b, '"');

    for (; r == 0 && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            r = sw_buf_addf(b, "\\%c", c);
        else if (c < 0x20)
            r = sw_buf_addf(b, "\\u%04x", c);
        else
            r = sw_buf_addc(b, (char)c);
    }
    if (r == 0)
        r = sw_buf_addc(b, '"');
    return r;
}

/* Decide the state: section 4.10 of aws-reference.md, step by step.  Marks
 * the slots that take part in the evaluation as used. */
static void
decide(const struct sw_rule *r, struct slot *s, int range, enum sw_state prev,
       struct decision *d)
{
    int n = r->evaluation_periods, m = r->datapoints_to_alarm;
    int nreal = 0, all_breach = 1, breach = 0;

    memset(d, 0, sizeof(*d));
    d->outcome = OUT_THRESHOLD;
    for (int i = 0; i < range; i++) {
        if (s[i].kind == SLOT_MISSING)
            continue;
        nreal++;
        if (s[i].kind != SLOT_BREACH)
            all_breach = 0;
    }

    if (nreal >= n) {
        /* Enough real datapoints: the N most recent, reaching back over
         * gaps inside the range; TreatMissingData is not consulted. */
        int left = n;
        for (int i = range - 1; i >= 0 && left > 0; i--) {
            if (s[i].kind == SLOT_MISSING)
                continue;
            s[i].used = 1;
            breach += s[i].kind == SLOT_BREACH;
            left--;
        }
        d->nreal = n;
        d->nbreach = breach;
        d->state = breach >= m ? SW_STATE_ALARM : SW_STATE_OK;
        return;
    }

    /* Every real point in the range is included from here on. */
    for (int i = 0; i < range; i++) {
        if (s[i].kind == SLOT_MISSING)
            continue;
        s[i].used = 1;
        breach += s[i].kind == SLOT_BREACH;
    }
    d->nreal = nreal;
    d->nbreach = breach;

    if (nreal == 0) {
        switch (r->tmd) {
        case SW_TMD_MISSING:
            /* Report the N most recent periods as unknown, as the
             * recorded reason data does. */
            for (int i = range - n; i < range; i++)
                s[i].used = 1;
            d->outcome = OUT_INSUFFICIENT;
            d->state = SW_STATE_INSUFFICIENT_DATA;
            return;
        case SW_TMD_IGNORE:
            d->outcome = OUT_RETAINED;
            d->state = prev;
            return;
        case SW_TMD_BREACHING:
        case SW_TMD_NOT_BREACHING: break; /* filled below */
        }
    }

    if ((r->tmd == SW_TMD_MISSING || r->tmd == SW_TMD_IGNORE) && nreal > 0 &&
        all_breach) {
        /* Premature-alarm rule (section 4.5): ALARM when the oldest
         * breaching point among the last N periods is at least M periods
         * old and everything newer is breaching or missing.  Requiring all
         * real points to breach is inferred from table 2 row 3. */
        for (int i = range - n; i < range; i++) {
            if (s[i].kind != SLOT_BREACH)
                continue;
            if (range - i >= m) {
                if (r->tmd == SW_TMD_IGNORE) {
                    d->outcome = OUT_RETAINED;
                    d->state = prev;
                } else {
                    d->state = SW_STATE_ALARM;
                }
                return;
            }
            break;
        }
    }

    if (r->tmd == SW_TMD_BREACHING || r->tmd == SW_TMD_NOT_BREACHING) {
        /* Fill as few as possible: just enough to reach N, taking the most
         * recent missing periods (there are at least N - nreal of them
         * because the range holds at least N periods). */
        int fill = n - nreal;
        for (int i = range - 1; i >= 0 && fill > 0; i--) {
            if (s[i].kind != SLOT_MISSING)
                continue;
            s[i].used = 1;
            fill--;
        }
        d->nfill = n - nreal;
        d->fill_breach = r->tmd == SW_TMD_BREACHING;
        if (d->fill_breach)
            breach += d->nfill;
    }
    d->state = breach >= m ? SW_STATE_ALARM : SW_STATE_OK;
}

static int
build_reason(const struct sw_rule *r, const struct slot *s, int range,
             const struct decision *d, char **out)
{
    struct sw_buf b;
    int n = r->evaluation_periods, m = r->datapoints_to_alarm, rc;
    int alarm = d->state == SW_STATE_ALARM;
    /* The points that support the new state, and how many there are. */
    enum slot_kind kind = alarm ? SLOT_BREACH : SLOT_OK;
    int k = alarm ? d->nbreach : d->nreal - d->nbreach;
    int window = d->nreal + d->nfill;
    int minimum = alarm ? m : n - m + 1;
    const char *trans = alarm ? "OK -> ALARM" : "ALARM -> OK";
    const char *treated = d->fill_breach ? "Breaching" : "NonBreaching";
    char thr[64];

    *out = NULL;
    sw_buf_init(&b, REASON_CAP);
    rc = sw_format_double(thr, sizeof(thr), r->threshold);
    if (rc < 0)
        goto out;

    if (d->outcome == OUT_INSUFFICIENT) {
        rc = sw_buf_addf(&b, "Insufficient Data: %d datapoint%s %s unknown.", n,
                         plural(n), was_were(n));
    } else if (d->outcome == OUT_RETAINED) {
        if (d->nreal == 0)
            rc = sw_buf_addf(&b,
                             "Missing data ignored: no datapoints were "
                             "received for %d period%s; ",
                             n, plural(n));
        else
            rc = sw_buf_addf(&b,
                             "Missing data ignored: %d datapoint%s %s "
                             "received for %d period%s; ",
                             d->nreal, plural(d->nreal), was_were(d->nreal), n,
                             plural(n));
        if (rc == 0)
            rc = sw_buf_adds(&b, "the current state was kept.");
    } else if (d->nfill > 0 && k == 0) {
        /* The new state comes from the filled points alone. */
        if (d->nreal == 0)
            rc = sw_buf_adds(&b, "Threshold Crossed: no datapoints were ");
        else
            rc = sw_buf_addf(&b, "Threshold Crossed: %d datapoint%s %s ",
                             d->nreal, plural(d->nreal), was_were(d->nreal));
        if (rc == 0)
            rc = sw_buf_addf(&b,
                             "received for %d period%s and %d missing "
                             "datapoint%s %s treated as [%s].",
                             window, plural(window), d->nfill, plural(d->nfill),
                             was_were(d->nfill), treated);
    } else if (k == 0) {
        /* OK only because fewer than M real points exist, all breaching
         * (`- - - - X` with M = 3): say so rather than list nothing. */
        rc = sw_buf_addf(&b,
                         "Threshold Crossed: %d out of the last %d "
                         "datapoints ",
                         d->nbreach, window);
        if (rc == 0)
            rc = add_list(&b, s, (size_t)range, SLOT_BREACH);
        if (rc == 0)
            rc = sw_buf_addf(&b,
                             " %s %s the threshold (%s), fewer than the "
                             "minimum %d datapoint%s for OK -> ALARM "
                             "transition.",
                             was_were(d->nbreach), op_phrase(r->cmp), thr, m,
                             plural(m));
    } else {
        rc = sw_buf_addf(&b,
                         "Threshold Crossed: %d out of the last %d "
                         "datapoints ",
                         k, window);
        if (rc == 0)
            rc = add_list(&b, s, (size_t)range, kind);
        if (rc == 0)
            rc = sw_buf_addf(&b, " %s %s%s the threshold (%s)", was_were(k),
                             alarm ? "" : "not ", op_phrase(r->cmp), thr);
        if (rc == 0 && d->nfill > 0)
            rc = sw_buf_addf(&b,
                             " and %d missing datapoint%s %s treated as "
                             "[%s]",
                             d->nfill, plural(d->nfill), was_were(d->nfill),
                             treated);
        if (rc == 0)
            rc = sw_buf_addf(&b,
                             " (minimum %d datapoint%s for %s "
                             "transition).",
                             minimum, plural(minimum), trans);
    }
    if (rc < 0)
        goto out;
    *out = sw_buf_steal(&b, NULL);
    rc = *out ? 0 : SW_ENOMEM;
out:
    sw_buf_release(&b);
    return rc;
}

/* StateReasonData as CloudWatch writes it (section 4.9): real evaluated
 * values oldest first in recentDatapoints, every evaluated period newest
 * first in evaluatedDatapoints, filled or unknown periods with a timestamp
 * only. */
static int
build_reason_data(const struct sw_rule *r, const struct slot *s, int range,
                  time_t start, time_t query_time, char **out)
{
    struct sw_buf b;
    char when[SW_TIME_BUF];
    int rc, first;

    *out = NULL;
    sw_buf_init(&b, REASON_DATA_CAP);
    rc = sw_buf_addf(&b, "{\"version\":\"1.0\",\"queryDate\":\"%s\"",
                     sw_time_cw(query_time, when));
    for (int i = 0; rc == 0 && i < range; i++) {
        if (s[i].used && s[i].kind != SLOT_MISSING) {
            rc = sw_buf_addf(&b, ",\"startDate\":\"%s\"",
                             sw_time_cw(s[i].p->ts, when));
            break;
        }
    }
    if (rc == 0 && r->unit) {
        rc = sw_buf_adds(&b, ",\"unit\":");
        if (rc == 0)
            rc = add_json_str(&b, r->unit);
    }
    if (rc == 0)
        rc = sw_buf_adds(&b, ",\"statistic\":");
    if (rc == 0)
        rc = add_json_str(&b, r->stat ? r->stat : "");
    if (rc == 0)
        rc = sw_buf_addf(&b, ",\"period\":%d,\"recentDatapoints\":[",
                         r->period_s);
    first = 1;
    for (int i = 0; rc == 0 && i < range; i++) {
        if (!s[i].used || s[i].kind == SLOT_MISSING)
            continue;
        if (!first)
            rc = sw_buf_addc(&b, ',');
        if (rc == 0)
            rc = add_num(&b, s[i].p->value);
        first = 0;
    }
    if (rc == 0)
        rc = sw_buf_adds(&b, "],\"threshold\":");
    if (rc == 0)
        rc = add_num(&b, r->threshold);
    if (rc == 0)
        rc = sw_buf_adds(&b, ",\"evaluatedDatapoints\":[");
    first = 1;
    for (int i = range - 1; rc == 0 && i >= 0; i--) {
        time_t ts = start + (time_t)i * r->period_s;
        if (!s[i].used)
            continue;
        if (!first)
            rc = sw_buf_addc(&b, ',');
        if (rc == 0)
            rc = sw_buf_addf(&b, "{\"timestamp\":\"%s\"", sw_time_cw(ts, when));
        if (rc == 0 && s[i].kind != SLOT_MISSING) {
            if (s[i].p->sample_count >= 0) {
                rc = sw_buf_adds(&b, ",\"sampleCount\":");
                if (rc == 0)
                    rc = add_num(&b, s[i].p->sample_count);
            }
            if (rc == 0)
                rc = sw_buf_adds(&b, ",\"value\":");
            if (rc == 0)
                rc = add_num(&b, s[i].p->value);
        }
        if (rc == 0)
            rc = sw_buf_addc(&b, '}');
        first = 0;
    }
    if (rc == 0)
        rc = sw_buf_adds(&b, "]}");
    if (rc < 0)
        goto out;
    *out = sw_buf_steal(&b, NULL);
    rc = *out ? 0 : SW_ENOMEM;
out:
    sw_buf_release(&b);
    return rc;
}

static int
eval_range(const struct sw_rule *r)
{
    int range = sw_rule_eval_range(r);

    return range < r->evaluation_periods ? r->evaluation_periods : range;
}

void
sw_eval_window(const struct sw_rule *r, time_t now, time_t *start, time_t *end)
{
    time_t p = r->period_s > 0 ? r->period_s : 60;
    time_t q = now / p;

    if (now % p < 0) /* floor, not truncation, before the epoch */
        q--;
    *end = q * p;
    *start = *end - (time_t)eval_range(r) * p;
}

int
sw_eval(const struct sw_rule *r, const struct sw_datapoint *points, size_t n,
        time_t end, enum sw_state prev, time_t query_time,
        struct sw_eval_result *out)
{
    struct slot *slots = NULL;
    struct decision d;
    time_t start;
    int range, rc = SW_EINVAL;
    size_t k;

    memset(out, 0, sizeof(*out));
    if (!r || (n && !points) || r->period_s <= 0 || r->evaluation_periods < 1 ||
        r->datapoints_to_alarm < 1 ||
        r->datapoints_to_alarm > r->evaluation_periods)
        goto out;
    range = eval_range(r);
    if (range > SW_EVAL_MAX_RANGE)
        goto out;
    start = end - (time_t)range * r->period_s;

    rc = SW_ENOMEM;
    slots = calloc((size_t)range, sizeof(*slots));
    if (!slots)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct sw_datapoint *p = &points[i];
        size_t idx;
        if (p->ts < start || p->ts >= end)
            continue;
        idx = (size_t)((p->ts - start) / r->period_s);
        slots[idx].p = p;
        slots[idx].kind = sw_cmp_breaches(r->cmp, p->value, r->threshold)
                              ? SLOT_BREACH
                              : SLOT_OK;
    }

    decide(r, slots, range, prev, &d);
    out->state = d.state;
    out->changed = d.state != prev;
    out->retained = d.outcome == OUT_RETAINED;
    out->filled = d.nfill;

    if (d.nreal > 0) {
        out->evaluated = calloc((size_t)d.nreal, sizeof(*out->evaluated));
        if (!out->evaluated)
            goto out;
    }
    k = 0;
    for (int i = range - 1; i >= 0; i--)
        if (slots[i].used && slots[i].kind != SLOT_MISSING)
            out->evaluated[k++] = *slots[i].p;
    out->nevaluated = k;

    rc = build_reason(r, slots, range, &d, &out->reason);
    if (rc < 0)
        goto out;
    rc = build_reason_data(r, slots, range, start, query_time,
                           &out->reason_data);
out:
    free(slots);
    if (rc < 0)
        sw_eval_result_release(out);
    return rc;
}

void
sw_eval_result_release(struct sw_eval_result *res)
{
    if (!res)
        return;
    free(res->reason);
    free(res->reason_data);
    free(res->evaluated);
    memset(res, 0, sizeof(*res));
}
