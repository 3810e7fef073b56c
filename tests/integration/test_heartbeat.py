"""agent.heartbeat_url: a ping after every cycle, healthchecks.io style.

After each cycle the agent POSTs a one-line text summary to the URL when
every fetch succeeded, and to the URL + "/fail" (before any ?query) when one
failed.  A ping never delays a cycle (its own curl multi handle, driven
while the agent waits), times out after 10 s, is not retried, and a ping
still unanswered when the next is due is abandoned.  `run --once` waits for
it at most that long and its exit status ignores it; SIGTERM abandons it.
The URL is the check's secret: the log shows scheme://host:port only, at
any verbosity.

The daemon tests run in real time with agent.interval = 10, as
test_daemon.py's do."""

import os
import re
import signal
import socket
import threading
import time

import pytest

from conftest import ALARM, NOW, put
from test_daemon import Daemon, daemon  # noqa: F401  (fixture)
from test_notify_webhook import Receiver

SECRET = "a0b1c2d3-hb-s3cr3t"
SUMMARY = re.compile(r"^streamwatch hb-test: (\d+) alarms? evaluated, (\d+) fetch "
                     r"failures?, (\d+) in ALARM, (\d+) blind, cycle \d+\.\d\d s$")


class HangingReceiver:
    """Accepts connections on 127.0.0.1:0, notes when, reads, never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.accepted = []  # monotonic times
        self.conns = []
        self.requests = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted.append(time.monotonic())
            self.conns.append(c)
            c.settimeout(1)
            try:
                self.requests.append(c.recv(65536))
            except OSError:
                pass

    @property
    def port(self):
        return self.sock.getsockname()[1]

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def receiver():
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def hanging():
    h = HangingReceiver()
    try:
        yield h
    finally:
        h.stop()


def _url(port, path=f"/ping/{SECRET}"):
    return f"http://127.0.0.1:{port}{path}"


def _config(sw, url, agent=None, **kw):
    a = {"name": "hb-test", "heartbeat_url": url}
    a.update(agent or {})
    sw.write_config(agent=a, **kw)


def _closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now: connection refused
    return port


def test_success_pings_the_url_with_the_summary(sw, fake, receiver):
    port = receiver.server.server_address[1]
    _config(sw, _url(port))
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert sw.alarm()["state"] == "ALARM"
    assert len(receiver.requests) == 1, receiver.describe()
    req = receiver.requests[0]
    assert req["path"] == f"/ping/{SECRET}"
    assert req["headers"]["content-type"].startswith("text/plain")
    body = req["body"].decode()
    m = SUMMARY.match(body)
    assert m, body
    assert m.groups() == ("1", "0", "1", "0"), body
    assert SECRET not in r.stderr


def test_failing_fetch_pings_url_fail_before_the_query(sw, fake, receiver):
    port = receiver.server.server_address[1]
    _config(sw, _url(port, f"/ping/{SECRET}/?rid=run-7"))
    fake.fail_always("GetMetricStatistics", ("InternalFailure", 500))
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()  # the fetch failure, not the heartbeat
    assert [q["path"] for q in receiver.requests] == [f"/ping/{SECRET}/fail?rid=run-7"]
    m = SUMMARY.match(receiver.requests[0]["body"].decode())
    assert m and m.group(2) == "1", receiver.describe()
    assert SECRET not in r.stderr


def test_connection_refused_is_logged_without_the_path(sw, fake):
    port = _closed_port()
    _config(sw, _url(port, f"/ping/{SECRET}?rid={SECRET}"))
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()  # a heartbeat failure changes nothing
    ln = [x for x in r.stderr.splitlines() if "heartbeat:" in x]
    assert len(ln) == 1, r.stderr
    assert "warning: heartbeat: ping to " + f"http://127.0.0.1:{port} failed" in ln[0]
    assert "not retried" in ln[0]
    assert SECRET not in r.stderr and "/ping" not in r.stderr
    assert sw.elapsed < 8, sw.elapsed


def test_secret_never_in_stderr_at_vv(sw, fake, receiver):
    port = receiver.server.server_address[1]
    receiver.statuses = [404]
    _config(sw, _url(port, f"/ping/{SECRET}?rid={SECRET}"))
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run("-v", "-v", "-c", sw.conf, "run", "--once", "--now", NOW)
    assert r.rc == 0, sw.explain()
    assert "debug: heartbeat: ping to " + f"http://127.0.0.1:{port} sent" in r.stderr
    assert "HTTP 404; not retried" in r.stderr
    assert "debug: http: >" in r.stderr  # HTTP debug was on
    assert SECRET not in r.stderr
    assert "/ping" not in r.stderr


def test_dry_run_sends_no_heartbeat(sw, fake, receiver):
    port = receiver.server.server_address[1]
    _config(sw, _url(port))
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run("-c", sw.conf, "run", "--dry-run", "--now", NOW)
    assert r.rc == 0, sw.explain()
    time.sleep(0.3)
    assert receiver.requests == []


def test_once_waits_at_most_the_timeout_and_delivers_meanwhile(sw, fake, hanging,
                                                              receiver, tmp_path):
    """A receiver that accepts and never answers: `run --once` still delivers
    its notification (the dispatcher and the ping take turns), gives the ping
    its 10 s and exits 0."""
    hook = {"name": "hook", "type": "webhook", "url": receiver.url,
            "format": "cloudwatch"}
    _config(sw, _url(hanging.port),
            notifiers=[{"name": "console", "type": "log", "path": str(sw.notify_path)},
                       hook],
            rules=[sw.rule(alarm_actions=["console", "hook"])])
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW, timeout=30)
    assert r.rc == 0, sw.explain()
    assert len(receiver.requests) == 1, r.stderr  # delivered meanwhile
    assert receiver.requests[0]["json"]["AlarmName"] == ALARM
    assert len(hanging.accepted) == 1
    assert f"POST /ping/{SECRET} HTTP/1.1".encode() in hanging.requests[0]
    assert 9 <= sw.elapsed < 13, (sw.elapsed, r.stderr)
    ln = [x for x in r.stderr.splitlines() if "heartbeat:" in x]
    assert len(ln) == 1 and "warning:" in ln[0] and "timed out" in ln[0], r.stderr
    assert SECRET not in r.stderr


def test_hanging_receiver_does_not_delay_cycles(sw, fake, hanging, daemon):  # noqa: F811
    """Cycles every 10 s, each pinging a receiver that never answers: the
    pings still leave every 10 s, so no cycle waited for one."""
    _config(sw, _url(hanging.port), agent={"interval": 10})
    d = daemon()
    d.wait_message("READY=1")
    deadline = time.monotonic() + 45
    while len(hanging.accepted) < 4 and time.monotonic() < deadline:
        assert d.p.poll() is None, d.stderr()
        time.sleep(0.1)
    assert len(hanging.accepted) >= 4, d.stderr()
    # The first cycle runs at start, the next ones on the 10 s ticks.
    gaps = [b - a for a, b in zip(hanging.accepted[1:], hanging.accepted[2:])]
    assert all(8.5 < g < 11.5 for g in gaps), (gaps, d.stderr())
    os.kill(d.p.pid, signal.SIGTERM)
    assert d.p.wait(timeout=10) == 0, d.stderr()
    err = d.stderr()
    # Each ping either timed out or was abandoned for the next: one warning
    # line each, and "abandoned" is said once, not every cycle.
    assert err.count("abandoned for the next one") <= 1, err
    assert re.search(r"warning: heartbeat: ping to http://127\.0\.0\.1:\d+ "
                     r"(failed after|unanswered after)", err), err
    assert SECRET not in err


def test_sigterm_abandons_a_hanging_heartbeat(sw, fake, hanging, daemon):  # noqa: F811
    _config(sw, _url(hanging.port), agent={"interval": 10})
    d = daemon()
    d.wait_message("READY=1")
    d.wait_for(lambda: len(hanging.accepted) >= 1, "the first ping", timeout=15)
    time.sleep(0.5)
    t0 = time.monotonic()
    os.kill(d.p.pid, signal.SIGTERM)
    assert d.p.wait(timeout=10) == 0, d.stderr()
    took = time.monotonic() - t0
    assert took < 5, (took, d.stderr())
    err = d.stderr()
    assert "heartbeat: ping to http://127.0.0.1:" in err and "(stopping)" in err, err
    assert SECRET not in err
