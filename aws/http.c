/* aws/http.c - HTTP requests on one libcurl easy handle; see http.h. */
#include "config.h"

#include "aws/http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS         30000L
#define MAX_HEADER_BYTES           8192  /* one response header line */
#define MAX_REQ_HEADER_BYTES       16384 /* one request header line */

/* State the callbacks of one transfer share. */
struct xfer {
    struct sw_http *h;
    struct sw_http_resp *resp;
    size_t max_body; /* this request's cap */
    void (*on_send)(void *arg);
    void *on_send_arg;
    int failed;     /* SW_ETOOBIG/SW_ENOMEM from a callback */
    size_t dropped; /* response headers over our limits */
};

struct sw_http {
    CURL *curl;
    long connect_timeout_ms;
    long timeout_ms;
    char *ca_file; /* NULL: curl's default store */
    size_t max_body;
    volatile sig_atomic_t *cancel; /* borrowed; may be NULL */
    char errbuf[CURL_ERROR_SIZE];
    /* The transfer between sw_http_start() and sw_http_finish(). */
    struct xfer x;
    struct curl_slist *hl; /* its header lines (secrets: wiped) */
    sw_mono_ms t0;
};

void
sw_http_resp_init(struct sw_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    sw_buf_init(&r->body, SW_HTTP_MAX_BODY);
}

static void
free_headers(struct sw_http_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->hname[i]);
        free(r->hvalue[i]);
        r->hname[i] = NULL;
        r->hvalue[i] = NULL;
    }
    r->nheaders = 0;
}

void
sw_http_resp_release(struct sw_http_resp *r)
{
    if (!r)
        return;
    free_headers(r);
    sw_buf_release(&r->body);
    r->status = 0;
    r->error[0] = '\0';
}

const char *
sw_http_resp_header(const struct sw_http_resp *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hvalue[i];
    return NULL;
}

/* ---- callbacks ---- */

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    int r;

    if (n > x->max_body || x->resp->body.len > x->max_body - n) {
        x->failed = SW_ETOOBIG;
        return 0; /* anything but n makes curl abort the transfer */
    }
    r = sw_buf_add(&x->resp->body, data, n);
    if (r < 0) {
        x->failed = r;
        return 0;
    }
    return n;
}

static int
token_char(char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
    struct xfer *x = arg;
    struct sw_http_resp *resp = x->resp;
    size_t n = size * nitems, nlen, vstart, vend;
    char *name, *value;

    /* A new status line starts a new header block: after "100 Continue"
     * (or a proxy's CONNECT reply) only the final response's headers
     * count. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        free_headers(resp);
        return n;
    }
    if (n > MAX_HEADER_BYTES || resp->nheaders >= SW_HTTP_MAX_HEADERS) {
        x->dropped++;
        return n;
    }
    /* Obsolete line folding and the blank end-of-headers line carry
     * nothing we use. */
    if (n == 0 || data[0] == ' ' || data[0] == '\t' || data[0] == '\r' ||
        data[0] == '\n')
        return n;
    for (nlen = 0; nlen < n && data[nlen] != ':'; nlen++)
        if (!token_char(data[nlen]))
            break;
    if (nlen == 0 || nlen >= n || data[nlen] != ':') {
        x->dropped++;
        return n;
    }
    vstart = nlen + 1;
    vend = n;
    while (vstart < vend && isspace((unsigned char)data[vstart]))
        vstart++;
    while (vend > vstart && isspace((unsigned char)data[vend - 1]))
        vend--;
    name = sw_strndup(data, nlen);
    value = sw_strndup(data + vstart, vend - vstart);
    if (!name || !value) {
        free(name);
        free(value);
        x->failed = SW_ENOMEM;
        return 0;
    }
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    resp->hname[resp->nheaders] = name;
    resp->hvalue[resp->nheaders] = value;
    resp->nheaders++;
    return n;
}

static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    struct xfer *x = arg;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return x->h->cancel && *x->h->cancel ? 1 : 0;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* After the connect and TLS, before the request is sent. */
static int
prereq_cb(void *arg, char *primary_ip, char *local_ip, int primary_port,
          int local_port)
{
    struct xfer *x = arg;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (x->on_send)
        x->on_send(x->on_send_arg);
    return CURL_PREREQFUNC_OK;
}
#endif

/* ---- handle ---- */

int
sw_http_new(const struct sw_http_opts *o, struct sw_http **out)
{
    struct sw_http *h = NULL;
    const char *ca = NULL;
    CURLcode c = CURLE_OK;
    int r = SW_ENOMEM;

    *out = NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        goto out;
    h->connect_timeout_ms = o && o->connect_timeout_ms > 0
                                ? o->connect_timeout_ms
                                : DEFAULT_CONNECT_TIMEOUT_MS;
    h->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    h->max_body = o && o->max_body > 0 ? o->max_body : SW_HTTP_MAX_BODY;
    ca = getenv("AWS_CA_BUNDLE");
    if (o && o->ca_file && *o->ca_file)
        ca = o->ca_file;
    else if (ca && !*ca)
        ca = NULL;
    if (ca) {
        /* Fail now with a clear reason rather than with a TLS error on
         * every request. */
        FILE *f = fopen(ca, "r");
        if (!f) {
            sw_log_errno("http: cannot read CA bundle '%s'", ca);
            r = SW_EINVAL;
            goto out;
        }
        fclose(f);
        h->ca_file = sw_strdup(ca);
        if (!h->ca_file)
            goto out;
    }
    h->curl = curl_easy_init();
    if (!h->curl)
        goto out;
    /* Set once: everything that never changes between requests.  These
     * are the safety rules of http.h; a failure to set one is fatal. */
    c |= curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    c |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    c |= curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    c |= curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    c |= curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    c |= curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS,
                          (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    c |= curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS,
                          (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (h->ca_file)
        c |= curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca_file);
    c |= curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
    c |= curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, write_cb);
    c |= curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb);
    c |= curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
#if LIBCURL_VERSION_NUM >= 0x075000
    c |= curl_easy_setopt(h->curl, CURLOPT_PREREQFUNCTION, prereq_cb);
    c |= curl_easy_setopt(h->curl, CURLOPT_PREREQDATA, &h->x);
#endif
    c |= curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
                          h->connect_timeout_ms);
    if (c != CURLE_OK) {
        sw_log_err("http: libcurl refused a required option");
        r = SW_EINTERNAL;
        goto out;
    }
    *out = h;
    h = NULL;
    r = 0;
out:
    sw_http_free(h);
    return r;
}

void
sw_http_free(struct sw_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    sw_http_headers_free(h->hl);
    free(h->ca_file);
    free(h);
}

void
sw_http_set_cancel_flag(struct sw_http *h, volatile sig_atomic_t *flag)
{
    h->cancel = flag;
}

/* ---- one request ---- */

static int
method_ok(const char *m)
{
    if (!m || !*m)
        return 0;
    for (; *m; m++)
        if (!isupper((unsigned char)*m))
            return 0;
    return 1;
}

static int
header_ok(const struct sw_http_header *hd)
{
    if (!hd->name || !*hd->name || !hd->value)
        return 0;
    for (const char *p = hd->name; *p; p++)
        if (!token_char(*p))
            return 0;
    /* CR or LF in a value would let it start a header of its own. */
    return !strpbrk(hd->value, "\r\n");
}

static int
redacted(const char *name)
{
    return strcasecmp(name, "authorization") == 0 ||
           strcasecmp(name, "x-amz-security-token") == 0 ||
           strcasecmp(name, "x-aws-ec2-metadata-token") == 0;
}

static void
log_request(const struct sw_http_req *req)
{
    sw_log_debug("http: > %s %s (%zu bytes)", req->method, req->url,
                 req->body_len);
    for (size_t i = 0; i < req->nheaders; i++)
        sw_log_debug("http: > %s: %s", req->headers[i].name,
                     redacted(req->headers[i].name) ? "[redacted]"
                                                    : req->headers[i].value);
}

static int
has_header(const struct sw_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return 1;
    return 0;
}

int
sw_http_header_add(struct curl_slist **list, struct sw_buf *line,
                   const char *name, const char *value)
{
    struct curl_slist *t;
    int r;

    sw_buf_reset(line);
    if (*value)
        r = sw_buf_addf(line, "%s: %s", name, value);
    else
        r = sw_buf_addf(line, "%s;", name);
    if (r < 0)
        return r;
    t = curl_slist_append(*list, sw_buf_str(line));
    if (!t)
        return SW_ENOMEM;
    *list = t;
    return 0;
}

int
sw_http_header_remove(struct curl_slist **list, const char *name)
{
    struct curl_slist *t;
    char line[64];
    int n = snprintf(line, sizeof(line), "%s:", name);

    if (n < 0 || (size_t)n >= sizeof(line))
        return SW_EINVAL;
    t = curl_slist_append(*list, line);
    if (!t)
        return SW_ENOMEM;
    *list = t;
    return 0;
}

void
sw_http_headers_free(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p; p = p->next)
        if (p->data)
            sw_memzero(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

/* The curl header list for REQ. */
static int
build_headers(const struct sw_http_req *req, int with_body,
              struct curl_slist **list)
{
    struct sw_buf line;
    struct curl_slist *l = NULL;
    int r = 0;

    sw_buf_init(&line, MAX_REQ_HEADER_BYTES);
    for (size_t i = 0; i < req->nheaders && r == 0; i++)
        r = sw_http_header_add(&l, &line, req->headers[i].name,
                               req->headers[i].value);
    /* "Expect: 100-continue" costs a round trip on larger bodies and is
     * not signed; curl's default form Content-Type would be sent unsigned
     * on a body the caller did not describe. */
    if (r == 0 && !has_header(req, "Expect"))
        r = sw_http_header_remove(&l, "Expect");
    if (r == 0 && with_body && !has_header(req, "Content-Type"))
        r = sw_http_header_remove(&l, "Content-Type");
    /* The lines held the signature and the session token. */
    sw_buf_wipe(&line);
    if (r < 0) {
        sw_http_headers_free(l);
        l = NULL;
    }
    *list = l;
    return r;
}

static void resp_error(struct sw_http_resp *resp, const char *fmt, ...)
    SW_PRINTF(2, 3);

/* Error texts are informational: a truncated one is accepted. */
static void
resp_error(struct sw_http_resp *resp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(resp->error, sizeof(resp->error), fmt, ap);
    va_end(ap);
}

/* curl's phrase for RES plus the error buffer's details, without saying
 * the same thing twice (the buffer often repeats the phrase). */
static void
curl_error(const struct sw_http *h, CURLcode res, struct sw_http_resp *resp)
{
    const char *phrase = curl_easy_strerror(res);

    /* libcurl 7.x fails a reply header line or block over its own limits
     * (CURL_MAX_HTTP_HEADER, 100 KiB) with a bare CURLE_OUT_OF_MEMORY:
     * say so, or a hostile header reads as a sick host. */
    if (!h->errbuf[0] && res == CURLE_OUT_OF_MEMORY)
        resp_error(resp, "%s (or reply headers over libcurl's limit)", phrase);
    else if (!h->errbuf[0])
        resp_error(resp, "%s", phrase);
    else if (strstr(h->errbuf, phrase))
        resp_error(resp, "%s", h->errbuf);
    else
        resp_error(resp, "%s: %s", phrase, h->errbuf);
}

static void
resp_reset(struct sw_http_resp *resp, size_t max_body)
{
    free_headers(resp);
    sw_buf_reset(&resp->body);
    resp->body.cap = max_body;
    resp->status = 0;
    resp->error[0] = '\0';
}

void *
sw_http_curl(struct sw_http *h)
{
    return h->curl;
}

int
sw_http_start(struct sw_http *h, const struct sw_http_req *req,
              struct sw_http_resp *resp)
{
    struct xfer *x = &h->x;
    CURLcode c = CURLE_OK;
    int with_body, r = SW_EINTERNAL;

    /* A transfer never finished (a caller's bug) must not leak its
     * lines, which hold a signature and maybe a session token. */
    sw_http_headers_free(h->hl);
    h->hl = NULL;
    memset(x, 0, sizeof(*x));
    x->h = h;
    x->resp = resp;
    x->max_body = req->max_body > 0 ? req->max_body : h->max_body;
    x->on_send = req->on_send;
    x->on_send_arg = req->on_send_arg;
    resp_reset(resp, x->max_body);
    if (!method_ok(req->method) || !req->url || !*req->url ||
        (req->body_len > 0 && !req->body)) {
        resp_error(resp, "invalid request");
        r = SW_EINVAL;
        goto out;
    }
    if (strpbrk(req->url, "\r\n ") ||
        sw_str_has_ctl(req->url, strlen(req->url))) {
        resp_error(resp, "URL holds a space or control character");
        r = SW_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!header_ok(&req->headers[i])) {
            resp_error(resp, "header %zu: bad name or CR/LF in value", i + 1);
            r = SW_EINVAL;
            goto out;
        }
    }
    with_body = req->body_len > 0 || strcmp(req->method, "POST") == 0 ||
                strcmp(req->method, "PUT") == 0;
    r = build_headers(req, with_body, &h->hl);
    if (r < 0)
        goto out;

    h->errbuf[0] = '\0';
    /* Options that depend on the request are all set every time, so no
     * curl_easy_reset() is needed and the connection cache survives. */
    c |= curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
    c |= curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->hl);
    c |=
        curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS,
                         req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms);
    c |= curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, x);
    c |= curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, x);
    c |= curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, x);
    c |= curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, h->cancel ? 0L : 1L);
    c |= curl_easy_setopt(h->curl, CURLOPT_NOBODY, 0L);
    if (with_body) {
        c |= curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
        c |= curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS,
                              req->body ? req->body : "");
        c |= curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)req->body_len);
        c |= curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
                              strcmp(req->method, "POST") ? req->method : NULL);
    } else {
        c |= curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
        c |= curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
                              strcmp(req->method, "GET") ? req->method : NULL);
    }
    if (c != CURLE_OK) {
        resp_error(resp, "libcurl refused an option");
        r = SW_EINTERNAL;
        goto out;
    }
    if (sw_log_get_level() >= SW_LOG_DEBUG)
        log_request(req);
    h->t0 = sw_mono_now();
#if LIBCURL_VERSION_NUM < 0x075000
    if (x->on_send)
        x->on_send(x->on_send_arg);
#endif
    r = 0;
out:
    if (r < 0) {
        (void)curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
        sw_http_headers_free(h->hl);
        h->hl = NULL;
    }
    return r;
}

int
sw_http_finish(struct sw_http *h, int curl_result, struct sw_http_resp *resp)
{
    CURLcode res = (CURLcode)curl_result;
    struct xfer *x = &h->x;
    long status = 0;
    int r;

    if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
        resp->status = status;
    /* The list is freed below; do not leave curl pointing at it. */
    (void)curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);

    if (res == CURLE_OK) {
        r = 0;
    } else if (x->failed == SW_ETOOBIG) {
        resp_error(resp, "reply larger than %zu bytes", x->max_body);
        r = SW_ETOOBIG;
    } else if (x->failed < 0) {
        resp_error(resp, "%s", sw_strerror(x->failed));
        r = x->failed;
    } else if (res == CURLE_ABORTED_BY_CALLBACK) {
        resp_error(resp, "canceled");
        r = SW_ECANCELED;
    } else if (res == CURLE_PARTIAL_FILE) {
        resp_error(resp, "reply truncated: %s",
                   h->errbuf[0] ? h->errbuf : curl_easy_strerror(res));
        r = SW_EHTTP;
    } else {
        curl_error(h, res, resp);
        r = res == CURLE_OPERATION_TIMEDOUT ? SW_ETIMEDOUT : SW_EHTTP;
    }
    if (sw_log_get_level() >= SW_LOG_DEBUG) {
        /* Status and size only: bodies may hold credentials (STS, IMDS,
         * credential replies) and are never logged. */
        if (r == 0)
            sw_log_debug("http: < %ld (%zu bytes, %lld ms)", resp->status,
                         resp->body.len, (long long)(sw_mono_now() - h->t0));
        else
            sw_log_debug("http: < failed after %lld ms: %s",
                         (long long)(sw_mono_now() - h->t0), resp->error);
        if (x->dropped)
            sw_log_debug("http: < %zu response header(s) dropped", x->dropped);
    }
    /* Wiped: Authorization, X-Amz-Security-Token. */
    sw_http_headers_free(h->hl);
    h->hl = NULL;
    return r;
}

int
sw_http_perform(struct sw_http *h, struct sw_http_resp *resp)
{
    return sw_http_finish(h, (int)curl_easy_perform(h->curl), resp);
}

int
sw_http_send(struct sw_http *h, const struct sw_http_req *req,
             struct sw_http_resp *resp)
{
    int r;

    r = sw_http_start(h, req, resp);
    if (r < 0)
        return r;
    return sw_http_perform(h, resp);
}
