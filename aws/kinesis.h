/* aws/kinesis.h - Kinesis Data Streams ListStreams and
 * DescribeStreamSummary over AWS JSON 1.1.
 *
 * X-Amz-Target Kinesis_20131202.<Operation>, Content-Type
 * application/x-amz-json-1.1, signing name "kinesis" (botocore's
 * kinesis/2013-12-02 model).  The agent lists the account's streams to
 * expand templated rules whose `streams` hold patterns (agent/discover),
 * and asks DescribeStreamSummary for a stream's OpenShardCount, the value
 * of SHARDS in metric math (agent/shards).  The request builders and the
 * reply parsers are pure, for tests and fuzzing;
 * sw_kinesis_list_streams() (following NextToken across pages) and
 * sw_kinesis_describe_stream_summary() are the functions that talk to the
 * network, through aws/client.
 *
 * Every stream name that comes back is checked against the API's own
 * constraint ([a-zA-Z0-9_.-], 1-128 bytes) before anyone sees it: names
 * end up in alarm names, CloudWatch dimensions and log lines, so a
 * broken or hostile endpoint must not be able to smuggle anything else
 * in.  Lists are returned in a struct sw_strv (lib/strv.h).
 */
#ifndef SW_AWS_KINESIS_H
#define SW_AWS_KINESIS_H

#include <stddef.h>

#include "lib/buf.h"

struct sw_aws;
struct sw_aws_error;
struct sw_strv;

#define SW_KINESIS_NAME_MAX    128     /* StreamName: 1-128 of [a-zA-Z0-9_.-] */
#define SW_KINESIS_MAX_STREAMS 10000   /* our cap on one listing */
#define SW_KINESIS_MAX_PAGES   100     /* our cap on ListStreams calls */
#define SW_KINESIS_PAGE_LIMIT  100     /* Limit we ask for: the API's most */
#define SW_KINESIS_TOKEN_MAX   1048576 /* NextToken: 1-1048576 bytes */
#define SW_KINESIS_MAX_REPLY   (4u * 1024 * 1024)
#define SW_KINESIS_ARN_MAX     2048    /* StreamARN: 1-2048 bytes */
#define SW_KINESIS_SHARDS_MAX  1000000 /* OpenShardCount: 0-1000000 */
#define SW_KINESIS_STATUS_MAX  31      /* our cap on a StreamStatus */

/* sw_kinesis_list_streams - every stream of the account in the client's
 * region: ListStreams with Limit 100, then NextToken while HasMoreStreams
 * is true (ExclusiveStartStreamName = the last name when an endpoint
 * sends HasMoreStreams without a NextToken, the API's older paging).
 * Streams whose StreamSummaries entry says DELETING are left out: their
 * metrics are about to stop.  The result is sorted (strcmp) and free of
 * duplicates.  An ExpiredNextTokenException restarts the listing once.
 * ListStreams allows 5 calls per second per account, so after the first
 * four pages the calls are spaced 250 ms apart.
 * On success *OUT is overwritten (its previous contents are not
 * released; pass an empty struct sw_strv) and holds new strings (release
 * with sw_strv_release()); on failure *OUT is left alone.
 * Returns 0; SW_EPARSE for a malformed page (ERR code "MalformedReply",
 * the reason and page number in message); SW_ETOOBIG when the account has
 * more than SW_KINESIS_MAX_STREAMS streams or needs more than
 * SW_KINESIS_MAX_PAGES calls (code "TooManyStreams"); SW_EINVAL (A or
 * OUT NULL); or what sw_aws_call() returns (SW_EAWS, SW_ETHROTTLED,
 * SW_EAUTH, SW_EHTTP, ...) with ERR filled by it.  ERR (required) is
 * always reset first; ERR->attempts counts the requests of all pages. */
int sw_kinesis_list_streams(struct sw_aws *a, struct sw_strv *out,
                            struct sw_aws_error *err);

/* What DescribeStreamSummary says of a stream (the members we use). */
struct sw_kinesis_summary {
    char name[SW_KINESIS_NAME_MAX + 1]; /* StreamName */
    /* StreamStatus: CREATING, DELETING, ACTIVE or UPDATING today; any
     * other word of [A-Z_] is kept as it came (a status AWS adds later
     * must not break the agent) */
    char status[SW_KINESIS_STATUS_MAX + 1];
    int open_shards; /* OpenShardCount, 0-1000000 */
};

/* sw_kinesis_describe_stream_summary - DescribeStreamSummary for the
 * stream NAME or ARN (either may be NULL, not both; the API takes either,
 * or both when they agree).  DescribeStreamSummary allows 20 calls per
 * second per account: pacing the calls is the caller's (agent/shards).
 * On success *OUT is overwritten.  A reply about another stream than NAME
 * is malformed.
 * Returns 0; SW_EPARSE for a malformed reply (ERR code "MalformedReply",
 * the reason in message); SW_EINVAL (A, OUT or ERR NULL, or NAME and ARN
 * both NULL or invalid: code "ParamValidation"); or what sw_aws_call()
 * returns (SW_EAWS with code "ResourceNotFoundException" for a stream
 * that does not exist, SW_ETHROTTLED for "LimitExceededException" after
 * the retries, SW_EAUTH, SW_EHTTP, ...) with ERR filled by it.  ERR
 * (required) is always reset first. */
int sw_kinesis_describe_stream_summary(struct sw_aws *a, const char *name,
                                       const char *arn,
                                       struct sw_kinesis_summary *out,
                                       struct sw_aws_error *err);

/* --- for tests and fuzzing --- */

/* sw_kinesis_name_is_valid - 1 when S is a valid StreamName. */
int sw_kinesis_name_is_valid(const char *s);

/* sw_kinesis_arn_is_valid - 1 when S is a valid StreamARN: 1-2048 bytes
 * matching the model's "arn:aws.*:kinesis:.*:\d{12}:stream/\S+", and no
 * control characters. */
int sw_kinesis_arn_is_valid(const char *s);

/* sw_kinesis_describe_stream_summary_request - a DescribeStreamSummary
 * body appended to BODY (left as it was on failure): {"StreamName": NAME,
 * "StreamARN": ARN}, each only when not NULL, in the model's member
 * order.  Returns 0; SW_EINVAL (both NULL, an invalid name or ARN; ERR
 * says which); SW_ETOOBIG (BODY's cap); SW_ENOMEM. */
int sw_kinesis_describe_stream_summary_request(const char *name,
                                               const char *arn,
                                               struct sw_buf *body, char *err,
                                               size_t errlen);

/* sw_kinesis_describe_stream_summary_parse - one reply into OUT
 * (overwritten; zeroed on failure).  The reply must be a JSON object whose
 * StreamDescriptionSummary is an object with StreamName (a valid name),
 * StreamStatus (a string of 1-31 of [A-Z_]) and OpenShardCount (an
 * integer, 0-1000000), all three required by the model; other members are
 * ignored.  Returns 0; SW_EPARSE with a one-line reason in ERR
 * ("'OpenShardCount' is a string, not an integer"); SW_EINVAL (OUT
 * NULL). */
int sw_kinesis_describe_stream_summary_parse(const char *json, size_t len,
                                             struct sw_kinesis_summary *out,
                                             char *err, size_t errlen);

/* sw_kinesis_list_streams_request - a ListStreams body appended to BODY
 * (left as it was on failure): {"Limit": LIMIT} (omitted when 0), then
 * "ExclusiveStartStreamName" and "NextToken" when not NULL, in the
 * model's member order.  Returns 0; SW_EINVAL (LIMIT not 0 or 1-10000, an
 * invalid start name, a token not 1-1048576 bytes or holding control
 * characters; ERR says which); SW_ETOOBIG (BODY's cap); SW_ENOMEM. */
int sw_kinesis_list_streams_request(int limit, const char *exclusive_start,
                                    const char *next_token, struct sw_buf *body,
                                    char *err, size_t errlen);

/* One parsed ListStreams reply. */
struct sw_kinesis_page {
    char **names; /* StreamNames in reply order, DELETING ones out */
    size_t nnames;
    char *last_name;  /* the last of StreamNames (DELETING or not), or NULL */
    char *next_token; /* NextToken, or NULL when absent */
    int has_more;     /* HasMoreStreams */
};

/* sw_kinesis_page_release - free what a page holds and zero it.  NULL is
 * accepted. */
void sw_kinesis_page_release(struct sw_kinesis_page *p);

/* sw_kinesis_list_streams_parse - one reply into OUT (overwritten; release
 * with sw_kinesis_page_release()).  The reply must be a JSON object with
 * StreamNames (an array of valid names, at most SW_KINESIS_MAX_STREAMS)
 * and HasMoreStreams (a boolean), both required by the model; NextToken,
 * when present and not null, a string of 1-1048576 bytes without control
 * characters; StreamSummaries, when present and not null, an array of
 * objects whose StreamName (a valid name) and StreamStatus (a string) are
 * used to drop DELETING streams; other members are ignored.
 * Returns 0; SW_EPARSE with a one-line reason in ERR ("'StreamNames'
 * entry 3 is not a valid stream name", the index counting from 0) and
 * OUT zeroed; SW_ENOMEM. */
int sw_kinesis_list_streams_parse(const char *json, size_t len,
                                  struct sw_kinesis_page *out, char *err,
                                  size_t errlen);

#endif
