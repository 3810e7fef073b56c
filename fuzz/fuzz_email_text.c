/* fuzz/fuzz_email_text.c - the e-mail an alarm event becomes: the record
 * (notifiers/message), its subject and text (notifiers/email_text) and
 * the MIME message (notifiers/email: sw_email_render(), which the e-mail
 * notifier sends), from an event whose names, reason, reason data JSON,
 * description, region, account, states and times come from the input.
 *
 * Input: 16 header bytes (missing ones read as 0), then NUL-separated
 * strings: the alarm name, description, reason, reason data, region,
 * account id, metric name (metric math: the expression), namespace, a
 * dimension's name and value (also a label), unit, stream, action names
 * (comma-separated) and metric ids (comma-separated, metric math).
 *   h0, h1  old and new state (% 3)     h2  flags, see F_* below
 *   h3      repeat (the reminder's number, 0: a state change)
 *   h4      comparison (% 4), missing data treatment (>> 2, % 4), bit
 *           4: the actions are also the INSUFFICIENT_DATA actions
 *   h5      statistic, h6 period, h7 N (1 + b % 100), h8 M (1 + b % N)
 *   h9      the state change time (TIMES), h10-h11 minutes added
 *   h12     threshold (THRESHOLDS)
 *   h13     dimensions and labels (% 4); bit 7: a configuration time in
 *           the context, bit 6: with milliseconds
 *   h14     the time the message is sent (NOW)
 * With F_RAW the rest of the input is instead a JSON record of its own,
 * as a forged or damaged outbox file would hold.
 *
 * Checked: a record is made and is one (sw_message_check()); its subject
 * is at most SW_MESSAGE_SUBJECT_MAX_CHARS characters of UTF-8 without
 * control characters; its text is UTF-8, has no control character but
 * "\n" and no line over SW_EMAIL_TEXT_LINE_MAX octets; the record written
 * to an outbox entry and read back renders the same subject and text (a
 * notification retried after a restart mails what the first attempt
 * did); the message is ASCII with CRLF line ends, lines of at most 78
 * characters, none starting with '.', and its Subject header and
 * quoted-printable body decode to exactly that subject and text. */
#include "config.h"

#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agent/conf.h"
#include "lib/buf.h"
#include "lib/strv.h"
#include "lib/utf8.h"
#include "notifiers/email.h"
#include "notifiers/email_text.h"
#include "notifiers/message.h"
#include "notifiers/mime.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A check that does not hold: say which before the crash, since abort()s
 * of an optimised build share one address. */
#define FAIL() fail(__LINE__)
static void fail(int line) __attribute__((noreturn));

static void
fail(int line)
{
    fprintf(stderr, "fuzz_email_text.c:%d: check failed\n", line);
    abort();
}

#define HEADER 16
#define NSTR   14

enum {
    F_NO_DESCRIPTION = 1,
    F_NO_REGION = 2,
    F_NO_ACCOUNT = 4,
    F_NO_REASON_DATA = 8,
    F_MATH = 16,
    F_NO_WINDOW = 32,
    F_RAW = 64,
    F_LOW_SAMPLE = 128,
};

enum {
    S_NAME,
    S_DESCRIPTION,
    S_REASON,
    S_REASON_DATA,
    S_REGION,
    S_ACCOUNT,
    S_METRIC,
    S_NAMESPACE,
    S_DIM_NAME,
    S_DIM_VALUE,
    S_UNIT,
    S_STREAM,
    S_ACTIONS,
    S_IDS,
};

static const char *const STATS[] = {
    "Sum",   "Average", "Minimum", "Maximum", "SampleCount", "p99",
    "p99.9", "p0",      "p100",    "tm99",    "sum",         ""};
#define NSTATS (sizeof(STATS) / sizeof(STATS[0]))
static const int PERIODS[] = {60, 10, 20, 30, 300, 3600, 86400};
#define NPERIODS (sizeof(PERIODS) / sizeof(PERIODS[0]))
static const time_t TIMES[] = {1764151200,
                               0,
                               -1,
                               253402300799LL,
                               253402300800LL,
                               -62135596800LL,
                               -62135596801LL,
                               (time_t)1 << 40,
                               INT64_MAX,
                               INT64_MIN};
#define NTIMES (sizeof(TIMES) / sizeof(TIMES[0]))
/* The agent's clock when it sends: the real one or --now (RFC 3339). */
static const time_t NOW[] = {1764151260, 0, 253402300799LL};
#define NNOW (sizeof(NOW) / sizeof(NOW[0]))
static const double THRESHOLDS[] = {100,    0,      -0.0,    0.1,       1e308,
                                    -1e308, 1e-300, DBL_MAX, 12345.678, -5};
#define NTHRESHOLDS (sizeof(THRESHOLDS) / sizeof(THRESHOLDS[0]))

/* ---- checks ---- */

/* S is UTF-8 with no control character but (with LINES) "\n", and no
 * line longer than MAX octets. */
static void
check_clean(const char *s, int lines, size_t max)
{
    size_t n = strlen(s), i = 0, line = 0;

    while (i < n) {
        uint32_t cp;
        size_t len = sw_utf8_seq(s + i, n - i, &cp);

        if (len == 0)
            FAIL();
        if (cp == '\n' && lines) {
            line = 0;
            i++;
            continue;
        }
        if (sw_message_is_ctl(cp))
            FAIL();
        line += len;
        if (line > max)
            FAIL();
        i += len;
    }
}

static int
b64_value(char c)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tab, c) : NULL;

    return p ? (int)(p - tab) : -1;
}

/* Append the base64 text S (N bytes, padded) decoded to OUT. */
static void
b64_decode(const char *s, size_t n, struct sw_buf *out)
{
    if (n % 4 != 0)
        FAIL();
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        uint32_t w;

        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64_value(s[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
            FAIL();
        w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
            (uint32_t)v[3];
        if (sw_buf_addc(out, (char)(w >> 16)) < 0)
            FAIL();
        if (s[i + 2] != '=' && sw_buf_addc(out, (char)(w >> 8)) < 0)
            FAIL();
        if (s[i + 3] != '=' && sw_buf_addc(out, (char)w) < 0)
            FAIL();
    }
}

/* The Subject header's value of the message M (LEN bytes), unfolded and
 * its encoded-words decoded, into OUT. */
static void
decode_subject(const char *m, size_t len, struct sw_buf *out)
{
    const char *p = NULL, *end = m + len;
    struct sw_buf raw;
    int encoded;

    for (const char *l = m; l < end;) {
        const char *eol = memchr(l, '\r', (size_t)(end - l));

        if (!eol || eol == l)
            FAIL(); /* no Subject before the body */
        if ((size_t)(eol - l) >= 8 && memcmp(l, "Subject:", 8) == 0) {
            p = l + 8;
            break;
        }
        l = eol + 2;
    }
    if (!p)
        FAIL();
    /* Unfold: a CRLF followed by a space belongs to the value. */
    sw_buf_init(&raw, len);
    for (;;) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));

        if (!eol || sw_buf_add(&raw, p, (size_t)(eol - p)) < 0)
            FAIL();
        p = eol + 2;
        if (p >= end || *p != ' ')
            break;
    }
    encoded = raw.len >= 11 && memcmp(raw.data, " =?UTF-8?B?", 11) == 0;
    if (!encoded) {
        /* " value" with the folds' spaces where they were */
        if (raw.len && (raw.data[0] != ' ' ||
                        sw_buf_add(out, raw.data + 1, raw.len - 1) < 0))
            FAIL();
        sw_buf_release(&raw);
        return;
    }
    /* " =?UTF-8?B?...?=" words, the space between two of them not part
     * of the text (RFC 2047 6.2). */
    for (size_t i = 0; i < raw.len;) {
        const char *w = raw.data + i, *q;

        if (raw.len - i < 11 || memcmp(w, " =?UTF-8?B?", 11) != 0)
            FAIL();
        q = strstr(w + 11, "?=");
        if (!q)
            FAIL();
        b64_decode(w + 11, (size_t)(q - (w + 11)), out);
        i = (size_t)(q + 2 - raw.data);
    }
    sw_buf_release(&raw);
}

/* The body of M decoded from quoted-printable, "\r\n" as "\n". */
static void
decode_body(const char *m, size_t len, struct sw_buf *out)
{
    const char *b = NULL;

    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(m + i, "\r\n\r\n", 4) == 0) {
            b = m + i + 4;
            break;
        }
    if (!b)
        FAIL();
    for (const char *p = b, *end = m + len; p < end;) {
        char c = *p;

        if (c == '=' && end - p >= 3 && p[1] == '\r' && p[2] == '\n') {
            p += 3;
            continue;
        }
        if (c == '=') {
            char hex[3];
            if (end - p < 3)
                FAIL();
            hex[0] = p[1];
            hex[1] = p[2];
            hex[2] = '\0';
            c = (char)strtol(hex, NULL, 16);
            p += 3;
        } else if (c == '\r') {
            if (end - p < 2 || p[1] != '\n')
                FAIL();
            c = '\n';
            p += 2;
        } else {
            p++;
        }
        if (sw_buf_addc(out, c) < 0)
            FAIL();
    }
}

/* M: CRLF lines of printable ASCII, at most 78 characters, none starting
 * with '.', a header and a body. */
static void
check_message(const char *m, size_t len, const char *subject, const char *text)
{
    struct sw_buf got;

    if (len < 2 || strlen(m) != len || memcmp(m + len - 2, "\r\n", 2) != 0)
        FAIL();
    for (size_t i = 0; i < len;) {
        const char *eol = memchr(m + i, '\r', len - i);
        size_t n;

        if (!eol || (size_t)(eol - m) + 1 >= len || eol[1] != '\n')
            FAIL();
        n = (size_t)(eol - (m + i));
        if (n > 78 || (n > 0 && m[i] == '.'))
            FAIL();
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)m[i + k] > 0x7e ||
                ((unsigned char)m[i + k] < 0x20 && m[i + k] != '\t'))
                FAIL();
        i += n + 2;
    }
    sw_buf_init(&got, len + 1);
    decode_subject(m, len, &got);
    if (got.len != strlen(subject) || memcmp(got.data, subject, got.len) != 0)
        FAIL();
    sw_buf_release(&got);
    if (strlen(text) >= SW_MIME_MAX_BODY)
        return; /* cut, with a note */
    sw_buf_init(&got, len + 1);
    decode_body(m, len, &got);
    /* The builder ends the body with a line end when the text has none. */
    if (!(got.len == strlen(text) && memcmp(got.data, text, got.len) == 0) &&
        !(got.len == strlen(text) + 1 && got.data[got.len - 1] == '\n' &&
          memcmp(got.data, text, got.len - 1) == 0))
        FAIL();
    sw_buf_release(&got);
}

/* ---- the event ---- */

struct fields {
    const char *s[NSTR]; /* into a NUL-terminated copy of the input */
};

static void
add_dim(struct sw_dimension **d, size_t *n, const char *name, const char *value)
{
    struct sw_dimension *v = realloc(*d, (*n + 1) * sizeof(*v));

    if (!v)
        FAIL();
    *d = v;
    v[*n].name = strdup(name);
    v[*n].value = strdup(value);
    if (!v[*n].name || !v[*n].value)
        FAIL();
    (*n)++;
}

static void
push_list(struct sw_strv *sv, const char *list)
{
    const char *p = list;

    while (*p) {
        size_t n = strcspn(p, ",");
        char *one = strndup(p, n);

        if (!one || sw_strv_push(sv, one) < 0)
            FAIL();
        free(one);
        p += n;
        if (*p == ',')
            p++;
    }
}

/* IDS are metric ids agent/conf accepts: at least one, each valid and
 * each once. */
static int
ids_ok(const struct sw_strv *ids)
{
    if (ids->n == 0)
        return 0;
    for (size_t i = 0; i < ids->n; i++) {
        const char *id = ids->v[i];

        if (!sw_conf_metric_id_ok(id))
            return 0;
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids->v[k], id) == 0)
                return 0;
    }
    return 1;
}

/* A rule as agent/conf would build it from the header H and strings F. */
static struct sw_rule *
make_rule(const uint8_t *h, const struct fields *f)
{
    struct sw_rule *r = sw_rule_new();
    size_t ndims = h[13] % 4;

    if (!r)
        FAIL();
    r->name = strdup(f->s[S_NAME]);
    r->description = strdup(f->s[S_DESCRIPTION]);
    r->namespace_ = strdup(f->s[S_NAMESPACE]);
    r->stat = strdup(STATS[h[5] % NSTATS]);
    r->unit = f->s[S_UNIT][0] ? strdup(f->s[S_UNIT]) : NULL;
    if (!r->name || !r->description || !r->namespace_ || !r->stat ||
        (f->s[S_UNIT][0] && !r->unit))
        FAIL();
    r->period_s = PERIODS[h[6] % NPERIODS];
    /* As agent/conf allows them: 1 <= M <= N. */
    r->evaluation_periods = 1 + h[7] % 100;
    r->datapoints_to_alarm = 1 + h[8] % r->evaluation_periods;
    r->datapoints_to_alarm_set = h[8] & 0x80;
    r->cmp = (enum sw_cmp)(h[4] % 4);
    r->tmd = (enum sw_tmd)((h[4] >> 2) % 4);
    r->threshold = THRESHOLDS[h[12] % NTHRESHOLDS];
    r->low_sample_ignore = (h[2] & F_LOW_SAMPLE) != 0;
    push_list(&r->alarm_actions, f->s[S_ACTIONS]);
    push_list(&r->ok_actions, f->s[S_ACTIONS]);
    if (h[4] & 0x10)
        push_list(&r->insufficient_data_actions, f->s[S_ACTIONS]);
    for (size_t i = 0; i < ndims; i++)
        add_dim(&r->labels, &r->nlabels, f->s[S_DIM_NAME], f->s[S_DIM_VALUE]);
    if (f->s[S_STREAM][0]) {
        r->stream = strdup(f->s[S_STREAM]);
        r->template_name = strdup("fuzz-template");
        if (!r->stream || !r->template_name)
            FAIL();
    }
    if (!(h[2] & F_MATH)) {
        r->metric = strdup(f->s[S_METRIC]);
        if (!r->metric)
            FAIL();
        for (size_t i = 0; i < ndims; i++)
            add_dim(&r->dims, &r->ndims,
                    i == 0 ? "StreamName" : f->s[S_DIM_NAME],
                    f->s[S_DIM_VALUE]);
        return r;
    }
    /* Metric math: one metric per id, the expression as the text. */
    {
        struct sw_strv ids = {0};

        push_list(&ids, f->s[S_IDS]);
        if (!ids_ok(&ids)) {
            /* agent/conf refuses such ids */
            sw_strv_release(&ids);
            if (sw_strv_push(&ids, "m1") < 0)
                FAIL();
        }
        r->nmetrics = ids.n < SW_RULE_MAX_METRICS ? ids.n : SW_RULE_MAX_METRICS;
        r->metrics = calloc(r->nmetrics, sizeof(*r->metrics));
        r->expression = strdup(f->s[S_METRIC]);
        if (!r->metrics || !r->expression)
            FAIL();
        for (size_t i = 0; i < r->nmetrics; i++) {
            struct sw_metric_stat *m = &r->metrics[i];

            m->id = strdup(ids.v[i]);
            m->namespace_ = strdup(f->s[S_NAMESPACE]);
            m->metric = strdup(i % 2 ? "GetRecords.Records" : f->s[S_DIM_NAME]);
            m->stat = strdup(STATS[(h[5] + i) % NSTATS]);
            if (!m->id || !m->namespace_ || !m->metric || !m->stat)
                FAIL();
            if (i < ndims)
                add_dim(&m->dims, &m->ndims, "StreamName", f->s[S_DIM_VALUE]);
        }
        sw_strv_release(&ids);
    }
    return r;
}

/* REC through an outbox entry file and back, as the agent reloads it
 * after a restart.  Returns: the reloaded record (new reference). */
static json_t *
through_outbox(json_t *rec)
{
    static char id[] = "20261125T100541Z-0000000000000000001-1-0a0b0c0d";
    static char notifier[] = "mail";
    struct sw_outbox_entry e, *back = NULL;
    char *text, err[256];
    json_t *again;

    memset(&e, 0, sizeof(e));
    e.id = id;
    e.notifier = notifier;
    e.created = 1764151200;
    e.next_attempt = 1764151200;
    e.record = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!e.record)
        FAIL();
    text = sw_outbox_entry_format(&e);
    free(e.record);
    if (!text)
        FAIL();
    if (sw_outbox_entry_parse(text, strlen(text), e.id, &back, err,
                              sizeof(err)) < 0)
        FAIL();
    again = sw_outbox_entry_record(back);
    if (!again)
        FAIL();
    sw_outbox_entry_free(back);
    free(text);
    return again;
}

/* Everything the e-mail notifier makes of REC, checked. */
static void
render(json_t *rec, time_t now, int must_work)
{
    static char *const to[] = {"oncall@example.com", "backup@example.org"};
    char *subject = sw_message_subject(rec), *text = sw_email_text(rec);
    char *msg = NULL, err[256];
    size_t len = 0;
    int r;

    if (!subject || !text)
        FAIL();
    check_clean(subject, 0, (size_t)-1);
    if (sw_utf8_count(subject, strlen(subject)) > SW_MESSAGE_SUBJECT_MAX_CHARS)
        FAIL();
    check_clean(text, 1, SW_EMAIL_TEXT_LINE_MAX);
    if (json_is_object(rec)) {
        json_t *back = through_outbox(rec);
        char *s2 = sw_message_subject(back), *t2 = sw_email_text(back);

        if (!s2 || !t2 || strcmp(s2, subject) != 0 || strcmp(t2, text) != 0)
            FAIL();
        free(s2);
        free(t2);
        json_decref(back);
    }
    r = sw_email_render(rec, now, "streamwatch@example.com", to, 2, &msg, &len,
                        err, sizeof(err));
    if (r == 0)
        check_message(msg, len, subject, text);
    else if (must_work || sw_message_check(rec) == 0 || !err[0])
        FAIL();
    free(msg);
    free(subject);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct sw_message_arn arns[] = {
        {"ops", "arn:aws:sns:ap-northeast-1:123456789012:ops"}};
    uint8_t h[HEADER] = {0};
    struct sw_message_ctx ctx;
    struct sw_alarm_event ev;
    struct sw_rule *rule = NULL;
    struct fields f;
    json_t *rec;
    char *copy;
    size_t rest = size > HEADER ? size - HEADER : 0;

    memcpy(h, data, size < HEADER ? size : HEADER);
    if (h[2] & F_RAW) {
        /* A record as an outbox file may hold it: any JSON at all. */
        rec = json_loadb((const char *)data + (size - rest), rest, 0, NULL);
        if (rec)
            render(rec, NOW[h[14] % NNOW], 0);
        json_decref(rec);
        return 0;
    }
    copy = malloc(rest + 1);
    if (!copy)
        return 0;
    memcpy(copy, data + (size - rest), rest);
    copy[rest] = '\0';
    for (size_t i = 0, at = 0; i < NSTR; i++) {
        f.s[i] = copy + at;
        at += strlen(copy + at);
        if (at < rest)
            at++;
    }

    rule = make_rule(h, &f);
    memset(&ev, 0, sizeof(ev));
    ev.alarm_name = f.s[S_NAME];
    ev.description = h[2] & F_NO_DESCRIPTION ? NULL : f.s[S_DESCRIPTION];
    ev.old_state = (enum sw_state)(h[0] % 3);
    ev.new_state = (enum sw_state)(h[1] % 3);
    ev.reason = f.s[S_REASON];
    ev.reason_data = h[2] & F_NO_REASON_DATA ? NULL : f.s[S_REASON_DATA];
    ev.state_change_time = TIMES[h[9] % NTIMES];
    if (ev.state_change_time > 0 && ev.state_change_time < (time_t)1 << 40)
        ev.state_change_time += (time_t)(h[10] << 8 | h[11]) * 60;
    ev.window_end = h[2] & F_NO_WINDOW ? 0 : ev.state_change_time / 60 * 60;
    ev.region = h[2] & F_NO_REGION ? NULL : f.s[S_REGION];
    ev.account_id = h[2] & F_NO_ACCOUNT ? NULL : f.s[S_ACCOUNT];
    ev.repeat = h[3];
    ev.rule = rule;
    memset(&ctx, 0, sizeof(ctx));
    ctx.arns = arns;
    ctx.narns = 1;
    ctx.config_updated = h[13] & 0x80 ? 1764150000 : 0;
    ctx.config_updated_ms = h[13] & 0x40 ? 999 : 0;

    rec = sw_message_record(&ev, &ctx);
    if (!rec || sw_message_check(rec) != 0)
        FAIL();
    render(rec, NOW[h[14] % NNOW], 1);
    json_decref(rec);
    sw_rule_free(rule);
    free(copy);
    return 0;
}
