/* aws/client.c - signed, retried AWS calls; see client.h. */
#include "config.h"

#include "aws/client.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws/credentials.h"
#include "aws/creds.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "aws/xml.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"

#define USER_AGENT      "streamwatch/" PACKAGE_VERSION
#define ERROR_PARSE_MAX (64 * 1024) /* bigger error bodies are not AWS's */
#define ERROR_SNIPPET   200         /* bytes of a foreign body we show */
#define SLEEP_SLICE_MS  100         /* cancel-flag poll period */
#define HOST_MAX        300

struct sw_aws {
    char region[SW_REGION_MAX + 1];
    const struct sw_partition *partition;
    char endpoint[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX];
    char path[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX + 1]; /* signed path */
    char url[SW_SVC_COUNT][SW_ENDPOINT_URL_MAX + 2];  /* request URL */
    char host[SW_SVC_COUNT][HOST_MAX];                /* Host header */
    struct sw_http *http;
    struct sw_creds_provider *creds;
    long clock_offset;    /* seconds to add to the wall clock */
    time_t (*wall)(void); /* NULL: time() */
    struct sw_retry_quota quota;
    int max_attempts;
    volatile sig_atomic_t *cancel; /* borrowed */
    volatile sig_atomic_t *yield;  /* borrowed: no new attempt while set */
    uint64_t rng;                  /* xorshift64* state for backoff jitter */
    double (*rand_fn)(void *);     /* tests: replaces rng */
    void *rand_arg;
};

/* ---- small helpers ---- */

static const char *
env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

static time_t
wall_now(const struct sw_aws *a)
{
    return a->wall ? a->wall() : time(NULL);
}

static time_t
signing_now(const struct sw_aws *a)
{
    return wall_now(a) + (time_t)a->clock_offset;
}

/* Copy at most N bytes of S into DST (DSTLEN > 0) for a log line or an
 * error field: control characters become spaces, runs of white space
 * collapse, ends are trimmed; with ASCII_ONLY bytes >= 0x80 become '?'.
 * A cut never splits a UTF-8 sequence. */
static void
clean_copy(char *dst, size_t dstlen, const char *s, size_t n, int ascii_only)
{
    size_t o = 0;
    int space = 0;

    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || c == ' ') {
            space = o > 0;
            continue;
        }
        if (c >= 0x80 && ascii_only)
            c = '?';
        if (space) {
            if (o + 2 >= dstlen) /* no room for the space and a byte */
                break;
            dst[o++] = ' ';
            space = 0;
        }
        if (o + 1 >= dstlen)
            break;
        dst[o++] = (char)c;
    }
    /* Back off a partial UTF-8 character left at the cut. */
    if (o > 0 && ((unsigned char)dst[o - 1] & 0x80)) {
        size_t k = o;
        while (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0xc0) {
            unsigned char lead = (unsigned char)dst[k - 1];
            size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (o - (k - 1) < want)
                o = k - 1;
        }
    }
    dst[o] = '\0';
}

/* An error code is an identifier: keep it printable ASCII without spaces
 * so it can be compared and logged safely. */
static void
code_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && s[i] && o + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[o] = '\0';
}

/* ---- error replies ---- */

static const char *
reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
    }
}

/* "aws.protocoltests#FooError:http://internal..." -> "FooError": the
 * Smithy awsJson rule, drop everything before the last '#' and after the
 * first ':' that follows. */
static void
json_type_code(char *dst, size_t dstlen, const char *type)
{
    const char *hash = strrchr(type, '#');
    const char *start = hash ? hash + 1 : type;
    const char *colon = strchr(start, ':');
    size_t n = colon ? (size_t)(colon - start) : strlen(start);

    code_copy(dst, dstlen, start, n);
}

static const char *
json_str(json_t *o, const char *k1, const char *k2)
{
    const char *v = json_string_value(json_object_get(o, k1));

    if (!v && k2)
        v = json_string_value(json_object_get(o, k2));
    return v;
}

static int
parse_json_error(const char *body, size_t len, struct sw_aws_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    const char *type, *msg;
    int found = 0;

    if (!root)
        return 0;
    if (json_is_object(root)) {
        type = json_str(root, "__type", NULL);
        if (type) {
            json_type_code(err->code, sizeof(err->code), type);
        } else {
            type = json_str(root, "code", "Code");
            if (type)
                code_copy(err->code, sizeof(err->code), type, strlen(type));
        }
        msg = json_str(root, "message", "Message");
        if (msg)
            clean_copy(err->message, sizeof(err->message), msg, strlen(msg), 0);
        found = err->code[0] != '\0';
    }
    json_decref(root);
    return found;
}

static void
xml_field(const struct sw_xml_node *n, const char *path, char *dst,
          size_t dstlen, int is_code)
{
    const char *t = sw_xml_text(n, path);

    if (!t)
        return;
    if (is_code)
        code_copy(dst, dstlen, t, strlen(t));
    else
        clean_copy(dst, dstlen, t, strlen(t), 0);
}

static int
parse_xml_error(const char *body, size_t len, struct sw_aws_error *err)
{
    struct sw_xml_node *root = NULL;
    const struct sw_xml_node *e = NULL;
    char xerr[128];

    if (sw_xml_parse(body, len, &root, xerr, sizeof(xerr)) < 0)
        return 0;
    /* The Query shape, the EC2-style shape botocore also accepts, and the
     * bare <Error> some front ends answer with. */
    if (strcmp(root->name, "ErrorResponse") == 0) {
        e = sw_xml_child(root, "Error");
        xml_field(root, "RequestId", err->request_id, sizeof(err->request_id),
                  1);
    } else if (strcmp(root->name, "Response") == 0) {
        e = sw_xml_path(root, "Errors/Error");
        xml_field(root, "RequestID", err->request_id, sizeof(err->request_id),
                  1);
        if (!err->request_id[0])
            xml_field(root, "RequestId", err->request_id,
                      sizeof(err->request_id), 1);
    } else if (strcmp(root->name, "Error") == 0) {
        e = root;
        xml_field(root, "RequestId", err->request_id, sizeof(err->request_id),
                  1);
    }
    if (e) {
        xml_field(e, "Code", err->code, sizeof(err->code), 1);
        xml_field(e, "Message", err->message, sizeof(err->message), 0);
    }
    sw_xml_free(root);
    if (!err->code[0]) {
        err->message[0] = '\0';
        err->request_id[0] = '\0';
        return 0;
    }
    return 1;
}

/* The first bytes of a body that is not an AWS error, readable in one log
 * line: markup dropped, anything but printable ASCII dropped. */
static void
foreign_message(char *dst, size_t dstlen, const char *body, size_t len)
{
    char tmp[ERROR_SNIPPET + 1];
    size_t n = len < ERROR_SNIPPET ? len : ERROR_SNIPPET, o = 0;
    int in_tag = 0;

    for (size_t i = 0; i < n; i++) {
        char c = body[i];
        if (c == '<') {
            in_tag = 1;
            tmp[o++] = ' ';
        } else if (c == '>' && in_tag) {
            in_tag = 0;
        } else if (!in_tag) {
            tmp[o++] = c == '\0' ? ' ' : c;
        }
    }
    tmp[o] = '\0';
    clean_copy(dst, dstlen, tmp, o, 1);
}

int
sw_aws_parse_error(enum sw_aws_proto proto, long status,
                   const char *query_error_header, const char *body, size_t len,
                   struct sw_aws_error *err)
{
    size_t skip = 0;
    int found = 0;

    if (!err)
        return SW_EINVAL;
    err->http_status = status;
    err->code[0] = '\0';
    err->message[0] = '\0';
    err->request_id[0] = '\0';
    if (!body)
        len = 0;
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
        skip = 3;
    while (skip < len && isspace((unsigned char)body[skip]))
        skip++;
    if (len - skip > 0 && len <= ERROR_PARSE_MAX) {
        if (body[skip] == '{')
            found = parse_json_error(body + skip, len - skip, err);
        else if (body[skip] == '<')
            found = parse_xml_error(body + skip, len - skip, err);
    }
    /* awsQueryCompatible services put the legacy Query code in this header
     * ("InvalidParameterValue;Sender"); botocore prefers it to __type. */
    if (proto != SW_PROTO_QUERY && query_error_header && *query_error_header &&
        *query_error_header != ';') {
        size_t n = strcspn(query_error_header, ";");
        code_copy(err->code, sizeof(err->code), query_error_header, n);
        found = 1;
    }
    if (found)
        return 0;
    snprintf(err->code, sizeof(err->code), "HTTP%ld", status);
    err->message[0] = '\0';
    err->request_id[0] = '\0';
    if (len - skip > 0)
        foreign_message(err->message, sizeof(err->message), body + skip,
                        len - skip);
    if (!err->message[0])
        sw_strlcpy(err->message,
                   reason_phrase(status) ? reason_phrase(status)
                                         : "empty reply",
                   sizeof(err->message));
    return SW_EPARSE;
}

/* ---- construction ---- */

static const char *
env_cb(const char *name, void *arg)
{
    (void)arg;
    return getenv(name);
}

static const char *
profile_cb(const char *service, const char *key, void *arg)
{
    const struct sw_profile *p = arg;

    if (!p)
        return NULL;
    return service ? sw_profile_service_get(p, service, key)
                   : sw_profile_get(p, key);
}

static void
seed_rng(struct sw_aws *a)
{
    uint64_t s = 0;

    /* Jitter only has to differ between agents started together, but
     * getrandom() is cheap and avoids any thought about it. */
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
        s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
            (uint64_t)(uintptr_t)a;
    a->rng = s ? s : 0x9e3779b97f4a7c15ull;
}

static double
rand01(struct sw_aws *a)
{
    uint64_t x = a->rng;

    if (a->rand_fn)
        return a->rand_fn(a->rand_arg);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    a->rng = x;
    return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

static sw_creds_assume_fn assume_role;

static int
setup_endpoint(struct sw_aws *a, enum sw_aws_service svc,
               const struct sw_endpoint_src *src, char *err, size_t errlen)
{
    struct sw_url_parts parts;
    char url[sizeof(a->url[0])];
    const char *origin = NULL;
    size_t pl;
    int r, n;

    r = sw_endpoint_resolve(svc, a->region, src, a->endpoint[svc],
                            sizeof(a->endpoint[svc]), &origin, err, errlen);
    if (r < 0)
        return r;
    r = sw_endpoint_split_url(a->endpoint[svc], &parts, NULL, 0);
    if (r == 0)
        r = sw_endpoint_host_header(&parts, a->host[svc], sizeof(a->host[svc]));
    if (r < 0) {
        sw_err_set(err, errlen, "%s: endpoint URL '%s' cannot be used", origin,
                   a->endpoint[svc]);
        return SW_EINVAL;
    }
    /* Every operation is "POST /" under the endpoint's own path. */
    pl = strlen(parts.path);
    n = snprintf(a->path[svc], sizeof(a->path[svc]), "%s%s", parts.path,
                 pl && parts.path[pl - 1] == '/' ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof(a->path[svc]))
        return SW_ETOOBIG;
    n = snprintf(url, sizeof(url), "%s%s", a->endpoint[svc],
                 pl && parts.path[pl - 1] == '/' ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof(url))
        return SW_ETOOBIG;
    memcpy(a->url[svc], url, (size_t)n + 1);
    sw_log_debug("aws: %s endpoint %s (from %s)", sw_endpoint_signing_name(svc),
                 a->endpoint[svc], origin);
    return 0;
}

int
sw_aws_new(const struct sw_aws_opts *o, struct sw_aws **out, char *err,
           size_t errlen)
{
    static const struct sw_aws_opts defaults;
    struct sw_aws *a = NULL;
    struct sw_profile *prof = NULL;
    struct sw_endpoint_src src;
    struct sw_http_opts ho;
    const char *region;
    char perr[256];
    int r = SW_ENOMEM;

    *out = NULL;
    sw_err_set(err, errlen, "%s", "");
    if (!o)
        o = &defaults;
    a = calloc(1, sizeof(*a));
    if (!a) {
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    perr[0] = '\0';
    r = sw_profile_load(o->profile, &prof, perr, sizeof(perr));
    if (r < 0) {
        sw_err_set(err, errlen, "%s", perr[0] ? perr : sw_strerror(r));
        r = r == SW_ENOMEM ? r : SW_EINVAL;
        goto out;
    }

    region = o->region && *o->region ? o->region : NULL;
    if (!region)
        region = env_nonempty("AWS_REGION");
    if (!region)
        region = env_nonempty("AWS_DEFAULT_REGION");
    if (!region && prof) {
        region = sw_profile_get(prof, "region");
        region = region && *region ? region : NULL;
    }
    if (!region) {
        sw_err_set(err, errlen,
                   "no AWS region: set aws.region, AWS_REGION or "
                   "region in the AWS profile");
        r = SW_EINVAL;
        goto out;
    }
    if (!sw_region_valid(region)) {
        char shown[SW_REGION_MAX + 1];
        clean_copy(shown, sizeof(shown), region, strlen(region), 1);
        sw_err_set(err, errlen, "invalid AWS region '%s'", shown);
        r = SW_EINVAL;
        goto out;
    }
    sw_strlcpy(a->region, region, sizeof(a->region));
    a->partition = sw_endpoint_partition(a->region);

    memset(&src, 0, sizeof(src));
    src.config_endpoint = o->endpoint;
    src.env = env_cb;
    src.profile = prof ? profile_cb : NULL;
    src.profile_arg = prof;
    for (int s = 0; s < SW_SVC_COUNT; s++) {
        r = setup_endpoint(a, (enum sw_aws_service)s, &src, err, errlen);
        if (r < 0) {
            r = SW_EINVAL;
            goto out;
        }
    }

    r = sw_retry_max_attempts(o->max_attempts, getenv("AWS_MAX_ATTEMPTS"),
                              &a->max_attempts);
    if (r < 0) {
        sw_err_set(err, errlen, "%s: max attempts must be 1 to %d",
                   o->max_attempts ? "aws" : "AWS_MAX_ATTEMPTS",
                   SW_RETRY_MAX_ATTEMPTS);
        r = SW_EINVAL;
        goto out;
    }
    sw_retry_quota_init(&a->quota);
    seed_rng(a);

    memset(&ho, 0, sizeof(ho));
    ho.connect_timeout_ms = o->connect_timeout_ms;
    ho.timeout_ms = o->request_timeout_ms;
    ho.ca_file = o->ca_file;
    r = sw_http_new(&ho, &a->http);
    if (r < 0) {
        sw_err_set(err, errlen,
                   r == SW_EINVAL ? "CA bundle cannot be read"
                                  : "cannot create HTTP handle");
        goto out;
    }
    r = sw_creds_provider_new(o->profile, assume_role, a, &a->creds);
    if (r < 0) {
        sw_err_set(err, errlen, "cannot create the credential chain: %s",
                   sw_strerror(r));
        goto out;
    }
    sw_log_debug("aws: region %s, partition %s, %d attempts per call",
                 a->region, a->partition->id, a->max_attempts);
    *out = a;
    a = NULL;
    r = 0;
out:
    sw_profile_free(prof);
    sw_aws_free(a);
    return r;
}

void
sw_aws_free(struct sw_aws *a)
{
    if (!a)
        return;
    /* The provider holds a pointer back to us (its AssumeRole callback):
     * it goes first. */
    sw_creds_provider_free(a->creds);
    sw_http_free(a->http);
    free(a);
}

const char *
sw_aws_region(const struct sw_aws *a)
{
    return a->region;
}

const char *
sw_aws_endpoint(const struct sw_aws *a, enum sw_aws_service svc)
{
    if ((int)svc < 0 || svc >= SW_SVC_COUNT)
        return NULL;
    return a->endpoint[svc];
}

const char *
sw_aws_partition(const struct sw_aws *a)
{
    return a->partition->id;
}

void
sw_aws_set_wall_clock(struct sw_aws *a, time_t (*fn)(void))
{
    a->wall = fn;
}

void
sw_aws_set_rand(struct sw_aws *a, double (*fn)(void *arg), void *arg)
{
    a->rand_fn = fn;
    a->rand_arg = arg;
}

long
sw_aws_clock_offset(const struct sw_aws *a)
{
    return a->clock_offset;
}

void
sw_aws_set_cancel_flag(struct sw_aws *a, volatile sig_atomic_t *flag)
{
    a->cancel = flag;
    sw_http_set_cancel_flag(a->http, flag);
    sw_creds_set_cancel_flag(a->creds, flag);
}

void
sw_aws_set_yield_flag(struct sw_aws *a, volatile sig_atomic_t *flag)
{
    a->yield = flag;
}

/* ---- one call ---- */

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

/* The headers of one signed request, in the order they are sent: what
 * send_once() hands to aws/http and sw_aws_prepare() to a caller's own
 * curl handle, so both send exactly the same signed set. */
struct signed_req {
    struct sw_http_header h[8];
    size_t n;
    struct sw_buf authz; /* the Authorization value */
    char amz[SW_TIME_BUF];
    char target[128];
};

static void
signed_req_release(struct signed_req *sr)
{
    sw_buf_wipe(&sr->authz);
}

/* Sign a POST of BODY to SVC at wall time T (already corrected) with CR.
 * SR's values point into SR, A and CR: valid while those are.  The
 * caller releases SR whatever this returns. */
static int
sign_request(struct sw_aws *a, const struct sw_creds *cr, time_t t,
             enum sw_aws_service svc, enum sw_aws_proto proto, const char *op,
             const char *body, size_t body_len, struct signed_req *sr)
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

/* Sign and send one request at wall time T (already corrected). */
static int
send_once(struct sw_aws *a, const struct sw_creds *cr, time_t t,
          enum sw_aws_service svc, enum sw_aws_proto proto, const char *op,
          const char *body, size_t body_len, struct sw_http_resp *resp)
{
    struct signed_req sr;
    struct sw_http_req req;
    int r;

    r = sign_request(a, cr, t, svc, proto, op, body, body_len, &sr);
    if (r < 0)
        goto out;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = a->url[svc];
    req.headers = sr.h;
    req.nheaders = sr.n;
    req.body = body;
    req.body_len = body_len;
    r = sw_http_send(a->http, &req, resp);
out:
    signed_req_release(&sr);
    return r;
}

/* After any reply: the JS SDK's rule.  If the server's Date is 5 minutes
 * or more away from our corrected clock, adopt the server's clock.
 * Returns 1 when the offset changed. */
static int
update_skew(struct sw_aws *a, const char *date)
{
    time_t server, now;
    long diff;

    if (!date || sw_time_parse_http(date, &server) < 0)
        return 0;
    now = wall_now(a);
    diff = (long)(server - (now + (time_t)a->clock_offset));
    if (diff > -SW_RETRY_SKEW_LIMIT_S && diff < SW_RETRY_SKEW_LIMIT_S)
        return 0;
    a->clock_offset = (long)(server - now);
    sw_log_warn("aws: local clock is %+ld s off the server's Date; signing "
                "with a corrected clock",
                -a->clock_offset);
    return 1;
}

/* What one attempt came to, for sw_aws_call() and sw_aws_observe() alike:
 * the skew check on the reply's Date, ERR's status, code and message
 * (TRANSPORT < 0: no usable reply, TRANSPORT_MSG says why), and the retry
 * class.  ERR->request_id is set only from an error body. */
static enum sw_retry_class
judge_reply(struct sw_aws *a, enum sw_aws_proto proto, int transport,
            const char *transport_msg, long status, const char *date,
            const char *query_error, const char *body, size_t len,
            struct sw_aws_error *err)
{
    struct sw_retry_outcome oc;
    int skew_seen = 0;

    if (status > 0)
        skew_seen = update_skew(a, date);
    err->http_status = status;
    err->code[0] = '\0';
    err->request_id[0] = '\0';
    err->message[0] = '\0';
    if (transport < 0) {
        clean_copy(err->message, sizeof(err->message),
                   transport_msg ? transport_msg : "", SIZE_MAX, 0);
        if (!err->message[0])
            sw_strlcpy(err->message, sw_strerror(transport),
                       sizeof(err->message));
    } else if (status < 200 || status >= 300) {
        (void)sw_aws_parse_error(proto, status, query_error, body, len, err);
    }
    memset(&oc, 0, sizeof(oc));
    oc.transport = transport < 0 ? transport : 0;
    oc.status = status;
    oc.code = err->code;
    oc.message = err->message;
    oc.skew_seen = skew_seen;
    return sw_retry_classify(&oc);
}

/* A stop cancels everything, the transfer in flight included; a yield
 * (the agent's reload) lets the transfer in flight finish but starts no
 * other attempt and no backoff sleep. */
static int
stopping(const struct sw_aws *a)
{
    return (a->cancel && *a->cancel) || (a->yield && *a->yield);
}

/* Sleep MS milliseconds in short slices, checking the cancel flag: the
 * agent blocks its signals outside ppoll, so a signal cannot be relied on
 * to interrupt nanosleep here.  Returns 0 or SW_ECANCELED. */
static int
backoff_sleep(struct sw_aws *a, long ms)
{
    sw_mono_ms deadline = sw_mono_now() + ms;

    for (;;) {
        sw_mono_ms left = deadline - sw_mono_now();
        struct timespec ts;

        if (left <= 0)
            break;
        if (stopping(a))
            return SW_ECANCELED;
        if (left > SLEEP_SLICE_MS)
            left = SLEEP_SLICE_MS;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        /* EINTR: the loop recomputes what is left. */
        (void)nanosleep(&ts, NULL);
    }
    return stopping(a) ? SW_ECANCELED : 0;
}

static int
call_checks(struct sw_aws *a, enum sw_aws_service svc, enum sw_aws_proto proto,
            const char *op, const char *body, size_t body_len,
            struct sw_aws_error *err)
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

static void
log_retry(const char *op, const struct sw_aws_error *e, const char *what, int n,
          int of, long delay_ms)
{
    if (e->code[0])
        sw_log_info("aws: %s: %s: %s; retry %d of %d in %.1f s", op, e->code,
                    e->message, n, of, (double)delay_ms / 1000.0);
    else
        sw_log_info("aws: %s: %s: %s; retry %d of %d in %.1f s", op, what,
                    e->message, n, of, (double)delay_ms / 1000.0);
}

static int
call(struct sw_aws *a, const struct sw_creds *fixed, enum sw_aws_service svc,
     enum sw_aws_proto proto, const char *op, const char *body, size_t body_len,
     struct sw_buf *reply, struct sw_aws_error *err)
{
    struct sw_http_resp resp;
    enum sw_retry_class cls;
    int r, sent = 0, extra = 0, skew_retried = 0, token_retried = 0;
    int last_cost = 0;

    memset(err, 0, sizeof(*err));
    sw_http_resp_init(&resp);
    r = call_checks(a, svc, proto, op, body, body_len, err);
    if (r < 0)
        goto out;
    for (;;) {
        const struct sw_creds *cr = fixed;
        const char *rid;
        char cerr[256];
        int attempt, transport;
        long delay;

        if (stopping(a)) {
            sw_strlcpy(err->message, "canceled", sizeof(err->message));
            r = SW_ECANCELED;
            goto out;
        }
        if (!cr) {
            cerr[0] = '\0';
            r = sw_creds_get(a->creds, signing_now(a), &cr, cerr, sizeof(cerr));
            if (r < 0) {
                sw_err_set(err->message, sizeof(err->message),
                           "no usable credentials: %s",
                           cerr[0] ? cerr : sw_strerror(r));
                goto out;
            }
        }
        if (!cr || !cr->akid || !cr->secret.s) {
            sw_strlcpy(err->message, "credentials without a key",
                       sizeof(err->message));
            r = SW_ECREDS;
            goto out;
        }
        transport = send_once(a, cr, signing_now(a), svc, proto, op, body,
                              body_len, &resp);
        if (transport < 0 && transport != SW_ETIMEDOUT &&
            transport != SW_EHTTP && transport != SW_ETOOBIG &&
            transport != SW_ECANCELED) {
            /* Nothing was sent: signing failed or the request was bad. */
            r = transport;
            if (!err->message[0])
                sw_err_set(err->message, sizeof(err->message),
                           "cannot build the request: %s", sw_strerror(r));
            goto out;
        }
        sent++;
        err->attempts = sent;
        attempt = sent - extra;
        cls = judge_reply(a, proto, transport, resp.error, resp.status,
                          sw_http_resp_header(&resp, "date"),
                          sw_http_resp_header(&resp, "x-amzn-query-error"),
                          resp.body.data, resp.body.len, err);
        rid = sw_http_resp_header(&resp, "x-amzn-requestid");
        if (!rid)
            rid = sw_http_resp_header(&resp, "x-amz-request-id");
        if (rid)
            code_copy(err->request_id, sizeof(err->request_id), rid,
                      strlen(rid));

        if (cls == SW_RETRY_SUCCESS) {
            sw_retry_quota_success(&a->quota, last_cost);
            if (reply) {
                sw_buf_reset(reply);
                r = sw_buf_add(reply, resp.body.data ? resp.body.data : "",
                               resp.body.len);
                if (r < 0) {
                    sw_err_set(err->message, sizeof(err->message),
                               "reply of %zu bytes over the caller's cap",
                               resp.body.len);
                    goto out;
                }
            }
            r = 0;
            goto out;
        }
        /* Clock skew and an expired token are fixed by us, not by waiting:
         * one immediate extra attempt each, outside the attempt budget. */
        if (cls == SW_RETRY_SKEW && !skew_retried) {
            skew_retried = 1;
            extra++;
            sw_log_info("aws: %s: %s: %s; clock offset %+ld s, retrying now",
                        op, err->code, err->message, a->clock_offset);
            continue;
        }
        if (cls == SW_RETRY_EXPIRED_TOKEN && !fixed && !token_retried) {
            token_retried = 1;
            extra++;
            sw_creds_invalidate(a->creds);
            sw_log_info("aws: %s: %s: %s; refreshing credentials, retrying "
                        "now",
                        op, err->code, err->message);
            continue;
        }
        if ((cls == SW_RETRY_THROTTLE || cls == SW_RETRY_TRANSIENT) &&
            attempt < a->max_attempts) {
            int cost;

            cost = sw_retry_quota_acquire(&a->quota, transport == SW_ETIMEDOUT);
            if (cost > 0) {
                last_cost = cost;
                delay = sw_retry_backoff_ms(attempt, rand01(a));
                log_retry(op, err, sw_strerror(transport), attempt,
                          a->max_attempts - 1, delay);
                r = backoff_sleep(a, delay);
                if (r < 0)
                    goto out;
                continue;
            }
            sw_log_info("aws: %s: retry quota exhausted, not retrying", op);
        }
        /* Final. */
        if (transport < 0)
            r = transport;
        else if (cls == SW_RETRY_THROTTLE)
            r = SW_ETHROTTLED;
        else if (sw_retry_is_auth_code(err->code) || resp.status == 401)
            r = SW_EAUTH;
        else
            r = SW_EAWS;
        goto out;
    }
out:
    sw_http_resp_release(&resp);
    return r;
}

int
sw_aws_call(struct sw_aws *a, enum sw_aws_service svc, enum sw_aws_proto proto,
            const char *op, const char *body, size_t body_len,
            struct sw_buf *reply, struct sw_aws_error *err)
{
    return call(a, NULL, svc, proto, op, body, body_len, reply, err);
}

int
sw_aws_call_with_creds(struct sw_aws *a, const struct sw_creds *creds,
                       enum sw_aws_service svc, enum sw_aws_proto proto,
                       const char *op, const char *body, size_t body_len,
                       struct sw_buf *reply, struct sw_aws_error *err)
{
    if (!creds) {
        memset(err, 0, sizeof(*err));
        sw_strlcpy(err->message, "no credentials given", sizeof(err->message));
        return SW_ECREDS;
    }
    return call(a, creds, svc, proto, op, body, body_len, reply, err);
}

/* ---- AssumeRole for the credential chain ---- */

/* sts_send - aws/sts's transport: the AssumeRole form signed with the
 * source profile's keys, through this client's retries, never through
 * the chain being resolved. */
static int
sts_send(void *arg, const struct sw_creds *source, const char *body, size_t len,
         struct sw_buf *reply, char *err, size_t errlen)
{
    struct sw_aws_error e;
    int r;

    r = call(arg, source, SW_SVC_STS, SW_PROTO_QUERY, "AssumeRole", body, len,
             reply, &e);
    if (r < 0 && e.code[0])
        sw_err_set(err, errlen, "%s%s%s", e.code, e.message[0] ? ": " : "",
                   e.message);
    else if (r < 0)
        sw_err_set(err, errlen, "%s", e.message);
    return r;
}

/* assume_role - the chain's sw_creds_assume_fn (ARG: this client).  The
 * chain runs inside call() or sw_aws_prepare() before a request is signed,
 * when the HTTP handle is idle, so the STS request can use it. */
static int
assume_role(void *arg, const struct sw_creds *source,
            const struct sw_creds_role *role, struct sw_creds *out, char *err,
            size_t errlen)
{
    return sw_sts_assume_role(sts_send, arg, source, role, out, err, errlen);
}

/* ---- signing for a caller's own transfer ---- */

int
sw_aws_prepare(struct sw_aws *a, enum sw_aws_service svc,
               enum sw_aws_proto proto, const char *op, const char *body,
               size_t len, char **url, struct curl_slist **headers, char *err,
               size_t errlen)
{
    struct sw_aws_error e;
    struct signed_req sr;
    struct curl_slist *l = NULL, *t;
    struct sw_buf line;
    const struct sw_creds *cr = NULL;
    char *u = NULL, cerr[256];
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
    r = call_checks(a, svc, proto, op, body, len, &e);
    if (r < 0) {
        sw_err_set(err, errlen, "%s", e.message);
        goto out;
    }
    if (a->cancel && *a->cancel) {
        r = SW_ECANCELED;
        sw_err_set(err, errlen, "canceled");
        goto out;
    }
    cerr[0] = '\0';
    r = sw_creds_get(a->creds, signing_now(a), &cr, cerr, sizeof(cerr));
    if (r < 0) {
        sw_err_set(err, errlen, "no usable credentials: %s",
                   cerr[0] ? cerr : sw_strerror(r));
        goto out;
    }
    if (!cr || !cr->akid || !cr->secret.s) {
        r = SW_ECREDS;
        sw_err_set(err, errlen, "credentials without a key");
        goto out;
    }
    r = sign_request(a, cr, signing_now(a), svc, proto, op, body, len, &sr);
    if (r < 0) {
        sw_err_set(err, errlen, "cannot sign the request: %s", sw_strerror(r));
        goto out;
    }
    for (size_t i = 0; i < sr.n; i++) {
        sw_buf_wipe(&line);
        r = sw_buf_addf(&line, "%s: %s", sr.h[i].name, sr.h[i].value);
        if (r < 0)
            goto nomem;
        t = curl_slist_append(l, sw_buf_str(&line));
        if (!t)
            goto nomem;
        l = t;
    }
    /* As aws/http does: no "Expect: 100-continue" round trip on a larger
     * body (it is not signed either). */
    t = curl_slist_append(l, "Expect:");
    if (!t)
        goto nomem;
    l = t;
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
    sw_aws_headers_free(l);
    sw_buf_wipe(&line);
    signed_req_release(&sr);
    return r;
}

void
sw_aws_headers_free(struct curl_slist *headers)
{
    for (struct curl_slist *p = headers; p; p = p->next)
        if (p->data)
            sw_memzero(p->data, strlen(p->data));
    curl_slist_free_all(headers);
}

int
sw_aws_observe(struct sw_aws *a, long status, const char *date_header,
               const char *body, size_t len, enum sw_aws_proto proto,
               struct sw_aws_error *err)
{
    enum sw_retry_class cls;

    if (!a || !err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    err->attempts = 1;
    if (len > 0 && !body)
        len = 0;
    cls = judge_reply(a, proto, status > 0 ? 0 : SW_EHTTP, "no HTTP reply",
                      status, date_header, NULL, body, len, err);
    /* Nothing retries at once here (the caller's outbox waits), so the
     * next attempt must start from fresh credentials: after an expired
     * token, and after a refused identity (a rotated key, a restarted
     * credential_process) as well. */
    if (cls == SW_RETRY_EXPIRED_TOKEN || sw_retry_is_auth_code(err->code))
        sw_creds_invalidate(a->creds);
    return (int)cls;
}
