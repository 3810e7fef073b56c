/* aws/creds.c - the credential provider chain; see creds.h.
 *
 * Order and refresh rules follow botocore (credentials.py): environment,
 * then the profile (its assume-role provider first, then the credentials
 * file, credential_process, the config file), then IMDS.  A provider
 * that is configured but fails stops the chain with its error, as
 * botocore raises; only IMDS being unreachable counts as "not found".
 */
#include "config.h"

#include "aws/creds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/credproc.h"
#include "aws/imds.h"
#include "aws/profile.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"

/* botocore's windows: try to refresh 15 min before expiry, and fail when
 * less than 10 min are left. */
#define ADVISORY_S  (15 * 60)
#define MANDATORY_S (10 * 60)
/* AssumeRole hops through source_profile (botocore has no limit but
 * detects loops; a bound keeps a bad config cheap). */
#define MAX_ROLE_DEPTH 4

struct sw_creds_provider {
    char *profile; /* NULL: AWS_PROFILE, else "default" */
    sw_creds_assume_fn *assume;
    void *assume_arg; /* borrowed */
    struct sw_creds cur;
    int have;
    volatile sig_atomic_t *cancel; /* borrowed: the agent's stop flag */
};

/* make_creds - OUT = the given keys.  Values with control characters are
 * refused: they end up in HTTP headers.  WHAT names their origin. */
static int
make_creds(const char *akid, const char *secret, const char *token,
           time_t expiration, const char *source, const char *what,
           struct sw_creds *out, char *err, size_t errlen)
{
    if (sw_str_has_ctl(akid, strlen(akid)) ||
        sw_str_has_ctl(secret, strlen(secret)) ||
        (token && sw_str_has_ctl(token, strlen(token)))) {
        sw_err_set(err, errlen, "%s: keys contain control characters", what);
        return SW_EINVAL;
    }
    if (sw_creds_set(out, akid, strlen(akid), secret, strlen(secret), token,
                     token ? strlen(token) : 0, expiration, source) < 0) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    return 0;
}

static const char *
env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* env_creds - the environment provider.  *FOUND is 0 when neither key
 * is set; one without the other is an error. */
static int
env_creds(struct sw_creds *out, int *found, char *err, size_t errlen)
{
    const char *akid = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    const char *token, *exp;
    time_t expiration = 0;

    *found = 0;
    if (!akid && !secret)
        return 0;
    if (!akid || !secret) {
        sw_err_set(err, errlen, "%s is set but %s is not",
                   akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                   akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return SW_ECREDS;
    }
    token = env_nonempty("AWS_SESSION_TOKEN");
    if (!token)
        token = env_nonempty("AWS_SECURITY_TOKEN");
    exp = env_nonempty("AWS_CREDENTIAL_EXPIRATION");
    if (exp && sw_time_parse_rfc3339(exp, &expiration) < 0) {
        sw_err_set(err, errlen,
                   "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time");
        return SW_EPARSE;
    }
    *found = 1;
    return make_creds(akid, secret, token, expiration, "env", "environment",
                      out, err, errlen);
}

/* profile_static - the profile's aws_access_key_id/aws_secret_access_key
 * when the key id came from ORIGIN; a key id without its secret is an
 * error (botocore's PartialCredentialsError). */
static int
profile_static(const struct sw_profile *prof, enum sw_profile_origin origin,
               struct sw_creds *out, int *found, char *err, size_t errlen)
{
    const char *akid = sw_profile_get(prof, "aws_access_key_id");
    const char *secret = sw_profile_get(prof, "aws_secret_access_key");
    const char *token = sw_profile_get(prof, "aws_session_token");
    char what[160];

    *found = 0;
    if (!akid || !*akid ||
        sw_profile_origin(prof, "aws_access_key_id") != origin)
        return 0;
    if (!secret || !*secret) {
        sw_err_set(err, errlen,
                   "profile '%s': aws_access_key_id is set but "
                   "aws_secret_access_key is not",
                   sw_profile_name(prof));
        return SW_ECREDS;
    }
    /* The credentials file's legacy boto2 name for the token. */
    if (!token || !*token)
        token = sw_profile_get(prof, "aws_security_token");
    if (token && !*token)
        token = NULL;
    *found = 1;
    (void)snprintf(what, sizeof(what), "profile '%s'", sw_profile_name(prof));
    return make_creds(akid, secret, token, 0, "profile", what, out, err,
                      errlen);
}

static int
has_static(const struct sw_profile *prof)
{
    const char *a = sw_profile_get(prof, "aws_access_key_id");
    const char *s = sw_profile_get(prof, "aws_secret_access_key");

    return a && *a && s && *s;
}

static int
has_role(const struct sw_profile *prof)
{
    const char *v = sw_profile_get(prof, "role_arn");

    return v && *v;
}

/* profile_chain - the profile's own providers, role aside: static keys
 * from the credentials file, credential_process, static keys from the
 * config file (botocore's ProfileProviderBuilder order). */
static int
profile_chain(const struct sw_creds_provider *p, const struct sw_profile *prof,
              struct sw_creds *out, int *found, char *err, size_t errlen)
{
    const char *proc;
    char perr[768];
    int r;

    r = profile_static(prof, SW_PROFILE_CREDENTIALS, out, found, err, errlen);
    if (r < 0 || *found)
        return r;
    proc = sw_profile_get(prof, "credential_process");
    if (proc && *proc) {
        *found = 1;
        r = sw_credproc_run(proc, 0, p->cancel, out, perr, sizeof(perr));
        if (r < 0)
            sw_err_set(err, errlen, "profile '%s': %s", sw_profile_name(prof),
                       perr);
        return r;
    }
    return profile_static(prof, SW_PROFILE_CONFIG, out, found, err, errlen);
}

static int
load_profile(const char *name, struct sw_profile **prof, char *err,
             size_t errlen)
{
    char perr[512];
    int r = sw_profile_load(name, prof, perr, sizeof(perr));

    if (r == SW_ENOENT) {
        sw_err_set(err, errlen, "%s", perr);
        return SW_ECREDS;
    }
    if (r < 0)
        sw_err_set(err, errlen, "%s", perr);
    return r;
}

/* A chain of profiles visited through source_profile, for loop checks and
 * the error message. */
struct visited {
    const char *name[MAX_ROLE_DEPTH + 1];
    size_t n;
};

static int
was_visited(const struct visited *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->name[i], name))
            return 1;
    return 0;
}

static void
visited_path(const struct visited *v, const char *last, char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i <= v->n; i++) {
        const char *n = i < v->n ? v->name[i] : last;
        int k = snprintf(buf + off, size - off, "%s%s", i ? " -> " : "", n);

        if (k < 0 || (size_t)k >= size - off)
            return;
        off += (size_t)k;
    }
}

static int assume_role(struct sw_creds_provider *p,
                       const struct sw_profile *prof, struct visited *v,
                       struct sw_creds *out, char *err, size_t errlen);

/* role_source - the credentials AssumeRole is called with, from
 * credential_source or source_profile. */
static int
role_source(struct sw_creds_provider *p, const struct sw_profile *prof,
            struct visited *v, struct sw_creds *out, char *err, size_t errlen)
{
    const char *pname = sw_profile_name(prof);
    const char *src = sw_profile_get(prof, "source_profile");
    const char *cs = sw_profile_get(prof, "credential_source");
    struct sw_profile *sp = NULL;
    char path[256], serr[512];
    int found = 0, r;

    if (src && !*src)
        src = NULL;
    if (cs && !*cs)
        cs = NULL;
    if (src && cs) {
        sw_err_set(err, errlen,
                   "profile '%s': source_profile and credential_source are "
                   "mutually exclusive",
                   pname);
        return SW_EINVAL;
    }
    if (!src && !cs) {
        sw_err_set(err, errlen,
                   "profile '%s': role_arn needs source_profile or "
                   "credential_source",
                   pname);
        return SW_EINVAL;
    }
    if (cs) {
        if (!strcmp(cs, "Environment")) {
            r = env_creds(out, &found, serr, sizeof(serr));
            if (r == 0 && !found) {
                sw_err_set(
                    err, errlen,
                    "profile '%s': credential_source Environment but "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set",
                    pname);
                return SW_ECREDS;
            }
        } else if (!strcmp(cs, "Ec2InstanceMetadata")) {
            if (sw_imds_disabled()) {
                sw_err_set(
                    err, errlen,
                    "profile '%s': credential_source Ec2InstanceMetadata "
                    "but AWS_EC2_METADATA_DISABLED is true",
                    pname);
                return SW_ECREDS;
            }
            r = sw_imds_fetch(out, serr, sizeof(serr));
        } else if (!strcmp(cs, "EcsContainer")) {
            sw_err_set(err, errlen,
                       "profile '%s': credential_source EcsContainer is not "
                       "supported",
                       pname);
            return SW_EINVAL;
        } else {
            sw_err_set(err, errlen,
                       "profile '%s': invalid credential_source '%s' (expected "
                       "Environment, Ec2InstanceMetadata or EcsContainer)",
                       pname, cs);
            return SW_EINVAL;
        }
        if (r < 0)
            sw_err_set(err, errlen, "profile '%s': credential_source %s: %s",
                       pname, cs, serr);
        return r;
    }

    if (was_visited(v, src)) {
        /* botocore allows a role profile to name itself as the source
         * when it also holds static keys; anything else is a loop. */
        if (!strcmp(src, pname) && has_static(prof)) {
            r = profile_chain(p, prof, out, &found, err, errlen);
            return r;
        }
        visited_path(v, src, path, sizeof(path));
        sw_err_set(err, errlen, "profile '%s': source_profile loop: %s", pname,
                   path);
        return SW_EINVAL;
    }
    r = load_profile(src, &sp, serr, sizeof(serr));
    if (r < 0) {
        sw_err_set(err, errlen, "profile '%s': source_profile: %s", pname,
                   serr);
        goto out;
    }
    if (has_static(sp) || !has_role(sp)) {
        r = profile_chain(p, sp, out, &found, err, errlen);
        if (r == 0 && !found) {
            sw_err_set(err, errlen,
                       "profile '%s': source profile '%s' has no credentials",
                       pname, src);
            r = SW_ECREDS;
        }
        goto out;
    }
    if (v->n >= MAX_ROLE_DEPTH) {
        visited_path(v, src, path, sizeof(path));
        sw_err_set(err, errlen, "profile '%s': more than %d chained roles: %s",
                   pname, MAX_ROLE_DEPTH, path);
        r = SW_EINVAL;
        goto out;
    }
    r = assume_role(p, sp, v, out, err, errlen);
out:
    sw_profile_free(sp);
    return r;
}

/* assume_role - PROF has role_arn: get its source credentials, then have
 * the provider's callback call STS.  PROF's name is pushed on V for the
 * loop check. */
static int
assume_role(struct sw_creds_provider *p, const struct sw_profile *prof,
            struct visited *v, struct sw_creds *out, char *err, size_t errlen)
{
    struct sw_creds src = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    struct sw_creds_role role;
    const char *pname = sw_profile_name(prof);
    const char *dur = sw_profile_get(prof, "duration_seconds");
    const char *mfa = sw_profile_get(prof, "mfa_serial");
    char serr[768];
    long duration = 0;
    int r;

    if (mfa && *mfa) {
        /* botocore prompts for the code; a daemon cannot. */
        sw_err_set(err, errlen,
                   "profile '%s': mfa_serial is not supported (no terminal to "
                   "ask for a code)",
                   pname);
        return SW_EINVAL;
    }
    if (dur && *dur &&
        sw_parse_long(dur, SW_CREDS_ROLE_MIN_DURATION_S,
                      SW_CREDS_ROLE_MAX_DURATION_S, &duration) < 0) {
        sw_err_set(err, errlen,
                   "profile '%s': duration_seconds must be an integer in "
                   "%d-%d",
                   pname, SW_CREDS_ROLE_MIN_DURATION_S,
                   SW_CREDS_ROLE_MAX_DURATION_S);
        return SW_EINVAL;
    }
    role.role_arn = sw_profile_get(prof, "role_arn");
    role.session_name = sw_profile_get(prof, "role_session_name");
    role.external_id = sw_profile_get(prof, "external_id");
    role.duration_s = (int)duration;
    if (role.external_id && !*role.external_id)
        role.external_id = NULL;
    if (role.session_name && !*role.session_name)
        role.session_name = NULL;
    v->name[v->n++] = pname;
    r = role_source(p, prof, v, &src, err, errlen);
    v->n--;
    if (r < 0)
        goto out;
    if (!p->assume) {
        sw_err_set(err, errlen,
                   "profile '%s': no STS caller to assume role '%s' with",
                   pname, role.role_arn);
        r = SW_EINVAL;
        goto out;
    }
    serr[0] = '\0';
    r = p->assume(p->assume_arg, &src, &role, out, serr, sizeof(serr));
    if (r < 0) {
        sw_err_set(err, errlen, "profile '%s': %s", pname,
                   serr[0] ? serr : sw_strerror(r));
        goto out;
    }
    sw_log_debug("creds: assumed role '%s' for profile '%s' with "
                 "credentials from '%s'",
                 role.role_arn, pname, src.source ? src.source : "?");
out:
    sw_creds_release(&src);
    return r;
}

/* resolve - run the chain once.  Returns 0 with OUT set, or an error. */
static int
resolve(struct sw_creds_provider *p, struct sw_creds *out, char *err,
        size_t errlen)
{
    struct sw_profile *prof = NULL;
    struct visited v;
    char why[512];
    const char *pnote = "no credentials", *inote = "disabled";
    int found = 0, r;

    r = env_creds(out, &found, err, errlen);
    if (r < 0 || found)
        goto out;

    r = load_profile(p->profile, &prof, err, errlen);
    if (r < 0)
        goto out;
    if (has_role(prof)) {
        v.n = 0;
        r = assume_role(p, prof, &v, out, err, errlen);
        goto out;
    }
    r = profile_chain(p, prof, out, &found, err, errlen);
    if (r < 0 || found)
        goto out;
    if (sw_profile_get(prof, "web_identity_token_file") ||
        sw_profile_get(prof, "sso_session") ||
        sw_profile_get(prof, "sso_start_url"))
        pnote = "web identity and SSO are not supported";

    if (!sw_imds_disabled()) {
        r = sw_imds_fetch(out, why, sizeof(why));
        if (r == 0)
            goto out;
        if (r == SW_EINVAL || r == SW_ENOMEM) {
            /* A bad endpoint setting is a config error, not absence. */
            sw_err_set(err, errlen, "%s", why);
            goto out;
        }
        inote = why;
    }
    sw_err_set(
        err, errlen,
        "no AWS credentials found: tried environment, profile '%s' (%s), "
        "instance metadata (%s)",
        sw_profile_name(prof), pnote, inote);
    r = SW_ECREDS;
out:
    sw_profile_free(prof);
    return r;
}

int
sw_creds_provider_new(const char *profile, sw_creds_assume_fn *assume,
                      void *assume_arg, struct sw_creds_provider **out)
{
    struct sw_creds_provider *p;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return SW_ENOMEM;
    p->assume = assume;
    p->assume_arg = assume_arg;
    if (profile) {
        p->profile = sw_strdup(profile);
        if (!p->profile) {
            free(p);
            return SW_ENOMEM;
        }
    }
    *out = p;
    return 0;
}

void
sw_creds_provider_free(struct sw_creds_provider *p)
{
    if (!p)
        return;
    sw_creds_release(&p->cur);
    free(p->profile);
    free(p);
}

void
sw_creds_set_cancel_flag(struct sw_creds_provider *p,
                         volatile sig_atomic_t *flag)
{
    if (p)
        p->cancel = flag;
}

void
sw_creds_invalidate(struct sw_creds_provider *p)
{
    if (!p)
        return;
    sw_creds_release(&p->cur);
    p->have = 0;
}

int
sw_creds_get(struct sw_creds_provider *p, time_t now,
             const struct sw_creds **out, char *err, size_t errlen)
{
    struct sw_creds fresh = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char why[1024];
    long long left = 0;
    int r;

    *out = NULL;
    if (p->have) {
        if (!p->cur.expiration)
            goto cached;
        left = (long long)p->cur.expiration - (long long)now;
        if (left >= ADVISORY_S)
            goto cached;
    }
    why[0] = '\0';
    r = resolve(p, &fresh, why, sizeof(why));
    if (r == 0 && fresh.expiration && fresh.expiration <= now) {
        sw_err_set(why, sizeof(why),
                   "credentials from '%s' were refreshed but are already "
                   "expired",
                   fresh.source);
        r = SW_EAUTH;
    }
    if (r < 0) {
        if (p->have && left >= MANDATORY_S) {
            /* Advisory window: the old ones are still good for a while;
             * the next call tries again. */
            sw_log_warn("creds: refreshing credentials failed, keeping the "
                        "current ones (%lld s left): %s",
                        left, why);
            goto cached;
        }
        sw_err_set(err, errlen, "%s", why);
        goto out;
    }
    if (fresh.expiration && fresh.expiration - now < MANDATORY_S)
        sw_log_warn("creds: credentials from '%s' expire in %lld s",
                    fresh.source, (long long)fresh.expiration - (long long)now);
    if (p->have)
        sw_log_debug("creds: refreshed credentials from '%s'", fresh.source);
    else
        sw_log_info("creds: using credentials from '%s' (access key %s)",
                    fresh.source, fresh.akid);
    sw_creds_release(&p->cur);
    p->cur = fresh;
    fresh.akid = NULL;
    fresh.secret.s = NULL;
    fresh.token.s = NULL;
    p->have = 1;
cached:
    *out = &p->cur;
    r = 0;
out:
    sw_creds_release(&fresh);
    return r;
}
