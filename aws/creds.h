/* aws/creds.h - AWS credentials and the AWS CLI's provider chain.
 *
 * The chain, in the CLI's order (aws-reference.md section 9.2):
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *      (+ AWS_SESSION_TOKEN / AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION)
 *   2. the profile (aws.profile, else AWS_PROFILE, else "default"):
 *      role_arn + source_profile (or credential_source = Environment |
 *      Ec2InstanceMetadata) through STS AssumeRole; static keys from the
 *      credentials file; credential_process (run without a shell, JSON
 *      Version 1); static keys from the config file (botocore's order)
 *   3. IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true), 1 s timeouts,
 *      endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254.
 * Temporary credentials are refreshed 15 minutes before they expire
 * (botocore's advisory window); a refresh failure inside that window keeps
 * the old credentials until the mandatory 10-minute mark.
 *
 * Secrets live in struct sw_secret and are wiped on release; nothing here
 * logs a key, secret or token.
 */
#ifndef SW_AWS_CREDS_H
#define SW_AWS_CREDS_H

#include <time.h>

#include "lib/secret.h"

struct sw_aws;

struct sw_creds {
    char *akid;              /* access key id (not secret, may be logged) */
    struct sw_secret secret; /* secret access key */
    struct sw_secret token;  /* session token; .s NULL when none */
    time_t expiration;       /* 0: does not expire */
    const char *source;      /* static: "env", "profile", "process",
                                "assume-role", "imds" */
};

/* sw_creds_release - wipe and free the contents; NULL ok. */
void sw_creds_release(struct sw_creds *c);
/* sw_creds_set - OUT = copies of the given keys (TOKEN may be NULL),
 * EXPIRATION and SOURCE (static).  OUT's previous contents are released
 * only on success.  Returns 0 or SW_ENOMEM (OUT unchanged). */
int sw_creds_set(struct sw_creds *out, const char *akid, size_t akid_len,
                 const char *secret, size_t secret_len, const char *token,
                 size_t token_len, time_t expiration, const char *source);
/* sw_creds_copy - deep copy into DST, which is overwritten without being
 * released (release it first if it holds credentials).
 * Returns 0 or SW_ENOMEM (DST untouched). */
int sw_creds_copy(struct sw_creds *dst, const struct sw_creds *src);

struct sw_creds_provider;

/* sw_creds_provider_new - the chain for PROFILE (NULL: AWS_PROFILE, else
 * "default").  AWS is the client used for STS AssumeRole calls (borrowed;
 * must outlive the provider).  Nothing is resolved yet.
 * Returns 0 and *out: new (sw_creds_provider_free()), or SW_ENOMEM. */
int sw_creds_provider_new(struct sw_aws *aws, const char *profile,
                          struct sw_creds_provider **out);
void sw_creds_provider_free(struct sw_creds_provider *p);

/* sw_creds_get - current credentials, resolving or refreshing as needed
 * at wall time NOW.  Returns 0 and *out: borrowed, valid until the next
 * sw_creds_get/_invalidate/_free; or SW_ECREDS (nothing in the chain;
 * ERR says what was tried), SW_EPROC, SW_EPARSE, SW_EAUTH, SW_EAWS...
 * ERR (may be NULL) receives a one-line reason without secrets. */
int sw_creds_get(struct sw_creds_provider *p, time_t now,
                 const struct sw_creds **out, char *err, size_t errlen);

/* sw_creds_invalidate - forget cached credentials so the next get
 * refreshes (after an ExpiredToken reply). */
void sw_creds_invalidate(struct sw_creds_provider *p);
/* sw_creds_set_cancel_flag - while *FLAG (borrowed; NULL: none) is
 * non-zero a running credential_process is killed at once and
 * sw_creds_get() fails with SW_ECANCELED: a SIGTERM must not wait for a
 * hanging helper. */
void sw_creds_set_cancel_flag(struct sw_creds_provider *p, volatile int *flag);

#endif
