/* notifiers/sns.h - the `sns` notifier: SNS Publish to one topic.
 *
 * Publishes the CloudWatch alarm JSON (the record's "alarm" object,
 * serialised compactly in its field order) as Message with the CloudWatch
 * subject (`ALARM: "name" in Asia Pacific (Tokyo)`), so subscribers built
 * for CloudWatch's own alarm messages work unchanged (docs/aws-wire.md
 * sections 6 and 7).  The request is AWS Query, signed by aws/client
 * (sw_aws_prepare) and sent on the dispatcher's curl handle; the reply
 * goes back through sw_aws_observe() (clock skew, expired credentials)
 * and its XML is read with aws/xml.
 *
 * Limits kept here rather than discovered from an error: Message at most
 * 262,144 bytes (notifiers/message shortens an over-long NewStateReason,
 * then AlarmDescription, on a character boundary; the JSON stays valid),
 * Subject under 100 characters without control characters (checked again
 * here, since SNS refuses the whole Publish otherwise).  FIFO topics
 * (".fifo") get MessageGroupId = the alarm name (characters SNS refuses
 * replaced by '_', at most 128) and MessageDeduplicationId =
 * sw_notifier_dedup_id() of the record, so two agents watching the same
 * alarm publish one message.
 *
 * Outcomes: 2xx delivered; Throttled (429), 5xx, transport errors, clock
 * skew, ExpiredToken and a refused identity (credentials are resolved
 * again) are retried by the outbox; InvalidParameter, NotFound,
 * AuthorizationError and other 4xx are permanent.
 *
 * Depends on lib/, aws/ (client, query, xml, endpoint) and
 * notifiers/{notifier,message}.h; not on agent/.
 */
#ifndef SW_NOTIFIERS_SNS_H
#define SW_NOTIFIERS_SNS_H

#include <stddef.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/query.h"
#include "notifiers/notifier.h"

#define SW_SNS_MAX_MESSAGE 262144 /* bytes, SNS's Message limit */
#define SW_SNS_MAX_ID      128    /* MessageGroupId / ...DeduplicationId */

/* sw_notifier_sns_new - a notifier called NAME publishing to TOPIC_ARN
 * through AWS (borrowed: must outlive the notifier; the agent's client).
 * The ARN must be arn:<partition>:sns:<region>:<12 digits>:<topic> with
 * the partition and region of AWS (SigV4 scopes the request to the
 * configured region, and SNS refuses a topic of another region).
 * Returns 0 and *out (new, free with sw_notifier_free()); SW_EINVAL with
 * ERR saying why; SW_ENOMEM. */
int sw_notifier_sns_new(const char *name, struct sw_aws *aws,
                        const char *topic_arn, struct sw_notifier **out,
                        char *err, size_t errlen);

/* For tests and for `check`. */

/* sw_sns_arn_check - TOPIC_ARN is an SNS topic ARN, as the Amazon SNS
 * and ARN pages of the AWS documentation give it:
 * arn:<partition>:sns:<region>:<account>:<topic>, where the region is a
 * region code ("us-east-1", "us-gov-west-1", "cn-north-1"; at most
 * SW_REGION_MAX characters), the partition is that region's (aws,
 * aws-cn, aws-us-gov, aws-iso, aws-iso-b...; aws/endpoint.h), the account
 * is 12 digits and the topic 1-256 of [A-Za-z0-9_-], a FIFO topic's
 * ending in ".fifo" within the 256.  Then it is in REGION and PARTITION
 * (either may be NULL: not checked), the ones requests are signed for.
 * agent/conf.c (`check`) and sw_notifier_sns_new() (`run`) both ask here.
 * Returns 0, 1 when it is a FIFO topic, or SW_EINVAL with ERR set. */
int sw_sns_arn_check(const char *topic_arn, const char *region,
                     const char *partition, char *err, size_t errlen);

/* sw_sns_group_id - MessageGroupId for ALARM_NAME into OUT
 * (SW_SNS_MAX_ID + 1 bytes): SNS's character set (printable ASCII but
 * space), each other character (one UTF-8 sequence or a byte) as '_',
 * at most 128; "alarm" for an empty name. */
void sw_sns_group_id(const char *alarm_name, char out[SW_SNS_MAX_ID + 1]);

/* sw_sns_publish_body - the Query body of Publish into Q (initialised
 * here; the caller releases it whatever this returns): Action, Version,
 * TopicArn, Subject (SUBJECT; left out when NULL or empty), Message
 * (sw_message_alarm_json() of REC, at most SW_SNS_MAX_MESSAGE bytes), and
 * for FIFO MessageGroupId and MessageDeduplicationId.  REC and SUBJECT
 * are borrowed.  Returns 0; SW_EINVAL (not a record, a subject SNS would
 * refuse), SW_ETOOBIG (the message cannot be made to fit), SW_ENOMEM;
 * ERR says why. */
int sw_sns_publish_body(const char *topic_arn, int fifo, const json_t *rec,
                        const char *subject, struct sw_query *q, char *err,
                        size_t errlen);

/* sw_sns_reply_message_id - MessageId from a PublishResponse BODY into
 * OUT (cleaned to printable ASCII).  Returns 0, or SW_EPARSE when the
 * body is not a PublishResponse with a MessageId. */
int sw_sns_reply_message_id(const char *body, size_t len, char *out,
                            size_t outlen);

#endif
