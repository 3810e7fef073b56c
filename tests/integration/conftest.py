"""pytest fixtures for the streamwatch integration tests.

fake  - a started FakeAWS (tests/integration/fakeaws.py) on 127.0.0.1; at teardown
        every AWS request it received must have a valid SigV4 signature.
sw    - runs the real binary ($STREAMWATCH_BIN) with a clean environment pointed
        at the fake, writes its config into tmp_path, reads back state and
        notifications.  See class Streamwatch.

Nothing here reaches the network: endpoints always point at the fake (or at a
closed loopback port), IMDS is disabled unless a test opts in, HOME is tmp_path.
"""

import calendar
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakeaws import FakeAWS  # noqa: E402

ALARM = "sample-incoming-high"
DEAD_URL = "http://127.0.0.1:9"  # discard port on loopback: connection refused, never AWS


NOW = "2026-11-25T10:05:00Z"    # the usual --now; the window is [10:02, 10:05) for N=1
REASON_ALARM = ("Threshold Crossed: 1 out of the last 1 datapoints [12.0 (25/11/26 10:04:00)] "
                "was greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM "
                "transition).")


def _journal(path: Path):
    """(header, [lines]) of a state journal: its whole lines up to the first
    that is not valid JSON; a last line without its newline (a save cut
    short) does not count.  None when missing or without a header."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    lines = []
    for ln in text.split("\n")[:-1]:
        try:
            lines.append(json.loads(ln))
        except ValueError:
            break
    if not lines or not isinstance(lines[0], dict) or "journal" not in lines[0]:
        return None
    return lines[0], lines[1:]


def _replay(st: dict, lines: list) -> None:
    """agent/store.c's replay of journal LINES onto the state ST."""
    alarms = st["alarms"]
    for ln in lines:
        op, name = ln.get("op"), ln.get("name")
        fields = {k: v for k, v in ln.items() if k not in ("op", "name")}
        if op == "set":
            alarms[name] = fields
        elif op == "watcher":
            st["watcher"] = {"name": name, **fields}
        elif op in ("eval", "eval_watcher"):
            a = st.get("watcher") if op == "eval_watcher" else alarms.get(name)
            if not a or (op == "eval_watcher" and a.get("name") != name):
                continue
            a["last_evaluated"] = ln["last_evaluated"]
            if "values_from" in ln:
                byts = {v[0]: v for v in a.get("values") or [] if v[0] < ln["values_from"]}
                byts.update((v[0], v) for v in ln["values"])
                a["values"] = [byts[t] for t in sorted(byts)][-ln["nvalues"]:] \
                    if ln["nvalues"] else []
        elif op == "drop":
            alarms.pop(name, None)


def read_state(state_dir: Path, name: str = "state.json"):
    """STATE_DIR/NAME (state.json, or state.json.prev) with the journal that
    follows it replayed, as agent/store.h describes; the journal's id is
    left out, so the dict is the state alone.  None when NAME is missing."""
    p = state_dir / name
    if not p.exists():
        return None
    st = json.loads(p.read_text())
    sid = st.pop("journal", None)
    cur = _journal(state_dir / "state.journal")
    prev = _journal(state_dir / "state.journal.prev")
    if sid and cur and cur[0]["journal"] == sid:
        _replay(st, cur[1])
    elif sid and prev and prev[0]["journal"] == sid:
        _replay(st, prev[1])
        if cur and cur[0].get("base") == sid:
            _replay(st, cur[1])
    return st


def ts(iso: str) -> int:
    """'2026-11-25T10:04:00Z' -> epoch seconds."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def put(fake, iso: str, value, stream="sample", metric="IncomingRecords"):
    """One IncomingRecords sample for StreamName=stream."""
    fake.put_metric("AWS/Kinesis", metric, {"StreamName": stream}, iso, value)


FETCH_MODES = ("GetMetricStatistics", "GetMetricData")


def metric_windows(fake) -> list:
    """(StartTime, EndTime, [metric names]) of each metric request, in either
    fetch mode."""
    out = []
    for q in fake.requests:
        if q.op == "GetMetricStatistics":
            out.append((q.params["StartTime"], q.params["EndTime"], [q.params["MetricName"]]))
        elif q.op == "GetMetricData":
            out.append((q.params["StartTime"], q.params["EndTime"],
                        [m["MetricStat"]["Metric"]["MetricName"]
                         for m in q.params["MetricDataQueries"]]))
    return out


def gms_requests(fake) -> list:
    return fake.requests_for("GetMetricStatistics")


def fill_until_full(path: Path) -> None:
    """Append zeros to PATH until its filesystem says ENOSPC: big writes
    first, then single bytes, so that not one byte is left."""
    with open(path, "ab", buffering=0) as f:
        for size in (65536, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def line_with(text: str, *words) -> str:
    """First line of text containing every word (case-insensitive), or None."""
    for ln in text.splitlines():
        if all(w.lower() in ln.lower() for w in words):
            return ln
    return None


def establish_alarm(sw, fake):
    """Run once at NOW with 12.0 at 10:04: the sample alarm goes to ALARM.
    Returns its state entry; fake.requests then starts afresh (checkpoint)."""
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    a = sw.alarm()
    assert a["state"] == "ALARM", a
    fake.checkpoint()
    return a


# --------------------------------------------------------------------------- libconfig writer

def _lc_value(v, indent: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        return r if any(c in r for c in ".eE") else r + ".0"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, dict):
        inner = indent + "  "
        body = "".join(f"{inner}{k} = {_lc_value(x, inner)};\n" for k, x in v.items()
                       if x is not None)
        return "{\n" + body + indent + "}"
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, dict) for x in v):     # list of groups
            inner = indent + "  "
            return "(\n" + ",\n".join(inner + _lc_value(x, inner) for x in v) \
                + "\n" + indent + ")"
        return "[ " + ", ".join(_lc_value(x, indent) for x in v) + " ]"  # array of scalars
    raise TypeError(f"cannot write {v!r} as libconfig")


def libconfig(top: dict) -> str:
    """Render {"aws": {...}, "rules": [{...}], ...} as libconfig text."""
    return "".join(f"{k} = {_lc_value(v, '')};\n\n" for k, v in top.items() if v is not None)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def fake():
    f = FakeAWS().start()
    try:
        yield f
    finally:
        f.stop()
    # Every signed request the fake got must verify with botocore's signer.  Tests
    # that send bad signatures on purpose set fake.allow_bad_signatures = True.
    bad = [r for r in f.aws_requests(include_archived=True) if r.signature_ok is not True]
    if bad and not f.allow_bad_signatures:
        pytest.fail(f"{len(bad)} request(s) with a missing/invalid SigV4 signature:\n\n"
                    + "\n\n".join(r.describe() for r in bad), pytrace=False)


class Result(NamedTuple):
    rc: int
    stdout: str
    stderr: str


class Streamwatch:
    """Runs $STREAMWATCH_BIN against the fake.

    env      - the environment the binary gets; tests edit it freely.  Defaults:
               PATH, HOME=tmp, TZ=Asia/Tokyo (catches local-time bugs; everything
               must be UTC), AWS_ACCESS_KEY_ID/SECRET = the fake's default key,
               AWS_ENDPOINT_URL=fake.url, AWS_EC2_METADATA_DISABLED=true,
               AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE = tmp/aws/{config,credentials}
               (absent until written).
    conf     - path of the config file written by write_config()
    elapsed  - wall time of the last run()
    """

    def __init__(self, binary: str, tmp: Path, fake: FakeAWS):
        self.bin, self.tmp, self.fake = binary, tmp, fake
        self.state_dir = tmp / "state"
        self.notify_path = tmp / "notify.jsonl"
        self.aws_dir = tmp / "aws"
        self.aws_dir.mkdir()
        self.conf = tmp / "streamwatch.conf"
        self.elapsed = 0.0
        # aws.fetch for write_config(): None (the default, GetMetricStatistics)
        # or "GetMetricData"; tests that must hold in both modes set it.
        self.fetch = None
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp),
            "TZ": "Asia/Tokyo",
            "AWS_ACCESS_KEY_ID": fake.DEFAULT_AKID,
            "AWS_SECRET_ACCESS_KEY": fake.DEFAULT_SECRET,
            "AWS_ENDPOINT_URL": fake.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(self.aws_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.aws_dir / "credentials"),
        }

    # ----- environment helpers
    def use_keys(self, akid, secret, token=None):
        self.clear_env_creds()
        self.env.update(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
        if token:
            self.env["AWS_SESSION_TOKEN"] = token

    def clear_env_creds(self):
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            self.env.pop(k, None)

    def write_aws_file(self, which: str, text: str) -> Path:
        """which: 'config' or 'credentials' (the paths the env points at)."""
        p = self.aws_dir / which
        p.write_text(text)
        return p

    # ----- config
    def rule(self, **kw) -> dict:
        """The sample rule; keyword overrides, None removes a key."""
        r = {"name": ALARM, "namespace": "AWS/Kinesis", "metric": "IncomingRecords",
             "dimensions": {"StreamName": "sample"}, "statistic": "Sum", "period": 60,
             "threshold": 10.0, "comparison": "GreaterThanThreshold",
             "evaluation_periods": 1, "datapoints_to_alarm": 1,
             "treat_missing_data": "missing", "alarm_actions": ["console"],
             "ok_actions": ["console"]}
        r.update(kw)
        return {k: v for k, v in r.items() if v is not None}

    def config_dict(self, rules=None, aws=None, agent=None, notifiers=None) -> dict:
        a = {"region": self.fake.region, "connect_timeout": 2, "request_timeout": 2,
             "max_attempts": 3}
        if self.fetch:
            a["fetch"] = self.fetch
        a.update(aws or {})
        g = {"interval": 60, "state_dir": str(self.state_dir)}
        g.update(agent or {})
        return {"aws": {k: v for k, v in a.items() if v is not None},
                "agent": g,
                "notifiers": notifiers if notifiers is not None else [
                    {"name": "console", "type": "log", "path": str(self.notify_path)}],
                "rules": rules if rules is not None else [self.rule()]}

    def write_config(self, rules=None, aws=None, agent=None, notifiers=None, text=None) -> Path:
        """Write the config (defaults: the sample rule, log notifier, fake region,
        2 s timeouts, 3 attempts) or the given raw text."""
        self.conf.write_text(text if text is not None else
                             libconfig(self.config_dict(rules, aws, agent, notifiers)))
        return self.conf

    # ----- running
    def run(self, *args, timeout: float = 60) -> Result:
        if not self.conf.exists():
            self.write_config()
        t0 = time.monotonic()
        p = subprocess.Popen([self.bin, *map(str, args)], env=self.env, cwd=self.tmp,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            pytest.fail(f"streamwatch {' '.join(map(str, args))} did not finish within "
                        f"{timeout} s\nstdout:\n{out}\nstderr:\n{err}", pytrace=False)
        self.elapsed = time.monotonic() - t0
        self.last = Result(p.returncode, out, err)
        return self.last

    def run_once(self, now: str, *extra, timeout: float = 60) -> Result:
        return self.run("-c", self.conf, "run", "--once", "--now", now, *extra, timeout=timeout)

    def check(self, conf=None) -> Result:
        return self.run("-c", conf or self.conf, "check")

    # ----- results
    def state(self) -> dict:
        """The saved state as one dict, {"version", "alarms", "watcher"}:
        state.json with its journal replayed (read_state())."""
        return read_state(self.state_dir)

    def alarm(self, name: str = ALARM) -> dict:
        st = self.state()
        assert st is not None, f"no state.json in {self.state_dir}\n{self.explain()}"
        assert name in st.get("alarms", {}), f"alarm {name} not in state.json: {st}"
        return st["alarms"][name]

    def notifications(self) -> list:
        if not self.notify_path.exists():
            return []
        return [json.loads(ln) for ln in self.notify_path.read_text().splitlines() if ln.strip()]

    def explain(self) -> str:
        """Context for assertion messages: last run's output and the fake's log."""
        r = getattr(self, "last", None)
        reqs = "\n".join(f"  {q.method} {q.path} {q.op} -> {q.status} {q.error or ''} "
                         f"sig_ok={q.signature_ok} {q.problems or ''}" for q in self.fake.requests)
        return (f"rc={r.rc if r else None}\nstdout:\n{r.stdout if r else ''}\n"
                f"stderr:\n{r.stderr if r else ''}\nrequests:\n{reqs}")


@pytest.fixture
def sw(fake, tmp_path):
    binary = os.environ.get("STREAMWATCH_BIN")
    if not binary:
        pytest.fail("STREAMWATCH_BIN is not set. Build out of tree and point at the binary, "
                    "e.g. STREAMWATCH_BIN=/tmp/build-it/streamwatch /usr/bin/python3 -m pytest "
                    "-q tests/integration", pytrace=False)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail(f"STREAMWATCH_BIN={binary} is not an executable file", pytrace=False)
    return Streamwatch(os.path.abspath(binary), tmp_path, fake)
