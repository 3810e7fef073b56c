/* agent/fetch.c - the series an alarm evaluates; see fetch.h. */
#include "config.h"

#include "agent/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/plan.h"
#include "agent/source.h"
#include "lib/err.h"
#include "rules/rule.h"

int
sw_fetch_series(struct sw_source *src, const struct sw_rule *r, time_t start,
                time_t end, struct sw_datapoint **out, size_t *n, int *requests,
                char *err, size_t errlen)
{
    struct sw_plan p;
    int rc;

    *out = NULL;
    *n = 0;
    if (errlen)
        err[0] = '\0';
    sw_plan_init(&p);
    rc = sw_plan_add(&p, r, start, end, NULL);
    if (rc == 0)
        rc = sw_plan_finish(&p);
    if (rc == 0)
        rc = sw_source_fetch_all(src, p.fetches, p.nfetches, NULL, requests);
    if (rc != SW_ENOMEM)
        rc = sw_plan_series(&p, 0, out, n, err, errlen);
    sw_plan_release(&p);
    return rc;
}
