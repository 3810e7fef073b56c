/* tests/unit/test_retry.c - standard-mode retry classification, quota and
 * backoff (aws/retry). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aws/retry.h"
#include "lib/err.h"

static enum sw_retry_class
classify(int transport, long status, const char *code, const char *msg,
         int skew_seen)
{
    struct sw_retry_outcome o;

    o.transport = transport;
    o.status = status;
    o.code = code;
    o.message = msg;
    o.skew_seen = skew_seen;
    return sw_retry_classify(&o);
}

static void
test_success(void **state)
{
    (void)state;
    assert_int_equal(classify(0, 200, NULL, NULL, 0), SW_RETRY_SUCCESS);
    assert_int_equal(classify(0, 204, "", NULL, 0), SW_RETRY_SUCCESS);
    /* A skewed Date on a success changes nothing about the outcome. */
    assert_int_equal(classify(0, 200, "", NULL, 1), SW_RETRY_SUCCESS);
}

static void
test_throttle_codes(void **state)
{
    static const char *const codes[] = {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "Throttled",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_int_equal(classify(0, 400, codes[i], "x", 0), SW_RETRY_THROTTLE);
        assert_true(sw_retry_is_throttle_code(codes[i]));
    }
    /* Any 429, whatever the body said. */
    assert_int_equal(classify(0, 429, "HTTP429", "", 0), SW_RETRY_THROTTLE);
    assert_int_equal(classify(0, 429, "", "", 0), SW_RETRY_THROTTLE);
    /* CloudWatch's LimitExceeded (PutMetricAlarm quota) is not throttling;
     * codes match exactly. */
    assert_int_equal(classify(0, 400, "LimitExceeded", "", 0), SW_RETRY_FINAL);
    assert_int_equal(classify(0, 400, "throttling", "", 0), SW_RETRY_FINAL);
}

static void
test_transient(void **state)
{
    static const char *const codes[] = {
        "RequestTimeout",        "RequestTimeoutException",
        "InternalFailure",       "InternalError",
        "InternalServiceError",  "ServiceUnavailable",
        "IDPCommunicationError",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_int_equal(classify(0, 400, codes[i], "", 0), SW_RETRY_TRANSIENT);
        assert_true(sw_retry_is_transient_code(codes[i]));
    }
    assert_int_equal(classify(0, 500, "HTTP500", "", 0), SW_RETRY_TRANSIENT);
    assert_int_equal(classify(0, 502, "HTTP502", "", 0), SW_RETRY_TRANSIENT);
    assert_int_equal(classify(0, 503, "", "", 0), SW_RETRY_TRANSIENT);
    assert_int_equal(classify(0, 504, NULL, NULL, 0), SW_RETRY_TRANSIENT);
    /* 501 Not Implemented will not get better. */
    assert_int_equal(classify(0, 501, "HTTP501", "", 0), SW_RETRY_FINAL);
    /* A 500 with an unknown code is still a 500. */
    assert_int_equal(classify(0, 500, "SomethingOdd", "", 0),
                     SW_RETRY_TRANSIENT);
}

static void
test_transport(void **state)
{
    (void)state;
    assert_int_equal(classify(SW_ETIMEDOUT, 0, NULL, NULL, 0),
                     SW_RETRY_TRANSIENT);
    assert_int_equal(classify(SW_EHTTP, 0, NULL, NULL, 0), SW_RETRY_TRANSIENT);
    /* A reply cut short after its status line is a transport error too. */
    assert_int_equal(classify(SW_EHTTP, 200, NULL, NULL, 0),
                     SW_RETRY_TRANSIENT);
    assert_int_equal(classify(SW_ETOOBIG, 200, NULL, NULL, 0), SW_RETRY_FINAL);
    assert_int_equal(classify(SW_EINVAL, 0, NULL, NULL, 0), SW_RETRY_FINAL);
    assert_int_equal(classify(SW_ECANCELED, 0, NULL, NULL, 0), SW_RETRY_FINAL);
    assert_int_equal(classify(SW_ENOMEM, 0, NULL, NULL, 0), SW_RETRY_FINAL);
}

static void
test_skew(void **state)
{
    static const char *const codes[] = {
        "AuthFailure",        "InvalidSignatureException", "RequestExpired",
        "RequestInTheFuture", "RequestTimeTooSkewed",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_int_equal(classify(0, 403, codes[i], "", 0), SW_RETRY_SKEW);
        assert_true(sw_retry_is_skew_code(codes[i]));
        assert_true(sw_retry_is_auth_code(codes[i]));
    }
    /* SignatureDoesNotMatch: skew only with evidence. */
    assert_int_equal(classify(0, 403, "SignatureDoesNotMatch",
                              "The request signature we calculated does not "
                              "match",
                              0),
                     SW_RETRY_FINAL);
    assert_int_equal(classify(0, 403, "SignatureDoesNotMatch", "whatever", 1),
                     SW_RETRY_SKEW);
    assert_int_equal(
        classify(0, 403, "SignatureDoesNotMatch",
                 "Signature expired: 20260803T101500Z is now earlier than "
                 "20260803T102000Z (20260803T102500Z - 5 min.)",
                 0),
        SW_RETRY_SKEW);
    assert_int_equal(
        classify(0, 403, "SignatureDoesNotMatch",
                 "Signature not yet current: 20260803T103100Z is still later "
                 "than 20260803T103000Z (20260803T102500Z + 5 min.)",
                 0),
        SW_RETRY_SKEW);
    assert_int_equal(classify(0, 403, "SignatureDoesNotMatch", NULL, 0),
                     SW_RETRY_FINAL);
    assert_true(sw_retry_is_auth_code("SignatureDoesNotMatch"));
}

static void
test_expired_token(void **state)
{
    (void)state;
    assert_int_equal(classify(0, 403, "ExpiredToken", "", 0),
                     SW_RETRY_EXPIRED_TOKEN);
    assert_int_equal(classify(0, 400, "ExpiredTokenException", "", 0),
                     SW_RETRY_EXPIRED_TOKEN);
    /* EC2's "RequestExpired" is a skew code here. */
    assert_false(sw_retry_is_expired_token_code("RequestExpired"));
    assert_true(sw_retry_is_auth_code("ExpiredToken"));
}

static void
test_final(void **state)
{
    static const char *const codes[] = {
        "InvalidParameterValue",
        "MissingParameter",
        "ValidationError",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ResourceNotFound",
        "IncompleteSignature",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_int_equal(classify(0, 400, codes[i], "", 0), SW_RETRY_FINAL);
    assert_int_equal(classify(0, 404, "HTTP404", "", 0), SW_RETRY_FINAL);
    assert_int_equal(classify(0, 301, "HTTP301", "", 0), SW_RETRY_FINAL);
    assert_true(sw_retry_is_auth_code("InvalidClientTokenId"));
    assert_true(sw_retry_is_auth_code("UnrecognizedClientException"));
    assert_false(sw_retry_is_auth_code("AccessDenied"));
    assert_false(sw_retry_is_auth_code("InvalidParameterValue"));
    assert_false(sw_retry_is_auth_code(NULL));
    assert_false(sw_retry_is_throttle_code(NULL));
    assert_false(sw_retry_is_throttle_code(""));
}

static void
test_class_names(void **state)
{
    (void)state;
    assert_string_equal(sw_retry_class_name(SW_RETRY_THROTTLE), "throttling");
    assert_string_equal(sw_retry_class_name(SW_RETRY_FINAL), "not retryable");
    assert_string_equal(sw_retry_class_name(SW_RETRY_SKEW), "clock skew");
}

static void
test_max_attempts(void **state)
{
    int n = -1;

    (void)state;
    assert_int_equal(sw_retry_max_attempts(0, NULL, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(sw_retry_max_attempts(0, "", &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(sw_retry_max_attempts(0, "5", &n), 0);
    assert_int_equal(n, 5);
    /* The config beats the environment. */
    assert_int_equal(sw_retry_max_attempts(2, "5", &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(sw_retry_max_attempts(1, NULL, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sw_retry_max_attempts(10, NULL, &n), 0);
    assert_int_equal(n, 10);
    n = 7;
    assert_int_equal(sw_retry_max_attempts(11, NULL, &n), SW_ERANGE);
    assert_int_equal(sw_retry_max_attempts(-1, NULL, &n), SW_ERANGE);
    assert_int_equal(sw_retry_max_attempts(0, "0", &n), SW_ERANGE);
    assert_int_equal(sw_retry_max_attempts(0, "11", &n), SW_ERANGE);
    assert_int_equal(sw_retry_max_attempts(0, "three", &n), SW_EINVAL);
    assert_int_equal(sw_retry_max_attempts(0, "3x", &n), SW_EINVAL);
    assert_int_equal(sw_retry_max_attempts(0, " 3", &n), SW_EINVAL);
    assert_int_equal(n, 7); /* untouched on error */
}

static void
test_quota(void **state)
{
    struct sw_retry_quota q;
    int n = 0;

    (void)state;
    sw_retry_quota_init(&q);
    assert_int_equal(q.tokens, 500);
    assert_int_equal(sw_retry_quota_acquire(&q, 0), 5);
    assert_int_equal(q.tokens, 495);
    assert_int_equal(sw_retry_quota_acquire(&q, 1), 10);
    assert_int_equal(q.tokens, 485);
    /* A retried call that succeeds gives back what its last retry took. */
    sw_retry_quota_success(&q, 10);
    assert_int_equal(q.tokens, 495);
    /* A first-try success refunds 1, never above the initial 500. */
    sw_retry_quota_success(&q, 0);
    assert_int_equal(q.tokens, 496);
    for (int i = 0; i < 10; i++)
        sw_retry_quota_success(&q, 0);
    assert_int_equal(q.tokens, 500);
    sw_retry_quota_success(&q, 5);
    assert_int_equal(q.tokens, 500);

    /* Drain: 100 retries of 5 empty the bucket, then no more. */
    while (sw_retry_quota_acquire(&q, 0) == 5)
        n++;
    assert_int_equal(n, 100);
    assert_int_equal(q.tokens, 0);
    assert_int_equal(sw_retry_quota_acquire(&q, 0), 0);
    assert_int_equal(sw_retry_quota_acquire(&q, 1), 0);
    /* With 5..9 tokens left a normal retry fits, a timeout retry does not. */
    sw_retry_quota_success(&q, 5);
    sw_retry_quota_success(&q, 0);
    assert_int_equal(q.tokens, 6);
    assert_int_equal(sw_retry_quota_acquire(&q, 1), 0);
    assert_int_equal(q.tokens, 6);
    assert_int_equal(sw_retry_quota_acquire(&q, 0), 5);
    assert_int_equal(q.tokens, 1);
}

static void
test_backoff(void **state)
{
    (void)state;
    /* rand01 = 0: no wait at all. */
    assert_int_equal(sw_retry_backoff_ms(1, 0.0), 0);
    assert_int_equal(sw_retry_backoff_ms(5, 0.0), 0);
    /* rand01 = 0.5: half of 1, 2, 4, 8, 16, then the 20 s cap. */
    assert_int_equal(sw_retry_backoff_ms(1, 0.5), 500);
    assert_int_equal(sw_retry_backoff_ms(2, 0.5), 1000);
    assert_int_equal(sw_retry_backoff_ms(3, 0.5), 2000);
    assert_int_equal(sw_retry_backoff_ms(4, 0.5), 4000);
    assert_int_equal(sw_retry_backoff_ms(5, 0.5), 8000);
    assert_int_equal(sw_retry_backoff_ms(6, 0.5), 10000);
    assert_int_equal(sw_retry_backoff_ms(7, 0.5), 10000);
    assert_int_equal(sw_retry_backoff_ms(1000, 0.5), 10000);
    /* Upper bounds with rand01 just under 1. */
    assert_true(sw_retry_backoff_ms(1, 0.999999) < 1000);
    assert_true(sw_retry_backoff_ms(2, 0.999999) < 2000);
    assert_true(sw_retry_backoff_ms(10, 0.999999) < 20000);
    assert_true(sw_retry_backoff_ms(10, 0.999999) >= 19999);
    /* Out-of-range inputs are clamped. */
    assert_int_equal(sw_retry_backoff_ms(1, -3.0), 0);
    assert_int_equal(sw_retry_backoff_ms(1, 7.0), 1000);
    assert_int_equal(sw_retry_backoff_ms(0, 0.5), 500);
    assert_int_equal(sw_retry_backoff_ms(-5, 0.5), 500);
}

/* Every delay a fixed RNG sequence produces stays inside the window. */
static void
test_backoff_sequence(void **state)
{
    uint64_t x = 88172645463325252ull;

    (void)state;
    for (int i = 0; i < 10000; i++) {
        int attempt = i % 12 + 1;
        long cap = attempt >= 6 ? 20000 : 1000L << (attempt - 1);
        double r;
        long d;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r = (double)(x >> 11) * 0x1.0p-53;
        d = sw_retry_backoff_ms(attempt, r);
        assert_true(d >= 0);
        assert_true(d < cap);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_throttle_codes),
        cmocka_unit_test(test_transient),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_skew),
        cmocka_unit_test(test_expired_token),
        cmocka_unit_test(test_final),
        cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_max_attempts),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_backoff_sequence),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
