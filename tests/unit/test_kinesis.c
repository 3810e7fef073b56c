/* tests/unit/test_kinesis.c - aws/kinesis: stream-name validation, the
 * ListStreams request body, reply pages good and bad, and the paging loop
 * against a scripted loopback server (NextToken, the older
 * ExclusiveStartStreamName paging, an expired token, malformed pages, an
 * AWS error, the stream cap); DescribeStreamSummary's request, its strict
 * reply parser and the call (OpenShardCount, ResourceNotFoundException, a
 * reply about another stream). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/kinesis.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "tests/unit/loopback.h"

/* ------------------------------------------------------------------ */
/* names and requests                                                  */

static void
test_name_valid(void **state)
{
    char longest[SW_KINESIS_NAME_MAX + 2];

    (void)state;
    assert_true(sw_kinesis_name_is_valid("orders"));
    assert_true(sw_kinesis_name_is_valid("clicks-2026.v1_A"));
    assert_true(sw_kinesis_name_is_valid("-"));
    assert_false(sw_kinesis_name_is_valid(""));
    assert_false(sw_kinesis_name_is_valid(NULL));
    assert_false(sw_kinesis_name_is_valid("a b"));
    assert_false(sw_kinesis_name_is_valid("a/b"));
    assert_false(sw_kinesis_name_is_valid("a*"));
    assert_false(sw_kinesis_name_is_valid("{stream}"));
    assert_false(sw_kinesis_name_is_valid("caf\xc3\xa9"));
    assert_false(sw_kinesis_name_is_valid("a\nb"));
    memset(longest, 'x', sizeof(longest));
    longest[SW_KINESIS_NAME_MAX] = '\0';
    assert_true(sw_kinesis_name_is_valid(longest));
    longest[SW_KINESIS_NAME_MAX] = 'x';
    longest[SW_KINESIS_NAME_MAX + 1] = '\0';
    assert_false(sw_kinesis_name_is_valid(longest));
}

static void
test_request_body(void **state)
{
    struct sw_buf b;
    char err[256];

    (void)state;
    sw_buf_init(&b, 4096);
    assert_int_equal(
        sw_kinesis_list_streams_request(100, NULL, NULL, &b, err, sizeof(err)),
        0);
    assert_string_equal(sw_buf_str(&b), "{\"Limit\":100}");
    sw_buf_reset(&b);
    assert_int_equal(
        sw_kinesis_list_streams_request(0, NULL, NULL, &b, err, sizeof(err)),
        0);
    assert_string_equal(sw_buf_str(&b), "{}");
    sw_buf_reset(&b);
    /* The model's member order; a token is sent as it came. */
    assert_int_equal(sw_kinesis_list_streams_request(2, "clicks-1",
                                                     "AAA/b+c=\"q\"\\", &b, err,
                                                     sizeof(err)),
                     0);
    assert_string_equal(
        sw_buf_str(&b),
        "{\"Limit\":2,\"ExclusiveStartStreamName\":"
        "\"clicks-1\",\"NextToken\":\"AAA/b+c=\\\"q\\\"\\\\\"}");
    sw_buf_release(&b);
}

static void
test_request_invalid(void **state)
{
    struct sw_buf b;
    char err[256];

    (void)state;
    sw_buf_init(&b, 4096);
    assert_int_equal(sw_buf_adds(&b, "keep"), 0);
    assert_int_equal(
        sw_kinesis_list_streams_request(-1, NULL, NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "Limit"));
    assert_int_equal(sw_kinesis_list_streams_request(10001, NULL, NULL, &b, err,
                                                     sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(
        sw_kinesis_list_streams_request(1, "a b", NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "ExclusiveStartStreamName"));
    assert_int_equal(
        sw_kinesis_list_streams_request(1, NULL, "", &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "NextToken"));
    assert_int_equal(
        sw_kinesis_list_streams_request(1, NULL, "a\rb", &b, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(
        sw_kinesis_list_streams_request(1, NULL, NULL, NULL, err, sizeof(err)),
        SW_EINVAL);
    assert_string_equal(sw_buf_str(&b), "keep");
    sw_buf_release(&b);

    /* Over the cap: an error, and the buffer as it was. */
    sw_buf_init(&b, 8);
    assert_int_equal(sw_buf_adds(&b, "ab"), 0);
    assert_int_equal(sw_kinesis_list_streams_request(
                         100, "a-long-stream-name", NULL, &b, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_string_equal(sw_buf_str(&b), "ab");
    sw_buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* pages                                                               */

static int
parse(const char *json, struct sw_kinesis_page *p, char *err, size_t errlen)
{
    return sw_kinesis_list_streams_parse(json, strlen(json), p, err, errlen);
}

static void
test_parse_page(void **state)
{
    /* The shape botocore's model and the API reference give, with a
     * summary for each name (StreamCreationTimestamp as epoch seconds,
     * the JSON 1.1 way). */
    static const char reply[] =
        "{\"HasMoreStreams\": true, \"NextToken\": \"tok-2==\",\n"
        " \"StreamNames\": [\"clicks-1\", \"clicks-2\", \"old\"],\n"
        " \"StreamSummaries\": [\n"
        "  {\"StreamName\": \"clicks-1\", \"StreamARN\": \"arn:aws:kinesis:"
        "ap-northeast-1:123456789012:stream/clicks-1\", \"StreamStatus\": "
        "\"ACTIVE\", \"StreamModeDetails\": {\"StreamMode\": \"ON_DEMAND\"}, "
        "\"StreamCreationTimestamp\": 1.7643e9},\n"
        "  {\"StreamName\": \"clicks-2\", \"StreamStatus\": \"CREATING\"},\n"
        "  {\"StreamName\": \"old\", \"StreamStatus\": \"DELETING\"}]}";
    struct sw_kinesis_page p;
    char err[256];

    (void)state;
    assert_int_equal(parse(reply, &p, err, sizeof(err)), 0);
    assert_int_equal(p.nnames, 2);
    assert_string_equal(p.names[0], "clicks-1");
    assert_string_equal(p.names[1], "clicks-2");
    /* The paging position is the last name sent, deleting or not. */
    assert_string_equal(p.last_name, "old");
    assert_string_equal(p.next_token, "tok-2==");
    assert_int_equal(p.has_more, 1);
    sw_kinesis_page_release(&p);
    assert_null(p.names);
    sw_kinesis_page_release(&p);
    sw_kinesis_page_release(NULL);
}

static void
test_parse_minimal(void **state)
{
    struct sw_kinesis_page p;
    char err[256];

    (void)state;
    /* An empty account; StreamSummaries and NextToken are optional. */
    assert_int_equal(parse("{\"StreamNames\":[],\"HasMoreStreams\":false}", &p,
                           err, sizeof(err)),
                     0);
    assert_int_equal(p.nnames, 0);
    assert_null(p.names);
    assert_null(p.last_name);
    assert_null(p.next_token);
    assert_int_equal(p.has_more, 0);
    sw_kinesis_page_release(&p);
    /* null is the same as absent; unknown members are ignored */
    assert_int_equal(parse("{\"StreamNames\":[\"a\"],\"HasMoreStreams\":false,"
                           "\"NextToken\":null,\"StreamSummaries\":null,"
                           "\"Future\":{\"x\":[1]}}",
                           &p, err, sizeof(err)),
                     0);
    assert_int_equal(p.nnames, 1);
    assert_string_equal(p.last_name, "a");
    assert_null(p.next_token);
    sw_kinesis_page_release(&p);
}

/* Each of these must fail with SW_EPARSE and a one-line reason holding
 * WANT, leaving the page zeroed. */
static void
test_parse_malformed(void **state)
{
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"", "not JSON"},
        {"{\"StreamNames\":[\"a\"", "not JSON"},
        {"[]", "an array, not a JSON object"},
        {"{\"HasMoreStreams\":false}", "no 'StreamNames'"},
        {"{\"StreamNames\":{},\"HasMoreStreams\":false}",
         "'StreamNames' is an object"},
        {"{\"StreamNames\":[]}", "no 'HasMoreStreams'"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":\"false\"}",
         "'HasMoreStreams' is a string"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":0}",
         "'HasMoreStreams' is a number"},
        {"{\"StreamNames\":[\"a\",1],\"HasMoreStreams\":false}",
         "entry 1 is not a valid"},
        {"{\"StreamNames\":[\"ok\",\"a/b\"],\"HasMoreStreams\":false}",
         "entry 1 is not a valid"},
        {"{\"StreamNames\":[\"\"],\"HasMoreStreams\":false}",
         "entry 0 is not a valid"},
        /* jansson refuses \u0000 unless asked to allow it */
        {"{\"StreamNames\":[\"a\\u0000b\"],\"HasMoreStreams\":false}",
         "not JSON"},
        {"{\"StreamNames\":[\"a\\nb\"],\"HasMoreStreams\":false}",
         "entry 0 is not a valid"},
        {"{\"StreamNames\":[null],\"HasMoreStreams\":false}",
         "entry 0 is not a valid"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":true,\"NextToken\":5}",
         "'NextToken' is a number"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":true,\"NextToken\":\"\"}",
         "'NextToken' is not 1-"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":true,\"NextToken\":\"a\\tb\"}",
         "'NextToken' is not 1-"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":false,"
         "\"StreamSummaries\":{}}",
         "'StreamSummaries' is an object"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":false,"
         "\"StreamSummaries\":[7]}",
         "'StreamSummaries' entry 0 is a number"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":false,"
         "\"StreamSummaries\":[{\"StreamStatus\":\"ACTIVE\"}]}",
         "entry 0 has no valid 'StreamName'"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":false,"
         "\"StreamSummaries\":[{\"StreamName\":\"a b\"}]}",
         "entry 0 has no valid 'StreamName'"},
        {"{\"StreamNames\":[],\"HasMoreStreams\":false,"
         "\"StreamSummaries\":[{\"StreamName\":\"a\",\"StreamStatus\":1}]}",
         "'StreamStatus' is a number"},
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_kinesis_page p;

        memset(&p, 0x5a, sizeof(p));
        err[0] = '\0';
        if (parse(cases[i].json, &p, err, sizeof(err)) != SW_EPARSE ||
            !strstr(err, cases[i].want) || strchr(err, '\n'))
            fail_msg("case %zu: %s -> '%s', want '%s'", i, cases[i].json, err,
                     cases[i].want);
        assert_null(p.names);
        assert_null(p.last_name);
        assert_null(p.next_token);
        assert_int_equal(p.nnames, 0);
    }
    assert_int_equal(
        sw_kinesis_list_streams_parse("{}", 2, NULL, err, sizeof(err)),
        SW_EINVAL);
}

static void
test_parse_long_names(void **state)
{
    char json[512], name[SW_KINESIS_NAME_MAX + 2];
    struct sw_kinesis_page p;
    char err[256];

    (void)state;
    memset(name, 'n', sizeof(name));
    name[SW_KINESIS_NAME_MAX] = '\0';
    snprintf(json, sizeof(json),
             "{\"StreamNames\":[\"%s\"],\"HasMoreStreams\":false}", name);
    assert_int_equal(parse(json, &p, err, sizeof(err)), 0);
    assert_int_equal(p.nnames, 1);
    sw_kinesis_page_release(&p);
    name[SW_KINESIS_NAME_MAX] = 'n';
    name[SW_KINESIS_NAME_MAX + 1] = '\0';
    snprintf(json, sizeof(json),
             "{\"StreamNames\":[\"%s\"],\"HasMoreStreams\":false}", name);
    assert_int_equal(parse(json, &p, err, sizeof(err)), SW_EPARSE);
}

/* ------------------------------------------------------------------ */
/* the paging loop, against a scripted server                          */

static char tmpdir[64];

/* A whole HTTP reply (new, free()) with the right Content-Length. */
static char *
reply(const char *status, const char *body)
{
    struct sw_buf b;

    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_buf_addf(&b,
                                 "HTTP/1.1 %s\r\nConnection: close\r\n"
                                 "x-amzn-RequestId: rid-1\r\n"
                                 "Content-Type: application/x-amz-json-1.1\r\n"
                                 "Content-Length: %zu\r\n\r\n%s",
                                 status, strlen(body), body),
                     0);
    return sw_buf_steal(&b, NULL);
}

static void
free_script(char **script, int n)
{
    for (int i = 0; i < n; i++)
        free(script[i]);
}

static double
zero_rand(void *arg)
{
    (void)arg;
    return 0.0;
}

static struct sw_aws *
client_for(struct sw_test_server *s, int max_attempts)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char url[64], err[256];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
    memset(&o, 0, sizeof(o));
    o.region = "ap-northeast-1";
    o.endpoint = url;
    o.max_attempts = max_attempts;
    o.request_timeout_ms = 5000;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    sw_aws_set_rand(a, zero_rand, NULL);
    return a;
}

static void
test_list_follows_next_token(void **state)
{
    char *script[3];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};
    const char *log, *p2, *p3;

    (void)state;
    /* Out of order, a duplicate across pages, a DELETING stream. */
    script[0] = reply("200 OK", "{\"StreamNames\":[\"orders\",\"clicks-2\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":"
                                "\"t/2+\"}");
    script[1] =
        reply("200 OK", "{\"StreamNames\":[\"clicks-1\",\"gone\",\"orders\"],"
                        "\"HasMoreStreams\":true,\"NextToken\":\"t3\","
                        "\"StreamSummaries\":[{\"StreamName\":\"gone\","
                        "\"StreamStatus\":\"DELETING\"}]}");
    script[2] = reply("200 OK", "{\"StreamNames\":[\"zeta\"],"
                                "\"HasMoreStreams\":false}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 3);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), 0);
    assert_int_equal(e.attempts, 3);
    assert_int_equal(out.n, 4);
    assert_string_equal(out.v[0], "clicks-1");
    assert_string_equal(out.v[1], "clicks-2");
    assert_string_equal(out.v[2], "orders");
    assert_string_equal(out.v[3], "zeta");
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_int_equal(sw_test_count(log, "POST / HTTP/1.1\r\n"), 3);
    assert_int_equal(sw_test_count(log, "\r\nX-Amz-Target: Kinesis_20131202."
                                        "ListStreams\r\n"),
                     3);
    assert_int_equal(
        sw_test_count(log, "\r\nContent-Type: application/x-amz-json-1.1"
                           "\r\n"),
        3);
    assert_int_equal(
        sw_test_count(log, "/ap-northeast-1/kinesis/aws4_request, "), 3);
    /* The first page asks for the most; later ones carry the token (and
     * not the start name: one way of paging at a time). */
    assert_non_null(strstr(log, "\r\n\r\n{\"Limit\":100}\n====="));
    p2 = strstr(log, "\r\n\r\n{\"Limit\":100,\"NextToken\":\"t/2+\"}");
    p3 = strstr(log, "\r\n\r\n{\"Limit\":100,\"NextToken\":\"t3\"}");
    assert_non_null(p2);
    assert_non_null(p3);
    assert_true(p2 < p3);
    assert_int_equal(sw_test_count(log, "ExclusiveStartStreamName"), 0);
    sw_strv_release(&out);
    sw_aws_free(a);
    free_script(script, 3);
}

static void
test_list_exclusive_start(void **state)
{
    char *script[2];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};

    (void)state;
    /* The API's older paging (and some emulators'): HasMoreStreams with
     * no NextToken means "ask again after the last name". */
    script[0] = reply("200 OK", "{\"StreamNames\":[\"a\",\"b\"],"
                                "\"HasMoreStreams\":true}");
    script[1] =
        reply("200 OK", "{\"StreamNames\":[\"c\"],\"HasMoreStreams\":false}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), 0);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.v[2], "c");
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_non_null(strstr(sw_test_server_log(&s),
                           "\r\n\r\n{\"Limit\":100,"
                           "\"ExclusiveStartStreamName\":\"b\"}"));
    sw_strv_release(&out);
    sw_aws_free(a);
    free_script(script, 2);
}

static void
test_list_no_progress(void **state)
{
    char *script[2];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};

    (void)state;
    /* More promised, nothing to continue from: stop at once rather
     * than ask the same question a hundred times. */
    script[0] = reply("200 OK", "{\"StreamNames\":[],\"HasMoreStreams\":true}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_EPARSE);
    assert_string_equal(e.code, "MalformedReply");
    assert_non_null(strstr(e.message, "page 1"));
    assert_null(out.v);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);

    /* The same name again, without a token. */
    script[0] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true}");
    script[1] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_EPARSE);
    assert_non_null(strstr(e.message, "page 2"));
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);
}

static void
test_list_malformed_page(void **state)
{
    char *script[2];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};

    (void)state;
    script[0] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":\"x\"}");
    script[1] = reply("200 OK", "{\"StreamNames\":[\"../etc\"],"
                                "\"HasMoreStreams\":false}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_EPARSE);
    assert_string_equal(e.code, "MalformedReply");
    assert_non_null(strstr(e.message, "ListStreams reply (page 2): "
                                      "'StreamNames' entry 0 is not a valid"));
    /* Never half a list. */
    assert_null(out.v);
    assert_int_equal(out.n, 0);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);
}

static void
test_list_aws_error(void **state)
{
    char *script[1];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};

    (void)state;
    script[0] = reply("400 Bad Request",
                      "{\"__type\":\"AccessDeniedException\",\"message\":"
                      "\"User is not authorized to perform: "
                      "kinesis:ListStreams\"}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 3);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_EAWS);
    assert_string_equal(e.code, "AccessDeniedException");
    assert_non_null(strstr(e.message, "kinesis:ListStreams"));
    assert_int_equal(e.http_status, 400);
    assert_int_equal(e.attempts, 1);
    assert_null(out.v);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);
}

static void
test_list_expired_token(void **state)
{
    char *script[5];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};
    static const char expired[] =
        "{\"__type\":\"ExpiredNextTokenException\",\"message\":"
        "\"The token has expired\"}";

    (void)state;
    /* One expiry restarts the listing from the top; the partial list
     * from before is dropped (a stream may have been deleted since). */
    script[0] = reply("200 OK", "{\"StreamNames\":[\"old\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":\"t\"}");
    script[1] = reply("400 Bad Request", expired);
    script[2] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":\"u\"}");
    script[3] =
        reply("200 OK", "{\"StreamNames\":[\"b\"],\"HasMoreStreams\":false}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 4);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), 0);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0], "a");
    assert_string_equal(out.v[1], "b");
    assert_int_equal(e.attempts, 4);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_int_equal(
        sw_test_count(sw_test_server_log(&s), "\r\n\r\n{\"Limit\":100}\n"), 2);
    sw_strv_release(&out);
    sw_aws_free(a);
    free_script(script, 4);

    /* A second expiry is an error. */
    script[0] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":\"t\"}");
    script[1] = reply("400 Bad Request", expired);
    script[2] = reply("200 OK", "{\"StreamNames\":[\"a\"],"
                                "\"HasMoreStreams\":true,\"NextToken\":\"t\"}");
    script[3] = reply("400 Bad Request", expired);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 4);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_EAWS);
    assert_string_equal(e.code, "ExpiredNextTokenException");
    assert_null(out.v);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 4);
}

static void
test_list_too_many(void **state)
{
    char *script[2];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};
    struct sw_buf b;

    (void)state;
    /* 10,000 on the first page is the cap; one more is too many. */
    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_buf_adds(&b, "{\"StreamNames\":["), 0);
    for (int i = 0; i < SW_KINESIS_MAX_STREAMS; i++)
        assert_int_equal(sw_buf_addf(&b, "%s\"s%05d\"", i ? "," : "", i), 0);
    assert_int_equal(sw_buf_adds(&b, "],\"HasMoreStreams\":true,"
                                     "\"NextToken\":\"n\"}"),
                     0);
    script[0] = reply("200 OK", sw_buf_str(&b));
    script[1] =
        reply("200 OK", "{\"StreamNames\":[\"z\"],\"HasMoreStreams\":false}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    assert_int_equal(sw_kinesis_list_streams(a, &out, &e), SW_ETOOBIG);
    assert_string_equal(e.code, "TooManyStreams");
    assert_null(out.v);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);
    sw_buf_release(&b);
}

static void
test_list_bad_args(void **state)
{
    struct sw_aws_error e;
    struct sw_strv out = {NULL, 0};

    (void)state;
    assert_int_equal(sw_kinesis_list_streams(NULL, &out, &e), SW_EINVAL);
    assert_int_equal(sw_kinesis_list_streams(NULL, &out, NULL), SW_EINVAL);
}

/* ------------------------------------------------------------------ */
/* DescribeStreamSummary                                               */

/* The reply of the "To describe a data stream summary" example of the
 * AWS CLI reference, with OpenShardCount 3. */
#define SUMMARY_OK                                                             \
    "{\"StreamDescriptionSummary\":{\"StreamName\":\"samplestream\","          \
    "\"StreamARN\":\"arn:aws:kinesis:us-west-2:123456789012:stream/"           \
    "samplestream\",\"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":"        \
    "{\"StreamMode\":\"PROVISIONED\"},\"RetentionPeriodHours\":48,"            \
    "\"StreamCreationTimestamp\":1572297168.0,\"EnhancedMonitoring\":"         \
    "[{\"ShardLevelMetrics\":[]}],\"EncryptionType\":\"NONE\","                \
    "\"OpenShardCount\":3,\"ConsumerCount\":0}}"

static void
test_arn_valid(void **state)
{
    char longest[SW_KINESIS_ARN_MAX + 2];
    size_t n;

    (void)state;
    assert_true(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:123456789012:stream/samplestream"));
    assert_true(sw_kinesis_arn_is_valid(
        "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a"));
    assert_true(sw_kinesis_arn_is_valid(
        "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/a.b-c_d"));
    assert_false(sw_kinesis_arn_is_valid(NULL));
    assert_false(sw_kinesis_arn_is_valid(""));
    assert_false(sw_kinesis_arn_is_valid("samplestream"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:sqs:us-west-2:123456789012:stream/samplestream"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:12345678901:stream/samplestream"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:1234567890123:stream/samplestream"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:123456789012:stream/samplestream")); /* one ':' */
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:123456789012:stream/"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:123456789012:stream/a b"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:123456789012:stream/a\nb"));
    assert_false(sw_kinesis_arn_is_valid(
        "arn:aws:kinesis:us-west-2:123456789012:table/a"));
    /* 2048 bytes is the most. */
    n = (size_t)snprintf(longest, sizeof(longest),
                         "arn:aws:kinesis:us-west-2:123456789012:stream/");
    memset(longest + n, 'x', sizeof(longest) - n);
    longest[SW_KINESIS_ARN_MAX] = '\0';
    assert_true(sw_kinesis_arn_is_valid(longest));
    longest[SW_KINESIS_ARN_MAX] = 'x';
    longest[SW_KINESIS_ARN_MAX + 1] = '\0';
    assert_false(sw_kinesis_arn_is_valid(longest));
}

static void
test_summary_request(void **state)
{
    static const char arn[] =
        "arn:aws:kinesis:us-west-2:123456789012:stream/samplestream";
    struct sw_buf b;
    char err[256];

    (void)state;
    sw_buf_init(&b, 4096);
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         "samplestream", NULL, &b, err, sizeof(err)),
                     0);
    assert_string_equal(sw_buf_str(&b), "{\"StreamName\":\"samplestream\"}");
    sw_buf_reset(&b);
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         NULL, arn, &b, err, sizeof(err)),
                     0);
    assert_string_equal(sw_buf_str(&b),
                        "{\"StreamARN\":\"arn:aws:kinesis:us-west-2:"
                        "123456789012:stream/samplestream\"}");
    sw_buf_reset(&b);
    /* Both, in the model's member order. */
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         "samplestream", arn, &b, err, sizeof(err)),
                     0);
    assert_string_equal(sw_buf_str(&b),
                        "{\"StreamName\":\"samplestream\",\"StreamARN\":"
                        "\"arn:aws:kinesis:us-west-2:123456789012:stream/"
                        "samplestream\"}");

    /* Refused, and the buffer as it was. */
    sw_buf_reset(&b);
    assert_int_equal(sw_buf_adds(&b, "keep"), 0);
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         NULL, NULL, &b, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "StreamName or StreamARN is required");
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         "a\"b", NULL, &b, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "StreamName"));
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         NULL, "arn:aws:kinesis:x", &b, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "StreamARN"));
    assert_int_equal(sw_kinesis_describe_stream_summary_request(
                         "a", NULL, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(sw_buf_str(&b), "keep");
    sw_buf_release(&b);
}

static int
parse_summary(const char *json, struct sw_kinesis_summary *out, char *err,
              size_t errlen)
{
    return sw_kinesis_describe_stream_summary_parse(json, strlen(json), out,
                                                    err, errlen);
}

static void
test_summary_parse(void **state)
{
    struct sw_kinesis_summary sum;
    char err[256];

    (void)state;
    assert_int_equal(parse_summary(SUMMARY_OK, &sum, err, sizeof(err)), 0);
    assert_string_equal(sum.name, "samplestream");
    assert_string_equal(sum.status, "ACTIVE");
    assert_int_equal(sum.open_shards, 3);
    /* The three members used are enough; a status AWS adds later is
     * kept as it came. */
    assert_int_equal(
        parse_summary("{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
                      "\"StreamStatus\":\"RESHARDING_LATER\","
                      "\"OpenShardCount\":0}}",
                      &sum, err, sizeof(err)),
        0);
    assert_string_equal(sum.status, "RESHARDING_LATER");
    assert_int_equal(sum.open_shards, 0);
    assert_int_equal(
        parse_summary("{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
                      "\"StreamStatus\":\"UPDATING\","
                      "\"OpenShardCount\":1000000}}",
                      &sum, err, sizeof(err)),
        0);
    assert_int_equal(sum.open_shards, 1000000);
    assert_int_equal(
        sw_kinesis_describe_stream_summary_parse(SUMMARY_OK, strlen(SUMMARY_OK),
                                                 NULL, err, sizeof(err)),
        SW_EINVAL);
}

static void
test_summary_malformed(void **state)
{
    static const struct {
        const char *json;
        const char *err;
    } cases[] = {
        {"", NULL},
        {"[]", "reply is an array, not a JSON object"},
        {"{}", "reply has no 'StreamDescriptionSummary'"},
        {"{\"StreamDescriptionSummary\":[]}",
         "'StreamDescriptionSummary' is an array, not an object"},
        {"{\"StreamDescriptionSummary\":{\"StreamStatus\":\"ACTIVE\","
         "\"OpenShardCount\":1}}",
         "the summary has no 'StreamName'"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a/b\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":1}}",
         "'StreamName' is not a valid stream name"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":7,"
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":1}}",
         "'StreamName' is not a valid stream name"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"OpenShardCount\":1}}",
         "the summary has no 'StreamStatus'"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"active\",\"OpenShardCount\":1}}",
         "'StreamStatus' is not a word of capital letters and '_' (1-31)"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"\",\"OpenShardCount\":1}}",
         "'StreamStatus' is not a word of capital letters and '_' (1-31)"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\\u0000\",\"OpenShardCount\":1}}",
         NULL}, /* jansson refuses it */
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\"}}",
         "the summary has no 'OpenShardCount'"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":\"4\"}}",
         "'OpenShardCount' is a string, not an integer"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":4.5}}",
         "'OpenShardCount' is a number, not an integer"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":null}}",
         "'OpenShardCount' is null, not an integer"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":-1}}",
         "'OpenShardCount' -1 is not 0-1000000"},
        {"{\"StreamDescriptionSummary\":{\"StreamName\":\"a\","
         "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":1000001}}",
         "'OpenShardCount' 1000001 is not 0-1000000"},
    };
    struct sw_kinesis_summary sum;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&sum, 0x5a, sizeof(sum));
        err[0] = '\0';
        assert_int_equal(parse_summary(cases[i].json, &sum, err, sizeof(err)),
                         SW_EPARSE);
        /* Nothing of a broken reply survives. */
        assert_int_equal(sum.open_shards, 0);
        assert_string_equal(sum.name, "");
        assert_true(err[0] != '\0' && !strchr(err, '\n'));
        if (cases[i].err && strcmp(err, cases[i].err) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].err);
    }
}

static void
test_summary_call(void **state)
{
    char *script[3];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_kinesis_summary sum;
    const char *log;

    (void)state;
    script[0] = reply("200 OK", SUMMARY_OK);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(
        sw_kinesis_describe_stream_summary(a, "samplestream", NULL, &sum, &e),
        0);
    assert_int_equal(sum.open_shards, 3);
    assert_string_equal(sum.status, "ACTIVE");
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_non_null(
        strstr(log, "X-Amz-Target: Kinesis_20131202.DescribeStreamSummary"));
    assert_non_null(strstr(log, "Content-Type: application/x-amz-json-1.1"));
    assert_non_null(strstr(log, "/ap-northeast-1/kinesis/aws4_request, "));
    assert_non_null(
        strstr(log, "\r\n\r\n{\"StreamName\":\"samplestream\"}\n====="));
    sw_aws_free(a);
    free_script(script, 1);

    /* No such stream: AWS's error, as it came. */
    script[0] = reply("400 Bad Request",
                      "{\"__type\":\"ResourceNotFoundException\",\"message\":"
                      "\"Stream nope under account 123456789012 not "
                      "found.\"}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 3);
    assert_int_equal(
        sw_kinesis_describe_stream_summary(a, "nope", NULL, &sum, &e), SW_EAWS);
    assert_string_equal(e.code, "ResourceNotFoundException");
    assert_non_null(strstr(e.message, "Stream nope under account"));
    assert_int_equal(e.attempts, 1);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);

    /* Throttled (LimitExceededException is a throttling code): retried. */
    script[0] = reply("400 Bad Request",
                      "{\"__type\":\"LimitExceededException\",\"message\":"
                      "\"Rate exceeded for stream samplestream\"}");
    script[1] = reply("200 OK", SUMMARY_OK);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 3);
    assert_int_equal(
        sw_kinesis_describe_stream_summary(a, "samplestream", NULL, &sum, &e),
        0);
    assert_int_equal(sum.open_shards, 3);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);

    /* A reply about another stream, or a broken one: malformed. */
    script[0] = reply("200 OK", SUMMARY_OK);
    script[1] = reply("200 OK", "{\"StreamDescriptionSummary\":{}}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    memset(&sum, 0, sizeof(sum));
    sum.open_shards = 42;
    assert_int_equal(
        sw_kinesis_describe_stream_summary(a, "orders", NULL, &sum, &e),
        SW_EPARSE);
    assert_string_equal(e.code, "MalformedReply");
    assert_string_equal(e.message, "DescribeStreamSummary reply: about "
                                   "stream 'samplestream', not 'orders'");
    assert_int_equal(sum.open_shards, 42); /* left alone */
    assert_int_equal(
        sw_kinesis_describe_stream_summary(a, "orders", NULL, &sum, &e),
        SW_EPARSE);
    assert_string_equal(e.message, "DescribeStreamSummary reply: the summary "
                                   "has no 'StreamName'");
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);

    /* By ARN alone: whatever stream the ARN names. */
    script[0] = reply("200 OK", SUMMARY_OK);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(
        sw_kinesis_describe_stream_summary(
            a, NULL,
            "arn:aws:kinesis:us-west-2:123456789012:stream/samplestream", &sum,
            &e),
        0);
    assert_int_equal(sum.open_shards, 3);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);

    /* Refused before sending. */
    assert_int_equal(
        sw_kinesis_describe_stream_summary(NULL, "a", NULL, &sum, &e),
        SW_EINVAL);
    assert_int_equal(
        sw_kinesis_describe_stream_summary(NULL, "a", NULL, &sum, NULL),
        SW_EINVAL);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_kinesis.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    sw_log_set_level(SW_LOG_WARN);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_KINESIS");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_CA_BUNDLE");
    unsetenv("AWS_SESSION_TOKEN");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           "/nonexistent/streamwatch/credentials", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           1);
    return 0;
}

static int
group_teardown(void **state)
{
    char p[192];

    (void)state;
    snprintf(p, sizeof(p), "%s/requests.log", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_request_body),
        cmocka_unit_test(test_request_invalid),
        cmocka_unit_test(test_parse_page),
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_long_names),
        cmocka_unit_test(test_list_follows_next_token),
        cmocka_unit_test(test_list_exclusive_start),
        cmocka_unit_test(test_list_no_progress),
        cmocka_unit_test(test_list_malformed_page),
        cmocka_unit_test(test_list_aws_error),
        cmocka_unit_test(test_list_expired_token),
        cmocka_unit_test(test_list_too_many),
        cmocka_unit_test(test_list_bad_args),
        cmocka_unit_test(test_arn_valid),
        cmocka_unit_test(test_summary_request),
        cmocka_unit_test(test_summary_parse),
        cmocka_unit_test(test_summary_malformed),
        cmocka_unit_test(test_summary_call),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
