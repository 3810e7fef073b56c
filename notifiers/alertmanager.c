/* notifiers/alertmanager.c - alerts to Alertmanager's API v2; see
 * alertmanager.h. */
#include "config.h"

#include "notifiers/alertmanager.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/err.h"
#include "lib/str.h"
#include "notifiers/am_payload.h"
#include "notifiers/message.h"
#include "notifiers/webhook.h"

struct am_notifier {
    struct sw_notifier base; /* first: the interface */
    char *url;               /* .../api/v2/alerts */
    char *generator_url;     /* NULL: the console URL */
};

char *
sw_alertmanager_url(const char *base)
{
    size_t n = strlen(base), plen = strlen(SW_ALERTMANAGER_PATH);
    char *u;

    while (n > 0 && base[n - 1] == '/')
        n--;
    u = malloc(n + plen + 1);
    if (!u)
        return NULL;
    memcpy(u, base, n);
    memcpy(u + n, SW_ALERTMANAGER_PATH, plen + 1);
    return u;
}

int
sw_alertmanager_body(const json_t *rec, time_t now, const char *generator_url,
                     char **out, size_t *len)
{
    json_t *arr = NULL, *alert;
    char *text = NULL;
    int r = SW_ENOMEM;

    *out = NULL;
    *len = 0;
    if (sw_message_check(rec) < 0)
        return SW_EPARSE;
    alert = sw_am_payload_alert(rec, now, generator_url);
    arr = json_array();
    if (!alert || !arr || json_array_append_new(arr, alert) < 0) {
        if (!arr)
            json_decref(alert);
        goto out;
    }
    text = json_dumps(arr, SW_MESSAGE_JSON_FLAGS);
    if (!text)
        goto out;
    *len = strlen(text);
    *out = text;
    r = 0;
out:
    json_decref(arr);
    return r;
}

static int
am_prepare(struct sw_notifier *n, const json_t *rec, time_t now, CURL *easy,
           void **ctx, char *err, size_t errlen)
{
    struct am_notifier *an = (struct am_notifier *)n;
    struct sw_webhook_post *c;
    int r;

    *ctx = NULL;
    r = sw_webhook_post_new(&c);
    if (r < 0)
        goto nomem;
    *ctx = c;
    r = sw_alertmanager_body(rec, now, an->generator_url, &c->body, &c->len);
    if (r == SW_EPARSE) {
        sw_err_set(err, errlen, "not a notification record");
        return SW_EINVAL;
    }
    if (r < 0)
        goto nomem;
    return sw_webhook_post_setup(c, easy, an->url, err, errlen);
nomem:
    sw_err_set(err, errlen, "out of memory");
    return SW_ENOMEM;
}

/* Alertmanager answers 400 with a plain-text reason ("start time must be
 * before end time"): worth a line in the log, cleaned of control bytes. */
static void
reason_text(char *dst, size_t dstlen, const char *body, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < dstlen && o < 200; i++) {
        unsigned char ch = (unsigned char)body[i];
        dst[o++] = ch < 0x20 || ch >= 0x7f ? ' ' : (char)ch;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

static int
am_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
        const char *body, size_t body_len, char *err, size_t errlen)
{
    struct am_notifier *an = (struct am_notifier *)n;
    char why[256];

    (void)ctx;
    if (cc != CURLE_OK) {
        sw_err_set(err, errlen, "POST %s: %s", an->url, curl_easy_strerror(cc));
        return SW_DELIVERY_RETRY;
    }
    if (status >= 200 && status < 300)
        return SW_DELIVERED;
    reason_text(why, sizeof(why), body ? body : "", body ? body_len : 0);
    sw_err_set(err, errlen, "POST %s: HTTP %ld%s%s", an->url, status,
               why[0] ? ": " : "", why);
    /* 400 is Alertmanager refusing the alert itself (a bad label, endsAt
     * before startsAt): it will refuse it again.  Anything else may be a
     * proxy, a restart or an overload. */
    return status == 400 ? SW_DELIVERY_PERMANENT : SW_DELIVERY_RETRY;
}

static void
am_free(struct sw_notifier *n)
{
    struct am_notifier *an = (struct am_notifier *)n;

    if (!n)
        return;
    free(an->url);
    free(an->generator_url);
    sw_notifier_base_release(n);
    free(an);
}

static const struct sw_notifier_ops am_ops = {
    .type = "alertmanager",
    .prepare = am_prepare,
    .done = am_done,
    .ctx_free = sw_webhook_post_free,
    .free = am_free,
};

int
sw_alertmanager_url_check(const char *url, char *err, size_t errlen)
{
    const char *path;
    int r = sw_webhook_url_check(url, err, errlen);

    if (r < 0)
        return r;
    if (strchr(url, '?') || strchr(url, '#')) {
        sw_err_set(err, errlen,
                   "URL must be Alertmanager's base URL, without a query "
                   "or fragment");
        return SW_EINVAL;
    }
    /* The path, after scheme://host[:port]: the notifier adds the API's. */
    path = strstr(url, "://") + 3;
    path += strcspn(path, "/");
    if (strstr(path, "/api/")) {
        sw_err_set(
            err, errlen,
            "'url' is Alertmanager's base URL, like "
            "http://127.0.0.1:9093: streamwatch adds " SW_ALERTMANAGER_PATH);
        return SW_EINVAL;
    }
    return 0;
}

int
sw_notifier_alertmanager_new(const char *name,
                             const struct sw_notifier_alertmanager_opts *o,
                             struct sw_notifier **out, char *err, size_t errlen)
{
    struct am_notifier *an = NULL;
    int r;

    *out = NULL;
    if (!o) {
        sw_err_set(err, errlen, "no options");
        return SW_EINVAL;
    }
    r = sw_alertmanager_url_check(o->url, err, errlen);
    if (r < 0)
        return r;
    if (o->generator_url && *o->generator_url) {
        r = sw_webhook_url_check(o->generator_url, err, errlen);
        if (r < 0)
            return r;
    }
    an = calloc(1, sizeof(*an));
    if (!an)
        goto nomem;
    if (sw_notifier_base_init(&an->base, &am_ops, name) < 0)
        goto nomem;
    an->url = sw_alertmanager_url(o->url);
    if (!an->url)
        goto nomem;
    if (o->generator_url && *o->generator_url) {
        an->generator_url = sw_strdup(o->generator_url);
        if (!an->generator_url)
            goto nomem;
    }
    *out = &an->base;
    return 0;
nomem:
    if (an)
        am_free(&an->base);
    sw_err_set(err, errlen, "out of memory");
    return SW_ENOMEM;
}
