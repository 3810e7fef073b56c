"""The agent as a daemon: `streamwatch run` in the foreground with systemd's
notify protocol, SIGHUP reloads (a bad file keeps the running config),
SIGTERM stops cleanly even in the middle of a request that never answers;
plus `status`, `--dry-run` and the corrupt-state fallback.

These tests run in real time (the loop reads the wall clock), with
agent.interval = 10, the shortest the config allows."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import ALARM, NOW, put


def _state_of(sw, name=ALARM):
    """The alarm's state in state.json, or None before the first save."""
    st = sw.state()
    return st["alarms"][name]["state"] if st and name in st["alarms"] else None


def _minute(offset_min: int) -> str:
    t = (int(time.time()) // 60 + offset_min) * 60
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Daemon:
    """`streamwatch -c CONF run` with NOTIFY_SOCKET pointing at our socket."""

    def __init__(self, sw, tmp_path, name="daemon"):
        self.sw = sw
        self.sock_path = str(tmp_path / f"{name}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.err_path = tmp_path / f"{name}.err"
        env = dict(sw.env, NOTIFY_SOCKET=self.sock_path)
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen([sw.bin, "-c", str(sw.conf), "run"], env=env,
                                  cwd=sw.tmp, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=self.err,
                                  start_new_session=True)

    def wait_message(self, text: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.messages:
                self.messages.remove(text)
                return
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                assert self.p.poll() is None, f"agent exited: {self.stderr()}"
        pytest.fail(f"no {text!r} from the agent within {timeout} s; got "
                    f"{self.messages}\n{self.stderr()}", pytrace=False)

    def wait_for(self, pred, what: str, timeout: float = 25.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if pred():
                    return
            except (OSError, ValueError, KeyError, TypeError):
                pass  # state.json mid-rename or not there yet
            assert self.p.poll() is None, f"agent exited: {self.stderr()}"
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}\n{self.stderr()}", pytrace=False)

    def stderr(self) -> str:
        self.err.flush()
        return self.err_path.read_text()

    def close(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        self.err.close()
        self.sock.close()


@pytest.fixture
def daemon(sw, tmp_path):
    made = []

    def start():
        d = Daemon(sw, tmp_path)
        made.append(d)
        return d
    yield start
    for d in made:
        d.close()


def test_run_loop_reload_and_stop(sw, fake, daemon):
    for m in range(-5, 1):
        put(fake, _minute(m), 12.0)
        put(fake, _minute(m), 3.0, stream="other")
    sw.write_config(agent={"interval": 10})
    d = daemon()
    d.wait_message("READY=1")
    d.wait_for(lambda: _state_of(sw) == "ALARM", "the first cycle")

    # A valid new file is swapped in; the new alarm shows up in the next cycle.
    sw.write_config(agent={"interval": 10},
                    rules=[sw.rule(), sw.rule(name="other-incoming-high",
                                             dimensions={"StreamName": "other"})])
    os.kill(d.p.pid, signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    d.wait_for(lambda: _state_of(sw, "other-incoming-high") == "OK",
               "the reloaded rule to be evaluated")
    assert sw.alarm()["state"] == "ALARM"  # state carried over by name

    # A broken file is refused and the running configuration stays.
    sw.conf.write_text("rules = ( { name = ; } );\n")
    os.kill(d.p.pid, signal.SIGHUP)
    d.wait_message("READY=1")
    d.wait_for(lambda: "reload failed" in d.stderr(), "the reload error")
    assert "streamwatch.conf:1:" in d.stderr()
    assert d.p.poll() is None

    os.kill(d.p.pid, signal.SIGTERM)
    assert d.p.wait(timeout=10) == 0, d.stderr()
    d.wait_message("STOPPING=1", timeout=2)
    st = sw.state()
    assert set(st["alarms"]) == {ALARM, "other-incoming-high"}


def test_sigterm_cancels_a_request_that_never_answers(sw, fake, daemon):
    put(fake, _minute(-1), 12.0)
    sw.write_config(agent={"interval": 10}, aws={"request_timeout": 30})
    fake.fail_always("GetMetricStatistics", "hang")
    d = daemon()
    d.wait_message("READY=1")
    d.wait_for(lambda: len(fake.requests_for("GetMetricStatistics")) >= 1,
               "the request to reach the fake", timeout=15)
    t0 = time.monotonic()
    os.kill(d.p.pid, signal.SIGTERM)
    rc = d.p.wait(timeout=10)
    assert rc == 0, d.stderr()
    # Cancelled at once, not after the 30 s request timeout.
    assert time.monotonic() - t0 < 5, d.stderr()
    # The fetch never completed: that is no data, and no state change.
    assert sw.alarm()["state"] == "INSUFFICIENT_DATA"
    # Nor a failure of AWS: the agent cut it short itself.
    assert not sw.alarm().get("fetch_failures"), sw.alarm()
    assert not sw.alarm().get("fetch_error"), sw.alarm()
    assert "fetch: alarm" not in d.stderr()


def test_sighup_waits_only_for_the_requests_in_flight(sw, fake, daemon):
    """Five alarms whose requests hang for the whole request_timeout, two
    fetched at a time: a reload lets the two in flight time out, then
    reloads at once, not after the cycle's five alarms times three
    attempts, and starts no retry and no other request meanwhile."""
    names = [f"hang-{i}" for i in range(5)]
    sw.write_config(agent={"interval": 10, "concurrency": 2}, aws={"request_timeout": 5},
                    rules=[sw.rule(name=n, dimensions={"StreamName": n}) for n in names])
    fake.fail_always("GetMetricStatistics", "hang")
    d = daemon()
    d.wait_message("READY=1")
    d.wait_for(lambda: len(fake.requests_for("GetMetricStatistics")) >= 2,
               "the first two requests to reach the fake", timeout=15)
    # The reloaded file watches other streams, so the new configuration's
    # first cycle, which may start before we look, is told apart from the
    # old one's requests.
    sw.write_config(agent={"interval": 10, "concurrency": 2}, aws={"request_timeout": 5},
                    rules=[sw.rule(name=f"after-{i}", dimensions={"StreamName": f"after-{i}"})
                           for i in range(5)])
    t0 = time.monotonic()
    os.kill(d.p.pid, signal.SIGHUP)
    d.wait_message("RELOADING=1", timeout=20)
    waited = time.monotonic() - t0
    asked = [r for r in fake.requests_for("GetMetricStatistics") if b"hang-" in r.body]
    assert waited < 7.5, f"reload waited {waited:.1f} s\n{d.stderr()}"
    # No retry and no other alarm was started once the reload was asked for.
    assert len(asked) == 2, d.stderr()
    d.wait_message("READY=1")
    os.kill(d.p.pid, signal.SIGTERM)
    assert d.p.wait(timeout=10) == 0, d.stderr()


def test_sigterm_kills_a_hanging_credential_process(sw, fake, daemon, tmp_path):
    pidfile = tmp_path / "helper-child.pid"
    helper = tmp_path / "hang-helper.sh"
    helper.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pidfile}\nwait\n")
    helper.chmod(0o755)
    sw.clear_env_creds()
    sw.write_aws_file("config", f"[default]\ncredential_process = {helper}\n")
    sw.write_config(agent={"interval": 10})
    d = daemon()
    d.wait_message("READY=1")
    d.wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
               "the credential_process to start", timeout=15)
    child = int(pidfile.read_text())
    t0 = time.monotonic()
    os.kill(d.p.pid, signal.SIGTERM)
    rc = d.p.wait(timeout=20)
    took = time.monotonic() - t0
    assert rc == 0, d.stderr()
    assert took < 5, f"stop took {took:.1f} s\n{d.stderr()}"
    # The helper's own child went with it (its process group was killed).
    for _ in range(100):
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"credential_process child {child} still runs")
    assert not sw.alarm().get("fetch_failures"), sw.alarm()


def test_status_text_and_json(sw, fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, sw.explain()
    r = sw.run("-c", sw.conf, "status", "--json")
    assert r.rc == 0, r.stderr
    alarms = json.loads(r.stdout)["alarms"]
    assert [a["name"] for a in alarms] == [ALARM]
    a = alarms[0]
    assert a["state"] == "ALARM"
    assert a["since"] == NOW
    assert a["reason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [12.0")
    assert a["values"] == [[1795601040, 12.0]]
    assert a["next_evaluation"] == "2026-11-25T10:06:00Z"
    r = sw.run("-c", sw.conf, "status")
    assert r.rc == 0
    assert ALARM in r.stdout and "ALARM" in r.stdout and "Threshold Crossed" in r.stdout


def test_status_blanks_control_characters_from_outside(sw, fake):
    """A reply that quotes raw newlines and an escape sequence into the fetch
    error (found by fuzzing), or a hand-edited state.json, never breaks a
    line of `status` or reaches the terminal as a control sequence."""
    fake.fail_always("GetMetricStatistics", {
        "status": 200, "headers": {"Content-Type": "application/x-amz-json-1.0"},
        "body": '{"Label": "x", "Datapoints": [\n\x1b[2J\nFORGED LINE'})
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    err = sw.alarm()["fetch_error"]
    assert err and not any(ord(c) < 0x20 for c in err), repr(err)

    st = sw.state()
    st["alarms"][ALARM]["reason"] = "line one\nFORGED: second\x1b[31m"
    (sw.state_dir / "state.json").write_text(json.dumps(st))
    r = sw.run("-c", sw.conf, "status")
    assert r.rc == 0, r.stderr
    assert "\x1b" not in r.stdout
    for ln in r.stdout.splitlines():
        assert not ln.startswith("FORGED"), r.stdout
    assert "line one FORGED: second [31m" in r.stdout
    r = sw.run("-c", sw.conf, "status", "--json")
    assert json.loads(r.stdout)["alarms"][0]["reason"].startswith("line one\nFORGED")


def test_dry_run_prints_and_saves_nothing(sw, fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run("-c", sw.conf, "run", "--dry-run", "--now", NOW)
    assert r.rc == 0, sw.explain()
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    assert [(ev["AlarmName"], ev["NewStateValue"]) for ev in lines] == [(ALARM, "ALARM")]
    assert not (sw.state_dir / "state.json").exists()
    assert sw.notifications() == []


def test_corrupt_state_is_set_aside_not_overwritten(sw, fake):
    sw.state_dir.mkdir()
    (sw.state_dir / "state.json").write_text('{"version": 1, "alarms": [')
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert "moved it to" in r.stderr
    kept = [p for p in os.listdir(sw.state_dir) if p.startswith("state.json.corrupt-")]
    assert len(kept) == 1
    assert (sw.state_dir / kept[0]).read_text() == '{"version": 1, "alarms": ['
    assert sw.alarm()["state"] == "ALARM"


def test_corrupt_state_falls_back_to_the_previous_good_state(sw, fake):
    """Regression: a corrupt state.json made every alarm start afresh, so every
    ALARM was sent again.  The state before the last save is kept as
    state.json.prev, and the agent goes on from it."""
    for m in ("04", "05", "06"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert not (sw.state_dir / "state.json.prev").exists()  # nothing replaced yet
    assert sw.run_once("2026-11-25T10:06:00Z").rc == 0, sw.explain()
    prev = sw.state_dir / "state.json.prev"
    assert json.loads(prev.read_text())["alarms"][ALARM]["state"] == "ALARM"
    assert oct(prev.stat().st_mode & 0o777) == "0o640"
    assert [n["NewStateValue"] for n in sw.notifications()] == ["ALARM"]

    (sw.state_dir / "state.json").write_text('{"version": 1, "alarms": {"x": [')
    r = sw.run_once("2026-11-25T10:07:00Z")
    assert r.rc == 0, sw.explain()
    assert "went on from the previous good state" in r.stderr, r.stderr
    a = sw.alarm()
    assert a["state"] == "ALARM" and a["since"] == NOW, a
    # Nothing sent twice: the alarm was already in ALARM.
    assert [n["NewStateValue"] for n in sw.notifications()] == ["ALARM"]
    kept = [p for p in os.listdir(sw.state_dir) if p.startswith("state.json.corrupt-")]
    assert len(kept) == 1


def test_corrupt_state_and_previous_start_afresh(sw, fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    sw.state_dir.mkdir()
    (sw.state_dir / "state.json").write_text("{")
    (sw.state_dir / "state.json.prev").write_text("[]")
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert "started with fresh state: the previous one is unreadable too" in r.stderr
    assert sw.alarm()["state"] == "ALARM"


def test_usage_errors(sw):
    sw.write_config()
    for args, word in ((["run", "--now", NOW], "--now needs --once"),
                       (["check", "--once"], "belong to 'run'"),
                       (["frobnicate"], "unknown command"),
                       (["run", "--bogus"], "unknown option"),
                       (["run", "--once", "--now", "yesterday"], "RFC 3339"),
                       (["backtest", "--bogus"], "unknown option"),
                       (["backtest", "stray"], "unexpected argument"),
                       (["backtest", "-o", "x.csv"], "-o belongs to 'record'"),
                       (["record", "--from", "-1h"], "record needs"),
                       (["record", "--plot", "x.svg"], "unknown option"),
                       (["check", "--prune"], "belongs to"),
                       (["notify-test"], "needs a notifier name")):
        r = sw.run("-c", sw.conf, *args)
        assert r.rc == 1, (args, r)
        assert word in r.stderr, (args, r.stderr)
