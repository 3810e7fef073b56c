"""Pattern templates while Kinesis ListStreams fails.

A failed listing must not make the alarms of discovered streams disappear:
the agent keeps the last good stream list in state_dir/streams.json, so
`run --once` (each one a restart), a restarted daemon and a reload go on
evaluating them with their states, and no alarm fires a second time when
Kinesis answers again.  Only a successful listing that lacks a stream
drops that stream's alarms, and says so in the log.  The daemon test runs
in real time (the loop reads the wall clock)."""

import json
import os
import signal
import stat
import time

from conftest import put
from test_daemon import Daemon

TEMPLATE = {
    "name": "{stream}-incoming-high",
    "streams": ["clicks-*"],
    "metric": "IncomingRecords", "statistic": "Sum", "period": 60,
    "evaluation_periods": 1, "datapoints_to_alarm": 1,
    "threshold": 10.0, "comparison": "GreaterThanThreshold",
    "treat_missing_data": "missing",
    "alarm_actions": ["console"], "ok_actions": ["console"],
}
EU, US = "clicks-eu-incoming-high", "clicks-us-incoming-high"
DENIED = ("AccessDeniedException", 400,
          "User is not authorized to perform: kinesis:ListStreams")


def _minute(m: int) -> str:
    return f"2026-11-25T10:{m:02d}:00Z"


def _setup(sw, fake, last_minute=12):
    """clicks-eu breaching (12 > 10) and clicks-us quiet, every minute."""
    fake.add_stream("clicks-eu")
    fake.add_stream("clicks-us")
    for m in range(0, last_minute):
        put(fake, _minute(m), 12.0, stream="clicks-eu")
        put(fake, _minute(m), 1.0, stream="clicks-us")
    sw.write_config(rules=[TEMPLATE])


def _alarm_notes(sw, name):
    return [n for n in sw.notifications()
            if n["AlarmName"] == name and n["NewStateValue"] == "ALARM"]


def _establish(sw, fake):
    r = sw.run_once(_minute(5))
    assert r.rc == 0, sw.explain()
    eu = sw.alarm(EU)
    assert eu["state"] == "ALARM", eu
    assert sw.alarm(US)["state"] == "OK"
    assert len(_alarm_notes(sw, EU)) == 1
    return eu


def test_failed_listing_keeps_template_alarms(sw, fake):
    _setup(sw, fake)
    eu = _establish(sw, fake)

    fake.fail_always("ListStreams", DENIED)
    r = sw.run_once(_minute(6))
    st = sw.state()["alarms"]
    assert EU in st and US in st, f"template alarms dropped: {sorted(st)}\n{sw.explain()}"
    assert st[EU]["state"] == "ALARM" and st[EU]["since"] == eu["since"], st[EU]
    # Still evaluated from the kept list, and a failed discovery is an error
    # for `run --once`, as a failed fetch is.
    assert st[EU]["last_evaluated"] == _minute(6), st[EU]
    assert r.rc == 1, sw.explain()
    assert "ListStreams failed" in r.stderr and "AccessDeniedException" in r.stderr
    assert "keeping the previous list of 2 streams" in r.stderr, r.stderr

    fake.clear_faults()
    r = sw.run_once(_minute(7))
    assert r.rc == 0, sw.explain()
    assert sw.alarm(EU)["since"] == eu["since"]
    assert len(_alarm_notes(sw, EU)) == 1, sw.notifications()


def test_restarts_during_outage_keep_alarms(sw, fake):
    _setup(sw, fake)
    eu = _establish(sw, fake)

    fake.fail_always("ListStreams", DENIED)
    for m in (6, 7, 8):
        r = sw.run_once(_minute(m))
        st = sw.state()["alarms"]
        assert EU in st and US in st, \
            f"{_minute(m)}: template alarms dropped: {sorted(st)}\n{sw.explain()}"
        assert st[EU]["state"] == "ALARM" and st[EU]["since"] == eu["since"]
        assert st[EU]["last_evaluated"] == _minute(m)
        assert r.rc == 1, sw.explain()

    fake.clear_faults()
    r = sw.run_once(_minute(9))
    assert r.rc == 0, sw.explain()
    assert sw.alarm(EU)["since"] == eu["since"]
    assert len(_alarm_notes(sw, EU)) == 1, sw.notifications()


def test_stream_list_file(sw, fake):
    _setup(sw, fake)
    _establish(sw, fake)
    streams = sw.state_dir / "streams.json"
    assert streams.exists(), sorted(p.name for p in sw.state_dir.iterdir())
    assert stat.S_IMODE(streams.stat().st_mode) == 0o640
    saved = json.loads(streams.read_text())
    assert saved == {"version": 1, "fetched_at": _minute(5),
                     "streams": ["clicks-eu", "clicks-us"]}, saved

    # A failure leaves it as it was; the next success rewrites it.
    fake.fail_always("ListStreams", DENIED)
    assert sw.run_once(_minute(6)).rc == 1
    assert json.loads(streams.read_text()) == saved
    fake.clear_faults()
    assert sw.run_once(_minute(7)).rc == 0
    assert json.loads(streams.read_text())["fetched_at"] == _minute(7)

    # A file that cannot be read is logged and set aside; the listing
    # replaces it.
    streams.write_text("{not json")
    r = sw.run_once(_minute(8))
    assert r.rc == 0, sw.explain()
    assert "streams.json" in r.stderr, r.stderr
    assert json.loads(streams.read_text())["streams"] == ["clicks-eu", "clicks-us"]


def test_listing_without_a_stream_drops_its_alarm_and_logs_it(sw, fake):
    _setup(sw, fake)
    _establish(sw, fake)

    fake.remove_stream("clicks-us")
    r = sw.run_once(_minute(6))
    assert r.rc == 0, sw.explain()
    st = sw.state()["alarms"]
    assert US not in st and EU in st, sorted(st)
    line = next((ln for ln in r.stderr.splitlines() if US in ln), None)
    assert line and "clicks-us" in line and "no longer listed" in line, r.stderr
    assert json.loads((sw.state_dir / "streams.json").read_text())["streams"] == \
        ["clicks-eu"]

    # The stream comes back: a new alarm, from INSUFFICIENT_DATA.
    fake.add_stream("clicks-us")
    r = sw.run_once(_minute(7))
    assert r.rc == 0, sw.explain()
    assert sw.alarm(US)["state"] == "OK"


def test_first_listing_failing_is_an_error_with_nothing_to_keep(sw, fake):
    _setup(sw, fake)
    fake.fail_always("ListStreams", DENIED)
    r = sw.run_once(_minute(5))
    assert r.rc == 1, sw.explain()
    assert "no stream list yet" in r.stderr, r.stderr
    assert not (sw.state_dir / "streams.json").exists()


def test_upgrade_with_kinesis_failing_keeps_the_states(sw, fake):
    """The first run of a version that keeps streams.json finds none, and
    ListStreams fails: which alarms exist is unknown, so no state is dropped
    (and none fires twice when Kinesis answers)."""
    _setup(sw, fake)
    eu = _establish(sw, fake)
    (sw.state_dir / "streams.json").unlink()  # as an older version left it
    fake.fail_always("ListStreams", DENIED)
    r = sw.run_once(_minute(6))
    assert r.rc == 1, sw.explain()
    st = sw.state()["alarms"]
    assert EU in st and US in st, f"states dropped: {sorted(st)}\n{sw.explain()}"
    assert st[EU]["state"] == "ALARM" and st[EU]["since"] == eu["since"], st[EU]
    fake.clear_faults()
    r = sw.run_once(_minute(7))
    assert r.rc == 0, sw.explain()
    assert sw.alarm(EU)["since"] == eu["since"]
    assert len(_alarm_notes(sw, EU)) == 1, sw.notifications()


def test_dry_run_saves_no_stream_list(sw, fake):
    _setup(sw, fake)
    r = sw.run("-c", sw.conf, "run", "--dry-run", "--now", _minute(5))
    assert r.rc == 0, sw.explain()
    assert not (sw.state_dir / "streams.json").exists()


class _Agent(Daemon):
    """test_daemon's Daemon, one of several in a test, that can wait for a
    save and stop cleanly."""

    def __init__(self, sw, n):
        super().__init__(sw, sw.tmp, name=f"daemon{n}")

    def wait_saved(self, since_ns):
        """Wait for a state.json written at SINCE_NS (time.time_ns()) or later."""
        path = self.sw.state_dir / "state.json"
        self.wait_for(lambda: path.stat().st_mtime_ns >= since_ns, "state saved")

    def stop(self):
        os.kill(self.p.pid, signal.SIGTERM)
        assert self.p.wait(timeout=15) == 0, self.stderr()
        self.close()


def test_daemon_restart_and_reload_during_outage(sw, fake):
    now = int(time.time()) // 60 * 60
    fake.add_stream("clicks-eu")
    fake.add_stream("clicks-us")
    for m in range(-5, 4):
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60 * m))
        put(fake, iso, 12.0, stream="clicks-eu")
        put(fake, iso, 1.0, stream="clicks-us")
    sw.write_config(rules=[TEMPLATE], agent={"interval": 10})
    agents = []

    def start():
        agents.append(_Agent(sw, len(agents)))
        return agents[-1]

    try:
        a = start()
        a.wait_for(lambda: sw.state()["alarms"][EU]["state"] == "ALARM", "ALARM")
        a.stop()
        since = sw.alarm(EU)["since"]

        # Restarted while Kinesis fails: its first cycle keeps the alarms.
        fake.fail_always("ListStreams", DENIED)
        t = time.time_ns()
        a = start()
        a.wait_for(lambda: "ListStreams failed" in a.stderr(), "the failure")
        a.wait_saved(t)  # the first save of this agent: that cycle's
        st = sw.state()["alarms"]
        assert EU in st and US in st, f"template alarms dropped: {sorted(st)}\n{a.stderr()}"
        assert st[EU]["state"] == "ALARM" and st[EU]["since"] == since
        assert "keeping the previous list of 2 streams" in a.stderr()

        # A reload builds a new stream cache: it starts from the saved list.
        # The agent saves the rules of the cycle it is in when it stops.
        os.kill(a.p.pid, signal.SIGHUP)
        a.wait_for(lambda: "configuration reloaded" in a.stderr(), "the reload")
        a.wait_for(lambda: a.stderr().count("ListStreams failed") >= 2,
                   "the reloaded agent's listing")
        a.stop()
        st = sw.state()["alarms"]
        assert EU in st and US in st, f"template alarms dropped: {sorted(st)}\n{a.stderr()}"

        # Kinesis is back: no second ALARM.
        fake.clear_faults()
        t = time.time_ns()
        a = start()
        a.wait_saved(t)
        assert [q.status for q in fake.requests_for("ListStreams")][-1] == 200
        a.stop()
        assert sw.alarm(EU)["since"] == since
        assert len(_alarm_notes(sw, EU)) == 1, sw.notifications()
    finally:
        for x in agents:
            x.close()
