/* aws/client_priv.h - what the four parts of the AWS client share.
 *
 * Private to aws/client*.c and aws/batch.c; everything else uses
 * aws/client.h and aws/batch.h.  The client is one module in four files,
 * one concern each:
 *  - aws/client.c: struct sw_aws (region, endpoints, the credential chain,
 *    the HTTP handle, the rate limit), the call/retry loop behind
 *    sw_aws_call(), the decision after each attempt that the loop and
 *    aws/batch share, what sw_aws_observe() feeds back, and the
 *    AssumeRole callback the chain gets;
 *  - aws/batch.c: many calls at once on a curl multi (sw_aws_batch_run()),
 *    each attempt decided as the call loop decides it;
 *  - aws/client_sign.c: building one request: the checks every call
 *    passes, the credentials to sign with, the signed header set, and
 *    sw_aws_prepare() for a caller's own transfer;
 *  - aws/client_error.c: AWS error replies (sw_aws_parse_error()) and the
 *    cleaning that keeps what a reply says printable.
 * aws/client.h is not included here, so that client.c and this header form
 * no include cycle; the types this header needs from it are declared.
 * Depends on lib/ and aws/endpoint, aws/http, aws/ratelimit, aws/retry,
 * aws/service.
 */
#ifndef SW_AWS_CLIENT_PRIV_H
#define SW_AWS_CLIENT_PRIV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/ratelimit.h"
#include "aws/retry.h"
#include "aws/service.h"
#include "lib/buf.h"
#include "lib/clock.h"

#define SW_AWS_HOST_MAX 300

struct sw_creds;
struct sw_creds_provider;
struct sw_aws_error;
struct sw_aws_pool;

/* The same type as in aws/client.h (a repeated identical typedef is valid
 * C11), so this header needs nothing from it. */
typedef void (*sw_aws_observer_fn)(void *arg, const char *operation,
                                   const char *outcome, int retries);

struct sw_aws {
    char region[SW_REGION_MAX + 1];
    const struct sw_partition *partition;
    char endpoint[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX];
    char path[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX + 1]; /* signed path */
    char url[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX + 2];  /* request URL */
    char host[SW_SVC_COUNT][SW_AWS_HOST_MAX];         /* Host header */
    struct sw_http *http;
    struct sw_http_opts http_opts; /* for aws/batch's handles */
    char *ca_file;                 /* http_opts.ca_file's copy */
    struct sw_creds_provider *creds;
    long clock_offset;    /* seconds to add to the wall clock */
    time_t (*wall)(void); /* NULL: time() */
    struct sw_retry_quota quota;
    int max_attempts;
    volatile sig_atomic_t *cancel; /* borrowed */
    volatile sig_atomic_t *yield;  /* borrowed: no new attempt while set */
    uint64_t rng;                  /* xorshift64* state for backoff jitter */
    double (*rand_fn)(void *);     /* tests: replaces rng */
    void *rand_arg;
    sw_aws_observer_fn observer; /* NULL: none (sw_aws_set_observer) */
    void *observer_arg;
    struct sw_ratelimit *rl;  /* CloudWatch attempts; NULL: unlimited */
    struct sw_aws_pool *pool; /* aws/batch's multi and handles, or NULL */
};

/* ---- aws/client.c: one attempt, for the call loop and aws/batch ---- */

/* The retry state of one call. */
struct sw_aws_attempt {
    int sent;          /* requests sent */
    int extra;         /* of which immediate retries (skew, expired token) */
    int skew_retried;  /* the one retry after clock skew was made */
    int token_retried; /* the one retry after an expired token was made */
    int last_cost;     /* what the last backoff retry took from the quota */
};

/* What comes after an attempt. */
enum sw_aws_next {
    SW_AWS_NEXT_DONE = 0, /* the call ended: *RESULT */
    SW_AWS_NEXT_NOW,      /* send the next attempt at once */
    SW_AWS_NEXT_BACKOFF,  /* send it after *DELAY_MS */
};

/* sw_aws_attempt_done - decide after one attempt of a call whose request
 * ended with TRANSPORT (what aws/http returned) and RESP, as the SDKs'
 * standard mode does: count it in ST and ERR->attempts, judge the reply
 * (clock offset from its Date, ERR's status, code, message and request
 * id), tell the rate limit about throttling (CloudWatch), refresh the
 * credentials after an expired token (not with FIXED ones), spend the
 * retry quota and pick the backoff.  A TRANSPORT error other than a
 * timeout, a transport failure, an over-cap reply or a cancel means that
 * nothing was sent: the call ends with it.  On success the body is copied
 * into REPLY when given.  *RESULT is set for SW_AWS_NEXT_DONE: 0 or what
 * sw_aws_call() returns; *DELAY_MS for SW_AWS_NEXT_BACKOFF. */
enum sw_aws_next
sw_aws_attempt_done(struct sw_aws *a, struct sw_aws_attempt *st,
                    const struct sw_creds *fixed, enum sw_aws_service svc,
                    enum sw_aws_proto proto, const char *op, int transport,
                    struct sw_http_resp *resp, struct sw_buf *reply,
                    struct sw_aws_error *err, long *delay_ms, int *result);

/* One attempt's turn in the rate limit: reserved when the attempt is
 * started (sw_aws_turn_begin(), once sw_aws_rate_wait() said 0), counted
 * as a send when aws/http puts the request on the wire (the on_send hook
 * sw_aws_http_start() installs), given back by sw_aws_turn_end() if it
 * never got there (a failed connect, a cancel).  Only CloudWatch is
 * limited, and only with a limit configured; otherwise all of this does
 * nothing.  It must live until the transfer is finished. */
struct sw_aws_turn {
    struct sw_aws *a;
    enum sw_aws_service svc;
    int reserved; /* reserved, not sent yet */
};

/* sw_aws_rate_wait - milliseconds from NOW until an attempt to SVC may be
 * started (0: now). */
long sw_aws_rate_wait(const struct sw_aws *a, enum sw_aws_service svc,
                      sw_mono_ms now);
void sw_aws_turn_begin(struct sw_aws *a, enum sw_aws_service svc,
                       struct sw_aws_turn *t);
void sw_aws_turn_end(struct sw_aws_turn *t);

/* sw_aws_http_start - sign the next attempt of a call with CR at the
 * corrected clock and set it up on H (sw_http_start()): the very request
 * sw_aws_call() sends, its sends counted in TURN (from
 * sw_aws_turn_begin()).  BODY must live until the transfer is finished;
 * MAX_BODY caps the reply (0: the handle's cap).  Returns 0, or the
 * error of signing or of sw_http_start() (nothing is to be finished). */
int sw_aws_http_start(struct sw_aws *a, struct sw_http *h,
                      const struct sw_creds *cr, enum sw_aws_service svc,
                      enum sw_aws_proto proto, const char *op, const char *body,
                      size_t body_len, size_t max_body,
                      struct sw_aws_turn *turn, struct sw_http_resp *resp);

/* sw_aws_rand01 - the next number in [0, 1) for backoff jitter. */
double sw_aws_rand01(struct sw_aws *a);

/* sw_aws_tell - tell the observer how call OP ended (RESULT; CREDS_FAILED
 * when no credentials could be had), after ATTEMPTS requests. */
void sw_aws_tell(struct sw_aws *a, const char *op, int result, int creds_failed,
                 int attempts);

/* ---- aws/batch.c ---- */

/* sw_aws_pool_free - the batch runner's multi handle and easy handles
 * (kept between batches so their connections are reused); NULL is
 * accepted. */
void sw_aws_pool_free(struct sw_aws_pool *p);

/* ---- aws/client_sign.c ---- */

/* sw_aws_wall_now - the wall clock (A's test clock when set), before the
 * skew correction; sw_aws_signing_now - the corrected clock requests are
 * signed with. */
time_t sw_aws_wall_now(const struct sw_aws *a);
time_t sw_aws_signing_now(const struct sw_aws *a);

/* sw_aws_call_checks - the checks every call and sw_aws_prepare() pass
 * before anything is signed: a client, a known service, an operation name
 * of 1-64 letters and digits, a body when BODY_LEN says there is one, and
 * a protocol the service speaks.  Returns 0, or SW_EINVAL with the reason
 * in ERR->message. */
int sw_aws_call_checks(struct sw_aws *a, enum sw_aws_service svc,
                       enum sw_aws_proto proto, const char *op,
                       const char *body, size_t body_len,
                       struct sw_aws_error *err);

/* sw_aws_signing_creds - the credentials to sign with: FIXED when given,
 * else the chain's at the signing time.  Returns 0 and *CR (borrowed);
 * the chain's error with "no usable credentials: <why>" in MSG; or
 * SW_ECREDS with "credentials without a key". */
int sw_aws_signing_creds(struct sw_aws *a, const struct sw_creds *fixed,
                         const struct sw_creds **cr, char *msg, size_t msglen);

/* The headers of one signed request, in the order they are sent: what the
 * call loop hands to aws/http and sw_aws_prepare() to a caller's own curl
 * handle, so both send exactly the same signed set. */
struct sw_aws_signed {
    struct sw_http_header h[8];
    size_t n;
    struct sw_buf authz; /* the Authorization value */
    char amz[SW_TIME_BUF];
    char target[128];
};

/* sw_aws_sign - sign a POST of BODY to SVC at wall time T (already
 * corrected) with CR into SR.  SR's values point into SR, A and CR: valid
 * while those are.  The caller releases SR (sw_aws_signed_release())
 * whatever this returns.  Returns 0, SW_EINVAL or SW_ENOMEM. */
int sw_aws_sign(struct sw_aws *a, const struct sw_creds *cr, time_t t,
                enum sw_aws_service svc, enum sw_aws_proto proto,
                const char *op, const char *body, size_t body_len,
                struct sw_aws_signed *sr);
void sw_aws_signed_release(struct sw_aws_signed *sr);

/* ---- aws/client_error.c ---- */

/* sw_aws_text_copy - copy at most N bytes of S into DST (DSTLEN > 0) for
 * a log line or an error field: control characters become spaces, runs of
 * white space collapse, ends are trimmed; with ASCII_ONLY bytes >= 0x80
 * become '?'.  A cut never splits a UTF-8 sequence. */
void sw_aws_text_copy(char *dst, size_t dstlen, const char *s, size_t n,
                      int ascii_only);

/* sw_aws_code_copy - copy at most N bytes of the identifier S (an error
 * code, a request id) into DST, anything but printable ASCII without
 * spaces as '?', so it can be compared and logged safely. */
void sw_aws_code_copy(char *dst, size_t dstlen, const char *s, size_t n);

#endif
