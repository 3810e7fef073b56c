/* aws/creds.h - the AWS CLI's credential provider chain.
 *
 * The chain, in the CLI's order (AWS CLI User Guide, "Configuring settings
 * for the AWS CLI", section "Configuration and credentials precedence"):
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
 * The chain never calls STS itself: AssumeRole goes through a callback
 * given at construction (aws/client passes one that signs and sends the
 * request), the way aws/endpoint reads the environment and the profile
 * through callbacks.  So the chain depends on aws/credentials (the
 * value), aws/profile, aws/credproc and aws/imds, and nothing above them.
 *
 * Secrets live in struct sw_secret and are wiped on release; nothing here
 * logs a key, secret or token.
 */
#ifndef SW_AWS_CREDS_H
#define SW_AWS_CREDS_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "aws/credentials.h"

struct sw_creds_provider;

/* sw_creds_assume_fn - STS AssumeRole on ROLE, signed with SOURCE (both
 * borrowed), into OUT (source "assume-role"; overwritten on success
 * only).  ERR receives a one-line reason without secrets.  Returns 0 or a
 * negative SW_E* code, which the chain passes on. */
typedef int sw_creds_assume_fn(void *arg, const struct sw_creds *source,
                               const struct sw_creds_role *role,
                               struct sw_creds *out, char *err, size_t errlen);

/* sw_creds_provider_new - the chain for PROFILE (NULL: AWS_PROFILE, else
 * "default").  ASSUME(ASSUME_ARG, ...) is called for every role a profile
 * assumes (ASSUME_ARG borrowed: must outlive the provider); with ASSUME
 * NULL a role profile fails with SW_EINVAL.  Nothing is resolved yet.
 * Returns 0 and *out: new (sw_creds_provider_free()), or SW_ENOMEM. */
int sw_creds_provider_new(const char *profile, sw_creds_assume_fn *assume,
                          void *assume_arg, struct sw_creds_provider **out);
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
void sw_creds_set_cancel_flag(struct sw_creds_provider *p,
                              volatile sig_atomic_t *flag);

#endif
