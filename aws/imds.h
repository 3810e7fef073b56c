/* aws/imds.h - EC2 instance metadata credentials, IMDSv2 (Amazon EC2 User
 * Guide, "Retrieve security credentials from instance metadata"; AWS SDKs
 * and Tools Reference Guide, "IMDS credential provider").
 *
 * PUT /latest/api/token (TTL 21600 s), then GET
 * /latest/meta-data/iam/security-credentials/ for the role name and GET
 * .../<role> for the JSON credentials, each with a 1 s timeout and a
 * single attempt, as botocore does.  When the token PUT is refused with
 * 403, 404 or 405 (IMDSv1-only hosts) the GETs go without a token, as
 * botocore does, unless AWS_EC2_METADATA_V1_DISABLED=true.  The endpoint
 * is AWS_EC2_METADATA_SERVICE_ENDPOINT (an http(s) URL), else
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4/IPv6) picks
 * http://169.254.169.254 or http://[fd00:ec2::254].  Uses aws/http
 * directly: these requests are not signed.  The JSON parser is pure and
 * exposed for tests.  Depends on lib/, aws/credentials.h and aws/http.h.
 */
#ifndef SW_AWS_IMDS_H
#define SW_AWS_IMDS_H

#include <stddef.h>

#include "aws/credentials.h"

#define SW_IMDS_ENDPOINT    "http://169.254.169.254"
#define SW_IMDS_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define SW_IMDS_TIMEOUT_MS  1000
#define SW_IMDS_MAX_BODY    (64u * 1024)

/* sw_imds_disabled - 1 when AWS_EC2_METADATA_DISABLED is "true" (any
 * case), as botocore checks it. */
int sw_imds_disabled(void);

/* sw_imds_endpoint - the base URL (no trailing '/') into BUF.
 * Returns 0, or SW_EINVAL when the environment names a bad URL or mode
 * (ERR says which) or it does not fit. */
int sw_imds_endpoint(char *buf, size_t size, char *err, size_t errlen);

/* sw_imds_fetch - the instance role's credentials into OUT (source
 * "imds"); overwritten on success only.
 * Returns 0; SW_EINVAL (bad endpoint setting); SW_ETIMEDOUT / SW_EHTTP
 * (no metadata service: not on EC2); SW_ENOENT (no role attached);
 * SW_EAWS (unexpected HTTP status); SW_EPARSE; SW_ENOMEM. */
int sw_imds_fetch(struct sw_creds *out, char *err, size_t errlen);

/* --- for tests --- */

/* sw_imds_parse - the credentials document: Code must be "Success";
 * AccessKeyId, SecretAccessKey, Token and Expiration (RFC 3339) are
 * required non-empty strings.  OUT is overwritten on success only.
 * Returns 0, SW_EPARSE or SW_ENOMEM. */
int sw_imds_parse(const char *json, size_t len, struct sw_creds *out, char *err,
                  size_t errlen);

#endif
