/* aws/kinesis.c - Kinesis ListStreams and DescribeStreamSummary over AWS
 * JSON 1.1; see kinesis.h. */
#include "config.h"

#include "aws/kinesis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aws/client.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/strv.h"

/* A token of 1 MiB may grow by escaping ('"' and '\\' double); the rest
 * of a request is a few dozen bytes. */
#define KIN_MAX_REQUEST (2u * SW_KINESIS_TOKEN_MAX + 4096)

/* 5 transactions per second per account: a burst of four calls, then
 * one every 250 ms, keeps a long listing under the quota even with
 * another ListStreams caller in the account. */
#define KIN_BURST_PAGES 4
#define KIN_PAGE_GAP_MS 250

int
sw_kinesis_name_is_valid(const char *s)
{
    size_t n = 0;

    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];

        if (n >= SW_KINESIS_NAME_MAX)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return n > 0;
}

/* --- the request --- */

static int
token_is_valid(const char *t, size_t n)
{
    return n >= 1 && n <= SW_KINESIS_TOKEN_MAX && !sw_str_has_ctl(t, n);
}

int
sw_kinesis_list_streams_request(int limit, const char *exclusive_start,
                                const char *next_token, struct sw_buf *body,
                                char *err, size_t errlen)
{
    json_t *o;
    int failed = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (limit < 0 || limit > 10000) {
        sw_err_set(err, errlen, "Limit must be 1-10000 (got %d)", limit);
        return SW_EINVAL;
    }
    if (exclusive_start && !sw_kinesis_name_is_valid(exclusive_start)) {
        sw_err_set(err, errlen,
                   "ExclusiveStartStreamName is not a valid stream name");
        return SW_EINVAL;
    }
    if (next_token && !token_is_valid(next_token, strlen(next_token))) {
        sw_err_set(err, errlen,
                   "NextToken must be 1-%d bytes without control characters",
                   SW_KINESIS_TOKEN_MAX);
        return SW_EINVAL;
    }
    o = json_object();
    /* Members in the model's order (Limit, ExclusiveStartStreamName,
     * NextToken), as botocore serialises them. */
    if (limit)
        sw_json_set_new(o, "Limit", json_integer(limit), &failed);
    if (exclusive_start)
        sw_json_set_new(o, "ExclusiveStartStreamName",
                        json_string(exclusive_start), &failed);
    if (next_token)
        sw_json_set_new(o, "NextToken", json_string(next_token), &failed);
    /* On failure BODY is left as it was, not with half a request. */
    return sw_json_finish_body(o, failed, body, err, errlen);
}

/* --- the reply --- */

/* A StreamName member as a valid name, or NULL. */
static const char *
valid_name(const json_t *v)
{
    const char *s = sw_json_whole_string(v, NULL);

    return s && sw_kinesis_name_is_valid(s) ? s : NULL;
}

void
sw_kinesis_page_release(struct sw_kinesis_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nnames; i++)
        free(p->names[i]);
    free(p->names);
    free(p->last_name);
    free(p->next_token);
    memset(p, 0, sizeof(*p));
}

/* The names the StreamSummaries of the reply ROOT mark DELETING, as an
 * array of borrowed strings (*n of them; *out NULL when none). */
static int
deleting_names(const json_t *root, const char ***out, size_t *n, char *err,
               size_t errlen)
{
    const char **v = NULL;
    json_t *sums;
    size_t count, k = 0;
    int r;

    *out = NULL;
    *n = 0;
    r = sw_json_array_member(root, "StreamSummaries", SW_KINESIS_MAX_STREAMS,
                             &sums, err, errlen);
    if (r < 0 || !sums)
        return r;
    count = json_array_size(sums);
    for (size_t i = 0; i < count; i++) {
        const json_t *s = json_array_get(sums, i);
        const json_t *st;
        const char *name;

        if (!json_is_object(s)) {
            sw_err_set(err, errlen,
                       "'StreamSummaries' entry %zu is %s, not an object", i,
                       sw_json_type_name(s));
            free(v);
            return SW_EPARSE;
        }
        name = valid_name(json_object_get(s, "StreamName"));
        if (!name) {
            sw_err_set(err, errlen,
                       "'StreamSummaries' entry %zu has no valid "
                       "'StreamName'",
                       i);
            free(v);
            return SW_EPARSE;
        }
        st = json_object_get(s, "StreamStatus");
        if (st && !json_is_string(st)) {
            sw_err_set(err, errlen,
                       "'StreamSummaries' entry %zu: 'StreamStatus' is %s, "
                       "not a string",
                       i, sw_json_type_name(st));
            free(v);
            return SW_EPARSE;
        }
        if (!st || strcmp(json_string_value(st), "DELETING"))
            continue;
        if (!v) {
            v = malloc(count * sizeof(*v));
            if (!v) {
                sw_err_set(err, errlen, "out of memory");
                return SW_ENOMEM;
            }
        }
        v[k++] = name;
    }
    *out = v;
    *n = k;
    return 0;
}

static int
in_list(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return 1;
    return 0;
}

int
sw_kinesis_list_streams_parse(const char *json, size_t len,
                              struct sw_kinesis_page *out, char *err,
                              size_t errlen)
{
    json_t *root = NULL;
    const json_t *names, *more, *tok;
    const char **deleting = NULL;
    size_t count, ndeleting = 0;
    struct sw_kinesis_page p;
    int r = SW_EPARSE;

    memset(&p, 0, sizeof(p));
    if (err && errlen)
        err[0] = '\0';
    if (!out) {
        sw_err_set(err, errlen, "no output page");
        return SW_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    root = sw_json_load_object(json, len, err, errlen);
    if (!root)
        goto out;
    names = json_object_get(root, "StreamNames");
    if (!names) {
        sw_err_set(err, errlen, "reply has no 'StreamNames'");
        goto out;
    }
    if (!json_is_array(names)) {
        sw_err_set(err, errlen, "'StreamNames' is %s, not an array",
                   sw_json_type_name(names));
        goto out;
    }
    /* HasMoreStreams is required: guessing "no" would silently drop the
     * rest of the account, guessing "yes" could loop. */
    more = json_object_get(root, "HasMoreStreams");
    if (!more) {
        sw_err_set(err, errlen, "reply has no 'HasMoreStreams'");
        goto out;
    }
    if (!json_is_boolean(more)) {
        sw_err_set(err, errlen, "'HasMoreStreams' is %s, not a boolean",
                   sw_json_type_name(more));
        goto out;
    }
    p.has_more = json_is_true(more);
    tok = json_object_get(root, "NextToken");
    if (tok && !json_is_null(tok)) {
        if (!json_is_string(tok)) {
            sw_err_set(err, errlen, "'NextToken' is %s, not a string",
                       sw_json_type_name(tok));
            goto out;
        }
        if (!token_is_valid(json_string_value(tok), json_string_length(tok))) {
            sw_err_set(err, errlen,
                       "'NextToken' is not 1-%d bytes without control "
                       "characters",
                       SW_KINESIS_TOKEN_MAX);
            goto out;
        }
    } else {
        tok = NULL;
    }
    count = json_array_size(names);
    if (count > SW_KINESIS_MAX_STREAMS) {
        sw_err_set(err, errlen, "'StreamNames' has %zu entries, more than %d",
                   count, SW_KINESIS_MAX_STREAMS);
        goto out;
    }
    r = deleting_names(root, &deleting, &ndeleting, err, errlen);
    if (r < 0)
        goto out;
    r = SW_ENOMEM;
    if (count) {
        p.names = malloc(count * sizeof(*p.names));
        if (!p.names)
            goto nomem;
    }
    for (size_t i = 0; i < count; i++) {
        const char *s = valid_name(json_array_get(names, i));

        if (!s) {
            sw_err_set(err, errlen,
                       "'StreamNames' entry %zu is not a valid stream name", i);
            r = SW_EPARSE;
            goto out;
        }
        if (i == count - 1) {
            p.last_name = sw_strdup(s);
            if (!p.last_name)
                goto nomem;
        }
        if (in_list(deleting, ndeleting, s))
            continue;
        p.names[p.nnames] = sw_strdup(s);
        if (!p.names[p.nnames])
            goto nomem;
        p.nnames++;
    }
    if (tok) {
        p.next_token = sw_strdup(json_string_value(tok));
        if (!p.next_token)
            goto nomem;
    }
    *out = p;
    memset(&p, 0, sizeof(p));
    r = 0;
    goto out;
nomem:
    sw_err_set(err, errlen, "out of memory");
out:
    sw_kinesis_page_release(&p);
    free(deleting);
    json_decref(root);
    return r;
}

/* --- the listing --- */

static void
pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

int
sw_kinesis_list_streams(struct sw_aws *a, struct sw_strv *out,
                        struct sw_aws_error *err)
{
    struct sw_strv acc = {NULL, 0};
    struct sw_kinesis_page page;
    struct sw_buf body, reply;
    char why[256];
    char *token = NULL, *start = NULL;
    int r = SW_EINVAL, pages = 0, attempts = 0, restarted = 0;

    memset(&page, 0, sizeof(page));
    sw_buf_init(&body, KIN_MAX_REQUEST);
    sw_buf_init(&reply, SW_KINESIS_MAX_REPLY);
    if (!err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    if (!a || !out) {
        sw_strlcpy(err->message, "no AWS client or output list",
                   sizeof(err->message));
        return SW_EINVAL;
    }
    for (;;) {
        if (pages >= SW_KINESIS_MAX_PAGES) {
            sw_aws_error_set(err, "TooManyStreams",
                             "ListStreams: still more streams after %d pages",
                             SW_KINESIS_MAX_PAGES);
            r = SW_ETOOBIG;
            goto out;
        }
        if (pages >= KIN_BURST_PAGES)
            pause_ms(KIN_PAGE_GAP_MS);
        sw_buf_reset(&body);
        sw_buf_reset(&reply);
        r = sw_kinesis_list_streams_request(SW_KINESIS_PAGE_LIMIT,
                                            token ? NULL : start, token, &body,
                                            why, sizeof(why));
        if (r < 0) {
            /* Only a token or name from a previous page can get here,
             * and the parser checked both: a bug, but say what. */
            sw_aws_error_set(err, "ParamValidation", "ListStreams request: %s",
                             why);
            goto out;
        }
        pages++;
        r = sw_aws_call(a, SW_SVC_KINESIS, SW_PROTO_JSON11, "ListStreams",
                        body.data, body.len, &reply, err);
        attempts += err->attempts;
        err->attempts = attempts;
        if (r == SW_EAWS && token && !restarted &&
            !strcmp(err->code, "ExpiredNextTokenException")) {
            /* The listing took longer than the token lives (slow
             * retries): start over once rather than fail the refresh. */
            sw_log_info("kinesis: ListStreams: NextToken expired after "
                        "%d pages, starting over",
                        pages);
            restarted = 1;
            sw_strv_release(&acc);
            free(token);
            free(start);
            token = start = NULL;
            continue;
        }
        if (r < 0)
            goto out;
        r = sw_kinesis_list_streams_parse(reply.data, reply.len, &page, why,
                                          sizeof(why));
        if (r < 0) {
            sw_aws_error_set(err, "MalformedReply",
                             "ListStreams reply (page %d): %s", pages, why);
            goto out;
        }
        if (acc.n + page.nnames > SW_KINESIS_MAX_STREAMS) {
            sw_aws_error_set(err, "TooManyStreams",
                             "ListStreams: more than %d streams",
                             SW_KINESIS_MAX_STREAMS);
            r = SW_ETOOBIG;
            goto out;
        }
        for (size_t i = 0; i < page.nnames; i++) {
            r = sw_strv_push(&acc, page.names[i]);
            if (r < 0) {
                sw_strlcpy(err->message, "out of memory", sizeof(err->message));
                goto out;
            }
        }
        sw_log_debug("kinesis: ListStreams page %d: %zu streams%s", pages,
                     page.nnames, page.has_more ? ", more to come" : "");
        if (!page.has_more)
            break;
        /* More promised but no way to ask for it: asking again with the
         * same input would only loop until the page cap. */
        if (!page.next_token &&
            (!page.last_name || (start && !strcmp(start, page.last_name)))) {
            sw_aws_error_set(
                err, "MalformedReply",
                "ListStreams reply (page %d): 'HasMoreStreams' is true "
                "but there is no NextToken and no new stream name",
                pages);
            r = SW_EPARSE;
            goto out;
        }
        free(token);
        token = page.next_token;
        page.next_token = NULL;
        free(start);
        start = page.last_name;
        page.last_name = NULL;
        sw_kinesis_page_release(&page);
    }
    /* A stream created while we page with ExclusiveStartStreamName, or a
     * sloppy endpoint, may repeat a name. */
    sw_strv_sort_unique(&acc);
    *out = acc;
    acc.v = NULL;
    acc.n = 0;
    r = 0;
out:
    sw_kinesis_page_release(&page);
    sw_strv_release(&acc);
    free(token);
    free(start);
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}

/* --- DescribeStreamSummary --- */

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int
sw_kinesis_arn_is_valid(const char *s)
{
    const char *k, *st;
    size_t n;

    if (!s)
        return 0;
    n = strnlen(s, SW_KINESIS_ARN_MAX + 1);
    if (n < 1 || n > SW_KINESIS_ARN_MAX || sw_str_has_ctl(s, n) ||
        strchr(s, ' '))
        return 0;
    /* arn:aws.*:kinesis:.*:\d{12}:stream/\S+, read as a whole-string
     * match: the partition and the region are free text in the pattern,
     * so what is checked is the service, a ':' and twelve digits just
     * before some ":stream/", and a resource after it. */
    if (strncmp(s, "arn:aws", 7) != 0)
        return 0;
    k = strstr(s + 7, ":kinesis:");
    if (!k)
        return 0;
    for (st = strstr(k + 9, ":stream/"); st; st = strstr(st + 1, ":stream/")) {
        const char *d = st - 12;
        int ok = d >= k + 10 && d[-1] == ':' && st[8] != '\0';

        for (int i = 0; ok && i < 12; i++)
            ok = is_digit(d[i]);
        if (ok)
            return 1;
    }
    return 0;
}

int
sw_kinesis_describe_stream_summary_request(const char *name, const char *arn,
                                           struct sw_buf *body, char *err,
                                           size_t errlen)
{
    json_t *o;
    int failed = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (!name && !arn) {
        sw_err_set(err, errlen, "StreamName or StreamARN is required");
        return SW_EINVAL;
    }
    if (name && !sw_kinesis_name_is_valid(name)) {
        sw_err_set(err, errlen, "StreamName is not a valid stream name");
        return SW_EINVAL;
    }
    if (arn && !sw_kinesis_arn_is_valid(arn)) {
        sw_err_set(err, errlen, "StreamARN is not a Kinesis stream ARN");
        return SW_EINVAL;
    }
    o = json_object();
    if (name)
        sw_json_set_new(o, "StreamName", json_string(name), &failed);
    if (arn)
        sw_json_set_new(o, "StreamARN", json_string(arn), &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}

/* A StreamStatus: a word of [A-Z_], which is safe to log and compare. */
static int
status_is_valid(const char *s, size_t n)
{
    if (n < 1 || n > SW_KINESIS_STATUS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
            return 0;
    return 1;
}

int
sw_kinesis_describe_stream_summary_parse(const char *json, size_t len,
                                         struct sw_kinesis_summary *out,
                                         char *err, size_t errlen)
{
    json_t *root = NULL;
    const json_t *sum, *v;
    const char *s;
    size_t n;
    json_int_t count;
    int r = SW_EPARSE;

    if (err && errlen)
        err[0] = '\0';
    if (!out) {
        sw_err_set(err, errlen, "no output summary");
        return SW_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    root = sw_json_load_object(json, len, err, errlen);
    if (!root)
        goto out;
    sum = json_object_get(root, "StreamDescriptionSummary");
    if (!sum) {
        sw_err_set(err, errlen, "reply has no 'StreamDescriptionSummary'");
        goto out;
    }
    if (!json_is_object(sum)) {
        sw_err_set(err, errlen,
                   "'StreamDescriptionSummary' is %s, not an object",
                   sw_json_type_name(sum));
        goto out;
    }
    v = json_object_get(sum, "StreamName");
    s = valid_name(v);
    if (!s) {
        sw_err_set(err, errlen, "%s",
                   v ? "'StreamName' is not a valid stream name"
                     : "the summary has no 'StreamName'");
        goto out;
    }
    sw_strlcpy(out->name, s, sizeof(out->name));
    v = json_object_get(sum, "StreamStatus");
    s = sw_json_whole_string(v, &n);
    if (!v) {
        sw_err_set(err, errlen, "the summary has no 'StreamStatus'");
        goto out;
    }
    if (!s || !status_is_valid(s, n)) {
        sw_err_set(err, errlen,
                   "'StreamStatus' is not a word of capital letters and "
                   "'_' (1-%d)",
                   SW_KINESIS_STATUS_MAX);
        goto out;
    }
    sw_strlcpy(out->status, s, sizeof(out->status));
    /* OpenShardCount is the one number SHARDS stands for: a missing or
     * odd one is an error, never a guess. */
    v = json_object_get(sum, "OpenShardCount");
    if (!v) {
        sw_err_set(err, errlen, "the summary has no 'OpenShardCount'");
        goto out;
    }
    if (!json_is_integer(v)) {
        sw_err_set(err, errlen, "'OpenShardCount' is %s, not an integer",
                   sw_json_type_name(v));
        goto out;
    }
    count = json_integer_value(v);
    if (count < 0 || count > SW_KINESIS_SHARDS_MAX) {
        sw_err_set(err, errlen, "'OpenShardCount' %lld is not 0-%d",
                   (long long)count, SW_KINESIS_SHARDS_MAX);
        goto out;
    }
    out->open_shards = (int)count;
    r = 0;
out:
    if (r < 0)
        memset(out, 0, sizeof(*out));
    json_decref(root);
    return r;
}

int
sw_kinesis_describe_stream_summary(struct sw_aws *a, const char *name,
                                   const char *arn,
                                   struct sw_kinesis_summary *out,
                                   struct sw_aws_error *err)
{
    struct sw_kinesis_summary sum;
    struct sw_buf body, reply;
    char why[256];
    int r;

    if (!err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    if (!a || !out) {
        sw_strlcpy(err->message, "no AWS client or output summary",
                   sizeof(err->message));
        return SW_EINVAL;
    }
    sw_buf_init(&body, 4096 + 2 * SW_KINESIS_ARN_MAX);
    sw_buf_init(&reply, SW_KINESIS_MAX_REPLY);
    r = sw_kinesis_describe_stream_summary_request(name, arn, &body, why,
                                                   sizeof(why));
    if (r < 0) {
        sw_aws_error_set(err, "ParamValidation",
                         "DescribeStreamSummary request: %s", why);
        goto out;
    }
    r = sw_aws_call(a, SW_SVC_KINESIS, SW_PROTO_JSON11, "DescribeStreamSummary",
                    body.data, body.len, &reply, err);
    if (r < 0)
        goto out;
    r = sw_kinesis_describe_stream_summary_parse(reply.data, reply.len, &sum,
                                                 why, sizeof(why));
    if (r < 0) {
        sw_aws_error_set(err, "MalformedReply",
                         "DescribeStreamSummary reply: %s", why);
        goto out;
    }
    /* SHARDS of one stream must never be another's count. */
    if (name && strcmp(sum.name, name) != 0) {
        sw_aws_error_set(err, "MalformedReply",
                         "DescribeStreamSummary reply: about stream '%s', "
                         "not '%s'",
                         sum.name, name);
        r = SW_EPARSE;
        goto out;
    }
    *out = sum;
    r = 0;
out:
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}
