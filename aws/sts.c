/* aws/sts.c - STS AssumeRole; see sts.h. */
#include "config.h"

#include "aws/sts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/query.h"
#include "aws/xml.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"

/* AWS's patterns use \w, which for these APIs is the ASCII word class. */
static int
is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

static int
all_in(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!is_word(*s) && !strchr(extra, *s))
            return 0;
    return 1;
}

int
sw_sts_check_params(const char *role_arn, const char *session_name,
                    const char *external_id, int duration_s, char *err,
                    size_t errlen)
{
    size_t n;

    n = role_arn ? strlen(role_arn) : 0;
    if (n < 20 || n > 2048 || !sw_str_has_prefix(role_arn, "arn:") ||
        sw_str_has_ctl(role_arn, n)) {
        sw_err_set(err, errlen,
                   "role_arn must be an ARN of 20-2048 characters ('arn:...')");
        return SW_EINVAL;
    }
    n = session_name ? strlen(session_name) : 0;
    if (n < 2 || n > 64 || !all_in(session_name, "+=,.@-")) {
        sw_err_set(err, errlen,
                   "role_session_name must be 2-64 characters of "
                   "A-Z a-z 0-9 _+=,.@-");
        return SW_EINVAL;
    }
    if (external_id) {
        n = strlen(external_id);
        if (n < 2 || n > 1224 || !all_in(external_id, "+=,.@:/-")) {
            sw_err_set(err, errlen,
                       "external_id must be 2-1224 characters of "
                       "A-Z a-z 0-9 _+=,.@:/-");
            return SW_EINVAL;
        }
    }
    if (duration_s != 0 && (duration_s < SW_CREDS_ROLE_MIN_DURATION_S ||
                            duration_s > SW_CREDS_ROLE_MAX_DURATION_S)) {
        sw_err_set(err, errlen, "duration_seconds must be %d-%d (got %d)",
                   SW_CREDS_ROLE_MIN_DURATION_S, SW_CREDS_ROLE_MAX_DURATION_S,
                   duration_s);
        return SW_EINVAL;
    }
    return 0;
}

/* node_value - the text of PATH under N without surrounding blanks (a
 * pretty-printed reply may indent).  Returns NULL when absent. */
static const char *
node_value(const struct sw_xml_node *n, const char *path, size_t *len)
{
    const struct sw_xml_node *t = sw_xml_path(n, path);
    const char *s;
    size_t l;

    *len = 0;
    if (!t || !t->text)
        return NULL;
    s = t->text;
    l = t->text_len;
    while (l && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        l--;
    }
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' ||
                 s[l - 1] == '\n'))
        l--;
    *len = l;
    return s;
}

/* Copy an AWS error text into a log-safe form (no control characters). */
static void
clean_copy(char *dst, size_t size, const char *s, size_t n)
{
    size_t j = 0;

    if (!size)
        return;
    for (size_t i = 0; i < n && j + 1 < size; i++)
        dst[j++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    dst[j] = '\0';
}

/* The reply's secrets are wiped in the tree before it is freed. */
static void
wipe_node(const struct sw_xml_node *n, const char *path)
{
    const struct sw_xml_node *t = sw_xml_path(n, path);

    if (t && t->text)
        sw_memzero(t->text, t->text_len);
}

int
sw_sts_parse_assume_role(const char *xml, size_t len, struct sw_creds *out,
                         char *err, size_t errlen)
{
    time_t expiration = 0;
    struct sw_xml_node *root = NULL;
    const struct sw_xml_node *cr = NULL;
    const char *akid, *secret, *token, *exp;
    size_t akid_len, secret_len, token_len, exp_len;
    char xerr[160], code[128], msg[256], tbuf[64];
    int r = SW_EPARSE;

    r = sw_xml_parse(xml, len, &root, xerr, sizeof(xerr));
    if (r < 0) {
        sw_err_set(err, errlen, "sts: AssumeRole reply: %s", xerr);
        goto out;
    }
    r = SW_EPARSE;
    if (!strcmp(root->name, "ErrorResponse") ||
        !strcmp(root->name, "Response")) {
        const struct sw_xml_node *e = sw_xml_path(root, "Error");
        const char *v;
        size_t n;

        if (!e)
            e = sw_xml_path(root, "Errors/Error");
        v = node_value(e, "Code", &n);
        clean_copy(code, sizeof(code), v ? v : "unknown", v ? n : 7);
        v = node_value(e, "Message", &n);
        clean_copy(msg, sizeof(msg), v ? v : "", v ? n : 0);
        sw_err_set(err, errlen, "sts: AssumeRole failed: %s%s%s", code,
                   msg[0] ? ": " : "", msg);
        r = SW_EAWS;
        goto out;
    }
    if (strcmp(root->name, "AssumeRoleResponse")) {
        clean_copy(code, sizeof(code), root->name, strlen(root->name));
        sw_err_set(err, errlen,
                   "sts: AssumeRole reply: unexpected element '%s'", code);
        goto out;
    }
    cr = sw_xml_path(root, "AssumeRoleResult/Credentials");
    if (!cr) {
        sw_err_set(err, errlen, "sts: AssumeRole reply: no Credentials");
        goto out;
    }
    akid = node_value(cr, "AccessKeyId", &akid_len);
    secret = node_value(cr, "SecretAccessKey", &secret_len);
    token = node_value(cr, "SessionToken", &token_len);
    exp = node_value(cr, "Expiration", &exp_len);
    if (!akid || akid_len < 16 || akid_len > 128 ||
        sw_str_has_ctl(akid, akid_len)) {
        sw_err_set(err, errlen,
                   "sts: AssumeRole reply: AccessKeyId missing or "
                   "not 16-128 characters");
        goto out;
    }
    for (size_t i = 0; i < akid_len; i++) {
        if (!is_word(akid[i])) {
            sw_err_set(err, errlen,
                       "sts: AssumeRole reply: AccessKeyId has characters "
                       "outside [A-Za-z0-9_]");
            goto out;
        }
    }
    if (!secret || !secret_len || sw_str_has_ctl(secret, secret_len)) {
        sw_err_set(err, errlen,
                   "sts: AssumeRole reply: SecretAccessKey missing or invalid");
        goto out;
    }
    if (!token || !token_len || sw_str_has_ctl(token, token_len)) {
        sw_err_set(err, errlen,
                   "sts: AssumeRole reply: SessionToken missing or invalid");
        goto out;
    }
    if (!exp || exp_len >= sizeof(tbuf)) {
        sw_err_set(err, errlen, "sts: AssumeRole reply: Expiration missing");
        goto out;
    }
    memcpy(tbuf, exp, exp_len);
    tbuf[exp_len] = '\0';
    if (sw_time_parse_rfc3339(tbuf, &expiration) < 0) {
        sw_err_set(err, errlen,
                   "sts: AssumeRole reply: Expiration is not an RFC 3339 time");
        goto out;
    }
    r = sw_creds_set(out, akid, akid_len, secret, secret_len, token, token_len,
                     expiration, "assume-role");
    if (r < 0)
        sw_err_set(err, errlen, "out of memory");
out:
    if (cr) {
        wipe_node(cr, "SecretAccessKey");
        wipe_node(cr, "SessionToken");
    }
    sw_xml_free(root);
    return r;
}

int
sw_sts_assume_role(sw_sts_send_fn *send, void *send_arg,
                   const struct sw_creds *source,
                   const struct sw_creds_role *role, struct sw_creds *out,
                   char *err, size_t errlen)
{
    struct sw_query q;
    struct sw_buf reply;
    const char *session_name;
    char defname[40], perr[160], serr[768], shown[768];
    int q_init = 0, r;

    sw_buf_init(&reply, SW_STS_MAX_REPLY);
    if (!role) {
        sw_err_set(err, errlen, "sts: no role to assume");
        r = SW_EINVAL;
        goto out;
    }
    session_name = role->session_name;
    if (!session_name) {
        /* botocore uses "botocore-session-<epoch>"; ours says who. */
        (void)snprintf(defname, sizeof(defname), "streamwatch-%lld",
                       (long long)sw_wall_now());
        session_name = defname;
    }
    r = sw_sts_check_params(role->role_arn, session_name, role->external_id,
                            role->duration_s, perr, sizeof(perr));
    if (r < 0) {
        sw_err_set(err, errlen, "sts: %s", perr);
        goto out;
    }
    if (!send || !source) {
        sw_err_set(err, errlen,
                   "sts: no AWS client or source credentials for "
                   "AssumeRole");
        r = SW_EINVAL;
        goto out;
    }
    q_init = 1;
    r = sw_query_init(&q, "AssumeRole", SW_STS_VERSION);
    if (r == 0)
        r = sw_query_add(&q, "RoleArn", role->role_arn);
    if (r == 0)
        r = sw_query_add(&q, "RoleSessionName", session_name);
    /* Sent only when configured, as botocore does: the role's own
     * default applies otherwise. */
    if (r == 0 && role->duration_s)
        r = sw_query_addf(&q, "DurationSeconds", "%d", role->duration_s);
    if (r == 0 && role->external_id)
        r = sw_query_add(&q, "ExternalId", role->external_id);
    if (r < 0) {
        sw_err_set(err, errlen, "sts: building AssumeRole request: %s",
                   sw_strerror(r));
        goto out;
    }
    serr[0] = '\0';
    r = send(send_arg, source, sw_query_body(&q), sw_query_len(&q), &reply,
             serr, sizeof(serr));
    if (r < 0) {
        clean_copy(shown, sizeof(shown), serr, strnlen(serr, sizeof(serr)));
        sw_err_set(err, errlen, "sts: AssumeRole on '%s' failed: %s",
                   role->role_arn, shown[0] ? shown : sw_strerror(r));
        goto out;
    }
    r = sw_sts_parse_assume_role(reply.data ? reply.data : "", reply.len, out,
                                 err, errlen);
out:
    if (q_init)
        sw_query_release(&q);
    sw_buf_wipe(&reply);
    return r;
}
