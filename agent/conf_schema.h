/* agent/conf_schema.h - the config schema: one table of keys per section.
 *
 * Every key the file may hold is one struct conf_key row in the table of
 * its section: the root, aws, agent, sync, a notifier (the keys of every
 * type, then those of each type), a rule and one metric of a metric-math
 * rule.  A row says the key's type, its range, length or choices, its
 * default, where the value is stored (offsetof into the section's struct
 * of agent/conf.h or rules/rule.h) and what it means.  The tables drive:
 *   - unknown keys: conf_check_keys() accepts exactly the rows' names;
 *   - type, range and choice errors, with FILE:LINE: conf_key_load();
 *   - the defaults: conf_keys_default();
 *   - storage and its release: conf_key_load(), conf_keys_free();
 *   - the names `check` prints (conf_notifier_types);
 * and tests/unit/test_conf.c holds docs/configuration.md to them.
 * What one row cannot say (a notifier name that must be unique, a URL
 * that only the notifier can judge) is a check callback on the row,
 * written next to the table in its section's file, and the checks that
 * join several keys stay in the section's loader.
 *
 * A plain key is a field in agent/conf.h and a row in its table, for
 * example in conf.c's agent table:
 *     {.name = "foo_timeout", .type = CT_INT, .min = 1, .max = 3600,
 *      .def = 30, .off = C(agent.foo_timeout_s), .desc = "..."},
 * and its entry in docs/configuration.md.
 *
 * Private to agent/conf*.c.  Depends on agent/conf_int.h and libconfig,
 * not on agent/conf.h (the rows' shapes are all it knows).
 */
#ifndef SW_AGENT_CONF_SCHEMA_H
#define SW_AGENT_CONF_SCHEMA_H

#include <stddef.h>

#include <libconfig.h>

#include "agent/conf_int.h"

enum conf_type {
    CT_STR,     /* 1 to .max characters of UTF-8 without control
                   characters (the text flags below); a copy (char *) */
    CT_PATH,    /* a file name of at most 4096 characters, made absolute
                   against the config's directory (char *) */
    CT_INT,     /* an integer in [.min, .max] (int) */
    CT_NUM,     /* a finite number; an integer will do (double) */
    CT_BOOL,    /* true or false (int, 0 or 1) */
    CT_ENUM,    /* a string .parse accepts: the int it gives, or with
                   CK_STRVAL a copy of the string (char *) */
    CT_STRLIST, /* an array of strings (struct sw_strv) */
    CT_GROUP,   /* a group of name = value settings: the callback reads it
                   into the array at .off, counted at .off_n */
    CT_LIST,    /* a list of groups (an empty array will do): ditto */
};

#define CK_REQUIRED 0x001u /* absent: "'key' is required", at the group */
#define CK_IDENT                                                               \
    0x002u                 /* names the group: the section's loader reads      \
                              it before unknown keys are reported, so that     \
                              the messages can name the group */
#define CK_ASCII    0x004u /* text: printable ASCII only */
#define CK_NOBLANK  0x008u /* text: not only spaces */
#define CK_NEWLINES 0x010u /* text: newlines and tabs allowed */
#define CK_RAW                                                                 \
    0x020u               /* CT_STR: only the type is checked; the              \
                            callback judges the text */
#define CK_EMPTY  0x040u /* CT_STR: "" means unset */
#define CK_STDIO  0x080u /* CT_PATH: "-" (standard output) is kept */
#define CK_STRVAL 0x100u /* CT_ENUM: store the string */
#define CK_METRIC                                                              \
    0x200u /* a rule's MetricStat key: at the rule's level                     \
              only in single-metric rules */

#define CONF_NOFIELD ((size_t)-1)

/* What conf_key_load() read, for a callback. */
struct conf_value {
    const config_setting_t *s; /* the setting */
    const char *str;           /* CT_STR, CT_PATH, CT_ENUM: the text */
    long long i;               /* CT_INT, CT_BOOL, CT_ENUM: the value */
    double d;                  /* CT_NUM */
};

struct conf_key;

/* A row's check: called once the value has the row's type, length, range
 * or choice, with BASE the section's struct.  Returns 0 to store the value
 * as the row says, 1 when the callback stored it itself (or there is
 * nothing to store), or < 0 with nothing stored: SW_EINVAL when it
 * reported a problem, SW_ENOMEM with x->oom set. */
typedef int conf_check_fn(struct conf_scope *sc, const struct conf_key *k,
                          const struct conf_value *v, void *base);

struct conf_key {
    const char *name; /* NULL ends a table */
    enum conf_type type;
    unsigned flags;   /* CK_* */
    long min, max;    /* CT_INT: the range; CT_STR: the most characters;
                         CT_STRLIST: the most entries (0: no limit) */
    long def;         /* CT_INT, CT_BOOL, CT_ENUM: the default */
    const char *sdef; /* CT_STR, CT_PATH, CT_ENUM with CK_STRVAL: the
                         default, or NULL */
    /* CT_ENUM: 0 and *out when V is one of the choices, else < 0. */
    int (*parse)(const char *v, int *out);
    const char *expect; /* CT_ENUM: the choices as "'key' must be %s, not
                           'x'" words them; CT_GROUP, CT_LIST: an example */
    size_t off;         /* where the value goes, or CONF_NOFIELD */
    size_t off_n;       /* CT_GROUP, CT_LIST: where its count goes */
    conf_check_fn *check;
    const char *desc; /* one line: what the key means */
};

/* The tables, each ended by a row with a NULL name, each in the file of
 * its section: the root, aws, agent and sync in conf.c (BASE: struct
 * sw_conf), notifiers in conf_notifiers.c (struct sw_notifier_conf),
 * rules and their metrics in conf_rules.c (struct sw_rule, struct
 * sw_metric_stat). */
extern const struct conf_key conf_root_keys[];
extern const struct conf_key conf_aws_keys[];
extern const struct conf_key conf_agent_keys[];
extern const struct conf_key conf_sync_keys[];
extern const struct conf_key conf_notifier_keys[]; /* every type */
extern const struct conf_key *const conf_notifier_type_keys[CONF_NTYPES];
extern const struct conf_key conf_rule_keys[];
extern const struct conf_key conf_metric_keys[];
/* "log", "sns", "email", "webhook", "alertmanager", NULL: the names of
 * enum sw_notifier_type (conf_notifiers.c). */
extern const char *const conf_notifier_types[];

/* ---- the getters ---- */

/* conf_get - the member KEY of the scope's group, or NULL. */
const config_setting_t *conf_get(const struct conf_scope *sc, const char *key);

/* conf_key_find - the row called NAME in KEYS, or NULL. */
const struct conf_key *conf_key_find(const struct conf_key *keys,
                                     const char *name);

/* conf_key_load - read the key K of the scope's group into BASE as K says:
 * 1 present and stored (or taken by the callback), 0 absent ("'key' is
 * required" reported when it is), < 0 wrong (SW_EINVAL: reported; nothing
 * stored, so the default stays). */
int conf_key_load(struct conf_scope *sc, const struct conf_key *k, void *base);

/* conf_keys_load - conf_key_load() for every row of KEYS but the CK_IDENT
 * ones, in table order. */
void conf_keys_load(struct conf_scope *sc, const struct conf_key *keys,
                    void *base);

/* conf_keys_default - each row of KEYS whose flags, masked with MASK, are
 * WANT (0, 0: every row) gets its default in BASE, when it has a field.
 * Returns 0 or SW_ENOMEM. */
int conf_keys_default(const struct conf_key *keys, unsigned mask, unsigned want,
                      void *base);

/* conf_keys_free - release what the rows of KEYS stored in BASE (strings,
 * string lists, name = value arrays of struct sw_dimension shape). */
void conf_keys_free(const struct conf_key *keys, void *base);

/* conf_elem_str - the I'th string of the list LIST, its setting in *sp. */
const char *conf_elem_str(const config_setting_t *list, int i,
                          const config_setting_t **sp);

/* A key that is not allowed here, and why. */
struct conf_hint {
    const char *key;
    const char *hint;
};

/* conf_why_fn - a reason the key KEY, not allowed here, exists elsewhere
 * ("only for sns notifiers"), written into BUF; or NULL. */
typedef const char *conf_why_fn(const char *key, char *buf, size_t size);

/* conf_check_keys - every member of the scope's group is a row of one of
 * the NTABS tables TABS; the others are reported on their own line: as
 * secrets (a key like "password"), with LATER's hint, with WHY's reason,
 * or as unknown.  Returns the number reported. */
int conf_check_keys(struct conf_scope *sc, const struct conf_key *const *tabs,
                    size_t ntabs, const struct conf_hint *later,
                    conf_why_fn *why);

/* The callbacks two sections share: repeat_interval (notifiers and rules,
 * conf_notifiers.c) and a template's 'streams' (conf_templates.c). */
conf_check_fn conf_check_repeat, conf_load_streams;

#endif
