/* fuzz/fuzz_describe_alarms.c - aws/cwalarms and agent/sync: arbitrary
 * bytes as a DescribeAlarms reply (and as a ListTagsForResource reply).
 * A failed parse must leave nothing behind and give a one-line reason; a
 * successful one must give alarms with valid names and ARNs and a token
 * the request builder accepts for the next page.  Each alarm then goes
 * through the sync's normalisation: it must succeed, be idempotent and
 * compare equal to itself, and a plan over the page (everything owned,
 * prune on) must hold exactly one delete per distinct alarm. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/sync.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_alarm(const json_t *a)
{
    json_t *n1 = NULL, *n2 = NULL;
    struct sw_strv lines = {NULL, 0};
    int r;

    if (!sw_cwa_name_is_valid(
            json_string_value(json_object_get(a, "AlarmName"))) ||
        !sw_cwa_arn_is_valid(json_string_value(json_object_get(a, "AlarmArn"))))
        abort();
    r = sw_sync_normalize(a, NULL, &n1);
    if (r == SW_ENOMEM)
        return;
    if (r < 0)
        abort();
    r = sw_sync_normalize(n1, NULL, &n2);
    if (r == 0) {
        if (!json_equal(n1, n2))
            abort();
        r = sw_sync_diff(n1, n2, &lines, NULL);
        if (r != 0 && r != SW_ENOMEM)
            abort();
    }
    sw_strv_release(&lines);
    json_decref(n1);
    json_decref(n2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *alarms = NULL, *tags = NULL, *owned, *none;
    struct sw_sync_plan plan;
    struct sw_buf body;
    char *token = NULL, err[256];
    size_t i, distinct;
    const json_t *a;
    int r;

    r = sw_cwa_list_tags_parse((const char *)data, size, &tags, err,
                               sizeof(err));
    if (r < 0 && (tags || (r == SW_EPARSE && (!err[0] || strchr(err, '\n')))))
        abort();
    json_decref(tags);

    r = sw_cwa_describe_alarms_parse((const char *)data, size, &alarms, &token,
                                     err, sizeof(err));
    if (r < 0) {
        if (r != SW_EPARSE && r != SW_ENOMEM)
            abort();
        if (alarms || token || !err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (!json_is_array(alarms))
        abort();
    sw_buf_init(&body, SW_CWA_MAX_REQUEST + SW_CWA_TOKEN_MAX * 6);
    r = sw_cwa_describe_alarms_request("kds-", SW_CWA_PAGE_RECORDS, token,
                                       &body, err, sizeof(err));
    if (r < 0 && r != SW_ENOMEM)
        abort();
    sw_buf_release(&body);

    owned = json_object();
    none = json_array();
    json_array_foreach(alarms, i, a)
    {
        check_alarm(a);
        if (owned)
            (void)json_object_set_new(
                owned, json_string_value(json_object_get(a, "AlarmArn")),
                json_pack("{ss}", SW_SYNC_OWNER_TAG, "fuzz"));
    }
    if (owned && none) {
        json_t *seen = json_object();

        r = sw_sync_plan_compute(none, alarms, owned, "fuzz", 1, &plan);
        if (r == 0 && seen) {
            /* One delete per name (a page may repeat one). */
            json_array_foreach(alarms, i, a)(void) json_object_set_new(
                seen, json_string_value(json_object_get(a, "AlarmName")),
                json_true());
            distinct = json_object_size(seen);
            if (plan.ndelete != distinct || plan.ncreate || plan.nupdate)
                abort();
        } else if (r < 0 && r != SW_ENOMEM) {
            abort();
        }
        if (r == 0)
            sw_sync_plan_release(&plan);
        json_decref(seen);
    }
    json_decref(owned);
    json_decref(none);
    json_decref(alarms);
    free(token);
    return 0;
}
