"""streamwatch run --once: the GetMetricStatistics request, state.json, notifications.

Contract: README.md, docs/aws-wire.md §5 and the agent contract in tests/integration/README.md.
"""

import json

import pytest

from conftest import (ALARM, DEAD_URL, NOW, REASON_ALARM, gms_requests, line_with, put, ts)

E = ts(NOW)


def expected_body(start, end=E, period=60, stats=("Sum",), stream="sample", **over):
    b = {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
         "Dimensions": [{"Name": "StreamName", "Value": stream}],
         "StartTime": start, "EndTime": end, "Period": period, "Statistics": list(stats)}
    b.update(over)
    return {k: v for k, v in b.items() if v is not None}


def test_happy_path_with_session_token(sw, fake):
    """Test 1: temporary env credentials, 12.0 at 10:04 -> ALARM, exact request."""
    c = fake.issue_session()
    sw.use_keys(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    sw.write_config(aws={"endpoint": fake.url})
    put(fake, "2026-11-25T10:01:00Z", 50.0)   # before the evaluation range
    put(fake, "2026-11-25T10:03:00Z", 4.0)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    put(fake, "2026-11-25T10:04:00Z", 77.0, stream="other")  # another dimension set

    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()

    (q,) = gms_requests(fake)
    assert q.method == "POST" and q.path == "/"
    assert q.header("x-amz-target") == "GraniteServiceVersion20100801.GetMetricStatistics"
    assert q.header("content-type") == "application/x-amz-json-1.0"
    # N=1: evaluation range 1 + max(0, 2) = 3 periods ending at 10:05
    assert q.params == expected_body(E - 180), q.body
    assert set(q.params) == set(expected_body(E - 180))  # nothing extra either
    assert (q.service, q.region, q.akid, q.token) == \
        ("monitoring", fake.region, c["AccessKeyId"], c["SessionToken"])
    assert {"content-type", "host", "x-amz-date", "x-amz-target",
            "x-amz-security-token"} <= set(q.signed_headers)

    a = sw.alarm()
    assert a["state"] == "ALARM"
    assert a["since"] == NOW and a["last_evaluated"] == NOW
    assert a["reason"] == REASON_ALARM
    assert a["fetch_error"] is None and a["fetch_failures"] == 0
    vals = [tuple(v) for v in a["values"]]
    assert vals == sorted(vals) and vals[-1] == (E - 60, 12.0)
    assert set(vals) <= {(E - 120, 4.0), (E - 60, 12.0)}
    assert sw.state()["version"] == 1

    (n,) = sw.notifications()
    assert (n["AlarmName"], n["OldStateValue"], n["NewStateValue"], n["NewStateReason"]) == \
        (ALARM, "INSUFFICIENT_DATA", "ALARM", REASON_ALARM)
    assert n["StateChangeTime"].startswith("2026-11-25T10:05:00")

    # Secrets never leave the process (docs/aws-wire.md §10).
    files = (sw.state_dir / "state.json").read_text() + sw.notify_path.read_text()
    for secret in (c["SecretAccessKey"], c["SessionToken"]):
        assert secret not in r.stdout + r.stderr + files

    # Same minute again: no state change, no second notification.
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert len(sw.notifications()) == 1 and sw.alarm()["since"] == NOW

    # Next minute with 3.0 at 10:05: back to OK, with CloudWatch's recovery reason.
    put(fake, "2026-11-25T10:05:00Z", 3.0)
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, sw.explain()
    a = sw.alarm()
    assert (a["state"], a["since"]) == ("OK", "2026-11-25T10:06:00Z")
    assert a["reason"] == ("Threshold Crossed: 1 out of the last 1 datapoints [3.0 (25/11/26 "
                           "10:05:00)] was not greater than the threshold (10.0) (minimum 1 "
                           "datapoint for ALARM -> OK transition).")
    assert [x["NewStateValue"] for x in sw.notifications()] == ["ALARM", "OK"]


@pytest.mark.parametrize("now,period,n,start,end", [
    ("2026-11-25T10:05:42Z", 60, 1, "10:02", "10:05"),     # only complete periods
    ("2026-11-25T10:07:00Z", 300, 1, "09:50", "10:05"),    # 5-minute period
    ("2026-11-25T10:05:00Z", 60, 3, "10:00", "10:05"),     # R = 3 + 2 = 5
    ("2026-11-25T10:05:00Z", 60, 6, "09:57", "10:05"),     # R = 6 + 2 = 8
    ("2026-11-25T10:05:00Z", 60, 9, "09:53", "10:05"),     # R = 9 + 3 = 12
])
def test_evaluation_window(sw, fake, now, period, n, start, end):
    sw.write_config(rules=[sw.rule(period=period, evaluation_periods=n,
                                   datapoints_to_alarm=n)])
    assert sw.run_once(now).rc == 0, sw.explain()
    (q,) = gms_requests(fake)
    assert q.params == expected_body(ts(f"2026-11-25T{start}:00Z"),
                                     ts(f"2026-11-25T{end}:00Z"), period), q.body
    # no data at all: a new alarm with treat_missing_data=missing stays INSUFFICIENT_DATA
    assert sw.alarm()["state"] == "INSUFFICIENT_DATA"
    assert sw.notifications() == []


@pytest.mark.parametrize("stat,state", [("Average", "ALARM"), ("Maximum", "ALARM"),
                                        ("Minimum", "OK"), ("SampleCount", "OK")])
def test_statistics(sw, fake, stat, state):
    """A statistic set (4 samples, sum 48, min 6, max 20) at 10:04, threshold 10."""
    fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "sample"},
                    "2026-11-25T10:04:00Z",
                    {"SampleCount": 4, "Sum": 48.0, "Minimum": 6.0, "Maximum": 20.0})
    sw.write_config(rules=[sw.rule(statistic=stat)])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    (q,) = gms_requests(fake)
    assert q.params == expected_body(E - 180, stats=(stat,))
    assert sw.alarm()["state"] == state


def test_percentile_uses_extended_statistics(sw, fake):
    for v in range(1, 101):
        put(fake, "2026-11-25T10:04:00Z", float(v))
    sw.write_config(rules=[sw.rule(statistic="p99", threshold=50.0)])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    (q,) = gms_requests(fake)
    assert q.params == expected_body(E - 180, Statistics=None, ExtendedStatistics=["p99"])
    a = sw.alarm()
    assert a["state"] == "ALARM" and "[99.0 (25/11/26 10:04:00)]" in a["reason"]


@pytest.mark.parametrize("where", ["config", "AWS_ENDPOINT_URL_CLOUDWATCH"])
def test_endpoint_precedence(sw, fake, where):
    """aws.endpoint and the per-service variable beat AWS_ENDPOINT_URL (a dead port)."""
    sw.env["AWS_ENDPOINT_URL"] = DEAD_URL
    if where == "config":
        sw.write_config(aws={"endpoint": fake.url})
    else:
        sw.env["AWS_ENDPOINT_URL_CLOUDWATCH"] = fake.url
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert len(gms_requests(fake)) == 1 and sw.alarm()["state"] == "ALARM"


def test_one_failing_alarm_does_not_stop_the_others(sw, fake):
    other = "other-incoming-high"
    sw.write_config(rules=[sw.rule(), sw.rule(name=other, dimensions={"StreamName": "other"})])
    put(fake, "2026-11-25T10:04:00Z", 1.0)
    put(fake, "2026-11-25T10:04:00Z", 1.0, stream="other")
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert sw.alarm()["state"] == sw.alarm(other)["state"] == "OK"

    put(fake, "2026-11-25T10:05:00Z", 12.0)
    put(fake, "2026-11-25T10:05:00Z", 12.0, stream="other")
    fake.fail_always("GetMetricStatistics", ("InternalFailure", 500),
                     match=lambda q: q.params["Dimensions"][0]["Value"] == "other")
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 1, sw.explain()
    assert sw.alarm()["state"] == "ALARM"            # evaluated despite the other failure
    o = sw.alarm(other)
    assert (o["state"], o["since"]) == ("OK", NOW)   # kept
    assert o["fetch_error"] and o["fetch_failures"] >= 1
    assert line_with(r.stderr, other, "InternalFailure"), r.stderr
    ns = sw.notifications()  # two INSUFFICIENT_DATA -> OK, then sample's OK -> ALARM
    assert len(ns) == 3 and {n["AlarmName"] for n in ns[:2]} == {ALARM, other}
    assert (ns[2]["AlarmName"], ns[2]["NewStateValue"]) == (ALARM, "ALARM")
    assert json.dumps(sw.state())  # still valid JSON
