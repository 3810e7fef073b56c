"""Alarm evaluation through the real binary: M of N stepping minute by minute and
the two documented "treat missing data" tables (docs/cloudwatch-alarms.md §5).
"""

import pytest

from conftest import FETCH_MODES, metric_windows, put, ts


@pytest.fixture(autouse=True, params=FETCH_MODES)
def fetch_mode(request, sw):
    """Every case in both fetch modes: the same datapoints, the same outcomes."""
    sw.fetch = request.param
    return request.param

BREACH, FINE = 20.0, 1.0   # threshold 10, GreaterThanThreshold


def test_m_of_n_stepping(sw, fake):
    """Test 9: N=3, M=2, treat_missing_data=missing, one run per minute."""
    name = "mofn"
    sw.write_config(rules=[sw.rule(name=name, evaluation_periods=3, datapoints_to_alarm=2)])
    series = {0: 1, 1: 1, 2: 1, 3: 20, 4: 1, 5: 20, 6: 20, 7: 1, 8: 1}  # minute -> value
    for m, v in series.items():
        put(fake, f"2026-11-25T10:{m:02d}:00Z", float(v))
    # (now, state, since) -- by docs/cloudwatch-alarms.md §4-§6; range = 5 periods
    expected = [
        ("10:03", "OK", "10:03"),                 # --000
        ("10:04", "OK", "10:03"),                 # -000X   1 of the last 3
        ("10:05", "OK", "10:03"),                 # 000X0
        ("10:06", "ALARM", "10:06"),              # 00X0X   2 of the last 3
        ("10:07", "ALARM", "10:06"),              # 0X0XX
        ("10:08", "ALARM", "10:06"),              # X0XX0
        ("10:09", "OK", "10:09"),                 # 0XX00
        ("10:10", "OK", "10:09"),                 # XX00-   most recent real points
        ("10:11", "OK", "10:09"),                 # X00--
        ("10:12", "OK", "10:09"),                 # 00---
        ("10:13", "OK", "10:09"),                 # 0----
        ("10:14", "INSUFFICIENT_DATA", "10:14"),  # -----   all missing
    ]
    for now, state, since in expected:
        iso = f"2026-11-25T{now}:00Z"
        r = sw.run_once(iso)
        assert r.rc == 0, sw.explain()
        start, end, _ = metric_windows(fake)[-1]
        assert (start, end) == (ts(iso) - 300, ts(iso))
        a = sw.alarm(name)
        assert (a["state"], a["since"]) == (state, f"2026-11-25T{since}:00Z"), (now, a)
        if now == "10:06":
            assert a["reason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints"), \
                a["reason"]
            assert "(minimum 2 datapoints for OK -> ALARM transition)" in a["reason"]
    # OK, ALARM, OK notify (ok_actions/alarm_actions); INSUFFICIENT_DATA has no actions
    assert [(n["OldStateValue"], n["NewStateValue"]) for n in sw.notifications()] == \
        [("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM"), ("ALARM", "OK")]


# docs/cloudwatch-alarms.md §5, oldest -> newest; columns: the four treat_missing_data values.
# "Retain current state" is INSUFFICIENT_DATA here: the alarm is new.
TMD = ("missing", "ignore", "breaching", "notBreaching")
R = "INSUFFICIENT_DATA"
TABLE1 = [  # M = 3, N = 3
    ("0-X-X", ("OK", "OK", "OK", "OK")),
    ("0----", ("OK", "OK", "OK", "OK")),
    ("-----", ("INSUFFICIENT_DATA", R, "ALARM", "OK")),
    ("0XX-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("--X--", ("ALARM", R, "ALARM", "OK")),
]
TABLE2 = [  # M = 2, N = 3
    ("0-X-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("00X0X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0-X--", ("OK", "OK", "ALARM", "OK")),
    ("----0", ("OK", "OK", "ALARM", "OK")),
    ("---X-", ("ALARM", R, "ALARM", "OK")),
]
CASES = [(m, slots, tmd, states[i]) for m, table in ((3, TABLE1), (2, TABLE2))
         for slots, states in table for i, tmd in enumerate(TMD)]


@pytest.mark.parametrize("m,slots,tmd,expected", CASES,
                         ids=[f"M{m}-{s}-{t}" for m, s, t, _ in CASES])
def test_documented_missing_data_tables(sw, fake, m, slots, tmd, expected):
    sw.write_config(rules=[sw.rule(evaluation_periods=3, datapoints_to_alarm=m,
                                   treat_missing_data=tmd)])
    end = ts("2026-11-25T10:05:00Z")
    for i, s in enumerate(slots):   # slot i covers [end - (5-i) min, ...)
        if s != "-":
            fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "sample"},
                            end - (5 - i) * 60, BREACH if s == "X" else FINE)
    assert sw.run_once("2026-11-25T10:05:00Z").rc == 0, sw.explain()
    assert sw.alarm()["state"] == expected
