/* aws/cwalarms.h - CloudWatch alarm management over AWS JSON 1.0.
 *
 * The five calls `streamwatch plan` and `sync` need (their pages in the
 * CloudWatch API Reference): DescribeAlarms (every page, following
 * NextToken), ListTagsForResource, PutMetricAlarm, DeleteAlarms (at most
 * 100 names a call) and TagResource, each with X-Amz-Target
 * GraniteServiceVersion20100801.<Operation> through aws/client, which
 * signs and retries.  Request bodies are built and replies parsed with
 * jansson; builders and parsers are pure so they can be unit-tested and
 * fuzzed.  Replies are untrusted: a DescribeAlarms page is checked member
 * by member before anyone sees it (names and ARNs end up in log lines and
 * in the next requests).
 *
 * The alarm APIs have small per-account quotas, so every network call
 * here first waits on the client-side rate limiter of
 * aws/cwalarms_limiter.h (that header says how it spaces the calls).
 *
 * One module in four files: aws/cwalarms.c makes the calls,
 * aws/cwalarms_request.c builds the request bodies and holds the
 * validators of the API's limits, aws/cwalarms_reply.c checks and parses
 * the replies, aws/cwalarms_limiter.c is the limiter.
 *
 * Depends on lib/ and aws/client only.  Not thread-safe.
 */
#ifndef SW_AWS_CWALARMS_H
#define SW_AWS_CWALARMS_H

#include <stddef.h>

#include <jansson.h>

#include "aws/cwalarms_limiter.h"
#include "lib/buf.h"

struct sw_aws;
struct sw_aws_error;

#define SW_CWA_MAX_REPLY     (16u * 1024 * 1024) /* one reply */
#define SW_CWA_MAX_REQUEST   (256u * 1024)       /* one request body */
#define SW_CWA_PUT_MAX       (120u * 1024) /* PutMetricAlarm payload limit */
#define SW_CWA_PAGE_RECORDS  100           /* MaxRecords we ask for: the most */
#define SW_CWA_MAX_PAGES     1000          /* our cap on one listing */
#define SW_CWA_MAX_ALARMS    100000        /* our cap on one listing */
#define SW_CWA_DELETE_BATCH  100           /* AlarmNames per DeleteAlarms */
#define SW_CWA_MAX_TAGS      50            /* tags per alarm */
#define SW_CWA_TOKEN_MAX     65536         /* our cap on a NextToken */
#define SW_CWA_NAME_MAX      255           /* AlarmName, AlarmNamePrefix */
#define SW_CWA_ARN_MAX       1600 /* alarm ARN: "arn:..:alarm:" + name */
#define SW_CWA_TAG_KEY_MAX   128  /* characters of a tag key */
#define SW_CWA_TAG_VALUE_MAX 256  /* characters of a tag value */

/* --- the calls --- */

/* Each call below waits on L (may be NULL: no limiting), sends through A,
 * and on failure returns what sw_aws_call() returns (SW_EAWS,
 * SW_ETHROTTLED, SW_EAUTH, SW_EHTTP, SW_ETIMEDOUT, SW_ECANCELED, ...) with
 * ERR filled by it; a request refused before sending gives SW_EINVAL with
 * code "ParamValidation", a reply that does not parse SW_EPARSE with code
 * "MalformedReply"; the message says which and why.  ERR (required) is
 * always reset first; ERR->attempts counts every request sent. */

/* sw_cwa_describe_alarms - every metric alarm in the client's region
 * whose name starts with PREFIX (NULL or "": all): DescribeAlarms with
 * MaxRecords 100, then NextToken until none comes back.
 * Returns 0 and *out: new JSON array (json_decref()) of the MetricAlarms
 * objects as sw_cwa_describe_alarms_parse() checked them, in reply order;
 * SW_ETOOBIG (code "TooManyAlarms") past SW_CWA_MAX_PAGES pages or
 * SW_CWA_MAX_ALARMS alarms; SW_EPARSE (code "MalformedReply", the page
 * number in the message) for a malformed page or one whose NextToken
 * repeats the one it was asked with. */
int sw_cwa_describe_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                           const char *prefix, json_t **out,
                           struct sw_aws_error *err);

/* sw_cwa_list_tags - the tags of the alarm ARN.
 * Returns 0 and *out: new JSON object (json_decref()) Key -> Value. */
int sw_cwa_list_tags(struct sw_aws *a, struct sw_cwa_limiter *l,
                     const char *arn, json_t **out, struct sw_aws_error *err);

/* sw_cwa_put_metric_alarm - create or completely overwrite the alarm that
 * INPUT (borrowed: a PutMetricAlarm input object with AlarmName) describes.
 * Tags in INPUT only apply when the alarm is created (CloudWatch API
 * Reference, "PutMetricAlarm"). */
int sw_cwa_put_metric_alarm(struct sw_aws *a, struct sw_cwa_limiter *l,
                            const json_t *input, struct sw_aws_error *err);

/* sw_cwa_delete_alarms - delete NAMES[0..N-1], 1 <= N <=
 * SW_CWA_DELETE_BATCH (the caller splits larger sets). */
int sw_cwa_delete_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                         const char *const *names, size_t n,
                         struct sw_aws_error *err);

/* sw_cwa_tag_resource - add or overwrite TAGS (borrowed JSON object Key ->
 * string Value, 1 to SW_CWA_MAX_TAGS members) on the alarm ARN. */
int sw_cwa_tag_resource(struct sw_aws *a, struct sw_cwa_limiter *l,
                        const char *arn, const json_t *tags,
                        struct sw_aws_error *err);

/* --- for tests and fuzzing: the pure builders and parsers --- */

/* Builders append one request body to BODY (left as it was on failure)
 * and return 0; SW_EINVAL with a one-line reason in ERR when an argument
 * breaks an API limit; SW_ETOOBIG (BODY's cap); SW_ENOMEM. */

/* {"AlarmNamePrefix": PREFIX, "MaxRecords": MAX_RECORDS, "NextToken":
 * TOKEN}, each omitted when NULL/""/0.  PREFIX 1-255 bytes of UTF-8
 * without control characters; MAX_RECORDS 0 or 1-100; TOKEN 1 to
 * SW_CWA_TOKEN_MAX bytes without control characters. */
int sw_cwa_describe_alarms_request(const char *prefix, int max_records,
                                   const char *token, struct sw_buf *body,
                                   char *err, size_t errlen);

/* {"ResourceARN": ARN}; ARN starts with "arn:", holds at most
 * SW_CWA_ARN_MAX bytes and no control characters (sw_cwa_arn_is_valid()). */
int sw_cwa_list_tags_request(const char *arn, struct sw_buf *body, char *err,
                             size_t errlen);

/* INPUT as compact JSON in its own member order: an object whose AlarmName
 * is a valid alarm name (sw_cwa_name_is_valid()); the body must fit
 * SW_CWA_PUT_MAX. */
int sw_cwa_put_metric_alarm_request(const json_t *input, struct sw_buf *body,
                                    char *err, size_t errlen);

/* {"AlarmNames": [...]}; 1 to SW_CWA_DELETE_BATCH valid names. */
int sw_cwa_delete_alarms_request(const char *const *names, size_t n,
                                 struct sw_buf *body, char *err, size_t errlen);

/* {"ResourceARN": ARN, "Tags": [{"Key": k, "Value": v}, ...]} from the
 * object TAGS: 1 to 50 keys of 1-128 characters, string values of at
 * most 256. */
int sw_cwa_tag_resource_request(const char *arn, const json_t *tags,
                                struct sw_buf *body, char *err, size_t errlen);

/* sw_cwa_name_is_valid - 1 when S is a valid AlarmName: 1-255 bytes of
 * valid UTF-8 with no ASCII control character. */
int sw_cwa_name_is_valid(const char *s);

/* sw_cwa_arn_is_valid - 1 when S starts with "arn:", holds at most
 * SW_CWA_ARN_MAX bytes of valid UTF-8 and no control character. */
int sw_cwa_arn_is_valid(const char *s);

/* sw_cwa_text_is_valid - 1 when S (N bytes) is valid UTF-8 of MIN..MAX
 * characters with no control character: names, tag keys and values. */
int sw_cwa_text_is_valid(const char *s, size_t n, long min, long max);

/* sw_cwa_token_is_valid - 1 when the NextToken T (N bytes) holds 1 to
 * SW_CWA_TOKEN_MAX bytes and no control character. */
int sw_cwa_token_is_valid(const char *t, size_t n);

/* sw_cwa_describe_alarms_parse - one DescribeAlarms reply.  It must be a
 * JSON object; MetricAlarms, when present and not null, an array of at
 * most SW_CWA_MAX_ALARMS objects, each with a valid AlarmName and an
 * AlarmArn ("arn:", at most SW_CWA_ARN_MAX bytes, no control characters),
 * and these members, when present, of their model types (null counts as
 * absent and is removed): strings AlarmDescription, MetricName,
 * Namespace, Statistic, ExtendedStatistic, Unit, ComparisonOperator,
 * TreatMissingData, EvaluateLowSampleCountPercentile, ThresholdMetricId,
 * StateValue; boolean ActionsEnabled; numbers Period, EvaluationPeriods,
 * DatapointsToAlarm, Threshold; arrays of strings OKActions, AlarmActions,
 * InsufficientDataActions; Dimensions an array of objects with string
 * Name and Value; Metrics an array of objects.  Other members are kept
 * as they came.  NextToken, when present and not null, a string of 1 to
 * SW_CWA_TOKEN_MAX bytes without control characters.  CompositeAlarms
 * are ignored: streamwatch only makes metric alarms.
 * Returns 0, *alarms: new array (json_decref(); empty when the page has
 * none) and *next_token: new string (free()) or NULL; SW_EPARSE with a
 * one-line reason in ERR ("MetricAlarms entry 2: 'Period' is a string,
 * not a number", counting from 0), *alarms and *next_token NULL;
 * SW_ENOMEM. */
int sw_cwa_describe_alarms_parse(const char *json, size_t len, json_t **alarms,
                                 char **next_token, char *err, size_t errlen);

/* sw_cwa_list_tags_parse - a ListTagsForResource reply {"Tags": [{"Key":
 * k, "Value": v}, ...]} (Tags absent or null: none).  Keys must be
 * strings of 1-128 characters and values strings of at most 256, valid
 * UTF-8 without NUL; at most SW_CWA_MAX_TAGS of them; a repeated key
 * keeps the last value.
 * Returns 0 and *out: new JSON object Key -> Value; SW_EPARSE with ERR,
 * *out NULL; SW_ENOMEM. */
int sw_cwa_list_tags_parse(const char *json, size_t len, json_t **out,
                           char *err, size_t errlen);

#endif
