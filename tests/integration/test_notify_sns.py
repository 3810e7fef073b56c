"""SNS notifications: the agent's Publish, validated and signature-checked by the fake.

The agent contract these tests assume (README.md "Notifications", docs/aws-wire.md §6/§7):

- A notifier `{ name = "ops-topic"; type = "sns"; topic_arn = "arn:aws:sns:<region>:...:ops"; }`
  named in a rule's alarm_actions / ok_actions.  On a state change `run --once --now T`
  writes one entry per action notifier to STATE_DIR/outbox/<id>.json and delivers it in the
  same run; the entry file is removed once SNS accepted the Publish.
- The request is AWS Query `Action=Publish&Version=2010-03-31`, SigV4-signed for service
  `sns` in the configured region, sent to AWS_ENDPOINT_URL (the fake).  Message is the
  CloudWatch alarm JSON (§7, field order), Subject `ALARM: "<name>" in Asia Pacific (Tokyo)`.
  AlarmActions / OKActions list the topic ARN of the SNS notifiers named in the rule.
- FIFO topics (".fifo") get MessageGroupId = alarm name and MessageDeduplicationId derived
  from alarm name, state, the end of the evaluated window and the repeat number (not the
  wall-clock StateChangeTime): two agents publishing the same change, even at different
  seconds of the same minute, send one message (the fake drops the duplicate as SNS does).
- A failed Publish that may succeed later (Throttled/429, 5xx) stays in the outbox with
  attempts, next_attempt (30 s backoff with jitter: at most 30 s later) and last_error; the
  next `run --once --now` at or after next_attempt sends it again.  A permanent failure
  (NotFound, InvalidParameter, AuthorizationError) is logged to stderr and the entry dropped.
- A topic ARN in another region than aws.region is a configuration error: `run` exits 1
  with a message naming both regions, before any request.
"""

import json

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ALARM, NOW, REASON_ALARM, Streamwatch, put, ts
from test_notify_webhook import Receiver

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ops"
FIFO = "arn:aws:sns:ap-northeast-1:123456789012:alarms.fifo"
SUBJECT_ALARM = f'ALARM: "{ALARM}" in Asia Pacific (Tokyo)'
SUBJECT_OK = f'OK: "{ALARM}" in Asia Pacific (Tokyo)'
FIELD_ORDER = ["AlarmName", "AlarmDescription", "AWSAccountId",
               "AlarmConfigurationUpdatedTimestamp", "NewStateValue", "NewStateReason",
               "StateChangeTime", "Region", "AlarmArn", "OldStateValue", "OKActions",
               "AlarmActions", "InsufficientDataActions", "Trigger"]


def sns_config(sw, topic=TOPIC, **rule):
    sw.write_config(
        notifiers=[{"name": "ops-topic", "type": "sns", "topic_arn": topic}],
        rules=[sw.rule(alarm_actions=["ops-topic"], ok_actions=["ops-topic"], **rule)])


def outbox(sw) -> list:
    d = sw.state_dir / "outbox"
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))] if d.is_dir() else []


def explain(sw, fake) -> str:
    msgs = "\n".join(f"  {m['topic']} dup={m['duplicate']} {m['subject']!r}"
                     for m in fake.sns_messages)
    return f"{sw.explain()}\nsns messages:\n{msgs}\noutbox: {outbox(sw)}"


def publish_requests(fake) -> list:
    return [r for r in fake.requests if r.op == "Publish"]


# --------------------------------------------------------------------------- the fake itself

def sns_client(fake):
    return botocore.session.Session().create_client(
        "sns", region_name=fake.region, endpoint_url=fake.url,
        aws_access_key_id=fake.DEFAULT_AKID, aws_secret_access_key=fake.DEFAULT_SECRET,
        config=Config(retries={"mode": "standard", "max_attempts": 1}))


def test_fake_publish_as_sns_does(fake):
    """The fake answers botocore's own Publish as SNS does, so what it accepts from the
    agent means something."""
    fake.add_topic(TOPIC)
    fake.add_topic(FIFO)
    c = sns_client(fake)
    r = c.publish(TopicArn=TOPIC, Message='{"a": 1}', Subject="hello")
    assert r["MessageId"]
    [m] = fake.published(TOPIC)
    assert (m["message"], m["subject"], m["message_id"]) == ('{"a": 1}', "hello", r["MessageId"])
    assert publish_requests(fake)[0].service == "sns" and publish_requests(fake)[0].signature_ok

    a = c.publish(TopicArn=FIFO, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
    b = c.publish(TopicArn=FIFO, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
    assert a["MessageId"] == b["MessageId"] and a["SequenceNumber"] == b["SequenceNumber"]
    assert len(fake.published(FIFO)) == 1 and fake.sns_messages[-1]["duplicate"]

    def refused(code, status, **kw):
        with pytest.raises(ClientError) as e:
            c.publish(**kw)
        assert e.value.response["Error"]["Code"] == code, e.value.response
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status

    refused("NotFound", 404, TopicArn=TOPIC + "x", Message="m")
    refused("InvalidParameter", 400, TopicArn=TOPIC, Message="m", Subject="a\nb")
    refused("InvalidParameter", 400, TopicArn=TOPIC, Message="m", Subject="s" * 100)
    refused("InvalidParameter", 400, TopicArn=TOPIC, Message="x" * 262145)
    refused("InvalidParameter", 400, TopicArn=FIFO, Message="m", MessageDeduplicationId="d")
    refused("InvalidParameter", 400, TopicArn=TOPIC, Message="m", MessageGroupId="g",
            MessageDeduplicationId="d")
    refused("InvalidParameter", 400, TopicArn=FIFO, Message="m", MessageGroupId="g h",
            MessageDeduplicationId="d")
    c.publish(TopicArn=TOPIC, Message="x" * 262144)    # exactly the limit is fine
    fake.fail_next("Publish", [("Throttled", 429)])
    refused("Throttled", 429, TopicArn=TOPIC, Message="m")


# --------------------------------------------------------------------------- the agent

def test_alarm_and_ok_published(sw, fake):
    fake.add_topic(TOPIC)
    sns_config(sw)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, explain(sw, fake)
    [m] = fake.published(TOPIC)
    assert m["subject"] == SUBJECT_ALARM
    pairs = json.loads(m["message"], object_pairs_hook=lambda kv: kv)
    assert [k for k, _ in pairs] == FIELD_ORDER, m["message"]
    msg = json.loads(m["message"])
    assert msg["AlarmName"] == ALARM
    assert msg["NewStateValue"] == "ALARM" and msg["OldStateValue"] == "INSUFFICIENT_DATA"
    assert msg["NewStateReason"] == REASON_ALARM
    assert msg["StateChangeTime"] == "2026-11-25T10:05:00.000+0000"
    assert msg["Region"] == "Asia Pacific (Tokyo)"
    assert msg["AlarmArn"].startswith("arn:aws:cloudwatch:ap-northeast-1:")
    assert msg["AlarmArn"].endswith(f":alarm:{ALARM}")
    assert msg["AlarmActions"] == [TOPIC] and msg["OKActions"] == [TOPIC]
    assert msg["InsufficientDataActions"] == []
    t = msg["Trigger"]
    assert (t["MetricName"], t["Namespace"], t["Statistic"], t["Period"], t["Threshold"],
            t["ComparisonOperator"]) == ("IncomingRecords", "AWS/Kinesis", "SUM", 60, 10.0,
                                         "GreaterThanThreshold")
    assert t["Dimensions"] == [{"value": "sample", "name": "StreamName"}]
    # The request itself: Query, signed for sns in the configured region (the fixture
    # also fails the test if any signature did not verify).
    [req] = publish_requests(fake)
    assert req.api == "sns" and req.service == "sns" and req.region == fake.region
    assert req.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert {"host", "x-amz-date", "content-type"} <= set(req.signed_headers)
    assert req.form["TopicArn"] == TOPIC and req.form["Version"] == "2010-03-31"
    assert "MessageGroupId" not in req.form and "MessageDeduplicationId" not in req.form
    assert outbox(sw) == [], explain(sw, fake)

    # Back to OK a minute later: one more message, to the ok_actions topic.
    put(fake, "2026-11-25T10:05:00Z", 5.0)
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, explain(sw, fake)
    msgs = fake.published(TOPIC)
    assert len(msgs) == 2, explain(sw, fake)
    assert msgs[1]["subject"] == SUBJECT_OK
    ok = json.loads(msgs[1]["message"])
    assert (ok["OldStateValue"], ok["NewStateValue"]) == ("ALARM", "OK")
    assert ok["StateChangeTime"] == "2026-11-25T10:06:00.000+0000"
    assert outbox(sw) == []


def test_session_token_signed(sw, fake):
    """Temporary credentials: the token goes out as X-Amz-Security-Token and is signed."""
    fake.add_topic(TOPIC)
    c = fake.issue_session()
    sw.use_keys(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    sns_config(sw)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, explain(sw, fake)
    [req] = publish_requests(fake)
    assert req.token == c["SessionToken"] and "x-amz-security-token" in req.signed_headers
    assert len(fake.published(TOPIC)) == 1


def test_fifo_two_agents_one_message(sw, fake, tmp_path):
    """Two agents watching the same alarm publish the same change: SNS FIFO keeps one."""
    fake.add_topic(FIFO)
    sns_config(sw, topic=FIFO)
    other_dir = tmp_path / "agent-b"
    other_dir.mkdir()
    other = Streamwatch(sw.bin, other_dir, fake)
    other.env = dict(sw.env, HOME=str(other_dir))
    sns_config(other, topic=FIFO)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, explain(sw, fake)
    assert other.run_once(NOW).rc == 0, explain(other, fake)
    reqs = publish_requests(fake)
    assert len(reqs) == 2, explain(sw, fake)
    a, b = (q.form for q in reqs)
    assert a["MessageGroupId"] == b["MessageGroupId"] == ALARM
    dedup = a["MessageDeduplicationId"]
    assert dedup == b["MessageDeduplicationId"] and 1 <= len(dedup) <= 128
    assert a["Message"] == b["Message"]
    assert len(fake.published(FIFO)) == 1
    assert [m["duplicate"] for m in fake.sns_messages] == [False, True]
    assert outbox(sw) == [] and outbox(other) == []


def test_fifo_two_agents_different_seconds_one_message(sw, fake, tmp_path):
    """High availability: two agents (own state_dirs, same config) evaluate the same
    minute at 10:05:05 and at 10:05:41.  Their StateChangeTimes differ (the real time of
    each evaluation), but the notification is the same: the ALARM of the period ending
    10:05:00.  The FIFO topic delivers it once, and both webhook POSTs carry the same
    X-Streamwatch-Delivery.  The same holds for the first repeat reminder, sent by both
    in the cycle of 10:07 (every 120 s, counted from each agent's own change)."""
    rcv = Receiver()
    try:
        fake.add_topic(FIFO)
        other_dir = tmp_path / "agent-b"
        other_dir.mkdir()
        other = Streamwatch(sw.bin, other_dir, fake)
        other.env = dict(sw.env, HOME=str(other_dir))
        for a in (sw, other):
            a.write_config(
                notifiers=[{"name": "ops-topic", "type": "sns", "topic_arn": FIFO},
                           {"name": "hook", "type": "webhook", "url": rcv.url}],
                rules=[a.rule(alarm_actions=["ops-topic", "hook"], ok_actions=[],
                              repeat_interval=120)])
        for m in ("04", "05", "06"):
            put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
        assert sw.run_once("2026-11-25T10:05:05Z").rc == 0, explain(sw, fake)
        assert other.run_once("2026-11-25T10:05:41Z").rc == 0, explain(other, fake)
        reqs = publish_requests(fake)
        assert len(reqs) == 2, explain(sw, fake)
        a, b = (q.form for q in reqs)
        # The messages are honest about when each agent saw the change ...
        assert json.loads(a["Message"])["StateChangeTime"] == "2026-11-25T10:05:05.000+0000"
        assert json.loads(b["Message"])["StateChangeTime"] == "2026-11-25T10:05:41.000+0000"
        # ... and the id names the notification, not the agent's second.
        assert a["MessageDeduplicationId"] == b["MessageDeduplicationId"], explain(sw, fake)
        [m] = fake.published(FIFO)
        assert json.loads(m["message"])["NewStateValue"] == "ALARM"
        assert [x["duplicate"] for x in fake.sns_messages] == [False, True]
        assert len(rcv.requests) == 2, rcv.describe()
        ids = [q["headers"].get("x-streamwatch-delivery") for q in rcv.requests]
        assert ids[0] and ids[0] == ids[1], rcv.describe()
        assert ids[0] == a["MessageDeduplicationId"]  # one id per notification

        # The first reminder, from the cycle of 10:07 of each agent: one message.
        assert sw.run_once("2026-11-25T10:07:05Z").rc == 0, explain(sw, fake)
        assert other.run_once("2026-11-25T10:07:41Z").rc == 0, explain(other, fake)
        reqs = publish_requests(fake)
        assert len(reqs) == 4, explain(sw, fake)
        c, d = (q.form for q in reqs[2:])
        assert c["MessageDeduplicationId"] == d["MessageDeduplicationId"], explain(sw, fake)
        assert c["MessageDeduplicationId"] != a["MessageDeduplicationId"]
        assert len(fake.published(FIFO)) == 2, explain(sw, fake)
        assert len(rcv.requests) == 4, rcv.describe()
        ids = [q["headers"].get("x-streamwatch-delivery") for q in rcv.requests]
        assert ids[2] == ids[3] and ids[2] != ids[0], rcv.describe()
        assert outbox(sw) == [] and outbox(other) == []
    finally:
        rcv.stop()


def test_fifo_two_agents_remind_in_the_same_cycle(sw, fake, tmp_path):
    """Reminders are counted on evaluated periods, not on the second a cycle ran:
    agent B saw the change one second later than A (10:05:01, as a daemon whose
    cycle started late), yet with repeat_interval = 120 both remind in the cycle
    of 10:07 and then 10:09, with the same ids, and the topic delivers each once."""
    fake.add_topic(FIFO)
    other_dir = tmp_path / "agent-b"
    other_dir.mkdir()
    other = Streamwatch(sw.bin, other_dir, fake)
    other.env = dict(sw.env, HOME=str(other_dir))
    for a in (sw, other):
        a.write_config(notifiers=[{"name": "ops-topic", "type": "sns", "topic_arn": FIFO}],
                       rules=[a.rule(alarm_actions=["ops-topic"], ok_actions=[],
                                     repeat_interval=120)])
    for m in range(4, 10):
        put(fake, f"2026-11-25T10:{m:02d}:00Z", 12.0)
    for minute, (sa, sb) in ((5, ("00", "01")), (6, ("00", "00")), (7, ("00", "00")),
                             (8, ("00", "00")), (9, ("00", "00"))):
        assert sw.run_once(f"2026-11-25T10:{minute:02d}:{sa}Z").rc == 0, explain(sw, fake)
        assert other.run_once(f"2026-11-25T10:{minute:02d}:{sb}Z").rc == 0, \
            explain(other, fake)
    forms = [q.form for q in publish_requests(fake)]
    assert len(forms) == 6, explain(sw, fake)  # change, 10:07, 10:09: twice each
    for x, y in zip(forms[0::2], forms[1::2]):
        assert x["MessageDeduplicationId"] == y["MessageDeduplicationId"], explain(sw, fake)
    assert len(fake.published(FIFO)) == 3, explain(sw, fake)


def test_throttled_then_delivered(sw, fake):
    """Throttled (HTTP 429) is retried by the outbox on a later run, not dropped."""
    fake.add_topic(TOPIC)
    sns_config(sw)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    put(fake, "2026-11-25T10:05:00Z", 13.0)
    fake.fail_next("Publish", [("Throttled", 429, "Rate exceeded")])
    sw.run_once(NOW)
    assert fake.published(TOPIC) == [], explain(sw, fake)
    [e] = outbox(sw)
    assert e["notifier"] == "ops-topic" and e["attempts"] == 1, e
    assert "Throttled" in (e["last_error"] or ""), e
    # Backoff after one failure: d = 30 s, next attempt within [d/2, d] of it.
    assert ts(NOW) + 14 <= e["next_attempt"] <= ts(NOW) + 32, e
    # A minute later the alarm is still in ALARM (no new record): the entry goes out.
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, explain(sw, fake)
    [m] = fake.published(TOPIC)
    assert json.loads(m["message"])["StateChangeTime"] == "2026-11-25T10:05:00.000+0000"
    assert outbox(sw) == []
    assert [q.status for q in publish_requests(fake)] == [429, 200]


def test_server_errors_retried(sw, fake):
    fake.add_topic(TOPIC)
    sns_config(sw)
    for m in ("04", "05", "06", "07"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    fake.fail_next("Publish", [("InternalError", 500), ("ServiceUnavailable", 503)])
    sw.run_once(NOW)
    sw.run_once("2026-11-25T10:06:00Z")         # due after [15, 30] s
    assert fake.published(TOPIC) == [], explain(sw, fake)
    assert outbox(sw)[0]["attempts"] == 2
    # After two failures the wait is [30, 60] s: two minutes later it is surely due.
    assert sw.run_once("2026-11-25T10:08:00Z").rc == 0, explain(sw, fake)
    assert len(fake.published(TOPIC)) == 1, explain(sw, fake)
    assert outbox(sw) == []


def test_unknown_topic_is_permanent(sw, fake):
    """NotFound will not change by retrying: logged, dropped, not sent again."""
    sns_config(sw)                                     # topic never registered
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    put(fake, "2026-11-25T10:05:00Z", 12.0)
    r = sw.run_once(NOW)
    assert "NotFound" in r.stderr, explain(sw, fake)
    assert outbox(sw) == [], explain(sw, fake)
    sw.run_once("2026-11-25T10:06:00Z")
    assert len(publish_requests(fake)) == 1, explain(sw, fake)


def test_topic_in_another_region_refused(sw, fake):
    sns_config(sw, topic="arn:aws:sns:us-east-1:123456789012:ops")
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 1, explain(sw, fake)
    assert "us-east-1" in r.stderr and "ap-northeast-1" in r.stderr, r.stderr
    assert publish_requests(fake) == []
