/* tests/unit/test_client.c - the AWS client: error-reply parsing (both
 * wire formats and foreign bodies), construction (region and endpoint
 * resolution), and the retry loop against a scripted loopback server
 * (throttling, final 4xx, clock skew, expired token, cancel), and a role
 * profile's AssumeRole going through the client's own callback. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/http.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tests/unit/loopback.h"

/* ------------------------------------------------------------------ */
/* sw_aws_parse_error                                                  */

static int
parse(enum sw_aws_proto proto, long status, const char *hdr, const char *body,
      struct sw_aws_error *e)
{
    memset(e, 0x5a, sizeof(*e));
    e->attempts = 7;
    return sw_aws_parse_error(proto, status, hdr, body, body ? strlen(body) : 0,
                              e);
}

static void
test_json_namespace_code(void **state)
{
    struct sw_aws_error e;

    (void)state;
    assert_int_equal(
        parse(SW_PROTO_JSON10, 400, NULL,
              "{\"__type\":\"com.amazonaws.cloudwatch#"
              "InvalidParameterValueException\",\"message\":\"The parameter "
              "Period must be a multiple of 60.\"}",
              &e),
        0);
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.code, "InvalidParameterValueException");
    assert_string_equal(e.message,
                        "The parameter Period must be a multiple of 60.");
    assert_string_equal(e.request_id, "");
    assert_int_equal(e.attempts, 7); /* left alone */

    /* "Code:uri" and "ns#Code:uri" spellings; "Message" capitalised. */
    assert_int_equal(
        parse(SW_PROTO_JSON10, 400, NULL,
              "{\"__type\":\"SerializationException:http://internal.amazon."
              "com/coral/com.amazon.coral.validate/\",\"Message\":\"bad\"}",
              &e),
        0);
    assert_string_equal(e.code, "SerializationException");
    assert_string_equal(e.message, "bad");
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL,
                           "{\"__type\":\"aws.protocoltests.restjson#FooError:"
                           "http://internal.amazon.com/coral/x/\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "FooError");
    assert_string_equal(e.message, "");

    /* Kinesis (JSON 1.1): bare code, leading white space. */
    assert_int_equal(parse(SW_PROTO_JSON11, 400, NULL,
                           "\n  {\"__type\":\"ResourceNotFoundException\","
                           "\"message\":\"Stream orders under account "
                           "123456789012 not found.\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "ResourceNotFoundException");
    assert_string_equal(e.message,
                        "Stream orders under account 123456789012 not found.");

    /* Auth errors the fake and AWS send without the query header. */
    assert_int_equal(parse(SW_PROTO_JSON10, 403, NULL,
                           "{\"__type\": \"ExpiredTokenException\", "
                           "\"message\": \"The security token included in "
                           "the request is expired\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "ExpiredTokenException");

    /* No __type but a "code" member. */
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL,
                           "{\"code\":\"Odd\",\"message\":\"m\"}", &e),
                     0);
    assert_string_equal(e.code, "Odd");
}

static void
test_json_query_error_header(void **state)
{
    struct sw_aws_error e;

    (void)state;
    assert_int_equal(parse(SW_PROTO_JSON10, 400, "InvalidParameterValue;Sender",
                           "{\"__type\":\"com.amazonaws.cloudwatch#"
                           "InvalidParameterValueException\",\"message\":"
                           "\"bad period\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "InvalidParameterValue");
    assert_string_equal(e.message, "bad period");

    assert_int_equal(parse(SW_PROTO_JSON10, 400, "Throttling;Sender",
                           "{\"__type\":\"Throttling\",\"message\":\"Rate "
                           "exceeded\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "Throttling");
    assert_string_equal(e.message, "Rate exceeded");

    /* The header alone is enough, even over a foreign body. */
    assert_int_equal(parse(SW_PROTO_JSON10, 500,
                           "InternalServiceError;Receiver", "oops", &e),
                     0);
    assert_string_equal(e.code, "InternalServiceError");
    /* A header without a code, or with a hostile one. */
    assert_int_equal(
        parse(SW_PROTO_JSON10, 400, ";Sender", "{\"__type\":\"X#Y\"}", &e), 0);
    assert_string_equal(e.code, "Y");
    assert_int_equal(parse(SW_PROTO_JSON10, 400, "A\x01 B;Sender",
                           "{\"__type\":\"X#Y\"}", &e),
                     0);
    assert_string_equal(e.code, "A??B");
    /* The Query protocol has no such header: ignored. */
    assert_int_equal(parse(SW_PROTO_QUERY, 400, "Other;Sender",
                           "<ErrorResponse><Error><Code>Throttling</Code>"
                           "</Error></ErrorResponse>",
                           &e),
                     0);
    assert_string_equal(e.code, "Throttling");
}

static void
test_query_xml(void **state)
{
    struct sw_aws_error e;

    (void)state;
    assert_int_equal(
        parse(SW_PROTO_QUERY, 400, NULL,
              "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
              "2010-08-01/\">\n  <Error>\n    <Type>Sender</Type>\n"
              "    <Code>Throttling</Code>\n    <Message>Rate exceeded"
              "</Message>\n  </Error>\n  <RequestId>2f85f68d-980b-11e7-a296-"
              "21716fd2d2e3</RequestId>\n</ErrorResponse>\n",
              &e),
        0);
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.code, "Throttling");
    assert_string_equal(e.message, "Rate exceeded");
    assert_string_equal(e.request_id, "2f85f68d-980b-11e7-a296-21716fd2d2e3");

    /* With an XML declaration and an STS namespace. */
    assert_int_equal(
        parse(SW_PROTO_QUERY, 403, NULL,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse "
              "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
              "<Type>Sender</Type><Code>ExpiredToken</Code><Message>The "
              "security token included in the request is expired</Message>"
              "</Error><RequestId>r-1</RequestId></ErrorResponse>",
              &e),
        0);
    assert_string_equal(e.code, "ExpiredToken");
    assert_string_equal(e.request_id, "r-1");

    /* The EC2-style shape. */
    assert_int_equal(
        parse(SW_PROTO_QUERY, 400, NULL,
              "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
              "<Message>Request limit exceeded.</Message></Error></Errors>"
              "<RequestID>ec2-req-9</RequestID></Response>",
              &e),
        0);
    assert_string_equal(e.code, "RequestLimitExceeded");
    assert_string_equal(e.message, "Request limit exceeded.");
    assert_string_equal(e.request_id, "ec2-req-9");

    /* A bare <Error> as some front ends send. */
    assert_int_equal(parse(SW_PROTO_QUERY, 503, NULL,
                           "<Error><Code>SlowDown</Code><Message>Please "
                           "reduce your request rate.</Message><RequestId>"
                           "s3</RequestId></Error>",
                           &e),
                     0);
    assert_string_equal(e.code, "SlowDown");
    assert_string_equal(e.request_id, "s3");

    /* An XML body of the wrong shape is not an AWS error. */
    assert_int_equal(
        parse(SW_PROTO_QUERY, 400, NULL, "<Foo><Code>X</Code></Foo>", &e),
        SW_EPARSE);
    assert_string_equal(e.code, "HTTP400");
    assert_string_equal(e.request_id, "");
    assert_int_equal(parse(SW_PROTO_QUERY, 400, NULL,
                           "<ErrorResponse><Error><Message>no code</Message>"
                           "</Error></ErrorResponse>",
                           &e),
                     SW_EPARSE);
    assert_string_equal(e.code, "HTTP400");

    /* A body in the other protocol's format is still understood. */
    assert_int_equal(parse(SW_PROTO_QUERY, 400, NULL,
                           "{\"__type\":\"X#Throttling\",\"message\":\"m\"}",
                           &e),
                     0);
    assert_string_equal(e.code, "Throttling");
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL,
                           "<ErrorResponse><Error><Code>Throttling</Code>"
                           "</Error></ErrorResponse>",
                           &e),
                     0);
    assert_string_equal(e.code, "Throttling");
}

static void
test_html_page(void **state)
{
    struct sw_aws_error e;

    (void)state;
    assert_int_equal(
        parse(SW_PROTO_JSON10, 502, NULL,
              "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
              "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
              "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
              &e),
        SW_EPARSE);
    assert_int_equal(e.http_status, 502);
    assert_string_equal(e.code, "HTTP502");
    assert_string_equal(e.message, "502 Bad Gateway 502 Bad Gateway nginx");
    assert_string_equal(e.request_id, "");

    /* A DOCTYPE (refused by the XML parser) and plain text. */
    assert_int_equal(parse(SW_PROTO_QUERY, 503, NULL,
                           "<!DOCTYPE html><html><body>Service "
                           "Unavailable</body></html>",
                           &e),
                     SW_EPARSE);
    assert_string_equal(e.code, "HTTP503");
    assert_string_equal(e.message, "Service Unavailable");
    assert_int_equal(
        parse(SW_PROTO_QUERY, 403, NULL, "Forbidden\nby proxy\x1b[31m", &e),
        SW_EPARSE);
    assert_string_equal(e.code, "HTTP403");
    assert_string_equal(e.message, "Forbidden by proxy [31m");

    /* JSON that is not an AWS error, and broken JSON. */
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL, "{\"foo\": 1}", &e),
                     SW_EPARSE);
    assert_string_equal(e.code, "HTTP400");
    assert_string_equal(e.message, "{\"foo\": 1}");
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL, "{\"__type\": ", &e),
                     SW_EPARSE);
    assert_string_equal(e.code, "HTTP400");
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL, "[\"__type\"]", &e),
                     SW_EPARSE);
}

static void
test_empty_body(void **state)
{
    struct sw_aws_error e;

    (void)state;
    assert_int_equal(parse(SW_PROTO_JSON10, 503, NULL, "", &e), SW_EPARSE);
    assert_string_equal(e.code, "HTTP503");
    assert_string_equal(e.message, "Service Unavailable");
    assert_int_equal(parse(SW_PROTO_JSON10, 429, NULL, NULL, &e), SW_EPARSE);
    assert_string_equal(e.code, "HTTP429");
    assert_string_equal(e.message, "Too Many Requests");
    assert_int_equal(parse(SW_PROTO_QUERY, 599, NULL, " \r\n ", &e), SW_EPARSE);
    assert_string_equal(e.code, "HTTP599");
    assert_string_equal(e.message, "empty reply");
    /* A body of NULs and control bytes shows as nothing. */
    assert_int_equal(
        sw_aws_parse_error(SW_PROTO_QUERY, 500, NULL, "\0\0\x01\x02", 4, &e),
        SW_EPARSE);
    assert_string_equal(e.code, "HTTP500");
    assert_string_equal(e.message, "Internal Server Error");
    assert_int_equal(sw_aws_parse_error(SW_PROTO_QUERY, 500, NULL, "", 0, NULL),
                     SW_EINVAL);
}

static void
test_oversize(void **state)
{
    struct sw_aws_error e;
    struct sw_buf b;
    size_t n;

    (void)state;
    /* A message longer than the field: cut, terminated. */
    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_buf_adds(&b, "{\"__type\":\"X#"), 0);
    for (int i = 0; i < 300; i++)
        assert_int_equal(sw_buf_adds(&b, "C"), 0);
    assert_int_equal(sw_buf_adds(&b, "\",\"message\":\""), 0);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(sw_buf_addc(&b, (char)('a' + i % 26)), 0);
    assert_int_equal(sw_buf_adds(&b, "\"}"), 0);
    assert_int_equal(
        sw_aws_parse_error(SW_PROTO_JSON10, 400, NULL, b.data, b.len, &e), 0);
    assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
    assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
    assert_int_equal(strncmp(e.message, "abcdefghijklmnopqrstuvwxyzabc", 29),
                     0);

    /* Multi-byte UTF-8 is never cut in the middle of a character. */
    sw_buf_reset(&b);
    assert_int_equal(sw_buf_adds(&b, "{\"__type\":\"X\",\"message\":\"a"), 0);
    for (int i = 0; i < 400; i++)
        assert_int_equal(sw_buf_adds(&b, "\xe6\x97\xa5"), 0); /* U+65E5 */
    assert_int_equal(sw_buf_adds(&b, "\"}"), 0);
    assert_int_equal(
        sw_aws_parse_error(SW_PROTO_JSON10, 400, NULL, b.data, b.len, &e), 0);
    n = strlen(e.message);
    assert_true(n < sizeof(e.message));
    assert_int_equal((n - 1) % 3, 0);
    assert_int_equal((unsigned char)e.message[n - 1], 0xa5);

    /* Control characters in an AWS message cannot split a log line. */
    assert_int_equal(parse(SW_PROTO_JSON10, 400, NULL,
                           "{\"__type\":\"X\",\"message\":\"line1\\nFAKE: "
                           "line2\\r\\t\\u0007end\"}",
                           &e),
                     0);
    assert_string_equal(e.message, "line1 FAKE: line2 end");

    /* Over 64 KiB: not parsed, shown as a foreign body. */
    sw_buf_reset(&b);
    assert_int_equal(
        sw_buf_adds(&b, "{\"__type\":\"Throttling\",\"message\":\""), 0);
    for (int i = 0; i < 70000; i++)
        assert_int_equal(sw_buf_addc(&b, 'x'), 0);
    assert_int_equal(sw_buf_adds(&b, "\"}"), 0);
    assert_int_equal(
        sw_aws_parse_error(SW_PROTO_JSON10, 400, NULL, b.data, b.len, &e),
        SW_EPARSE);
    assert_string_equal(e.code, "HTTP400");
    assert_true(strlen(e.message) <= 200);
    assert_int_equal(strncmp(e.message, "{\"__type\":\"Throttling\"", 22), 0);

    /* A long HTML page: only the first 200 bytes are looked at. */
    sw_buf_reset(&b);
    assert_int_equal(sw_buf_adds(&b, "<html><body>"), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(sw_buf_adds(&b, "word "), 0);
    assert_int_equal(
        sw_aws_parse_error(SW_PROTO_QUERY, 502, NULL, b.data, b.len, &e),
        SW_EPARSE);
    assert_true(strlen(e.message) <= 200);
    assert_int_equal(strncmp(e.message, "word word", 9), 0);
    assert_null(strchr(e.message, '<'));
    sw_buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* sw_aws_new                                                          */

static char tmpdir[64];
static char cfgpath[128];

static int
env_setup(void **state)
{
    (void)state;
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_DEFAULT_PROFILE");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH");
    unsetenv("AWS_ENDPOINT_URL_SNS");
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_ENDPOINT_URL_KINESIS");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_CA_BUNDLE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SECURITY_TOKEN");
    unsetenv("AWS_CREDENTIAL_EXPIRATION");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           "/nonexistent/streamwatch/credentials", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           1);
    return 0;
}

static void
test_new_region(void **state)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char err[256];
    FILE *f;

    (void)state;
    env_setup(NULL);
    memset(&o, 0, sizeof(o));
    /* Nowhere to find a region. */
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    assert_null(a);
    assert_non_null(strstr(err, "region"));

    /* The profile's region (a real config file). */
    f = fopen(cfgpath, "w");
    assert_non_null(f);
    fputs("[default]\nregion = eu-west-1\n", f);
    fclose(f);
    setenv("AWS_CONFIG_FILE", cfgpath, 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_region(a), "eu-west-1");
    sw_aws_free(a);
    /* AWS_DEFAULT_REGION beats the profile, AWS_REGION beats both, the
     * config beats everything. */
    setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_region(a), "us-west-2");
    sw_aws_free(a);
    setenv("AWS_REGION", "cn-north-1", 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_region(a), "cn-north-1");
    assert_string_equal(sw_aws_partition(a), "aws-cn");
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_MONITORING),
                        "https://monitoring.cn-north-1.amazonaws.com.cn");
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_SNS),
                        "https://sns.cn-north-1.amazonaws.com.cn");
    assert_null(sw_aws_endpoint(a, SW_SVC_COUNT));
    assert_int_equal(sw_aws_clock_offset(a), 0);
    sw_aws_free(a);
    o.region = "ap-northeast-1";
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_region(a), "ap-northeast-1");
    assert_string_equal(sw_aws_partition(a), "aws");
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_MONITORING),
                        "https://monitoring.ap-northeast-1.amazonaws.com");
    sw_aws_free(a);

    o.region = "ap-northeast-1\nX";
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    assert_null(strchr(err, '\n'));
    unlink(cfgpath);
    env_setup(NULL);
    sw_aws_free(NULL);
}

static void
test_new_endpoints(void **state)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char err[256];

    (void)state;
    env_setup(NULL);
    memset(&o, 0, sizeof(o));
    o.region = "us-east-1";
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
    setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9911", 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_MONITORING),
                        "http://127.0.0.1:4566");
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_SNS),
                        "http://127.0.0.1:9911");
    sw_aws_free(a);
    /* The config's endpoint wins over the environment. */
    o.endpoint = "https://monitoring.example.internal/";
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_MONITORING),
                        "https://monitoring.example.internal");
    assert_string_equal(sw_aws_endpoint(a, SW_SVC_SNS),
                        "https://monitoring.example.internal");
    sw_aws_free(a);
    o.endpoint = NULL;
    setenv("AWS_ENDPOINT_URL_SNS", "http://user:pw@127.0.0.1:9911", 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    assert_null(a);
    assert_non_null(strstr(err, "AWS_ENDPOINT_URL_SNS"));
    env_setup(NULL);

    setenv("AWS_MAX_ATTEMPTS", "0", 1);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    assert_non_null(strstr(err, "AWS_MAX_ATTEMPTS"));
    o.max_attempts = 2; /* the config wins */
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    sw_aws_free(a);
    o.max_attempts = 11;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    env_setup(NULL);

    o.max_attempts = 0;
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), SW_EINVAL);
    assert_null(a);
    assert_int_equal(sw_aws_new(NULL, &a, err, sizeof(err)), SW_EINVAL);
}

/* ------------------------------------------------------------------ */
/* The retry loop against a scripted loopback server                   */

static double
zero_rand(void *arg)
{
    (void)arg;
    return 0.0;
}

/* A whole HTTP reply with the right Content-Length.  Returns: BUF. */
static const char *
mkreply(char *buf, size_t n, const char *status, const char *headers,
        const char *body)
{
    int w = snprintf(buf, n,
                     "HTTP/1.1 %s\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n%s",
                     status, headers, strlen(body), body);

    assert_true(w > 0 && (size_t)w < n);
    return buf;
}

static char throttle_json[512];
static char ok_json[256];

static void
build_replies(void)
{
    mkreply(throttle_json, sizeof(throttle_json), "400 Bad Request",
            "x-amzn-RequestId: rid-throttle\r\n"
            "x-amzn-query-error: Throttling;Sender\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n",
            "{\"__type\":\"Throttling\",\"message\":\"Rate exceeded\"}");
    mkreply(ok_json, sizeof(ok_json), "200 OK",
            "x-amzn-RequestId: rid-ok\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n",
            "{\"Datapoints\":[]");
}

static struct sw_aws *
client_for(struct sw_test_server *s, int max_attempts)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char url[64], err[256];

    env_setup(NULL);
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
test_call_retries_throttling(void **state)
{
    const char *const script[] = {throttle_json, throttle_json, ok_json};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_buf reply;
    const char *log;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 3);
    a = client_for(&s, 0);
    sw_buf_init(&reply, 1024);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, &reply, &e),
                     0);
    assert_int_equal(e.attempts, 3);
    assert_string_equal(sw_buf_str(&reply), "{\"Datapoints\":[]");
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_int_equal(sw_test_count(log, "POST / HTTP/1.1\r\n"), 3);
    /* What every request must carry. */
    assert_int_equal(sw_test_count(log, "\r\nHost: 127.0.0.1:"), 3);
    assert_int_equal(sw_test_count(log,
                                   "\r\nX-Amz-Target: GraniteServiceVersion"
                                   "20100801.GetMetricStatistics\r\n"),
                     3);
    assert_int_equal(
        sw_test_count(log, "\r\nContent-Type: application/x-amz-json-1.0"
                           "\r\n"),
        3);
    assert_int_equal(sw_test_count(log, "\r\nUser-Agent: streamwatch/"), 3);
    /* Signed for the configured region and CloudWatch's signing name, not
     * for anything derived from 127.0.0.1. */
    assert_int_equal(sw_test_count(log,
                                   "/ap-northeast-1/monitoring/aws4_request, "
                                   "SignedHeaders="),
                     3);
    assert_int_equal(sw_test_count(log, "x-amz-target"), 3);
    assert_int_equal(sw_test_count(log, "\r\nExpect:"), 0);
    assert_int_equal(sw_test_count(log, "X-Amz-Security-Token"), 0);
    sw_buf_release(&reply);
    sw_aws_free(a);
}

static void
test_call_throttled_out(void **state)
{
    const char *const script[] = {throttle_json, throttle_json};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_buf reply;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 2);
    a = client_for(&s, 2);
    sw_buf_init(&reply, 1024);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, &reply, &e),
                     SW_ETHROTTLED);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.code, "Throttling");
    assert_string_equal(e.message, "Rate exceeded");
    assert_string_equal(e.request_id, "rid-throttle");
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_buf_release(&reply);
    sw_aws_free(a);
}

static void
test_call_final_error(void **state)
{
    static char bad[512];
    const char *const script[] = {bad};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    const char *log;
    const char *form = "Action=GetMetricStatistics&Version=2010-08-01";

    (void)state;
    mkreply(bad, sizeof(bad), "400 Bad Request", "Content-Type: text/xml\r\n",
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter"
            "Value</Code><Message>The parameter Period must be a multiple of "
            "60.</Message></Error><RequestId>rid-xml</RequestId>"
            "</ErrorResponse>");
    sw_test_server_start(&s, tmpdir, script, 1);
    a = client_for(&s, 0);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_QUERY,
                                 "GetMetricStatistics", form, strlen(form),
                                 NULL, &e),
                     SW_EAWS);
    assert_int_equal(e.attempts, 1);
    assert_string_equal(e.code, "InvalidParameterValue");
    assert_string_equal(e.request_id, "rid-xml");
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_non_null(strstr(log, "\r\nContent-Type: application/x-www-form-"
                                "urlencoded; charset=utf-8\r\n"));
    assert_null(strstr(log, "X-Amz-Target"));
    assert_non_null(strstr(log, "\r\n\r\nAction=GetMetricStatistics&Version="
                                "2010-08-01"));
    sw_aws_free(a);
}

static void
test_call_clock_skew(void **state)
{
    static char skewed[512];
    const char *const script[] = {skewed, ok_json};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    time_t ahead = time(NULL) + 3600;
    char date[64], amz[32], hdr[96];
    struct tm tm;
    const char *log,
        *body = "{\"__type\":\"SignatureDoesNotMatch\",\"message\":\"Signature "
                "expired\"}";

    (void)state;
    gmtime_r(&ahead, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(hdr, sizeof(hdr), "Date: %s\r\n", date);
    mkreply(skewed, sizeof(skewed), "403 Forbidden", hdr, body);
    sw_test_server_start(&s, tmpdir, script, 2);
    a = client_for(&s, 1); /* even with a single attempt allowed */
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     0);
    assert_int_equal(e.attempts, 2);
    assert_true(sw_aws_clock_offset(a) >= 3590 &&
                sw_aws_clock_offset(a) <= 3610);
    assert_int_equal(sw_test_server_wait(&s), 0);
    /* The retry was signed an hour ahead. */
    log = sw_test_server_log(&s);
    strftime(amz, sizeof(amz), "X-Amz-Date: %Y%m%dT%H", &tm);
    assert_int_equal(sw_test_count(log, amz), 1);
    sw_aws_free(a);
}

static void
test_call_expired_token(void **state)
{
    static char expired[512];
    const char *const script[] = {expired, expired};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;

    (void)state;
    mkreply(expired, sizeof(expired), "403 Forbidden", "",
            "{\"__type\":\"ExpiredTokenException\",\"message\":\"The "
            "security token included in the request is expired\"}");
    sw_test_server_start(&s, tmpdir, script, 2);
    a = client_for(&s, 3);
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", 1);
    /* Refreshed once, then given up: never backed off. */
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     SW_EAUTH);
    assert_int_equal(e.attempts, 2);
    assert_string_equal(e.code, "ExpiredTokenException");
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_int_equal(sw_test_count(sw_test_server_log(&s),
                                   "\r\nX-Amz-Security-Token: "
                                   "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
                                   "\r\n"),
                     2);
    assert_int_equal(
        sw_test_count(sw_test_server_log(&s), "x-amz-security-token"), 2);
    unsetenv("AWS_SESSION_TOKEN");
    sw_aws_free(a);
}

/* The backoff jitter source doubles as the moment to raise the flag: it
 * is called right before the client sleeps. */
static double
raise_flag(void *arg)
{
    *(volatile sig_atomic_t *)arg = 1;
    return 0.5;
}

static void
test_call_transport_and_cancel(void **state)
{
    const char *const script[] = {NULL, ok_json};
    const char *const one[] = {throttle_json};
    volatile sig_atomic_t stop = 0;
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    sw_mono_ms t0;

    (void)state;
    /* A connection closed without a reply is retried. */
    sw_test_server_start(&s, tmpdir, script, 2);
    a = client_for(&s, 0);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     0);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(sw_test_server_wait(&s), 0);

    /* The stop flag raised during the backoff sleep ends the call at
     * once, without the retry. */
    sw_test_server_start(&s, tmpdir, one, 1);
    sw_aws_free(a);
    a = client_for(&s, 0);
    sw_aws_set_cancel_flag(a, &stop);
    sw_aws_set_rand(a, raise_flag, (void *)&stop);
    t0 = sw_mono_now();
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     SW_ECANCELED);
    assert_true(sw_mono_now() - t0 < 400);
    assert_int_equal(e.attempts, 1);
    assert_string_equal(e.code, "Throttling");
    assert_int_equal(sw_test_server_wait(&s), 0);
    /* With the flag up, a new call sends nothing. */
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     SW_ECANCELED);
    assert_int_equal(e.attempts, 0);
    /* Cleared, calls work again. */
    sw_aws_set_cancel_flag(a, NULL);
    sw_test_server_start(&s, tmpdir, script + 1, 1);
    sw_aws_free(a);
    a = client_for(&s, 0);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     0);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
}

static void
test_call_bad_args(void **state)
{
    const char *const script[] = {ok_json};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 1);
    a = client_for(&s, 0);
    assert_int_equal(sw_aws_call(a, SW_SVC_SNS, SW_PROTO_JSON10, "Publish",
                                 "{}", 2, NULL, &e),
                     SW_EINVAL);
    assert_int_equal(sw_aws_call(a, SW_SVC_KINESIS, SW_PROTO_QUERY,
                                 "ListStreams", "", 0, NULL, &e),
                     SW_EINVAL);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "Get\r\nX: y", "{}", 2, NULL, &e),
                     SW_EINVAL);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10, "",
                                 "{}", 2, NULL, &e),
                     SW_EINVAL);
    assert_int_equal(sw_aws_call_with_creds(a, NULL, SW_SVC_STS, SW_PROTO_QUERY,
                                            "AssumeRole", "", 0, NULL, &e),
                     SW_ECREDS);
    assert_int_equal(e.attempts, 0);
    /* Nothing was sent: release the server with one good call. */
    assert_int_equal(sw_aws_call(a, SW_SVC_KINESIS, SW_PROTO_JSON11,
                                 "ListStreams", "{}", 2, NULL, &e),
                     0);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_non_null(strstr(sw_test_server_log(&s), "\r\nX-Amz-Target: Kinesis_"
                                                   "20131202.ListStreams\r\n"));
    assert_non_null(strstr(sw_test_server_log(&s), "/kinesis/aws4_request"));
    sw_aws_free(a);
}

/* A role profile: the chain asks STS through the client's own callback
 * (AssumeRole signed with the source profile's keys), then the call is
 * signed with the role's temporary keys; STS's refusal is the call's
 * error, naming the profile. */
static void
test_call_assume_role(void **state)
{
    static const char sts_body[] =
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/"
        "2011-06-15/\"><AssumeRoleResult><Credentials>"
        "<AccessKeyId>ASIAROLEEXAMPLE1</AccessKeyId>"
        "<SecretAccessKey>role-secret</SecretAccessKey>"
        "<SessionToken>role-token</SessionToken>"
        "<Expiration>2099-01-01T00:00:00Z</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
    static const char denied_body[] =
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        "<Message>not allowed</Message></Error><RequestId>rid-sts</RequestId>"
        "</ErrorResponse>";
    char sts_ok[1024], denied[512], url[64], err[256];
    const char *const script[] = {sts_ok, ok_json};
    const char *const refused[] = {denied};
    struct sw_test_server s;
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    struct sw_aws_error e;
    const char *log;
    FILE *f;

    (void)state;
    mkreply(sts_ok, sizeof(sts_ok), "200 OK", "Content-Type: text/xml\r\n",
            sts_body);
    mkreply(denied, sizeof(denied), "403 Forbidden",
            "Content-Type: text/xml\r\n", denied_body);
    env_setup(NULL);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    f = fopen(cfgpath, "w");
    assert_non_null(f);
    fputs("[profile base]\naws_access_key_id = AKIABASEEXAMPLE1\n"
          "aws_secret_access_key = base-secret\n"
          "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/sw\n"
          "source_profile = base\nrole_session_name = unit-test\n",
          f);
    fclose(f);
    setenv("AWS_CONFIG_FILE", cfgpath, 1);

    sw_test_server_start(&s, tmpdir, script, 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    memset(&o, 0, sizeof(o));
    o.region = "ap-northeast-1";
    o.profile = "role";
    o.endpoint = url;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    sw_aws_set_rand(a, zero_rand, NULL);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     0);
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    /* first STS, with the source keys and the profile's session name */
    assert_non_null(strstr(log, "Action=AssumeRole&Version=2011-06-15&"
                                "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3A"
                                "role%2Fsw&RoleSessionName=unit-test"));
    assert_non_null(strstr(log, "Credential=AKIABASEEXAMPLE1/"));
    assert_non_null(strstr(log, "/ap-northeast-1/sts/aws4_request"));
    /* then the call, with the role's keys and token */
    assert_non_null(strstr(log, "Credential=ASIAROLEEXAMPLE1/"));
    assert_non_null(strstr(log, "/ap-northeast-1/monitoring/aws4_request"));
    assert_non_null(strstr(log, "X-Amz-Security-Token: role-token\r\n"));
    assert_true(strstr(log, "AKIABASEEXAMPLE1") <
                strstr(log, "ASIAROLEEXAMPLE1"));
    sw_aws_free(a);

    sw_test_server_start(&s, tmpdir, refused, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                 "GetMetricStatistics", "{}", 2, NULL, &e),
                     SW_EAWS);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_string_equal(e.message,
                        "no usable credentials: profile 'role': sts: "
                        "AssumeRole on 'arn:aws:iam::123456789012:role/sw' "
                        "failed: AccessDenied: not allowed");
    sw_aws_free(a);
    unlink(cfgpath);
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
}

/* ------------------------------------------------------------------ */
/* aws/http on its own                                                 */

static void
test_http_direct(void **state)
{
    static const char interim[] =
        "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n"
        "HTTP/1.1 200 OK\r\nConnection: close\r\nX-Amzn-RequestId:   "
        "abc  \r\nX-Empty:\r\nContent-Length: 2\r\n\r\nok";
    static const char big[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                              "Content-Length: 40\r\n\r\n"
                              "0123456789012345678901234567890123456789";
    const char *const script[] = {interim, big, ok_json};
    struct sw_http_header bad[] = {{"X-Ok", "1"}, {"X-Bad", "a\r\nX-Evil: 1"}};
    struct sw_http_header badname[] = {{"X Bad", "1"}};
    struct sw_http_header imds[] = {
        {"X-aws-ec2-metadata-token-ttl-seconds", "21600"},
        {"X-aws-ec2-metadata-token", "SECRET-IMDS-TOKEN"},
        {"Authorization", "AWS4-HMAC-SHA256 SECRET-SIGNATURE"},
        {"X-Amz-Security-Token", "SECRET-SESSION"},
        {"X-Empty", ""}};
    struct sw_http_opts ho;
    struct sw_http *h = NULL;
    struct sw_http_resp resp;
    struct sw_http_req req;
    struct sw_test_server s;
    char url[64], errlog[192];
    const char *log;
    int saved, fd;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 3);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/latest/api/token", s.port);
    memset(&ho, 0, sizeof(ho));
    ho.max_body = 16;
    assert_int_equal(sw_http_new(&ho, &h), 0);
    sw_http_resp_init(&resp);
    memset(&req, 0, sizeof(req));
    req.method = "PUT";
    req.url = url;

    /* Refused before anything is sent. */
    req.headers = bad;
    req.nheaders = 2;
    assert_int_equal(sw_http_send(h, &req, &resp), SW_EINVAL);
    req.headers = badname;
    req.nheaders = 1;
    assert_int_equal(sw_http_send(h, &req, &resp), SW_EINVAL);
    req.method = "get";
    req.nheaders = 0;
    assert_int_equal(sw_http_send(h, &req, &resp), SW_EINVAL);
    req.method = "PUT";

    /* Headers of the interim 100 reply are forgotten; names lower-cased,
     * values trimmed; secrets never reach the debug log. */
    req.headers = imds;
    req.nheaders = sizeof(imds) / sizeof(imds[0]);
    req.timeout_ms = 3000;
    snprintf(errlog, sizeof(errlog), "%s/stderr.log", tmpdir);
    fflush(stderr);
    saved = dup(2);
    fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    sw_log_set_level(SW_LOG_DEBUG);
    assert_int_equal(sw_http_send(h, &req, &resp), 0);
    sw_log_set_level(SW_LOG_WARN);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(resp.status, 200);
    assert_string_equal(sw_buf_str(&resp.body), "ok");
    assert_null(sw_http_resp_header(&resp, "x-early"));
    assert_string_equal(sw_http_resp_header(&resp, "X-AMZN-REQUESTID"), "abc");
    assert_string_equal(sw_http_resp_header(&resp, "x-empty"), "");
    for (size_t i = 0; i < resp.nheaders; i++)
        for (const char *p = resp.hname[i]; *p; p++)
            assert_false(*p >= 'A' && *p <= 'Z');
    {
        FILE *f = fopen(errlog, "r");
        char buf[8192];
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        unlink(errlog);
        assert_non_null(strstr(buf, "PUT http://127.0.0.1:"));
        assert_non_null(strstr(buf, "X-aws-ec2-metadata-token-ttl-seconds: "
                                    "21600"));
        assert_int_equal(sw_test_count(buf, "[redacted]"), 3);
        assert_null(strstr(buf, "SECRET"));
        assert_non_null(strstr(buf, "< 200 (2 bytes"));
    }

    /* Over the body cap: the transfer is abandoned. */
    req.nheaders = 0;
    req.method = "GET";
    assert_int_equal(sw_http_send(h, &req, &resp), SW_ETOOBIG);
    assert_non_null(strstr(resp.error, "16 bytes"));

    /* POST with a body on the same handle. */
    req.method = "POST";
    req.body = "{}";
    req.body_len = 2;
    assert_int_equal(sw_http_send(h, &req, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_non_null(strstr(log, "PUT /latest/api/token HTTP/1.1\r\n"));
    assert_non_null(strstr(log, "\r\nContent-Length: 0\r\n"));
    assert_non_null(strstr(log, "\r\nX-Empty:\r\n"));
    assert_non_null(strstr(log, "GET /latest/api/token HTTP/1.1\r\n"));
    assert_non_null(strstr(log, "POST /latest/api/token HTTP/1.1\r\n"));
    assert_null(strstr(log, "Content-Type"));
    assert_null(strstr(log, "Expect"));
    assert_non_null(strstr(log, "\r\n\r\n{}"));
    sw_http_resp_release(&resp);
    sw_http_free(h);
    sw_http_free(NULL);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_client.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cfgpath, sizeof(cfgpath), "%s/config", tmpdir);
    sw_log_set_level(SW_LOG_WARN);
    build_replies();
    return env_setup(NULL);
}

static int
group_teardown(void **state)
{
    char p[192];

    (void)state;
    snprintf(p, sizeof(p), "%s/requests.log", tmpdir);
    unlink(p);
    unlink(cfgpath);
    rmdir(tmpdir);
    return 0;
}

/* aws/http's curl header lines, which sw_aws_prepare() and the webhook
 * notifiers build: "Name: value", "Name;" for an empty value, "Name:" to
 * stop curl's own header, the line capped by the caller's buffer. */
static void
test_http_header_lines(void **state)
{
    struct curl_slist *l = NULL, *p;
    struct sw_buf line;
    const char *want[] = {"Host: example.com", "X-Empty;", "Expect:"};
    size_t i = 0;

    (void)state;
    sw_buf_init(&line, 32);
    assert_int_equal(sw_http_header_add(&l, &line, "Host", "example.com"), 0);
    assert_int_equal(sw_http_header_add(&l, &line, "X-Empty", ""), 0);
    assert_int_equal(
        sw_http_header_add(&l, &line, "X-Long", "a value longer than the cap"),
        SW_ETOOBIG);
    assert_int_equal(sw_http_header_remove(&l, "Expect"), 0);
    for (p = l; p; p = p->next, i++) {
        assert_true(i < 3);
        assert_string_equal(p->data, want[i]);
    }
    assert_int_equal(i, 3);
    sw_buf_wipe(&line);
    sw_http_headers_free(l);
    sw_http_headers_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_namespace_code),
        cmocka_unit_test(test_json_query_error_header),
        cmocka_unit_test(test_query_xml),
        cmocka_unit_test(test_html_page),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_new_region),
        cmocka_unit_test(test_new_endpoints),
        cmocka_unit_test(test_call_retries_throttling),
        cmocka_unit_test(test_call_throttled_out),
        cmocka_unit_test(test_call_final_error),
        cmocka_unit_test(test_call_clock_skew),
        cmocka_unit_test(test_call_expired_token),
        cmocka_unit_test(test_call_transport_and_cancel),
        cmocka_unit_test(test_call_bad_args),
        cmocka_unit_test(test_call_assume_role),
        cmocka_unit_test(test_http_direct),
        cmocka_unit_test(test_http_header_lines),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
