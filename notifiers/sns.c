/* notifiers/sns.c - SNS Publish through the dispatcher; see sns.h. */
#include "config.h"

#include "notifiers/sns.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/endpoint.h"
#include "aws/retry.h"
#include "aws/xml.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/message.h"

#define SNS_VERSION    "2010-03-31"
#define TOPIC_NAME_MAX 256 /* SNS topic names: 1-256 of [A-Za-z0-9_-] */
#define DATE_MAX       64  /* an IMF-fixdate is 29 bytes */
#define RID_MAX        128
#define LOG_NAME_MAX   160 /* alarm names as they appear in log lines */

struct sns_notifier {
    struct sw_notifier base; /* first: the interface */
    struct sw_aws *aws;      /* borrowed: the agent's client */
    char *topic_arn;
    int fifo;
};

/* What one Publish attempt owns until the dispatcher is done with it. */
struct sns_ctx {
    struct sw_query q; /* the body curl sends (CURLOPT_POSTFIELDS) */
    char *url;
    struct curl_slist *headers; /* signed; holds the session token */
    char date[DATE_MAX];        /* the reply's Date, for skew correction */
    char request_id[RID_MAX];
    char alarm[LOG_NAME_MAX]; /* cleaned for log lines */
};

/* ---- pure helpers ---- */

static int
topic_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* arn_region_ok - S (N bytes) is a region code as ARNs spell it: words of
 * lowercase letters joined by '-', at least two, then a number
 * ("us-east-1", "ap-northeast-1", "us-gov-west-1", "cn-north-1"), at most
 * SW_REGION_MAX characters. */
static int
arn_region_ok(const char *s, size_t n)
{
    size_t i = 0, words = 0;

    if (n == 0 || n > SW_REGION_MAX)
        return 0;
    for (;;) {
        size_t start = i;

        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        if (i == start)
            break;
        if (i >= n || s[i] != '-')
            return 0;
        i++;
        words++;
    }
    if (words < 2 || i >= n)
        return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int
sw_sns_arn_check(const char *arn, const char *region, const char *partition,
                 char *err, size_t errlen)
{
    const char *f[6], *p, *name, *own;
    char reg[SW_REGION_MAX + 1];
    size_t flen[6], n, namelen;
    int fifo = 0, k = 0;

    if (!arn || !*arn) {
        sw_err_set(err, errlen, "topic ARN is empty");
        return SW_EINVAL;
    }
    /* arn:PARTITION:sns:REGION:ACCOUNT:NAME - the name may not hold ':'. */
    p = arn;
    for (;;) {
        const char *c = strchr(p, ':');

        if (k == 6)
            goto bad;
        f[k] = p;
        flen[k] = c ? (size_t)(c - p) : strlen(p);
        k++;
        if (!c)
            break;
        p = c + 1;
    }
    if (k != 6 || flen[0] != 3 || memcmp(f[0], "arn", 3) != 0 || flen[2] != 3 ||
        memcmp(f[2], "sns", 3) != 0 || !arn_region_ok(f[3], flen[3]))
        goto bad;
    if (flen[4] != 12)
        goto bad;
    for (size_t i = 0; i < 12; i++)
        if (f[4][i] < '0' || f[4][i] > '9')
            goto bad;
    name = f[5];
    namelen = flen[5];
    if (namelen > 5 && memcmp(name + namelen - 5, ".fifo", 5) == 0) {
        fifo = 1;
        namelen -= 5;
    }
    if (namelen == 0 || flen[5] > TOPIC_NAME_MAX)
        goto bad;
    for (size_t i = 0; i < namelen; i++)
        if (!topic_char((unsigned char)name[i]))
            goto bad;
    /* The partition is the region's (aws, aws-cn, aws-us-gov, aws-iso,
     * aws-iso-b...; aws/endpoint.h knows which region is in which): an
     * ARN names both, and they cannot disagree. */
    memcpy(reg, f[3], flen[3]);
    reg[flen[3]] = '\0';
    own = sw_endpoint_partition(reg)->id;
    if (flen[1] != strlen(own) || memcmp(f[1], own, flen[1]) != 0) {
        sw_err_set(err, errlen,
                   "topic ARN is in partition '%.*s', but its region '%s' is "
                   "in partition '%s'",
                   (int)(flen[1] > 32 ? 32 : flen[1]), f[1], reg, own);
        return SW_EINVAL;
    }
    if (region) {
        n = strlen(region);
        if (n != flen[3] || memcmp(region, f[3], n) != 0) {
            sw_err_set(err, errlen,
                       "topic ARN is in region '%s', but the AWS region is "
                       "'%s' (requests are signed for that region)",
                       reg, region);
            return SW_EINVAL;
        }
    }
    if (partition) {
        n = strlen(partition);
        if (n != flen[1] || memcmp(partition, f[1], n) != 0) {
            sw_err_set(err, errlen,
                       "topic ARN is in partition '%.*s', but region '%s' "
                       "is in partition '%s'",
                       (int)flen[1], f[1], reg, partition);
            return SW_EINVAL;
        }
    }
    return fifo;
bad:
    sw_err_set(err, errlen,
               "invalid topic ARN: expected "
               "arn:<partition>:sns:<region>:<12-digit account>:<topic name>"
               "[.fifo]");
    return SW_EINVAL;
}

void
sw_sns_group_id(const char *alarm_name, char out[SW_SNS_MAX_ID + 1])
{
    const unsigned char *s =
        (const unsigned char *)(alarm_name ? alarm_name : "");
    size_t o = 0;

    /* SNS takes a-zA-Z0-9 and ASCII punctuation: printable ASCII but
     * space.  A replaced character is one '_' whatever its UTF-8 length,
     * and the mapping is fixed, so every agent derives the same group. */
    for (; *s && o < SW_SNS_MAX_ID; s++) {
        if (*s > 0x20 && *s < 0x7f)
            out[o++] = (char)*s;
        else if ((*s & 0xc0) != 0x80)
            out[o++] = '_';
    }
    out[o] = '\0';
    if (o == 0)
        sw_strlcpy(out, "alarm", SW_SNS_MAX_ID + 1);
}

/* SNS refuses the whole Publish for a subject with a line break or
 * another control character, or of 100 characters or more; message.c
 * builds subjects within that, and this keeps it a checked promise. */
static int
subject_ok(const char *s)
{
    size_t chars = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if ((*p & 0xc0) != 0x80)
            chars++;
    }
    return chars < 100;
}

int
sw_sns_publish_body(const char *topic_arn, int fifo, const json_t *rec,
                    const char *subject, struct sw_query *q, char *err,
                    size_t errlen)
{
    char *msg = NULL;
    size_t msglen = 0;
    int r;

    r = sw_query_init(q, "Publish", SNS_VERSION);
    if (r < 0)
        goto fail;
    if (sw_message_check(rec) < 0) {
        r = SW_EINVAL;
        sw_err_set(err, errlen, "not a notification record");
        goto out;
    }
    if (subject && *subject && !subject_ok(subject)) {
        r = SW_EINVAL;
        sw_err_set(err, errlen, "subject SNS would refuse");
        goto out;
    }
    r = sw_message_alarm_json(rec, SW_SNS_MAX_MESSAGE, &msg, &msglen);
    if (r == SW_ETOOBIG) {
        sw_err_set(err, errlen,
                   "alarm message does not fit in SNS's %d bytes even with "
                   "the reason cut",
                   SW_SNS_MAX_MESSAGE);
        goto out;
    }
    if (r < 0)
        goto fail;
    /* Member order as botocore serialises Publish's input shape. */
    sw_query_add(q, "TopicArn", topic_arn);
    sw_query_add_len(q, "Message", msg, msglen);
    if (subject && *subject)
        sw_query_add(q, "Subject", subject);
    if (fifo) {
        char group[SW_SNS_MAX_ID + 1], dedup[SW_DEDUP_ID_BUF];

        r = sw_notifier_dedup_id(rec, dedup);
        if (r < 0)
            goto fail;
        sw_sns_group_id(sw_message_alarm_str(rec, "AlarmName"), group);
        sw_query_add(q, "MessageDeduplicationId", dedup);
        sw_query_add(q, "MessageGroupId", group);
    }
    r = sw_query_error(q);
    if (r < 0)
        goto fail;
    goto out;
fail:
    sw_err_set(err, errlen, "cannot build the Publish request: %s",
               sw_strerror(r));
out:
    free(msg);
    return r;
}

int
sw_sns_reply_message_id(const char *body, size_t len, char *out, size_t outlen)
{
    struct sw_xml_node *root = NULL;
    const char *id;
    char xerr[128];
    size_t o = 0;
    int r = SW_EPARSE;

    if (outlen)
        out[0] = '\0';
    if (!body || len == 0 ||
        sw_xml_parse(body, len, &root, xerr, sizeof(xerr)) < 0)
        goto out;
    if (strcmp(root->name, "PublishResponse") != 0)
        goto out;
    id = sw_xml_text(root, "PublishResult/MessageId");
    if (!id || !*id)
        goto out;
    for (; *id && o + 1 < outlen; id++)
        if (*id > 0x20 && *id < 0x7f)
            out[o++] = *id;
    if (outlen)
        out[o] = '\0';
    r = 0;
out:
    sw_xml_free(root);
    return r;
}

/* An alarm name fit for a log line: control characters (a CR/LF in a
 * name must not forge a line) become '?'. */
static void
log_name(char *dst, size_t dstlen, const char *s)
{
    size_t o = 0;

    for (; s && *s && o + 1 < dstlen; s++)
        dst[o++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    dst[o] = '\0';
}

/* ---- the notifier ---- */

/* curl calls this for each reply header line; we keep Date (for the skew
 * check aws/client does) and the request id (for the log). */
static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    struct sns_ctx *c = arg;
    size_t n = size * nitems;
    const char *v;
    char *dst;
    size_t dstlen, vlen, namelen;
    const char *colon = memchr(buf, ':', n);

    if (!colon)
        return n;
    namelen = (size_t)(colon - buf);
    if (namelen == 4 && strncasecmp(buf, "date", 4) == 0) {
        dst = c->date;
        dstlen = sizeof(c->date);
    } else if (namelen == 16 && strncasecmp(buf, "x-amzn-requestid", 16) == 0) {
        dst = c->request_id;
        dstlen = sizeof(c->request_id);
    } else {
        return n;
    }
    v = colon + 1;
    vlen = n - namelen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (unsigned char)v[vlen - 1] <= 0x20)
        vlen--;
    if (vlen >= dstlen)
        vlen = dstlen - 1;
    for (size_t i = 0; i < vlen; i++)
        dst[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    dst[vlen] = '\0';
    return n;
}

static void
sns_ctx_free(void *ctx)
{
    struct sns_ctx *c = ctx;

    if (!c)
        return;
    sw_query_release(&c->q);
    sw_aws_headers_free(c->headers);
    free(c->url);
    free(c);
}

static int
sns_prepare(struct sw_notifier *n, const json_t *rec, time_t now, CURL *easy,
            void **ctx, char *err, size_t errlen)
{
    struct sns_notifier *sn = (struct sns_notifier *)n;
    struct sns_ctx *c;
    char *subject = NULL;
    CURLcode cc = CURLE_OK;
    int r;

    (void)now; /* the message carries its own StateChangeTime */
    *ctx = NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    *ctx = c;
    log_name(c->alarm, sizeof(c->alarm), sw_notifier_alarm_name(rec));
    subject = sw_message_subject(rec);
    if (!subject) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    r = sw_sns_publish_body(sn->topic_arn, sn->fifo, rec, subject, &c->q, err,
                            errlen);
    if (r < 0) {
        /* A record that can never become a valid Publish is dropped. */
        if (r == SW_ETOOBIG)
            r = SW_EINVAL;
        goto out;
    }
    r = sw_aws_prepare(sn->aws, SW_SVC_SNS, SW_PROTO_QUERY, "Publish",
                       sw_query_body(&c->q), sw_query_len(&c->q), &c->url,
                       &c->headers, err, errlen);
    if (r < 0) {
        /* Credentials that cannot be had now (a credential_process that
         * fails, a profile being edited) may be fixed before the record
         * expires: never let such an error read as permanent. */
        if (r == SW_EINVAL || r == SW_EPARSE)
            r = SW_ECREDS;
        /* A Publish that could not even be signed still counts as a
         * call that failed, as it does through sw_aws_call(). */
        sw_aws_report(sn->aws, "Publish",
                      r == SW_ECANCELED || r == SW_ENOMEM ? r : SW_ECREDS, 0);
        goto out;
    }
    cc |= curl_easy_setopt(easy, CURLOPT_URL, c->url);
    cc |= curl_easy_setopt(easy, CURLOPT_POST, 1L);
    cc |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, sw_query_body(&c->q));
    cc |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           (curl_off_t)sw_query_len(&c->q));
    cc |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->headers);
    cc |= curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
    cc |= curl_easy_setopt(easy, CURLOPT_HEADERDATA, c);
    if (cc != CURLE_OK) {
        r = SW_EINTERNAL;
        sw_err_set(err, errlen, "cannot set up the transfer");
        goto out;
    }
    r = 0;
out:
    free(subject);
    return r;
}

/* What sw_aws_call() would have returned for a Publish whose reply was
 * judged CLS (sw_aws_observe), for the client's observer. */
static int
publish_result(int cls, const struct sw_aws_error *e, long status)
{
    if (cls == SW_RETRY_SUCCESS)
        return 0;
    if (cls == SW_RETRY_THROTTLE)
        return SW_ETHROTTLED;
    if (sw_retry_is_auth_code(e->code) || status == 401)
        return SW_EAUTH;
    return status > 0 ? SW_EAWS : SW_EHTTP;
}

static int
sns_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
         const char *body, size_t body_len, char *err, size_t errlen)
{
    struct sns_notifier *sn = (struct sns_notifier *)n;
    struct sns_ctx *c = ctx;
    struct sw_aws_error e;
    char mid[128];
    int cls;

    if (cc != CURLE_OK) {
        sw_err_set(err, errlen, "publish to '%s': %s", sn->topic_arn,
                   curl_easy_strerror(cc));
        sw_aws_report(sn->aws, "Publish",
                      cc == CURLE_OPERATION_TIMEDOUT ? SW_ETIMEDOUT : SW_EHTTP,
                      0);
        return SW_DELIVERY_RETRY;
    }
    cls = sw_aws_observe(sn->aws, status, c->date[0] ? c->date : NULL, body,
                         body_len, SW_PROTO_QUERY, &e);
    /* One call each attempt: the outbox, not the client, retries it. */
    sw_aws_report(sn->aws, "Publish", publish_result(cls, &e, status), 0);
    if (cls == SW_RETRY_SUCCESS) {
        if (sw_sns_reply_message_id(body, body_len, mid, sizeof(mid)) < 0)
            sw_log_warn("sns: alarm '%s' published to '%s', but the reply "
                        "has no MessageId",
                        c->alarm, sn->topic_arn);
        else
            sw_log_info("sns: alarm '%s' published to '%s' as message %s",
                        c->alarm, sn->topic_arn, mid);
        return SW_DELIVERED;
    }
    if (e.code[0])
        sw_err_set(err, errlen, "publish to '%s': %s: %s (HTTP %ld%s%s)",
                   sn->topic_arn, e.code, e.message, status,
                   c->request_id[0] ? ", request id " : "", c->request_id);
    else
        sw_err_set(err, errlen, "publish to '%s': %s (HTTP %ld)", sn->topic_arn,
                   e.message[0] ? e.message : "no reply", status);
    switch (cls) {
    case SW_RETRY_THROTTLE:
    case SW_RETRY_TRANSIENT:
    case SW_RETRY_SKEW:
    case SW_RETRY_EXPIRED_TOKEN: return SW_DELIVERY_RETRY;
    default: break;
    }
    /* A refused identity or signature is the agent's credentials, not the
     * message: the operator fixes them and the outbox delivers.  A 408
     * from a proxy is a timeout.  Everything else that is final for the
     * AWS SDKs (InvalidParameter, NotFound, AuthorizationError, KMS*) is
     * final for this message too. */
    if (cls < 0 || sw_retry_is_auth_code(e.code) ||
        sw_retry_is_skew_code(e.code) || status == 401 || status == 408)
        return SW_DELIVERY_RETRY;
    return SW_DELIVERY_PERMANENT;
}

static void
sns_free(struct sw_notifier *n)
{
    struct sns_notifier *sn = (struct sns_notifier *)n;

    if (!n)
        return;
    free(sn->topic_arn);
    sw_notifier_base_release(n);
    free(sn);
}

static const struct sw_notifier_ops sns_ops = {
    .type = "sns",
    .prepare = sns_prepare,
    .done = sns_done,
    .ctx_free = sns_ctx_free,
    .free = sns_free,
};

int
sw_notifier_sns_new(const char *name, struct sw_aws *aws, const char *topic_arn,
                    struct sw_notifier **out, char *err, size_t errlen)
{
    struct sns_notifier *sn = NULL;
    int r, fifo;

    *out = NULL;
    if (!aws) {
        sw_err_set(err, errlen, "no AWS client");
        return SW_EINVAL;
    }
    fifo = sw_sns_arn_check(topic_arn, sw_aws_region(aws),
                            sw_aws_partition(aws), err, errlen);
    if (fifo < 0)
        return fifo;
    sn = calloc(1, sizeof(*sn));
    if (!sn)
        goto nomem;
    r = sw_notifier_base_init(&sn->base, &sns_ops, name);
    sn->topic_arn = sw_strdup(topic_arn);
    if (r < 0 || !sn->topic_arn)
        goto nomem;
    sn->aws = aws;
    sn->fifo = fifo;
    *out = &sn->base;
    return 0;
nomem:
    if (sn) {
        free(sn->topic_arn);
        sw_notifier_base_release(&sn->base);
        free(sn);
    }
    sw_err_set(err, errlen, "out of memory");
    return SW_ENOMEM;
}
