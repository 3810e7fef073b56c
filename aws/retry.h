/* aws/retry.h - the AWS SDKs' "standard" retry mode, as pure functions.
 *
 * aws/client asks this module three questions after each attempt: what
 * kind of outcome was it (sw_retry_classify: success, throttling,
 * transient, clock skew, expired token, or final), may we spend from the
 * retry quota (the 500-token bucket botocore and the JS SDK keep), and how
 * long to wait (full jitter: rand01 * min(2^(attempt-1), 20) s).  The code
 * lists are botocore's retries/standard.py and the JS SDK v3's
 * service-error-classification (AWS SDKs and Tools Reference Guide, "Retry
 * behavior").
 * Pure: no I/O, no clock, no randomness of its own (the caller passes the
 * random number), no globals.
 */
#ifndef SW_AWS_RETRY_H
#define SW_AWS_RETRY_H

#define SW_RETRY_DEFAULT_ATTEMPTS 3
#define SW_RETRY_MAX_ATTEMPTS     10

#define SW_RETRY_QUOTA_INITIAL      500
#define SW_RETRY_COST               5  /* tokens per retry */
#define SW_RETRY_TIMEOUT_COST       10 /* tokens per retry after a timeout */
#define SW_RETRY_NO_RETRY_INCREMENT 1  /* refund on a first-try success */
#define SW_RETRY_MAX_BACKOFF_S      20

/* Seconds between the server's Date and our corrected clock from which we
 * call it skew (the JS SDK's 300,000 ms; AWS rejects beyond 5 minutes). */
#define SW_RETRY_SKEW_LIMIT_S 300

enum sw_retry_class {
    SW_RETRY_SUCCESS = 0,   /* 2xx */
    SW_RETRY_THROTTLE,      /* throttling code or HTTP 429: back off */
    SW_RETRY_TRANSIENT,     /* 5xx, transport error, timeout, cut reply */
    SW_RETRY_SKEW,          /* clock skew: correct the offset, retry once */
    SW_RETRY_EXPIRED_TOKEN, /* refresh credentials, retry once */
    SW_RETRY_FINAL,         /* not retryable (4xx validation, auth...) */
};

/* What one attempt produced.  Strings are borrowed and may be NULL. */
struct sw_retry_outcome {
    int transport;       /* 0, or the SW_E* sw_http_send() returned */
    long status;         /* HTTP status, 0 when none */
    const char *code;    /* AWS error code, "" or NULL when none */
    const char *message; /* AWS error message */
    int skew_seen;       /* the reply's Date header was >= 300 s away
                            from our corrected clock */
};

/* sw_retry_classify - the class of outcome O.  Order: transport errors
 * (timeouts and connection failures are transient; an over-cap reply,
 * bad input or cancellation are final), 2xx, throttling (codes or 429),
 * expired token, clock skew (SignatureDoesNotMatch only with skew_seen or
 * a "Signature expired" / "Signature not yet current" message, since the
 * same code also means a wrong secret key), transient codes, 500/502/503/
 * 504, everything else final. */
enum sw_retry_class sw_retry_classify(const struct sw_retry_outcome *o);

/* sw_retry_class_name - "throttling", "transient"...  Returns: static. */
const char *sw_retry_class_name(enum sw_retry_class c);

/* Code predicates (exact, case-sensitive match as the SDKs do); NULL is 0. */
int sw_retry_is_throttle_code(const char *code);
int sw_retry_is_transient_code(const char *code);
int sw_retry_is_skew_code(const char *code);
int sw_retry_is_expired_token_code(const char *code);
/* sw_retry_is_auth_code - the credentials were missing, rejected, expired
 * or the signature refused (what the client reports as SW_EAUTH). */
int sw_retry_is_auth_code(const char *code);

/* sw_retry_max_attempts - total attempts (first one included): CONFIGURED
 * when > 0, else ENV_VALUE (AWS_MAX_ATTEMPTS, may be NULL or ""), else 3.
 * Returns 0 and *out; SW_ERANGE (outside 1..10) or SW_EINVAL (ENV_VALUE
 * not a number). */
int sw_retry_max_attempts(int configured, const char *env_value, int *out);

/* The retry quota: one bucket per client, shared by all its calls, so a
 * struggling service sees fewer retries rather than three times the load. */
struct sw_retry_quota {
    int tokens;
    int max;
};

void sw_retry_quota_init(struct sw_retry_quota *q);
/* sw_retry_quota_acquire - take the cost of one retry (10 after a timeout,
 * else 5).  Returns the cost taken (> 0), or 0 when the bucket holds too
 * little: then no retry may be made. */
int sw_retry_quota_acquire(struct sw_retry_quota *q, int after_timeout);
/* sw_retry_quota_success - a call succeeded; LAST_COST is what its last
 * retry took (0 when it succeeded first time).  Refunds LAST_COST, or 1 on
 * a first-try success; never above the initial 500. */
void sw_retry_quota_success(struct sw_retry_quota *q, int last_cost);

/* sw_retry_backoff_ms - delay before the retry that follows failed attempt
 * number ATTEMPT (1 = the first request): RAND01 (in [0, 1); clamped) *
 * min(2^(ATTEMPT-1), 20) seconds, in milliseconds. */
long sw_retry_backoff_ms(int attempt, double rand01);

#endif
