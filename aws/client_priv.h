/* aws/client_priv.h - what the three parts of the AWS client share.
 *
 * Private to aws/client*.c; everything else uses aws/client.h.  The client
 * is one module in three files, one concern each:
 *  - aws/client.c: struct sw_aws (region, endpoints, the credential chain,
 *    the HTTP handle), the call/retry loop behind sw_aws_call() and what
 *    sw_aws_observe() feeds back, and the AssumeRole callback the chain
 *    gets;
 *  - aws/client_sign.c: building one request: the checks every call
 *    passes, the credentials to sign with, the signed header set, and
 *    sw_aws_prepare() for a caller's own transfer;
 *  - aws/client_error.c: AWS error replies (sw_aws_parse_error()) and the
 *    cleaning that keeps what a reply says printable.
 * aws/client.h is not included here, so that client.c and this header form
 * no include cycle; the types this header needs from it are declared.
 * Depends on lib/ and aws/endpoint, aws/http, aws/retry, aws/service.
 */
#ifndef SW_AWS_CLIENT_PRIV_H
#define SW_AWS_CLIENT_PRIV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/service.h"
#include "lib/buf.h"
#include "lib/clock.h"

#define SW_AWS_HOST_MAX 300

struct sw_creds;
struct sw_creds_provider;
struct sw_aws_error;

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
};

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
