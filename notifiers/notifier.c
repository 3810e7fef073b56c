/* notifiers/notifier.c - the notifier interface; see notifier.h. */
#include "config.h"

#include "notifiers/notifier.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"

int
sw_notifier_base_init(struct sw_notifier *n, const struct sw_notifier_ops *ops,
                      const char *name)
{
    n->ops = ops;
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

int
sw_notifier_deliver(struct sw_notifier *n, const struct sw_alarm_event *ev,
                    char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    return n->ops->deliver(n, ev, err, errlen);
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
    static const char *const map[][2] = {
        {"Sum", "SUM"},
        {"Average", "AVERAGE"},
        {"Minimum", "MINIMUM"},
        {"Maximum", "MAXIMUM"},
        {"SampleCount", "SAMPLE_COUNT"},
    };

    for (size_t i = 0; stat && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(stat, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}
