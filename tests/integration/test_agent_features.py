"""End to end through the agent: metric-math rules, templated rules whose
patterns are matched against Kinesis ListStreams, and repeat_interval
reminders through the outbox."""

import json

from conftest import NOW, gms_requests, put

WRITE_VS_READ = {
    "name": "{stream}-consumers-behind",
    "streams": ["orders", "clicks-*"],
    "metrics": [
        {"id": "w", "metric": "IncomingRecords", "statistic": "Sum"},
        {"id": "r", "metric": "GetRecords.Records", "statistic": "Sum"},
    ],
    "expression": "w - FILL(r, 0)",
    "period": 60, "evaluation_periods": 3, "datapoints_to_alarm": 2,
    "threshold": 1000.0, "comparison": "GreaterThanThreshold",
    "alarm_actions": ["console"], "ok_actions": ["console"],
}


def _gms_bodies(fake):
    return [json.loads(q.body) for q in gms_requests(fake)]


def test_metric_math_write_vs_read(sw, fake):
    rule = dict(WRITE_VS_READ, name="orders-consumers-behind", streams=None)
    rule = {k: v for k, v in rule.items() if v is not None}
    rule["metrics"] = [dict(m, dimensions={"StreamName": "orders"})
                       for m in rule["metrics"]]
    sw.write_config(rules=[rule])
    for minute, w, r in (("10:00", 5000, 4900), ("10:01", 5000, 100),
                         ("10:02", 5000, None), ("10:03", 5000, 10),
                         ("10:04", 5000, 4000)):
        put(fake, f"2026-11-25T{minute}:00Z", w, stream="orders")
        if r is not None:
            put(fake, f"2026-11-25T{minute}:00Z", r, stream="orders",
                metric="GetRecords.Records")
    res = sw.run_once(NOW)
    assert res.rc == 0, sw.explain()
    # One GetMetricStatistics per metric, same window and period.
    bodies = _gms_bodies(fake)
    assert sorted(b["MetricName"] for b in bodies) == ["GetRecords.Records",
                                                       "IncomingRecords"]
    assert {(b["StartTime"], b["EndTime"], b["Period"]) for b in bodies} == {
        (bodies[0]["StartTime"], bodies[0]["EndTime"], 60)}
    a = sw.alarm("orders-consumers-behind")
    # 10:02..10:04: 5000 - 0 (FILL), 4990, 1000 -> two of three breach.
    assert a["state"] == "ALARM", a
    assert a["reason"].startswith("Threshold Crossed: 2 out of the last 3 "
                                  "datapoints [4990.0 (25/11/26 10:03:00), "
                                  "5000.0 (25/11/26 10:02:00)]"), a["reason"]
    trig = sw.notifications()[-1]["Trigger"]
    assert [m.get("Id") for m in trig["Metrics"]] == ["w", "r", "e1"]
    assert trig["Metrics"][-1]["Expression"] == "w - FILL(r, 0)"


def test_templates_match_streams_listed_with_liststreams(sw, fake):
    for name in ("orders", "clicks-eu", "clicks-us", "payments", "clicks"):
        fake.add_stream(name)
    fake.kinesis_page_size = 2  # three pages: the agent must follow them
    sw.write_config(rules=[WRITE_VS_READ])
    for stream in ("orders", "clicks-eu", "clicks-us"):
        put(fake, "2026-11-25T10:04:00Z", 10.0, stream=stream)
    res = sw.run_once(NOW)
    assert res.rc == 0, sw.explain()
    assert len(fake.requests_for("ListStreams")) == 3
    alarms = set(sw.state()["alarms"])
    assert alarms == {"orders-consumers-behind", "clicks-eu-consumers-behind",
                      "clicks-us-consumers-behind"}
    dims = {b["Dimensions"][0]["Value"] for b in _gms_bodies(fake)}
    assert dims == {"orders", "clicks-eu", "clicks-us"}

    # A stream that goes away takes its alarm with it (after the cache's
    # refresh interval); a new one gets an alarm.
    r = sw.run("-c", sw.conf, "status", "--json")
    assert r.rc == 0
    names = [a["name"] for a in json.loads(r.stdout)["alarms"]]
    assert "clicks-eu-consumers-behind" in names


def test_check_lists_templated_alarms(sw):
    sw.write_config(rules=[WRITE_VS_READ])
    r = sw.check()
    assert r.rc == 0, r.stderr
    assert "orders-consumers-behind" in r.stdout
    assert "clicks-*" in r.stdout and "ListStreams" in r.stdout


def test_repeat_interval_reminds_while_in_alarm(sw, fake):
    sw.write_config(rules=[sw.rule(repeat_interval=120)])
    for m in range(0, 12):
        put(fake, f"2026-11-25T10:{m:02d}:00Z", 50.0)
    seen = []
    for m in range(5, 11):
        res = sw.run_once(f"2026-11-25T10:{m:02d}:00Z")
        assert res.rc == 0, sw.explain()
        seen.append(len(sw.notifications()))
    # 10:05 the change; reminders at 10:07 and 10:09 (every 120 s).
    assert seen == [1, 1, 2, 2, 3, 3], seen
    notes = sw.notifications()
    assert {n["NewStateValue"] for n in notes} == {"ALARM"}
    assert {n["StateChangeTime"] for n in notes} == {"2026-11-25T10:05:00.000+0000"}
