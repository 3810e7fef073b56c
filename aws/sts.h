/* aws/sts.h - STS AssumeRole for profiles with role_arn (AWS STS API
 * Reference, "AssumeRole"; AWS SDKs and Tools Reference Guide, "Assume
 * role credential provider").
 *
 * Builds the Query request (Version 2011-06-15), hands it to a send
 * callback that signs it with explicit source credentials (never the
 * chain: the chain is what is being resolved) and turns the XML reply
 * into temporary credentials.  aws/client supplies the callback, so this
 * module needs neither the client nor the chain: it depends on lib/,
 * aws/credentials.h, aws/query and aws/xml.  The inputs are checked
 * against the API's constraints before anything is sent, so a typo in a
 * profile gives a local error naming the key.  Secrets in the reply are
 * wiped after use and never appear in messages.  The parameter check and
 * the reply parser are pure and exposed for tests.
 */
#ifndef SW_AWS_STS_H
#define SW_AWS_STS_H

#include <stddef.h>

#include "aws/credentials.h"

struct sw_buf;

#define SW_STS_VERSION   "2011-06-15"
#define SW_STS_MAX_REPLY (256u * 1024)

/* sw_sts_send_fn - send the AssumeRole Query form BODY (LEN bytes) to STS,
 * signed with SOURCE (borrowed), and put a 2xx reply's body into REPLY
 * (initialised by the caller with SW_STS_MAX_REPLY as its cap).  On
 * failure returns a negative SW_E* code with ERR holding AWS's
 * "Code: Message" or the transport's reason (may be empty). */
typedef int sw_sts_send_fn(void *arg, const struct sw_creds *source,
                           const char *body, size_t len, struct sw_buf *reply,
                           char *err, size_t errlen);

/* sw_sts_assume_role - AssumeRole on ROLE with SOURCE (both borrowed),
 * sent through SEND(SEND_ARG, ...).  ROLE->session_name NULL:
 * "streamwatch-<epoch>"; ->external_id NULL: none; ->duration_s 0: the
 * role's default.  OUT (source "assume-role") is overwritten on success
 * only.
 * Returns 0; SW_EINVAL (bad input, ERR names it; also SEND or SOURCE
 * NULL); SW_EPARSE (bad reply); or what SEND returns (SW_EAWS with
 * "Code: Message" in ERR, SW_EAUTH, SW_EHTTP, ...). */
int sw_sts_assume_role(sw_sts_send_fn *send, void *send_arg,
                       const struct sw_creds *source,
                       const struct sw_creds_role *role, struct sw_creds *out,
                       char *err, size_t errlen);

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
