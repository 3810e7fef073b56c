"""Alertmanager notifications against the real Alertmanager (Debian's
prometheus-alertmanager), started by the test on 127.0.0.1 with clustering off.

The agent contract these tests assume (README.md, "Notifications"):

- A notifier `{ name = "am"; type = "alertmanager"; url = "http://127.0.0.1:PORT"; }`
  named in the rule's alarm_actions and ok_actions.  On ALARM `run --once --now T` POSTs
  `[alert]` to URL/api/v2/alerts in the same run: labels alertname (the alarm name),
  stream, namespace, metric, severity and the rule's `labels`; annotations summary,
  description, reason; startsAt = the state change; no endsAt (firing).
- On OK the same alert is posted with endsAt = the agent's now, which resolves it.
- Repeats while firing (so Alertmanager does not time the alert out after its
  resolve_timeout) are the agent's cadence; these tests do not depend on it.

Alertmanager compares startsAt/endsAt with its own clock, so these tests step `--now`
through minutes that have just passed in real time (T0 = two minutes ago).
"""

import calendar
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import ALARM, put

AM_BIN = "/usr/bin/prometheus-alertmanager"


def iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AMHook:
    """What Alertmanager itself sends to its receiver (send_resolved: true)."""

    def __init__(self):
        self.posts = []
        hook = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Alertmanager:
    def __init__(self, tmp, hook: AMHook, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = tmp / "alertmanager.yml"
        # Notify the hook at once and on every change, so the test sees firing and
        # resolved within a second or two.
        cfg.write_text(f"""route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: {hook.url}
        send_resolved: true
""")
        self.log = open(tmp / "alertmanager.log", "w+")
        self.proc = subprocess.Popen(
            [AM_BIN, f"--config.file={cfg}", f"--storage.path={tmp / 'am-data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
             "--log.level=info"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/-/ready", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"alertmanager did not start:\n{self.output()}",
                                pytrace=False)
                time.sleep(0.1)

    def alerts(self, **filters) -> list:
        q = "&".join(f"{k}={v}" for k, v in filters.items())
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{q}", timeout=5) as r:
            return json.loads(r.read())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def am_hook():
    h = AMHook()
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def alertmanager(tmp_path, am_hook):
    if not shutil.which(AM_BIN):
        pytest.fail(f"{AM_BIN} is missing: apt-get install prometheus-alertmanager "
                    "(scripts/deps installs it)", pytrace=False)
    am = Alertmanager(tmp_path, am_hook)
    try:
        yield am
    finally:
        am.stop()


def wait_for(pred, timeout=10.0, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def am_config(sw, am, **rule):
    sw.write_config(notifiers=[{"name": "am", "type": "alertmanager", "url": am.url}],
                    rules=[sw.rule(alarm_actions=["am"], ok_actions=["am"], **rule)])


def outbox(sw) -> list:
    d = sw.state_dir / "outbox"
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))] if d.is_dir() else []


def test_alert_fires_and_resolves(sw, fake, alertmanager, am_hook):
    am = alertmanager
    t0 = int(time.time()) // 60 * 60 - 120            # a minute boundary 2-3 minutes ago
    am_config(sw, am, labels={"severity": "page", "team": "data"},
              description="More than 10 records a minute written to sample")
    put(fake, iso(t0 - 60), 12.0)
    r = sw.run_once(iso(t0))
    assert r.rc == 0, f"{sw.explain()}\n{am.output()}"
    assert outbox(sw) == [], sw.explain()

    alerts = am.alerts()
    assert len(alerts) == 1, (alerts, sw.explain(), am.output())
    a = alerts[0]
    assert a["status"]["state"] == "active"
    lab = a["labels"]
    assert lab["alertname"] == ALARM
    assert lab["stream"] == "sample"
    assert lab["namespace"] == "AWS/Kinesis" and lab["metric"] == "IncomingRecords"
    assert lab["severity"] == "page" and lab["team"] == "data"
    ann = a["annotations"]
    assert "Threshold Crossed" in ann["reason"]
    assert ann["summary"] and ann["description"]
    assert calendar.timegm(time.strptime(a["startsAt"][:19], "%Y-%m-%dT%H:%M:%S")) == t0
    # No endsAt was sent: Alertmanager set its own resolve_timeout into the future.
    assert calendar.timegm(time.strptime(a["endsAt"][:19], "%Y-%m-%dT%H:%M:%S")) > time.time()
    firing = wait_for(lambda: [p for p in am_hook.posts if p["status"] == "firing"])
    assert firing and firing[0]["alerts"][0]["labels"]["alertname"] == ALARM, am_hook.posts

    # A minute later the metric is back under the threshold: OK resolves the alert.
    put(fake, iso(t0), 3.0)
    r = sw.run_once(iso(t0 + 60))
    assert r.rc == 0, f"{sw.explain()}\n{am.output()}"
    assert outbox(sw) == [], sw.explain()
    assert wait_for(lambda: am.alerts() == []), (am.alerts(), am.output())
    resolved = wait_for(lambda: [p for p in am_hook.posts if p["status"] == "resolved"])
    assert resolved, (am_hook.posts, am.output())
    [ra] = resolved[0]["alerts"]
    assert ra["status"] == "resolved" and ra["labels"]["alertname"] == ALARM
    ends = calendar.timegm(time.strptime(ra["endsAt"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert ends == t0 + 60 and ends < time.time()


def test_alertmanager_down_then_up(sw, fake, tmp_path, am_hook):
    """Nothing listening yet: the alert waits in the outbox and is posted once
    Alertmanager is there."""
    port = free_port()
    t0 = int(time.time()) // 60 * 60 - 120
    sw.write_config(notifiers=[{"name": "am", "type": "alertmanager",
                                "url": f"http://127.0.0.1:{port}"}],
                    rules=[sw.rule(alarm_actions=["am"], ok_actions=["am"])])
    put(fake, iso(t0 - 60), 12.0)
    put(fake, iso(t0), 12.0)
    sw.run_once(iso(t0))
    [e] = outbox(sw)
    assert e["attempts"] == 1 and e["last_error"], e

    am = Alertmanager(tmp_path, am_hook, port=port)
    try:
        r = sw.run_once(iso(t0 + 60))
        assert r.rc == 0, f"{sw.explain()}\n{am.output()}"
        assert outbox(sw) == []
        assert [a["labels"]["alertname"] for a in am.alerts()] == [ALARM], am.output()
    finally:
        am.stop()
