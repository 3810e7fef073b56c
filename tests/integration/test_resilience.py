"""Failures on the wire: clock skew, retries, timeouts, broken replies, auth errors.

Contract: SDK standard retry mode (3 attempts, full-jitter backoff <= 1 s then
<= 2 s), no retry of 4xx auth/validation errors, one immediate retry after
clock-skew correction from the Date header; a fetch that fails after retries
leaves the alarm's state alone, records fetch_error, exits 1 with one clear
stderr line naming the alarm and the error.
"""

import re

import pytest

from conftest import ALARM, NOW, establish_alarm, gms_requests, line_with, put

LATER = "2026-11-25T10:06:00Z"


def assert_state_kept(sw, before):
    a = sw.alarm()
    assert (a["state"], a["since"], a["reason"]) == \
        (before["state"], before["since"], before["reason"]), a
    assert a["fetch_error"], "fetch_error not recorded"
    assert a["fetch_failures"] >= 1
    assert len(sw.notifications()) == 1, "a failed fetch must not notify"


# --------------------------------------------------------------------------- clock skew

@pytest.mark.parametrize("offset", [1200, -1200])
def test_clock_skew_corrected(sw, fake, offset):
    """Test 3: the server clock is 20 min ahead (or behind); the agent uses the Date header."""
    fake.clock_offset = offset
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    first, retry = gms_requests(fake)
    assert (first.status, first.error) == (403, "SignatureDoesNotMatch")
    assert retry.status == 200
    assert abs(retry.amz_epoch - retry.time) <= 300, (retry.amz_date, retry.time)
    assert retry.params == first.params
    assert sw.alarm()["state"] == "ALARM"


def test_clock_skew_later_requests_use_corrected_clock(sw, fake):
    fake.clock_offset = 1200
    names = [f"skew-{i}" for i in range(3)]
    sw.write_config(rules=[sw.rule(name=n) for n in names])
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, sw.explain()
    qs = gms_requests(fake)
    first_ok = next(i for i, q in enumerate(qs) if q.status == 200)
    # once a request got through, the agent's clock is corrected for the later ones
    assert all(q.status == 200 for q in qs[first_ok:]), sw.explain()
    assert all(sw.alarm(n)["state"] == "ALARM" for n in names)


# --------------------------------------------------------------------------- retries

@pytest.mark.parametrize("fault", [("Throttling", 400), ("TooManyRequestsException", 429),
                                   ("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_transient_errors_twice_then_success(sw, fake, fault):
    """Test 4: two retryable failures, then the third attempt succeeds."""
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    fake.fail_next("GetMetricStatistics", [fault, fault])
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    qs = gms_requests(fake)
    assert [q.status for q in qs] == [fault[1], fault[1], 200]
    assert all(q.params == qs[0].params for q in qs)
    # full jitter: delay <= 1 s before attempt 2 and <= 2 s before attempt 3 (+ slack)
    assert qs[1].time - qs[0].time <= 1.5 and qs[2].time - qs[1].time <= 2.5
    assert sw.alarm()["state"] == "ALARM"


def test_server_error_every_time(sw, fake):
    """Test 5: 500 on every attempt -> 3 attempts, exit 1, previous state kept."""
    before = establish_alarm(sw, fake)
    fake.fail_always("GetMetricStatistics", ("InternalFailure", 500))
    r = sw.run_once(LATER)
    assert r.rc == 1, sw.explain()
    assert len(gms_requests(fake)) == 3
    assert sw.elapsed < 10
    assert line_with(r.stderr, ALARM, "InternalFailure"), r.stderr
    assert_state_kept(sw, before)


def test_hanging_server_times_out(sw, fake):
    """Test 6: the server accepts and never answers; request_timeout = 1 s."""
    sw.write_config(aws={"request_timeout": 1, "connect_timeout": 1})
    before = establish_alarm(sw, fake)
    fake.fail_always("GetMetricStatistics", "hang")
    r = sw.run_once(LATER, timeout=30)
    assert r.rc == 1, sw.explain()
    assert sw.elapsed < 15, f"took {sw.elapsed:.1f} s"
    ln = line_with(r.stderr, ALARM)
    assert ln and re.search(r"time(d)?[ -]?out", ln, re.I), r.stderr
    assert len(gms_requests(fake)) == 3  # timeouts are transient: retried
    assert_state_kept(sw, before)


@pytest.mark.parametrize("fault", [
    "malformed",
    "truncated",
    "close",
    ("raw", b"garbage\r\n\r\n"),
    ("raw", b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"Content-Length: 2\r\n\r\n[]"),
    {"status": 200, "headers": {"Content-Type": "application/x-amz-json-1.0"},
     "body": b'{"Label": "IncomingRecords", "Datapoints": [{"Timestamp": "yesterday", '
             b'"Sum": "lots", "Unit": "Count"}]}'},
    {"status": 502, "headers": {"Content-Type": "text/html"},
     "body": b"<html><body>Bad Gateway</body></html>"},
], ids=["malformed", "truncated", "close", "not-http", "json-array", "wrong-types",
        "html-502"])
def test_broken_replies(sw, fake, fault):
    """Test 7: broken replies are errors, never a crash, never data."""
    before = establish_alarm(sw, fake)
    put(fake, "2026-11-25T10:05:00Z", 1.0)  # would move the alarm to OK if it got through
    fake.fail_always("GetMetricStatistics", fault)
    r = sw.run_once(LATER)
    assert r.rc == 1, sw.explain()   # not a signal, not 0
    assert 1 <= len(gms_requests(fake)) <= 3
    assert line_with(r.stderr, ALARM), r.stderr
    assert_state_kept(sw, before)


# --------------------------------------------------------------------------- not retried

def test_unknown_access_key(sw, fake):
    """Test 8: an access key AWS does not know -> one request, exit 1, code on stderr."""
    fake.add_key("AKIAUNKNOWNTOAWS0001", "some-secret", invalid=True)
    sw.use_keys("AKIAUNKNOWNTOAWS0001", "some-secret")
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert len(gms_requests(fake)) == 1
    assert line_with(r.stderr, ALARM, "UnrecognizedClientException"), r.stderr
    assert sw.notifications() == []


def test_validation_error_not_retried(sw, fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    fake.fail_always("GetMetricStatistics", {
        "status": 400,
        "headers": {"Content-Type": "application/x-amz-json-1.0",
                    "x-amzn-query-error": "InvalidParameterValue;Sender"},
        "body": b'{"__type": "com.amazonaws.cloudwatch#InvalidParameterValueException", '
                b'"message": "The parameter Period must be a multiple of 60."}'})
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert len(gms_requests(fake)) == 1
    assert line_with(r.stderr, ALARM, "InvalidParameterValue"), r.stderr


def test_wrong_secret(sw, fake):
    fake.allow_bad_signatures = True   # this test sends bad signatures on purpose
    sw.use_keys(fake.DEFAULT_AKID, "not-the-right-secret")
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    qs = gms_requests(fake)
    assert 1 <= len(qs) <= 2 and all(q.error == "SignatureDoesNotMatch" for q in qs)
    assert line_with(r.stderr, ALARM, "SignatureDoesNotMatch"), r.stderr
    assert "not-the-right-secret" not in r.stderr + r.stdout
