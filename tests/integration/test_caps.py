"""Every buffer that comes from outside has a cap (docs/security.md, "Caps on
what comes from outside").

Each test feeds the agent one input far larger than its cap (100 MB where the
input can be that large) and checks three things: the agent does what it is
designed to do (stops with an error, or goes on without that input), one
line of its stderr names the input, and the process's peak RSS stays far
below the input's size, so nothing read the whole input into memory.  The
peak is the child's own ru_maxrss from wait4() in a small wrapper process.

Inputs with a cap tested elsewhere are not repeated here: the config file
(test_check.py), and the unit tests named in docs/security.md.
"""

import http.server
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from conftest import NOW, Result, gms_requests, put

MB = 1024 * 1024
BIG = 100 * MB              # the size of every oversized input
ZEROS = bytes(BIG)          # calloc'd: never touched, so it costs the test no RSS
ROLE_ARN = "arn:aws:iam::123456789012:role/streamwatch"
TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ops"


def _sanitized(binary: str) -> bool:
    """ASan keeps freed memory in quarantine and maps shadow memory: its peak
    RSS is not the program's.  Detected from the binary itself."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def rss_limit(sw) -> int:
    """The peak RSS (KiB) allowed for one run fed a BIG input.  Measured: 11 to
    28 MiB plain (the 16 MiB reply caps are the largest), 33 to 72 MiB with
    sanitizers (shadow memory and ASan's quarantine of freed buffers)."""
    return (160 if _sanitized(sw.bin) else 64) * 1024


# Runs argv[2:] as its child and writes the child's ru_maxrss (KiB) to argv[1].
# A fork of pytest itself would not do: Linux counts the pre-exec image's
# peak (pytest's own, some 50 MB) into the exec'd child's ru_maxrss, while a
# bare interpreter is small.
PEAK_WRAPPER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(ru.ru_maxrss))
os._exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
"""


def run_measured(sw, *args, timeout=120):
    """sw.run(), and the child's own peak RSS in KiB (wait4's ru_maxrss)."""
    if not sw.conf.exists():
        sw.write_config()
    out, err, peak = sw.tmp / "run.stdout", sw.tmp / "run.stderr", sw.tmp / "run.peak"
    peak.unlink(missing_ok=True)
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.Popen(["/usr/bin/python3", "-S", "-c", PEAK_WRAPPER, str(peak), sw.bin,
                              *map(str, args)], env=sw.env, cwd=sw.tmp,
                             stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             start_new_session=True)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    sw.last = Result(p.returncode, out.read_text(errors="replace"),
                     err.read_text(errors="replace"))
    assert p.returncode != 128 + signal.SIGKILL and peak.exists(), \
        f"killed or timed out after {timeout} s\n{sw.explain()}"
    return sw.last, int(peak.read_text())


def one_line(stderr: str, *words) -> str:
    """The single stderr line holding every one of WORDS."""
    lines = [ln for ln in stderr.splitlines() if all(w in ln for w in words)]
    assert lines, f"no stderr line with {words!r}:\n{stderr}"
    assert len(lines[0]) < 2048, f"error line is {len(lines[0])} bytes"
    return lines[0]


def assert_no_crash(r):
    assert r.rc in (0, 1), f"exit status {r.rc} (128 + N: killed by signal N)"
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert bad not in r.stderr, r.stderr


def run_once_bounded(sw):
    """One `run --once --now NOW` fed a BIG input: it must not crash and must
    stay under rss_limit().  Returns its result for the test's own checks."""
    r, peak = run_measured(sw, "-c", sw.conf, "run", "--once", "--now", NOW)
    assert_no_crash(r)
    assert peak < rss_limit(sw), peak
    return r


def sparse(path: Path, size: int = BIG) -> Path:
    """A file of SIZE bytes that takes no disk space (a hole)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


@pytest.fixture
def data(fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)


# --------------------------------------------------------------------------- a blasting server

class Blaster:
    """An HTTP server on 127.0.0.1:0 that answers every request with STATUS,
    HEADERS and a body of BODY_SIZE zero bytes, written in 1 MiB pieces until
    the client hangs up."""

    def __init__(self, status=200, body_size=BIG, headers=None):
        self.status, self.body_size, self.headers = status, body_size, headers or {}
        self.requests = 0
        self.sent = []
        bl = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                bl.requests += 1
                self.send_response(bl.status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(bl.body_size))
                for k, v in bl.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                sent, piece = 0, memoryview(ZEROS)[:MB]
                try:
                    while sent < bl.body_size:
                        n = min(MB, bl.body_size - sent)
                        self.wfile.write(piece[:n])
                        sent += n
                except OSError:
                    pass
                bl.sent.append(sent)
                self.close_connection = True

            do_GET = do_PUT = do_POST

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def blaster():
    b = Blaster()
    yield b
    b.stop()


# --------------------------------------------------------------------------- AWS replies

@pytest.mark.parametrize("op", ["GetMetricStatistics", "GetMetricData"])
def test_metric_reply_too_large(sw, fake, blaster, op):
    sw.fetch = op if op == "GetMetricData" else None
    sw.env["AWS_ENDPOINT_URL"] = blaster.url
    sw.write_config()
    r = run_once_bounded(sw)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, op, "larger than")


def test_describe_alarms_reply_too_large(sw, fake, blaster):
    """plan reads DescribeAlarms (16 MiB cap)."""
    sw.env["AWS_ENDPOINT_URL"] = blaster.url
    sw.write_config(rules=[sw.rule(sync=True)])
    r, peak = run_measured(sw, "-c", sw.conf, "plan")
    assert_no_crash(r)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, "DescribeAlarms", "larger than 16777216 bytes")
    assert peak < rss_limit(sw), peak


def test_sts_reply_too_large(sw, fake, data, blaster):
    """AssumeRole's reply (256 KiB cap): no credentials, nothing fetched."""
    sw.clear_env_creds()
    sw.write_aws_file("credentials", f"[base]\naws_access_key_id = {fake.DEFAULT_AKID}\n"
                                     f"aws_secret_access_key = {fake.DEFAULT_SECRET}\n")
    sw.write_aws_file("config", f"[profile agent]\nrole_arn = {ROLE_ARN}\n"
                                f"source_profile = base\n")
    sw.env.update(AWS_PROFILE="agent", AWS_ENDPOINT_URL_STS=blaster.url)
    r = run_once_bounded(sw)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, "sts: AssumeRole", "larger than 262144 bytes")
    assert gms_requests(fake) == []


def test_imds_reply_too_large(sw, fake, data, blaster):
    """The IMDS token reply (64 KiB cap)."""
    sw.clear_env_creds()
    del sw.env["AWS_EC2_METADATA_DISABLED"]
    sw.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = blaster.url.rsplit("/", 1)[0]
    r = run_once_bounded(sw)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, "imds", "larger than 65536 bytes")
    assert gms_requests(fake) == []


def test_sns_publish_reply_too_large(sw, fake, data, blaster):
    """Publish's reply: the first 64 KiB are kept for the error text, the rest
    is read and dropped; a 200 is a delivery."""
    sw.env["AWS_ENDPOINT_URL_SNS"] = blaster.url
    sw.write_config(notifiers=[{"name": "ops", "type": "sns", "topic_arn": TOPIC}],
                    rules=[sw.rule(alarm_actions=["ops"], ok_actions=["ops"])])
    run_once_bounded(sw)
    assert blaster.requests == 1


def test_reply_header_line_too_large(sw, fake, data):
    """A 1 MB response header line: libcurl refuses it (its own 100 KiB
    limit) before our header callback sees it; a transport error, retried."""
    b = Blaster(body_size=0, headers={"X-Big": "a" * MB})
    try:
        sw.env["AWS_ENDPOINT_URL"] = b.url
        r = run_once_bounded(sw)
    finally:
        b.stop()
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, "fetch: alarm", "reply headers over libcurl's limit")


# --------------------------------------------------------------------------- credential_process

HELPER = """\
    import json, os, sys
    creds = json.dumps({{"Version": 1, "AccessKeyId": "{akid}", "SecretAccessKey": "{secret}"}})
    block = b"x" * (1024 * 1024)
    out = sys.stdout.buffer if "{stream}" == "stdout" else sys.stderr.buffer
    try:
        for _ in range(100):
            out.write(block)
            out.flush()
    except BrokenPipeError:
        os._exit(1)
    sys.stdout.write(creds)
"""


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_credential_process_output_too_large(sw, fake, data, stream):
    """100 MB on stdout is an error (64 KiB cap); on stderr it is read and
    dropped past 4 KiB, and the credentials on stdout are used."""
    helper = sw.tmp / "helper.py"
    helper.write_text(f"#!{sys.executable}\n" + textwrap.dedent(
        HELPER.format(akid=fake.DEFAULT_AKID, secret=fake.DEFAULT_SECRET, stream=stream)))
    helper.chmod(0o755)
    sw.clear_env_creds()
    sw.write_aws_file("config", f"[default]\ncredential_process = {helper}\n")
    r = run_once_bounded(sw)
    if stream == "stdout":
        assert r.rc == 1, sw.explain()
        one_line(r.stderr, "credential_process", "wrote more than 65536 bytes")
        assert gms_requests(fake) == []
    else:
        assert r.rc == 0, sw.explain()
        assert sw.alarm()["state"] == "ALARM"


# --------------------------------------------------------------------------- files

def test_aws_config_file_too_large(sw, fake, data):
    """~/.aws/config over its 1 MiB cap: no credentials, one line naming it."""
    sw.clear_env_creds()
    sparse(sw.aws_dir / "config")
    r = run_once_bounded(sw)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, str(sw.aws_dir / "config"), "larger than 1048576 bytes")
    assert gms_requests(fake) == []


def test_state_json_too_large(sw, fake, data):
    """state.json over SW_STORE_MAX_BYTES (256 MiB): refused before it is read,
    moved aside (not deleted), and the agent starts with fresh state."""
    sw.state_dir.mkdir()
    sparse(sw.state_dir / "state.json", 256 * MB + 1)
    r = run_once_bounded(sw)
    assert r.rc == 0, sw.explain()
    one_line(r.stderr, "state.json", "larger than 268435456 bytes", "moved it to")
    (aside,) = sw.state_dir.glob("state.json.corrupt-*")
    assert aside.stat().st_size == 256 * MB + 1
    assert sw.alarm()["state"] == "ALARM"


def test_outbox_entry_too_large(sw, fake, data):
    """An outbox entry over 1 MiB is moved to outbox/corrupt/, not deleted,
    and the cycle goes on."""
    box = sw.state_dir / "outbox"
    box.mkdir(parents=True)
    sparse(box / "big.json")
    r = run_once_bounded(sw)
    assert r.rc == 0, sw.explain()
    one_line(r.stderr, "big.json", "larger than 1 MiB")
    moved = list((box / "corrupt").glob("big.json*"))
    assert moved and moved[0].stat().st_size == BIG, list(box.rglob("*"))
    assert sw.alarm()["state"] == "ALARM"


def test_webhook_secret_file_too_large(sw, fake, data, blaster):
    """secret_file over its 64 KiB cap: the notification waits in the outbox."""
    sec = sparse(sw.tmp / "hook.secret")
    sec.chmod(0o600)
    sw.write_config(notifiers=[{"name": "hook", "type": "webhook", "url": blaster.url,
                                "secret_file": str(sec)}],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])
    r = run_once_bounded(sw)
    one_line(r.stderr, str(sec), "too large")
    assert blaster.requests == 0
    assert list((sw.state_dir / "outbox").glob("*.json"))


# --------------------------------------------------------------------------- notifier replies

@pytest.mark.parametrize("status", [200, 500])
def test_webhook_reply_too_large(sw, fake, data, blaster, status):
    """A receiver answering 100 MB: 64 KiB kept for the error text, the rest
    read and dropped; 200 is a delivery, 500 a retry."""
    blaster.status = status
    sw.write_config(notifiers=[{"name": "hook", "type": "webhook", "url": blaster.url}],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])
    run_once_bounded(sw)
    assert blaster.requests >= 1
    left = list((sw.state_dir / "outbox").glob("*.json"))
    assert bool(left) == (status == 500)


def test_heartbeat_reply_too_large(sw, fake, data, blaster):
    sw.write_config(agent={"name": "hb", "heartbeat_url": blaster.url})
    r = run_once_bounded(sw)
    assert r.rc == 0, sw.explain()
    assert blaster.requests == 1


# --------------------------------------------------------------------------- environment

@pytest.mark.parametrize("var", ["AWS_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE"])
def test_environment_value_too_long(sw, fake, data, var):
    """The kernel caps one environment string at 128 KiB (MAX_ARG_STRLEN);
    a 100 KiB value is refused with one line."""
    if var == "AWS_REGION":
        sw.write_config(aws={"region": None})
    sw.env[var] = ("http://" if var == "AWS_ENDPOINT_URL" else "") + "x" * (100 * 1024)
    r = run_once_bounded(sw)
    assert r.rc == 1, sw.explain()
    one_line(r.stderr, "error: aws:", {"AWS_REGION": "region", "AWS_ENDPOINT_URL": "AWS_ENDPOINT_URL",
                                       "AWS_PROFILE": "profile"}[var])
    assert gms_requests(fake) == []


def test_recording_too_large(sw, fake, tmp_path):
    """A recording over SW_RECORDING_MAX_BYTES (256 MiB) is refused before it
    is read, by the agent and by `backtest --data`, in one line."""
    big = sparse(tmp_path / "huge.csv", 256 * MB + 1)
    sw.write_config(agent={"recording": str(big)})
    r = run_once_bounded(sw)
    assert r.rc == 1
    one_line(r.stderr, "huge.csv", "larger than 256 MiB")
    sw.write_config()
    r, peak = run_measured(sw, "-c", sw.conf, "backtest", "--data", big)
    assert_no_crash(r)
    assert r.rc == 1 and r.stdout == ""
    one_line(r.stderr, "huge.csv", "larger than 256 MiB")
    assert gms_requests(fake) == []
    assert peak < rss_limit(sw), peak


def test_metrics_json_too_large(sw, fake, data, tmp_path):
    """state_dir/metrics.json over SW_METRICS_MAX_BYTES (4 MiB) is refused
    before it is read, moved aside, and the counters start from zero."""
    sw.state_dir.mkdir()
    sparse(sw.state_dir / "metrics.json")
    prom = tmp_path / "streamwatch.prom"
    sw.write_config(agent={"metrics_file": str(prom)})
    r = run_once_bounded(sw)
    assert r.rc == 0, sw.explain()
    one_line(r.stderr, "metrics.json", "moved it to", "counting from zero")
    (aside,) = sw.state_dir.glob("metrics.json.corrupt-*")
    assert aside.stat().st_size == BIG
    assert "streamwatch_cycles_total 1" in prom.read_text()
