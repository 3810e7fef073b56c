/* aws/client.h - a signed, retried call to an AWS service.
 *
 * struct sw_aws holds everything a call needs: region, endpoints, the
 * credential chain, one HTTP handle, the SigV4 clock offset and the retry
 * quota.  sw_aws_call() signs the request with our own SigV4 (aws/sigv4),
 * sends it (aws/http), parses an error reply in either wire format, and
 * retries as the SDKs' standard mode does (aws/retry): 3 attempts,
 * full-jitter backoff, a 500-token retry quota, throttling including HTTP
 * 429, transient 5xx and transport errors; 4xx validation and auth errors
 * are not retried.  Clock skew: after a skew error the offset is taken from
 * the reply's Date header and the request is retried once at once, and all
 * later requests are signed with the corrected clock.  ExpiredToken*:
 * credentials are refreshed and the call retried once.  With a rate limit
 * (max_rps) a CloudWatch attempt first waits for its turn.
 *
 * Role profiles: the chain (aws/creds) calls STS through a callback this
 * client gives it, which sends aws/sts's AssumeRole request signed with
 * the source credentials; so neither aws/creds nor aws/sts includes this
 * header.  The service and protocol enums are in aws/service.h, shared
 * with aws/endpoint.
 *
 * The implementation is in three files (aws/client_priv.h says what each
 * holds): the call/retry loop, the signing of one request, and the
 * reading of error replies; aws/batch.h runs many calls at once with the
 * same rules.
 *
 * Not thread-safe: one struct sw_aws per thread (the agent has one).
 */
#ifndef SW_AWS_CLIENT_H
#define SW_AWS_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "aws/service.h"
#include "lib/buf.h"

struct sw_creds;
struct curl_slist;

struct sw_aws_opts {
    const char *region;      /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the
                                profile's region */
    const char *profile;     /* NULL: AWS_PROFILE, else "default" */
    const char *endpoint;    /* config override for every service, or NULL */
    long connect_timeout_ms; /* 0: 5000 */
    long request_timeout_ms; /* per attempt; 0: 30000 */
    int max_attempts;        /* 0: AWS_MAX_ATTEMPTS, else 3 */
    const char *ca_file;     /* NULL: AWS_CA_BUNDLE, else system store */
    /* CloudWatch requests (every attempt, retries included, sw_aws_call()
     * and aws/batch alike) in any one-second window, halved for a while
     * after throttling (aws/ratelimit.h); 0: unlimited. */
    int max_rps;
};

struct sw_aws_error {
    long http_status;  /* 0 when no HTTP reply */
    char code[128];    /* "Throttling", "ExpiredToken", ... or "" */
    char message[512]; /* AWS's message or the transport error */
    char request_id[128];
    int attempts; /* requests sent for this call */
};

/* sw_aws_error_set - CODE and the formatted message into ERR (both cut
 * to fit), for a failure found on our side of the call: "ParamValidation"
 * for a request refused before sending, "MalformedReply" for a reply that
 * does not parse, as botocore names them. */
void sw_aws_error_set(struct sw_aws_error *err, const char *code,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct sw_aws;

/* sw_aws_new - resolve region, profile and endpoints (no network yet).
 * O may be NULL (all defaults).  Endpoints follow aws/endpoint.h: the
 * config's endpoint first, then AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's endpoint_url settings, the default.
 * Returns 0 and *out: new (sw_aws_free()); SW_EINVAL when no region can
 * be found, the region, an endpoint URL, AWS_MAX_ATTEMPTS or max_rps is
 * invalid, or the profile cannot be loaded (ERR says which); SW_ENOMEM. */
int sw_aws_new(const struct sw_aws_opts *o, struct sw_aws **out, char *err,
               size_t errlen);
void sw_aws_free(struct sw_aws *a);

/* sw_aws_region - the resolved region.  Returns: borrowed. */
const char *sw_aws_region(const struct sw_aws *a);
/* sw_aws_endpoint - the base URL used for SVC ("https://monitoring.
 * ap-northeast-1.amazonaws.com"). Returns: borrowed. */
const char *sw_aws_endpoint(const struct sw_aws *a, enum sw_aws_service svc);
/* sw_aws_partition - "aws", "aws-cn", "aws-us-gov"... Returns: borrowed. */
const char *sw_aws_partition(const struct sw_aws *a);

/* sw_aws_call - one API call with retries.  OP is the operation name
 * ("GetMetricStatistics"); for JSON 1.0 the X-Amz-Target is built from the
 * service's target prefix, for Query the BODY already holds Action= and
 * Version=.  On success (2xx) REPLY holds the body (caller releases; it
 * should be initialised with a cap by the caller) and 0 is returned.
 * On failure ERR (required) is filled and SW_EAWS (AWS error reply),
 * SW_ETHROTTLED, SW_ETIMEDOUT, SW_EHTTP, SW_EAUTH, SW_ECREDS (or another
 * credential-chain error), SW_ETOOBIG (reply over REPLY's cap),
 * SW_ECANCELED (see sw_aws_set_cancel_flag) or SW_ENOMEM is returned.
 * ERR->attempts counts every request sent, including the extra ones for
 * clock skew and an expired token. */
int sw_aws_call(struct sw_aws *a, enum sw_aws_service svc,
                enum sw_aws_proto proto, const char *op, const char *body,
                size_t body_len, struct sw_buf *reply,
                struct sw_aws_error *err);

/* sw_aws_call_with_creds - the same with explicit CREDS instead of the
 * chain (STS AssumeRole with the source profile's keys); no ExpiredToken
 * refresh.  CREDS is borrowed. */
int sw_aws_call_with_creds(struct sw_aws *a, const struct sw_creds *creds,
                           enum sw_aws_service svc, enum sw_aws_proto proto,
                           const char *op, const char *body, size_t body_len,
                           struct sw_buf *reply, struct sw_aws_error *err);

/* sw_aws_set_wall_clock - for tests: a function returning the wall time
 * used for signing (before the skew offset).  NULL restores time(). */
void sw_aws_set_wall_clock(struct sw_aws *a, time_t (*fn)(void));

/* sw_aws_set_rand - for tests: FN(ARG) supplies the numbers in [0, 1)
 * that scale the backoff delays (0 makes retries immediate).  NULL
 * restores the built-in generator. */
void sw_aws_set_rand(struct sw_aws *a, double (*fn)(void *arg), void *arg);

/* sw_aws_clock_offset - current skew correction in seconds. */
long sw_aws_clock_offset(const struct sw_aws *a);

/* sw_aws_set_cancel_flag - FLAG (borrowed, NULL: none) is the agent's
 * stop flag.  While it is non-zero every call ends with SW_ECANCELED as
 * soon as it can: before an attempt is sent, during the backoff sleep or
 * the rate-limit wait, or by aborting the transfer in flight (aws/http).  To
 * make a last call during shutdown (flushing a notification), set the flag
 * pointer back to NULL first. */
void sw_aws_set_cancel_flag(struct sw_aws *a, volatile sig_atomic_t *flag);

/* sw_aws_set_yield_flag - FLAG (borrowed, NULL: none) is the agent's
 * reload flag.  While it is non-zero the transfer in flight is left to
 * finish, but no further attempt (retry, backoff sleep, rate-limit wait,
 * next call) starts: those end with SW_ECANCELED.  A reload then waits
 * for one request at most, never for a cycle of timeouts and retries. */
void sw_aws_set_yield_flag(struct sw_aws *a, volatile sig_atomic_t *flag);

/* sw_aws_observer_fn - told how each call ended, for the agent's metrics
 * (aws/ cannot include agent/ headers, hence a callback).  OPERATION is
 * the API action ("GetMetricStatistics", "AssumeRole", "Publish"),
 * OUTCOME one of the fixed strings below, RETRIES the requests sent after
 * the first (backoff retries, and the immediate ones after clock skew or
 * an expired token).  Both strings are borrowed for the call only. */
typedef void (*sw_aws_observer_fn)(void *arg, const char *operation,
                                   const char *outcome, int retries);

/* The outcomes an observer is told, by what the call returned:
 *   "success"     0
 *   "error"       SW_EAWS: AWS (or a proxy) answered with an error
 *   "throttled"   SW_ETHROTTLED: still throttled after the retries
 *   "timeout"     SW_ETIMEDOUT
 *   "network"     SW_EHTTP: connect, TLS, reset, no reply
 *   "credentials" no usable credentials could be had (the chain failed),
 *                 or AWS refused them (SW_EAUTH: unknown or expired key,
 *                 bad signature)
 *   "canceled"    SW_ECANCELED: a stop or a reload cut it short
 *   "other"       anything else: a refused request, a reply over the
 *                 caller's cap, out of memory */
#define SW_AWS_OUTCOMES                                                        \
    "success", "error", "throttled", "timeout", "network", "credentials",      \
        "canceled", "other"

/* sw_aws_set_observer - FN(ARG, ...) (NULL: none) is called once at the
 * end of every sw_aws_call() and sw_aws_call_with_creds(), STS AssumeRole
 * calls made by the credential chain included, and by sw_aws_report(). */
void sw_aws_set_observer(struct sw_aws *a, sw_aws_observer_fn fn, void *arg);

/* sw_aws_outcome - the observer's outcome name for RESULT (0 or an SW_E*
 * code), as listed above.  Returns: static. */
const char *sw_aws_outcome(int result);

/* sw_aws_report - for a caller that sends its own requests (sw_aws_prepare,
 * sw_aws_observe): tell the observer that one call of OP ended with RESULT
 * (0, or the SW_E* code sw_aws_call() would have returned) after RETRIES
 * retries.  Nothing happens without an observer. */
void sw_aws_report(struct sw_aws *a, const char *op, int result, int retries);

/* sw_aws_parse_error - turn an error reply into ERR's http_status, code,
 * message and request_id (ERR->attempts is left alone).  Pure, for tests
 * and fuzzing.  PROTO is the protocol we spoke, but the body's first byte
 * picks the parser ('{' JSON, '<' XML), because a proxy or load balancer
 * in between answers in its own format.  JSON: {"__type": "ns#Code" or
 * "Code:uri", "message"/"Message"}; for the JSON protocols a
 * QUERY_ERROR_HEADER ("x-amzn-query-error: Code;Sender", may be NULL)
 * gives the code, as botocore prefers it.  XML: ErrorResponse/Error/Code +
 * Message + RequestId, or Response/Errors/Error/... + RequestID.  Anything
 * else (an HTML 502 page, an empty body, more than 64 KiB) gives code
 * "HTTP<status>" and a message made of the first 200 bytes with tags,
 * control and non-ASCII bytes removed (or the status's reason phrase).
 * Codes and messages are cleaned of control characters and truncated to
 * fit.  Returns 0 when the reply was an AWS error, SW_EPARSE when it was
 * not (ERR still filled as above), SW_EINVAL when ERR is NULL. */
int sw_aws_parse_error(enum sw_aws_proto proto, long status,
                       const char *query_error_header, const char *body,
                       size_t len, struct sw_aws_error *err);

/* sw_aws_prepare - sign one request for a caller that sends it through its
 * own curl handle (the notification dispatcher's curl_multi): the request
 * sw_aws_call() would send as its next attempt, with the current
 * credentials of the chain and the skew-corrected clock.  OP and BODY as
 * for sw_aws_call() (BODY borrowed; it must be sent byte for byte, as a
 * POST).  On success *URL is the request URL (new, free()) and *HEADERS
 * the complete header list to set as CURLOPT_HTTPHEADER (new, free with
 * sw_aws_headers_free(): it holds the session token): Host, X-Amz-Date,
 * Content-Type, X-Amz-Target (JSON), X-Amz-Security-Token (when the
 * credentials have one), Authorization, User-Agent, and "Expect:" to stop
 * curl's 100-continue.  The signature is valid for about 5 minutes: sign
 * right before the transfer.  Nothing is retried here: feed the reply to
 * sw_aws_observe().
 * Returns 0; SW_EINVAL (bad arguments), a credential-chain error
 * (SW_ECREDS, SW_EAUTH, SW_EPROC...), SW_ECANCELED or SW_ENOMEM, with a
 * one-line reason in ERR (never a secret). */
int sw_aws_prepare(struct sw_aws *a, enum sw_aws_service svc,
                   enum sw_aws_proto proto, const char *op, const char *body,
                   size_t len, char **url, struct curl_slist **headers,
                   char *err, size_t errlen);

/* sw_aws_headers_free - wipe and free a list from sw_aws_prepare(); NULL
 * is accepted. */
void sw_aws_headers_free(struct curl_slist *headers);

/* sw_aws_observe - feed back the reply to a request from sw_aws_prepare():
 * STATUS is the HTTP status (0: no reply, a transport error), DATE_HEADER
 * the reply's Date (NULL when absent), BODY the reply body (borrowed).
 * Does what sw_aws_call() does after each attempt: corrects the clock
 * offset from Date (later requests are signed with it), parses an error
 * reply with sw_aws_parse_error() into ERR (http_status, code, message,
 * request_id; attempts = 1), and after ExpiredToken* or a refused
 * identity (sw_retry_is_auth_code()) invalidates the cached credentials
 * so the next sw_aws_prepare() resolves them again.
 * Returns the enum sw_retry_class of the outcome (>= 0: SW_RETRY_SUCCESS
 * for 2xx, SW_RETRY_THROTTLE, _TRANSIENT (also for STATUS 0), _SKEW,
 * _EXPIRED_TOKEN or _FINAL), or SW_EINVAL when A or ERR is NULL. */
int sw_aws_observe(struct sw_aws *a, long status, const char *date_header,
                   const char *body, size_t len, enum sw_aws_proto proto,
                   struct sw_aws_error *err);

#endif
