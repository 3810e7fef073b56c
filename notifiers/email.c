/* notifiers/email.c - the SMTP notifier; see email.h. */
#include "config.h"

#include "notifiers/email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/secret.h"
#include "lib/str.h"
#include "notifiers/email_text.h"
#include "notifiers/message.h"
#include "notifiers/mime.h"

struct email_notifier {
    struct sw_notifier base; /* first: the interface */
    char *url;
    char *host; /* for error messages */
    enum sw_email_tls tls;
    char *username;
    char *password_file;
    char *from;
    char *mail_from; /* "<from>" for MAIL FROM */
    char **to;
    size_t nto;
    char *ca_file;
};

/* What one attempt owns; freed by email_ctx_free(). */
struct email_ctx {
    char *msg; /* the whole message, CRLF lines */
    size_t len;
    size_t pos; /* bytes handed to libcurl so far */
    struct curl_slist *rcpt;
    struct sw_secret password;
    char errbuf[CURL_ERROR_SIZE];
    const char *host; /* borrowed from the notifier */
};

int
sw_email_tls_parse(const char *s, enum sw_email_tls *out)
{
    if (s && strcmp(s, "starttls") == 0)
        *out = SW_EMAIL_TLS_STARTTLS;
    else if (s && strcmp(s, "implicit") == 0)
        *out = SW_EMAIL_TLS_IMPLICIT;
    else if (s && strcmp(s, "none") == 0)
        *out = SW_EMAIL_TLS_NONE;
    else
        return SW_EINVAL;
    return 0;
}

int
sw_email_cleartext_check(const char *url, enum sw_email_tls tls, int auth,
                         int allow_insecure, char *err, size_t errlen)
{
    char host[256];

    if (!auth || tls != SW_EMAIL_TLS_NONE || sw_url_is_loopback(url))
        return 0;
    if (sw_url_host(url, host, sizeof(host)) < 0)
        (void)sw_strlcpy(host, "a long host name", sizeof(host));
    if (allow_insecure) {
        sw_err_set(err, errlen,
                   "allow_insecure = true: sends the SMTP password in clear "
                   "(tls \"none\") to %s",
                   host);
        return 1;
    }
    sw_err_set(err, errlen,
               "'username' with tls \"none\" would send the password in "
               "clear to %s, not a loopback host; use tls \"starttls\" or "
               "\"implicit\", or allow_insecure = true",
               host);
    return SW_EINVAL;
}

int
sw_email_message_id(const json_t *rec, const char *domain, char *out,
                    size_t outlen)
{
    char id[SW_DEDUP_ID_BUF];
    int r, n;

    if (outlen)
        out[0] = '\0';
    r = sw_notifier_dedup_id(rec, id);
    if (r < 0)
        return r;
    /* 128 of the 256 bits are plenty for uniqueness and keep the header
     * short. */
    n = snprintf(out, outlen, "<%.32s.streamwatch@%s>", id, domain);
    if (n < 0 || (size_t)n >= outlen || !sw_mime_msgid_valid(out)) {
        if (outlen)
            out[0] = '\0';
        return SW_EINVAL;
    }
    return 0;
}

int
sw_email_render(const json_t *rec, time_t now, const char *from,
                char *const *to, size_t nto, char **out, size_t *len, char *err,
                size_t errlen)
{
    struct sw_mime_msg m;
    char msgid[SW_MIME_MSGID_MAX + 1];
    char *subject = NULL, *text = NULL;
    const char *domain;
    int r = SW_EINVAL;

    *out = NULL;
    *len = 0;
    r = sw_message_check(rec);
    if (r < 0) {
        sw_err_set(err, errlen,
                   "email: the notification is not an alarm "
                   "record");
        goto out;
    }
    domain = strrchr(from, '@');
    domain = domain ? domain + 1 : "";
    r = sw_email_message_id(rec, domain, msgid, sizeof(msgid));
    if (r < 0) {
        sw_err_set(err, errlen, "email: cannot make a Message-ID: %s",
                   sw_strerror(r));
        goto out;
    }
    subject = sw_message_subject(rec);
    text = sw_email_text(rec);
    if (!subject || !text) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "email: out of memory");
        goto out;
    }
    memset(&m, 0, sizeof(m));
    m.date = now;
    m.message_id = msgid;
    m.from = from;
    m.to = to;
    m.nto = nto;
    m.subject = subject;
    m.subject_len = strlen(subject);
    m.body = text;
    m.body_len = strlen(text);
    r = sw_mime_build(&m, out, len);
    if (r < 0) {
        sw_err_set(err, errlen, "email: cannot build the message: %s",
                   sw_strerror(r));
        /* Addresses were checked by the constructor: not this record's
         * fault, so not a reason to drop it. */
        r = r == SW_EINVAL ? SW_EINTERNAL : r;
    }
out:
    free(subject);
    free(text);
    return r;
}

static int
is_tls_trust_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return 1;
    default: return 0;
    }
}

int
sw_email_classify(CURLcode cc, long status, const char *detail,
                  const char *host, char *err, size_t errlen)
{
    const char *why = detail && *detail ? detail : curl_easy_strerror(cc);

    if (!host)
        host = "?";
    if (cc == CURLE_OK)
        return SW_DELIVERED;
    if (cc == CURLE_SSL_CACERT_BADFILE) {
        sw_err_set(err, errlen, "email: cannot use ca_file for '%s': %s", host,
                   why);
        return SW_DELIVERY_RETRY;
    }
    if (is_tls_trust_error(cc)) {
        sw_err_set(err, errlen,
                   "email: TLS certificate of '%s' rejected: %s; "
                   "check ca_file or the server's certificate",
                   host, why);
        return SW_DELIVERY_RETRY;
    }
    if (cc == CURLE_USE_SSL_FAILED) {
        sw_err_set(err, errlen,
                   "email: '%s' did not start TLS (%s); "
                   "not sending without TLS",
                   host, why);
        return SW_DELIVERY_RETRY;
    }
    if (cc == CURLE_LOGIN_DENIED || status == 535) {
        sw_err_set(err, errlen,
                   "email: login to '%s' refused (%ld): %s; "
                   "check username and password_file",
                   host, status, why);
        return SW_DELIVERY_RETRY;
    }
    /* RFC 4954 6: 530 authentication (or, RFC 3207, STARTTLS) required,
     * 534 mechanism too weak, 538 encryption required: the session, not
     * the message. */
    if (status == 530 || status == 534 || status == 538) {
        sw_err_set(err, errlen,
                   "email: '%s' wants authentication or TLS first (%ld): "
                   "%s; check tls, username and password_file",
                   host, status, why);
        return SW_DELIVERY_RETRY;
    }
    if (status >= 400 && status <= 499) {
        sw_err_set(err, errlen,
                   "email: '%s' answered %ld, a temporary "
                   "failure: %s",
                   host, status, why);
        return SW_DELIVERY_RETRY;
    }
    if (status >= 500 && status <= 599) {
        sw_err_set(err, errlen, "email: '%s' refused the message (%ld): %s",
                   host, status, why);
        return SW_DELIVERY_PERMANENT;
    }
    sw_err_set(err, errlen, "email: sending through '%s' failed: %s", host,
               why);
    return SW_DELIVERY_RETRY;
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct email_ctx *c = arg;
    size_t want = size * nmemb, left = c->len - c->pos;

    if (want > left)
        want = left;
    memcpy(buf, c->msg + c->pos, want);
    c->pos += want;
    return want;
}

static void
email_ctx_free(void *ctx)
{
    struct email_ctx *c = ctx;

    if (!c)
        return;
    free(c->msg);
    curl_slist_free_all(c->rcpt);
    sw_secret_release(&c->password);
    free(c);
}

/* set_options - point EASY at the notifier's server with C's message.
 * Returns the first failing CURLcode, or CURLE_OK. */
static CURLcode
set_options(const struct email_notifier *en, struct email_ctx *c, CURL *easy)
{
    CURLcode cc;

#define SET(opt, val)                                                          \
    do {                                                                       \
        cc = curl_easy_setopt(easy, opt, val);                                 \
        if (cc != CURLE_OK)                                                    \
            return cc;                                                         \
    } while (0)
    SET(CURLOPT_URL, en->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR,
        en->tls == SW_EMAIL_TLS_IMPLICIT ? "smtps" : "smtp");
#else
    SET(CURLOPT_PROTOCOLS,
        en->tls == SW_EMAIL_TLS_IMPLICIT ? CURLPROTO_SMTPS : CURLPROTO_SMTP);
#endif
    SET(CURLOPT_USE_SSL, en->tls == SW_EMAIL_TLS_NONE ? (long)CURLUSESSL_NONE
                                                      : (long)CURLUSESSL_ALL);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (en->ca_file) {
        SET(CURLOPT_CAINFO, en->ca_file);
        SET(CURLOPT_CAPATH, (char *)NULL);
    }
    if (en->username) {
        SET(CURLOPT_USERNAME, en->username);
        SET(CURLOPT_PASSWORD, c->password.s);
    }
    SET(CURLOPT_MAIL_FROM, en->mail_from);
    SET(CURLOPT_MAIL_RCPT, c->rcpt);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, c);
    SET(CURLOPT_UPLOAD, 1L);
    /* SIZE= on MAIL FROM (RFC 1870) lets a server refuse a message too
     * big before it is sent. */
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
#undef SET
    return CURLE_OK;
}

static int
email_prepare(struct sw_notifier *n, const json_t *rec, time_t now, CURL *easy,
              void **ctx, char *err, size_t errlen)
{
    struct email_notifier *en = (struct email_notifier *)n;
    struct email_ctx *c;
    CURLcode cc;
    int r = SW_ENOMEM;

    *ctx = NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        sw_err_set(err, errlen, "email: out of memory");
        return SW_ENOMEM;
    }
    c->host = en->host;
    r = sw_email_render(rec, now, en->from, en->to, en->nto, &c->msg, &c->len,
                        err, errlen);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < en->nto; i++) {
        char path[SW_MIME_ADDR_MAX + 3];
        struct curl_slist *l;

        /* Validated addresses always fit. */
        (void)snprintf(path, sizeof(path), "<%s>", en->to[i]);
        l = curl_slist_append(c->rcpt, path);
        if (!l) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "email: out of memory");
            goto out;
        }
        c->rcpt = l;
    }
    if (en->username) {
        /* Read for every attempt: a rotated password is used at once, and
         * nothing holds it between attempts. */
        r = sw_secret_read_file(&c->password, en->password_file);
        if (r < 0) {
            sw_err_set(err, errlen, "email: cannot read password_file '%s': %s",
                       en->password_file, sw_strerror(r));
            /* The operator can fix the file; the alarm must wait, not go
             * (SW_EINVAL, an empty file, would mean "drop it"). */
            r = SW_EAUTH;
            goto out;
        }
    }
    cc = set_options(en, c, easy);
    if (cc != CURLE_OK) {
        sw_err_set(err, errlen, "email: libcurl refused an option: %s",
                   curl_easy_strerror(cc));
        r = SW_EINTERNAL;
        goto out;
    }
    r = 0;
out:
    if (r < 0) {
        /* Nothing in EASY may point into C once it is gone. */
        curl_easy_setopt(easy, CURLOPT_READDATA, (void *)NULL);
        curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, (char *)NULL);
        if (c->password.s)
            curl_easy_setopt(easy, CURLOPT_PASSWORD, "");
        email_ctx_free(c);
        return r;
    }
    *ctx = c;
    return 0;
}

static int
email_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
           const char *body, size_t body_len, char *err, size_t errlen)
{
    struct email_ctx *c = ctx;

    (void)n;
    (void)body;
    (void)body_len;
    /* A transfer that ended before the whole message went out is not a
     * delivery, whatever libcurl says. */
    if (cc == CURLE_OK && c && c->pos != c->len)
        cc = CURLE_PARTIAL_FILE;
    return sw_email_classify(cc, status, c ? c->errbuf : "", c ? c->host : NULL,
                             err, errlen);
}

static void
email_free(struct sw_notifier *n)
{
    struct email_notifier *en = (struct email_notifier *)n;

    if (!n)
        return;
    free(en->url);
    free(en->host);
    free(en->username);
    free(en->password_file);
    free(en->from);
    free(en->mail_from);
    for (size_t i = 0; i < en->nto; i++)
        free(en->to[i]);
    free(en->to);
    free(en->ca_file);
    sw_notifier_base_release(n);
    free(en);
}

static const struct sw_notifier_ops email_ops = {
    .type = "email",
    .prepare = email_prepare,
    .done = email_done,
    .ctx_free = email_ctx_free,
    .free = email_free,
};

/* parse_url - URL parsed by libcurl as a transfer would parse it: an
 * smtp:// or smtps:// URL with a host, and nothing else in the
 * authority, query or fragment.  *host (new) when HOST is not NULL.
 * Returns 0, or SW_EINVAL / SW_ENOMEM with ERR set. */
static int
parse_url(const char *url, char **host, char *err, size_t errlen)
{
    CURLU *u = NULL;
    char *scheme = NULL, *part = NULL, *h = NULL;
    int r = SW_EINVAL;

    if (host)
        *host = NULL;
    if (!url || !*url) {
        sw_err_set(err, errlen, "'url' is required");
        goto out;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) {
            sw_err_set(err, errlen,
                       "'url' must not contain spaces or control "
                       "characters");
            goto out;
        }
    u = curl_url();
    if (!u) {
        r = SW_ENOMEM;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !*h) {
        sw_err_set(err, errlen,
                   "'url' is not a URL like smtp://mail.example.com:587");
        goto out;
    }
    if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
        sw_err_set(err, errlen, "'url' must start with smtp:// or smtps://");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
        sw_err_set(err, errlen,
                   "'url' must not hold credentials; use username and "
                   "password_file");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        sw_err_set(err, errlen, "'url' must not have a query or fragment");
        goto out;
    }
    r = 0;
    if (host) {
        *host = sw_strdup(h);
        r = *host ? 0 : SW_ENOMEM;
    }
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    curl_free(scheme);
    curl_free(part);
    curl_free(h);
    curl_url_cleanup(u);
    return r;
}

int
sw_email_url_check(const char *url, char *err, size_t errlen)
{
    return parse_url(url, NULL, err, errlen);
}

int
sw_email_tls_check(const char *url, enum sw_email_tls tls, char *err,
                   size_t errlen)
{
    int smtps = url && strncasecmp(url, "smtps://", 8) == 0;

    if (tls == SW_EMAIL_TLS_IMPLICIT && !smtps) {
        sw_err_set(err, errlen, "'tls' \"implicit\" needs an smtps:// url");
        return SW_EINVAL;
    }
    if (tls != SW_EMAIL_TLS_IMPLICIT && smtps) {
        sw_err_set(err, errlen,
                   "'tls' \"%s\" needs an smtp:// url (smtps:// means "
                   "implicit TLS)",
                   tls == SW_EMAIL_TLS_NONE ? "none" : "starttls");
        return SW_EINVAL;
    }
    return 0;
}

/* check_url - O->url as sw_email_url_check() and sw_email_tls_check()
 * say; *host (new).  Returns 0 or SW_EINVAL / SW_ENOMEM with ERR set,
 * "email: " first. */
static int
check_url(const struct sw_email_opts *o, char **host, char *err, size_t errlen)
{
    char why[256];
    int r = parse_url(o->url, host, why, sizeof(why));

    if (r == 0)
        r = sw_email_tls_check(o->url, o->tls, why, sizeof(why));
    if (r < 0) {
        free(*host);
        *host = NULL;
        sw_err_set(err, errlen, "email: %s", why);
    }
    return r;
}

static int
curl_can_smtp(int tls)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    int smtp = 0, smtps = 0;

    for (const char *const *p = v->protocols; p && *p; p++) {
        if (strcmp(*p, "smtp") == 0)
            smtp = 1;
        else if (strcmp(*p, "smtps") == 0)
            smtps = 1;
    }
    if (tls == SW_EMAIL_TLS_NONE)
        return smtp;
    if (!(v->features & CURL_VERSION_SSL))
        return 0;
    return tls == SW_EMAIL_TLS_IMPLICIT ? smtps : smtp;
}

static int
copy_opts(struct email_notifier *en, const struct sw_email_opts *o)
{
    size_t n = strlen(o->from) + 3;

    en->tls = o->tls;
    en->url = sw_strdup(o->url);
    en->from = sw_strdup(o->from);
    en->mail_from = malloc(n);
    if (!en->url || !en->from || !en->mail_from)
        return SW_ENOMEM;
    (void)snprintf(en->mail_from, n, "<%s>", o->from);
    if (o->username) {
        en->username = sw_strdup(o->username);
        en->password_file = sw_strdup(o->password_file);
        if (!en->username || !en->password_file)
            return SW_ENOMEM;
    }
    if (o->ca_file) {
        en->ca_file = sw_strdup(o->ca_file);
        if (!en->ca_file)
            return SW_ENOMEM;
    }
    en->to = calloc(o->nto, sizeof(*en->to));
    if (!en->to)
        return SW_ENOMEM;
    for (size_t i = 0; i < o->nto; i++) {
        en->to[i] = sw_strdup(o->to[i]);
        if (!en->to[i])
            return SW_ENOMEM;
        en->nto++;
    }
    return 0;
}

int
sw_notifier_email_new(const char *name, const struct sw_email_opts *o,
                      struct sw_notifier **out, char *err, size_t errlen)
{
    struct email_notifier *en = NULL;
    char *host = NULL;
    int r = SW_EINVAL;

    *out = NULL;
    if (o->tls != SW_EMAIL_TLS_STARTTLS && o->tls != SW_EMAIL_TLS_IMPLICIT &&
        o->tls != SW_EMAIL_TLS_NONE) {
        sw_err_set(err, errlen,
                   "email: 'tls' must be starttls, implicit or "
                   "none");
        goto out;
    }
    r = check_url(o, &host, err, errlen);
    if (r < 0)
        goto out;
    r = SW_EINVAL;
    if (!o->username != !o->password_file) {
        sw_err_set(err, errlen,
                   "email: 'username' and 'password_file' go "
                   "together");
        goto out;
    }
    if (o->username && (!*o->username || !*o->password_file ||
                        sw_str_has_ctl(o->username, strlen(o->username)))) {
        sw_err_set(err, errlen,
                   "email: 'username' and 'password_file' must "
                   "be non-empty, without control characters");
        goto out;
    }
    {
        char why[512];

        if (sw_email_cleartext_check(o->url, o->tls, o->username != NULL,
                                     o->allow_insecure, why, sizeof(why)) < 0) {
            sw_err_set(err, errlen, "email: %s", why);
            goto out;
        }
    }
    if (!sw_mime_addr_valid(o->from)) {
        sw_err_set(err, errlen,
                   "email: 'from' must be a plain address like "
                   "streamwatch@example.com");
        goto out;
    }
    if (o->nto == 0 || o->nto > SW_MIME_MAX_RCPT || !o->to) {
        sw_err_set(err, errlen, "email: 'to' must list 1 to %d addresses",
                   SW_MIME_MAX_RCPT);
        goto out;
    }
    for (size_t i = 0; i < o->nto; i++)
        if (!sw_mime_addr_valid(o->to[i])) {
            sw_err_set(err, errlen,
                       "email: 'to': '%s' is not a plain "
                       "address like oncall@example.com",
                       o->to[i] && !sw_str_has_ctl(o->to[i], strlen(o->to[i]))
                           ? o->to[i]
                           : "(control characters)");
            goto out;
        }
    if (o->ca_file && !*o->ca_file) {
        sw_err_set(err, errlen, "email: 'ca_file' must not be empty");
        goto out;
    }
    if (!curl_can_smtp(o->tls)) {
        sw_err_set(err, errlen, "email: this libcurl cannot send %s",
                   o->tls == SW_EMAIL_TLS_NONE ? "SMTP" : "SMTP over TLS");
        goto out;
    }
    r = SW_ENOMEM;
    en = calloc(1, sizeof(*en));
    if (!en)
        goto out;
    en->host = host;
    host = NULL;
    if (sw_notifier_base_init(&en->base, &email_ops, name) < 0 ||
        copy_opts(en, o) < 0)
        goto out;
    *out = &en->base;
    en = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "email: out of memory");
    email_free(en ? &en->base : NULL);
    free(host);
    return r;
}
