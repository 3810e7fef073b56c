/* agent/conf_int.h - what the files of the config loader share.
 *
 * Private to agent/conf*.c; nothing else includes it (the API is
 * agent/conf.h).  The loader is split by concern:
 *   conf.c            reading, the libconfig parse, error reporting, the
 *                     walk from the root, the root, aws, agent and sync
 *                     tables, sw_conf_free()
 *   conf_schema.c/.h  the key descriptor and the getters the tables drive
 *                     (types, ranges, choices, defaults, storage), unknown
 *                     keys, the text and URL checks
 *   conf_notifiers.c  the notifier tables, notifiers and action lists
 *   conf_rules.c      the rule and metric tables, rules and their metrics
 *   conf_templates.c  templated rules ('streams') and sw_conf_instantiate()
 *   conf_summary.c    sw_conf_summary()
 * The functions here have external linkage only so that those files can
 * call each other; their names start with conf_ rather than sw_ because
 * nothing outside the loader may call them.
 *
 * A load is one struct conf_ctx.  Each group being checked gets a struct
 * conf_scope that names it in messages ("rule 'x'", "notifier 'y'",
 * "aws").  Checks never stop at the first problem: every error is
 * recorded with the file and line of the most specific setting, and all
 * are sorted into file order at the end.  An allocation failure only sets
 * ctx->oom, so the walk needs no unwinding; the load then fails with
 * SW_ENOMEM.  Strings from libconfig (names, values) are borrowed while
 * the config_t lives, that is for the whole load.
 *
 * Depends on lib/ and libconfig; its users include agent/conf.h.
 */
#ifndef SW_AGENT_CONF_INT_H
#define SW_AGENT_CONF_INT_H

#include <stddef.h>
#include <string.h>

#include <libconfig.h>

#include "lib/err.h"
#include "lib/log.h" /* SW_PRINTF */

/* agent/conf.h, which every file of the loader includes first, has these:
 * not included here, so that conf.c and this header form no include
 * cycle (scripts/check-layers). */
struct sw_conf;
struct sw_conf_set;
struct sw_rule;
struct sw_strv;

#define CONF_MAX_MSG        1024 /* one reported line, user text included */
#define CONF_MAX_ACTIONS    5    /* CloudWatch: actions per state */
#define CONF_CW_LIMIT       " per state (CloudWatch's limit)"
#define CONF_MAX_FAILURE    16   /* agent.failure_actions */
#define CONF_MAX_DATAPOINTS 1440 /* one GetMetricStatistics reply */
#define CONF_MAX_LABELS     32
#define CONF_MAX_REPEAT_S   604800 /* a week; longer is a forgotten alarm */
#define CONF_MONTH_S        (30L * 86400)
#define CONF_MAX_STREAMS    100 /* entries in one template's 'streams' */
#define CONF_MAX_METRIC_ID  255 /* MetricDataQuery Id */
#define CONF_NTYPES         5   /* enum sw_notifier_type */

struct conf_err {
    char *text; /* "FILE:LINE: message" */
    int rank;   /* order of the file: first file with an error is 0 */
    unsigned line;
    size_t seq; /* order of discovery, for equal lines */
};

/* A name seen so far: a notifier, an alarm or a template. */
struct conf_seen {
    const char *name; /* borrowed from libconfig or an alarm in c->rules */
    const char *file; /* ditto, or our name for the main file */
    unsigned line;
    const char *stream; /* alarm names: a template's alarm, its stream */
};

struct conf_ctx {
    const char *name; /* main file name, as given */
    const char *dir;  /* relative paths and @include resolve here */
    struct sw_conf *c;
    struct conf_err *errs;
    size_t nerrs;
    const char **ranks; /* file names in order of their first error */
    size_t nranks;
    struct conf_seen *nseen; /* notifier names with a valid name */
    int *nused;              /* per nseen entry: referenced by an action */
    size_t nnseen;
    struct conf_seen *rseen; /* alarm and template names */
    size_t nrseen;
    /* aws.region when the file sets a valid one, and its partition: SNS
     * topic ARNs must be there, as the running agent requires (it signs
     * for that region).  NULL: the region comes from the environment. */
    const char *region;
    const char *partition;
    const struct sw_conf_set *sets; /* `--set`, made before the rules are
                                       read */
    size_t nsets;
    int oom;
};

/* What the loader of a group is working on. */
struct conf_scope {
    struct conf_ctx *x;
    const config_setting_t *g;
    void *arg;       /* the section loader's own state, for its callbacks */
    char what[1100]; /* message prefix; a 255-character UTF-8 name fits */
};

/* ---- small character classes ---- */

static inline int
conf_is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static inline int
conf_is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static inline int
conf_is_alnum(int ch)
{
    return conf_is_alpha(ch) || conf_is_digit(ch);
}

/* conf_in_list - 1 when S is in the NULL-terminated LIST. */
static inline int
conf_in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* ---- reporting (conf.c) ---- */

const char *conf_file_of(const struct conf_ctx *x, const config_setting_t *s);
unsigned conf_line_of(const config_setting_t *s);

/* conf_apply_sets - make the N `--set` changes SETS in ROOT's rules
 * (agent/conf_set.c); a name no rule has is an error in X. */
void conf_apply_sets(struct conf_ctx *x, config_setting_t *root,
                     const struct sw_conf_set *sets, size_t n);

/* conf_report_at - an error at FILE:LINE (LINE 0: the file as a whole). */
void conf_report_at(struct conf_ctx *x, const char *file, unsigned line,
                    const char *fmt, ...) SW_PRINTF(4, 5);
/* conf_warn_at - a warning at FILE:LINE about WHAT (may be NULL). */
void conf_warn_at(struct conf_ctx *x, const char *file, unsigned line,
                  const char *what, const char *fmt, ...) SW_PRINTF(5, 6);
/* conf_serr - an error about setting S (its file and line) in scope SC. */
void conf_serr(struct conf_scope *sc, const config_setting_t *s,
               const char *fmt, ...) SW_PRINTF(3, 4);
void conf_swarn(struct conf_scope *sc, const config_setting_t *s,
                const char *fmt, ...) SW_PRINTF(3, 4);

void conf_scope_init(struct conf_scope *sc, struct conf_ctx *x,
                     const config_setting_t *g, const char *what);
void conf_scope_name(struct conf_scope *sc, const char *fmt, ...)
    SW_PRINTF(2, 3);

/* ---- copies and paths (conf.c) ---- */

/* conf_copy_str - a copy of S, or NULL with x->oom set. */
char *conf_copy_str(struct conf_ctx *x, const char *s);
/* conf_resolve - P made absolute against the config's directory.
 * Returns: new, or NULL (x->oom set). */
char *conf_resolve(struct conf_ctx *x, const char *p);

/* ---- text (conf_schema.c) ---- */

/* conf_check_text - V (of the setting S, called LABEL in messages, e.g.
 * "'metric'") holds 1 to MAX characters of UTF-8 without control
 * characters, or what FLAGS (CK_ASCII, CK_NOBLANK, CK_NEWLINES of
 * conf_schema.h) say.  Returns 0 or SW_EINVAL (reported). */
int conf_check_text(struct conf_scope *sc, const config_setting_t *s,
                    const char *label, const char *v, long max, unsigned flags);

/* conf_check_url - V is <scheme>://host[:port][/...] with a scheme from
 * SCHEMES (two of them: the message names both), no spaces, control
 * characters or credentials (CRED_HINT says where they go instead): the
 * config's URL grammar, in the words of its messages.  The owner of the
 * setting then has the last word (sw_endpoint_check_url(),
 * sw_email_url_check(), ...).  *scheme is the index in SCHEMES.
 * Returns 0 or SW_EINVAL (reported). */
int conf_check_url(struct conf_scope *sc, const config_setting_t *s,
                   const char *key, const char *v, const char *const *schemes,
                   const char *cred_hint, int *scheme);

/* {"http", "https", NULL} and {"smtp", "smtps", NULL}, for SCHEMES. */
extern const char *const conf_http_schemes[];
extern const char *const conf_smtp_schemes[];

/* ---- the sections ---- */

/* conf_load_notifier - the notifier group G, the IDX'th of 'notifiers',
 * appended to c->notifiers (conf_notifiers.c). */
void conf_load_notifier(struct conf_ctx *x, const config_setting_t *g,
                        size_t idx);
/* conf_load_rule - the rule group G, the IDX'th of 'rules': its alarms go
 * to c->rules, a template with patterns to c->templates (conf_rules.c). */
void conf_load_rule(struct conf_ctx *x, const config_setting_t *g, size_t idx);

/* conf_load_actions - the list S (the setting KEY) names notifiers, or raw
 * SNS topic ARNs when ALLOW_ARN; at most MAX entries (LIMIT says whose
 * limit), no repeats; the valid ones are appended to OUT
 * (conf_notifiers.c). */
void conf_load_actions(struct conf_scope *sc, const config_setting_t *s,
                       const char *key, int allow_arn, long max,
                       const char *limit, struct sw_strv *out);

/* conf_report_cleartext - R and WHY are what a cleartext check said
 * (sw_url_cleartext_check() and the notifiers' own): a refusal is an
 * error at AT, the setting that sends the secret; a pass that only
 * allow_insecure = true made is a warning at SA, its setting, and so is
 * allow_insecure = true where nothing needs it (conf_notifiers.c). */
void conf_report_cleartext(struct conf_scope *sc, int r, const char *why,
                           const config_setting_t *at,
                           const config_setting_t *sa, int allow);

/* conf_push_rule - append R to *V.  Steals: r (freed when that fails).
 * Returns 0 or SW_ENOMEM (x->oom set) (conf_rules.c). */
int conf_push_rule(struct conf_ctx *x, struct sw_rule ***v, size_t *n,
                   struct sw_rule *r);
int conf_find_rule(const struct conf_ctx *x, const char *name);
/* conf_note_rule - remember an alarm (or template) name.  NAME, FILE and
 * STREAM are borrowed: from libconfig, or from an alarm in c->rules. */
void conf_note_rule(struct conf_ctx *x, const char *name, const char *file,
                    unsigned line, const char *stream);
/* conf_first_defined - where the alarm F was defined, for a message
 * written in FILE: "line 3", "other.conf:3", plus " for stream 'orders'"
 * for a template's alarm.  Returns: new, or NULL (x->oom set). */
char *conf_first_defined(struct conf_ctx *x, const struct conf_seen *f,
                         const char *file);

/* conf_uses_stream - 1 when a dimension of R or of one of its metrics
 * holds {stream} (conf_templates.c). */
int conf_uses_stream(const struct sw_rule *r);
/* conf_expand - the alarms of T's literal stream names, appended to
 * c->rules in the order of 'streams' (SC is T's scope, for messages); T
 * itself goes to c->templates when it has a pattern, else it is freed.
 * Steals: t (conf_templates.c). */
void conf_expand(struct conf_scope *sc, struct sw_rule *t);

#endif
