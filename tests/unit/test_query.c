/* tests/unit/test_query.c - aws/query: the Query form bodies of
 * docs/aws-wire.md section 3 (GetMetricStatistics and
 * STS AssumeRole), encoding rules and caps. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "lib/err.h"
#include "lib/hash.h"

static void
test_gms_body(void **state)
{
    struct sw_query q;
    char hash[65];

    (void)state;
    assert_int_equal(sw_query_init(&q, "GetMetricStatistics", "2010-08-01"), 0);
    sw_query_add(&q, "Namespace", "AWS/Kinesis");
    sw_query_add(&q, "MetricName", "IncomingRecords");
    sw_query_add(&q, "Dimensions.member.1.Name", "StreamName");
    sw_query_add(&q, "Dimensions.member.1.Value", "orders");
    sw_query_add(&q, "StartTime", "2025-11-26T09:55:00Z");
    sw_query_add(&q, "EndTime", "2025-11-26T10:05:00Z");
    sw_query_addf(&q, "Period", "%d", 60);
    assert_int_equal(sw_query_add(&q, "Statistics.member.1", "Sum"), 0);
    assert_int_equal(sw_query_error(&q), 0);
    assert_string_equal(
        sw_query_body(&q),
        "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2F"
        "Kinesis&MetricName=IncomingRecords&Dimensions.member.1.Name="
        "StreamName&Dimensions.member.1.Value=orders&StartTime=2025-11-26T"
        "09%3A55%3A00Z&EndTime=2025-11-26T10%3A05%3A00Z&Period=60&"
        "Statistics.member.1=Sum");
    assert_int_equal(sw_query_len(&q), 267);
    assert_int_equal(sw_sha256_hex(sw_query_body(&q), sw_query_len(&q), hash),
                     0);
    assert_string_equal(
        hash,
        "ec18d8e0e43f45b7b9fc8885119bfdf88731f651c37767f094c50a4095c9a0d4");
    sw_query_release(&q);
    sw_query_release(NULL);
}

static void
test_assume_role_body(void **state)
{
    struct sw_query q;

    (void)state;
    sw_query_init(&q, "AssumeRole", "2011-06-15");
    sw_query_add(&q, "RoleArn", "arn:aws:iam::123456789012:role/kds-agent");
    sw_query_add(&q, "RoleSessionName", "kds-agent");
    assert_int_equal(sw_query_addf(&q, "DurationSeconds", "%d", 3600), 0);
    assert_string_equal(sw_query_body(&q),
                        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3A"
                        "aws%3Aiam%3A%3A123456789012%3Arole%2Fkds-agent&"
                        "RoleSessionName=kds-agent&DurationSeconds=3600");
    sw_query_release(&q);
}

static void
test_encoding(void **state)
{
    struct sw_query q;

    (void)state;
    sw_query_init(&q, "Publish", "2010-03-31");
    /* space is %20 (never '+'), '+' '&' '=' are escaped, UTF-8 bytes are
     * escaped one by one, unreserved characters pass, empty gives "K=". */
    sw_query_add(&q, "Message", "a b+c&d=e\n\xc3\xa9-_.~");
    sw_query_add(&q, "Subject", "");
    sw_query_add(&q, "Key With Space", "x");
    sw_query_add_len(&q, "Bin", "a\0b", 3);
    assert_int_equal(sw_query_addf(&q, "Num", "%.1f", 2.5), 0);
    assert_string_equal(sw_query_body(&q),
                        "Action=Publish&Version=2010-03-31&Message=a%20b%2Bc%26"
                        "d%3De%0A%C3%A9-_.~&Subject=&Key%20With%20Space=x&"
                        "Bin=a%00b&Num=2.5");
    sw_query_release(&q);
}

static void
test_errors(void **state)
{
    struct sw_query q;
    size_t len;
    char *big;

    (void)state;
    assert_int_equal(sw_query_init(&q, "", "2010-03-31"), SW_EINVAL);
    assert_int_equal(sw_query_add(&q, "A", "b"), SW_EINVAL);
    assert_int_equal(sw_query_len(&q), 0);
    sw_query_release(&q);
    assert_int_equal(sw_query_init(&q, "Publish", NULL), SW_EINVAL);
    sw_query_release(&q);

    sw_query_init(&q, "Publish", "2010-03-31");
    assert_int_equal(sw_query_add(&q, NULL, "x"), SW_EINVAL);
    /* sticky: a later valid add is refused too */
    assert_int_equal(sw_query_add(&q, "A", "b"), SW_EINVAL);
    assert_int_equal(sw_query_error(&q), SW_EINVAL);
    assert_string_equal(sw_query_body(&q), "Action=Publish&Version=2010-03-31");
    sw_query_release(&q);

    sw_query_init(&q, "Publish", "2010-03-31");
    assert_int_equal(sw_query_add(&q, "A", NULL), SW_EINVAL);
    sw_query_release(&q);

    /* the cap: 400,000 spaces encode to 1.2 MB > 1 MiB; the body is left
     * as it was before the refused pair */
    sw_query_init(&q, "Publish", "2010-03-31");
    big = malloc(400001);
    assert_non_null(big);
    memset(big, ' ', 400000);
    big[400000] = '\0';
    len = sw_query_len(&q);
    assert_int_equal(sw_query_add(&q, "Message", big), SW_ETOOBIG);
    assert_int_equal(sw_query_len(&q), len);
    assert_string_equal(sw_query_body(&q), "Action=Publish&Version=2010-03-31");
    assert_int_equal(sw_query_addf(&q, "N", "%d", 1), SW_ETOOBIG);
    free(big);
    sw_query_release(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gms_body),
        cmocka_unit_test(test_assume_role_body),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
