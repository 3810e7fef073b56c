/* fuzz/fuzz_conf.c - agent/conf: arbitrary bytes checked as a config file.
 *
 * The input goes through sw_conf_load_text(), the same path as
 * sw_conf_load() minus the read.  Its directory does not exist, so an
 * @include can never reach a real file (libconfig joins even absolute and
 * "../" include paths to it, and the kernel stops at the first missing
 * component): the harness stays hermetic.  A config that loads is also
 * summarised, and the invariants the agent relies on are checked, so a
 * "valid" result that breaks them aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct sw_conf *c)
{
    for (size_t i = 0; i < c->nrules; i++) {
        const struct sw_rule *r = c->rules[i];
        /* A single-metric alarm names its metric; a metric-math one has
         * 1..10 metrics and an expression instead. */
        if (!r->name ||
            (!r->expression && (!r->metric || !r->stat || !r->namespace_)) ||
            (r->expression &&
             (r->nmetrics < 1 || r->nmetrics > SW_RULE_MAX_METRICS)))
            abort();
        if (r->evaluation_periods < 1 || r->datapoints_to_alarm < 1 ||
            r->datapoints_to_alarm > r->evaluation_periods)
            abort();
        if (sw_rule_eval_range(r) > 1440)
            abort();
        if (r->alarm_actions.n > 5 || r->ok_actions.n > 5 ||
            r->insufficient_data_actions.n > 5)
            abort();
    }
    for (size_t i = 0; i < c->nnotifiers; i++) {
        const struct sw_notifier_conf *n = &c->notifiers[i];
        if (!n->name || sw_conf_notifier(c, n->name) != n)
            abort();
        for (size_t j = 0; j < n->nheaders; j++)
            if (strpbrk(n->headers[j].value, "\r\n"))
                abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};
    struct sw_buf b;
    int r;

    if (size > SW_CONF_MAX_BYTES)
        return 0;
    r = sw_conf_load_text((const char *)data, size, "fuzz.conf",
                          "/nonexistent/streamwatch-fuzz", &c, &errors);
    if (r == 0) {
        if (errors.n != 0)
            abort();
        check(c);
        sw_buf_init(&b, 1024 * 1024);
        (void)sw_conf_summary(c, &b);
        sw_buf_release(&b);
    } else if (r == SW_EPARSE && errors.n == 0) {
        abort(); /* a failure must say why */
    }
    sw_conf_free(c);
    sw_strv_release(&errors);
    return 0;
}
