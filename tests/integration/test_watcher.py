"""The blind-watcher alarm: the watcher watches itself.

An alarm whose fetches have failed for agent.failure_after seconds in a row
is blind; the synthetic alarm watcher:<agent.name> then goes to ALARM and
the agent.failure_actions notifiers are told, through the outbox, which
alarms, since when and the last AWS error; when every alarm is evaluated
again they are told OK.  The clock is the agent's: each `run --once --now`
is one cycle, so a test steps minutes without waiting for them."""

import json
import socket

from conftest import ALARM, put
from test_notify_webhook import Receiver

DENIED = ("AccessDenied", 403,
          "User: arn:aws:iam::123456789012:user/sw is not authorized to perform: "
          "cloudwatch:GetMetricStatistics")
WATCHER = "watcher:test-agent"


def _minute(m: int) -> str:
    return f"2026-11-25T10:{m:02d}:00Z"


def _oncall(sw):
    """The failure_actions notifier's notifications (a log notifier)."""
    p = sw.tmp / "oncall.jsonl"
    if not p.exists():
        return []
    return [json.loads(ln) for ln in p.read_text().splitlines() if ln.strip()]


def _config(sw, agent=None, notifiers=None, rules=None):
    a = {"name": "test-agent", "failure_after": 300, "failure_actions": ["oncall"]}
    a.update(agent or {})
    n = [{"name": "console", "type": "log", "path": str(sw.notify_path)},
         {"name": "oncall", "type": "log", "path": str(sw.tmp / "oncall.jsonl")}]
    n += notifiers or []
    sw.write_config(agent=a, notifiers=n, rules=rules)


def _data(fake, upto=40):
    for m in range(0, upto):
        put(fake, _minute(m), 1.0)


def _go_blind(sw, fake, first_fail=6, blind_at=11):
    """OK at 10:05, fetches denied from 10:06; blind at 10:11 (300 s)."""
    r = sw.run_once(_minute(5))
    assert r.rc == 0, sw.explain()
    assert sw.alarm()["state"] == "OK"
    fake.fail_always("GetMetricStatistics", DENIED)
    for m in range(first_fail, blind_at):
        r = sw.run_once(_minute(m))
        assert r.rc == 1, sw.explain()
        assert _oncall(sw) == [], f"blind too early at 10:{m:02d}: {_oncall(sw)}"
        assert sw.state()["watcher"]["state"] == "OK", sw.state()["watcher"]
    r = sw.run_once(_minute(blind_at))
    assert r.rc == 1, sw.explain()
    return r


def test_blind_then_sees_again(sw, fake):
    _config(sw)
    _data(fake)
    r = _go_blind(sw, fake)
    assert f"watcher '{WATCHER}': OK -> ALARM" in r.stderr, r.stderr

    notes = _oncall(sw)
    assert len(notes) == 1, notes
    n = notes[0]
    assert n["AlarmName"] == WATCHER
    assert n["NewStateValue"] == "ALARM" and n["OldStateValue"] == "OK"
    reason = n["NewStateReason"]
    assert reason.startswith("Blind: 1 of 1 alarm could not be evaluated for 300 seconds "
                             "or more, failing since 2026-11-25T10:06:00Z: " + ALARM), reason
    assert "AccessDenied" in reason and "is not authorized to perform" in reason, reason
    # A well-formed CloudWatch alarm message on a metric of our own.
    t = n["Trigger"]
    assert t["Namespace"] == "streamwatch" and t["MetricName"] == "BlindAlarms", t
    assert t["Dimensions"] == [{"value": "test-agent", "name": "Agent"}], t
    assert t["ComparisonOperator"] == "GreaterThanThreshold" and t["Threshold"] == 0, t
    assert n["StateChangeTime"] == "2026-11-25T10:11:00.000+0000"
    st = sw.state()
    rd = json.loads(st["watcher"]["reason_data"]) if isinstance(
        st["watcher"]["reason_data"], str) else st["watcher"]["reason_data"]
    assert rd["blindAlarms"] == [ALARM] and rd["blindSince"] == "2026-11-25T10:06:00Z", rd
    assert rd["lastError"]["message"].startswith("GetMetricStatistics: AccessDenied"), rd
    # The alarm itself kept its state through the outage, and nothing went
    # to its own actions.
    assert sw.alarm()["state"] == "OK"
    assert [x["NewStateValue"] for x in sw.notifications()] == ["OK"]

    # Still blind: no second notification.
    assert sw.run_once(_minute(12)).rc == 1
    assert len(_oncall(sw)) == 1

    fake.clear_faults()
    r = sw.run_once(_minute(13))
    assert r.rc == 0, sw.explain()
    notes = _oncall(sw)
    assert [x["NewStateValue"] for x in notes] == ["ALARM", "OK"], notes
    ok = notes[1]
    assert ok["AlarmName"] == WATCHER and ok["OldStateValue"] == "ALARM"
    assert ok["NewStateReason"] == (
        "Every alarm is evaluated again: the watcher was blind from "
        "2026-11-25T10:11:00Z to 2026-11-25T10:13:00Z (120 seconds)."), ok
    assert sw.state()["watcher"]["state"] == "OK"
    # Quiet afterwards.
    assert sw.run_once(_minute(14)).rc == 0
    assert len(_oncall(sw)) == 2


def test_status_shows_the_watcher(sw, fake):
    _config(sw)
    _data(fake)
    _go_blind(sw, fake)
    r = sw.run("-c", sw.conf, "status")
    assert r.rc == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith(WATCHER))
    assert "ALARM" in line and "2026-11-25T10:11:00Z" in line, r.stdout
    assert "Blind: 1 of 1 alarm" in r.stdout
    r = sw.run("-c", sw.conf, "status", "--json")
    doc = json.loads(r.stdout)
    assert [a["name"] for a in doc["alarms"]] == [ALARM]
    assert doc["watcher"]["name"] == WATCHER and doc["watcher"]["state"] == "ALARM"
    assert doc["watcher"]["since"] == "2026-11-25T10:11:00Z"


def test_recovery_needs_every_alarm(sw, fake):
    """Blind alarm A recovers while B has just started failing: the watcher
    stays in ALARM until B is evaluated again too."""
    b = "other-incoming-high"
    _config(sw, rules=[sw.rule(), sw.rule(name=b, dimensions={"StreamName": "other"})])
    _data(fake)
    for m in range(0, 40):
        put(fake, _minute(m), 1.0, stream="other")
    assert sw.run_once(_minute(5)).rc == 0
    sample_only = lambda q: "sample" in json.dumps(q.params)  # noqa: E731
    fake.fail_always("GetMetricStatistics", DENIED, match=sample_only)
    for m in range(6, 12):
        sw.run_once(_minute(m))
    assert [x["NewStateValue"] for x in _oncall(sw)] == ["ALARM"], sw.explain()
    assert "1 of 2 alarms" in _oncall(sw)[0]["NewStateReason"]

    fake.clear_faults()
    fake.fail_always("GetMetricStatistics", DENIED,
                     match=lambda q: "other" in json.dumps(q.params))
    sw.run_once(_minute(12))
    assert [x["NewStateValue"] for x in _oncall(sw)] == ["ALARM"]
    assert sw.state()["watcher"]["state"] == "ALARM"
    fake.clear_faults()
    assert sw.run_once(_minute(13)).rc == 0
    assert [x["NewStateValue"] for x in _oncall(sw)] == ["ALARM", "OK"]


def test_repeat_interval_reminds(sw, fake):
    _config(sw, notifiers=[])
    cfg = sw.conf.read_text().replace(
        'name = "oncall";', 'name = "oncall"; repeat_interval = 600;')
    sw.conf.write_text(cfg)
    assert sw.check().rc == 0, sw.last.stderr
    _data(fake)
    _go_blind(sw, fake)
    for m in range(12, 22):
        sw.run_once(_minute(m))
    notes = _oncall(sw)
    assert [x["NewStateValue"] for x in notes] == ["ALARM", "ALARM"], notes
    assert notes[1]["StateChangeTime"] == notes[0]["StateChangeTime"]


def test_no_credentials_is_blind(sw, fake):
    _config(sw)
    _data(fake)
    assert sw.run_once(_minute(5)).rc == 0
    sw.clear_env_creds()
    for m in range(6, 12):
        assert sw.run_once(_minute(m)).rc == 1
    notes = _oncall(sw)
    assert len(notes) == 1 and notes[0]["NewStateValue"] == "ALARM", sw.explain()
    assert "credential" in notes[0]["NewStateReason"].lower(), notes[0]["NewStateReason"]


def test_discovery_failure_is_blind(sw, fake):
    fake.add_stream("clicks-eu")
    for m in range(0, 40):
        put(fake, _minute(m), 1.0, stream="clicks-eu")
    tmpl = sw.rule(name="{stream}-incoming-high", streams=["clicks-*"], dimensions=None)
    _config(sw, rules=[tmpl])
    assert sw.run_once(_minute(5)).rc == 0, sw.explain()
    fake.fail_always("ListStreams", ("AccessDeniedException", 400,
                                     "User is not authorized to perform: kinesis:ListStreams"))
    for m in range(6, 11):
        assert sw.run_once(_minute(m)).rc == 1
    assert _oncall(sw) == []
    # The alarm itself is evaluated from the kept list all along.
    assert sw.alarm("clicks-eu-incoming-high")["last_evaluated"] == _minute(10)
    sw.run_once(_minute(11))
    notes = _oncall(sw)
    assert len(notes) == 1, sw.explain()
    reason = notes[0]["NewStateReason"]
    assert "stream discovery (Kinesis ListStreams)" in reason, reason
    assert "AccessDeniedException" in reason and "discover:" not in reason, reason
    fake.clear_faults()
    assert sw.run_once(_minute(12)).rc == 0, sw.explain()
    assert [x["NewStateValue"] for x in _oncall(sw)] == ["ALARM", "OK"]


def test_watcher_through_alertmanager_format(sw, fake):
    """Alertmanager gets the watcher as an alert named after it."""
    rcv = Receiver()
    try:
        _config(sw, agent={"failure_actions": ["oncall", "am"]},
                notifiers=[{"name": "am", "type": "webhook", "url": rcv.url,
                            "format": "alertmanager"}])
        _data(fake)
        _go_blind(sw, fake)
        firing = [q["json"] for q in rcv.requests]
        assert len(firing) == 1, rcv.describe()
        alert = firing[0]["alerts"][0]
        assert alert["labels"]["alertname"] == WATCHER, alert
        assert alert["status"] == "firing"
        assert "Blind: 1 of 1 alarm" in json.dumps(alert["annotations"]), alert
    finally:
        rcv.stop()


def test_default_name_is_the_host_name(sw, fake):
    sw.write_config(agent={"failure_actions": ["console"]})
    put(fake, _minute(4), 1.0)
    assert sw.run_once(_minute(5)).rc == 0, sw.explain()
    host = socket.gethostname().split(".")[0]
    host = "".join(c if c.isalnum() or c in "_:-@" else "_" for c in host)
    assert sw.state()["watcher"]["name"] == "watcher:" + host
    assert sw.state()["watcher"]["state"] == "OK"
    # Entering OK at the first cycle is not news.
    assert [x["AlarmName"] for x in sw.notifications()] == [ALARM]


def test_check_validates_the_keys(sw, fake):
    sw.write_config(agent={"failure_after": 0, "failure_actions": ["nobody"],
                           "name": "two words"})
    r = sw.check()
    assert r.rc == 1
    assert "'failure_after' must be between 1 and 604800, not 0" in r.stderr, r.stderr
    assert "nobody" in r.stderr
    assert "'name': letters, digits and _ . : - @ only" in r.stderr
