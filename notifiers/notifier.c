/* notifiers/notifier.c - the notifier interface; see notifier.h. */
#include "config.h"

#include "notifiers/notifier.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/str.h"
#include "rules/cwrender.h"

/* The outbox default: a day of retrying. */
#define DEFAULT_MAX_AGE_S 86400

/* The most the dedup id's input may hold; the fields are short, but a
 * record from the outbox is input and gets a cap like any other. */
#define DEDUP_MAX_BYTES (64 * 1024)

int
sw_notifier_base_init(struct sw_notifier *n, const struct sw_notifier_ops *ops,
                      const char *name)
{
    n->ops = ops;
    n->max_age_s = DEFAULT_MAX_AGE_S;
    n->repeat_interval_s = 0;
    n->name = sw_strdup(name ? name : "");
    return n->name ? 0 : SW_ENOMEM;
}

void
sw_notifier_base_release(struct sw_notifier *n)
{
    if (!n)
        return;
    free(n->name);
    n->name = NULL;
}

void
sw_notifier_free(struct sw_notifier *n)
{
    if (n)
        n->ops->free(n);
}

const char *
sw_notifier_name(const struct sw_notifier *n)
{
    return n->name;
}

const char *
sw_notifier_type(const struct sw_notifier *n)
{
    return n->ops->type;
}

const char *
sw_notifier_cw_statistic(const char *stat)
{
    /* one table of statistic names: the Trigger's rendering */
    return sw_cwrender_statistic(stat, SW_CWRENDER_SNS);
}

const char *
sw_notifier_alarm_name(const json_t *rec)
{
    const char *s;

    s = json_string_value(
        json_object_get(json_object_get(rec, "alarm"), "AlarmName"));
    return s ? s : "?";
}

/* Append V's text and a NUL separator: the NUL keeps ("ab", "c") and
 * ("a", "bc") apart, and cannot occur inside a jansson string we accept. */
static int
add_field(struct sw_buf *b, const json_t *v)
{
    char *text = NULL;
    int r;

    if (!v || json_is_null(v))
        return sw_buf_addc(b, '\0');
    if (json_is_string(v)) {
        r = sw_buf_add(b, json_string_value(v), json_string_length(v));
        return r < 0 ? r : sw_buf_addc(b, '\0');
    }
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return SW_ENOMEM;
    r = sw_buf_adds(b, text);
    free(text);
    return r < 0 ? r : sw_buf_addc(b, '\0');
}

int
sw_notifier_dedup_id(const json_t *rec, char out[SW_DEDUP_ID_BUF])
{
    const json_t *alarm = json_object_get(rec, "alarm");
    const json_t *sw = json_object_get(rec, "streamwatch");
    const json_t *window = json_object_get(sw, "window_end");
    struct sw_buf b;
    int r;

    out[0] = '\0';
    if (!json_is_object(alarm))
        return SW_EINVAL;
    sw_buf_init(&b, DEDUP_MAX_BYTES);
    r = add_field(&b, json_object_get(alarm, "AlarmName"));
    if (r == 0)
        r = add_field(&b, json_object_get(alarm, "NewStateValue"));
    /* The evaluated period, which every agent shares; the wall-clock
     * change time only for records that do not carry it (see the header),
     * so their ids stay what they were when they were queued. */
    if (r == 0 && json_is_integer(window) && json_integer_value(window) > 0)
        r = add_field(&b, window);
    else if (r == 0)
        r = add_field(&b, json_object_get(alarm, "StateChangeTime"));
    if (r == 0)
        r = add_field(&b, json_object_get(sw, "repeat"));
    if (r < 0)
        goto out;
    r = sw_sha256_hex(b.data ? b.data : "", b.len, out);
out:
    sw_buf_release(&b);
    return r;
}
