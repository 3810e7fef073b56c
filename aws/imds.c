/* aws/imds.c - EC2 instance metadata credentials; see imds.h. */
#include "config.h"

#include "aws/imds.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/http.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"

#define TOKEN_PATH "/latest/api/token"
#define CREDS_PATH "/latest/meta-data/iam/security-credentials/"

static int
env_true(const char *name)
{
    const char *v = getenv(name);

    return v && !strcasecmp(v, "true");
}

int
sw_imds_disabled(void)
{
    return env_true("AWS_EC2_METADATA_DISABLED");
}

int
sw_imds_endpoint(char *buf, size_t size, char *err, size_t errlen)
{
    const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    size_t n, host;

    if (!e || !*e) {
        if (!mode || !*mode || !strcasecmp(mode, "IPv4"))
            e = SW_IMDS_ENDPOINT;
        else if (!strcasecmp(mode, "IPv6"))
            e = SW_IMDS_ENDPOINT_V6;
        else {
            sw_err_set(err, errlen,
                       "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be "
                       "IPv4 or IPv6");
            return SW_EINVAL;
        }
    }
    n = strlen(e);
    if (sw_str_has_prefix(e, "http://"))
        host = 7;
    else if (sw_str_has_prefix(e, "https://"))
        host = 8;
    else
        host = 0;
    /* Drop trailing slashes: the paths we append start with one. */
    while (n > host && e[n - 1] == '/')
        n--;
    if (!host || n == host || sw_str_has_ctl(e, n) || memchr(e, ' ', n)) {
        sw_err_set(err, errlen,
                   "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http:// "
                   "or https:// URL");
        return SW_EINVAL;
    }
    if (n >= size) {
        sw_err_set(err, errlen,
                   "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT is too "
                   "long");
        return SW_EINVAL;
    }
    memcpy(buf, e, n);
    buf[n] = '\0';
    return 0;
}

static int
get_string(json_t *root, const char *key, const char **out, size_t *len,
           char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);

    if (!json_is_string(v) || json_string_length(v) == 0 ||
        sw_str_has_ctl(json_string_value(v), json_string_length(v))) {
        sw_err_set(err, errlen,
                   "imds: credentials document: '%s' missing or invalid", key);
        return SW_EPARSE;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int
sw_imds_parse(const char *json, size_t len, struct sw_creds *out, char *err,
              size_t errlen)
{
    time_t expiration = 0;
    json_error_t jerr;
    json_t *root;
    const char *code, *akid, *secret, *token, *exp;
    size_t code_len, akid_len, secret_len, token_len, exp_len;
    int r = SW_EPARSE;

    root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        /* jansson's text may quote the input: position only. */
        sw_err_set(err, errlen,
                   "imds: credentials document is not valid JSON (line %d, "
                   "column %d)",
                   jerr.line, jerr.column);
        return SW_EPARSE;
    }
    if (!json_is_object(root)) {
        sw_err_set(err, errlen, "imds: credentials document is not an object");
        goto out;
    }
    r = get_string(root, "Code", &code, &code_len, err, errlen);
    if (r < 0)
        goto out;
    if (strcmp(code, "Success")) {
        char shown[64];

        sw_strlcpy(shown, code, sizeof(shown));
        sw_err_set(err, errlen, "imds: credentials Code is '%s', not 'Success'",
                   shown);
        r = SW_EPARSE;
        goto out;
    }
    r = get_string(root, "AccessKeyId", &akid, &akid_len, err, errlen);
    if (r == 0)
        r = get_string(root, "SecretAccessKey", &secret, &secret_len, err,
                       errlen);
    if (r == 0)
        r = get_string(root, "Token", &token, &token_len, err, errlen);
    if (r == 0)
        r = get_string(root, "Expiration", &exp, &exp_len, err, errlen);
    if (r < 0)
        goto out;
    if (sw_time_parse_rfc3339(exp, &expiration) < 0) {
        sw_err_set(err, errlen,
                   "imds: credentials Expiration is not an RFC 3339 time");
        r = SW_EPARSE;
        goto out;
    }
    r = sw_creds_set(out, akid, akid_len, secret, secret_len, token, token_len,
                     expiration, "imds");
    if (r < 0)
        sw_err_set(err, errlen, "out of memory");
out:
    if (json_is_object(root)) {
        json_t *v = json_object_get(root, "SecretAccessKey");

        if (json_is_string(v))
            sw_memzero((char *)json_string_value(v), json_string_length(v));
        v = json_object_get(root, "Token");
        if (json_is_string(v))
            sw_memzero((char *)json_string_value(v), json_string_length(v));
    }
    json_decref(root);
    return r;
}

/* request - one IMDS request; RESP is reset first.  Transport failures
 * come back as they are (the caller words "not on EC2").  TOKEN may be
 * NULL (IMDSv1 fallback). */
static int
request(struct sw_http *h, const char *method, const char *url,
        const char *hname, const char *hvalue, struct sw_http_resp *resp)
{
    struct sw_http_header hdr = {hname, hvalue};
    struct sw_http_req req;

    /* A reply may hold the token or credentials: wipe before reuse. */
    sw_buf_wipe(&resp->body);
    sw_http_resp_release(resp);
    sw_http_resp_init(resp);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.headers = hname ? &hdr : NULL;
    req.nheaders = hname ? 1 : 0;
    req.timeout_ms = SW_IMDS_TIMEOUT_MS;
    return sw_http_send(h, &req, resp);
}

static int
role_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("_+=,.@-", c)))
            return 0;
    }
    return 1;
}

int
sw_imds_fetch(struct sw_creds *out, char *err, size_t errlen)
{
    struct sw_http_opts o;
    struct sw_http *h = NULL;
    struct sw_http_resp resp;
    struct sw_secret token = {NULL, 0};
    char base[512], url[768], role[65];
    const char *b, *hname = NULL;
    size_t n;
    int r;

    sw_http_resp_init(&resp);
    r = sw_imds_endpoint(base, sizeof(base), err, errlen);
    if (r < 0)
        goto out;
    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = SW_IMDS_TIMEOUT_MS;
    o.timeout_ms = SW_IMDS_TIMEOUT_MS;
    o.max_body = SW_IMDS_MAX_BODY;
    r = sw_http_new(&o, &h);
    if (r < 0) {
        sw_err_set(err, errlen, "imds: %s", sw_strerror(r));
        goto out;
    }

    (void)snprintf(url, sizeof(url), "%s" TOKEN_PATH, base);
    r = request(h, "PUT", url, "x-aws-ec2-metadata-token-ttl-seconds", "21600",
                &resp);
    if (r < 0) {
        sw_err_set(err, errlen, "imds: no reply from %s: %s", base,
                   resp.error[0] ? resp.error : sw_strerror(r));
        goto out;
    }
    if (resp.status == 200) {
        b = sw_buf_str(&resp.body);
        n = resp.body.len;
        while (n && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' '))
            n--;
        if (!n || sw_str_has_ctl(b, n)) {
            sw_err_set(err, errlen, "imds: empty or invalid session token");
            r = SW_EPARSE;
            goto out;
        }
        r = sw_secret_set(&token, b, n);
        if (r < 0) {
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
        hname = "x-aws-ec2-metadata-token";
    } else if ((resp.status == 403 || resp.status == 404 ||
                resp.status == 405) &&
               !env_true("AWS_EC2_METADATA_V1_DISABLED")) {
        /* botocore's fallback for hosts without IMDSv2. */
        sw_log_debug("imds: token request got HTTP %ld, trying IMDSv1",
                     resp.status);
    } else {
        sw_err_set(err, errlen, "imds: token request got HTTP %ld",
                   resp.status);
        r = SW_EAWS;
        goto out;
    }

    (void)snprintf(url, sizeof(url), "%s" CREDS_PATH, base);
    r = request(h, "GET", url, hname, token.s, &resp);
    if (r < 0) {
        sw_err_set(err, errlen, "imds: role list request failed: %s",
                   resp.error[0] ? resp.error : sw_strerror(r));
        goto out;
    }
    if (resp.status == 404) {
        sw_err_set(err, errlen, "imds: no IAM role attached to this instance");
        r = SW_ENOENT;
        goto out;
    }
    if (resp.status != 200) {
        sw_err_set(err, errlen, "imds: role list request got HTTP %ld",
                   resp.status);
        r = SW_EAWS;
        goto out;
    }
    /* The first line is the role (there is only ever one). */
    b = sw_buf_str(&resp.body);
    n = strcspn(b, "\r\n");
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t'))
        n--;
    if (n == 0) {
        sw_err_set(err, errlen, "imds: no IAM role attached to this instance");
        r = SW_ENOENT;
        goto out;
    }
    if (!role_name_ok(b, n)) {
        sw_err_set(err, errlen, "imds: invalid role name in metadata");
        r = SW_EPARSE;
        goto out;
    }
    memcpy(role, b, n);
    role[n] = '\0';

    r = snprintf(url, sizeof(url), "%s" CREDS_PATH "%s", base, role);
    if (r < 0 || (size_t)r >= sizeof(url)) {
        sw_err_set(err, errlen, "imds: URL too long");
        r = SW_EINVAL;
        goto out;
    }
    r = request(h, "GET", url, hname, token.s, &resp);
    if (r < 0) {
        sw_err_set(err, errlen,
                   "imds: credentials request for role '%s' "
                   "failed: %s",
                   role, resp.error[0] ? resp.error : sw_strerror(r));
        goto out;
    }
    if (resp.status != 200) {
        sw_err_set(err, errlen,
                   "imds: credentials request for role '%s' got HTTP %ld", role,
                   resp.status);
        r = resp.status == 404 ? SW_ENOENT : SW_EAWS;
        goto out;
    }
    r = sw_imds_parse(sw_buf_str(&resp.body), resp.body.len, out, err, errlen);
out:
    sw_buf_wipe(&resp.body);
    sw_http_resp_release(&resp);
    sw_secret_release(&token);
    sw_http_free(h);
    return r;
}
