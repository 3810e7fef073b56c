/* aws/credentials.h - the AWS credentials value and what a role needs.
 *
 * struct sw_creds is what every credential provider produces (the
 * environment, a profile's static keys, credential_process, STS
 * AssumeRole, IMDS) and what aws/client signs with.  struct
 * sw_creds_role is what a profile's role_arn settings ask of STS
 * AssumeRole.  Keeping both here lets aws/credproc, aws/imds, aws/sts and
 * aws/profile's users depend on the value alone, not on the provider
 * chain (aws/creds) that strings them together.
 *
 * Secrets live in struct sw_secret and are wiped on release; nothing here
 * logs a key, secret or token.  Depends on lib/ only.
 */
#ifndef SW_AWS_CREDENTIALS_H
#define SW_AWS_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#include "lib/secret.h"

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

/* AssumeRole's DurationSeconds range (STS API Reference, "AssumeRole"). */
#define SW_CREDS_ROLE_MIN_DURATION_S 900
#define SW_CREDS_ROLE_MAX_DURATION_S 43200

/* The AssumeRole parameters a role profile gives; every string borrowed
 * from the profile. */
struct sw_creds_role {
    const char *role_arn;     /* role_arn */
    const char *session_name; /* role_session_name; NULL: a default */
    const char *external_id;  /* external_id; NULL: none */
    int duration_s;           /* duration_seconds; 0: the role's default */
};

#endif
