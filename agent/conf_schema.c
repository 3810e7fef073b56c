/* agent/conf_schema.c - the getters the key tables drive, the unknown-key
 * check and the text and URL checks every section uses; see
 * conf_schema.h.
 *
 * Nothing here knows a section: the tables live with their sections, and
 * this file knows only the rows' shapes, so that it needs nothing of
 * agent/conf.h.
 */
#include "config.h"

#include "agent/conf_schema.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "lib/strv.h"
#include "lib/utf8.h"

/* Keys people reach for when they mean to paste a secret. */
static const struct conf_hint secret_keys[] = {
    {"password", "use password_file"},
    {"smtp_password", "use password_file"},
    {"pass", "use password_file"},
    {"secret", "use secret_file"},
    {"hmac_secret", "use secret_file"},
    {"token", "use bearer_token_file"},
    {"bearer_token", "use bearer_token_file"},
    {"api_key", "use bearer_token_file"},
    {"access_key_id", "use the AWS credential chain (environment, profile)"},
    {"aws_access_key_id",
     "use the AWS credential chain (environment, profile)"},
    {"secret_access_key",
     "use the AWS credential chain (environment, profile)"},
    {"aws_secret_access_key",
     "use the AWS credential chain (environment, profile)"},
    {"session_token", "use the AWS credential chain (environment, profile)"},
    {"aws_session_token",
     "use the AWS credential chain (environment, profile)"},
    {NULL, NULL},
};

/* ---- text ---- */

int
conf_check_text(struct conf_scope *sc, const config_setting_t *s,
                const char *label, const char *v, long max, unsigned flags)
{
    const unsigned char *p;
    long n;
    int blank = 1;

    if (!*v) {
        conf_serr(sc, s, "%s must not be empty", label);
        return SW_EINVAL;
    }
    for (p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            if ((flags & CK_NEWLINES) && (*p == '\n' || *p == '\t'))
                continue;
            conf_serr(sc, s, "%s must not contain control characters", label);
            return SW_EINVAL;
        }
        if ((flags & CK_ASCII) && *p >= 0x80) {
            conf_serr(sc, s, "%s must be printable ASCII", label);
            return SW_EINVAL;
        }
        if (*p != ' ')
            blank = 0;
    }
    n = sw_utf8_count(v, strlen(v));
    if (n < 0) {
        conf_serr(sc, s, "%s is not valid UTF-8", label);
        return SW_EINVAL;
    }
    if (n > max) {
        conf_serr(sc, s, "%s must be at most %ld characters, not %ld", label,
                  max, n);
        return SW_EINVAL;
    }
    if ((flags & CK_NOBLANK) && blank) {
        conf_serr(sc, s, "%s must not be blank", label);
        return SW_EINVAL;
    }
    return 0;
}

int
conf_check_url(struct conf_scope *sc, const config_setting_t *s,
               const char *key, const char *v, const char *const *schemes,
               const char *cred_hint, int *scheme)
{
    const char *p, *a, *end, *h, *he;
    size_t sl;
    int i;

    for (p = v; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            conf_serr(sc, s,
                      "'%s' must not contain spaces or control characters",
                      key);
            return SW_EINVAL;
        }
    }
    for (i = 0; schemes[i]; i++) {
        sl = strlen(schemes[i]);
        if (strncasecmp(v, schemes[i], sl) == 0 &&
            strncmp(v + sl, "://", 3) == 0)
            break;
    }
    if (!schemes[i]) {
        conf_serr(sc, s, "'%s' must start with %s:// or %s://, not '%s'", key,
                  schemes[0], schemes[1], v);
        return SW_EINVAL;
    }
    *scheme = i;
    a = v + strlen(schemes[i]) + 3;
    end = a + strcspn(a, "/?#");
    if (memchr(a, '@', (size_t)(end - a))) {
        conf_serr(sc, s, "'%s' must not hold credentials: %s", key, cred_hint);
        return SW_EINVAL;
    }
    h = a;
    if (*h == '[') {
        he = memchr(h, ']', (size_t)(end - h));
        if (!he) {
            conf_serr(sc, s, "'%s' has an invalid host", key);
            return SW_EINVAL;
        }
        he++;
    } else {
        he = memchr(h, ':', (size_t)(end - h));
        if (!he)
            he = end;
    }
    if (he == h) {
        conf_serr(sc, s, "'%s' has no host", key);
        return SW_EINVAL;
    }
    if (he - h > 255) {
        conf_serr(sc, s, "'%s' has a host name that is too long", key);
        return SW_EINVAL;
    }
    if (he < end) {
        long port;
        char pbuf[8];
        size_t pl = (size_t)(end - he - 1);

        if (*he != ':' || pl == 0 || pl >= sizeof(pbuf)) {
            conf_serr(sc, s, "'%s' has an invalid port", key);
            return SW_EINVAL;
        }
        memcpy(pbuf, he + 1, pl);
        pbuf[pl] = '\0';
        if (sw_parse_long(pbuf, 1, 65535, &port) < 0 ||
            !conf_is_digit(pbuf[0])) {
            conf_serr(sc, s, "'%s' has an invalid port", key);
            return SW_EINVAL;
        }
    }
    return 0;
}

const char *const conf_http_schemes[] = {"http", "https", NULL};
const char *const conf_smtp_schemes[] = {"smtp", "smtps", NULL};

/* ---- getters ---- */

const config_setting_t *
conf_get(const struct conf_scope *sc, const char *key)
{
    return config_setting_get_member(sc->g, key);
}

const struct conf_key *
conf_key_find(const struct conf_key *keys, const char *name)
{
    for (; keys->name; keys++)
        if (strcmp(keys->name, name) == 0)
            return keys;
    return NULL;
}

const char *
conf_elem_str(const config_setting_t *list, int i, const config_setting_t **sp)
{
    const config_setting_t *e = config_setting_get_elem(list, i);
    const char *v = config_setting_get_string(e);

    *sp = e;
    return v ? v : "";
}

/* read_int - the integer of S into *out, within K's range. */
static int
read_int(struct conf_scope *sc, const struct conf_key *k,
         const config_setting_t *s, long long *out)
{
    long long v;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = config_setting_get_int64(s); break;
    default:
        conf_serr(sc, s, "'%s' must be an integer", k->name);
        return SW_EINVAL;
    }
    if (v < k->min || v > k->max) {
        if (k->max == INT_MAX && v > k->max)
            conf_serr(sc, s, "'%s' is too large: %lld", k->name, v);
        else if (k->max == INT_MAX)
            conf_serr(sc, s, "'%s' must be at least %ld, not %lld", k->name,
                      k->min, v);
        else
            conf_serr(sc, s, "'%s' must be between %ld and %ld, not %lld",
                      k->name, k->min, k->max, v);
        return SW_EINVAL;
    }
    *out = v;
    return 0;
}

static int
read_num(struct conf_scope *sc, const struct conf_key *k,
         const config_setting_t *s, double *out)
{
    double v;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
    default:
        conf_serr(sc, s, "'%s' must be a number", k->name);
        return SW_EINVAL;
    }
    if (!isfinite(v)) {
        conf_serr(sc, s, "'%s' must be a finite number", k->name);
        return SW_EINVAL;
    }
    *out = v;
    return 0;
}

/* check_strlist - S is an array (or list) of strings. */
static int
check_strlist(struct conf_scope *sc, const struct conf_key *k,
              const config_setting_t *s)
{
    int type = config_setting_type(s);

    if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) {
        int ok = 1;
        for (int i = 0; i < config_setting_length(s); i++)
            if (config_setting_type(config_setting_get_elem(s, i)) !=
                CONFIG_TYPE_STRING)
                ok = 0;
        if (ok)
            return 0;
    }
    if (type == CONFIG_TYPE_STRING)
        conf_serr(sc, s, "'%s' must be an array of strings: %s = [ \"%s\" ];",
                  k->name, k->name, config_setting_get_string(s));
    else
        conf_serr(sc, s, "'%s' must be an array of strings", k->name);
    return SW_EINVAL;
}

/* read_value - V from S as K's type says; the text checks of K.
 * Returns 1 (V set), 0 (treat as absent) or SW_EINVAL (reported). */
static int
read_value(struct conf_scope *sc, const struct conf_key *k,
           struct conf_value *v)
{
    const config_setting_t *s = v->s;
    char label[128];
    int e;

    switch (k->type) {
    case CT_STR:
    case CT_PATH:
    case CT_ENUM:
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            conf_serr(sc, s, "'%s' must be a string", k->name);
            return SW_EINVAL;
        }
        v->str = config_setting_get_string(s);
        if (!v->str)
            v->str = "";
        break;
    case CT_INT: return read_int(sc, k, s, &v->i) < 0 ? SW_EINVAL : 1;
    case CT_NUM: return read_num(sc, k, s, &v->d) < 0 ? SW_EINVAL : 1;
    case CT_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
            conf_serr(sc, s, "'%s' must be true or false", k->name);
            return SW_EINVAL;
        }
        v->i = config_setting_get_bool(s) ? 1 : 0;
        return 1;
    case CT_STRLIST:
        if (check_strlist(sc, k, s) < 0)
            return SW_EINVAL;
        if (!k->check && k->max > 0 && config_setting_length(s) > k->max) {
            conf_serr(sc, s, "'%s': at most %ld entries, not %d", k->name,
                      k->max, config_setting_length(s));
            return SW_EINVAL;
        }
        return 1;
    case CT_GROUP:
        if (!config_setting_is_group(s)) {
            conf_serr(sc, s, "'%s' must be a group: %s", k->name, k->expect);
            return SW_EINVAL;
        }
        return 1;
    case CT_LIST:
        if (!config_setting_is_list(s) &&
            !(config_setting_is_array(s) && config_setting_length(s) == 0)) {
            conf_serr(sc, s, "'%s' must be a list of groups: %s", k->name,
                      k->expect);
            return SW_EINVAL;
        }
        return 1;
    }
    (void)snprintf(label, sizeof(label), "'%s'", k->name);
    if (k->type == CT_STR) {
        if ((k->flags & CK_EMPTY) && !v->str[0])
            return 0;
        if (!(k->flags & CK_RAW) &&
            conf_check_text(sc, s, label, v->str, k->max, k->flags) < 0)
            return SW_EINVAL;
    } else if (k->type == CT_PATH) {
        if (conf_check_text(sc, s, label, v->str, 4096, 0) < 0)
            return SW_EINVAL;
    } else if (k->parse(v->str, &e) < 0) {
        conf_serr(sc, s, "'%s' must be %s, not '%s'", k->name, k->expect,
                  v->str);
        return SW_EINVAL;
    } else {
        v->i = e;
    }
    return 1;
}

/* store - V into FIELD as K's type says. */
static void
store(struct conf_scope *sc, const struct conf_key *k,
      const struct conf_value *v, char *field)
{
    struct conf_ctx *x = sc->x;
    char **sp = (char **)(void *)field;

    switch (k->type) {
    case CT_ENUM:
        if (!(k->flags & CK_STRVAL)) {
            *(int *)(void *)field = (int)v->i;
            break;
        }
        /* fall through */
    case CT_STR:
        free(*sp);
        *sp = conf_copy_str(x, v->str);
        break;
    case CT_PATH:
        free(*sp);
        if ((k->flags & CK_STDIO) && strcmp(v->str, "-") == 0)
            *sp = conf_copy_str(x, v->str);
        else
            *sp = conf_resolve(x, v->str);
        break;
    case CT_INT:
    case CT_BOOL: *(int *)(void *)field = (int)v->i; break;
    case CT_NUM: *(double *)(void *)field = v->d; break;
    case CT_STRLIST: {
        const config_setting_t *e;
        for (int i = 0; i < config_setting_length(v->s); i++)
            if (sw_strv_push((struct sw_strv *)(void *)field,
                             conf_elem_str(v->s, i, &e)) < 0)
                x->oom = 1;
        break;
    }
    case CT_GROUP:
    case CT_LIST: break; /* the callback's */
    }
}

int
conf_key_load(struct conf_scope *sc, const struct conf_key *k, void *base)
{
    struct conf_value v;
    int r;

    memset(&v, 0, sizeof(v));
    v.s = conf_get(sc, k->name);
    if (!v.s) {
        if (k->flags & CK_REQUIRED)
            conf_serr(sc, sc->g, "'%s' is required", k->name);
        return 0;
    }
    r = read_value(sc, k, &v);
    if (r <= 0)
        return r;
    if (k->check) {
        r = k->check(sc, k, &v, base);
        if (r != 0)
            return r < 0 ? r : 1;
    }
    if (k->off != CONF_NOFIELD)
        store(sc, k, &v, (char *)base + k->off);
    return 1;
}

void
conf_keys_load(struct conf_scope *sc, const struct conf_key *keys, void *base)
{
    for (; keys->name; keys++)
        if (!(keys->flags & CK_IDENT))
            (void)conf_key_load(sc, keys, base);
}

int
conf_keys_default(const struct conf_key *keys, unsigned mask, unsigned want,
                  void *base)
{
    for (; keys->name; keys++) {
        char *field = (char *)base + keys->off;
        char **sp = (char **)(void *)field;

        if (keys->off == CONF_NOFIELD || (keys->flags & mask) != want)
            continue;
        switch (keys->type) {
        case CT_INT:
        case CT_BOOL: *(int *)(void *)field = (int)keys->def; break;
        case CT_NUM: *(double *)(void *)field = (double)keys->def; break;
        case CT_ENUM:
            if (!(keys->flags & CK_STRVAL)) {
                *(int *)(void *)field = (int)keys->def;
                break;
            }
            /* fall through */
        case CT_STR:
        case CT_PATH:
            if (!keys->sdef)
                break;
            free(*sp);
            *sp = sw_strdup(keys->sdef);
            if (!*sp)
                return SW_ENOMEM;
            break;
        case CT_STRLIST:
        case CT_GROUP:
        case CT_LIST: break;
        }
    }
    return 0;
}

void
conf_keys_free(const struct conf_key *keys, void *base)
{
    for (; keys->name; keys++) {
        char *field = (char *)base + keys->off;
        char **sp = (char **)(void *)field;

        if (keys->off == CONF_NOFIELD)
            continue;
        switch (keys->type) {
        case CT_ENUM:
            if (!(keys->flags & CK_STRVAL))
                break;
            /* fall through */
        case CT_STR:
        case CT_PATH:
            free(*sp);
            *sp = NULL;
            break;
        case CT_STRLIST:
            sw_strv_release((struct sw_strv *)(void *)field);
            break;
        case CT_GROUP: {
            /* Every name = value array has this shape (conf_notifiers.c
             * checks that struct sw_header_kv does). */
            struct sw_dimension **kv = (struct sw_dimension **)(void *)field;
            size_t *n = (size_t *)(void *)((char *)base + keys->off_n);

            for (size_t i = 0; *kv && i < *n; i++) {
                free((*kv)[i].name);
                free((*kv)[i].value);
            }
            free(*kv);
            *kv = NULL;
            *n = 0;
            break;
        }
        case CT_INT:
        case CT_NUM:
        case CT_BOOL:
        case CT_LIST: break;
        }
    }
}

/* ---- unknown keys ---- */

static const char *
hint_of(const struct conf_hint *h, const char *key)
{
    for (; h && h->key; h++)
        if (strcmp(h->key, key) == 0)
            return h->hint;
    return NULL;
}

static int
in_tables(const struct conf_key *const *tabs, size_t ntabs, const char *key)
{
    for (size_t i = 0; i < ntabs; i++)
        if (tabs[i] && conf_key_find(tabs[i], key))
            return 1;
    return 0;
}

int
conf_check_keys(struct conf_scope *sc, const struct conf_key *const *tabs,
                size_t ntabs, const struct conf_hint *later, conf_why_fn *why)
{
    int n = 0;

    for (int i = 0; i < config_setting_length(sc->g); i++) {
        const config_setting_t *s = config_setting_get_elem(sc->g, i);
        const char *k = config_setting_name(s), *h;
        const char *file = conf_file_of(sc->x, s);
        char buf[256];

        if (!k || in_tables(tabs, ntabs, k))
            continue;
        n++;
        h = hint_of(secret_keys, k);
        if (h) {
            conf_serr(sc, s, "'%s': secrets never live in the config: %s", k,
                      h);
            continue;
        }
        h = hint_of(later, k);
        if (h) {
            conf_serr(sc, s, "'%s': %s", k, h);
            continue;
        }
        h = why ? why(k, buf, sizeof(buf)) : NULL;
        if (!sc->what[0])
            conf_report_at(sc->x, file, conf_line_of(s),
                           "unknown top-level key '%s'", k);
        else if (h)
            conf_report_at(sc->x, file, conf_line_of(s),
                           "unknown key '%s' in %s (%s)", k, sc->what, h);
        else
            conf_report_at(sc->x, file, conf_line_of(s),
                           "unknown key '%s' in %s", k, sc->what);
    }
    return n;
}
