/* rules/eval.c - CloudWatch alarm evaluation; see eval.h. */
#include "config.h"

#include "rules/eval.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"

/* One rendered list item: "1.2345678901234567E-100 (25/11/26 10:04:00)"
 * or a whole evaluatedDatapoints entry, both well under this. */
#define ITEM_MAX 192

/* Percentile digits after the point that the low-sample test reads;
 * 10^(12 + 3) still fits a double's 53 bits exactly. */
#define PCT_DECIMALS 12

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
    int low;                      /* used real point with too few samples */
};

/* What the decision needs the reason and reason data to say. */
enum outcome {
    OUT_THRESHOLD,    /* a state decided from (real and filled) points */
    OUT_INSUFFICIENT, /* no data at all under `missing` */
    OUT_RETAINED,     /* `ignore` kept the previous state */
    OUT_LOW_SAMPLE,   /* a thin percentile point kept the previous state */
};

struct decision {
    enum outcome outcome;
    enum sw_state state;
    int nreal;       /* real points evaluated */
    int nbreach;     /* of those, breaching */
    int nfill;       /* missing points filled */
    int fill_breach; /* fills count as breaching */
    int nlow;        /* used real points with too few samples */
};

/* Which used real points a reason's bracketed list shows. */
enum list_kind {
    LIST_BREACH,
    LIST_OK,
    LIST_LOW,
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

/* "12.0 (25/11/26 10:04:00)" into OUT; returns the length or < 0. */
static int
fmt_point(char *out, size_t size, const struct sw_datapoint *p)
{
    char num[64], when[SW_TIME_BUF];
    int n = sw_format_double(num, sizeof(num), p->value);

    if (n < 0)
        return n;
    n = snprintf(out, size, "%s (%s)", num, sw_time_reason(p->ts, when));
    if (n < 0 || (size_t)n >= size)
        return SW_ETOOBIG;
    return n;
}

static int
in_list(const struct slot *s, enum list_kind kind)
{
    if (!s->used || s->kind == SLOT_MISSING)
        return 0;
    switch (kind) {
    case LIST_BREACH: return s->kind == SLOT_BREACH;
    case LIST_OK: return s->kind == SLOT_OK;
    case LIST_LOW: return s->low;
    }
    return 0;
}

/* The bracketed list of used real points of KIND, newest first, in at most
 * ROOM bytes.  When the whole list does not fit it keeps the newest points
 * that do and ends in ", ...]" ("[...]" when none fits): the reason is cut
 * inside the list so that its counts and wording stay whole (see
 * "Length limits" in eval.h).  ROOM is at least 5, the size of "[...]". */
static int
add_list(struct sw_buf *b, const struct slot *s, size_t nslots,
         enum list_kind kind, size_t room)
{
    static const char more[] = ", ...]";
    char item[ITEM_MAX];
    size_t full = 1, used = 1;
    int r, first = 1, n;

    /* Measure first: a list that fits is never cut. */
    for (size_t i = nslots; i-- > 0;) {
        if (!in_list(&s[i], kind))
            continue;
        n = fmt_point(item, sizeof(item), s[i].p);
        if (n < 0)
            return n;
        full += (size_t)n + (full > 1 ? 2 : 0);
    }
    full += 1;

    r = sw_buf_addc(b, '[');
    for (size_t i = nslots; r == 0 && i-- > 0;) {
        size_t need;
        if (!in_list(&s[i], kind))
            continue;
        n = fmt_point(item, sizeof(item), s[i].p);
        if (n < 0)
            return n;
        need = (size_t)n + (first ? 0 : 2);
        if (full > room && used + need + sizeof(more) - 1 > room) {
            /* "[" + "..." + "]" when not even the newest point fits. */
            return sw_buf_adds(b, first ? "...]" : more);
        }
        if (!first)
            r = sw_buf_adds(b, ", ");
        if (r == 0)
            r = sw_buf_add(b, item, (size_t)n);
        used += need;
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

/* Decide the state: docs/cloudwatch-alarms.md sections 4-6, in order.  Marks
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
        /* Premature-alarm rule (docs/cloudwatch-alarms.md section 6): ALARM
         * when the oldest breaching point among the last N periods is at least
         * M periods old and everything newer is breaching or missing. Requiring
         * all real points to breach is inferred from table 2 row 3. */
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

/* The parts of a reason around its datapoint list. */
/* EvaluateLowSampleCountPercentile = ignore: a used real point with too
 * few samples keeps the previous state (eval.h, "Percentiles with low
 * sample counts"); it overrides every other outcome that used real
 * points.  Missing and filled periods have no sample count. */
static void
check_low_samples(const struct sw_rule *r, struct slot *s, int range,
                  enum sw_state prev, struct decision *d)
{
    int nlow = 0;

    if (!sw_eval_min_samples(r->stat))
        return;
    for (int i = 0; i < range; i++) {
        if (!s[i].used || s[i].kind == SLOT_MISSING)
            continue;
        s[i].low = sw_eval_low_sample(r->stat, s[i].p->sample_count);
        nlow += s[i].low;
    }
    if (nlow == 0)
        return;
    d->outcome = OUT_LOW_SAMPLE;
    d->state = prev;
    d->nlow = nlow;
}

static int
reason_text(const struct sw_rule *r, const struct decision *d,
            struct sw_buf *pre, struct sw_buf *post, int *list,
            enum list_kind *kind)
{
    int n = r->evaluation_periods, m = r->datapoints_to_alarm, rc;
    int alarm = d->state == SW_STATE_ALARM;
    /* The points that support the new state, and how many there are. */
    int k = alarm ? d->nbreach : d->nreal - d->nbreach;
    int window = d->nreal + d->nfill;
    int minimum = alarm ? m : n - m + 1;
    const char *trans = alarm ? "OK -> ALARM" : "ALARM -> OK";
    const char *treated = d->fill_breach ? "Breaching" : "NonBreaching";
    char thr[64];

    *list = 0;
    rc = sw_format_double(thr, sizeof(thr), r->threshold);
    if (rc < 0)
        return rc;

    if (d->outcome == OUT_INSUFFICIENT)
        return sw_buf_addf(pre, "Insufficient Data: %d datapoint%s %s unknown.",
                           n, plural(n), was_were(n));
    if (d->outcome == OUT_LOW_SAMPLE) {
        *list = 1;
        *kind = LIST_LOW;
        rc = sw_buf_addf(pre,
                         "Low sample count: %d out of the last %d "
                         "datapoints ",
                         d->nlow, window);
        if (rc == 0)
            rc = sw_buf_addf(post,
                             " had fewer than the %llu samples %s needs to "
                             "be statistically significant; the current "
                             "state was kept.",
                             sw_eval_min_samples(r->stat), r->stat);
        return rc;
    }
    if (d->outcome == OUT_RETAINED) {
        if (d->nreal == 0)
            rc = sw_buf_addf(pre,
                             "Missing data ignored: no datapoints were "
                             "received for %d period%s; ",
                             n, plural(n));
        else
            rc = sw_buf_addf(pre,
                             "Missing data ignored: %d datapoint%s %s "
                             "received for %d period%s; ",
                             d->nreal, plural(d->nreal), was_were(d->nreal), n,
                             plural(n));
        if (rc == 0)
            rc = sw_buf_adds(pre, "the current state was kept.");
        return rc;
    }
    if (d->nfill > 0 && k == 0) {
        /* The new state comes from the filled points alone. */
        if (d->nreal == 0)
            rc = sw_buf_adds(pre, "Threshold Crossed: no datapoints were ");
        else
            rc = sw_buf_addf(pre, "Threshold Crossed: %d datapoint%s %s ",
                             d->nreal, plural(d->nreal), was_were(d->nreal));
        if (rc == 0)
            rc = sw_buf_addf(pre,
                             "received for %d period%s and %d missing "
                             "datapoint%s %s treated as [%s].",
                             window, plural(window), d->nfill, plural(d->nfill),
                             was_were(d->nfill), treated);
        return rc;
    }
    *list = 1;
    if (k == 0) {
        /* OK only because fewer than M real points exist, all breaching
         * (`- - - - X` with M = 3): say so rather than list nothing. */
        *kind = LIST_BREACH;
        rc = sw_buf_addf(pre,
                         "Threshold Crossed: %d out of the last %d "
                         "datapoints ",
                         d->nbreach, window);
        if (rc == 0)
            rc = sw_buf_addf(post,
                             " %s %s the threshold (%s), fewer than the "
                             "minimum %d datapoint%s for OK -> ALARM "
                             "transition.",
                             was_were(d->nbreach), op_phrase(r->cmp), thr, m,
                             plural(m));
        return rc;
    }
    *kind = alarm ? LIST_BREACH : LIST_OK;
    /* Without DatapointsToAlarm CloudWatch words it shorter and says
     * nothing of a minimum (recorded: "Threshold Crossed: 1 datapoint
     * [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0).",
     * docs/cloudwatch-alarms.md section 8). */
    if (!r->datapoints_to_alarm_set)
        rc = sw_buf_addf(pre, "Threshold Crossed: %d datapoint%s ", k,
                         plural(k));
    else
        rc = sw_buf_addf(pre,
                         "Threshold Crossed: %d out of the last %d "
                         "datapoints ",
                         k, window);
    if (rc == 0)
        rc = sw_buf_addf(post, " %s %s%s the threshold (%s)", was_were(k),
                         alarm ? "" : "not ", op_phrase(r->cmp), thr);
    if (rc == 0 && d->nfill > 0)
        rc = sw_buf_addf(post,
                         " and %d missing datapoint%s %s treated as "
                         "[%s]",
                         d->nfill, plural(d->nfill), was_were(d->nfill),
                         treated);
    if (rc == 0 && !r->datapoints_to_alarm_set)
        rc = sw_buf_adds(post, ".");
    else if (rc == 0)
        rc = sw_buf_addf(post,
                         " (minimum %d datapoint%s for %s "
                         "transition).",
                         minimum, plural(minimum), trans);
    return rc;
}

static int
build_reason(const struct sw_rule *r, const struct slot *s, int range,
             const struct decision *d, char **out)
{
    struct sw_buf b, post;
    enum list_kind kind = LIST_BREACH;
    int rc, list;

    *out = NULL;
    sw_buf_init(&b, SW_EVAL_REASON_MAX);
    sw_buf_init(&post, SW_EVAL_REASON_MAX);
    rc = reason_text(r, d, &b, &post, &list, &kind);
    if (rc < 0)
        goto out;
    if (list) {
        /* Everything but the list is a few hundred characters at most
         * (counts, one threshold, the statistic), so there is always room
         * for at least "[...]". */
        size_t fixed = b.len + post.len;
        rc = SW_ETOOBIG;
        if (fixed + 5 > SW_EVAL_REASON_MAX)
            goto out;
        rc = add_list(&b, s, (size_t)range, kind, SW_EVAL_REASON_MAX - fixed);
        if (rc == 0)
            rc = sw_buf_add(&b, post.data, post.len);
        if (rc < 0)
            goto out;
    }
    *out = sw_buf_steal(&b, NULL);
    rc = *out ? 0 : SW_ENOMEM;
out:
    sw_buf_release(&b);
    sw_buf_release(&post);
    return rc;
}

/* One evaluatedDatapoints entry for slot S of period TS into OUT. */
static int
fmt_evaluated(char *out, size_t size, const struct slot *s, time_t ts)
{
    char when[SW_TIME_BUF], num[64], cnt[64];
    int n;

    if (s->kind == SLOT_MISSING) {
        n = snprintf(out, size, "{\"timestamp\":\"%s\"}", sw_time_cw(ts, when));
    } else {
        n = sw_format_double(num, sizeof(num), s->p->value);
        if (n < 0)
            return n;
        if (s->p->sample_count >= 0) {
            n = sw_format_double(cnt, sizeof(cnt), s->p->sample_count);
            if (n < 0)
                return n;
            n = snprintf(out, size,
                         "{\"timestamp\":\"%s\",\"sampleCount\":%s,"
                         "\"value\":%s}",
                         sw_time_cw(ts, when), cnt, num);
        } else {
            n = snprintf(out, size, "{\"timestamp\":\"%s\",\"value\":%s}",
                         sw_time_cw(ts, when), num);
        }
    }
    if (n < 0 || (size_t)n >= size)
        return SW_ETOOBIG;
    return n;
}

/* StateReasonData as CloudWatch writes it (docs/cloudwatch-alarms.md,
 * section 9): real evaluated values oldest first in recentDatapoints, every
 * evaluated period newest first in evaluatedDatapoints, filled or unknown
 * periods with a timestamp only.  Both arrays are cut to fit
 * SW_EVAL_REASON_DATA_MAX as eval.h's "Length limits" says. */
static int
build_reason_data(const struct sw_rule *r, const struct slot *s, int range,
                  time_t start, time_t query_time, char **out)
{
    struct sw_buf b;
    char when[SW_TIME_BUF], item[ITEM_MAX], thr[64], mid[128];
    size_t room, used;
    int rc, first, from, n, nmid;

    *out = NULL;
    sw_buf_init(&b, SW_EVAL_REASON_DATA_MAX);
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
    if (rc < 0)
        goto out;
    rc = sw_format_double(thr, sizeof(thr), r->threshold);
    if (rc < 0)
        goto out;
    nmid = snprintf(mid, sizeof(mid),
                    "],\"threshold\":%s,\"evaluatedDatapoints\":[", thr);
    rc = SW_ETOOBIG;
    if (nmid < 0 || (size_t)nmid >= sizeof(mid) ||
        b.len + (size_t)nmid + 2 > SW_EVAL_REASON_DATA_MAX)
        goto out;
    room = SW_EVAL_REASON_DATA_MAX - b.len - (size_t)nmid - 2;

    /* recentDatapoints: the newest values that fit, oldest first. */
    used = 0;
    from = range;
    for (int i = range - 1; i >= 0; i--) {
        size_t need;
        if (!s[i].used || s[i].kind == SLOT_MISSING)
            continue;
        n = sw_format_double(item, sizeof(item), s[i].p->value);
        if (n < 0) {
            rc = n;
            goto out;
        }
        need = (size_t)n + (used ? 1 : 0);
        if (used + need > room)
            break;
        used += need;
        from = i;
    }
    rc = 0;
    first = 1;
    for (int i = from; rc == 0 && i < range; i++) {
        if (!s[i].used || s[i].kind == SLOT_MISSING)
            continue;
        if (!first)
            rc = sw_buf_addc(&b, ',');
        if (rc == 0)
            rc = add_num(&b, s[i].p->value);
        first = 0;
    }
    if (rc == 0)
        rc = sw_buf_add(&b, mid, (size_t)nmid);
    if (rc < 0)
        goto out;
    room -= used;

    /* evaluatedDatapoints: whole entries, newest first, while they fit. */
    first = 1;
    for (int i = range - 1; rc == 0 && i >= 0; i--) {
        size_t need;
        if (!s[i].used)
            continue;
        n = fmt_evaluated(item, sizeof(item), &s[i],
                          start + (time_t)i * r->period_s);
        if (n < 0) {
            rc = n;
            goto out;
        }
        need = (size_t)n + (first ? 0 : 1);
        if (need > room)
            break;
        if (!first)
            rc = sw_buf_addc(&b, ',');
        if (rc == 0)
            rc = sw_buf_add(&b, item, (size_t)n);
        room -= need;
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
        r->datapoints_to_alarm > r->evaluation_periods ||
        !isfinite(r->threshold))
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
        if (p->ts < start || p->ts >= end || !isfinite(p->value))
            continue;
        idx = (size_t)((p->ts - start) / r->period_s);
        slots[idx].p = p;
        slots[idx].kind = sw_cmp_breaches(r->cmp, p->value, r->threshold)
                              ? SLOT_BREACH
                              : SLOT_OK;
    }

    decide(r, slots, range, prev, &d);
    if (r->low_sample_ignore)
        check_low_samples(r, slots, range, prev, &d);
    out->state = d.state;
    out->changed = d.state != prev;
    out->retained = d.outcome == OUT_RETAINED || d.outcome == OUT_LOW_SAMPLE;
    out->filled = d.nfill;
    out->low_samples = d.nlow;

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

/* A percentile statistic as the fraction NUM / DEN of 100: "p99.9" is
 * 999 / 10.  Returns 0, or SW_EINVAL when STAT is not a percentile (or
 * leading zeros would overflow NUM).  Digits past
 * PCT_DECIMALS are dropped; they cannot move a threshold by one sample. */
static int
parse_pct(const char *stat, uint64_t *num, uint64_t *den)
{
    const char *p;
    int decimals = -1;

    if (!sw_stat_is_percentile(stat))
        return SW_EINVAL;
    *num = 0;
    *den = 1;
    for (p = stat + 1; *p; p++) {
        if (*p == '.') {
            decimals = 0;
            continue;
        }
        if (decimals >= PCT_DECIMALS)
            continue;
        *num = *num * 10 + (uint64_t)(*p - '0');
        if (decimals >= 0) {
            decimals++;
            *den *= 10;
        }
        /* sw_stat_is_percentile() capped the value at 100, but leading
         * zeros ("p0000000000000000099") could still overflow. */
        if (*num > 100 * *den)
            return SW_EINVAL;
    }
    return 0;
}

unsigned long long
sw_eval_min_samples(const char *stat)
{
    uint64_t num, den, lim, rest;

    if (parse_pct(stat, &num, &den) < 0)
        return 0;
    if (num == 0 || num == 100 * den)
        return 0; /* p0 and p100: see eval.h */
    /* p = num / (100 den).  p >= 0.5: count < 10 / (1 - p) = 1000 den /
     * (100 den - num); else count < 10 / p = 1000 den / num.  The least
     * count that is not fewer is the ceiling. */
    lim = 1000 * den;
    rest = 2 * num >= 100 * den ? 100 * den - num : num;
    return (unsigned long long)((lim + rest - 1) / rest);
}

int
sw_eval_low_sample(const char *stat, double sample_count)
{
    uint64_t num, den, rest;

    if (!(sample_count >= 0)) /* unknown (-1) or NaN: enough */
        return 0;
    if (!sw_eval_min_samples(stat) || parse_pct(stat, &num, &den) < 0)
        return 0;
    rest = 2 * num >= 100 * den ? 100 * den - num : num;
    /* count * rest < 1000 den; both products stay below 2^53 near the
     * limit, where exactness matters (rest <= 10^14, 1000 den <= 10^15). */
    return sample_count * (double)rest < (double)(1000 * den);
}

int
sw_eval_cadence_s(const struct sw_rule *r)
{
    if (!r || r->period_s <= 0)
        return 60;
    if ((long long)r->period_s * r->evaluation_periods > 86400)
        return 3600;
    return r->period_s < 60 ? 10 : 60;
}

/* floor(t / c) * c, also for t < 0. */
static time_t
grid_floor(time_t t, time_t c)
{
    time_t q = t / c;

    if (t % c < 0)
        q--;
    return q * c;
}

int
sw_eval_due(const struct sw_rule *r, time_t last_evaluated, time_t now)
{
    time_t c = sw_eval_cadence_s(r), slot;

    if (last_evaluated <= 0)
        return 1;
    slot = grid_floor(last_evaluated, c);
    if (now < slot)
        return 1; /* the wall clock was stepped back */
    return now >= slot + c;
}
