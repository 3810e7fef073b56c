/* aws/client_sign.c - one signed AWS request; see client_priv.h.
 *
 * What a request needs before it is sent, for the client's own call loop
 * and for sw_aws_prepare() (client.h), which hands the same signed request
 * to a caller's curl handle: the checks every call passes, the credentials
 * to sign with, and the header set SigV4 signs (aws/sigv4), in the order
 * it is sent.  No network here; the credential chain may use it (a role
 * profile's AssumeRole).  Part of the client (aws/client_priv.h says what
 * the other parts do).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/client_priv.h"
#include "aws/credentials.h"
#include "aws/creds.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"

#define USER_AGENT "streamwatch/" PACKAGE_VERSION

time_t
sw_aws_wall_now(const struct sw_aws *a)
{
    return a->wall ? a->wall() : time(NULL);
}

time_t
sw_aws_signing_now(const struct sw_aws *a)
{
    return sw_aws_wall_now(a) + (time_t)a->clock_offset;
}

static const char *
target_prefix(enum sw_aws_service svc)
{
    switch (svc) {
    case SW_SVC_MONITORING: return "GraniteServiceVersion20100801";
    case SW_SVC_KINESIS: return "Kinesis_20131202";
    default: return NULL;
    }
}

static int
op_valid(const char *op)
{
    size_t n = 0;

    if (!op)
        return 0;
    for (; op[n]; n++)
        if (!isalnum((unsigned char)op[n]))
            return 0;
    return n > 0 && n <= 64;
}

void
sw_aws_signed_release(struct sw_aws_signed *sr)
{
    sw_buf_wipe(&sr->authz);
}

int
sw_aws_sign(struct sw_aws *a, const struct sw_creds *cr, time_t t,
            enum sw_aws_service svc, enum sw_aws_proto proto, const char *op,
            const char *body, size_t body_len, struct sw_aws_signed *sr)
{
    struct sw_sigv4_header sh[6];
    struct sw_sigv4_req sreq;
    struct sw_sigv4_key key;
    size_t ns = 0;
    int r, n;

    sr->n = 0;
    sw_buf_init(&sr->authz, 4096);
    sw_time_amz(t, sr->amz);
    sh[ns++] = (struct sw_sigv4_header){"Host", a->host[svc]};
    sh[ns++] = (struct sw_sigv4_header){"X-Amz-Date", sr->amz};
    if (proto == SW_PROTO_QUERY) {
        sh[ns++] = (struct sw_sigv4_header){
            "Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
    } else {
        n = snprintf(sr->target, sizeof(sr->target), "%s.%s",
                     target_prefix(svc), op);
        if (n < 0 || (size_t)n >= sizeof(sr->target))
            return SW_EINVAL;
        sh[ns++] = (struct sw_sigv4_header){"Content-Type",
                                            proto == SW_PROTO_JSON10
                                                ? "application/x-amz-json-1.0"
                                                : "application/x-amz-json-1.1"};
        sh[ns++] = (struct sw_sigv4_header){"X-Amz-Target", sr->target};
        /* CloudWatch is awsQueryCompatible: the SDKs announce it, and the
         * reply then carries the Query error code in x-amzn-query-error. */
        if (svc == SW_SVC_MONITORING)
            sh[ns++] = (struct sw_sigv4_header){"x-amzn-query-mode", "true"};
    }
    /* Signed, as botocore does for every service. */
    if (cr->token.s && *cr->token.s)
        sh[ns++] =
            (struct sw_sigv4_header){"X-Amz-Security-Token", cr->token.s};

    memset(&sreq, 0, sizeof(sreq));
    sreq.method = "POST";
    sreq.path = a->path[svc];
    sreq.query = NULL;
    sreq.headers = sh;
    sreq.nheaders = ns;
    sreq.body = body;
    sreq.body_len = body_len;
    sreq.normalize_path = 1;
    key.akid = cr->akid;
    key.secret = cr->secret.s;
    /* Always the configured region and the signing name, whatever the
     * host. */
    key.region = a->region;
    key.service = sw_endpoint_signing_name(svc);
    r = sw_sigv4_sign(&sreq, &key, t, &sr->authz, NULL, NULL);
    if (r < 0)
        return r;

    for (size_t i = 0; i < ns; i++)
        sr->h[sr->n++] = (struct sw_http_header){sh[i].name, sh[i].value};
    sr->h[sr->n++] =
        (struct sw_http_header){"Authorization", sw_buf_str(&sr->authz)};
    sr->h[sr->n++] = (struct sw_http_header){"User-Agent", USER_AGENT};
    return 0;
}

int
sw_aws_call_checks(struct sw_aws *a, enum sw_aws_service svc,
                   enum sw_aws_proto proto, const char *op, const char *body,
                   size_t body_len, struct sw_aws_error *err)
{
    if (!a || (int)svc < 0 || svc >= SW_SVC_COUNT || !op_valid(op) ||
        (body_len > 0 && !body)) {
        sw_strlcpy(err->message, "invalid call", sizeof(err->message));
        return SW_EINVAL;
    }
    if (proto == SW_PROTO_QUERY ? svc == SW_SVC_KINESIS
                                : target_prefix(svc) == NULL) {
        snprintf(err->message, sizeof(err->message),
                 "%s does not speak that protocol",
                 sw_endpoint_signing_name(svc));
        return SW_EINVAL;
    }
    return 0;
}

int
sw_aws_signing_creds(struct sw_aws *a, const struct sw_creds *fixed,
                     const struct sw_creds **cr, char *msg, size_t msglen)
{
    char cerr[256];
    int r;

    *cr = fixed;
    if (!fixed) {
        cerr[0] = '\0';
        r = sw_creds_get(a->creds, sw_aws_signing_now(a), cr, cerr,
                         sizeof(cerr));
        if (r < 0) {
            sw_err_set(msg, msglen, "no usable credentials: %s",
                       cerr[0] ? cerr : sw_strerror(r));
            return r;
        }
    }
    if (!*cr || !(*cr)->akid || !(*cr)->secret.s) {
        sw_err_set(msg, msglen, "credentials without a key");
        return SW_ECREDS;
    }
    return 0;
}

int
sw_aws_prepare(struct sw_aws *a, enum sw_aws_service svc,
               enum sw_aws_proto proto, const char *op, const char *body,
               size_t len, char **url, struct curl_slist **headers, char *err,
               size_t errlen)
{
    struct sw_aws_error e;
    struct sw_aws_signed sr;
    struct curl_slist *l = NULL;
    struct sw_buf line;
    const struct sw_creds *cr = NULL;
    char *u = NULL;
    int r;

    if (url)
        *url = NULL;
    if (headers)
        *headers = NULL;
    sw_err_set(err, errlen, "%s", "");
    sr.n = 0;
    sw_buf_init(&sr.authz, 4096);
    /* Header lines hold the session token: wiped below. */
    sw_buf_init(&line, 16384);
    memset(&e, 0, sizeof(e));
    if (!url || !headers) {
        r = SW_EINVAL;
        sw_err_set(err, errlen, "invalid call");
        goto out;
    }
    r = sw_aws_call_checks(a, svc, proto, op, body, len, &e);
    if (r < 0) {
        sw_err_set(err, errlen, "%s", e.message);
        goto out;
    }
    if (a->cancel && *a->cancel) {
        r = SW_ECANCELED;
        sw_err_set(err, errlen, "canceled");
        goto out;
    }
    r = sw_aws_signing_creds(a, NULL, &cr, err, errlen);
    if (r < 0)
        goto out;
    r = sw_aws_sign(a, cr, sw_aws_signing_now(a), svc, proto, op, body, len,
                    &sr);
    if (r < 0) {
        sw_err_set(err, errlen, "cannot sign the request: %s", sw_strerror(r));
        goto out;
    }
    for (size_t i = 0; i < sr.n && r == 0; i++)
        r = sw_http_header_add(&l, &line, sr.h[i].name, sr.h[i].value);
    /* As aws/http does: no "Expect: 100-continue" round trip on a larger
     * body (it is not signed either). */
    if (r == 0)
        r = sw_http_header_remove(&l, "Expect");
    if (r < 0)
        goto nomem;
    u = sw_strdup(a->url[svc]);
    if (!u)
        goto nomem;
    *url = u;
    *headers = l;
    l = NULL;
    r = 0;
    goto out;
nomem:
    r = SW_ENOMEM;
    sw_err_set(err, errlen, "out of memory");
out:
    sw_http_headers_free(l);
    sw_buf_wipe(&line);
    sw_aws_signed_release(&sr);
    return r;
}

void
sw_aws_headers_free(struct curl_slist *headers)
{
    sw_http_headers_free(headers);
}
