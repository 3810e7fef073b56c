/* tests/unit/test_sigv4.c - aws/sigv4: worked examples (the IAM User Guide's
 * "Create a signed AWS API request" example key, a GetMetricStatistics Query
 * POST, the suite's post-sts-header-before case), and the inputs the signer
 * must refuse. The official suite is replayed by test_sigv4_suite.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/secret.h"

#define AKID   "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* A GetMetricStatistics Query body (267 bytes). */
static const char gms_body[] =
    "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FKinesis"
    "&MetricName=IncomingRecords&Dimensions.member.1.Name=StreamName"
    "&Dimensions.member.1.Value=orders&StartTime=2025-11-26T09%3A55%3A00Z"
    "&EndTime=2025-11-26T10%3A05%3A00Z&Period=60&Statistics.member.1=Sum";

static void
sign_gms(const char *token, struct sw_buf *authz, struct sw_buf *creq,
         struct sw_buf *sts)
{
    struct sw_sigv4_header h[4] = {
        {"Host", "monitoring.us-east-1.amazonaws.com"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"X-Amz-Date", "20251126T100530Z"},
        {"X-Amz-Security-Token", token},
    };
    struct sw_sigv4_req req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = h,
        .nheaders = token ? 4 : 3,
        .body = gms_body,
        .body_len = strlen(gms_body),
        .normalize_path = 1,
    };
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "monitoring"};
    struct tm tm = {.tm_year = 125,
                    .tm_mon = 10,
                    .tm_mday = 26,
                    .tm_hour = 10,
                    .tm_min = 5,
                    .tm_sec = 30};

    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), authz, creq, sts), 0);
}

static void
test_worked_example(void **state)
{
    struct sw_buf authz, creq, sts;
    char hash[65];

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&creq, 4096);
    sw_buf_init(&sts, 4096);
    assert_int_equal(strlen(gms_body), 267);
    assert_int_equal(sw_sha256_hex(gms_body, strlen(gms_body), hash), 0);
    assert_string_equal(
        hash,
        "ec18d8e0e43f45b7b9fc8885119bfdf88731f651c37767f094c50a4095c9a0d4");

    sign_gms(NULL, &authz, &creq, &sts);
    assert_string_equal(
        sw_buf_str(&creq),
        "POST\n/\n\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
        "host:monitoring.us-east-1.amazonaws.com\n"
        "x-amz-date:20251126T100530Z\n\n"
        "content-type;host;x-amz-date\n"
        "ec18d8e0e43f45b7b9fc8885119bfdf88731f651c37767f094c50a4095c9a0d4");
    assert_string_equal(
        sw_buf_str(&sts),
        "AWS4-HMAC-SHA256\n20251126T100530Z\n"
        "20251126/us-east-1/monitoring/aws4_request\n"
        "61b80128af0db0e34e2c81664729923728e62fe55c10b165b833eb233ef0f0b7");
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251126/us-east-1/"
        "monitoring/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date, Signature=92434e616173b10ae3859b72d00e2d49eb30b3eb3104"
        "b2be8ccd00303b7b8c7f");

    /* With a session token, signed as well. */
    sign_gms("FwoGZXIvYXdzEXAMPLESESSIONTOKEN", &authz, &creq, &sts);
    assert_non_null(strstr(sw_buf_str(&creq),
                           "\nx-amz-security-token:"
                           "FwoGZXIvYXdzEXAMPLESESSIONTOKEN\n\n"
                           "content-type;host;x-amz-date;"
                           "x-amz-security-token\n"));
    assert_non_null(strstr(sw_buf_str(&sts),
                           "\n9a5b44a0677aa30a1ec303db31412c414cdcf20c7f0dbe"
                           "65569ceb747d8a8ebb"));
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251126/us-east-1/"
        "monitoring/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date;x-amz-security-token, Signature=66ddc51cac4ba4647b1ce26"
        "4f776f71f57e44d71b86b7472ab56797da5175bc0");

    /* The canonical outputs are optional. */
    sw_buf_release(&authz);
    {
        struct sw_sigv4_header h[3] = {
            {"Host", "monitoring.us-east-1.amazonaws.com"},
            {"Content-Type",
             "application/x-www-form-urlencoded; charset=utf-8"},
            {"X-Amz-Date", "20251126T100530Z"},
        };
        struct sw_sigv4_req req = {"POST",           "/", NULL, h, 3, gms_body,
                                   strlen(gms_body), 1};
        struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "monitoring"};
        struct tm tm = {.tm_year = 125,
                        .tm_mon = 10,
                        .tm_mday = 26,
                        .tm_hour = 10,
                        .tm_min = 5,
                        .tm_sec = 30};

        assert_int_equal(
            sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, NULL), 0);
        assert_non_null(strstr(sw_buf_str(&authz),
                               "Signature=92434e616173b10ae3859b72d00e2d49eb"
                               "30b3eb3104b2be8ccd00303b7b8c7f"));
    }
    sw_buf_release(&authz);
    sw_buf_release(&creq);
    sw_buf_release(&sts);
}

static void
assert_key(const char *date, const char *region, const char *service,
           const char *want)
{
    unsigned char k[32];
    char hex[65];

    assert_int_equal(sw_sigv4_signing_key(SECRET, date, region, service, k), 0);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", k[i]);
    sw_memzero(k, sizeof(k));
    assert_string_equal(hex, want);
}

/* Known kSigning values: the IAM User Guide's example, the
 * GetMetricStatistics example and the test suite's. */
static void
test_signing_key(void **state)
{
    unsigned char k[32];

    (void)state;
    assert_key("20150830", "us-east-1", "iam",
               "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154"
               "a4b9");
    assert_key("20251126", "us-east-1", "monitoring",
               "c2d2221459ccb046c0977acb114590707b9dd10d0d3413df391374037b89"
               "deb3");
    assert_key("20150830", "us-east-1", "service",
               "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901"
               "be75");
    assert_int_equal(
        sw_sigv4_signing_key(SECRET, "2015083", "us-east-1", "iam", k),
        SW_EINVAL);
    assert_int_equal(
        sw_sigv4_signing_key(SECRET, "2015083x", "us-east-1", "iam", k),
        SW_EINVAL);
    assert_int_equal(sw_sigv4_signing_key(SECRET, "20150830", "", "iam", k),
                     SW_EINVAL);
}

/* The suite's post-sts-header-before case, written out so it runs even
 * where the suite's files are absent. */
static void
test_sts_header_before(void **state)
{
    static const char token[] =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
        "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcG"
        "dQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75"
        "YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbq"
        "BAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oL"
        "xBA==";
    struct sw_sigv4_header h[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Amz-Security-Token", token},
    };
    struct sw_sigv4_req req = {"POST", "/", NULL, h, 3, NULL, 0, 1};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct tm tm = {.tm_year = 115,
                    .tm_mon = 7,
                    .tm_mday = 30,
                    .tm_hour = 12,
                    .tm_min = 36};
    struct sw_buf authz, sts;

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&sts, 4096);
    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, &sts), 0);
    assert_string_equal(
        sw_buf_str(&sts),
        "AWS4-HMAC-SHA256\n20150830T123600Z\n"
        "20150830/us-east-1/service/aws4_request\n"
        "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a8"
        "2be05ead");
    /* post-sts-header-after signs like post-vanilla. */
    req.nheaders = 2;
    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, NULL), 0);
    assert_non_null(strstr(sw_buf_str(&authz),
                           "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30"
                           "862966e37dddb68e92efbe5d6b"));
    sw_buf_release(&authz);
    sw_buf_release(&sts);
}

static int
sign_one(const char *method, const char *path, const char *query,
         const struct sw_sigv4_header *h, size_t nh, int normalize,
         struct sw_buf *creq)
{
    struct sw_sigv4_req req = {method, path, query, h, nh, NULL, 0, normalize};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct tm tm = {.tm_year = 115,
                    .tm_mon = 7,
                    .tm_mday = 30,
                    .tm_hour = 12,
                    .tm_min = 36};
    struct sw_buf authz;
    int r;

    sw_buf_init(&authz, 4096);
    r = sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, creq, NULL);
    if (r < 0)
        assert_int_equal(authz.len, 0);
    sw_buf_release(&authz);
    return r;
}

static void
test_errors(void **state)
{
    struct sw_sigv4_header ok[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_sigv4_header nohost[1] = {{"X-Amz-Date", "20150830T123600Z"}};
    struct sw_sigv4_header nodate[1] = {{"Host", "example.amazonaws.com"}};
    struct sw_sigv4_header wrongdate[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123601Z"},
    };
    struct sw_sigv4_header crlf[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My-Header", "a\r\nX-Injected: 1"},
    };
    struct sw_sigv4_header lf[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My-Header", "a\nb"},
    };
    struct sw_sigv4_header badname[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My Header", "a"},
    };
    struct sw_sigv4_header emptyhost[2] = {
        {"Host", "  "},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_sigv4_req req = {"GET", "/", NULL, ok, 2, NULL, 0, 1};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct sw_buf authz, creq;

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", "/", NULL, ok, 2, 1, &creq), 0);
    assert_int_equal(sign_one("GET", "/", NULL, nohost, 1, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(creq.len, 0);
    assert_int_equal(sign_one("GET", "/", NULL, nodate, 1, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, wrongdate, 2, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, crlf, 3, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, lf, 3, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, badname, 3, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, emptyhost, 2, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, NULL, 0, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("G T", "/", NULL, ok, 2, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("", "/", NULL, ok, 2, 1, &creq), SW_EINVAL);
    /* bad key material */
    key.region = "us-east-1/x";
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.region = "us-east-1";
    key.akid = "";
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.akid = AKID;
    key.secret = NULL;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.secret = SECRET;
    /* a body length without a body */
    req.body_len = 3;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    req.body_len = 0;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     0);
    /* an output cap too small to hold the header */
    {
        struct sw_buf tiny;

        sw_buf_init(&tiny, 16);
        assert_int_equal(
            sw_sigv4_sign(&req, &key, 1440938160, &tiny, NULL, NULL),
            SW_ETOOBIG);
        assert_int_equal(tiny.len, 0);
        sw_buf_release(&tiny);
    }
    sw_buf_release(&authz);
    sw_buf_release(&creq);
}

/* Assert the canonical request for PATH/QUERY starts with WANT. */
static void
assert_creq_prefix(const char *path, const char *query, int normalize,
                   const char *want)
{
    struct sw_sigv4_header h[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_buf creq;

    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", path, query, h, 2, normalize, &creq), 0);
    if (strncmp(sw_buf_str(&creq), want, strlen(want)) != 0)
        fail_msg("path '%s' query '%s': got\n%s\nwant prefix\n%s", path,
                 query ? query : "(null)", sw_buf_str(&creq), want);
    sw_buf_release(&creq);
}

/* Canonicalisation details beyond the suite. */
static void
test_canonical(void **state)
{
    struct sw_sigv4_header tabs[4] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Foo", "\t a \t\t b\t"},
        {"x-foo", ""},
    };
    struct sw_buf creq, enc;

    (void)state;
    /* An already encoded path is encoded again (every service but S3). */
    assert_creq_prefix("/a%20b/c", NULL, 1, "GET\n/a%2520b/c\n\n");
    assert_creq_prefix("", NULL, 1, "GET\n/\n\n");
    assert_creq_prefix(NULL, NULL, 0, "GET\n/\n\n");
    assert_creq_prefix("/a/./b/../c/", NULL, 1, "GET\n/a/c/\n\n");
    assert_creq_prefix("/a/b/..", NULL, 1, "GET\n/a\n\n");
    assert_creq_prefix("/../..", NULL, 1, "GET\n/\n\n");
    assert_creq_prefix("/.../a", NULL, 1, "GET\n/.../a\n\n");
    assert_creq_prefix("a b", NULL, 0, "GET\n/a%20b\n\n");
    assert_creq_prefix("a b", NULL, 1, "GET\n/a%20b\n\n");
    /* Query: sorted by name then value, "name=" for a bare name, '+'
     * is a literal plus, bad escapes stay literal, empty pairs vanish. */
    assert_creq_prefix("/", "b=2&a=1&a=0&c", 1, "GET\n/\na=0&a=1&b=2&c=\n");
    assert_creq_prefix("/", "x=a+b&y=%7e%2F&z=%zz&&w=%4", 1,
                       "GET\n/\nw=%254&x=a%2Bb&y=~%2F&z=%25zz\n");
    assert_creq_prefix("/", "a=b=c&%41=%", 1, "GET\n/\nA=%25&a=b%3Dc\n");
    assert_creq_prefix("/", "&", 1, "GET\n/\n\n");

    /* Tabs count as whitespace; an empty repeated value still joins. */
    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", "/", NULL, tabs, 4, 1, &creq), 0);
    assert_non_null(strstr(sw_buf_str(&creq), "\nx-foo:a b,\n"));
    sw_buf_release(&creq);

    sw_buf_init(&enc, 64);
    assert_int_equal(sw_uri_encode(&enc, "a b/~\xc3\xa9", 7, 1), 0);
    assert_string_equal(sw_buf_str(&enc), "a%20b/~%C3%A9");
    sw_buf_reset(&enc);
    assert_int_equal(sw_uri_encode(&enc, "a b/~\xc3\xa9", 7, 0), 0);
    assert_string_equal(sw_buf_str(&enc), "a%20b%2F~%C3%A9");
    sw_buf_reset(&enc);
    assert_int_equal(sw_uri_encode(&enc, "\0", 1, 0), 0);
    assert_string_equal(sw_buf_str(&enc), "%00");
    sw_buf_release(&enc);
    sw_buf_init(&enc, 4);
    assert_int_equal(sw_uri_encode(&enc, "ab c", 4, 0), SW_ETOOBIG);
    sw_buf_release(&enc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_sts_header_before),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
