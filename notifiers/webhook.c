/* notifiers/webhook.c - JSON POST to a URL; see webhook.h. */
#include "config.h"

#include "notifiers/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "aws/http.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/secret.h"
#include "lib/str.h"
#include "notifiers/am_payload.h"
#include "notifiers/message.h"
#include "notifiers/slack.h"

#define USER_AGENT      "streamwatch/" PACKAGE_VERSION
#define HEADER_NAME_MAX 128
#define URL_MAX         2048

struct webhook_notifier {
    struct sw_notifier base; /* first: the interface */
    char *url;
    enum sw_webhook_format format;
    char **hname; /* extra headers, copied */
    char **hvalue;
    size_t nheaders;
    char *bearer_token_file; /* NULL: none */
    char *secret_file;       /* NULL: unsigned */
};

/* ---- checks and pieces ---- */

int
sw_webhook_format_parse(const char *name, enum sw_webhook_format *out)
{
    if (!name || strcmp(name, "cloudwatch") == 0)
        *out = SW_WEBHOOK_CLOUDWATCH;
    else if (strcmp(name, "alertmanager") == 0)
        *out = SW_WEBHOOK_ALERTMANAGER;
    else if (strcmp(name, "slack") == 0)
        *out = SW_WEBHOOK_SLACK;
    else
        return SW_EINVAL;
    return 0;
}

int
sw_webhook_url_check(const char *url, char *err, size_t errlen)
{
    const char *host;
    size_t n;

    if (!url) {
        sw_err_set(err, errlen, "no URL");
        return SW_EINVAL;
    }
    if (strncasecmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        host = url + 8;
    else {
        sw_err_set(err, errlen, "URL must start with http:// or https://");
        return SW_EINVAL;
    }
    n = strlen(url);
    if (n > URL_MAX) {
        sw_err_set(err, errlen, "URL longer than %d bytes", URL_MAX);
        return SW_EINVAL;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            sw_err_set(err, errlen,
                       "URL holds a space, control or non-ASCII byte "
                       "(percent-encode it)");
            return SW_EINVAL;
        }
    }
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#') {
        sw_err_set(err, errlen, "URL has no host");
        return SW_EINVAL;
    }
    return 0;
}

int
sw_webhook_cleartext_check(const char *url, int bearer, int signed_,
                           int allow_insecure, char *err, size_t errlen)
{
    const char *what;

    if (bearer && signed_)
        what = "the bearer token and the requests signed with secret_file";
    else if (bearer)
        what = "the bearer token";
    else if (signed_)
        what = "the requests signed with secret_file";
    else
        return 0;
    return sw_url_cleartext_check("url", url, what, allow_insecure, err,
                                  errlen);
}

/* RFC 9110 section 5.6.2 tchar. */
static int
tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
sw_webhook_header_check(const char *name, const char *value, char *err,
                        size_t errlen)
{
    /* Set by the notifier, or able to change how the request is framed
     * or where it goes. */
    static const char *const reserved[] = {
        "Authorization",     "Host",       "Content-Type", "Content-Length",
        "Transfer-Encoding", "Connection", "Expect",       "User-Agent",
    };
    size_t n;

    if (!name || !*name) {
        sw_err_set(err, errlen, "header name is empty");
        return SW_EINVAL;
    }
    n = strlen(name);
    if (n > HEADER_NAME_MAX) {
        sw_err_set(err, errlen, "header name longer than %d bytes",
                   HEADER_NAME_MAX);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!tchar((unsigned char)name[i])) {
            sw_err_set(err, errlen, "header name '%.64s' is not an HTTP token",
                       name);
            return SW_EINVAL;
        }
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcasecmp(name, reserved[i]) == 0) {
            sw_err_set(err, errlen, "header '%s' is set by streamwatch", name);
            return SW_EINVAL;
        }
    }
    if (strncasecmp(name, "X-Streamwatch-", 14) == 0) {
        sw_err_set(err, errlen, "header '%s' is set by streamwatch", name);
        return SW_EINVAL;
    }
    if (!value) {
        sw_err_set(err, errlen, "header '%s' has no value", name);
        return SW_EINVAL;
    }
    if (strlen(value) > SW_WEBHOOK_HEADER_MAX) {
        sw_err_set(err, errlen, "header '%s': value longer than %d bytes", name,
                   SW_WEBHOOK_HEADER_MAX);
        return SW_EINVAL;
    }
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p >= 0x7f) {
            sw_err_set(err, errlen,
                       "header '%s': value must be printable ASCII (no "
                       "CR, LF or control characters)",
                       name);
            return SW_EINVAL;
        }
    }
    return 0;
}

int
sw_webhook_signature(const void *key, size_t keylen, time_t ts,
                     const char *body, size_t len, char out[SW_WEBHOOK_SIG_BUF])
{
    struct sw_buf msg;
    char hex[65];
    int r;

    out[0] = '\0';
    sw_buf_init(&msg, len + 32);
    r = sw_buf_addf(&msg, "%lld.", (long long)ts);
    if (r == 0 && len > 0)
        r = sw_buf_add(&msg, body, len);
    if (r < 0)
        goto out;
    r = sw_hmac_sha256_hex(key, keylen, msg.data, msg.len, hex);
    if (r < 0)
        goto out;
    memcpy(out, "v1=", 3);
    memcpy(out + 3, hex, 65);
out:
    sw_buf_release(&msg);
    return r;
}

static int
dump_json(json_t *v, char **out, size_t *len)
{
    char *text;

    if (!v)
        return SW_ENOMEM;
    text = json_dumps(v, SW_MESSAGE_JSON_FLAGS);
    json_decref(v);
    if (!text)
        return SW_ENOMEM;
    *len = strlen(text);
    if (*len > SW_WEBHOOK_MAX_BODY) {
        free(text);
        return SW_ETOOBIG;
    }
    *out = text;
    return 0;
}

int
sw_webhook_body(const json_t *rec, enum sw_webhook_format format, time_t now,
                char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (sw_message_check(rec) < 0)
        return SW_EPARSE;
    switch (format) {
    case SW_WEBHOOK_ALERTMANAGER:
        return dump_json(sw_am_payload_webhook(rec, now), out, len);
    case SW_WEBHOOK_SLACK: return dump_json(sw_slack_text(rec), out, len);
    case SW_WEBHOOK_CLOUDWATCH:
    default: return sw_message_alarm_json(rec, SW_WEBHOOK_MAX_BODY, out, len);
    }
}

int
sw_webhook_post_new(struct sw_webhook_post **out)
{
    struct sw_webhook_post *p = calloc(1, sizeof(*p));
    int r;

    *out = NULL;
    if (!p)
        return SW_ENOMEM;
    r = sw_webhook_post_header(p, "Content-Type", "application/json");
    if (r == 0)
        r = sw_webhook_post_header(p, "User-Agent", USER_AGENT);
    if (r < 0) {
        sw_webhook_post_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int
sw_webhook_post_header(struct sw_webhook_post *p, const char *name,
                       const char *value)
{
    struct sw_buf line;
    int r;

    sw_buf_init(&line, HEADER_NAME_MAX + SW_WEBHOOK_HEADER_MAX + 72 * 1024);
    r = sw_http_header_add(&p->headers, &line, name, value);
    sw_buf_wipe(&line);
    return r;
}

int
sw_webhook_post_setup(struct sw_webhook_post *p, CURL *easy, const char *url,
                      char *err, size_t errlen)
{
    CURLcode cc = CURLE_OK;

    if (sw_http_header_remove(&p->headers, "Expect") < 0) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    cc |= curl_easy_setopt(easy, CURLOPT_URL, url);
    cc |= curl_easy_setopt(easy, CURLOPT_POST, 1L);
    cc |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, p->body);
    cc |=
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
    cc |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, p->headers);
    if (cc != CURLE_OK) {
        sw_err_set(err, errlen, "cannot set up the transfer");
        return SW_EINTERNAL;
    }
    return 0;
}

void
sw_webhook_post_free(void *ctx)
{
    struct sw_webhook_post *p = ctx;

    if (!p)
        return;
    sw_http_headers_free(p->headers);
    free(p->body);
    free(p);
}

/* ---- the notifier ---- */

/* Read the secret at PATH for WHAT into SEC; ERR says why not.  An empty
 * or unreadable file is something the operator fixes while the outbox
 * keeps the record, so no error here reads as permanent. */
static int
read_secret(struct sw_secret *sec, const char *path, const char *what,
            char *err, size_t errlen)
{
    int r = sw_secret_read_file(sec, path);

    if (r < 0) {
        sw_err_set(err, errlen, "%s '%s': %s", what, path,
                   r == SW_EINVAL ? "empty file" : sw_strerror(r));
        return r == SW_EINVAL ? SW_EIO : r;
    }
    return 0;
}

static int
webhook_prepare(struct sw_notifier *n, const json_t *rec, time_t now,
                CURL *easy, void **ctx, char *err, size_t errlen)
{
    struct webhook_notifier *wn = (struct webhook_notifier *)n;
    struct sw_webhook_post *c;
    struct sw_secret sec = {NULL, 0};
    struct sw_buf authz;
    char dedup[SW_DEDUP_ID_BUF], sig[SW_WEBHOOK_SIG_BUF], ts[32];
    int r;

    *ctx = NULL;
    sw_buf_init(&authz, 72 * 1024);
    r = sw_webhook_post_new(&c);
    if (r < 0)
        goto nomem;
    *ctx = c;
    r = sw_webhook_body(rec, wn->format, now, &c->body, &c->len);
    if (r == SW_EPARSE || r == SW_ETOOBIG) {
        sw_err_set(err, errlen, "%s",
                   r == SW_EPARSE ? "not a notification record"
                                  : "payload too large");
        r = SW_EINVAL;
        goto out;
    }
    if (r < 0)
        goto nomem;
    r = sw_notifier_dedup_id(rec, dedup);
    if (r < 0)
        goto nomem;
    r = sw_webhook_post_header(c, "X-Streamwatch-Delivery", dedup);
    for (size_t i = 0; r == 0 && i < wn->nheaders; i++)
        r = sw_webhook_post_header(c, wn->hname[i], wn->hvalue[i]);
    if (r < 0)
        goto nomem;
    if (wn->secret_file) {
        time_t t = time(NULL);

        r = read_secret(&sec, wn->secret_file, "secret_file", err, errlen);
        if (r < 0)
            goto out;
        r = sw_webhook_signature(sec.s, sec.len, t, c->body, c->len, sig);
        sw_secret_release(&sec);
        if (r < 0)
            goto nomem;
        snprintf(ts, sizeof(ts), "%lld", (long long)t);
        r = sw_webhook_post_header(c, "X-Streamwatch-Timestamp", ts);
        if (r == 0)
            r = sw_webhook_post_header(c, "X-Streamwatch-Signature", sig);
        if (r < 0)
            goto nomem;
    }
    if (wn->bearer_token_file) {
        r = read_secret(&sec, wn->bearer_token_file, "bearer_token_file", err,
                        errlen);
        if (r < 0)
            goto out;
        if (sw_str_has_ctl(sec.s, sec.len)) {
            /* A CR/LF in the token would inject headers. */
            sw_err_set(err, errlen,
                       "bearer_token_file '%s': control characters in the "
                       "token",
                       wn->bearer_token_file);
            r = SW_EIO;
            goto out;
        }
        r = sw_buf_addf(&authz, "Bearer %s", sec.s);
        if (r == 0)
            r = sw_webhook_post_header(c, "Authorization", sw_buf_str(&authz));
        if (r == SW_ETOOBIG) {
            sw_err_set(err, errlen, "bearer_token_file '%s': token too long",
                       wn->bearer_token_file);
            r = SW_EIO;
            goto out;
        }
        if (r < 0)
            goto nomem;
    }
    r = sw_webhook_post_setup(c, easy, wn->url, err, errlen);
    goto out;
nomem:
    r = SW_ENOMEM;
    sw_err_set(err, errlen, "out of memory");
out:
    sw_secret_release(&sec);
    sw_buf_wipe(&authz);
    return r;
}

static int
webhook_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
             const char *body, size_t body_len, char *err, size_t errlen)
{
    struct webhook_notifier *wn = (struct webhook_notifier *)n;

    (void)ctx;
    (void)body;
    (void)body_len;
    if (cc != CURLE_OK) {
        sw_err_set(err, errlen, "POST %s: %s", wn->url, curl_easy_strerror(cc));
        return SW_DELIVERY_RETRY;
    }
    if (status >= 200 && status < 300)
        return SW_DELIVERED;
    sw_err_set(err, errlen, "POST %s: HTTP %ld", wn->url, status);
    /* 408 and 429 ask us to come back later; any other 4xx refuses this
     * request as it is, and it will not change. */
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return SW_DELIVERY_PERMANENT;
    return SW_DELIVERY_RETRY;
}

static void
webhook_free(struct sw_notifier *n)
{
    struct webhook_notifier *wn = (struct webhook_notifier *)n;

    if (!n)
        return;
    for (size_t i = 0; i < wn->nheaders; i++) {
        free(wn->hname[i]);
        /* An extra header may carry an API key. */
        if (wn->hvalue[i])
            sw_memzero(wn->hvalue[i], strlen(wn->hvalue[i]));
        free(wn->hvalue[i]);
    }
    free(wn->hname);
    free(wn->hvalue);
    free(wn->url);
    free(wn->bearer_token_file);
    free(wn->secret_file);
    sw_notifier_base_release(n);
    free(wn);
}

static const struct sw_notifier_ops webhook_ops = {
    .type = "webhook",
    .prepare = webhook_prepare,
    .done = webhook_done,
    .ctx_free = sw_webhook_post_free,
    .free = webhook_free,
};

int
sw_notifier_webhook_new(const char *name,
                        const struct sw_notifier_webhook_opts *o,
                        struct sw_notifier **out, char *err, size_t errlen)
{
    struct webhook_notifier *wn = NULL;
    enum sw_webhook_format fmt;
    int r;

    *out = NULL;
    if (!o) {
        sw_err_set(err, errlen, "no options");
        return SW_EINVAL;
    }
    r = sw_webhook_url_check(o->url, err, errlen);
    if (r < 0)
        return r;
    if (sw_webhook_format_parse(o->format, &fmt) < 0) {
        sw_err_set(err, errlen,
                   "format must be cloudwatch, alertmanager or slack");
        return SW_EINVAL;
    }
    if (o->nheaders > SW_WEBHOOK_MAX_HEADERS ||
        (o->nheaders > 0 && !o->headers)) {
        sw_err_set(err, errlen, "at most %d extra headers",
                   SW_WEBHOOK_MAX_HEADERS);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < o->nheaders; i++) {
        r = sw_webhook_header_check(o->headers[i].name, o->headers[i].value,
                                    err, errlen);
        if (r < 0)
            return r;
    }
    if ((o->bearer_token_file && !*o->bearer_token_file) ||
        (o->secret_file && !*o->secret_file)) {
        sw_err_set(err, errlen, "empty secret file name");
        return SW_EINVAL;
    }
    /* The config was checked the same way; this keeps a caller that
     * builds options by hand from sending a token in clear. */
    r = sw_webhook_cleartext_check(o->url, o->bearer_token_file != NULL,
                                   o->secret_file != NULL, o->allow_insecure,
                                   err, errlen);
    if (r < 0)
        return r;
    wn = calloc(1, sizeof(*wn));
    if (!wn)
        goto nomem;
    if (sw_notifier_base_init(&wn->base, &webhook_ops, name) < 0)
        goto nomem;
    wn->format = fmt;
    wn->url = sw_strdup(o->url);
    if (!wn->url)
        goto nomem;
    if (o->bearer_token_file) {
        wn->bearer_token_file = sw_strdup(o->bearer_token_file);
        if (!wn->bearer_token_file)
            goto nomem;
    }
    if (o->secret_file) {
        wn->secret_file = sw_strdup(o->secret_file);
        if (!wn->secret_file)
            goto nomem;
    }
    if (o->nheaders > 0) {
        wn->hname = calloc(o->nheaders, sizeof(*wn->hname));
        wn->hvalue = calloc(o->nheaders, sizeof(*wn->hvalue));
        if (!wn->hname || !wn->hvalue)
            goto nomem;
        for (size_t i = 0; i < o->nheaders; i++) {
            wn->hname[i] = sw_strdup(o->headers[i].name);
            wn->hvalue[i] = sw_strdup(o->headers[i].value);
            wn->nheaders = i + 1;
            if (!wn->hname[i] || !wn->hvalue[i])
                goto nomem;
        }
    }
    *out = &wn->base;
    return 0;
nomem:
    if (wn)
        webhook_free(&wn->base);
    sw_err_set(err, errlen, "out of memory");
    return SW_ENOMEM;
}
