/* aws/cwalarms.c - the CloudWatch alarm calls over AWS JSON 1.0; see
 * cwalarms.h.
 *
 * Each call builds its body (aws/cwalarms_request.c), waits on the rate
 * limiter (aws/cwalarms_limiter.c), sends through aws/client and parses
 * the reply (aws/cwalarms_reply.c); DescribeAlarms follows NextToken.
 */
#include "config.h"

#include "aws/cwalarms.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"

/* The operation names, for X-Amz-Target and messages. */
static const char *const op_name[SW_CWA_NOPS] = {
    [SW_CWA_DESCRIBE] = "DescribeAlarms",
    [SW_CWA_PUT] = "PutMetricAlarm",
    [SW_CWA_DELETE] = "DeleteAlarms",
    [SW_CWA_LIST_TAGS] = "ListTagsForResource",
    [SW_CWA_TAG] = "TagResource",
};

/* What every call does first: ERR (required) reset, then READY (the
 * client, and the output where there is one) or MISSING says what is not
 * there. */
static int
begin(struct sw_aws_error *err, int ready, const char *missing)
{
    if (!err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    if (!ready) {
        sw_strlcpy(err->message, missing, sizeof(err->message));
        return SW_EINVAL;
    }
    return 0;
}

/* Wait on the limiter, then one signed, retried call; ERR->attempts
 * accumulates into *ATTEMPTS across the calls of one operation. */
static int
limited_call(struct sw_aws *a, struct sw_cwa_limiter *l, enum sw_cwa_op op,
             const struct sw_buf *body, struct sw_buf *reply,
             struct sw_aws_error *err, int *attempts)
{
    const char *name = op_name[op];
    int r, sent;

    for (int round = 0;; round++) {
        r = sw_cwa_limiter_wait(l, op);
        if (r < 0) {
            sw_aws_error_set(err, "Canceled", "%s: stopped before sending",
                             name);
            err->attempts = *attempts;
            return r;
        }
        sw_buf_reset(reply);
        r = sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10, name, body->data,
                        body->len, reply, err);
        sent = err->attempts;
        *attempts += sent;
        err->attempts = *attempts;
        sw_cwa_limiter_done(l, op, r == SW_ETHROTTLED || sent > 1);
        if (r != SW_ETHROTTLED || !l || round >= SW_CWA_THROTTLE_ROUNDS)
            return r;
        /* Someone else is using the account's quota: slower, again. */
        sw_log_info("cwalarms: %s throttled after %d attempts; trying again "
                    "at %.2f calls a second",
                    name, *attempts, l->bucket[op].rate_per_s);
    }
}

/* One call of OP with a reply to parse: BUILT is what the builder of
 * BODY returned (WHY: its reason), refused before sending when negative
 * (botocore calls that a parameter validation error, so the code says the
 * same).  REPLY holds the answer on success. */
static int
built_call(struct sw_aws *a, struct sw_cwa_limiter *l, enum sw_cwa_op op,
           int built, const char *why, const struct sw_buf *body,
           struct sw_buf *reply, struct sw_aws_error *err, int *attempts)
{
    if (built < 0) {
        sw_aws_error_set(err, "ParamValidation", "%s request: %s", op_name[op],
                         why);
        return built;
    }
    return limited_call(a, l, op, body, reply, err, attempts);
}

int
sw_cwa_describe_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                       const char *prefix, json_t **out,
                       struct sw_aws_error *err)
{
    struct sw_buf body, reply;
    json_t *acc = NULL, *page = NULL;
    char *token = NULL, *next = NULL;
    char why[256];
    int r, pages = 0, attempts = 0;

    r = begin(err, a && out, "no AWS client or output");
    if (r < 0)
        return r;
    *out = NULL;
    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    acc = json_array();
    if (!acc) {
        r = SW_ENOMEM;
        goto out;
    }
    for (;;) {
        if (pages >= SW_CWA_MAX_PAGES) {
            sw_aws_error_set(err, "TooManyAlarms",
                             "DescribeAlarms: still more alarms after %d "
                             "pages",
                             SW_CWA_MAX_PAGES);
            r = SW_ETOOBIG;
            goto out;
        }
        sw_buf_reset(&body);
        r = sw_cwa_describe_alarms_request(prefix, SW_CWA_PAGE_RECORDS, token,
                                           &body, why, sizeof(why));
        if (r == 0)
            pages++;
        r = built_call(a, l, SW_CWA_DESCRIBE, r, why, &body, &reply, err,
                       &attempts);
        if (r < 0)
            goto out;
        r = sw_cwa_describe_alarms_parse(reply.data, reply.len, &page, &next,
                                         why, sizeof(why));
        if (r < 0) {
            sw_aws_error_set(err, "MalformedReply",
                             "DescribeAlarms reply (page %d): %s", pages, why);
            goto out;
        }
        if (json_array_size(acc) + json_array_size(page) > SW_CWA_MAX_ALARMS) {
            sw_aws_error_set(err, "TooManyAlarms",
                             "DescribeAlarms: more than %d alarms",
                             SW_CWA_MAX_ALARMS);
            r = SW_ETOOBIG;
            goto out;
        }
        if (json_array_extend(acc, page) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
        json_decref(page);
        page = NULL;
        sw_log_debug("cwalarms: DescribeAlarms page %d: %zu alarms so far%s",
                     pages, json_array_size(acc), next ? ", more to come" : "");
        if (!next)
            break;
        /* The same token again would page forever. */
        if (token && strcmp(token, next) == 0) {
            sw_aws_error_set(err, "MalformedReply",
                             "DescribeAlarms reply (page %d): the same "
                             "NextToken as the page before",
                             pages);
            r = SW_EPARSE;
            goto out;
        }
        free(token);
        token = next;
        next = NULL;
    }
    *out = acc;
    acc = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM && !err->message[0])
        sw_strlcpy(err->message, "out of memory", sizeof(err->message));
    json_decref(acc);
    json_decref(page);
    free(token);
    free(next);
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}

int
sw_cwa_list_tags(struct sw_aws *a, struct sw_cwa_limiter *l, const char *arn,
                 json_t **out, struct sw_aws_error *err)
{
    struct sw_buf body, reply;
    char why[256];
    int r, attempts = 0;

    r = begin(err, a && out, "no AWS client or output");
    if (r < 0)
        return r;
    *out = NULL;
    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    r = sw_cwa_list_tags_request(arn, &body, why, sizeof(why));
    r = built_call(a, l, SW_CWA_LIST_TAGS, r, why, &body, &reply, err,
                   &attempts);
    if (r == 0) {
        r = sw_cwa_list_tags_parse(reply.data, reply.len, out, why,
                                   sizeof(why));
        if (r < 0)
            sw_aws_error_set(err, "MalformedReply",
                             "ListTagsForResource reply: %s", why);
    }
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}

/* The request of a call whose reply carries nothing we use
 * (PutMetricAlarm, DeleteAlarms and TagResource answer an empty object,
 * or nothing at all): its body, and why its builder refused it. */
struct request {
    struct sw_buf body;
    char why[256];
};

static int
send_begin(struct sw_aws_error *err, const struct sw_aws *a, struct request *q)
{
    sw_buf_init(&q->body, SW_CWA_MAX_REQUEST);
    return begin(err, a != NULL, "no AWS client");
}

/* Q sent (and released) unless its builder refused it: BUILT is what the
 * builder returned. */
static int
send_only(struct sw_aws *a, struct sw_cwa_limiter *l, enum sw_cwa_op op,
          int built, struct request *q, struct sw_aws_error *err)
{
    struct sw_buf reply;
    int r, attempts = 0;

    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    r = built_call(a, l, op, built, q->why, &q->body, &reply, err, &attempts);
    sw_buf_release(&reply);
    sw_buf_release(&q->body);
    return r;
}

int
sw_cwa_put_metric_alarm(struct sw_aws *a, struct sw_cwa_limiter *l,
                        const json_t *input, struct sw_aws_error *err)
{
    struct request q;
    int r = send_begin(err, a, &q);

    if (r == 0)
        r = send_only(a, l, SW_CWA_PUT,
                      sw_cwa_put_metric_alarm_request(input, &q.body, q.why,
                                                      sizeof(q.why)),
                      &q, err);
    return r;
}

int
sw_cwa_delete_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                     const char *const *names, size_t n,
                     struct sw_aws_error *err)
{
    struct request q;
    int r = send_begin(err, a, &q);

    if (r == 0)
        r = send_only(a, l, SW_CWA_DELETE,
                      sw_cwa_delete_alarms_request(names, n, &q.body, q.why,
                                                   sizeof(q.why)),
                      &q, err);
    return r;
}

int
sw_cwa_tag_resource(struct sw_aws *a, struct sw_cwa_limiter *l, const char *arn,
                    const json_t *tags, struct sw_aws_error *err)
{
    struct request q;
    int r = send_begin(err, a, &q);

    if (r == 0)
        r = send_only(a, l, SW_CWA_TAG,
                      sw_cwa_tag_resource_request(arn, tags, &q.body, q.why,
                                                  sizeof(q.why)),
                      &q, err);
    return r;
}
