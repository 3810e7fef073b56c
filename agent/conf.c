/* agent/conf.c - the config loader: reading, the walk from the root,
 * error reporting and the aws, agent and sync sections; see conf.h, and
 * conf_int.h for how the loader's files share the work.
 *
 * Shape: the file is read into a capped buffer, scanned for integers that
 * libconfig would wrap, parsed with config_read_string(), and then walked
 * from the root through the key tables (conf_schema.h): the root's below,
 * whose rows load the sections; the aws, agent and sync tables here, the
 * notifiers' in conf_notifiers.c, the rules' in conf_rules.c.  Each row is
 * read in order, the callbacks judge what a row cannot, and the errors
 * are sorted into file order at the end.
 */
#include "config.h"

#include "agent/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/conf_int.h"
#include "agent/conf_schema.h"
#include "aws/endpoint.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

/* ---- reporting ---- */

const char *
conf_file_of(const struct conf_ctx *x, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file(s) : NULL;

    return f ? f : x->name;
}

unsigned
conf_line_of(const config_setting_t *s)
{
    return s ? config_setting_source_line(s) : 0;
}

static int
rank_of(struct conf_ctx *x, const char *file)
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
    if (b->len > CONF_MAX_MSG) {
        size_t n = CONF_MAX_MSG - 3;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)b->data[n] & 0xc0) == 0x80)
            n--;
        b->len = n;
        b->data[n] = '\0';
        (void)sw_buf_adds(b, "..."); /* fits: len shrank by >= 3 */
    }
}

static void
vrecord(struct conf_ctx *x, const char *file, unsigned line, int warning,
        const char *what, const char *fmt, va_list ap)
{
    struct sw_buf b;
    struct conf_err *ne;
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

void
conf_report_at(struct conf_ctx *x, const char *file, unsigned line,
               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(x, file, line, 0, NULL, fmt, ap);
    va_end(ap);
}

void
conf_serr(struct conf_scope *sc, const config_setting_t *s, const char *fmt,
          ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(sc->x, conf_file_of(sc->x, s), conf_line_of(s), 0, sc->what, fmt,
            ap);
    va_end(ap);
}

void
conf_swarn(struct conf_scope *sc, const config_setting_t *s, const char *fmt,
           ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(sc->x, conf_file_of(sc->x, s), conf_line_of(s), 1, sc->what, fmt,
            ap);
    va_end(ap);
}

void
conf_warn_at(struct conf_ctx *x, const char *file, unsigned line,
             const char *what, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(x, file, line, 1, what, fmt, ap);
    va_end(ap);
}

void
conf_scope_name(struct conf_scope *sc, const char *fmt, ...)
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

void
conf_scope_init(struct conf_scope *sc, struct conf_ctx *x,
                const config_setting_t *g, const char *what)
{
    sc->x = x;
    sc->g = g;
    sc->arg = NULL;
    conf_scope_name(sc, "%s", what);
}

/* ---- copies and paths ---- */

char *
conf_copy_str(struct conf_ctx *x, const char *s)
{
    char *d = sw_strdup(s);

    if (!d)
        x->oom = 1;
    return d;
}

char *
conf_resolve(struct conf_ctx *x, const char *p)
{
    struct sw_buf b;
    char *r = NULL;
    size_t dl = strlen(x->dir);

    if (p[0] == '/')
        return conf_copy_str(x, p);
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    if (!*p || strcmp(p, ".") == 0)
        return conf_copy_str(x, x->dir);
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

/* ---- aws, agent, sync ---- */

static int
conf_check_region(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    (void)base;
    /* The client's own rule (aws/endpoint.h), so that check and run agree. */
    if (sw_region_valid(v->str))
        return 0;
    conf_serr(sc, v->s, "'%s' must look like ap-northeast-1, not '%s'", k->name,
              v->str);
    return SW_EINVAL;
}

static int
conf_check_profile(struct conf_scope *sc, const struct conf_key *k,
                   const struct conf_value *v, void *base)
{
    (void)base;
    /* A section header of the AWS files could not name it. */
    if (!strpbrk(v->str, "[]"))
        return 0;
    conf_serr(sc, v->s, "'%s' must not contain '[' or ']'", k->name);
    return SW_EINVAL;
}

static int
conf_check_endpoint(struct conf_scope *sc, const struct conf_key *k,
                    const struct conf_value *v, void *base)
{
    char norm[SW_ENDPOINT_URL_MAX], err[256];
    int scheme;

    (void)base;
    if (conf_check_url(sc, v->s, k->name, v->str, conf_http_schemes,
                       "credentials come from the AWS credential chain",
                       &scheme) < 0)
        return SW_EINVAL;
    /* The client resolves endpoints with this check: its word is final. */
    if (sw_endpoint_check_url(v->str, norm, sizeof(norm), err, sizeof(err)) <
        0) {
        conf_serr(sc, v->s, "'%s': %s", k->name, err);
        return SW_EINVAL;
    }
    return 0;
}

static int
conf_check_failure_actions(struct conf_scope *sc, const struct conf_key *k,
                           const struct conf_value *v, void *base)
{
    conf_load_actions(sc, v->s, k->name, 0, k->max, "",
                      (struct sw_strv *)(void *)((char *)base + k->off));
    return 1;
}

static int
conf_parse_fetch(const char *v, int *out)
{
    if (strcmp(v, "GetMetricStatistics") == 0)
        *out = SW_CONF_FETCH_GMS;
    else if (strcmp(v, "GetMetricData") == 0)
        *out = SW_CONF_FETCH_GMD;
    else
        return SW_EINVAL;
    return 0;
}

/* The watcher alarm is "watcher:<name>", a CloudWatch alarm name (255
 * characters at most) that also travels in e-mail subjects and
 * Alertmanager labels: keep it to a host name's characters. */
static int
conf_check_agent_name(struct conf_scope *sc, const struct conf_key *k,
                      const struct conf_value *v, void *base)
{
    const char *p;

    (void)base;
    for (p = v->str; *p; p++)
        if (!(conf_is_alnum(*p) || strchr("_.:-@", *p)))
            break;
    if (!*p)
        return 0;
    conf_serr(sc, v->s, "'%s': letters, digits and _ . : - @ only, not '%s'",
              k->name, v->str);
    return SW_EINVAL;
}

static int
conf_check_heartbeat_url(struct conf_scope *sc, const struct conf_key *k,
                         const struct conf_value *v, void *base)
{
    int scheme;

    (void)base;
    /* The URL is the check's secret: a wrong one is not echoed. */
    if (strncasecmp(v->str, "http://", 7) != 0 &&
        strncasecmp(v->str, "https://", 8) != 0) {
        conf_serr(sc, v->s, "'%s' must start with http:// or https://",
                  k->name);
        return SW_EINVAL;
    }
    return conf_check_url(sc, v->s, k->name, v->str, conf_http_schemes,
                          "the URL itself is the check's secret", &scheme) < 0
               ? SW_EINVAL
               : 0;
}

static int
conf_check_owner(struct conf_scope *sc, const struct conf_key *k,
                 const struct conf_value *v, void *base)
{
    const char *p;

    (void)base;
    /* A tag value: letters, digits, spaces and _ . : / = + - @. */
    for (p = v->str; *p; p++)
        if (!(conf_is_alnum(*p) || strchr(" _.:/=+-@", *p)))
            break;
    if (!*p)
        return 0;
    conf_serr(sc, v->s,
              "'%s' is a tag value: letters, digits, spaces and _ . : / = "
              "+ - @ only",
              k->name);
    return SW_EINVAL;
}

/* aws_cleartext - every request to aws.endpoint carries a SigV4 signature
 * and, with temporary credentials, the session token itself: the same
 * judgement the running agent makes (lib/str.h). */
static void
aws_cleartext(struct conf_scope *sc, struct sw_conf *c)
{
    const config_setting_t *se = conf_get(sc, "endpoint");
    const config_setting_t *sa = conf_get(sc, "allow_insecure");
    char why[512];
    int r;

    /* A wrong endpoint or allow_insecure was reported: judge nothing more,
     * so that one mistake gives one message. */
    if ((sa && config_setting_type(sa) != CONFIG_TYPE_BOOL) ||
        (se && !c->aws.endpoint))
        return;
    r = sw_url_cleartext_check("endpoint", c->aws.endpoint,
                               SW_CONF_AWS_CLEARTEXT_WHAT,
                               c->aws.allow_insecure, why, sizeof(why));
    conf_report_cleartext(sc, r, why, se, sa, c->aws.allow_insecure);
}

/* The aws, agent and sync sections, one row per key (conf_schema.h); a
 * section's rows are read in this order. */
#define C(f) offsetof(struct sw_conf, f)

/* clang-format off */
const struct conf_key conf_aws_keys[] = {
    {.name = "region", .type = CT_STR, .flags = CK_RAW,
     .off = C(aws.region), .check = conf_check_region,
     .desc = "the AWS region; unset: AWS_REGION, AWS_DEFAULT_REGION or the "
             "profile's"},
    {.name = "profile", .type = CT_STR, .flags = CK_ASCII | CK_NOBLANK,
     .max = 128, .off = C(aws.profile), .check = conf_check_profile,
     .desc = "the AWS profile; unset: AWS_PROFILE, else \"default\""},
    {.name = "endpoint", .type = CT_STR, .flags = CK_RAW,
     .off = C(aws.endpoint), .check = conf_check_endpoint,
     .desc = "an http(s) URL that every AWS request goes to"},
    {.name = "allow_insecure", .type = CT_BOOL, .off = C(aws.allow_insecure),
     .desc = "an http:// endpoint may be a host that is not loopback"},
    {.name = "ca_file", .type = CT_PATH, .off = C(aws.ca_file),
     .desc = "CA bundle for TLS; unset: AWS_CA_BUNDLE, else the system "
             "store"},
    {.name = "connect_timeout", .type = CT_INT, .min = 1, .max = 300,
     .def = 5, .off = C(aws.connect_timeout_s),
     .desc = "seconds to connect, per attempt"},
    {.name = "request_timeout", .type = CT_INT, .min = 1, .max = 3600,
     .def = 30, .off = C(aws.request_timeout_s),
     .desc = "seconds for a whole request, per attempt"},
    {.name = "max_attempts", .type = CT_INT, .min = 1, .max = 10, .def = 0,
     .off = C(aws.max_attempts),
     .desc = "attempts per API call, the first one included; unset (0): "
             "AWS_MAX_ATTEMPTS, else 3"},
    {.name = "max_requests_per_second", .type = CT_INT, .min = 1, .max = 400,
     .def = 50, .off = C(aws.max_requests_per_second),
     .desc = "CloudWatch calls a second at most, retries included, in any "
             "one-second window"},
    {.name = "fetch", .type = CT_ENUM, .parse = conf_parse_fetch,
     .expect = "GetMetricStatistics or GetMetricData", .off = C(aws.fetch),
     .desc = "how datapoints are fetched: GetMetricStatistics (in the free "
             "tier) or GetMetricData (500 series a call, not in the free "
             "tier)"},
    {.name = NULL},
};

const struct conf_key conf_agent_keys[] = {
    {.name = "interval", .type = CT_INT, .min = 10, .max = 86400, .def = 60,
     .off = C(agent.interval_s),
     .desc = "seconds between cycles of the running agent"},
    {.name = "concurrency", .type = CT_INT, .min = 1, .max = 256, .def = 16,
     .off = C(agent.concurrency),
     .desc = "fetch requests in flight at once"},
    {.name = "state_dir", .type = CT_PATH, .sdef = "/var/lib/streamwatch",
     .off = C(agent.state_dir),
     .desc = "where the alarm states, the stream list and the outbox live"},
    {.name = "recording", .type = CT_PATH, .off = C(agent.recording),
     .desc = "a recorded CSV metrics file read instead of CloudWatch"},
    {.name = "pid_file", .type = CT_PATH, .off = C(agent.pid_file),
     .desc = "a file the running agent writes its pid to"},
    {.name = "name", .type = CT_STR, .flags = CK_ASCII | CK_NOBLANK,
     .max = 200, .off = C(agent.name), .check = conf_check_agent_name,
     .desc = "this agent's name, in the watcher alarm 'watcher:<name>'; "
             "unset: the host name"},
    {.name = "failure_after", .type = CT_INT, .min = 1, .max = 604800,
     .def = 300, .off = C(agent.failure_after_s),
     .desc = "seconds of failed fetches in a row before an alarm is blind"},
    {.name = "failure_actions", .type = CT_STRLIST, .max = CONF_MAX_FAILURE,
     .off = C(agent.failure_actions), .check = conf_check_failure_actions,
     .desc = "notifiers told when the watcher is blind and when it sees "
             "again"},
    {.name = "heartbeat_url", .type = CT_STR, .flags = CK_RAW,
     .off = C(agent.heartbeat_url), .check = conf_check_heartbeat_url,
     .desc = "an http(s) URL POSTed after each cycle (healthchecks.io "
             "style: URL/fail when a fetch failed)"},
    {.name = "metrics_file", .type = CT_PATH, .off = C(agent.metrics_file),
     .desc = "a Prometheus text file written after each cycle, for "
             "node_exporter's textfile collector"},
    {.name = NULL},
};

const struct conf_key conf_sync_keys[] = {
    {.name = "owner", .type = CT_STR, .flags = CK_NOBLANK, .max = 256,
     .sdef = "streamwatch", .off = C(sync.owner), .check = conf_check_owner,
     .desc = "the streamwatch:owner tag of the alarms sync manages"},
    {.name = "name_prefix", .type = CT_STR, .max = 255,
     .off = C(sync.name_prefix),
     .desc = "every synced alarm's name starts with it"},
    {.name = NULL},
};
/* clang-format on */

/* ---- the root ---- */

static int
conf_root_section(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    static const struct {
        const char *name;
        const struct conf_key *keys;
    } sections[] = {
        {"aws", conf_aws_keys},
        {"agent", conf_agent_keys},
        {"sync", conf_sync_keys},
    };
    struct conf_scope ss;

    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (strcmp(k->name, sections[i].name) != 0)
            continue;
        conf_scope_init(&ss, sc->x, v->s, k->name);
        (void)conf_check_keys(&ss, &sections[i].keys, 1, NULL, NULL);
        conf_keys_load(&ss, sections[i].keys, base);
        if (sections[i].keys == conf_aws_keys)
            aws_cleartext(&ss, base);
    }
    return 1;
}

/* Each element of the list V LOADed as a group, or reported as "WHAT #N
 * must be a group: SHAPE". */
static void
conf_load_groups(struct conf_ctx *x, const struct conf_value *v,
                 void (*load)(struct conf_ctx *, const config_setting_t *,
                              size_t),
                 const char *what, const char *shape)
{
    for (int i = 0; i < config_setting_length(v->s); i++) {
        const config_setting_t *e = config_setting_get_elem(v->s, i);

        if (config_setting_is_group(e))
            load(x, e, (size_t)i);
        else
            conf_report_at(x, conf_file_of(x, e), conf_line_of(e),
                           "%s #%d must be a group: %s", what, i + 1, shape);
    }
}

static int
conf_root_notifiers(struct conf_scope *sc, const struct conf_key *k,
                    const struct conf_value *v, void *base)
{
    (void)k;
    (void)base;
    conf_load_groups(sc->x, v, conf_load_notifier, "notifier",
                     "{ name = \"...\"; type = \"...\"; }");
    return 1;
}

static int
conf_root_rules(struct conf_scope *sc, const struct conf_key *k,
                const struct conf_value *v, void *base)
{
    (void)k;
    (void)base;
    conf_load_groups(sc->x, v, conf_load_rule, "rule",
                     "{ name = \"...\"; metric = \"...\"; ... }");
    return 1;
}

/* clang-format off */
/* Notifiers first: rules and agent.failure_actions refer to them wherever
 * they are in the file.  sync before rules: sync.name_prefix. */
const struct conf_key conf_root_keys[] = {
    {.name = "notifiers", .type = CT_LIST, .off = CONF_NOFIELD,
     .expect = "notifiers = ( { ... }, { ... } );",
     .check = conf_root_notifiers,
     .desc = "where notifications go: one group per notifier"},
    {.name = "aws", .type = CT_GROUP, .off = CONF_NOFIELD,
     .expect = "aws = { ... };", .check = conf_root_section,
     .desc = "how AWS is reached"},
    {.name = "agent", .type = CT_GROUP, .off = CONF_NOFIELD,
     .expect = "agent = { ... };", .check = conf_root_section,
     .desc = "the agent's own settings"},
    {.name = "sync", .type = CT_GROUP, .off = CONF_NOFIELD,
     .expect = "sync = { ... };", .check = conf_root_section,
     .desc = "how rules become CloudWatch alarms (plan, sync)"},
    {.name = "rules", .type = CT_LIST, .off = CONF_NOFIELD,
     .expect = "rules = ( { ... }, { ... } );", .check = conf_root_rules,
     .desc = "the alarms: one group per rule or template"},
    {.name = NULL},
};
/* clang-format on */

/* region_hint - aws.region, when the file sets a valid one, before the
 * notifiers are read: their topic ARNs must be in it (conf_int.h). */
static void
region_hint(struct conf_ctx *x, const config_setting_t *root)
{
    const config_setting_t *g = config_setting_get_member(root, "aws");
    const config_setting_t *s = g && config_setting_is_group(g)
                                    ? config_setting_get_member(g, "region")
                                    : NULL;
    const char *v = s && config_setting_type(s) == CONFIG_TYPE_STRING
                        ? config_setting_get_string(s)
                        : NULL;

    if (!v || !sw_region_valid(v))
        return;
    x->region = v;
    x->partition = sw_endpoint_partition(v)->id;
}

static void
load_root(struct conf_ctx *x, const config_setting_t *root)
{
    const struct conf_key *const tabs[] = {conf_root_keys};
    struct conf_scope sc;

    conf_scope_init(&sc, x, root, "");
    (void)conf_check_keys(&sc, tabs, 1, NULL, NULL);
    region_hint(x, root);
    conf_keys_load(&sc, conf_root_keys, x->c);

    for (size_t i = 0; i < x->nnseen; i++)
        if (!x->nused[i])
            conf_warn_at(x, x->nseen[i].file, x->nseen[i].line, NULL,
                         "notifier '%s' is not used by any rule or "
                         "agent.failure_actions",
                         x->nseen[i].name);
    if (x->c->nrules == 0 && x->c->ntemplates == 0)
        conf_warn_at(x, x->name, 0, NULL,
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
scan_ints(struct conf_ctx *x, const char *text)
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
        } else if (conf_is_alpha(*p) || *p == '*') {
            while (conf_is_alnum(*p) || *p == '-' || *p == '_' || *p == '*')
                p++;
        } else if (conf_is_digit(*p) || (*p == '.' && conf_is_digit(p[1]))) {
            const char *t = p, *d, *end;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            int neg = t > text && t[-1] == '-';
            unsigned long long v = 0, lim;
            int big = 0, plain = 1, len;

            while (conf_is_alnum(*p) || *p == '.' || *p == '_' ||
                   (!hex && (*p == '+' || *p == '-') &&
                    (p[-1] == 'e' || p[-1] == 'E')))
                p++;
            end = p;
            if (end - t > 1 && end[-1] == 'L')
                continue; /* 64-bit literal */
            for (d = t + (hex ? 2 : 0); d < end; d++) {
                int dv;
                if (conf_is_digit(*d))
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
            len = (int)(end - t > 40 ? 40 : end - t);
            if (hex)
                conf_report_at(x, x->name, line,
                               "integer %.*s does not fit in 32 bits "
                               "(libconfig would change it silently): write "
                               "it in decimal with .0 for a number",
                               len, t);
            else
                conf_report_at(x, x->name, line,
                               "integer %s%.*s does not fit in 32 bits "
                               "(libconfig would change it silently): write "
                               "%s%.*s.0 for a number",
                               neg ? "-" : "", len, t, neg ? "-" : "", len, t);
        } else {
            p++;
        }
    }
}

/* ---- loading ---- */

static int
cmp_err(const void *a, const void *b)
{
    const struct conf_err *x = a, *y = b;

    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* conf_new - an empty config for the file NAME with the defaults of the
 * tables.  Returns: new, or NULL. */
static struct sw_conf *
conf_new(const char *name)
{
    struct sw_conf *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->path = sw_strdup(name);
    if (!c->path || conf_keys_default(conf_aws_keys, 0, 0, c) < 0 ||
        conf_keys_default(conf_agent_keys, 0, 0, c) < 0 ||
        conf_keys_default(conf_sync_keys, 0, 0, c) < 0) {
        sw_conf_free(c);
        return NULL;
    }
    return c;
}

static void
ctx_release(struct conf_ctx *x)
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

static int
load_text(const char *text, size_t len, const char *name, const char *dir,
          const struct sw_conf_set *sets, size_t nsets, struct sw_conf **out,
          struct sw_strv *errors)
{
    struct conf_ctx x;
    config_t cf;
    char *copy = NULL;
    const char *body, *nul;
    int r = SW_ENOMEM, have_cf = 0;

    *out = NULL;
    memset(&x, 0, sizeof(x));
    x.name = name;
    x.dir = dir;
    x.sets = sets;
    x.nsets = nsets;
    x.c = conf_new(name);
    if (!x.c)
        goto out;

    /* libconfig reads a C string: a NUL would end the file early. */
    nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        conf_report_at(&x, name, line, "syntax error: NUL byte in the file");
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
            conf_report_at(&x, f ? f : name, line > 0 ? (unsigned)line : 0,
                           "syntax error");
        else
            conf_report_at(&x, f ? f : name, line > 0 ? (unsigned)line : 0,
                           "syntax error: %s", t);
        goto done;
    }
    conf_apply_sets(&x, config_root_setting(&cf), x.sets, x.nsets);
    if (x.nerrs == 0 && !x.oom)
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

int
sw_conf_load_text(const char *text, size_t len, const char *name,
                  const char *dir, struct sw_conf **out, struct sw_strv *errors)
{
    return load_text(text, len, name, dir, NULL, 0, out, errors);
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

/* cannot_read - one line "PATH: cannot read: ..." into ERRORS.
 * Returns R, or SW_ENOMEM. */
static int
cannot_read(struct sw_strv *errors, int r, const char *path, const char *why)
{
    struct sw_buf m;

    sw_buf_init(&m, 4096);
    if (sw_buf_addf(&m, "%s: cannot read: %s", path, why) < 0 ||
        sw_strv_push(errors, sw_buf_str(&m)) < 0)
        r = SW_ENOMEM;
    sw_buf_release(&m);
    return r;
}

int
sw_conf_load(const char *path, struct sw_conf **out, struct sw_strv *errors)
{
    return sw_conf_load_with(path, NULL, 0, out, errors);
}

int
sw_conf_load_with(const char *path, const struct sw_conf_set *sets,
                  size_t nsets, struct sw_conf **out, struct sw_strv *errors)
{
    struct sw_buf text;
    char *dir = NULL, why[64];
    int r, oerrno = 0;

    *out = NULL;
    sw_buf_init(&text, SW_CONF_MAX_BYTES);
    r = read_all(path, &text, &oerrno);
    if (r == SW_ETOOBIG) {
        (void)snprintf(why, sizeof(why), "larger than %d bytes",
                       SW_CONF_MAX_BYTES);
        r = cannot_read(errors, r, path, why);
        goto out;
    }
    if (r == SW_ENOENT || r == SW_EIO) {
        r = cannot_read(errors, r, path, strerror(oerrno));
        goto out;
    }
    if (r < 0)
        goto out;
    dir = conf_dir(path);
    if (!dir) {
        r = SW_ENOMEM;
        goto out;
    }
    r = load_text(text.data ? text.data : "", text.len, path, dir, sets, nsets,
                  out, errors);
out:
    free(dir);
    sw_buf_release(&text);
    return r;
}

void
sw_conf_free(struct sw_conf *c)
{
    if (!c)
        return;
    free(c->path);
    conf_keys_free(conf_aws_keys, c);
    conf_keys_free(conf_agent_keys, c);
    conf_keys_free(conf_sync_keys, c);
    for (size_t i = 0; i < c->nnotifiers; i++) {
        struct sw_notifier_conf *n = &c->notifiers[i];

        conf_keys_free(conf_notifier_keys, n);
        /* Only the keys of its own type were read into it. */
        if ((unsigned)n->type < CONF_NTYPES)
            conf_keys_free(conf_notifier_type_keys[n->type], n);
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

const char *
sw_conf_agent_name(const struct sw_conf *c, char *buf, size_t len)
{
    char *dot;

    if (c->agent.name)
        return c->agent.name;
    /* The host name, short form: "onprem-01", not the FQDN, as the
     * prompt shows it.  Characters the config would refuse become '_'. */
    if (len < 2 || gethostname(buf, len - 1) < 0 || !buf[0]) {
        snprintf(buf, len, "%s", "streamwatch");
        return buf;
    }
    buf[len - 1] = '\0';
    dot = strchr(buf, '.');
    if (dot && dot != buf)
        *dot = '\0';
    for (char *p = buf; *p; p++)
        if (!(conf_is_alnum(*p) || strchr("_:-@", *p)))
            *p = '_';
    return buf;
}
