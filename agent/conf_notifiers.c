/* agent/conf_notifiers.c - notifiers and action lists; see conf_int.h.
 *
 * A notifier group is read through its key tables (below, before the
 * loader): its name and type first, then the keys of every notifier, then
 * those of its type.  Each setting a notifier judges is judged by the
 * notifier's own pure check (notifiers/sns.h, email.h, mime.h, webhook.h,
 * alertmanager.h), the same function its constructor calls when the agent
 * starts, so `check` cannot pass what `run` then refuses.  What is left
 * here is the config's own business: the messages' words and lines, names
 * that must be unique, secrets that must not be in the file, and the
 * action lists that name notifiers.
 */
#include "config.h"

#include "agent/conf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/conf_int.h"
#include "agent/conf_schema.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "notifiers/alertmanager.h"
#include "notifiers/email.h"
#include "notifiers/mime.h"
#include "notifiers/sns.h"
#include "notifiers/webhook.h"

const char *
sw_conf_notifier_type_name(enum sw_notifier_type t)
{
    return (unsigned)t < CONF_NTYPES ? conf_notifier_types[t] : "?";
}

static int
find_notifier(const struct conf_ctx *x, const char *name)
{
    for (size_t i = 0; i < x->nnseen; i++)
        if (strcmp(x->nseen[i].name, name) == 0)
            return (int)i;
    return -1;
}

void
conf_report_cleartext(struct conf_scope *sc, int r, const char *why,
                      const config_setting_t *at, const config_setting_t *sa,
                      int allow)
{
    if (r < 0)
        conf_serr(sc, at, "%s", why);
    else if (r == 1)
        conf_swarn(sc, sa, "%s", why);
    else if (allow)
        /* Left there, it would let a later http:// url through without a
         * word. */
        conf_swarn(sc, sa,
                   "'allow_insecure' is not needed: nothing secret crosses "
                   "the network in clear here; remove it so that a later "
                   "change that would is refused");
}

/* ---- actions ---- */

/* arn_check - ARN is an SNS topic ARN (0), else SW_EPARSE; when the file
 * sets aws.region, one in that region (else SW_EINVAL with ERR saying
 * why), as the agent requires when it builds the notifier. */
static int
arn_check(const struct conf_ctx *x, const char *arn, char *err, size_t errlen)
{
    if (sw_sns_arn_check(arn, NULL, NULL, err, errlen) < 0)
        return SW_EPARSE;
    if (x->region &&
        sw_sns_arn_check(arn, x->region, x->partition, err, errlen) < 0)
        return SW_EINVAL;
    return 0;
}

void
conf_load_actions(struct conf_scope *sc, const config_setting_t *s,
                  const char *key, int allow_arn, long max, const char *limit,
                  struct sw_strv *out)
{
    const config_setting_t *e, *pe;
    int n = config_setting_length(s);

    if (n > max) {
        conf_serr(sc, s, "%s: at most %ld actions%s, not %d", key, max, limit,
                  n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *v = conf_elem_str(s, i, &e);
        char err[256];
        int dupl = 0, k;

        for (int j = 0; j < i && !dupl; j++)
            dupl = strcmp(conf_elem_str(s, j, &pe), v) == 0;
        if (dupl) {
            conf_serr(sc, e, "%s: '%s' is listed twice", key, v);
            continue;
        }
        if (strncmp(v, "arn:", 4) == 0) {
            if (!allow_arn) {
                conf_serr(sc, e,
                          "%s: '%s': raw ARNs are not accepted here: "
                          "define an sns notifier",
                          key, v);
                continue;
            }
            k = arn_check(sc->x, v, err, sizeof(err));
            if (k == SW_EPARSE) {
                conf_serr(sc, e,
                          "%s: '%s' is not an SNS topic ARN "
                          "(arn:aws:sns:REGION:ACCOUNT:TOPIC)",
                          key, v);
                continue;
            }
            if (k < 0) {
                conf_serr(sc, e, "%s: '%s': %s", key, v, err);
                continue;
            }
        } else {
            k = find_notifier(sc->x, v);
            if (k < 0) {
                conf_serr(sc, e, "%s: unknown notifier '%s'", key, v);
                continue;
            }
            sc->x->nused[k] = 1;
        }
        if (sw_strv_push(out, v) < 0)
            sc->x->oom = 1;
    }
}

/* ---- every notifier ---- */

static int
conf_parse_notifier_type(const char *v, int *out)
{
    for (int t = 0; conf_notifier_types[t]; t++) {
        if (strcmp(v, conf_notifier_types[t]) == 0) {
            *out = t;
            return 0;
        }
    }
    return SW_EINVAL;
}

static int
valid_notifier_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 || !conf_is_alnum(s[0]))
        return 0;
    for (; *s; s++)
        if (!(conf_is_alnum(*s) || *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* remember - a notifier name, for actions and duplicates. */
static void
remember(struct conf_ctx *x, const char *name, const config_setting_t *s)
{
    struct conf_seen *ns;
    int *nu;

    ns = realloc(x->nseen, (x->nnseen + 1) * sizeof(*ns));
    if (ns)
        x->nseen = ns;
    nu = realloc(x->nused, (x->nnseen + 1) * sizeof(*nu));
    if (nu)
        x->nused = nu;
    if (!ns || !nu) {
        x->oom = 1;
        return;
    }
    ns[x->nnseen].name = name;
    ns[x->nnseen].file = conf_file_of(x, s);
    ns[x->nnseen].line = conf_line_of(s);
    ns[x->nnseen].stream = NULL;
    nu[x->nnseen++] = 0;
}

static int
conf_check_notifier_name(struct conf_scope *sc, const struct conf_key *k,
                         const struct conf_value *v, void *base)
{
    struct conf_ctx *x = sc->x;
    const char *file = conf_file_of(x, v->s);
    int i;

    (void)k;
    (void)base;
    if (!valid_notifier_name(v->str)) {
        conf_serr(sc, v->s,
                  "notifier name '%s' must be 1-64 letters, digits, '-', "
                  "'_' or '.', starting with a letter or digit",
                  v->str);
        return SW_EINVAL;
    }
    i = find_notifier(x, v->str);
    if (i < 0)
        remember(x, v->str, v->s);
    else if (strcmp(x->nseen[i].file, file) == 0)
        conf_report_at(x, file, conf_line_of(v->s),
                       "duplicate notifier name '%s' (first defined at line "
                       "%u)",
                       v->str, x->nseen[i].line);
    else
        conf_report_at(x, file, conf_line_of(v->s),
                       "duplicate notifier name '%s' (first defined at "
                       "%s:%u)",
                       v->str, x->nseen[i].file, x->nseen[i].line);
    conf_scope_name(sc, "notifier '%s'", v->str);
    return 0;
}

int
conf_check_repeat(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    (void)base;
    if (v->i == 0 || v->i >= 60)
        return 0;
    conf_serr(sc, v->s, "'%s' must be 0 (off) or at least 60 seconds, not %lld",
              k->name, v->i);
    return SW_EINVAL;
}

/* notifier_key_why - "only for sns notifiers": the types that have KEY. */
static const char *
notifier_key_why(const char *key, char *buf, size_t size)
{
    size_t len = 0;
    int found = 0;

    for (int t = 0; t < CONF_NTYPES; t++) {
        int n;
        if (!conf_key_find(conf_notifier_type_keys[t], key))
            continue;
        n = snprintf(buf + len, size - len, "%s%s", found ? ", " : "only for ",
                     conf_notifier_types[t]);
        if (n < 0 || (size_t)n >= size - len)
            return NULL;
        len += (size_t)n;
        found = 1;
    }
    if (!found ||
        snprintf(buf + len, size - len, " notifiers") >= (int)(size - len))
        return NULL;
    return buf;
}

/* ---- sns ---- */

static int
conf_check_topic_arn(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    char err[256];
    int r = arn_check(sc->x, v->str, err, sizeof(err));

    (void)base;
    if (r == SW_EPARSE)
        conf_serr(sc, v->s,
                  "'%s' must be an SNS topic ARN like "
                  "arn:aws:sns:ap-northeast-1:123456789012:ops, not '%s'",
                  k->name, v->str);
    else if (r < 0)
        conf_serr(sc, v->s, "'%s': %s", k->name, err);
    return r < 0 ? SW_EINVAL : 0;
}

/* ---- email ---- */

static int
conf_parse_tls(const char *v, int *out)
{
    enum sw_email_tls t;

    if (sw_email_tls_parse(v, &t) < 0)
        return SW_EINVAL;
    *out = (int)t;
    return 0;
}

static int
conf_check_email_url(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    char err[256];
    int scheme, r;

    (void)base;
    if (conf_check_url(sc, v->s, k->name, v->str, conf_smtp_schemes,
                       "use username and password_file", &scheme) < 0)
        return SW_EINVAL;
    r = sw_email_url_check(v->str, err, sizeof(err));
    if (r == SW_ENOMEM)
        sc->x->oom = 1;
    else if (r < 0)
        conf_serr(sc, v->s, "%s", err);
    return r < 0 ? r : 0;
}

static int
conf_check_tls(struct conf_scope *sc, const struct conf_key *k,
               const struct conf_value *v, void *base)
{
    const struct sw_notifier_conf *n = base;
    char err[256];

    (void)k;
    if (n->url && sw_email_tls_check(n->url, (enum sw_email_tls)v->i, err,
                                     sizeof(err)) < 0)
        conf_serr(sc, v->s, "%s", err);
    /* Kept all the same: the url and tls disagree, and the cleartext
     * check below still judges the pair as written. */
    return 0;
}

static int
conf_check_address(struct conf_scope *sc, const struct conf_key *k,
                   const struct conf_value *v, void *base)
{
    (void)base;
    if (sw_mime_addr_valid(v->str))
        return 0;
    conf_serr(sc, v->s,
              "'%s' must be a plain address like streamwatch@example.com, "
              "not '%s'",
              k->name, v->str);
    return SW_EINVAL;
}

static int
conf_check_recipients(struct conf_scope *sc, const struct conf_key *k,
                      const struct conf_value *v, void *base)
{
    struct sw_strv *to = (struct sw_strv *)(void *)((char *)base + k->off);
    const config_setting_t *e;
    int len = config_setting_length(v->s);

    if (len == 0)
        conf_serr(sc, v->s, "'%s' must list at least one address", k->name);
    if (len > k->max)
        conf_serr(sc, v->s, "'%s': at most %ld addresses, not %d", k->name,
                  k->max, len);
    for (int i = 0; i < len && i < k->max; i++) {
        const char *a = conf_elem_str(v->s, i, &e);

        if (!sw_mime_addr_valid(a))
            conf_serr(sc, e,
                      "'%s': '%s' is not a plain address like "
                      "oncall@example.com",
                      k->name, a);
        else if (sw_strv_push(to, a) < 0)
            sc->x->oom = 1;
    }
    return 1;
}

/* email_auth - username and password_file go together, and SMTP AUTH
 * without TLS puts the password on the wire: the notifier's own judgement
 * (sw_email_cleartext_check()). */
static void
email_auth(struct conf_scope *sc, const struct sw_notifier_conf *n)
{
    const config_setting_t *su = conf_get(sc, "username");
    const config_setting_t *sp = conf_get(sc, "password_file");
    const config_setting_t *sa = conf_get(sc, "allow_insecure");
    int user = su && config_setting_type(su) == CONFIG_TYPE_STRING;
    enum sw_email_tls tls;
    char why[512];
    int r;

    /* A 'password' key was reported as a secret already. */
    if (user && !sp && !conf_get(sc, "password"))
        conf_serr(sc, su, "'username' needs 'password_file'");
    if (n->password_file && !su)
        conf_serr(sc, sp, "'password_file' needs 'username'");
    /* A wrong allow_insecure, url or tls was reported: one message. */
    if ((sa && config_setting_type(sa) != CONFIG_TYPE_BOOL) || !n->url ||
        !n->tls || sw_email_tls_parse(n->tls, &tls) < 0)
        return;
    r = sw_email_cleartext_check(n->url, tls, user, n->allow_insecure, why,
                                 sizeof(why));
    conf_report_cleartext(sc, r, why, su, sa, n->allow_insecure);
}

/* ---- webhook ---- */

static int
conf_parse_format(const char *v, int *out)
{
    enum sw_webhook_format f;

    if (sw_webhook_format_parse(v, &f) < 0)
        return SW_EINVAL;
    *out = (int)f;
    return 0;
}

static int
conf_check_webhook_url(struct conf_scope *sc, const struct conf_key *k,
                       const struct conf_value *v, void *base)
{
    char err[256];
    int scheme;

    (void)base;
    if (conf_check_url(sc, v->s, k->name, v->str, conf_http_schemes,
                       "use bearer_token_file or secret_file", &scheme) < 0)
        return SW_EINVAL;
    if (sw_webhook_url_check(v->str, err, sizeof(err)) < 0) {
        conf_serr(sc, v->s, "%s", err);
        return SW_EINVAL;
    }
    return 0;
}

static int
conf_load_headers(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    struct sw_notifier_conf *n = base;
    int len = config_setting_length(v->s);

    if (len > k->max) {
        conf_serr(sc, v->s, "'%s': at most %ld headers, not %d", k->name,
                  k->max, len);
        return 1;
    }
    n->headers = calloc((size_t)len + 1, sizeof(*n->headers));
    if (!n->headers) {
        sc->x->oom = 1;
        return 1;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *h = config_setting_get_elem(v->s, i);
        const char *name = config_setting_name(h), *val;
        char err[256];
        int dupl = 0;

        /* The config's own rules first: no secret in the file, each
         * header once, a string; then the notifier's. */
        if (strcasecmp(name, "authorization") == 0) {
            conf_serr(sc, h,
                      "header '%s': secrets never live in the config: use "
                      "bearer_token_file",
                      name);
            continue;
        }
        for (size_t j = 0; j < n->nheaders && !dupl; j++)
            dupl =
                n->headers[j].name && strcasecmp(n->headers[j].name, name) == 0;
        if (dupl) {
            conf_serr(sc, h, "header '%s' is set twice", name);
            continue;
        }
        if (config_setting_type(h) != CONFIG_TYPE_STRING) {
            conf_serr(sc, h, "header '%s' must be a string", name);
            continue;
        }
        val = config_setting_get_string(h);
        if (!val || !*val) {
            conf_serr(sc, h, "header '%s' must not be empty", name);
            continue;
        }
        if (sw_webhook_header_check(name, val, err, sizeof(err)) < 0) {
            conf_serr(sc, h, "%s", err);
            continue;
        }
        n->headers[n->nheaders].name = conf_copy_str(sc->x, name);
        n->headers[n->nheaders].value = conf_copy_str(sc->x, val);
        n->nheaders++;
    }
    return 1;
}

/* webhook_cleartext - a bearer token or signed requests over http://: the
 * notifier's own judgement (sw_webhook_cleartext_check()). */
static void
webhook_cleartext(struct conf_scope *sc, const struct sw_notifier_conf *n)
{
    const config_setting_t *sa = conf_get(sc, "allow_insecure");
    char why[512];
    int r;

    if ((sa && config_setting_type(sa) != CONFIG_TYPE_BOOL) || !n->url)
        return;
    /* A secret_file or bearer_token_file key that was refused still means
     * to send a secret. */
    r = sw_webhook_cleartext_check(n->url,
                                   conf_get(sc, "bearer_token_file") != NULL,
                                   conf_get(sc, "secret_file") != NULL,
                                   n->allow_insecure, why, sizeof(why));
    conf_report_cleartext(sc, r, why, conf_get(sc, "url"), sa,
                          n->allow_insecure);
}

/* ---- alertmanager ---- */

static int
conf_check_am_url(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    char err[256];
    int scheme;

    (void)base;
    if (conf_check_url(sc, v->s, k->name, v->str, conf_http_schemes,
                       "put the credentials in a reverse proxy", &scheme) < 0)
        return SW_EINVAL;
    if (sw_alertmanager_url_check(v->str, err, sizeof(err)) < 0) {
        conf_serr(sc, v->s, "%s", err);
        return SW_EINVAL;
    }
    return 0;
}

#define N(f) offsetof(struct sw_notifier_conf, f)

/* clang-format off */
/* The keys of every notifier; the two CK_IDENT ones are read first. */
const struct conf_key conf_notifier_keys[] = {
    {.name = "name", .type = CT_STR, .flags = CK_REQUIRED | CK_IDENT | CK_RAW,
     .off = N(name), .check = conf_check_notifier_name,
     .desc = "what actions call the notifier"},
    {.name = "type", .type = CT_ENUM, .flags = CK_REQUIRED | CK_IDENT,
     .parse = conf_parse_notifier_type,
     .expect = "one of log, sns, email, webhook, alertmanager",
     .off = N(type), .desc = "how it notifies"},
    {.name = "repeat_interval", .type = CT_INT, .min = 0,
     .max = CONF_MAX_REPEAT_S, .off = N(repeat_interval_s),
     .check = conf_check_repeat,
     .desc = "seconds between reminders while an alarm stays in ALARM; 0: "
             "none"},
    {.name = "max_age", .type = CT_INT, .min = 60, .max = CONF_MONTH_S,
     .def = 86400, .off = N(max_age_s),
     .desc = "seconds an undelivered notification is kept"},
    {.name = NULL},
};

static const struct conf_key log_keys[] = {
    {.name = "path", .type = CT_PATH, .flags = CK_STDIO, .sdef = "-",
     .off = N(path),
     .desc = "the file the JSON lines are appended to; \"-\": standard "
             "output"},
    {.name = NULL},
};

static const struct conf_key sns_keys[] = {
    {.name = "topic_arn", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = N(topic_arn), .check = conf_check_topic_arn,
     .desc = "the topic published to (notifiers/sns.h checks it)"},
    {.name = NULL},
};

static const struct conf_key email_keys[] = {
    {.name = "url", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = N(url), .check = conf_check_email_url,
     .desc = "the SMTP relay, smtp:// or smtps://"},
    {.name = "tls", .type = CT_ENUM, .flags = CK_REQUIRED | CK_STRVAL,
     .parse = conf_parse_tls, .expect = "one of starttls, implicit, none",
     .off = N(tls), .check = conf_check_tls,
     .desc = "starttls or none with smtp://, implicit with smtps://"},
    {.name = "username", .type = CT_STR, .max = 256, .off = N(username),
     .desc = "the SMTP AUTH user; needs password_file"},
    {.name = "password_file", .type = CT_PATH, .off = N(password_file),
     .desc = "the file holding the SMTP AUTH password"},
    {.name = "allow_insecure", .type = CT_BOOL, .off = N(allow_insecure),
     .desc = "AUTH may run with tls \"none\" to a host that is not "
             "loopback"},
    {.name = "from", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = N(from), .check = conf_check_address,
     .desc = "the sender, a plain address"},
    {.name = "to", .type = CT_STRLIST, .flags = CK_REQUIRED,
     .max = SW_MIME_MAX_RCPT, .off = N(to), .check = conf_check_recipients,
     .desc = "the recipients, plain addresses"},
    {.name = "ca_file", .type = CT_PATH, .off = N(ca_file),
     .desc = "the only CA bundle trusted for the relay"},
    {.name = NULL},
};

static const struct conf_key webhook_keys[] = {
    {.name = "url", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = N(url), .check = conf_check_webhook_url,
     .desc = "where the JSON is POSTed, http:// or https://"},
    {.name = "format", .type = CT_ENUM, .flags = CK_STRVAL,
     .sdef = "cloudwatch", .parse = conf_parse_format,
     .expect = "one of cloudwatch, alertmanager, slack", .off = N(format),
     .desc = "the body: CloudWatch's alarm JSON, Alertmanager's webhook "
             "payload or a Slack message"},
    {.name = "headers", .type = CT_GROUP, .max = SW_WEBHOOK_MAX_HEADERS,
     .expect = "headers = { X-Team = \"ops\"; };", .off = N(headers),
     .off_n = N(nheaders), .check = conf_load_headers,
     .desc = "extra request headers; never secrets"},
    {.name = "secret_file", .type = CT_PATH, .off = N(secret_file),
     .desc = "the HMAC key that signs each request"},
    {.name = "bearer_token_file", .type = CT_PATH,
     .off = N(bearer_token_file),
     .desc = "the token sent as Authorization: Bearer"},
    {.name = "allow_insecure", .type = CT_BOOL, .off = N(allow_insecure),
     .desc = "secrets may go over http:// to a host that is not loopback"},
    {.name = NULL},
};

static const struct conf_key alertmanager_keys[] = {
    {.name = "url", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = N(url), .check = conf_check_am_url,
     .desc = "Alertmanager's base URL, without /api/v2/alerts"},
    {.name = NULL},
};

const struct conf_key *const conf_notifier_type_keys[CONF_NTYPES] = {
    [SW_NOTIFIER_LOG] = log_keys,
    [SW_NOTIFIER_SNS] = sns_keys,
    [SW_NOTIFIER_EMAIL] = email_keys,
    [SW_NOTIFIER_WEBHOOK] = webhook_keys,
    [SW_NOTIFIER_ALERTMANAGER] = alertmanager_keys,
};

const char *const conf_notifier_types[] = {
    [SW_NOTIFIER_LOG] = "log",
    [SW_NOTIFIER_SNS] = "sns",
    [SW_NOTIFIER_EMAIL] = "email",
    [SW_NOTIFIER_WEBHOOK] = "webhook",
    [SW_NOTIFIER_ALERTMANAGER] = "alertmanager",
    NULL,
};
/* clang-format on */

/* The type is stored through an int (CT_ENUM without CK_STRVAL), and
 * conf_keys_free() releases headers as a name = value array. */
_Static_assert(sizeof(enum sw_notifier_type) == sizeof(int), "enum size");
_Static_assert(SW_NOTIFIER_ALERTMANAGER + 1 == CONF_NTYPES, "every type");
_Static_assert(sizeof(struct sw_header_kv) == sizeof(struct sw_dimension) &&
                   offsetof(struct sw_header_kv, value) ==
                       offsetof(struct sw_dimension, value),
               "name = value arrays share a shape");

/* ---- the group ---- */

void
conf_load_notifier(struct conf_ctx *x, const config_setting_t *g, size_t idx)
{
    struct sw_conf *c = x->c;
    struct sw_notifier_conf *n, *nv;
    const struct conf_key *tabs[1 + CONF_NTYPES];
    size_t ntabs = 0;
    struct conf_scope sc;
    int type = -1;

    nv = realloc(c->notifiers, (c->nnotifiers + 1) * sizeof(*nv));
    if (!nv) {
        x->oom = 1;
        return;
    }
    c->notifiers = nv;
    n = &nv[c->nnotifiers++];
    memset(n, 0, sizeof(*n));
    n->line = (int)conf_line_of(g);
    if (conf_keys_default(conf_notifier_keys, 0, 0, n) < 0) {
        x->oom = 1;
        return;
    }
    conf_scope_init(&sc, x, g, "");
    conf_scope_name(&sc, "notifier #%zu", idx + 1);

    (void)conf_key_load(&sc, conf_key_find(conf_notifier_keys, "name"), n);
    if (conf_key_load(&sc, conf_key_find(conf_notifier_keys, "type"), n) == 1)
        type = (int)n->type;
    /* An unknown type was reported already: accept every type's keys so
     * that one mistake does not cascade. */
    tabs[ntabs++] = conf_notifier_keys;
    for (int t = 0; t < CONF_NTYPES; t++)
        if (type < 0 || t == type)
            tabs[ntabs++] = conf_notifier_type_keys[t];
    (void)conf_check_keys(&sc, tabs, ntabs, NULL,
                          type >= 0 ? notifier_key_why : NULL);
    conf_keys_load(&sc, conf_notifier_keys, n);
    if (type < 0)
        return;
    if (conf_keys_default(conf_notifier_type_keys[type], 0, 0, n) < 0) {
        x->oom = 1;
        return;
    }
    conf_keys_load(&sc, conf_notifier_type_keys[type], n);
    if (type == SW_NOTIFIER_EMAIL)
        email_auth(&sc, n);
    else if (type == SW_NOTIFIER_WEBHOOK)
        webhook_cleartext(&sc, n);
}
