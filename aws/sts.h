/* aws/sts.h - STS AssumeRole for profiles with role_arn (aws-reference.md
 * section 9.5).
 *
 * Builds the Query request (Version 2011-06-15), sends it through
 * aws/client with explicit source credentials (never the chain: the chain
 * is what is being resolved) and turns the XML reply into temporary
 * credentials.  The inputs are checked against the API's constraints
 * before anything is sent, so a typo in a profile gives a local error
 * naming the key.  Secrets in the reply are wiped after use and never
 * appear in messages.  The parameter check and the reply parser are pure
 * and exposed for tests.
 */
#ifndef SW_AWS_STS_H
#define SW_AWS_STS_H

#include <stddef.h>

#include "aws/creds.h"

struct sw_aws;

#define SW_STS_VERSION        "2011-06-15"
#define SW_STS_MIN_DURATION_S 900
#define SW_STS_MAX_DURATION_S 43200
#define SW_STS_MAX_REPLY      (256u * 1024)

/* sw_sts_assume_role - AssumeRole on ROLE_ARN with SOURCE (borrowed).
 * SESSION_NAME NULL: "streamwatch-<epoch>"; EXTERNAL_ID NULL: none;
 * DURATION_S 0: the service default (3600).  OUT (source "assume-role")
 * is overwritten on success only.
 * Returns 0; SW_EINVAL (bad input, ERR names it); SW_EPARSE (bad reply);
 * or what sw_aws_call_with_creds() returns (SW_EAWS with "Code: Message"
 * in ERR, SW_EAUTH, SW_EHTTP, ...). */
int sw_sts_assume_role(struct sw_aws *a, const struct sw_creds *source,
                       const char *role_arn, const char *session_name,
                       const char *external_id, int duration_s,
                       struct sw_creds *out, char *err, size_t errlen);

/* --- for tests --- */

/* sw_sts_check_params - RoleArn 20-2048 characters starting "arn:";
 * RoleSessionName 2-64 of [A-Za-z0-9_+=,.@-]; ExternalId (when not NULL)
 * 2-1224 of [A-Za-z0-9_+=,.@:/-]; DURATION_S 0 or 900-43200.
 * Returns 0 or SW_EINVAL. */
int sw_sts_check_params(const char *role_arn, const char *session_name,
                        const char *external_id, int duration_s, char *err,
                        size_t errlen);

/* sw_sts_parse_assume_role - an AssumeRoleResponse body into OUT (source
 * "assume-role"): AccessKeyId 16-128 characters, SecretAccessKey and
 * SessionToken non-empty, Expiration RFC 3339.  An ErrorResponse envelope
 * gives SW_EAWS with "Code: Message" in ERR.  OUT is overwritten on
 * success only.  Returns 0, SW_EAWS, SW_EPARSE or SW_ENOMEM. */
int sw_sts_parse_assume_role(const char *xml, size_t len, struct sw_creds *out,
                             char *err, size_t errlen);

#endif
