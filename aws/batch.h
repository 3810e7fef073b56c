/* aws/batch.h - many independent AWS calls at once, on one curl multi.
 *
 * sw_aws_batch_run() runs N calls with at most `concurrency` transfers in
 * flight, and each call ends as sw_aws_call() would have ended it: every
 * attempt signed right before it is sent (the skew-corrected clock, the
 * chain's current credentials), the reply judged the same way (clock
 * skew, expired-token refresh, the error reply, the retry classes), the
 * same backoff (full jitter), retry quota and attempt budget, the same
 * immediate retry after clock skew or an expired token, and the client's
 * CloudWatch rate limit on every attempt (aws/ratelimit.h).  Calls finish
 * in any order; results are per call.  The client's observer is told
 * once per call, as for sw_aws_call().
 *
 * Connections are reused: the runner keeps one curl multi and a pool of
 * easy handles in the struct sw_aws (aws/client_priv.h), at most
 * `concurrency` connections per host, the same TLS, timeout, CA, reply
 * cap and header-redaction rules as every other request (aws/http).
 *
 * Signals, as for sw_aws_call(): with the client's cancel flag up
 * (SIGTERM) every transfer is aborted at once and every unfinished call
 * ends with SW_ECANCELED; with the yield flag up (SIGHUP) the transfers
 * in flight finish, nothing new starts, and the calls not finished end
 * with SW_ECANCELED.
 *
 * One difference: when the credential chain fails during a batch, the
 * calls that still need credentials fail with the same error at once
 * instead of asking the chain again each (an IMDS or credential_process
 * failure would otherwise cost its timeout once per call).
 *
 * Part of the client (aws/client_priv.h); not thread-safe, like it.
 */
#ifndef SW_AWS_BATCH_H
#define SW_AWS_BATCH_H

#include <stddef.h>

#include "aws/client.h"
#include "aws/service.h"
#include "lib/buf.h"

#define SW_AWS_BATCH_CONCURRENCY     16   /* the default */
#define SW_AWS_BATCH_MAX_CONCURRENCY 1024 /* more is cut to this */
#define SW_AWS_BATCH_TICK_MS         50   /* the tick's period */

struct sw_aws_batch_req {
    /* Filled by the caller, borrowed until sw_aws_batch_run() returns: */
    enum sw_aws_service svc;
    enum sw_aws_proto proto;
    const char *op;   /* as for sw_aws_call() */
    const char *body; /* sent byte for byte */
    size_t len;
    size_t max_reply; /* reply cap; 0: SW_HTTP_MAX_BODY */
    /* Filled by the runner (anything there before is overwritten): */
    int result;              /* 0 or SW_E*, as sw_aws_call() returns */
    struct sw_buf reply;     /* the body on success; the caller releases it
                                whatever the result */
    struct sw_aws_error err; /* on failure, as sw_aws_call() fills it */
    int attempts;            /* requests sent (err.attempts) */
};

struct sw_aws_batch_opts {
    int concurrency; /* transfers in flight at most; 0: 16 */
    /* Called every SW_AWS_BATCH_TICK_MS or so while the batch runs (never
     * from inside a curl callback), so the caller can run its
     * notification dispatcher and heartbeat without blocking; NULL: none.
     * It may use the same struct sw_aws (sw_aws_prepare(), sw_aws_call()
     * to a service other than CloudWatch, whose turns the batch holds),
     * but not start another batch on it. */
    void (*tick)(void *arg);
    void *tick_arg;
    /* Called with the calls ended so far and N, at each tick and once at
     * the end (a progress bar); NULL: none. */
    void (*progress)(void *arg, size_t done, size_t n);
    void *progress_arg;
};

/* sw_aws_batch_run - run the N calls REQS (see above); O may be NULL (the
 * defaults).  Returns 0 when the batch ran, whatever each call's result
 * (a stop or a reload included: those calls have SW_ECANCELED);
 * SW_EINVAL for a NULL A or REQS, or a batch started from inside another
 * one's tick (nothing is touched then); SW_ENOMEM or SW_EINTERNAL (a curl
 * failure) when it could not run: then every unfinished call has that
 * result. */
int sw_aws_batch_run(struct sw_aws *a, struct sw_aws_batch_req *reqs, size_t n,
                     const struct sw_aws_batch_opts *o);

#endif
