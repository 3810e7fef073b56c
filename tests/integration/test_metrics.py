"""agent.metrics_file: the Prometheus textfile the agent writes after each cycle.

The agent contract (agent/metrics.h):

- With `agent.metrics_file = PATH`, `run --once` writes PATH after its deliveries, the
  daemon after each cycle and at stop: text format 0.0.4, atomically (a temporary
  `.NAME.tmp` beside it, renamed), mode 0644; `promtool check metrics` accepts it.
- Counters persist in STATE_DIR/metrics.json (mode 0640) across runs; a corrupt one is
  moved aside with one error line and counting starts from zero.
- streamwatch_api_requests_total{operation,outcome} counts every AWS call with its final
  outcome (success, error, throttled, timeout, network, credentials, canceled, other),
  streamwatch_api_retries_total{operation} the requests sent again;
  streamwatch_notifications_total{notifier,outcome} each settled delivery attempt
  (delivered, retry, failed, expired); streamwatch_outbox_pending{notifier} what waits.
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import ALARM, DEAD_URL, NOW, put, ts
from test_daemon import Daemon

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ops"
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(text: str) -> dict:
    """{(name, ((label, value), ...)): float} of a text-format document; asserts that
    every sample's family was announced by # HELP and # TYPE first."""
    out, typed, helped = {}, set(), set()
    for ln in text.splitlines():
        if ln.startswith("# HELP "):
            helped.add(ln.split(" ")[2])
            continue
        if ln.startswith("# TYPE "):
            typed.add(ln.split(" ")[2])
            continue
        m = LINE.match(ln)
        assert m, f"not a sample line: {ln!r}"
        name, labels, value = m.groups()
        assert name in typed and name in helped, f"{name} without HELP/TYPE"
        lv = []
        if labels:
            pos = 0
            while pos < len(labels):
                lm = LABEL.match(labels, pos)
                assert lm, f"bad labels: {labels!r}"
                raw = lm.group(2)
                lv.append((lm.group(1), re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(
                    x.group(1), x.group(1)), raw)))
                pos = lm.end()
        key = (name, tuple(sorted(lv)))
        assert key not in out, f"duplicate series {key}"
        out[key] = float(value)
    return out


def get(series: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in series, f"no {key} in\n" + "\n".join(map(str, sorted(series)))
    return series[key]


def promtool_check(path):
    """promtool comes with Debian's prometheus package (scripts/deps installs it): a
    missing promtool fails the test, it never skips it."""
    tool = shutil.which("promtool")
    assert tool, "promtool not found: install Debian's 'prometheus' (scripts/deps test)"
    with open(path, "rb") as f:
        p = subprocess.run([tool, "check", "metrics"], stdin=f, capture_output=True,
                           timeout=60)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()


class Metrics:
    def __init__(self, sw, tmp_path):
        self.sw = sw
        self.dir = tmp_path / "textfile"
        self.path = self.dir / "streamwatch.prom"

    def agent(self, **extra) -> dict:
        return {"metrics_file": str(self.path), **extra}

    def read(self) -> dict:
        assert self.path.exists(), f"no metrics file\n{self.sw.explain()}"
        return parse(self.path.read_text())

    def check_file(self):
        assert stat.S_IMODE(self.path.stat().st_mode) == 0o644
        assert sorted(os.listdir(self.dir)) == ["streamwatch.prom"]  # no temp file left
        js = self.sw.state_dir / "metrics.json"
        assert stat.S_IMODE(js.stat().st_mode) == 0o640
        promtool_check(self.path)


@pytest.fixture
def metrics(sw, tmp_path):
    return Metrics(sw, tmp_path)


def three_rules(sw, actions=("console",)):
    return [sw.rule(alarm_actions=list(actions), ok_actions=list(actions)),
            sw.rule(name="b-incoming", dimensions={"StreamName": "b"}, alarm_actions=[],
                    ok_actions=[]),
            sw.rule(name="c-incoming", dimensions={"StreamName": "c"}, alarm_actions=[],
                    ok_actions=[])]


def test_once_counts_persist_across_runs(sw, fake, metrics):
    fake.add_topic(TOPIC)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    put(fake, "2026-11-25T10:04:00Z", 3.0, stream="b")
    sw.write_config(agent=metrics.agent(),
                    notifiers=[{"name": "console", "type": "log",
                                "path": str(sw.notify_path)},
                               {"name": "ops-topic", "type": "sns", "topic_arn": TOPIC}],
                    rules=three_rules(sw, ("console", "ops-topic")))
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    s = metrics.read()
    metrics.check_file()

    assert get(s, "streamwatch_alarms", state="ALARM") == 1
    assert get(s, "streamwatch_alarms", state="OK") == 1
    assert get(s, "streamwatch_alarms", state="INSUFFICIENT_DATA") == 1
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="success") == 3
    assert get(s, "streamwatch_api_retries_total", operation="GetMetricStatistics") == 0
    assert get(s, "streamwatch_api_requests_total", operation="Publish",
               outcome="success") == 1
    for n in ("console", "ops-topic"):
        assert get(s, "streamwatch_notifications_total", notifier=n,
                   outcome="delivered") == 1
        for o in ("retry", "failed", "expired"):
            assert get(s, "streamwatch_notifications_total", notifier=n, outcome=o) == 0
        assert get(s, "streamwatch_outbox_pending", notifier=n) == 0
    assert get(s, "streamwatch_outbox_write_failures_total") == 0
    assert get(s, "streamwatch_cycles_total") == 1
    assert 0 <= get(s, "streamwatch_cycle_duration_seconds") < 30
    assert get(s, "streamwatch_last_success_timestamp_seconds") == ts(NOW)
    assert get(s, "streamwatch_blind_alarms") == 0
    # Only what this agent asked for: no series of an operation never called.
    assert not any(k[0] == "streamwatch_api_requests_total" and
                   dict(k[1])["operation"] not in ("GetMetricStatistics", "Publish")
                   for k in s)

    # A second run: counters go on from the first (state_dir/metrics.json).
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, sw.explain()
    s = metrics.read()
    metrics.check_file()
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="success") == 6
    assert get(s, "streamwatch_cycles_total") == 2
    assert get(s, "streamwatch_last_success_timestamp_seconds") == ts("2026-11-25T10:06:00Z")
    # Whatever the alarms did, the three states add up to the three alarms.
    assert sum(get(s, "streamwatch_alarms", state=x)
               for x in ("OK", "ALARM", "INSUFFICIENT_DATA")) == 3


def test_failed_fetches_and_retries(sw, fake, metrics):
    sw.write_config(agent=metrics.agent())
    put(fake, "2026-11-25T10:04:00Z", 3.0)
    assert sw.run_once(NOW).rc == 0, sw.explain()

    # Throttled on every attempt: 3 attempts, one call, two retries; no new success.
    fake.fail_always("GetMetricStatistics", ("Throttling", 400, "Rate exceeded"))
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 1, sw.explain()
    s = metrics.read()
    metrics.check_file()
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="success") == 1
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="throttled") == 1
    assert get(s, "streamwatch_api_retries_total", operation="GetMetricStatistics") == 2
    assert get(s, "streamwatch_cycles_total") == 2
    assert get(s, "streamwatch_last_success_timestamp_seconds") == ts(NOW)

    # An error that is not retried.
    fake.clear_faults()
    fake.fail_always("GetMetricStatistics", ("InvalidParameterValue", 400, "bad"))
    r = sw.run_once("2026-11-25T10:07:00Z")
    assert r.rc == 1, sw.explain()
    s = metrics.read()
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="error") == 1
    assert get(s, "streamwatch_api_retries_total", operation="GetMetricStatistics") == 2

    # Nothing listens: a network failure, retried.
    fake.clear_faults()
    sw.env["AWS_ENDPOINT_URL"] = DEAD_URL
    r = sw.run_once("2026-11-25T10:08:00Z")
    assert r.rc == 1, sw.explain()
    s = metrics.read()
    metrics.check_file()
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="network") == 1
    assert get(s, "streamwatch_api_retries_total", operation="GetMetricStatistics") == 4
    assert get(s, "streamwatch_last_success_timestamp_seconds") == ts(NOW)


def test_no_credentials_counted(sw, fake, metrics):
    sw.clear_env_creds()
    sw.write_config(agent=metrics.agent())
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    s = metrics.read()
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="credentials") == 1
    assert get(s, "streamwatch_last_success_timestamp_seconds") == 0
    promtool_check(metrics.path)


def test_failed_delivery_waits_in_outbox(sw, fake, metrics):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    sw.write_config(agent=metrics.agent(),
                    notifiers=[{"name": "hook", "type": "webhook", "url": DEAD_URL + "/x",
                                "format": "cloudwatch"}],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])
    r = sw.run_once(NOW)
    s = metrics.read()
    metrics.check_file()
    assert get(s, "streamwatch_notifications_total", notifier="hook", outcome="retry") == 1
    assert get(s, "streamwatch_notifications_total", notifier="hook",
               outcome="delivered") == 0
    assert get(s, "streamwatch_outbox_pending", notifier="hook") == 1
    assert get(s, "streamwatch_alarms", state="ALARM") == 1, r


def test_throttled_publish(sw, fake, metrics):
    fake.add_topic(TOPIC)
    fake.fail_next("Publish", [("Throttling", 400, "Rate exceeded")])
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    sw.write_config(agent=metrics.agent(),
                    notifiers=[{"name": "ops-topic", "type": "sns", "topic_arn": TOPIC}],
                    rules=[sw.rule(alarm_actions=["ops-topic"], ok_actions=["ops-topic"])])
    assert sw.run_once(NOW).rc == 0, sw.explain()
    s = metrics.read()
    assert get(s, "streamwatch_api_requests_total", operation="Publish",
               outcome="throttled") == 1
    assert get(s, "streamwatch_notifications_total", notifier="ops-topic",
               outcome="retry") == 1
    assert get(s, "streamwatch_outbox_pending", notifier="ops-topic") == 1
    promtool_check(metrics.path)


def test_corrupt_metrics_json_starts_from_zero(sw, fake, metrics):
    sw.write_config(agent=metrics.agent())
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert get(metrics.read(), "streamwatch_cycles_total") == 1
    (sw.state_dir / "metrics.json").write_text('{"version": 1, "cycles": "many"')
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, sw.explain()
    lines = [ln for ln in r.stderr.splitlines() if "metrics.json" in ln]
    assert len(lines) == 1 and "moved it to" in lines[0], r.stderr
    s = metrics.read()
    assert get(s, "streamwatch_cycles_total") == 1
    assert get(s, "streamwatch_api_requests_total", operation="GetMetricStatistics",
               outcome="success") == 1
    aside = [p.name for p in sw.state_dir.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].startswith("metrics.json.corrupt-")
    metrics.check_file()


def test_unwritable_metrics_file_is_not_fatal(sw, fake, metrics, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    sw.write_config(agent={"metrics_file": str(blocker / "streamwatch.prom")})
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert len([ln for ln in r.stderr.splitlines() if "metrics: cannot write" in ln]) == 1
    # The counts are still kept.
    assert (sw.state_dir / "metrics.json").exists()


def test_dry_run_writes_nothing(sw, fake, metrics):
    sw.write_config(agent=metrics.agent())
    r = sw.run("-c", sw.conf, "run", "--dry-run", "--now", NOW)
    assert r.rc == 0, sw.explain()
    assert not metrics.path.exists()
    assert not (sw.state_dir / "metrics.json").exists()


def _minute(offset_min: int) -> str:
    t = (int(time.time()) // 60 + offset_min) * 60
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_daemon_writes_each_cycle_reload_and_stop(sw, fake, metrics, tmp_path):
    for m in range(-5, 1):
        put(fake, _minute(m), 12.0)
    sw.write_config(agent=metrics.agent(interval=10))
    d = Daemon(sw, tmp_path)
    try:
        d.wait_message("READY=1")

        def calls():  # 0 until the file is there (wait_for polls it)
            if not metrics.path.exists():
                return 0
            key = ("streamwatch_api_requests_total",
                   (("operation", "GetMetricStatistics"), ("outcome", "success")))
            return parse(metrics.path.read_text()).get(key, 0)
        d.wait_for(lambda: calls() >= 1, "the first cycle's metrics")
        promtool_check(metrics.path)

        # After a reload the new AWS client is counted too: the new rule is due at
        # once, in the cycle right after the reload.
        before = calls()
        sw.write_config(agent=metrics.agent(interval=10),
                        rules=[sw.rule(), sw.rule(name="other-incoming-high",
                                                  dimensions={"StreamName": "other"})])
        os.kill(d.p.pid, signal.SIGHUP)
        d.wait_message("RELOADING=1")
        d.wait_message("READY=1")
        d.wait_for(lambda: calls() > before, "a cycle after the reload to be counted")

        os.kill(d.p.pid, signal.SIGTERM)
        assert d.p.wait(timeout=10) == 0, d.stderr()
        s = metrics.read()
        assert get(s, "streamwatch_cycles_total") >= 2
        assert get(s, "streamwatch_alarms", state="ALARM") == 1
        assert get(s, "streamwatch_alarms", state="INSUFFICIENT_DATA") == 1
        metrics.check_file()
    finally:
        d.close()
