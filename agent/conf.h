/* agent/conf.h - loads and checks the configuration file.
 *
 * The config is libconfig syntax; examples/ has working files and README.md
 * the keys.  sw_conf_load() reads it, checks every key for type, range and
 * meaning, and returns a struct sw_conf made only of our own copied types:
 * the loader (agent/conf*.c) is the one place that includes <libconfig.h>,
 * and no config_setting_t escapes it.  Every problem is reported as
 * "FILE:LINE: message", and checking goes on after the first one so that
 * `streamwatch check` shows them all at once.
 *
 * Every key is one row of the schema (agent/conf_schema.c): its type,
 * range or choices, default, the field below that holds it and what it
 * means.  The rows drive unknown-key detection, the type and range
 * messages, the defaults and the release of what was loaded.  A new plain
 * key is a field here and a row there.
 *
 * Conventions of the loaded struct:
 *  - every path (the *_file keys, state_dir, recording, pid_file, a log
 *    notifier's path) is absolute: relative paths are resolved against the
 *    directory of the config file, because the agent may run from anywhere.
 *    The files are not opened here: `check` in CI runs without the agent's
 *    permissions.  Secrets are never accepted inline.
 *  - a setting that a notifier or aws/ judges when the agent starts is
 *    judged here by the same pure function (sw_sns_arn_check(),
 *    sw_email_url_check(), sw_webhook_header_check(), sw_region_valid(),
 *    sw_endpoint_check_url() ...), so `check` cannot pass a file that
 *    `run` refuses.  SNS topic ARNs must be in aws.region when the file
 *    sets it, as the running agent requires.
 *  - no secret crosses the network in clear unless the file says so:
 *    a webhook with bearer_token_file or secret_file over http://, e-mail
 *    with a username and tls "none", and aws.endpoint over http:// are
 *    errors unless the host is loopback (127.0.0.0/8, ::1, localhost) or
 *    the group sets allow_insecure = true, which is then a warning.  The
 *    judgement is the notifiers' own (sw_webhook_cleartext_check(),
 *    sw_email_cleartext_check()) and lib/str.h sw_url_cleartext_check()
 *    for aws, so `check` and the running agent cannot disagree.
 *  - an action (alarm_actions and friends) is the name of a notifier or,
 *    when it starts with "arn:", a raw SNS topic ARN that was validated.
 *  - @include paths are relative to the config file's directory (libconfig
 *    joins even an absolute @include path to that directory).
 *  - libconfig 1.5 silently wraps integers beyond 32 bits, so the main file
 *    is scanned first and such literals are errors ("write 5000000000.0").
 *
 * Rules come in three shapes: a single metric (rule->metric, ->stat,
 * ->namespace_ set); metric math (rule->metrics[] and ->expression set,
 * the rule-level metric fields NULL; the expression was parsed with
 * sw_expr_parse() against the metric ids, so it parses again); and
 * templates ('streams'), which never appear in rules themselves: see
 * rules, templates and sw_conf_instantiate() below.
 *
 * Depends on lib/, rules/, aws/endpoint.h and the pure checks of
 * notifiers/ (sns, email, mime, webhook, alertmanager); no I/O beyond
 * reading the file.
 */
#ifndef SW_AGENT_CONF_H
#define SW_AGENT_CONF_H

#include <stddef.h>

#include "lib/buf.h"
#include "rules/rule.h"

#define SW_CONF_DEFAULT_PATH "/etc/streamwatch/streamwatch.conf"
/* The most the main file may hold: a cap on what we read.  A plainly
 * formatted rule takes 400 to 700 bytes, so a fleet's 5,000 rules need
 * about 3 MiB; 16 MiB leaves room for some 25,000 (docs/configuration.md)
 * while a runaway generator still meets a clear error. */
#define SW_CONF_MAX_BYTES (16 * 1024 * 1024)
/* What an http:// aws.endpoint would send in clear, for
 * sw_url_cleartext_check() here and in the runtime's warning. */
#define SW_CONF_AWS_CLEARTEXT_WHAT "the signed requests and the session token"

enum sw_notifier_type {
    SW_NOTIFIER_LOG,
    SW_NOTIFIER_SNS,
    SW_NOTIFIER_EMAIL,
    SW_NOTIFIER_WEBHOOK,
    SW_NOTIFIER_ALERTMANAGER,
};

struct sw_header_kv {
    char *name;
    char *value;
};

struct sw_notifier_conf {
    char *name;
    enum sw_notifier_type type;
    int line;        /* where the notifier's group starts */
    char *path;      /* log: "-" = stdout, else a file (appended) */
    char *topic_arn; /* sns: arn:<partition>:sns:<region>:
                        <12 digits>:<name>[.fifo] */
    char *url;       /* email: smtp:// or smtps://; webhook: http(s);
                        alertmanager: http(s) base URL, without
                        /api/v2/alerts (the notifier adds it) */
    char *tls;       /* email: "starttls" | "implicit" | "none" */
    char *username;  /* email: NULL, or set with password_file */
    char *password_file;
    char *from;                   /* email: addr-spec */
    char *ca_file;                /* email: extra CA bundle, or NULL */
    struct sw_strv to;            /* email: >= 1 addr-spec, no CR/LF */
    char *format;                 /* webhook: "cloudwatch" (default) |
                                     "alertmanager" | "slack" */
    char *secret_file;            /* webhook: HMAC key for the signature */
    char *bearer_token_file;      /* webhook: "Authorization: Bearer <file>" */
    struct sw_header_kv *headers; /* webhook: extra headers, as
                                     sw_webhook_header_check() allows;
                                     never Authorization */
    size_t nheaders;
    int repeat_interval_s; /* 0 = off */
    int max_age_s;         /* outbox expiry */
    int allow_insecure;    /* email, webhook: secrets may cross the network
                              in clear (see above) */
};

/* aws.fetch: the CloudWatch API datapoints come from. */
enum sw_conf_fetch {
    SW_CONF_FETCH_GMS = 0, /* GetMetricStatistics, the default */
    SW_CONF_FETCH_GMD      /* GetMetricData */
};

/* The aws, agent and sync fields are the rows of their sections in
 * agent/conf_schema.c, which give each one's range and default. */
struct sw_conf {
    char *path; /* the file loaded, as given */
    struct {
        char *region;   /* NULL: AWS_REGION, AWS_DEFAULT_REGION or
                           the profile's region */
        char *profile;  /* NULL: AWS_PROFILE, else "default" */
        char *endpoint; /* http(s) URL, or NULL */
        char *ca_file;  /* NULL: AWS_CA_BUNDLE or the system store */
        int connect_timeout_s;
        int request_timeout_s;
        int max_attempts;   /* 0: AWS_MAX_ATTEMPTS, else 3 */
        int allow_insecure; /* endpoint may be http:// to a host that is
                               not loopback */
        int max_requests_per_second; /* CloudWatch calls, any 1 s window */
        int fetch;                   /* enum sw_conf_fetch */
    } aws;
    struct {
        int interval_s;
        int concurrency; /* fetch requests in flight at once */
        char *state_dir;
        char *recording; /* a recorded CSV metrics file used instead of
                            CloudWatch, or NULL */
        char *pid_file;  /* or NULL */
        char *name;      /* NULL: the host name (sw_conf_agent_name()) */
        int failure_after_s;
        struct sw_strv failure_actions; /* notifier names */
        char *heartbeat_url;            /* or NULL */
        char *metrics_file;             /* or NULL */
    } agent;
    struct {
        char *owner;       /* the streamwatch:owner tag */
        char *name_prefix; /* NULL, or every synced rule's name starts
                              with it */
    } sync;
    struct sw_notifier_conf *notifiers;
    size_t nnotifiers;
    /* The alarms, in file order: every plain rule, and in a template's
     * place the alarms of its literal stream names, in the order of its
     * 'streams' (rules[i]->template_name and ->stream set).  Each rule
     * carries its own repeat_interval_s (0 = off, else >= 60),
     * low_sample_ignore (percentile statistics only) and labels (names
     * match [a-zA-Z_][a-zA-Z0-9_]*, never "alertname" or "__*"). */
    struct sw_rule **rules; /* rules/rule.h */
    size_t nrules;
    /* Templates with at least one pattern in 'streams' ("clicks-*"), in
     * file order, as checked: "{stream}" still in place, 'streams' as
     * written (names and patterns).  The agent lists the streams with
     * Kinesis ListStreams, keeps those sw_template_wants_stream()
     * accepts (rules/template.h: a pattern matches and the name is not
     * literal, so its alarm is in rules already) and makes their alarms
     * with sw_conf_instantiate().  Templates with only literal names are
     * not kept: their alarms are all in rules. */
    struct sw_rule **templates;
    size_t ntemplates;
    size_t nrule_groups; /* rule groups in the file: a template counts once */
    /* Things `check` should show that do not make the file invalid, as
     * "FILE:LINE: warning: message" (no rules, unused notifiers, ...). */
    struct sw_strv warnings;
};

/* sw_conf_load - read, parse and check PATH completely.
 * Returns 0 and *out: new (free with sw_conf_free()).
 * SW_EPARSE when the file has errors: every error is appended to ERRORS
 * as "FILE:LINE: message", in file and line order (all of them; a syntax
 * error stops libconfig at the first, of course).
 * SW_ENOENT / SW_EIO when unreadable and SW_ETOOBIG when larger than
 * SW_CONF_MAX_BYTES: one line "FILE: cannot read: reason" in ERRORS.
 * SW_ENOMEM.  *out is NULL on every failure. */
int sw_conf_load(const char *path, struct sw_conf **out,
                 struct sw_strv *errors);

/* One `--set [NAME.]KEY=VALUE` (agent/conf_set.c): KEY of the rule or
 * template NAME (NULL: of every one) takes VALUE, checked as if the file
 * said so. */
struct sw_conf_set {
    char *alarm; /* or NULL */
    char *key;
    char *value; /* as given: a libconfig value, else a string */
};

/* sw_conf_set_parse - ARG ("threshold=25", "sample-high.threshold=25")
 * into OUT (new strings; sw_conf_set_release()).  Returns 0, SW_EINVAL
 * with a one-line ERR, or SW_ENOMEM. */
int sw_conf_set_parse(const char *arg, struct sw_conf_set *out, char *err,
                      size_t errlen);
void sw_conf_set_release(struct sw_conf_set *s);

/* sw_conf_load_with - sw_conf_load() with the N changes SETS made to the
 * rules first; a NAME that no rule or template has is an error. */
int sw_conf_load_with(const char *path, const struct sw_conf_set *sets,
                      size_t nsets, struct sw_conf **out,
                      struct sw_strv *errors);

/* sw_conf_free - release C and everything in it.  NULL is accepted. */
void sw_conf_free(struct sw_conf *c);

/* sw_conf_metric_id_ok - 1 when S may be a rule's metric id: a lowercase
 * letter, then letters, digits and '_', at most 255 characters (a
 * MetricDataQuery Id); else 0. */
int sw_conf_metric_id_ok(const char *s);

/* sw_conf_agent_name - agent.name, else the short host name with any
 * character agent.name would refuse made '_' (BUF, LEN >= 2, holds it),
 * else "streamwatch".  Returns: borrowed from C or BUF. */
#define SW_CONF_AGENT_NAME_MAX 256
const char *sw_conf_agent_name(const struct sw_conf *c, char *buf, size_t len);

/* sw_conf_notifier - the notifier called NAME.
 * Returns: borrowed (valid until sw_conf_free()), or NULL. */
const struct sw_notifier_conf *sw_conf_notifier(const struct sw_conf *c,
                                                const char *name);

/* sw_conf_notifier_type_name - "log", "sns", "email", "webhook",
 * "alertmanager".  Returns: static. */
const char *sw_conf_notifier_type_name(enum sw_notifier_type t);

/* sw_conf_summary - append what `streamwatch check` prints on success:
 *   "FILE: OK\n  rules: 2 (2 alarms)\n  notifiers: 3 (log 1, sns 1,
 *   email 1)\n  source: CloudWatch in ap-northeast-1\n  API requests: ...\n"
 * ("rules: 3 (6 alarms, and more from 1 template at run time)" with
 * pattern templates; the API requests count one GetMetricStatistics per
 * metric per cycle, so a metric-math alarm costs one per metric),
 * then one line per alarm ("  alarm 'name': Sum of AWS/Kinesis
 * IncomingRecords {StreamName=sample} over 60 s > 10.0 for 1 of 1 periods
 * -> ALARM: ops-topic, oncall-mail; OK: ops-topic"; a template's alarm
 * reads "  alarm 'orders-behind' (from template '{stream}-behind'): w -
 * FILL(r, 0) with w = Sum of AWS/Kinesis IncomingRecords
 * {StreamName=orders}, r = ... over 60 s ..."), one per pattern template
 * ("  template '{stream}-behind': streams matching 'clicks-*' are found at
 * run time with ListStreams (2 GetMetricStatistics per cycle for each)")
 * and one per warning.
 * Returns 0, SW_ENOMEM or SW_ETOOBIG (OUT's cap). */
int sw_conf_summary(const struct sw_conf *c, struct sw_buf *out);

/* sw_conf_instantiate - the alarm TMPL (one of c->templates) defines for
 * STREAM, a name ListStreams returned: sw_rule_instantiate() plus the
 * checks the load applies to the alarms of literal stream names (the
 * name, description, dimension and label lengths PutMetricAlarm and
 * GetMetricStatistics allow after the substitution, sync.name_prefix for
 * a synced alarm).  It does not know the other alarms: the caller skips a
 * name that is taken (by c->rules or by another template's match) and
 * says so.
 * Returns 0 and *out: new (free with sw_rule_free()); SW_EINVAL with a
 * reason in ERR ("stream 'x': ...") when STREAM is not a stream name or
 * the alarm breaks a limit; SW_ENOMEM. */
int sw_conf_instantiate(const struct sw_conf *c, const struct sw_rule *tmpl,
                        const char *stream, struct sw_rule **out, char *err,
                        size_t errlen);

/* For tests and the fuzzer: check TEXT (LEN bytes, need not be
 * NUL-terminated) as if it were the file NAME in directory DIR (absolute;
 * relative paths and @include resolve against it).  Same results as
 * sw_conf_load() except that nothing is read from NAME. */
int sw_conf_load_text(const char *text, size_t len, const char *name,
                      const char *dir, struct sw_conf **out,
                      struct sw_strv *errors);

#endif
