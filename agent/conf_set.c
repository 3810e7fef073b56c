/* agent/conf_set.c - `--set [NAME.]KEY=VALUE`: a rule key changed for one
 * run, without editing the file (`backtest` tries a threshold this way).
 *
 * The change is made in libconfig's tree, after the file is parsed and
 * before any rule is read from it, so a value set here is checked exactly
 * as the same value written in the file would be (type, range, meaning),
 * and any rule key works, including ones added later.  VALUE is read as a
 * libconfig value ("25", "2.5", "true", "[\"a\", \"b\"]", "\"text\"");
 * what does not parse as one is taken as a string, so that
 * `--set comparison=LessThanThreshold` needs no shell quoting.  NAME is a
 * rule's or a template's `name` as written in the file; without it the
 * change applies to every rule group.  A message about a value set here
 * has no line of its own: it is reported at the file as a whole.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "agent/conf.h"
#include "agent/conf_int.h"
#include "lib/buf.h"
#include "lib/err.h"

/* libconfig's name syntax: [A-Za-z*][-A-Za-z0-9_*]*. */
static int
valid_key(const char *k)
{
    if (!*k || !(conf_is_alpha((unsigned char)*k) || *k == '*'))
        return 0;
    for (; *k; k++)
        if (!conf_is_alpha((unsigned char)*k) &&
            !conf_is_digit((unsigned char)*k) && *k != '-' && *k != '_' &&
            *k != '*')
            return 0;
    return 1;
}

int
sw_conf_set_parse(const char *arg, struct sw_conf_set *out, char *err,
                  size_t errlen)
{
    const char *eq = strchr(arg, '=');
    const char *dot;
    size_t klen;

    memset(out, 0, sizeof(*out));
    if (!eq || eq == arg) {
        sw_err_set(err, errlen,
                   "--set '%s': expected [NAME.]KEY=VALUE, as threshold=25",
                   arg);
        return SW_EINVAL;
    }
    /* KEY is the part after the last dot: alarm names may hold dots,
     * keys never do. */
    dot = memrchr(arg, '.', (size_t)(eq - arg));
    out->alarm = dot ? strndup(arg, (size_t)(dot - arg)) : NULL;
    klen = (size_t)(eq - (dot ? dot + 1 : arg));
    out->key = strndup(dot ? dot + 1 : arg, klen);
    out->value = strdup(eq + 1);
    if ((dot && !out->alarm) || !out->key || !out->value) {
        sw_conf_set_release(out);
        return SW_ENOMEM;
    }
    if ((dot && !out->alarm[0]) || !valid_key(out->key)) {
        sw_err_set(err, errlen,
                   "--set '%s': '%s' is not a key name (letters, digits, "
                   "'-' and '_')",
                   arg, out->key);
        sw_conf_set_release(out);
        return SW_EINVAL;
    }
    return 0;
}

void
sw_conf_set_release(struct sw_conf_set *s)
{
    free(s->alarm);
    free(s->key);
    free(s->value);
    memset(s, 0, sizeof(*s));
}

/* Copy the value of FROM into TO, a new setting of the same type. */
static int
copy_value(config_setting_t *to, const config_setting_t *from)
{
    switch (config_setting_type(from)) {
    case CONFIG_TYPE_INT:
        return config_setting_set_int(to, config_setting_get_int(from));
    case CONFIG_TYPE_INT64:
        return config_setting_set_int64(to, config_setting_get_int64(from));
    case CONFIG_TYPE_FLOAT:
        return config_setting_set_float(to, config_setting_get_float(from));
    case CONFIG_TYPE_BOOL:
        return config_setting_set_bool(to, config_setting_get_bool(from));
    case CONFIG_TYPE_STRING:
        return config_setting_set_string(to, config_setting_get_string(from));
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_GROUP:
        for (int i = 0; i < config_setting_length(from); i++) {
            const config_setting_t *e =
                config_setting_get_elem(from, (unsigned)i);
            config_setting_t *n = config_setting_add(to, config_setting_name(e),
                                                     config_setting_type(e));
            if (!n || copy_value(n, e) != CONFIG_TRUE)
                return CONFIG_FALSE;
        }
        return CONFIG_TRUE;
    default: return CONFIG_FALSE;
    }
}

/* Set KEY of the rule group G to V (a parsed value). */
static int
set_in(config_setting_t *g, const char *key, const config_setting_t *v)
{
    config_setting_t *n;

    if (config_setting_get_member(g, key) &&
        config_setting_remove(g, key) != CONFIG_TRUE)
        return SW_ENOMEM;
    n = config_setting_add(g, key, config_setting_type(v));
    if (!n || copy_value(n, v) != CONFIG_TRUE)
        return SW_ENOMEM;
    return 0;
}

/* Parse VALUE as libconfig does, into CF's "v"; else as a string. */
static int
parse_value(config_t *cf, const char *value, config_setting_t **out)
{
    struct sw_buf b;
    int ok;

    sw_buf_init(&b, 64 * 1024);
    if (sw_buf_addf(&b, "v = %s;", value) < 0) {
        sw_buf_release(&b);
        return SW_ENOMEM;
    }
    ok = strchr(value, ';') == NULL && strchr(value, '\n') == NULL &&
         config_read_string(cf, sw_buf_str(&b)) == CONFIG_TRUE;
    sw_buf_release(&b);
    if (!ok) {
        config_destroy(cf);
        config_init(cf);
        *out = config_setting_add(config_root_setting(cf), "v",
                                  CONFIG_TYPE_STRING);
        if (!*out || config_setting_set_string(*out, value) != CONFIG_TRUE)
            return SW_ENOMEM;
        return 0;
    }
    *out = config_setting_get_member(config_root_setting(cf), "v");
    return *out ? 0 : SW_ENOMEM;
}

void
conf_apply_sets(struct conf_ctx *x, config_setting_t *root,
                const struct sw_conf_set *sets, size_t n)
{
    config_setting_t *rules = config_setting_get_member(root, "rules");

    for (size_t i = 0; i < n; i++) {
        const struct sw_conf_set *s = &sets[i];
        config_setting_t *v = NULL;
        config_t cf;
        int hits = 0, r;

        config_init(&cf);
        r = parse_value(&cf, s->value, &v);
        for (int k = 0; r == 0 && rules && config_setting_is_list(rules) &&
                        k < config_setting_length(rules);
             k++) {
            config_setting_t *g = config_setting_get_elem(rules, (unsigned)k);
            const char *name = NULL;

            if (!g || !config_setting_is_group(g))
                continue;
            if (s->alarm && (config_setting_lookup_string(g, "name", &name) !=
                                 CONFIG_TRUE ||
                             strcmp(name, s->alarm) != 0))
                continue;
            r = set_in(g, s->key, v);
            hits++;
        }
        config_destroy(&cf);
        if (r < 0) {
            x->oom = 1;
            return;
        }
        if (hits == 0)
            conf_report_at(x, x->name, 0, "--set %s%s%s: %s",
                           s->alarm ? s->alarm : "", s->alarm ? "." : "",
                           s->key,
                           s->alarm ? "no rule or template has this name"
                                    : "the file has no rules");
    }
}
