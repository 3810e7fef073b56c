/* aws/cwalarms_reply.c - the CloudWatch alarm replies; see cwalarms.h.
 *
 * Replies are untrusted: a DescribeAlarms page is checked member by
 * member against the model's types before anyone sees it (names and ARNs
 * end up in log lines and in the next requests), and every list has a
 * cap.  Pure: no I/O.  The validators of the API's limits are in
 * aws/cwalarms_request.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/cwalarms.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "lib/utf8.h"

enum mtype { M_STRING, M_BOOL, M_NUMBER, M_STRINGS, M_DIMS, M_OBJECTS };

static const struct {
    const char *name;
    enum mtype type;
} alarm_members[] = {
    {"AlarmDescription", M_STRING},
    {"MetricName", M_STRING},
    {"Namespace", M_STRING},
    {"Statistic", M_STRING},
    {"ExtendedStatistic", M_STRING},
    {"Unit", M_STRING},
    {"ComparisonOperator", M_STRING},
    {"TreatMissingData", M_STRING},
    {"EvaluateLowSampleCountPercentile", M_STRING},
    {"ThresholdMetricId", M_STRING},
    {"StateValue", M_STRING},
    {"ActionsEnabled", M_BOOL},
    {"Period", M_NUMBER},
    {"EvaluationPeriods", M_NUMBER},
    {"DatapointsToAlarm", M_NUMBER},
    {"Threshold", M_NUMBER},
    {"OKActions", M_STRINGS},
    {"AlarmActions", M_STRINGS},
    {"InsufficientDataActions", M_STRINGS},
    {"Dimensions", M_DIMS},
    {"Metrics", M_OBJECTS},
};

/* One member of an alarm has the type the model gives it.  Returns 0 or
 * SW_EPARSE with the reason after "MetricAlarms entry I: ". */
static int
check_member(const json_t *v, enum mtype t, const char *name, size_t i,
             char *err, size_t errlen)
{
    const char *want = NULL;

    switch (t) {
    case M_STRING:
        if (!sw_json_whole_string(v, NULL))
            want = "a string";
        break;
    case M_BOOL:
        if (!json_is_boolean(v))
            want = "a boolean";
        break;
    case M_NUMBER:
        if (!json_is_number(v))
            want = "a number";
        break;
    case M_STRINGS:
    case M_DIMS:
    case M_OBJECTS:
        if (!json_is_array(v)) {
            want = "an array";
            break;
        }
        for (size_t k = 0; k < json_array_size(v); k++) {
            const json_t *e = json_array_get(v, k);

            if (t == M_STRINGS && !sw_json_whole_string(e, NULL)) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: '%s' entry %zu is %s, not "
                           "a string",
                           i, name, k, sw_json_type_name(e));
                return SW_EPARSE;
            }
            if (t != M_STRINGS && !json_is_object(e)) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: '%s' entry %zu is %s, not "
                           "an object",
                           i, name, k, sw_json_type_name(e));
                return SW_EPARSE;
            }
            if (t == M_DIMS &&
                (!sw_json_whole_string(json_object_get(e, "Name"), NULL) ||
                 !sw_json_whole_string(json_object_get(e, "Value"), NULL))) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: 'Dimensions' entry %zu "
                           "needs string 'Name' and 'Value'",
                           i, k);
                return SW_EPARSE;
            }
        }
        break;
    }
    if (want) {
        sw_err_set(err, errlen, "MetricAlarms entry %zu: '%s' is %s, not %s", i,
                   name, sw_json_type_name(v), want);
        return SW_EPARSE;
    }
    return 0;
}

/* Check and tidy one MetricAlarms entry in place (null members go). */
static int
check_alarm(json_t *a, size_t i, char *err, size_t errlen)
{
    const char *s;
    int r;

    if (!json_is_object(a)) {
        sw_err_set(err, errlen, "MetricAlarms entry %zu is %s, not an object",
                   i, sw_json_type_name(a));
        return SW_EPARSE;
    }
    /* Nulls first: a member set to null is one the service left out, as
     * far as comparing configurations goes. */
    for (;;) {
        const char *key, *gone = NULL;
        json_t *v;

        json_object_foreach(a, key, v)
        {
            if (json_is_null(v)) {
                gone = key;
                break;
            }
        }
        if (!gone)
            break;
        if (json_object_del(a, gone) < 0)
            return SW_EPARSE;
    }
    s = sw_json_whole_string(json_object_get(a, "AlarmName"), NULL);
    if (!s || !sw_cwa_name_is_valid(s)) {
        sw_err_set(err, errlen,
                   "MetricAlarms entry %zu has no valid 'AlarmName'", i);
        return SW_EPARSE;
    }
    s = sw_json_whole_string(json_object_get(a, "AlarmArn"), NULL);
    if (!s || !sw_cwa_arn_is_valid(s)) {
        sw_err_set(err, errlen,
                   "MetricAlarms entry %zu has no valid 'AlarmArn'", i);
        return SW_EPARSE;
    }
    for (size_t k = 0; k < sizeof(alarm_members) / sizeof(alarm_members[0]);
         k++) {
        const json_t *v = json_object_get(a, alarm_members[k].name);

        if (!v)
            continue;
        r = check_member(v, alarm_members[k].type, alarm_members[k].name, i,
                         err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

/* What both parsers do once they have their outputs: ERR cleared, the
 * reply loaded; NULL with ERR saying why it is not a JSON object. */
static json_t *
load(const char *json, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    return sw_json_load_object(json, len, err, errlen);
}

int
sw_cwa_describe_alarms_parse(const char *json, size_t len, json_t **alarms,
                             char **next_token, char *err, size_t errlen)
{
    json_t *root = NULL, *list, *out = NULL;
    const json_t *tok;
    char *token = NULL;
    int r;

    if (!alarms || !next_token) {
        sw_err_set(err, errlen, "no output");
        return SW_EINVAL;
    }
    *alarms = NULL;
    *next_token = NULL;
    root = load(json, len, err, errlen);
    if (!root)
        return SW_EPARSE;
    r = sw_json_array_member(root, "MetricAlarms", SW_CWA_MAX_ALARMS, &list,
                             err, errlen);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < json_array_size(list); i++) {
        r = check_alarm(json_array_get(list, i), i, err, errlen);
        if (r < 0)
            goto out;
    }
    r = SW_ENOMEM;
    out = list ? json_incref(list) : json_array();
    if (!out) {
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    r = SW_EPARSE;
    tok = json_object_get(root, "NextToken");
    if (tok && !json_is_null(tok)) {
        size_t n;
        const char *t = sw_json_whole_string(tok, &n);

        if (!t) {
            sw_err_set(err, errlen, "'NextToken' is %s, not a string",
                       sw_json_type_name(tok));
            goto out;
        }
        if (!sw_cwa_token_is_valid(t, n)) {
            sw_err_set(err, errlen,
                       "'NextToken' is not 1-%d bytes without control "
                       "characters",
                       SW_CWA_TOKEN_MAX);
            goto out;
        }
        token = sw_strdup(t);
        if (!token) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    *alarms = out;
    out = NULL;
    *next_token = token;
    token = NULL;
    r = 0;
out:
    free(token);
    json_decref(out);
    json_decref(root);
    return r;
}

int
sw_cwa_list_tags_parse(const char *json, size_t len, json_t **out, char *err,
                       size_t errlen)
{
    json_t *root = NULL, *tags = NULL, *list;
    int r;

    if (!out) {
        sw_err_set(err, errlen, "no output");
        return SW_EINVAL;
    }
    *out = NULL;
    root = load(json, len, err, errlen);
    if (!root)
        return SW_EPARSE;
    tags = json_object();
    if (!tags) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    /* A resource holds at most 50 tags; more is not a real reply and
     * would only cost memory. */
    r = sw_json_array_member(root, "Tags", SW_CWA_MAX_TAGS, &list, err, errlen);
    if (r < 0)
        goto out;
    r = SW_EPARSE;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *t = json_array_get(list, i), *v;
        const char *k, *s;
        size_t klen, vlen;

        if (!json_is_object(t)) {
            sw_err_set(err, errlen, "'Tags' entry %zu is %s, not an object", i,
                       sw_json_type_name(t));
            goto out;
        }
        k = sw_json_whole_string(json_object_get(t, "Key"), &klen);
        if (!k || !sw_cwa_text_is_valid(k, klen, 1, SW_CWA_TAG_KEY_MAX)) {
            sw_err_set(err, errlen, "'Tags' entry %zu has no valid 'Key'", i);
            goto out;
        }
        v = json_object_get(t, "Value");
        s = sw_json_whole_string(v, &vlen);
        if (!s || sw_utf8_count(s, vlen) > SW_CWA_TAG_VALUE_MAX) {
            sw_err_set(err, errlen, "'Tags' entry %zu has no valid 'Value'", i);
            goto out;
        }
        if (json_object_set(tags, k, (json_t *)v) < 0) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    *out = tags;
    tags = NULL;
    r = 0;
out:
    json_decref(tags);
    json_decref(root);
    return r;
}
