/* aws/profile.h - the AWS CLI's shared config and credentials files.
 *
 * Reads AWS_CONFIG_FILE (default ~/.aws/config; sections "[profile x]" and
 * "[default]") and AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials;
 * sections "[x]"), and merges one profile: keys from the credentials file
 * win over the config file for the same profile, as botocore does.
 * Supports "[services name]" sections with nested "service =\n  key = v"
 * blocks referenced by a profile's "services = name".  Missing files are
 * not an error; unreadable or malformed ones are (FILE:LINE in the error).
 * Pure parsing apart from reading the two files.
 */
#ifndef SW_AWS_PROFILE_H
#define SW_AWS_PROFILE_H

#include <stddef.h>

struct sw_profile;

/* sw_profile_load - load profile NAME (NULL: AWS_PROFILE, then
 * AWS_DEFAULT_PROFILE, then "default").  A profile that is in neither file
 * is SW_ENOENT only when NAME was given explicitly or came from the
 * environment; the implicit "default" may be empty.
 * Returns 0 and *out: new (sw_profile_free()); SW_ENOENT, SW_EPARSE,
 * SW_EIO, SW_ENOMEM.  ERR receives a one-line reason. */
int sw_profile_load(const char *name, struct sw_profile **out, char *err,
                    size_t errlen);
void sw_profile_free(struct sw_profile *p);

/* sw_profile_parse_buf - parse one file's text (for tests and fuzzing).
 * IS_CONFIG selects the "[profile x]" naming.  FILENAME is used in errors.
 * Returns as sw_profile_load(). */
int sw_profile_parse_buf(const char *text, size_t len, int is_config,
                         const char *filename, const char *name,
                         struct sw_profile **out, char *err, size_t errlen);

/* sw_profile_name - the resolved profile name.  Returns: borrowed. */
const char *sw_profile_name(const struct sw_profile *p);
/* sw_profile_get - value of KEY (lower-case, e.g. "region", "role_arn"),
 * or NULL.  Returns: borrowed, valid until sw_profile_free(). */
const char *sw_profile_get(const struct sw_profile *p, const char *key);
/* Which file a key's value came from.  botocore reads static keys from
 * the credentials file before credential_process and from the config file
 * after it, so the chain must tell the two apart after the merge. */
enum sw_profile_origin {
    SW_PROFILE_NONE = 0, /* key not set (or a nested block) */
    SW_PROFILE_CONFIG,
    SW_PROFILE_CREDENTIALS,
};
/* sw_profile_origin - where KEY of the merged profile came from. */
enum sw_profile_origin sw_profile_origin(const struct sw_profile *p,
                                         const char *key);

/* sw_profile_service_get - KEY in the nested block for SERVICE ("cloudwatch",
 * "sns", "sts") of the profile's services section, or NULL. Borrowed. */
const char *sw_profile_service_get(const struct sw_profile *p,
                                   const char *service, const char *key);

#endif
