"""A fleet from one box: shared fetches, GetMetricData, concurrency and the
client-side rate limit, against the strict fake (every request's signature
checked by botocore).

Alarms that need the same series share one request; a GetMetricStatistics
call carries up to 5 Statistics or up to 10 ExtendedStatistics (never both:
the API refuses the mix); GetMetricData asks for up to 500 series a call and
follows NextToken; requests run agent.concurrency at a time, and never more
than aws.max_requests_per_second start in any one-second window."""

import json
import threading
import time

import pytest

from conftest import FETCH_MODES, put

NOW = "2026-11-25T10:05:00Z"


def _minute(m: int) -> str:
    return f"2026-11-25T10:{m:02d}:00Z"


def _streams(sw, fake, n, value=12.0):
    names = [f"s{i:02d}" for i in range(n)]
    for s in names:
        for m in range(0, 5):
            put(fake, _minute(m), value, stream=s)
    return names


def _rule(sw, name, stream, **kw):
    return sw.rule(name=name, dimensions={"StreamName": stream}, **kw)


def _ops(fake, op):
    return [q for q in fake.requests if q.op == op]


def test_alarms_on_one_series_share_a_request(sw, fake):
    _streams(sw, fake, 1)
    sw.write_config(rules=[
        _rule(sw, "hi", "s00", threshold=10.0),
        _rule(sw, "lo", "s00", threshold=20.0),
        _rule(sw, "max", "s00", statistic="Maximum"),
        _rule(sw, "avg", "s00", statistic="Average"),
        _rule(sw, "p99", "s00", statistic="p99"),
        _rule(sw, "p50", "s00", statistic="p50"),
    ])
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    gms = _ops(fake, "GetMetricStatistics")
    # One call for the plain statistics, one for the percentiles.
    assert len(gms) == 2, sw.explain()
    stats = sorted(tuple(sorted(q.params.get("Statistics", []) +
                                q.params.get("ExtendedStatistics", []))) for q in gms)
    assert stats == [("Average", "Maximum", "Sum"), ("p50", "p99")], stats
    st = sw.state()["alarms"]
    assert st["hi"]["state"] == "ALARM" and st["lo"]["state"] == "OK"


def test_more_than_ten_percentiles_are_split(sw, fake):
    _streams(sw, fake, 1)
    pcts = [f"p{p}" for p in (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.9)]
    sw.write_config(rules=[_rule(sw, f"a-{p}", "s00", statistic=p) for p in pcts])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    gms = _ops(fake, "GetMetricStatistics")
    assert sorted(len(q.params["ExtendedStatistics"]) for q in gms) == [2, 10]


@pytest.mark.parametrize("mode", FETCH_MODES)
def test_requests_equal_distinct_series(sw, fake, mode):
    """6 streams, two alarms each on one series: 6 GetMetricStatistics, or
    one GetMetricData for all of them; the same states either way."""
    sw.fetch = mode
    names = _streams(sw, fake, 6)
    rules = []
    for s in names:
        rules += [_rule(sw, f"{s}-hi", s, threshold=10.0), _rule(sw, f"{s}-lo", s, threshold=20.0)]
    sw.write_config(rules=rules)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    if mode == "GetMetricData":
        gmd = _ops(fake, "GetMetricData")
        assert len(gmd) == 1 and not _ops(fake, "GetMetricStatistics"), sw.explain()
        assert len(gmd[0].params["MetricDataQueries"]) == 6
    else:
        assert len(_ops(fake, "GetMetricStatistics")) == 6
    st = sw.state()["alarms"]
    for s in names:
        assert (st[f"{s}-hi"]["state"], st[f"{s}-lo"]["state"]) == ("ALARM", "OK")


def test_get_metric_data_follows_next_token(sw, fake):
    """Pages of 7 values: the agent follows NextToken and ends with the same
    reasons as GetMetricStatistics gives."""
    names = _streams(sw, fake, 4)
    sw.write_config(rules=[_rule(sw, s, s, evaluation_periods=3, datapoints_to_alarm=2)
                           for s in names])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    want = {n: (a["state"], a["reason"]) for n, a in sw.state()["alarms"].items()}

    fake.requests.clear()
    (sw.state_dir / "state.json").unlink()
    for p in sw.state_dir.glob("state.*"):
        p.unlink()
    sw.fetch = "GetMetricData"
    sw.write_config(rules=[_rule(sw, s, s, evaluation_periods=3, datapoints_to_alarm=2)
                           for s in names])
    fake.gmd_max_datapoints = 7
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    gmd = _ops(fake, "GetMetricData")
    assert len(gmd) >= 2 and "NextToken" in gmd[1].params, sw.explain()
    got = {n: (a["state"], a["reason"]) for n, a in sw.state()["alarms"].items()}
    assert got == want


@pytest.mark.parametrize("mode", FETCH_MODES)
def test_a_failed_request_fails_only_its_alarms(sw, fake, mode):
    sw.fetch = mode
    names = _streams(sw, fake, 2)
    sw.write_config(rules=[_rule(sw, s, s) for s in names])
    op = mode
    # GetMetricStatistics: only s01's call fails; GetMetricData: the one call.
    match = (lambda q: "s01" in json.dumps(q.params)) if mode == "GetMetricStatistics" else None
    fake.fail_always(op, ("AccessDenied", 403, "not authorized"), match=match)
    r = sw.run_once(NOW)
    assert r.rc == 1
    st = sw.state()["alarms"]
    assert "AccessDenied: not authorized" in st["s01"]["fetch_error"], st
    if mode == "GetMetricStatistics":
        assert st["s00"]["state"] == "ALARM" and not st["s00"]["fetch_error"]


def test_fetches_run_concurrently(sw, fake):
    """8 series, each answered after 1 s, 4 at a time: about 2 s, not 8."""
    names = _streams(sw, fake, 8)
    sw.write_config(rules=[_rule(sw, s, s) for s in names],
                    agent={"concurrency": 4}, aws={"request_timeout": 10})
    fake.fail_always("GetMetricStatistics", ("delay", 1.0))
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert 1.9 <= sw.elapsed < 5.0, sw.elapsed
    assert all(a["state"] == "ALARM" for a in sw.state()["alarms"].values())


def test_rate_limit_holds_in_every_second(sw, fake):
    """12 series at 5 requests a second: at least 2 s, and no one-second
    window with more than 5 arrivals."""
    names = _streams(sw, fake, 12)
    sw.write_config(rules=[_rule(sw, s, s) for s in names],
                    aws={"max_requests_per_second": 5})
    arrivals, lock = [], threading.Lock()

    def stamp(q):
        with lock:
            arrivals.append(time.monotonic())
        return False  # no fault: just note the arrival

    fake.fail_always("GetMetricStatistics", ("delay", 0), match=stamp)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert len(arrivals) == 12
    arrivals.sort()
    # Arrival times are the fake's: on a loaded machine the server reads a
    # burst up to ~0.2 s late, so a window of 0.75 s (a client sending 6 or
    # more at once still fails it) rather than 1 s.
    worst = max(sum(1 for t in arrivals if a <= t < a + 0.75) for a in arrivals)
    assert worst <= 5, arrivals
    assert arrivals[-1] - arrivals[0] >= 1.9, arrivals


def test_throttling_is_retried_within_the_rate(sw, fake):
    names = _streams(sw, fake, 3)
    sw.write_config(rules=[_rule(sw, s, s) for s in names])
    fake.fail_next("GetMetricStatistics", [("Throttling", 400, "Rate exceeded")] * 2)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert len(_ops(fake, "GetMetricStatistics")) == 5
    assert all(a["state"] == "ALARM" for a in sw.state()["alarms"].values())


def _capacity_rule(sw, name="{stream}-write-capacity", streams=("orders",)):
    """IncomingRecords as a percentage of the shards' 1,000 records/s."""
    return {"name": name, "streams": list(streams),
            "metrics": [{"id": "w", "metric": "IncomingRecords", "statistic": "Sum"}],
            "expression": "w / (SHARDS * 60000) * 100",
            "period": 60, "evaluation_periods": 1, "datapoints_to_alarm": 1,
            "threshold": 80.0, "comparison": "GreaterThanThreshold",
            "alarm_actions": ["console"], "ok_actions": ["console"]}


def test_shards_in_an_expression(sw, fake):
    """50,000 records a minute: 83 % of one shard's capacity (ALARM), 42 %
    of two (OK after the reshard, once the cached count is refreshed)."""
    fake.add_stream("orders", shards=1)
    for m in range(0, 30):
        put(fake, _minute(m), 50000.0, stream="orders")
    sw.write_config(rules=[_capacity_rule(sw)])
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    a = sw.alarm("orders-write-capacity")
    assert a["state"] == "ALARM", a
    assert "83.3" in a["reason"], a["reason"]
    assert len(_ops(fake, "DescribeStreamSummary")) == 1

    fake.set_shards("orders", 2)
    r = sw.run_once(_minute(6))   # a new process: the count is asked again
    assert r.rc == 0, sw.explain()
    a = sw.alarm("orders-write-capacity")
    assert a["state"] == "OK" and "41.66" in a["reason"], a


def test_shards_lookup_failure_is_a_fetch_failure(sw, fake):
    fake.add_stream("orders", shards=1)
    for m in range(0, 30):
        put(fake, _minute(m), 50000.0, stream="orders")
    sw.write_config(rules=[_capacity_rule(sw)])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert sw.alarm("orders-write-capacity")["state"] == "ALARM"

    fake.fail_always("DescribeStreamSummary",
                     ("AccessDeniedException", 400, "not authorized to DescribeStreamSummary"))
    asked = len(_ops(fake, "GetMetricStatistics"))
    r = sw.run_once(_minute(6))
    assert r.rc == 1
    a = sw.alarm("orders-write-capacity")
    assert a["state"] == "ALARM" and a["since"] == NOW, a   # kept
    assert "DescribeStreamSummary" in a["fetch_error"], a
    assert "AccessDeniedException" in r.stderr
    # Nothing was fetched for it: no GetMetricStatistics asked in vain.
    assert len(_ops(fake, "GetMetricStatistics")) == asked
