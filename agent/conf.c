/* agent/conf.c - the config loader and checker; see conf.h.
 *
 * Shape: the file is read into a capped buffer, scanned for integers that
 * libconfig would wrap, parsed with config_read_string(), and then walked
 * group by group.  Each group gets a "scope" that names it in messages
 * ("rule 'x'", "notifier 'y'", "aws").  Checks never stop at the first
 * problem: every error is recorded with the file and line of the most
 * specific setting, and all are sorted into file order at the end.  An
 * allocation failure only sets a flag, so the walk needs no unwinding; the
 * result is then SW_ENOMEM.
 */
#include "config.h"

#include "agent/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "notifiers/email.h"
#include "notifiers/webhook.h"
#include "rules/eval.h"
#include "rules/expr.h"
#include "rules/rule.h"
#include "rules/template.h"

#define MAX_MSG             1024 /* one reported line, user text included */
#define MAX_ACTIONS         5    /* CloudWatch: actions per state */
#define CW_LIMIT            " per state (CloudWatch's limit)"
#define MAX_FAILURE_ACTIONS 16
#define MAX_DATAPOINTS      1440 /* one GetMetricStatistics reply */
#define MAX_HEADERS         32
#define MAX_LABELS          32
#define MAX_RECIPIENTS      100
#define MAX_REPEAT_S        604800 /* a week; longer is a forgotten alarm */
#define MONTH_S             (30L * 86400)

struct err_rec {
    char *text; /* "FILE:LINE: message" */
    int rank;   /* order of the file: first file with an error is 0 */
    unsigned line;
    size_t seq; /* order of discovery, for equal lines */
};

struct seen {
    const char *name; /* borrowed from libconfig or an alarm in c->rules */
    const char *file; /* ditto, or our name for the main file */
    unsigned line;
    const char *stream; /* rule names: a template's alarm, its stream */
};

struct ctx {
    const char *name; /* main file name, as given */
    const char *dir;  /* relative paths and @include resolve here */
    struct sw_conf *c;
    struct err_rec *errs;
    size_t nerrs;
    const char **ranks; /* file names in order of their first error */
    size_t nranks;
    struct seen *nseen; /* notifier names with a valid name */
    int *nused;         /* per nseen entry: referenced by an action */
    size_t nnseen;
    struct seen *rseen; /* alarm and template names */
    size_t nrseen;
    int oom;
};

/* Messages are prefixed with what they are about: "rule 'x'". */
struct scope {
    struct ctx *x;
    const config_setting_t *g;
    char what[1100]; /* a 255-character UTF-8 name fits */
};

/* The printf-like reporters, checked by the compiler. */
static void report_at(struct ctx *x, const char *file, unsigned line,
                      const char *fmt, ...) SW_PRINTF(4, 5);
static void serr(struct scope *sc, const config_setting_t *s, const char *fmt,
                 ...) SW_PRINTF(3, 4);
static void swarn(struct scope *sc, const config_setting_t *s, const char *fmt,
                  ...) SW_PRINTF(3, 4);
static void warn_at(struct ctx *x, const char *file, unsigned line,
                    const char *what, const char *fmt, ...) SW_PRINTF(5, 6);
static void scope_name(struct scope *sc, const char *fmt, ...) SW_PRINTF(2, 3);

static int
is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static int
is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int
is_alnum(int ch)
{
    return is_alpha(ch) || is_digit(ch);
}

static int
in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* ---- reporting ---- */

static const char *
file_of(const struct ctx *x, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file(s) : NULL;

    return f ? f : x->name;
}

static unsigned
line_of(const config_setting_t *s)
{
    return s ? config_setting_source_line(s) : 0;
}

static int
rank_of(struct ctx *x, const char *file)
{
    const char **nr;

    for (size_t i = 0; i < x->nranks; i++)
        if (strcmp(x->ranks[i], file) == 0)
            return (int)i;
    nr = realloc(x->ranks, (x->nranks + 1) * sizeof(*nr));
    if (!nr) {
        x->oom = 1;
        return 0;
    }
    x->ranks = nr;
    x->ranks[x->nranks] = file;
    return (int)x->nranks++;
}

/* Keep a message on one printable line of bounded length: the values it
 * quotes come from the file and may hold anything. */
static void
sanitize(struct sw_buf *b)
{
    for (size_t i = 0; i < b->len; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        if (ch < 0x20 || ch == 0x7f)
            b->data[i] = '?';
    }
    if (b->len > MAX_MSG) {
        size_t n = MAX_MSG - 3;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)b->data[n] & 0xc0) == 0x80)
            n--;
        b->len = n;
        b->data[n] = '\0';
        (void)sw_buf_adds(b, "..."); /* fits: len shrank by >= 3 */
    }
}

static void
vrecord(struct ctx *x, const char *file, unsigned line, int warning,
        const char *what, const char *fmt, va_list ap)
{
    struct sw_buf b;
    struct err_rec *ne;
    int r;

    sw_buf_init(&b, 64 * 1024);
    if (line > 0)
        r = sw_buf_addf(&b, "%s:%u: ", file, line);
    else
        r = sw_buf_addf(&b, "%s: ", file);
    if (r == 0 && warning)
        r = sw_buf_adds(&b, "warning: ");
    if (r == 0 && what && what[0])
        r = sw_buf_addf(&b, "%s: ", what);
    if (r == 0)
        r = sw_buf_vaddf(&b, fmt, ap);
    if (r == SW_ETOOBIG && b.data)
        r = 0; /* keep what fitted: sanitize() shortens it anyway */
    if (r < 0 || !b.data) {
        x->oom = 1;
        goto out;
    }
    sanitize(&b);
    if (warning) {
        if (sw_strv_push(&x->c->warnings, b.data) < 0)
            x->oom = 1;
        goto out;
    }
    ne = realloc(x->errs, (x->nerrs + 1) * sizeof(*ne));
    if (!ne) {
        x->oom = 1;
        goto out;
    }
    x->errs = ne;
    ne[x->nerrs].rank = rank_of(x, file);
    ne[x->nerrs].line = line;
    ne[x->nerrs].seq = x->nerrs;
    ne[x->nerrs].text = sw_buf_steal(&b, NULL);
    if (!ne[x->nerrs].text) {
        x->oom = 1;
        goto out;
    }
    x->nerrs++;
out:
    sw_buf_release(&b);
}

/* report_at - an error at FILE:LINE (LINE 0: the file as a whole). */
static void
report_at(struct ctx *x, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(x, file, line, 0, NULL, fmt, ap);
    va_end(ap);
}

/* serr - an error about setting S (its file and line) in scope SC. */
static void
serr(struct scope *sc, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(sc->x, file_of(sc->x, s), line_of(s), 0, sc->what, fmt, ap);
    va_end(ap);
}

static void
swarn(struct scope *sc, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(sc->x, file_of(sc->x, s), line_of(s), 1, sc->what, fmt, ap);
    va_end(ap);
}

/* warn_at - a warning at FILE:LINE about WHAT (may be NULL). */
static void
warn_at(struct ctx *x, const char *file, unsigned line, const char *what,
        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(x, file, line, 1, what, fmt, ap);
    va_end(ap);
}

static void
scope_name(struct scope *sc, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(sc->what, sizeof(sc->what), fmt, ap);
    va_end(ap);
    if (n < 0)
        sc->what[0] = '\0';
    /* Truncation cannot happen for checked names (at most 255 characters
     * of at most 4 bytes); sanitize() bounds the final line anyway. */
}

static void
scope_init(struct scope *sc, struct ctx *x, const config_setting_t *g,
           const char *what)
{
    sc->x = x;
    sc->g = g;
    scope_name(sc, "%s", what);
}

/* ---- copies and paths ---- */

static char *
copy_str(struct ctx *x, const char *s)
{
    char *d = sw_strdup(s);

    if (!d)
        x->oom = 1;
    return d;
}

/* resolve - P made absolute against the config's directory.
 * Returns: new, or NULL (x->oom set). */
static char *
resolve(struct ctx *x, const char *p)
{
    struct sw_buf b;
    char *r = NULL;
    size_t dl = strlen(x->dir);

    if (p[0] == '/')
        return copy_str(x, p);
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    if (!*p || strcmp(p, ".") == 0)
        return copy_str(x, x->dir);
    sw_buf_init(&b, dl + strlen(p) + 2);
    if (sw_buf_add(&b, x->dir, dl) == 0 &&
        (dl > 0 && x->dir[dl - 1] == '/' ? 0 : sw_buf_addc(&b, '/')) == 0 &&
        sw_buf_adds(&b, p) == 0)
        r = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
    if (!r)
        x->oom = 1;
    return r;
}

/* ---- text checks ---- */

/* utf8_len - code points in S, or -1 when S is not valid UTF-8 (overlong
 * forms, surrogates and values past U+10FFFF included). */
static long
utf8_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;

    while (*p) {
        unsigned long cp, min;
        unsigned need;

        if (*p < 0x80) {
            p++;
            n++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0) {
            need = 1, cp = *p & 0x1f, min = 0x80;
        } else if ((*p & 0xf0) == 0xe0) {
            need = 2, cp = *p & 0x0f, min = 0x800;
        } else if ((*p & 0xf8) == 0xf0) {
            need = 3, cp = *p & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        p++;
        /* A NUL ends the loop here too: it is not a continuation byte. */
        for (unsigned i = 0; i < need; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        n++;
    }
    return n;
}

enum {
    T_ASCII = 1,    /* printable ASCII only */
    T_NOBLANK = 2,  /* at least one character that is not a space */
    T_NEWLINES = 4, /* newlines and tabs allowed (descriptions) */
};

/* check_text - V (of the setting S, called LABEL in messages, e.g.
 * "'metric'") holds 1 to MAX characters of UTF-8 without control
 * characters, or what FLAGS say.  Returns 0 or -1 (reported). */
static int
check_text(struct scope *sc, const config_setting_t *s, const char *label,
           const char *v, long max, int flags)
{
    const unsigned char *p;
    long n;
    int blank = 1;

    if (!*v) {
        serr(sc, s, "%s must not be empty", label);
        return -1;
    }
    for (p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            if ((flags & T_NEWLINES) && (*p == '\n' || *p == '\t'))
                continue;
            serr(sc, s, "%s must not contain control characters", label);
            return -1;
        }
        if ((flags & T_ASCII) && *p >= 0x80) {
            serr(sc, s, "%s must be printable ASCII", label);
            return -1;
        }
        if (*p != ' ')
            blank = 0;
    }
    n = utf8_len(v);
    if (n < 0) {
        serr(sc, s, "%s is not valid UTF-8", label);
        return -1;
    }
    if (n > max) {
        serr(sc, s, "%s must be at most %ld characters, not %ld", label, max,
             n);
        return -1;
    }
    if ((flags & T_NOBLANK) && blank) {
        serr(sc, s, "%s must not be blank", label);
        return -1;
    }
    return 0;
}

/* ---- typed getters: 1 = present and fine, 0 = absent, -1 = reported ---- */

static const config_setting_t *
get(const struct scope *sc, const char *key)
{
    return config_setting_get_member(sc->g, key);
}

static int
get_str(struct scope *sc, const char *key, int required, const char **out,
        const config_setting_t **sp)
{
    const config_setting_t *s = get(sc, key);
    const char *v;

    *out = NULL;
    if (sp)
        *sp = s;
    if (!s) {
        if (required)
            serr(sc, sc->g, "'%s' is required", key);
        return 0;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        serr(sc, s, "'%s' must be a string", key);
        return -1;
    }
    v = config_setting_get_string(s);
    *out = v ? v : "";
    return 1;
}

static int
get_int(struct scope *sc, const char *key, int required, long min, long max,
        int *out, const config_setting_t **sp)
{
    const config_setting_t *s = get(sc, key);
    long long v;

    if (sp)
        *sp = s;
    if (!s) {
        if (required)
            serr(sc, sc->g, "'%s' is required", key);
        return 0;
    }
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = config_setting_get_int64(s); break;
    default: serr(sc, s, "'%s' must be an integer", key); return -1;
    }
    if (v < min || v > max) {
        if (max == INT_MAX && v > max)
            serr(sc, s, "'%s' is too large: %lld", key, v);
        else if (max == INT_MAX)
            serr(sc, s, "'%s' must be at least %ld, not %lld", key, min, v);
        else
            serr(sc, s, "'%s' must be between %ld and %ld, not %lld", key, min,
                 max, v);
        return -1;
    }
    *out = (int)v;
    return 1;
}

static int
get_num(struct scope *sc, const char *key, int required, double *out,
        const config_setting_t **sp)
{
    const config_setting_t *s = get(sc, key);
    double v;

    if (sp)
        *sp = s;
    if (!s) {
        if (required)
            serr(sc, sc->g, "'%s' is required", key);
        return 0;
    }
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
    default: serr(sc, s, "'%s' must be a number", key); return -1;
    }
    if (!isfinite(v)) {
        serr(sc, s, "'%s' must be a finite number", key);
        return -1;
    }
    *out = v;
    return 1;
}

static int
get_bool(struct scope *sc, const char *key, int *out)
{
    const config_setting_t *s = get(sc, key);

    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        serr(sc, s, "'%s' must be true or false", key);
        return -1;
    }
    *out = config_setting_get_bool(s) ? 1 : 0;
    return 1;
}

/* get_path - a file name, made absolute into *out (new). */
static int
get_path(struct scope *sc, const char *key, int required, char **out)
{
    const config_setting_t *s;
    const char *v;
    char label[64];
    int r = get_str(sc, key, required, &v, &s);

    if (r <= 0)
        return r;
    (void)snprintf(label, sizeof(label), "'%s'", key);
    if (check_text(sc, s, label, v, 4096, 0) < 0)
        return -1;
    free(*out);
    *out = resolve(sc->x, v);
    return 1;
}

/* get_strlist - KEY is an array (or list) of strings: *sp is it. */
static int
get_strlist(struct scope *sc, const char *key, int required,
            const config_setting_t **sp)
{
    const config_setting_t *s = get(sc, key);
    int type;

    *sp = s;
    if (!s) {
        if (required)
            serr(sc, sc->g, "'%s' is required", key);
        return 0;
    }
    type = config_setting_type(s);
    if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) {
        int ok = 1;
        for (int i = 0; i < config_setting_length(s); i++)
            if (config_setting_type(config_setting_get_elem(s, i)) !=
                CONFIG_TYPE_STRING)
                ok = 0;
        if (ok)
            return 1;
    }
    if (type == CONFIG_TYPE_STRING)
        serr(sc, s, "'%s' must be an array of strings: %s = [ \"%s\" ];", key,
             key, config_setting_get_string(s));
    else
        serr(sc, s, "'%s' must be an array of strings", key);
    return -1;
}

static const char *
elem_str(const config_setting_t *list, int i, const config_setting_t **sp)
{
    const config_setting_t *e = config_setting_get_elem(list, i);
    const char *v = config_setting_get_string(e);

    *sp = e;
    return v ? v : "";
}

/* ---- unknown keys ---- */

struct key_hint {
    const char *key;
    const char *hint;
};

/* Keys people reach for when they mean to paste a secret. */
static const struct key_hint secret_keys[] = {
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

static const struct key_hint rule_later_keys[] = {
    {"threshold_metric_id", "anomaly-detection alarms are not supported"},
    {NULL, NULL},
};

static const char *
hint_of(const struct key_hint *h, const char *key)
{
    for (; h && h->key; h++)
        if (strcmp(h->key, key) == 0)
            return h->hint;
    return NULL;
}

/* why_fn - a parenthesised reason a key that is not allowed here exists
 * elsewhere ("only for sns notifiers"), written into BUF; or NULL. */
typedef const char *why_fn(const char *key, const void *arg, char *buf,
                           size_t size);

/* check_keys - every member of the scope's group is in ALLOWED; the others
 * are reported on their own line.  Returns the number reported. */
static int
check_keys(struct scope *sc, const char *const *allowed,
           const struct key_hint *later, why_fn *why, const void *arg)
{
    int n = 0;

    for (int i = 0; i < config_setting_length(sc->g); i++) {
        const config_setting_t *s = config_setting_get_elem(sc->g, i);
        const char *k = config_setting_name(s), *h;
        char buf[256];

        if (!k || in_list(allowed, k))
            continue;
        n++;
        h = hint_of(secret_keys, k);
        if (h) {
            serr(sc, s, "'%s': secrets never live in the config: %s", k, h);
            continue;
        }
        h = hint_of(later, k);
        if (h) {
            serr(sc, s, "'%s': %s", k, h);
            continue;
        }
        h = why ? why(k, arg, buf, sizeof(buf)) : NULL;
        if (!sc->what[0])
            report_at(sc->x, file_of(sc->x, s), line_of(s),
                      "unknown top-level key '%s'", k);
        else if (h)
            report_at(sc->x, file_of(sc->x, s), line_of(s),
                      "unknown key '%s' in %s (%s)", k, sc->what, h);
        else
            report_at(sc->x, file_of(sc->x, s), line_of(s),
                      "unknown key '%s' in %s", k, sc->what);
    }
    return n;
}

/* ---- value checks ---- */

static int
valid_region(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || is_digit(*s) || *s == '-'))
            return 0;
    return 1;
}

/* valid_sns_arn - arn:<partition>:sns:<region>:<12 digits>:<topic> where
 * the topic is 1-256 of [A-Za-z0-9_-], FIFO topics ending in ".fifo".
 * The partition is checked loosely (aws, aws-cn, aws-us-gov, ...): ARNs
 * must not hard-code "aws" (aws-reference.md section 10.3). */
static int
valid_sns_arn(const char *s)
{
    const char *f[6], *p = s;
    size_t len[6], n;
    int k = 0;

    for (;;) {
        const char *c = strchr(p, ':');
        if (k == 5) {
            f[k] = p;
            len[k] = strlen(p);
            break;
        }
        if (!c)
            return 0;
        f[k] = p;
        len[k++] = (size_t)(c - p);
        p = c + 1;
    }
    if (len[0] != 3 || memcmp(f[0], "arn", 3) != 0)
        return 0;
    if (len[1] < 3 || memcmp(f[1], "aws", 3) != 0 ||
        (len[1] > 3 && f[1][3] != '-'))
        return 0;
    for (size_t i = 3; i < len[1]; i++)
        if (!((f[1][i] >= 'a' && f[1][i] <= 'z') || f[1][i] == '-'))
            return 0;
    if (len[2] != 3 || memcmp(f[2], "sns", 3) != 0)
        return 0;
    if (len[3] == 0 || len[3] > 64)
        return 0;
    for (size_t i = 0; i < len[3]; i++)
        if (!((f[3][i] >= 'a' && f[3][i] <= 'z') || is_digit(f[3][i]) ||
              f[3][i] == '-'))
            return 0;
    if (len[4] != 12)
        return 0;
    for (size_t i = 0; i < 12; i++)
        if (!is_digit(f[4][i]))
            return 0;
    n = len[5];
    if (n > 5 && strcmp(f[5] + n - 5, ".fifo") == 0)
        n -= 5;
    if (n == 0 || len[5] > 256)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(is_alnum(f[5][i]) || f[5][i] == '_' || f[5][i] == '-'))
            return 0;
    return 1;
}

/* valid_addr - a plain addr-spec, local@domain, in ASCII: what we put in
 * SMTP MAIL FROM / RCPT TO and in headers, so nothing that could start a
 * new line or a second address. */
static int
valid_addr(const char *s)
{
    const char *at = strrchr(s, '@');
    size_t n = strlen(s);

    if (!at || at == s || !at[1] || n > 254 || (size_t)(at - s) > 64)
        return 0;
    for (const char *p = s; p < at; p++)
        if (!(is_alnum(*p) || strchr("!#$%&'*+-/=?^_`{|}~.", *p)))
            return 0;
    if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
        return 0;
    for (const char *p = at + 1; *p; p++)
        if (!(is_alnum(*p) || *p == '-' || *p == '.'))
            return 0;
    return at[1] != '.' && s[n - 1] != '.';
}

/* check_url - V is <scheme>://host[:port][/...] with a scheme from
 * SCHEMES, no spaces, control characters or credentials.  *scheme is the
 * index in SCHEMES, HOST receives the host, *path where the path starts.
 * Returns 0 or -1 (reported). */
static int
check_url(struct scope *sc, const config_setting_t *s, const char *key,
          const char *v, const char *const *schemes, const char *cred_hint,
          int *scheme, char *host, size_t hostlen, const char **path)
{
    const char *p, *a, *end, *h, *he;
    size_t sl;
    int i;

    for (p = v; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            serr(sc, s, "'%s' must not contain spaces or control characters",
                 key);
            return -1;
        }
    }
    for (i = 0; schemes[i]; i++) {
        sl = strlen(schemes[i]);
        if (strncasecmp(v, schemes[i], sl) == 0 &&
            strncmp(v + sl, "://", 3) == 0)
            break;
    }
    if (!schemes[i]) {
        serr(sc, s, "'%s' must start with %s:// or %s://, not '%s'", key,
             schemes[0], schemes[1], v);
        return -1;
    }
    *scheme = i;
    a = v + strlen(schemes[i]) + 3;
    end = a + strcspn(a, "/?#");
    if (memchr(a, '@', (size_t)(end - a))) {
        serr(sc, s, "'%s' must not hold credentials: %s", key, cred_hint);
        return -1;
    }
    h = a;
    if (*h == '[') {
        he = memchr(h, ']', (size_t)(end - h));
        if (!he) {
            serr(sc, s, "'%s' has an invalid host", key);
            return -1;
        }
        he++;
    } else {
        he = memchr(h, ':', (size_t)(end - h));
        if (!he)
            he = end;
    }
    if (he == h) {
        serr(sc, s, "'%s' has no host", key);
        return -1;
    }
    if ((size_t)(he - h) >= hostlen) {
        serr(sc, s, "'%s' has a host name that is too long", key);
        return -1;
    }
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    if (he < end) {
        long port;
        char pbuf[8];
        size_t pl = (size_t)(end - he - 1);

        if (*he != ':' || pl == 0 || pl >= sizeof(pbuf)) {
            serr(sc, s, "'%s' has an invalid port", key);
            return -1;
        }
        memcpy(pbuf, he + 1, pl);
        pbuf[pl] = '\0';
        if (sw_parse_long(pbuf, 1, 65535, &port) < 0 || !is_digit(pbuf[0])) {
            serr(sc, s, "'%s' has an invalid port", key);
            return -1;
        }
    }
    *path = end;
    return 0;
}

static const char *const http_schemes[] = {"http", "https", NULL};
static const char *const smtp_schemes[] = {"smtp", "smtps", NULL};

/* ---- secrets in clear ---- */

/* get_allow_insecure - the group's allow_insecure into *out (0 when
 * absent), its setting into *sp.  Returns 1 or 0 as get_bool(), -1 when
 * it is not a boolean (reported; the caller then judges nothing, so one
 * mistake gives one message). */
static int
get_allow_insecure(struct scope *sc, int *out, const config_setting_t **sp)
{
    *sp = get(sc, "allow_insecure");
    *out = 0;
    return get_bool(sc, "allow_insecure", out);
}

/* report_cleartext - R and WHY are what a cleartext check (see conf.h)
 * said: a refusal is an error at AT, the setting that sends the secret;
 * a pass that only allow_insecure = true made is a warning at SA, its
 * setting, and so is allow_insecure = true where nothing needs it: left
 * there, it would let a later http:// url through without a word. */
static void
report_cleartext(struct scope *sc, int r, const char *why,
                 const config_setting_t *at, const config_setting_t *sa,
                 int allow)
{
    if (r < 0)
        serr(sc, at, "%s", why);
    else if (r == 1)
        swarn(sc, sa, "%s", why);
    else if (allow)
        swarn(sc, sa,
              "'allow_insecure' is not needed: nothing secret crosses the "
              "network in clear here; remove it so that a later change "
              "that would is refused");
}

/* ---- action lists ---- */

static int
find_notifier(const struct ctx *x, const char *name)
{
    for (size_t i = 0; i < x->nnseen; i++)
        if (strcmp(x->nseen[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* load_actions - KEY lists notifier names, or raw SNS topic ARNs when
 * ALLOW_ARN; at most MAX entries (LIMIT says whose limit), no repeats. */
static void
load_actions(struct scope *sc, const char *key, int allow_arn, int max,
             const char *limit, struct sw_strv *out)
{
    const config_setting_t *s, *e, *pe;
    int n;

    if (get_strlist(sc, key, 0, &s) <= 0)
        return;
    n = config_setting_length(s);
    if (n > max) {
        serr(sc, s, "%s: at most %d actions%s, not %d", key, max, limit, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *v = elem_str(s, i, &e);
        int dupl = 0, k;

        for (int j = 0; j < i && !dupl; j++)
            dupl = strcmp(elem_str(s, j, &pe), v) == 0;
        if (dupl) {
            serr(sc, e, "%s: '%s' is listed twice", key, v);
            continue;
        }
        if (strncmp(v, "arn:", 4) == 0) {
            if (!allow_arn) {
                serr(sc, e,
                     "%s: '%s': raw ARNs are not accepted here: "
                     "define an sns notifier",
                     key, v);
                continue;
            }
            if (!valid_sns_arn(v)) {
                serr(sc, e,
                     "%s: '%s' is not an SNS topic ARN "
                     "(arn:aws:sns:REGION:ACCOUNT:TOPIC)",
                     key, v);
                continue;
            }
        } else {
            k = find_notifier(sc->x, v);
            if (k < 0) {
                serr(sc, e, "%s: unknown notifier '%s'", key, v);
                continue;
            }
            sc->x->nused[k] = 1;
        }
        if (sw_strv_push(out, v) < 0)
            sc->x->oom = 1;
    }
}

static int
get_repeat(struct scope *sc, int *out)
{
    const config_setting_t *s;
    int v, r = get_int(sc, "repeat_interval", 0, 0, MAX_REPEAT_S, &v, &s);

    if (r <= 0)
        return r;
    if (v > 0 && v < 60) {
        serr(sc, s,
             "'repeat_interval' must be 0 (off) or at least 60 "
             "seconds, not %d",
             v);
        return -1;
    }
    *out = v;
    return 1;
}

/* ---- notifiers ---- */

static const char *const notifier_types[] = {"log",     "sns",          "email",
                                             "webhook", "alertmanager", NULL};

#define NTYPES 5

static const char *const notifier_common_keys[] = {
    "name", "type", "repeat_interval", "max_age", NULL};

static const char *const notifier_type_keys[NTYPES][10] = {
    [SW_NOTIFIER_LOG] = {"path", NULL},
    [SW_NOTIFIER_SNS] = {"topic_arn", NULL},
    [SW_NOTIFIER_EMAIL] = {"url", "tls", "username", "password_file", "from",
                           "to", "ca_file", "allow_insecure", NULL},
    [SW_NOTIFIER_WEBHOOK] = {"url", "format", "headers", "secret_file",
                             "bearer_token_file", "allow_insecure", NULL},
    [SW_NOTIFIER_ALERTMANAGER] = {"url", NULL},
};

const char *
sw_conf_notifier_type_name(enum sw_notifier_type t)
{
    return (unsigned)t < NTYPES ? notifier_types[t] : "?";
}

static const char *
notifier_key_why(const char *key, const void *arg, char *buf, size_t size)
{
    size_t len = 0;
    int found = 0;

    (void)arg;
    for (int t = 0; t < NTYPES; t++) {
        int n;
        if (!in_list(notifier_type_keys[t], key))
            continue;
        n = snprintf(buf + len, size - len, "%s%s", found ? ", " : "only for ",
                     notifier_types[t]);
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

static int
valid_notifier_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 || !is_alnum(s[0]))
        return 0;
    for (; *s; s++)
        if (!(is_alnum(*s) || *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static int
valid_tchar(int ch)
{
    return is_alnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static void
load_headers(struct scope *sc, struct sw_notifier_conf *n)
{
    static const char *const reserved[] = {"host",
                                           "content-type",
                                           "content-length",
                                           "transfer-encoding",
                                           "connection",
                                           "user-agent",
                                           NULL};
    const config_setting_t *s = get(sc, "headers");
    int len;

    if (!s)
        return;
    if (!config_setting_is_group(s)) {
        serr(sc, s,
             "'headers' must be a group: headers = { X-Team = "
             "\"ops\"; };");
        return;
    }
    len = config_setting_length(s);
    if (len > MAX_HEADERS) {
        serr(sc, s, "'headers': at most %d headers, not %d", MAX_HEADERS, len);
        return;
    }
    n->headers = calloc((size_t)len + 1, sizeof(*n->headers));
    if (!n->headers) {
        sc->x->oom = 1;
        return;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *h = config_setting_get_elem(s, i);
        const char *name = config_setting_name(h), *v;
        char label[128], lower[128];
        int bad = 0;

        for (const char *p = name; *p; p++)
            if (!valid_tchar((unsigned char)*p))
                bad = 1;
        if (bad || !name[0] || strlen(name) >= sizeof(lower)) {
            serr(sc, h, "header name '%s' is not a valid HTTP token", name);
            continue;
        }
        for (size_t j = 0; name[j]; j++)
            lower[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32
                                                               : name[j]);
        lower[strlen(name)] = '\0';
        if (strcmp(lower, "authorization") == 0) {
            serr(sc, h,
                 "header '%s': secrets never live in the config: "
                 "use bearer_token_file",
                 name);
            continue;
        }
        if (in_list(reserved, lower) ||
            strncmp(lower, "x-streamwatch-", 14) == 0) {
            serr(sc, h, "header '%s' is set by streamwatch", name);
            continue;
        }
        for (size_t j = 0; j < n->nheaders; j++)
            if (n->headers[j].name && strcasecmp(n->headers[j].name, name) == 0)
                bad = 1;
        if (bad) {
            serr(sc, h, "header '%s' is set twice", name);
            continue;
        }
        if (config_setting_type(h) != CONFIG_TYPE_STRING) {
            serr(sc, h, "header '%s' must be a string", name);
            continue;
        }
        v = config_setting_get_string(h);
        (void)snprintf(label, sizeof(label), "header '%s'", name);
        /* Values go on the wire as they are: no CR or LF, so nothing can
         * start a header of its own. */
        if (check_text(sc, h, label, v ? v : "", 4096, 0) < 0)
            continue;
        n->headers[n->nheaders].name = copy_str(sc->x, name);
        n->headers[n->nheaders].value = copy_str(sc->x, v);
        n->nheaders++;
    }
}

static void
load_email(struct scope *sc, struct sw_notifier_conf *n)
{
    static const char *const modes[] = {"starttls", "implicit", "none", NULL};
    const config_setting_t *su, *st, *sn, *sp, *s, *e, *sa;
    const char *v, *path;
    char host[256] = "", why[512];
    int scheme = -1, have_user, have_pass, allow;

    if (get_str(sc, "url", 1, &v, &su) == 1 &&
        check_url(sc, su, "url", v, smtp_schemes,
                  "use username and password_file", &scheme, host, sizeof(host),
                  &path) == 0)
        n->url = copy_str(sc->x, v);
    if (get_str(sc, "tls", 1, &v, &st) == 1) {
        if (!in_list(modes, v)) {
            serr(sc, st,
                 "'tls' must be one of starttls, implicit, none, "
                 "not '%s'",
                 v);
        } else {
            n->tls = copy_str(sc->x, v);
            if (n->url && scheme == 1 && strcmp(v, "implicit") != 0)
                serr(sc, st,
                     "'tls' \"%s\" needs an smtp:// url (smtps:// "
                     "means implicit TLS)",
                     v);
            else if (n->url && scheme == 0 && strcmp(v, "implicit") == 0)
                serr(sc, st, "'tls' \"implicit\" needs an smtps:// url");
        }
    }
    have_user = get_str(sc, "username", 0, &v, &sn);
    if (have_user == 1 && check_text(sc, sn, "'username'", v, 256, 0) == 0)
        n->username = copy_str(sc->x, v);
    have_pass = get_path(sc, "password_file", 0, &n->password_file);
    sp = get(sc, "password_file");
    if (have_user == 1 && have_pass == 0 && !get(sc, "password"))
        serr(sc, sn, "'username' needs 'password_file'");
    if (have_pass == 1 && have_user == 0)
        serr(sc, sp, "'password_file' needs 'username'");
    /* SMTP AUTH without TLS puts the password on the wire: the
     * notifier's own judgement (email.h). */
    if (get_allow_insecure(sc, &allow, &sa) >= 0 && n->url && n->tls) {
        enum sw_email_tls tls;

        if (sw_email_tls_parse(n->tls, &tls) == 0) {
            int r = sw_email_cleartext_check(n->url, tls, have_user == 1, allow,
                                             why, sizeof(why));
            report_cleartext(sc, r, why, sn, sa, allow);
            n->allow_insecure = allow;
        }
    }
    if (get_str(sc, "from", 1, &v, &s) == 1) {
        if (!valid_addr(v))
            serr(sc, s,
                 "'from' must be a plain address like "
                 "streamwatch@example.com, not '%s'",
                 v);
        else
            n->from = copy_str(sc->x, v);
    }
    if (get_strlist(sc, "to", 1, &s) == 1) {
        int len = config_setting_length(s);
        if (len == 0)
            serr(sc, s, "'to' must list at least one address");
        if (len > MAX_RECIPIENTS)
            serr(sc, s, "'to': at most %d addresses, not %d", MAX_RECIPIENTS,
                 len);
        for (int i = 0; i < len && i < MAX_RECIPIENTS; i++) {
            v = elem_str(s, i, &e);
            if (!valid_addr(v))
                serr(sc, e,
                     "'to': '%s' is not a plain address like "
                     "oncall@example.com",
                     v);
            else if (sw_strv_push(&n->to, v) < 0)
                sc->x->oom = 1;
        }
    }
    (void)get_path(sc, "ca_file", 0, &n->ca_file);
}

static void
load_notifier(struct ctx *x, const config_setting_t *g, size_t idx)
{
    static const char *const formats[] = {"cloudwatch", "alertmanager", "slack",
                                          NULL};
    struct sw_conf *c = x->c;
    struct sw_notifier_conf *n, *nv;
    struct scope sc;
    const config_setting_t *s;
    const config_setting_t *su = NULL, *sa;
    const char *v, *path;
    const char *allowed[24];
    size_t na = 0;
    char host[256], why[512];
    int type = -1, scheme, allow;

    nv = realloc(c->notifiers, (c->nnotifiers + 1) * sizeof(*nv));
    if (!nv) {
        x->oom = 1;
        return;
    }
    c->notifiers = nv;
    n = &nv[c->nnotifiers++];
    memset(n, 0, sizeof(*n));
    n->line = (int)line_of(g);
    n->max_age_s = 86400;
    scope_init(&sc, x, g, "");
    scope_name(&sc, "notifier #%zu", idx + 1);

    if (get_str(&sc, "name", 1, &v, &s) == 1) {
        if (!valid_notifier_name(v)) {
            serr(&sc, s,
                 "notifier name '%s' must be 1-64 letters, digits, "
                 "'-', '_' or '.', starting with a letter or digit",
                 v);
        } else {
            int k = find_notifier(x, v);
            if (k >= 0) {
                const struct seen *f = &x->nseen[k];
                if (strcmp(f->file, file_of(x, s)) == 0)
                    report_at(x, file_of(x, s), line_of(s),
                              "duplicate notifier name '%s' (first defined "
                              "at line %u)",
                              v, f->line);
                else
                    report_at(x, file_of(x, s), line_of(s),
                              "duplicate notifier name '%s' (first defined "
                              "at %s:%u)",
                              v, f->file, f->line);
            } else {
                struct seen *ns;
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
                ns[x->nnseen].name = v;
                ns[x->nnseen].file = file_of(x, s);
                ns[x->nnseen].line = line_of(s);
                ns[x->nnseen].stream = NULL;
                nu[x->nnseen++] = 0;
            }
            n->name = copy_str(x, v);
            scope_name(&sc, "notifier '%s'", v);
        }
    }
    if (get_str(&sc, "type", 1, &v, &s) == 1) {
        for (int t = 0; notifier_types[t]; t++)
            if (strcmp(v, notifier_types[t]) == 0)
                type = t;
        if (type < 0)
            serr(&sc, s,
                 "'type' must be one of log, sns, email, webhook, "
                 "alertmanager, not '%s'",
                 v);
    }

    for (size_t i = 0; notifier_common_keys[i]; i++)
        allowed[na++] = notifier_common_keys[i];
    /* An unknown type was reported already: accept every type's keys so
     * that one mistake does not cascade. */
    allowed[na] = NULL;
    for (int t = 0; t < NTYPES; t++) {
        if (type >= 0 && t != type)
            continue;
        for (size_t i = 0; notifier_type_keys[t][i]; i++) {
            if (in_list(allowed, notifier_type_keys[t][i]))
                continue;
            allowed[na++] = notifier_type_keys[t][i];
            allowed[na] = NULL;
        }
    }
    check_keys(&sc, allowed, NULL, type >= 0 ? notifier_key_why : NULL, NULL);

    (void)get_repeat(&sc, &n->repeat_interval_s);
    (void)get_int(&sc, "max_age", 0, 60, MONTH_S, &n->max_age_s, NULL);
    if (type < 0)
        return;
    n->type = (enum sw_notifier_type)type;

    switch (n->type) {
    case SW_NOTIFIER_LOG: {
        int r = get_str(&sc, "path", 0, &v, &s);
        if (r == 0 || (r == 1 && strcmp(v, "-") == 0))
            n->path = copy_str(x, "-");
        else if (r == 1)
            (void)get_path(&sc, "path", 0, &n->path);
        break;
    }
    case SW_NOTIFIER_SNS:
        if (get_str(&sc, "topic_arn", 1, &v, &s) == 1) {
            if (!valid_sns_arn(v))
                serr(&sc, s,
                     "'topic_arn' must be an SNS topic ARN like "
                     "arn:aws:sns:ap-northeast-1:123456789012:ops, not "
                     "'%s'",
                     v);
            else
                n->topic_arn = copy_str(x, v);
        }
        break;
    case SW_NOTIFIER_EMAIL: load_email(&sc, n); break;
    case SW_NOTIFIER_WEBHOOK:
        if (get_str(&sc, "url", 1, &v, &su) == 1 &&
            check_url(&sc, su, "url", v, http_schemes,
                      "use bearer_token_file or secret_file", &scheme, host,
                      sizeof(host), &path) == 0)
            n->url = copy_str(x, v);
        if (get_str(&sc, "format", 0, &v, &s) == 1 && !in_list(formats, v))
            serr(&sc, s,
                 "'format' must be one of cloudwatch, alertmanager, "
                 "slack, not '%s'",
                 v);
        else
            n->format = copy_str(x, v ? v : "cloudwatch");
        load_headers(&sc, n);
        (void)get_path(&sc, "secret_file", 0, &n->secret_file);
        (void)get_path(&sc, "bearer_token_file", 0, &n->bearer_token_file);
        /* A secret_file or bearer_token_file key that was refused still
         * means to send a secret. */
        if (get_allow_insecure(&sc, &allow, &sa) >= 0 && n->url) {
            int r = sw_webhook_cleartext_check(
                n->url, get(&sc, "bearer_token_file") != NULL,
                get(&sc, "secret_file") != NULL, allow, why, sizeof(why));
            report_cleartext(&sc, r, why, su, sa, allow);
            n->allow_insecure = allow;
        }
        break;
    case SW_NOTIFIER_ALERTMANAGER:
        if (get_str(&sc, "url", 1, &v, &s) == 1 &&
            check_url(&sc, s, "url", v, http_schemes,
                      "put the credentials in a reverse proxy", &scheme, host,
                      sizeof(host), &path) == 0) {
            if (strstr(path, "/api/"))
                serr(&sc, s,
                     "'url' is Alertmanager's base URL, like "
                     "http://127.0.0.1:9093: streamwatch adds "
                     "/api/v2/alerts");
            else
                n->url = copy_str(x, v);
        }
        break;
    }
}

/* ---- rules ---- */

#define MAX_STREAMS   100 /* entries in one template's 'streams' */
#define MAX_METRIC_ID 255 /* MetricDataQuery Id */

/* clang-format off */
static const char *const rule_keys[] = {
    "name", "description", "namespace", "metric", "dimensions", "statistic",
    "unit", "period", "threshold", "comparison", "evaluation_periods",
    "datapoints_to_alarm", "evaluation_range", "treat_missing_data",
    "evaluate_low_sample_count_percentile", "alarm_actions", "ok_actions",
    "insufficient_data_actions", "actions_enabled", "sync",
    "repeat_interval", "labels", "streams", "metrics", "expression", NULL};

/* What a single-metric rule sets at its level and a metric-math rule in
 * each of its metrics: PutMetricAlarm's Metrics excludes them. */
static const char *const metric_stat_keys[] = {
    "namespace", "metric", "dimensions", "statistic", "unit", NULL};

static const char *const metric_keys[] = {
    "id", "namespace", "metric", "dimensions", "statistic", "unit", NULL};

/* StandardUnit (aws-reference.md section 2.1). */
static const char *const standard_units[] = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
    "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
    "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None", NULL};

static const char *const anomaly_ops[] = {
    "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
    "GreaterThanUpperThreshold", NULL};
/* clang-format on */

/* push_rule - append R to *V.  Steals: r (freed when that fails). */
static int
push_rule(struct ctx *x, struct sw_rule ***v, size_t *n, struct sw_rule *r)
{
    struct sw_rule **nv = realloc(*v, (*n + 1) * sizeof(*nv));

    if (!nv) {
        sw_rule_free(r);
        x->oom = 1;
        return -1;
    }
    *v = nv;
    nv[(*n)++] = r;
    return 0;
}

/* ---- alarm names ---- */

static int
find_rule(const struct ctx *x, const char *name)
{
    for (size_t i = 0; i < x->nrseen; i++)
        if (strcmp(x->rseen[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* note_rule - remember an alarm (or template) name.  NAME, FILE and
 * STREAM are borrowed: from libconfig, or from an alarm in c->rules. */
static void
note_rule(struct ctx *x, const char *name, const char *file, unsigned line,
          const char *stream)
{
    struct seen *rs = realloc(x->rseen, (x->nrseen + 1) * sizeof(*rs));

    if (!rs) {
        x->oom = 1;
        return;
    }
    x->rseen = rs;
    rs[x->nrseen].name = name;
    rs[x->nrseen].file = file;
    rs[x->nrseen].line = line;
    rs[x->nrseen++].stream = stream;
}

/* first_defined - where the alarm F was defined, for a message written
 * in FILE: "line 3", "other.conf:3", plus " for stream 'orders'" when it
 * is a template's alarm.  Returns: new, or NULL (x->oom set). */
static char *
first_defined(struct ctx *x, const struct seen *f, const char *file)
{
    struct sw_buf b;
    char *s = NULL;
    int r;

    sw_buf_init(&b, 64 * 1024);
    if (strcmp(f->file, file) == 0)
        r = sw_buf_addf(&b, "line %u", f->line);
    else
        r = sw_buf_addf(&b, "%s:%u", f->file, f->line);
    if (r == 0 && f->stream)
        r = sw_buf_addf(&b, " for stream '%s'", f->stream);
    if (r == 0)
        s = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
    if (!s)
        x->oom = 1;
    return s;
}

/* ---- dimensions, metrics, expression ---- */

/* load_dimensions - the scope's 'dimensions' into *dims.  TMPL: the rule
 * is a template, whose alarms watch their own stream unless the group
 * says otherwise: { StreamName = "{stream}"; } when the key is absent
 * (PRODUCT.md section 2).  An explicit empty group means no dimensions. */
static void
load_dimensions(struct scope *sc, int tmpl, struct sw_dimension **dims,
                size_t *ndims)
{
    const config_setting_t *s = get(sc, "dimensions");
    int len;

    if (!s) {
        if (!tmpl)
            return;
        *dims = calloc(1, sizeof(**dims));
        if (!*dims) {
            sc->x->oom = 1;
            return;
        }
        (*dims)[0].name = copy_str(sc->x, "StreamName");
        (*dims)[0].value = copy_str(sc->x, SW_STREAM_PLACEHOLDER);
        *ndims = 1;
        return;
    }
    if (!config_setting_is_group(s)) {
        serr(sc, s,
             "'dimensions' must be a group: dimensions = { "
             "StreamName = \"orders\"; };");
        return;
    }
    len = config_setting_length(s);
    if (len > SW_MAX_DIMENSIONS) {
        serr(sc, s, "'dimensions': at most %d dimensions, not %d",
             SW_MAX_DIMENSIONS, len);
        return;
    }
    *dims = calloc((size_t)len + 1, sizeof(**dims));
    if (!*dims) {
        sc->x->oom = 1;
        return;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *d = config_setting_get_elem(s, i);
        const char *name = config_setting_name(d), *v;
        char label[300];

        /* libconfig names cannot start with ':' or hold spaces, but
         * CloudWatch's rules are checked here in case that ever changes. */
        (void)snprintf(label, sizeof(label), "dimension name '%s'", name);
        if (check_text(sc, d, label, name, 255, T_ASCII | T_NOBLANK) < 0)
            continue;
        if (name[0] == ':') {
            serr(sc, d, "%s must not start with ':'", label);
            continue;
        }
        (void)snprintf(label, sizeof(label), "dimension '%s'", name);
        if (config_setting_type(d) != CONFIG_TYPE_STRING) {
            serr(sc, d, "%s must be a string", label);
            continue;
        }
        v = config_setting_get_string(d);
        if (check_text(sc, d, label, v ? v : "", 1024, T_ASCII | T_NOBLANK) < 0)
            continue;
        /* Outside a template the placeholder would reach CloudWatch as
         * text and match no metric: an alarm forever short of data. */
        if (!tmpl && strstr(v, SW_STREAM_PLACEHOLDER)) {
            serr(sc, d,
                 "%s: {stream} is replaced only in templated rules "
                 "(rules with 'streams')",
                 label);
            continue;
        }
        (*dims)[*ndims].name = copy_str(sc->x, name);
        (*dims)[*ndims].value = copy_str(sc->x, v);
        (*ndims)++;
    }
}

/* load_metric_stat - namespace, metric, dimensions, statistic and unit of
 * the scope's group: a single-metric rule, or one metric of a metric-math
 * rule; each pointer receives a new string. */
static void
load_metric_stat(struct scope *sc, int tmpl, char **ns, char **metric,
                 struct sw_dimension **dims, size_t *ndims, char **stat,
                 char **unit)
{
    const config_setting_t *s;
    const char *v;

    if (get_str(sc, "namespace", 0, &v, &s) == 1) {
        if (check_text(sc, s, "'namespace'", v, 255, T_ASCII | T_NOBLANK) < 0)
            ;
        else if (v[0] == ':')
            serr(sc, s, "'namespace' must not start with ':'");
        else
            *ns = copy_str(sc->x, v);
    } else {
        *ns = copy_str(sc->x, "AWS/Kinesis");
    }
    if (get_str(sc, "metric", 1, &v, &s) == 1 &&
        check_text(sc, s, "'metric'", v, 255, T_ASCII | T_NOBLANK) == 0)
        *metric = copy_str(sc->x, v);
    load_dimensions(sc, tmpl, dims, ndims);
    if (get_str(sc, "statistic", 1, &v, &s) == 1) {
        if (!sw_stat_is_valid(v))
            serr(sc, s,
                 "'statistic' must be Sum, Average, Minimum, "
                 "Maximum, SampleCount or a percentile p0 to p100 (p99, "
                 "p99.9), not '%s'",
                 v);
        else
            *stat = copy_str(sc->x, v);
    }
    if (get_str(sc, "unit", 0, &v, &s) == 1) {
        if (!in_list(standard_units, v))
            serr(sc, s,
                 "'unit' must be a CloudWatch StandardUnit (Count, "
                 "Bytes, Milliseconds, Count/Second, ...), not '%s'",
                 v);
        else
            *unit = copy_str(sc->x, v);
    }
}

/* A MetricDataQuery Id: "must start with a lowercase letter", then
 * letters, digits and underscores (aws-reference.md section 3.1). */
static int
valid_metric_id(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MAX_METRIC_ID || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!(is_alnum(*s) || *s == '_'))
            return 0;
    return 1;
}

static const char *
metric_key_why(const char *key, const void *arg, char *buf, size_t size)
{
    (void)arg;
    (void)buf;
    (void)size;
    if (strcmp(key, "period") == 0)
        return "all metrics share the rule's period";
    if (in_list(rule_keys, key))
        return "a setting of the rule, not of one metric";
    return NULL;
}

/* load_metrics - the 'metrics' of a metric-math rule: 1 to
 * SW_RULE_MAX_METRICS groups, each a MetricStat with a unique id.
 * Returns 1 when every metric has a valid id, so the expression can be
 * checked against them; else 0. */
static int
load_metrics(struct scope *sc, struct sw_rule *r, int tmpl)
{
    const config_setting_t *s = get(sc, "metrics");
    unsigned lines[SW_RULE_MAX_METRICS] = {0};
    int len, ids_ok = 1;

    if (!s) {
        serr(sc, sc->g, "'metrics' is required with 'expression'");
        return 0;
    }
    if (!config_setting_is_list(s) &&
        !(config_setting_is_array(s) && config_setting_length(s) == 0)) {
        serr(sc, s,
             "'metrics' must be a list of groups: metrics = ( { id = "
             "\"w\"; metric = \"IncomingRecords\"; statistic = \"Sum\"; "
             "} );");
        return 0;
    }
    len = config_setting_length(s);
    if (len < 1 || len > SW_RULE_MAX_METRICS) {
        serr(sc, s,
             "'metrics' must list 1 to %d metrics (CloudWatch's "
             "limit for a metric-math alarm), not %d",
             SW_RULE_MAX_METRICS, len);
        return 0;
    }
    r->metrics = calloc((size_t)len, sizeof(*r->metrics));
    if (!r->metrics) {
        sc->x->oom = 1;
        return 0;
    }
    /* Every entry counts from here: sw_rule_free() takes the partial ones
     * of a rule with errors. */
    r->nmetrics = (size_t)len;
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, i), *si;
        struct sw_metric_stat *m = &r->metrics[i];
        struct scope ms;
        const char *v;
        int dup = -1;

        if (!config_setting_is_group(e)) {
            serr(sc, e,
                 "metric #%d must be a group: { id = \"w\"; metric = "
                 "\"...\"; statistic = \"Sum\"; }",
                 i + 1);
            ids_ok = 0;
            continue;
        }
        scope_init(&ms, sc->x, e, "");
        scope_name(&ms, "%s: metric #%d", sc->what, i + 1);
        if (get_str(&ms, "id", 1, &v, &si) != 1) {
            ids_ok = 0;
        } else if (!valid_metric_id(v)) {
            serr(&ms, si,
                 "'id' must be a lowercase letter followed by letters, "
                 "digits or '_' (at most %d characters), not '%s'",
                 MAX_METRIC_ID, v);
            ids_ok = 0;
        } else {
            for (int j = 0; j < i && dup < 0; j++)
                if (r->metrics[j].id && strcmp(r->metrics[j].id, v) == 0)
                    dup = j;
            if (dup >= 0) {
                serr(&ms, si, "metric id '%s' is used twice (first at line %u)",
                     v, lines[dup]);
                ids_ok = 0;
            } else {
                m->id = copy_str(sc->x, v);
                lines[i] = line_of(si);
                scope_name(&ms, "%s: metric '%s'", sc->what, v);
            }
        }
        check_keys(&ms, metric_keys, NULL, metric_key_why, NULL);
        load_metric_stat(&ms, tmpl, &m->namespace_, &m->metric, &m->dims,
                         &m->ndims, &m->stat, &m->unit);
    }
    return ids_ok;
}

/* load_expression - the alarmed expression, parsed at load time against
 * the metric ids (when IDS_OK: else every id would look unknown) so that
 * its mistakes are reported with the rest; the agent parses it again. */
static void
load_expression(struct scope *sc, struct sw_rule *r, int ids_ok)
{
    const char *ids[SW_RULE_MAX_METRICS];
    const config_setting_t *s;
    struct sw_expr *e = NULL;
    const char *v;
    char err[512];
    int rc;

    if (get_str(sc, "expression", 1, &v, &s) != 1 ||
        check_text(sc, s, "'expression'", v, SW_EXPR_MAX_LEN,
                   T_ASCII | T_NOBLANK) < 0)
        return;
    r->expression = copy_str(sc->x, v);
    if (!ids_ok || r->nmetrics > SW_RULE_MAX_METRICS)
        return;
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    err[0] = '\0';
    rc = sw_expr_parse(v, ids, r->nmetrics, &e, err, sizeof(err));
    sw_expr_free(e);
    if (rc == SW_ENOMEM)
        sc->x->oom = 1;
    else if (rc < 0)
        serr(sc, s, "expression: %s", err[0] ? err : sw_strerror(rc));
}

/* load_math - a metric-math rule: 'metrics' and 'expression', and none of
 * the single-metric keys at the rule's level. */
static void
load_math(struct scope *sc, struct sw_rule *r, int tmpl)
{
    for (size_t i = 0; metric_stat_keys[i]; i++) {
        const config_setting_t *s = get(sc, metric_stat_keys[i]);
        if (s)
            serr(sc, s,
                 "'%s' is not allowed in a metric-math rule: set it "
                 "in each of 'metrics'",
                 metric_stat_keys[i]);
    }
    load_expression(sc, r, load_metrics(sc, r, tmpl));
}

/* ---- templates ---- */

/* load_streams - a template's 'streams': 1 to MAX_STREAMS stream names or
 * patterns, none twice. */
static void
load_streams(struct scope *sc, struct sw_rule *r)
{
    const config_setting_t *s, *e, *pe;
    int n;

    if (get_strlist(sc, "streams", 1, &s) <= 0)
        return;
    n = config_setting_length(s);
    if (n < 1 || n > MAX_STREAMS) {
        serr(sc, s,
             "'streams' must list 1 to %d stream names or patterns, "
             "not %d",
             MAX_STREAMS, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *v = elem_str(s, i, &e);
        int dupl = 0;

        for (int j = 0; j < i && !dupl; j++)
            dupl = strcmp(elem_str(s, j, &pe), v) == 0;
        if (dupl) {
            serr(sc, e, "'streams': '%s' is listed twice", v);
            continue;
        }
        if (sw_stream_check(v, 1) == 0) {
            if (sw_strv_push(&r->streams, v) < 0)
                sc->x->oom = 1;
            continue;
        }
        /* Someone who wrote a class or a brace expects a glob: say which
         * of its features exist. */
        if (strpbrk(v, "*?[]{}!\\"))
            serr(sc, e,
                 "'streams': pattern '%s' may use only '*' and '?' "
                 "with letters, digits, '_', '.' and '-' (at most %d "
                 "characters)",
                 v, SW_STREAM_NAME_MAX);
        else
            serr(sc, e,
                 "'streams': '%s' is not a Kinesis stream name: 1 to %d "
                 "letters, digits, '_', '.' or '-'",
                 v, SW_STREAM_NAME_MAX);
    }
}

/* uses_stream - 1 when a dimension of the rule or of one of its metrics
 * holds {stream}. */
static int
uses_stream(const struct sw_rule *r)
{
    for (size_t i = 0; i < r->ndims; i++)
        if (strstr(r->dims[i].value, SW_STREAM_PLACEHOLDER))
            return 1;
    for (size_t i = 0; i < r->nmetrics; i++)
        for (size_t j = 0; j < r->metrics[i].ndims; j++)
            if (strstr(r->metrics[i].dims[j].value, SW_STREAM_PLACEHOLDER))
                return 1;
    return 0;
}

/* check_alarm - what an alarm made from a template must still satisfy
 * once "{stream}" is replaced: PutMetricAlarm's and GetMetricStatistics'
 * lengths, and sync.name_prefix.  Returns 0, or SW_EINVAL with ERR set. */
static int
check_alarm(const struct sw_conf *c, const struct sw_rule *a, char *err,
            size_t errlen)
{
    const char *s = a->stream;
    long n = utf8_len(a->name);

    if (n > 255) {
        sw_err_set(err, errlen,
                   "stream '%s': the alarm name would be %ld "
                   "characters long, more than 255",
                   s, n);
        return SW_EINVAL;
    }
    n = a->description ? utf8_len(a->description) : 0;
    if (n > 1024) {
        sw_err_set(err, errlen,
                   "stream '%s': 'description' would be %ld characters "
                   "long, more than 1024",
                   s, n);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < a->ndims; i++) {
        if (strlen(a->dims[i].value) > 1024) {
            sw_err_set(err, errlen,
                       "stream '%s': dimension '%s' would be longer than "
                       "1024 characters",
                       s, a->dims[i].name);
            return SW_EINVAL;
        }
    }
    for (size_t i = 0; i < a->nmetrics; i++) {
        const struct sw_metric_stat *m = &a->metrics[i];
        for (size_t j = 0; j < m->ndims; j++) {
            if (strlen(m->dims[j].value) > 1024) {
                sw_err_set(err, errlen,
                           "stream '%s': metric '%s': dimension '%s' "
                           "would be longer than 1024 characters",
                           s, m->id, m->dims[j].name);
                return SW_EINVAL;
            }
        }
    }
    for (size_t i = 0; i < a->nlabels; i++) {
        if (utf8_len(a->labels[i].value) > 1024) {
            sw_err_set(err, errlen,
                       "stream '%s': label '%s' would be longer than 1024 "
                       "characters",
                       s, a->labels[i].name);
            return SW_EINVAL;
        }
    }
    if (a->sync && c->sync.name_prefix &&
        !sw_str_has_prefix(a->name, c->sync.name_prefix)) {
        sw_err_set(err, errlen,
                   "stream '%s': alarm '%s' is synced, so its name must "
                   "start with sync.name_prefix '%s'",
                   s, a->name, c->sync.name_prefix);
        return SW_EINVAL;
    }
    return 0;
}

int
sw_conf_instantiate(const struct sw_conf *c, const struct sw_rule *tmpl,
                    const char *stream, struct sw_rule **out, char *err,
                    size_t errlen)
{
    struct sw_rule *a = NULL;
    int r;

    *out = NULL;
    sw_err_set(err, errlen, "%s", "");
    r = sw_rule_instantiate(tmpl, stream, &a);
    if (r == SW_EINVAL) {
        /* The name came from outside: not echoed, it may hold anything. */
        sw_err_set(err, errlen,
                   "not a Kinesis stream name (1 to %d letters, digits, "
                   "'_', '.' or '-')",
                   SW_STREAM_NAME_MAX);
        goto out;
    }
    if (r < 0)
        goto out;
    r = check_alarm(c, a, err, errlen);
    if (r < 0)
        goto out;
    *out = a;
    a = NULL;
out:
    sw_rule_free(a);
    return r;
}

/* stream_elem - the element of the template's 'streams' that reads
 * STREAM, for its line. */
static const config_setting_t *
stream_elem(struct scope *sc, const char *stream)
{
    const config_setting_t *s = get(sc, "streams"), *e = s;

    for (int i = 0; s && i < config_setting_length(s); i++)
        if (strcmp(elem_str(s, i, &e), stream) == 0)
            return e;
    return s;
}

/* expand - the alarms of T's literal stream names, appended to c->rules
 * in the order of 'streams'; T itself goes to c->templates when it has a
 * pattern, else it is freed.  Steals: t. */
static void
expand(struct scope *sc, struct sw_rule *t)
{
    struct ctx *x = sc->x;
    struct sw_conf *c = x->c;
    int patterns = 0;
    char err[1024];

    for (size_t i = 0; i < t->streams.n && !x->oom; i++) {
        const char *stream = t->streams.v[i];
        const config_setting_t *e;
        struct sw_rule *a;
        char *first;
        int k, r;

        if (sw_stream_is_pattern(stream)) {
            patterns = 1;
            continue;
        }
        e = stream_elem(sc, stream);
        r = sw_conf_instantiate(c, t, stream, &a, err, sizeof(err));
        if (r == SW_ENOMEM) {
            x->oom = 1;
            break;
        }
        if (r < 0) {
            serr(sc, e, "%s", err);
            continue;
        }
        k = find_rule(x, a->name);
        if (k >= 0) {
            first = first_defined(x, &x->rseen[k], file_of(x, e));
            if (first)
                serr(sc, e,
                     "stream '%s': duplicate alarm name '%s' (first "
                     "defined at %s)",
                     stream, a->name, first);
            free(first);
            sw_rule_free(a);
            continue;
        }
        if (push_rule(x, &c->rules, &c->nrules, a) < 0)
            break;
        note_rule(x, a->name, file_of(x, e), line_of(e), a->stream);
    }
    if (patterns && !x->oom)
        (void)push_rule(x, &c->templates, &c->ntemplates, t);
    else
        sw_rule_free(t);
}

/* ---- the rest of a rule ---- */

static int
valid_label_name(const char *s)
{
    if (!(is_alpha(*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(is_alnum(*s) || *s == '_'))
            return 0;
    return 1;
}

static void
load_labels(struct scope *sc, struct sw_rule *r)
{
    const config_setting_t *s = get(sc, "labels");
    int len;

    if (!s)
        return;
    if (!config_setting_is_group(s)) {
        serr(sc, s,
             "'labels' must be a group: labels = { severity = "
             "\"page\"; };");
        return;
    }
    len = config_setting_length(s);
    if (len > MAX_LABELS) {
        serr(sc, s, "'labels': at most %d labels, not %d", MAX_LABELS, len);
        return;
    }
    r->labels = calloc((size_t)len + 1, sizeof(*r->labels));
    if (!r->labels) {
        sc->x->oom = 1;
        return;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *l = config_setting_get_elem(s, i);
        const char *name = config_setting_name(l), *v;
        char label[300];

        if (!valid_label_name(name) || strncmp(name, "__", 2) == 0) {
            serr(sc, l,
                 "label name '%s' must match [a-zA-Z_][a-zA-Z0-9_]* "
                 "and not start with '__'",
                 name);
            continue;
        }
        if (strcmp(name, "alertname") == 0) {
            serr(sc, l, "label 'alertname' is set from the rule name");
            continue;
        }
        (void)snprintf(label, sizeof(label), "label '%s'", name);
        if (config_setting_type(l) != CONFIG_TYPE_STRING) {
            serr(sc, l, "%s must be a string", label);
            continue;
        }
        v = config_setting_get_string(l);
        if (check_text(sc, l, label, v ? v : "", 1024, 0) < 0)
            continue;
        r->labels[r->nlabels].name = copy_str(sc->x, name);
        r->labels[r->nlabels].value = copy_str(sc->x, v);
        r->nlabels++;
    }
}

/* check_window - the CloudWatch limits that tie period and N together
 * (aws-reference.md section 3.1, "Safe rule"), and the one reply a fetch
 * may receive (section 2.2).  RANGE is what reading evaluation_range (the
 * setting SR) gave: 1 set, 0 absent, -1 wrong (reported already). */
static void
check_window(struct scope *sc, struct sw_rule *r, const config_setting_t *sn,
             int range, const config_setting_t *sr)
{
    long long total = (long long)r->period_s * r->evaluation_periods;
    long limit = r->period_s < 3600 ? 86400 : 604800;
    int n;

    if (total > limit)
        serr(sc, sn,
             "period %d s x %d evaluation periods = %lld s is more "
             "than CloudWatch allows (%ld s%s)",
             r->period_s, r->evaluation_periods, total, limit,
             r->period_s < 3600 ? ", one day, for periods under an hour"
                                : ", seven days");
    if (range == 1 && r->evaluation_range < r->evaluation_periods) {
        serr(sc, sr,
             "'evaluation_range' (%d) must be at least "
             "'evaluation_periods' (%d)",
             r->evaluation_range, r->evaluation_periods);
        return;
    }
    n = sw_rule_eval_range(r);
    if (range == 0 && n > MAX_DATAPOINTS)
        serr(sc, sn,
             "the evaluation range of %d periods is more than the "
             "%d datapoints one GetMetricStatistics call returns: lower "
             "'evaluation_periods' or set 'evaluation_range'",
             n, MAX_DATAPOINTS);
}

/* check_low_sample - evaluate_low_sample_count_percentile applies to
 * percentile statistics only: the rule's, or one of its metrics'. */
static void
check_low_sample(struct scope *sc, struct sw_rule *r)
{
    static const char *const low_modes[] = {"evaluate", "ignore", NULL};
    const config_setting_t *s;
    const char *v;
    int known = 1, pct = 0;

    if (get_str(sc, "evaluate_low_sample_count_percentile", 0, &v, &s) != 1)
        return;
    if (!in_list(low_modes, v)) {
        serr(sc, s,
             "'evaluate_low_sample_count_percentile' must be "
             "evaluate or ignore, not '%s'",
             v);
        return;
    }
    if (r->nmetrics > 0) {
        for (size_t i = 0; i < r->nmetrics; i++) {
            if (!r->metrics[i].stat)
                known = 0;
            else if (sw_stat_is_percentile(r->metrics[i].stat))
                pct = 1;
        }
        if (known && !pct) {
            serr(sc, s,
                 "'evaluate_low_sample_count_percentile' applies "
                 "only to percentile statistics (pNN), and no metric "
                 "uses one");
            return;
        }
    } else if (r->stat && !sw_stat_is_percentile(r->stat)) {
        serr(sc, s,
             "'evaluate_low_sample_count_percentile' applies "
             "only to percentile statistics (pNN), not '%s'",
             r->stat);
        return;
    }
    r->low_sample_ignore = strcmp(v, "ignore") == 0;
}

/* aws_namespace - a namespace of R's metrics that AWS publishes (for the
 * coarse-period warning), or NULL. */
static const char *
aws_namespace(const struct sw_rule *r)
{
    if (r->namespace_ && strncmp(r->namespace_, "AWS/", 4) == 0)
        return r->namespace_;
    for (size_t i = 0; i < r->nmetrics; i++)
        if (r->metrics[i].namespace_ &&
            strncmp(r->metrics[i].namespace_, "AWS/", 4) == 0)
            return r->metrics[i].namespace_;
    return NULL;
}

static void
load_rule(struct ctx *x, const config_setting_t *g, size_t idx)
{
    struct sw_conf *c = x->c;
    struct sw_rule *r;
    struct scope sc;
    const config_setting_t *s, *sn = NULL, *sm = NULL, *sr = NULL;
    const char *v, *ns;
    size_t nerrs = x->nerrs;
    int have_period = 0, have_n, have_m, have_range, math, tmpl, b;

    c->nrule_groups++;
    r = sw_rule_new();
    if (!r) {
        x->oom = 1;
        return;
    }
    r->line = (int)line_of(g);
    scope_init(&sc, x, g, "");
    scope_name(&sc, "rule #%zu", idx + 1);
    tmpl = get(&sc, "streams") != NULL;
    /* Metric math when the rule lists metrics, or has an expression and
     * no metric: then "metrics is required" is the useful message. */
    math =
        get(&sc, "metrics") || (get(&sc, "expression") && !get(&sc, "metric"));

    if (get_str(&sc, "name", 1, &v, &s) == 1 &&
        check_text(&sc, s, "'name'", v, 255, 0) == 0) {
        int k = find_rule(x, v);
        if (k >= 0) {
            char *first = first_defined(x, &x->rseen[k], file_of(x, s));
            if (first)
                report_at(x, file_of(x, s), line_of(s),
                          "duplicate %s name '%s' (first defined at %s)",
                          x->rseen[k].stream ? "alarm" : "rule", v, first);
            free(first);
        }
        note_rule(x, v, file_of(x, s), line_of(s), NULL);
        r->name = copy_str(x, v);
        scope_name(&sc, "rule '%s'", v);
        if (tmpl && !strstr(v, SW_STREAM_PLACEHOLDER))
            serr(&sc, s,
                 "the name of a templated rule must contain {stream}: "
                 "its alarms would all have the same name");
        else if (!tmpl && strstr(v, SW_STREAM_PLACEHOLDER))
            serr(&sc, s,
                 "'name': {stream} is replaced only in templated rules "
                 "(rules with 'streams')");
    }
    check_keys(&sc, rule_keys, rule_later_keys, NULL, NULL);
    if (tmpl)
        load_streams(&sc, r);

    if (get_str(&sc, "description", 0, &v, &s) == 1 && v[0] &&
        check_text(&sc, s, "'description'", v, 1024, T_NEWLINES) == 0)
        r->description = copy_str(x, v);
    if (math) {
        load_math(&sc, r, tmpl);
    } else {
        load_metric_stat(&sc, tmpl, &r->namespace_, &r->metric, &r->dims,
                         &r->ndims, &r->stat, &r->unit);
        s = get(&sc, "expression");
        if (s)
            serr(&sc, s,
                 "'expression' is for metric-math rules, which list "
                 "'metrics' instead of one 'metric'");
    }
    if (get_int(&sc, "period", 1, INT_MIN, INT_MAX, &r->period_s, &s) == 1) {
        if (r->period_s == 10 || r->period_s == 20 || r->period_s == 30 ||
            (r->period_s > 0 && r->period_s % 60 == 0))
            have_period = 1;
        else
            serr(&sc, s,
                 "'period' must be 10, 20, 30 or a multiple of 60 "
                 "seconds, not %d",
                 r->period_s);
    }
    if (!have_period)
        r->period_s = 0;
    (void)get_num(&sc, "threshold", 1, &r->threshold, NULL);
    if (get_str(&sc, "comparison", 1, &v, &s) == 1 &&
        sw_cmp_parse(v, &r->cmp) < 0) {
        if (in_list(anomaly_ops, v))
            serr(&sc, s,
                 "comparison '%s' needs an anomaly-detection band, "
                 "which streamwatch does not support",
                 v);
        else
            serr(&sc, s,
                 "'comparison' must be GreaterThanThreshold, "
                 "GreaterThanOrEqualToThreshold, LessThanThreshold or "
                 "LessThanOrEqualToThreshold, not '%s'",
                 v);
    }
    have_n = get_int(&sc, "evaluation_periods", 1, 1, INT_MAX,
                     &r->evaluation_periods, &sn) == 1;
    have_m = get_int(&sc, "datapoints_to_alarm", 0, 1, INT_MAX,
                     &r->datapoints_to_alarm, &sm);
    /* CloudWatch words its reasons differently when DatapointsToAlarm was
     * given ("1 out of the last 1 datapoints ... (minimum 1 datapoint for
     * OK -> ALARM transition)") and when it was not ("1 datapoint ... was
     * greater than the threshold (10.0)."); sync sends it only if set. */
    r->datapoints_to_alarm_set = have_m == 1;
    if (have_m == 0 && have_n)
        r->datapoints_to_alarm = r->evaluation_periods;
    have_range = get_int(&sc, "evaluation_range", 0, 1, MAX_DATAPOINTS,
                         &r->evaluation_range, &sr);
    if (have_range != 1)
        r->evaluation_range = 0;
    if (have_n && have_m == 1 && r->datapoints_to_alarm > r->evaluation_periods)
        serr(&sc, sm,
             "'datapoints_to_alarm' (%d) must not exceed "
             "'evaluation_periods' (%d)",
             r->datapoints_to_alarm, r->evaluation_periods);
    if (have_n && have_period)
        check_window(&sc, r, sn, have_range, sr);
    if (get_str(&sc, "treat_missing_data", 0, &v, &s) == 1 &&
        sw_tmd_parse(v, &r->tmd) < 0)
        serr(&sc, s,
             "'treat_missing_data' must be missing, ignore, "
             "breaching or notBreaching, not '%s'",
             v);
    check_low_sample(&sc, r);
    load_actions(&sc, "alarm_actions", 1, MAX_ACTIONS, CW_LIMIT,
                 &r->alarm_actions);
    load_actions(&sc, "ok_actions", 1, MAX_ACTIONS, CW_LIMIT, &r->ok_actions);
    load_actions(&sc, "insufficient_data_actions", 1, MAX_ACTIONS, CW_LIMIT,
                 &r->insufficient_data_actions);
    (void)get_bool(&sc, "actions_enabled", &r->actions_enabled);
    if (get_bool(&sc, "sync", &b) == 1) {
        r->sync = b;
        /* A template's names are known per stream: expand() checks. */
        if (b && !tmpl && r->name && c->sync.name_prefix &&
            !sw_str_has_prefix(r->name, c->sync.name_prefix))
            serr(&sc, get(&sc, "sync"),
                 "synced alarm names must start "
                 "with sync.name_prefix '%s'",
                 c->sync.name_prefix);
    }
    (void)get_repeat(&sc, &r->repeat_interval_s);
    load_labels(&sc, r);

    ns = aws_namespace(r);
    if (have_period && r->period_s < 60 && ns)
        swarn(&sc, get(&sc, "period"),
              "a %d s period is finer than the "
              "one-minute %s metrics: the alarm will often be "
              "INSUFFICIENT_DATA",
              r->period_s, ns);
    if (!r->alarm_actions.n && !r->ok_actions.n &&
        !r->insufficient_data_actions.n)
        swarn(&sc, g, "no actions: its state changes notify nobody");
    if (tmpl && x->nerrs == nerrs && !uses_stream(r))
        swarn(&sc, get(&sc, "streams"),
              "no dimension holds {stream}: every alarm of the "
              "template watches the same metrics");

    if (!tmpl)
        (void)push_rule(x, &c->rules, &c->nrules, r);
    else if (x->nerrs == nerrs && !x->oom)
        expand(&sc, r);
    else
        sw_rule_free(r); /* the load fails: nothing to expand */
}

/* ---- aws, agent, sync ---- */

static void
load_aws(struct ctx *x, const config_setting_t *g)
{
    static const char *const keys[] = {
        "region",       "profile",         "endpoint",
        "ca_file",      "connect_timeout", "request_timeout",
        "max_attempts", "allow_insecure",  NULL};
    struct sw_conf *c = x->c;
    struct scope sc;
    const config_setting_t *s, *se = NULL, *sa;
    const char *v, *path;
    char host[256], why[512];
    int scheme, allow;

    scope_init(&sc, x, g, "aws");
    check_keys(&sc, keys, NULL, NULL, NULL);
    if (get_str(&sc, "region", 0, &v, &s) == 1) {
        if (!valid_region(v))
            serr(&sc, s, "'region' must look like ap-northeast-1, not '%s'", v);
        else
            c->aws.region = copy_str(x, v);
    }
    if (get_str(&sc, "profile", 0, &v, &s) == 1 &&
        check_text(&sc, s, "'profile'", v, 128, T_ASCII | T_NOBLANK) == 0) {
        if (strpbrk(v, "[]"))
            serr(&sc, s, "'profile' must not contain '[' or ']'");
        else
            c->aws.profile = copy_str(x, v);
    }
    if (get_str(&sc, "endpoint", 0, &v, &se) == 1 &&
        check_url(&sc, se, "endpoint", v, http_schemes,
                  "credentials come from the AWS credential chain", &scheme,
                  host, sizeof(host), &path) == 0)
        c->aws.endpoint = copy_str(x, v);
    /* Every request to the endpoint carries a SigV4 signature and, with
     * temporary credentials, the session token itself. */
    if (get_allow_insecure(&sc, &allow, &sa) >= 0 && (!se || c->aws.endpoint)) {
        int r = sw_url_cleartext_check("endpoint", c->aws.endpoint,
                                       SW_CONF_AWS_CLEARTEXT_WHAT, allow, why,
                                       sizeof(why));
        report_cleartext(&sc, r, why, se, sa, allow);
        c->aws.allow_insecure = allow;
    }
    (void)get_path(&sc, "ca_file", 0, &c->aws.ca_file);
    (void)get_int(&sc, "connect_timeout", 0, 1, 300, &c->aws.connect_timeout_s,
                  NULL);
    (void)get_int(&sc, "request_timeout", 0, 1, 3600, &c->aws.request_timeout_s,
                  NULL);
    (void)get_int(&sc, "max_attempts", 0, 1, 10, &c->aws.max_attempts, NULL);
}

static void
load_agent(struct ctx *x, const config_setting_t *g)
{
    static const char *const keys[] = {
        "interval",      "state_dir",       "recording", "pid_file",
        "failure_after", "failure_actions", NULL};
    struct sw_conf *c = x->c;
    struct scope sc;

    scope_init(&sc, x, g, "agent");
    check_keys(&sc, keys, NULL, NULL, NULL);
    (void)get_int(&sc, "interval", 0, 10, 86400, &c->agent.interval_s, NULL);
    (void)get_path(&sc, "state_dir", 0, &c->agent.state_dir);
    (void)get_path(&sc, "recording", 0, &c->agent.recording);
    (void)get_path(&sc, "pid_file", 0, &c->agent.pid_file);
    (void)get_int(&sc, "failure_after", 0, 1, 604800, &c->agent.failure_after_s,
                  NULL);
    load_actions(&sc, "failure_actions", 0, MAX_FAILURE_ACTIONS, "",
                 &c->agent.failure_actions);
}

static void
load_sync(struct ctx *x, const config_setting_t *g)
{
    static const char *const keys[] = {"owner", "name_prefix", NULL};
    struct sw_conf *c = x->c;
    struct scope sc;
    const config_setting_t *s;
    const char *v;

    scope_init(&sc, x, g, "sync");
    check_keys(&sc, keys, NULL, NULL, NULL);
    if (get_str(&sc, "owner", 0, &v, &s) == 1 &&
        check_text(&sc, s, "'owner'", v, 256, T_NOBLANK) == 0) {
        /* A tag value: letters, digits, spaces and _ . : / = + - @. */
        const char *p;
        for (p = v; *p; p++)
            if (!(is_alnum(*p) || strchr(" _.:/=+-@", *p)))
                break;
        if (*p)
            serr(&sc, s,
                 "'owner' is a tag value: letters, digits, spaces "
                 "and _ . : / = + - @ only");
        else {
            free(c->sync.owner);
            c->sync.owner = copy_str(x, v);
        }
    }
    if (get_str(&sc, "name_prefix", 0, &v, &s) == 1 &&
        check_text(&sc, s, "'name_prefix'", v, 255, 0) == 0)
        c->sync.name_prefix = copy_str(x, v);
}

/* ---- the whole file ---- */

/* list_of_groups - S is a list (an empty array will do: "x = [];"). */
static int
list_of_groups(struct ctx *x, const config_setting_t *s, const char *key)
{
    if (config_setting_is_list(s) ||
        (config_setting_is_array(s) && config_setting_length(s) == 0))
        return 1;
    report_at(x, file_of(x, s), line_of(s),
              "'%s' must be a list of "
              "groups: %s = ( { ... }, { ... } );",
              key, key);
    return 0;
}

static void
load_root(struct ctx *x, const config_setting_t *root)
{
    static const char *const keys[] = {"aws",   "agent", "notifiers",
                                       "rules", "sync",  NULL};
    static const char *const groups[] = {"aws", "agent", "sync", NULL};
    static void (*const loaders[])(struct ctx *, const config_setting_t *) = {
        load_aws, load_agent, load_sync};
    struct scope sc;
    const config_setting_t *s, *e;

    scope_init(&sc, x, root, "");
    check_keys(&sc, keys, NULL, NULL, NULL);

    /* Notifiers first: rules and agent.failure_actions refer to them
     * wherever they are in the file.  sync before rules: name_prefix. */
    s = config_setting_get_member(root, "notifiers");
    if (s && list_of_groups(x, s, "notifiers")) {
        for (int i = 0; i < config_setting_length(s); i++) {
            e = config_setting_get_elem(s, i);
            if (config_setting_is_group(e))
                load_notifier(x, e, (size_t)i);
            else
                report_at(x, file_of(x, e), line_of(e),
                          "notifier #%d must "
                          "be a group: { name = \"...\"; type = \"...\"; }",
                          i + 1);
        }
    }
    for (int i = 0; groups[i]; i++) {
        s = config_setting_get_member(root, groups[i]);
        if (!s)
            continue;
        if (config_setting_is_group(s))
            loaders[i](x, s);
        else
            report_at(x, file_of(x, s), line_of(s),
                      "'%s' must be a "
                      "group: %s = { ... };",
                      groups[i], groups[i]);
    }
    s = config_setting_get_member(root, "rules");
    if (s && list_of_groups(x, s, "rules")) {
        for (int i = 0; i < config_setting_length(s); i++) {
            e = config_setting_get_elem(s, i);
            if (config_setting_is_group(e))
                load_rule(x, e, (size_t)i);
            else
                report_at(x, file_of(x, e), line_of(e),
                          "rule #%d must be "
                          "a group: { name = \"...\"; metric = \"...\"; ... }",
                          i + 1);
        }
    }

    for (size_t i = 0; i < x->nnseen; i++)
        if (!x->nused[i])
            warn_at(x, x->nseen[i].file, x->nseen[i].line, NULL,
                    "notifier '%s' is not used by any rule or "
                    "agent.failure_actions",
                    x->nseen[i].name);
    if (x->c->nrules == 0 && x->c->ntemplates == 0)
        warn_at(x, x->name, 0, NULL,
                "no rules: the agent has nothing to watch");
}

/* ---- integers libconfig would wrap ---- */

/* scan_ints - libconfig 1.5 reads "5000000000" as a 32-bit int and wraps
 * it without a word (newer versions switch to 64 bits).  A threshold in
 * bytes can be that large, so every integer literal of the main file that
 * does not fit in 32 bits is an error here; "5000000000.0" (a float) and
 * "5000000000L" (64-bit) are fine.  Strings and comments are skipped the
 * way libconfig's scanner skips them. */
static void
scan_ints(struct ctx *x, const char *text)
{
    const char *p = text;
    unsigned line = 1;

    while (*p) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n')
                    line++;
            if (*p)
                p += 2;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (*p == '\n')
                    line++;
            }
            if (*p)
                p++;
        } else if (is_alpha(*p) || *p == '*') {
            while (is_alnum(*p) || *p == '-' || *p == '_' || *p == '*')
                p++;
        } else if (is_digit(*p) || (*p == '.' && is_digit(p[1]))) {
            const char *t = p, *d, *end;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            int neg = t > text && t[-1] == '-';
            unsigned long long v = 0, lim;
            int big = 0, plain = 1;

            while (is_alnum(*p) || *p == '.' || *p == '_' ||
                   (!hex && (*p == '+' || *p == '-') &&
                    (p[-1] == 'e' || p[-1] == 'E')))
                p++;
            end = p;
            if (end - t > 1 && end[-1] == 'L')
                continue; /* 64-bit literal */
            for (d = t + (hex ? 2 : 0); d < end; d++) {
                int dv;
                if (is_digit(*d))
                    dv = *d - '0';
                else if (hex && *d >= 'a' && *d <= 'f')
                    dv = *d - 'a' + 10;
                else if (hex && *d >= 'A' && *d <= 'F')
                    dv = *d - 'A' + 10;
                else {
                    plain = 0; /* a float, or junk for libconfig */
                    break;
                }
                v = v * (hex ? 16 : 10) + (unsigned)dv;
                if (v > 0xffffffffULL)
                    big = 1, v = 0xffffffffULL;
            }
            lim = hex ? 0x7fffffffULL : neg ? 0x80000000ULL : 0x7fffffffULL;
            if (!plain || (!big && v <= lim))
                continue;
            if (hex)
                report_at(x, x->name, line,
                          "integer %.*s does not fit in "
                          "32 bits (libconfig would change it silently): "
                          "write it in decimal with .0 for a number",
                          (int)(end - t > 40 ? 40 : end - t), t);
            else
                report_at(x, x->name, line,
                          "integer %s%.*s does not fit "
                          "in 32 bits (libconfig would change it "
                          "silently): write %s%.*s.0 for a number",
                          neg ? "-" : "", (int)(end - t > 40 ? 40 : end - t), t,
                          neg ? "-" : "", (int)(end - t > 40 ? 40 : end - t),
                          t);
        } else {
            p++;
        }
    }
}

/* ---- loading ---- */

static int
cmp_err(const void *a, const void *b)
{
    const struct err_rec *x = a, *y = b;

    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct sw_conf *
conf_new(const char *name)
{
    struct sw_conf *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->path = sw_strdup(name);
    c->aws.connect_timeout_s = 5;
    c->aws.request_timeout_s = 30;
    c->aws.max_attempts = 0;
    c->agent.interval_s = 60;
    c->agent.state_dir = sw_strdup("/var/lib/streamwatch");
    c->agent.failure_after_s = 600;
    c->sync.owner = sw_strdup("streamwatch");
    if (!c->path || !c->agent.state_dir || !c->sync.owner) {
        sw_conf_free(c);
        return NULL;
    }
    return c;
}

static void
ctx_release(struct ctx *x)
{
    for (size_t i = 0; i < x->nerrs; i++)
        free(x->errs[i].text);
    free(x->errs);
    free(x->ranks);
    free(x->nseen);
    free(x->nused);
    free(x->rseen);
    sw_conf_free(x->c);
}

int
sw_conf_load_text(const char *text, size_t len, const char *name,
                  const char *dir, struct sw_conf **out, struct sw_strv *errors)
{
    struct ctx x;
    config_t cf;
    char *copy = NULL;
    const char *body, *nul;
    int r = SW_ENOMEM, have_cf = 0;

    *out = NULL;
    memset(&x, 0, sizeof(x));
    x.name = name;
    x.dir = dir;
    x.c = conf_new(name);
    if (!x.c)
        goto out;

    /* libconfig reads a C string: a NUL would end the file early. */
    nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        report_at(&x, name, line, "syntax error: NUL byte in the file");
        goto done;
    }
    copy = malloc(len + 1);
    if (!copy)
        goto out;
    memcpy(copy, text, len);
    copy[len] = '\0';
    body = copy;
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
        body += 3; /* a UTF-8 byte order mark, as some editors write */

    scan_ints(&x, body);
    if (x.nerrs > 0 || x.oom)
        goto done;
    config_init(&cf);
    have_cf = 1;
    config_set_auto_convert(&cf, CONFIG_FALSE);
    config_set_include_dir(&cf, dir);
    if (config_read_string(&cf, body) != CONFIG_TRUE) {
        const char *f = config_error_file(&cf);
        const char *t = config_error_text(&cf);
        int line = config_error_line(&cf);

        if (!t || strcmp(t, "syntax error") == 0)
            report_at(&x, f ? f : name, line > 0 ? (unsigned)line : 0,
                      "syntax error");
        else
            report_at(&x, f ? f : name, line > 0 ? (unsigned)line : 0,
                      "syntax error: %s", t);
        goto done;
    }
    load_root(&x, config_root_setting(&cf));

done:
    if (x.oom)
        goto out;
    if (x.nerrs > 0) {
        qsort(x.errs, x.nerrs, sizeof(*x.errs), cmp_err);
        for (size_t i = 0; i < x.nerrs; i++)
            if (sw_strv_push(errors, x.errs[i].text) < 0)
                goto out;
        r = SW_EPARSE;
        goto out;
    }
    *out = x.c;
    x.c = NULL;
    r = 0;
out:
    /* After the errors were copied: ranks and names borrow from cf. */
    ctx_release(&x);
    if (have_cf)
        config_destroy(&cf);
    free(copy);
    return r;
}

/* read_all - the file at PATH into B (capped).  Returns 0 or SW_E*, with
 * *oerrno set for SW_ENOENT / SW_EIO. */
static int
read_all(const char *path, struct sw_buf *b, int *oerrno)
{
    char chunk[16384];
    struct stat st;
    int fd, r = 0;

    *oerrno = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *oerrno = errno;
        return *oerrno == ENOENT || *oerrno == ENOTDIR ? SW_ENOENT : SW_EIO;
    }
    if (fstat(fd, &st) < 0) {
        *oerrno = errno;
        r = SW_EIO;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        *oerrno = EISDIR;
        r = SW_EIO;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *oerrno = errno;
            r = SW_EIO;
            goto out;
        }
        if (n == 0)
            break;
        r = sw_buf_add(b, chunk, (size_t)n);
        if (r < 0)
            goto out;
    }
out:
    close(fd);
    return r;
}

/* conf_dir - the absolute directory of PATH.  Returns: new, or NULL. */
static char *
conf_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d, *cwd, *r = NULL;
    struct sw_buf b;

    if (!slash)
        d = sw_strdup(".");
    else
        d = sw_strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (!d || d[0] == '/')
        return d;
    cwd = getcwd(NULL, 0);
    if (!cwd)
        return d; /* relative then, as good as it gets */
    if (strcmp(d, ".") == 0) {
        free(d);
        return cwd;
    }
    sw_buf_init(&b, strlen(cwd) + strlen(d) + 2);
    if (sw_buf_addf(&b, "%s/%s", cwd, d) == 0)
        r = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
    free(cwd);
    free(d);
    return r;
}

int
sw_conf_load(const char *path, struct sw_conf **out, struct sw_strv *errors)
{
    struct sw_buf text;
    char *dir = NULL;
    int r, oerrno = 0;

    *out = NULL;
    sw_buf_init(&text, SW_CONF_MAX_BYTES);
    r = read_all(path, &text, &oerrno);
    if (r == SW_ETOOBIG) {
        struct sw_buf m;
        sw_buf_init(&m, 4096);
        if (sw_buf_addf(&m, "%s: cannot read: larger than %d bytes", path,
                        SW_CONF_MAX_BYTES) < 0 ||
            sw_strv_push(errors, sw_buf_str(&m)) < 0)
            r = SW_ENOMEM;
        sw_buf_release(&m);
        goto out;
    }
    if (r == SW_ENOENT || r == SW_EIO) {
        struct sw_buf m;
        sw_buf_init(&m, 4096);
        if (sw_buf_addf(&m, "%s: cannot read: %s", path, strerror(oerrno)) <
                0 ||
            sw_strv_push(errors, sw_buf_str(&m)) < 0)
            r = SW_ENOMEM;
        sw_buf_release(&m);
        goto out;
    }
    if (r < 0)
        goto out;
    dir = conf_dir(path);
    if (!dir) {
        r = SW_ENOMEM;
        goto out;
    }
    r = sw_conf_load_text(text.data ? text.data : "", text.len, path, dir, out,
                          errors);
out:
    free(dir);
    sw_buf_release(&text);
    return r;
}

static void
free_kv(struct sw_header_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

void
sw_conf_free(struct sw_conf *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->aws.region);
    free(c->aws.profile);
    free(c->aws.endpoint);
    free(c->aws.ca_file);
    free(c->agent.state_dir);
    free(c->agent.recording);
    free(c->agent.pid_file);
    sw_strv_release(&c->agent.failure_actions);
    free(c->sync.owner);
    free(c->sync.name_prefix);
    for (size_t i = 0; i < c->nnotifiers; i++) {
        struct sw_notifier_conf *n = &c->notifiers[i];
        free(n->name);
        free(n->path);
        free(n->topic_arn);
        free(n->url);
        free(n->tls);
        free(n->username);
        free(n->password_file);
        free(n->from);
        free(n->ca_file);
        sw_strv_release(&n->to);
        free(n->format);
        free(n->secret_file);
        free(n->bearer_token_file);
        free_kv(n->headers, n->nheaders);
    }
    free(c->notifiers);
    for (size_t i = 0; i < c->nrules; i++)
        sw_rule_free(c->rules[i]);
    free(c->rules);
    for (size_t i = 0; i < c->ntemplates; i++)
        sw_rule_free(c->templates[i]);
    free(c->templates);
    sw_strv_release(&c->warnings);
    free(c);
}

const struct sw_notifier_conf *
sw_conf_notifier(const struct sw_conf *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->nnotifiers; i++)
        if (c->notifiers[i].name && strcmp(c->notifiers[i].name, name) == 0)
            return &c->notifiers[i];
    return NULL;
}

/* ---- summary ---- */

/* fmt_count - V with thousands separators, "86,400". */
static void
fmt_count(char *out, size_t size, unsigned long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%llu", v);
    size_t o = 0;

    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const char *
cmp_symbol(enum sw_cmp c)
{
    switch (c) {
    case SW_CMP_GT: return ">";
    case SW_CMP_GE: return ">=";
    case SW_CMP_LT: return "<";
    case SW_CMP_LE: return "<=";
    }
    return "?";
}

static int
add_actions(struct sw_buf *out, const char *state, const struct sw_strv *v,
            int *first)
{
    int r;

    if (v->n == 0)
        return 0;
    r = sw_buf_addf(out, "%s%s: ", *first ? "" : "; ", state);
    for (size_t i = 0; r == 0 && i < v->n; i++)
        r = sw_buf_addf(out, "%s%s", i ? ", " : "", v->v[i]);
    *first = 0;
    return r;
}

/* add_metric - "Sum of AWS/Kinesis IncomingRecords {StreamName=orders}". */
static int
add_metric(struct sw_buf *out, const char *stat, const char *ns,
           const char *metric, const struct sw_dimension *dims, size_t ndims)
{
    int rc = sw_buf_addf(out, "%s of %s %s", stat, ns, metric);

    if (rc == 0 && ndims > 0) {
        rc = sw_buf_adds(out, " {");
        for (size_t i = 0; rc == 0 && i < ndims; i++)
            rc = sw_buf_addf(out, "%s%s=%s", i ? ", " : "", dims[i].name,
                             dims[i].value);
        if (rc == 0)
            rc = sw_buf_addc(out, '}');
    }
    return rc;
}

/* requests_of - GetMetricStatistics calls R costs a cycle: the agent
 * fetches each metric of a metric-math alarm on its own. */
static size_t
requests_of(const struct sw_rule *r)
{
    return r->nmetrics > 0 ? r->nmetrics : 1;
}

static int
add_alarm(struct sw_buf *out, const struct sw_rule *r)
{
    char thr[64];
    int first = 1, rc;

    if (sw_format_double(thr, sizeof(thr), r->threshold) < 0)
        (void)snprintf(thr, sizeof(thr), "%g", r->threshold);
    rc = sw_buf_addf(out, "  alarm '%s'", r->name);
    if (rc == 0 && r->template_name)
        rc = sw_buf_addf(out, " (from template '%s')", r->template_name);
    if (rc == 0)
        rc = sw_buf_adds(out, ": ");
    if (rc == 0 && r->nmetrics > 0) {
        rc = sw_buf_addf(out, "%s with ",
                         r->expression ? r->expression : "(no expression)");
        for (size_t i = 0; rc == 0 && i < r->nmetrics; i++) {
            const struct sw_metric_stat *m = &r->metrics[i];
            rc = sw_buf_addf(out, "%s%s = ", i ? ", " : "", m->id);
            if (rc == 0)
                rc = add_metric(out, m->stat, m->namespace_, m->metric, m->dims,
                                m->ndims);
        }
    } else if (rc == 0) {
        rc = add_metric(out, r->stat, r->namespace_, r->metric, r->dims,
                        r->ndims);
    }
    if (rc == 0)
        rc = sw_buf_addf(out, " over %d s %s %s for %d of %d periods",
                         r->period_s, cmp_symbol(r->cmp), thr,
                         r->datapoints_to_alarm, r->evaluation_periods);
    if (rc == 0 && r->tmd != SW_TMD_MISSING)
        rc = sw_buf_addf(out, " (missing data: %s)", sw_tmd_name(r->tmd));
    if (rc == 0)
        rc = sw_buf_adds(out, " -> ");
    if (rc == 0 && !r->actions_enabled)
        return sw_buf_adds(out, "actions disabled\n");
    if (rc == 0)
        rc = add_actions(out, "ALARM", &r->alarm_actions, &first);
    if (rc == 0)
        rc = add_actions(out, "OK", &r->ok_actions, &first);
    if (rc == 0)
        rc = add_actions(out, "INSUFFICIENT_DATA",
                         &r->insufficient_data_actions, &first);
    if (rc == 0 && first)
        rc = sw_buf_adds(out, "no actions");
    if (rc == 0)
        rc = sw_buf_addc(out, '\n');
    return rc;
}

/* add_template - what a template with patterns leaves to run time. */
static int
add_template(struct sw_buf *out, const struct sw_rule *t)
{
    size_t k = 0, n = requests_of(t);
    int rc = sw_buf_addf(out, "  template '%s': streams matching ", t->name);

    for (size_t i = 0; rc == 0 && i < t->streams.n; i++) {
        if (!sw_stream_is_pattern(t->streams.v[i]))
            continue;
        rc = sw_buf_addf(out, "%s'%s'", k++ ? " or " : "", t->streams.v[i]);
    }
    if (rc == 0)
        rc = sw_buf_addf(out,
                         " are found at run time with ListStreams (%zu "
                         "GetMetricStatistics per cycle for each)\n",
                         n);
    return rc;
}

int
sw_conf_summary(const struct sw_conf *c, struct sw_buf *out)
{
    size_t counts[NTYPES] = {0};
    unsigned long long requests = 0;
    /* requests per evaluation at each cadence: 10 s, 60 s, hourly */
    static const int cadences[] = {10, 60, 3600};
    size_t per_cadence[3] = {0};
    char reqs[32];
    int r, first = 1, math = 0;

    r = sw_buf_addf(out, "%s: OK\n  rules: %zu (%zu alarm%s", c->path,
                    c->nrule_groups, c->nrules, c->nrules == 1 ? "" : "s");
    if (r == 0 && c->ntemplates > 0)
        r = sw_buf_addf(out, ", and more from %zu template%s at run time",
                        c->ntemplates, c->ntemplates == 1 ? "" : "s");
    if (r == 0)
        r = sw_buf_adds(out, ")\n");
    if (r < 0)
        goto out;
    for (size_t i = 0; i < c->nnotifiers; i++)
        if ((unsigned)c->notifiers[i].type < NTYPES)
            counts[c->notifiers[i].type]++;
    r = sw_buf_addf(out, "  notifiers: %zu", c->nnotifiers);
    for (int t = 0; r == 0 && t < NTYPES; t++) {
        if (!counts[t])
            continue;
        r = sw_buf_addf(out, "%s%s %zu", first ? " (" : ", ", notifier_types[t],
                        counts[t]);
        first = 0;
    }
    if (r == 0)
        r = sw_buf_adds(out, first ? "\n" : ")\n");
    if (r < 0)
        goto out;

    if (c->agent.recording) {
        r = sw_buf_addf(out,
                        "  source: recording %s\n  API requests: none "
                        "(metrics come from the recording)\n",
                        c->agent.recording);
    } else {
        if (c->aws.region)
            r = sw_buf_addf(out, "  source: CloudWatch in %s", c->aws.region);
        else
            r = sw_buf_adds(out, "  source: CloudWatch (region from "
                                 "AWS_REGION, AWS_DEFAULT_REGION or the "
                                 "profile)");
        if (r == 0 && c->aws.endpoint)
            r = sw_buf_addf(out, " at %s", c->aws.endpoint);
        if (r < 0)
            goto out;
        /* One GetMetricStatistics call per metric each time an alarm is
         * evaluated: one for a plain alarm, one per metric for metric
         * math.  Each alarm is evaluated at its own cadence (rules/eval:
         * every minute, every 10 s for high-resolution periods, hourly
         * past a day), whatever agent.interval says, so that is what is
         * priced.  The price is CloudWatch's (Amazon CloudWatch pricing,
         * us-east-1). */
        for (size_t i = 0; i < c->nrules; i++) {
            int cad = sw_eval_cadence_s(c->rules[i]);
            size_t k = cad <= 10 ? 0 : cad < 3600 ? 1 : 2;

            per_cadence[k] += requests_of(c->rules[i]);
            math |= c->rules[i]->nmetrics > 0;
        }
        r = sw_buf_adds(out, "\n  API requests:");
        first = 1;
        for (size_t k = 0; r == 0 && k < 3; k++) {
            if (!per_cadence[k])
                continue;
            requests += (unsigned long long)per_cadence[k] *
                        (unsigned long long)(MONTH_S / cadences[k]);
            r = sw_buf_addf(out, "%s %zu GetMetricStatistics %s",
                            first ? "" : " +", per_cadence[k],
                            k == 0   ? "every 10 s"
                            : k == 1 ? "every 60 s"
                                     : "every hour");
            first = 0;
        }
        if (r == 0 && first)
            r = sw_buf_adds(out, " 0 GetMetricStatistics");
        fmt_count(reqs, sizeof(reqs), requests);
        if (r == 0)
            r = sw_buf_addf(out,
                            "%s = %s per 30-day month, about $%.2f at $0.01 "
                            "per 1,000 requests (first 1,000,000 a month are "
                            "free)\n",
                            math ? " (one per metric of a metric-math alarm)"
                                 : "",
                            reqs, (double)requests / 100000.0);
    }
    for (size_t i = 0; r == 0 && i < c->nrules; i++)
        r = add_alarm(out, c->rules[i]);
    for (size_t i = 0; r == 0 && i < c->ntemplates; i++)
        r = add_template(out, c->templates[i]);
    for (size_t i = 0; r == 0 && i < c->warnings.n; i++)
        r = sw_buf_addf(out, "  %s\n", c->warnings.v[i]);
out:
    return r;
}
