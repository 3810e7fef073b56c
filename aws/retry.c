/* aws/retry.c - standard-mode retry decisions; see retry.h. */
#include "config.h"

#include "aws/retry.h"

#include <stddef.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"

/* botocore retries/standard.py (ThrottledRetryableChecker) plus the codes
 * the JS SDK v3 and aws-sdk-go add; SNS says "Throttled" with HTTP 429 and
 * KMS behind SNS "KMSThrottling". */
static const char *const throttle_codes[] = {
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
    "KMSThrottling",
};

/* botocore TransientRetryableChecker, the common-errors pages' 5xx codes,
 * and STS's IDPCommunicationError (retryable, as the SDKs treat it). */
static const char *const transient_codes[] = {
    "RequestTimeout",        "RequestTimeoutException", "InternalFailure",
    "InternalError",         "InternalServiceError",    "ServiceUnavailable",
    "IDPCommunicationError",
};

/* JS SDK v3 CLOCK_SKEW_ERROR_CODES. */
static const char *const skew_codes[] = {
    "AuthFailure",        "InvalidSignatureException", "RequestExpired",
    "RequestInTheFuture", "RequestTimeTooSkewed",      "SignatureDoesNotMatch",
};

/* aws-sdk-go credsExpiredCodes without "RequestExpired", which is EC2's
 * spelling and a clock-skew code everywhere else. */
static const char *const expired_codes[] = {
    "ExpiredToken",
    "ExpiredTokenException",
};

/* Codes meaning the request's identity was not accepted at all. */
static const char *const auth_codes[] = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "InvalidAccessKeyId",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *const *list, size_t n, const char *code)
{
    if (!code || !*code)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return 1;
    return 0;
}

int
sw_retry_is_throttle_code(const char *code)
{
    return in_list(throttle_codes, NELEM(throttle_codes), code);
}

int
sw_retry_is_transient_code(const char *code)
{
    return in_list(transient_codes, NELEM(transient_codes), code);
}

int
sw_retry_is_skew_code(const char *code)
{
    return in_list(skew_codes, NELEM(skew_codes), code);
}

int
sw_retry_is_expired_token_code(const char *code)
{
    return in_list(expired_codes, NELEM(expired_codes), code);
}

int
sw_retry_is_auth_code(const char *code)
{
    return in_list(auth_codes, NELEM(auth_codes), code) ||
           sw_retry_is_skew_code(code) || sw_retry_is_expired_token_code(code);
}

/* SignatureDoesNotMatch is also the answer to a wrong secret key, which no
 * retry fixes; only its "Signature expired: ... (... - 5 min.)" and "not
 * yet current" messages say the clock is to blame. */
static int
message_says_skew(const char *msg)
{
    return msg && (strstr(msg, "Signature expired") ||
                   strstr(msg, "Signature not yet current"));
}

enum sw_retry_class
sw_retry_classify(const struct sw_retry_outcome *o)
{
    const char *code = o->code;

    if (o->transport < 0) {
        /* A connect failure, reset or cut-short reply may well work next
         * time; a reply over our cap or a request we refused to send will
         * not, and a cancellation must stop at once. */
        if (o->transport == SW_ETIMEDOUT || o->transport == SW_EHTTP)
            return SW_RETRY_TRANSIENT;
        return SW_RETRY_FINAL;
    }
    if (o->status >= 200 && o->status < 300)
        return SW_RETRY_SUCCESS;
    if (sw_retry_is_throttle_code(code) || o->status == 429)
        return SW_RETRY_THROTTLE;
    if (sw_retry_is_expired_token_code(code))
        return SW_RETRY_EXPIRED_TOKEN;
    if (sw_retry_is_skew_code(code)) {
        if (strcmp(code, "SignatureDoesNotMatch") != 0 || o->skew_seen ||
            message_says_skew(o->message))
            return SW_RETRY_SKEW;
        return SW_RETRY_FINAL;
    }
    if (sw_retry_is_transient_code(code))
        return SW_RETRY_TRANSIENT;
    if (o->status == 500 || o->status == 502 || o->status == 503 ||
        o->status == 504)
        return SW_RETRY_TRANSIENT;
    return SW_RETRY_FINAL;
}

const char *
sw_retry_class_name(enum sw_retry_class c)
{
    switch (c) {
    case SW_RETRY_SUCCESS: return "success";
    case SW_RETRY_THROTTLE: return "throttling";
    case SW_RETRY_TRANSIENT: return "transient";
    case SW_RETRY_SKEW: return "clock skew";
    case SW_RETRY_EXPIRED_TOKEN: return "expired token";
    case SW_RETRY_FINAL: return "not retryable";
    }
    return "?";
}

int
sw_retry_max_attempts(int configured, const char *env_value, int *out)
{
    long v;
    int r;

    if (configured > 0) {
        if (configured > SW_RETRY_MAX_ATTEMPTS)
            return SW_ERANGE;
        *out = configured;
        return 0;
    }
    if (configured < 0)
        return SW_ERANGE;
    if (!env_value || !*env_value) {
        *out = SW_RETRY_DEFAULT_ATTEMPTS;
        return 0;
    }
    r = sw_parse_long(env_value, 1, SW_RETRY_MAX_ATTEMPTS, &v);
    if (r < 0)
        return r;
    *out = (int)v;
    return 0;
}

void
sw_retry_quota_init(struct sw_retry_quota *q)
{
    q->tokens = SW_RETRY_QUOTA_INITIAL;
    q->max = SW_RETRY_QUOTA_INITIAL;
}

int
sw_retry_quota_acquire(struct sw_retry_quota *q, int after_timeout)
{
    int cost = after_timeout ? SW_RETRY_TIMEOUT_COST : SW_RETRY_COST;

    if (q->tokens < cost)
        return 0;
    q->tokens -= cost;
    return cost;
}

void
sw_retry_quota_success(struct sw_retry_quota *q, int last_cost)
{
    int refund = last_cost > 0 ? last_cost : SW_RETRY_NO_RETRY_INCREMENT;

    q->tokens = q->tokens > q->max - refund ? q->max : q->tokens + refund;
}

long
sw_retry_backoff_ms(int attempt, double rand01)
{
    long cap_ms = (long)SW_RETRY_MAX_BACKOFF_S * 1000, base_ms = 1000;

    if (!(rand01 >= 0.0)) /* also catches NaN */
        rand01 = 0.0;
    if (rand01 > 1.0)
        rand01 = 1.0;
    /* 2^(attempt-1) s, stopping as soon as it passes the cap so a large
     * attempt number cannot overflow. */
    for (int i = 1; i < attempt && base_ms < cap_ms; i++)
        base_ms *= 2;
    if (base_ms > cap_ms)
        base_ms = cap_ms;
    return (long)(rand01 * (double)base_ms);
}
