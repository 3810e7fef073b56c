"""Webhook notifications: a receiver on 127.0.0.1 that checks the HMAC signature and
answers as scripted.

The agent contract these tests assume (README.md, "Notifications"):

- A notifier `{ name = "hook"; type = "webhook"; url = "http://127.0.0.1:PORT/hook";
  format = "cloudwatch" | "alertmanager" | "slack"; secret_file = ...;
  bearer_token_file = ...; headers = { X-Team = "data"; }; }` named in the rule's
  alarm_actions.  On a state change `run --once --now T` writes the entry to
  STATE_DIR/outbox/<id>.json and POSTs it in the same run.
- The POST: Content-Type application/json; the body is the CloudWatch alarm JSON
  (cloudwatch), Alertmanager's webhook payload version "4" (alertmanager) or {"text": ...}
  (slack); `Authorization: Bearer <bearer_token_file>`; the extra headers;
  `X-Streamwatch-Delivery` (the same for every attempt of one notification);
  `X-Streamwatch-Timestamp: <unix seconds, real clock>` and
  `X-Streamwatch-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
- 2xx delivered (entry removed); 4xx other than 408/429 permanent (logged, dropped, never
  sent again); anything else, connection refused included, retried: the entry stays with
  attempts / next_attempt / last_error, and the backoff is d = min(30 s * 2^(n-1), 1 h),
  next attempt in [d/2, d]; a later `run --once --now` at or after next_attempt sends the
  same body again.
"""

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

from conftest import ALARM, NOW, REASON_ALARM, put

SECRET = "whsec-integration-3f9a"
TOKEN = "bearer-token-7c1d"


class Receiver:
    """A webhook receiver on 127.0.0.1:0.  statuses: what to answer, in order (then 200).
    Each request is kept as a dict: path, headers (lower-case names), body (bytes), json,
    sig_ok (the signature verified with SECRET), ts (the timestamp header, int)."""

    def __init__(self, secret=SECRET):
        self.secret = secret.encode()
        self.statuses = []
        self.requests = []
        self.lock = threading.Lock()
        rcv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                ts = hdrs.get("x-streamwatch-timestamp", "")
                want = "v1=" + hmac.new(rcv.secret, ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with rcv.lock:
                    rcv.requests.append({
                        "path": self.path, "headers": hdrs, "body": body, "json": doc,
                        "sig_ok": hmac.compare_digest(hdrs.get("x-streamwatch-signature", ""),
                                                      want),
                        "ts": int(ts) if ts.isdigit() else None, "time": time.time()})
                    status = rcv.statuses.pop(0) if rcv.statuses else 200
                reply = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def describe(self):
        return "\n".join(f"  {r['path']} sig_ok={r['sig_ok']} {r['headers']} {r['body'][:200]!r}"
                         for r in self.requests)


@pytest.fixture
def receiver():
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()


def hook_config(sw, receiver, tmp_path, fmt="cloudwatch", signed=True, **extra):
    n = {"name": "hook", "type": "webhook", "url": receiver.url, "format": fmt,
         "headers": {"X-Team": "data"}}
    if signed:
        for name, text in (("hook.secret", SECRET), ("hook.token", TOKEN)):
            (tmp_path / name).write_text(text + "\n")
            (tmp_path / name).chmod(0o600)  # as the README asks of secrets
        n.update(secret_file=str(tmp_path / "hook.secret"),
                 bearer_token_file=str(tmp_path / "hook.token"))
    n.update(extra)
    sw.write_config(notifiers=[n],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])


def outbox(sw) -> list:
    d = sw.state_dir / "outbox"
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))] if d.is_dir() else []


def explain(sw, receiver) -> str:
    return f"{sw.explain()}\nreceiver:\n{receiver.describe()}\noutbox: {outbox(sw)}"


def test_signed_retried_until_delivered(sw, fake, receiver, tmp_path):
    """500, 500, 200: the same notification is delivered on the third attempt, every
    attempt signed, the entry kept in the outbox until then."""
    receiver.statuses = [500, 500, 200]
    hook_config(sw, receiver, tmp_path)
    for m in ("04", "05", "06", "07"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)   # stays in ALARM: one notification only

    sw.run_once(NOW)
    assert len(receiver.requests) == 1, explain(sw, receiver)
    [e] = outbox(sw)
    assert e["notifier"] == "hook" and e["attempts"] == 1, e
    assert "500" in (e["last_error"] or ""), e

    sw.run_once("2026-11-25T10:06:00Z")             # first backoff: at most 30 s
    assert len(receiver.requests) == 2, explain(sw, receiver)
    assert outbox(sw)[0]["attempts"] == 2

    r = sw.run_once("2026-11-25T10:08:00Z")         # second backoff: at most 60 s
    assert r.rc == 0, explain(sw, receiver)
    assert len(receiver.requests) == 3, explain(sw, receiver)
    assert outbox(sw) == [], explain(sw, receiver)

    first = receiver.requests[0]
    for q in receiver.requests:
        assert q["sig_ok"], explain(sw, receiver)
        assert q["path"] == "/hook"
        assert abs(q["ts"] - q["time"]) < 60          # the real clock, not --now
        h = q["headers"]
        assert h["content-type"] == "application/json"
        assert h["authorization"] == f"Bearer {TOKEN}"
        assert h["x-team"] == "data"
        assert h["x-streamwatch-delivery"] == first["headers"]["x-streamwatch-delivery"]
        assert q["body"] == first["body"]           # the stored record, rendered again
    msg = first["json"]
    assert msg["AlarmName"] == ALARM
    assert (msg["OldStateValue"], msg["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert msg["NewStateReason"] == REASON_ALARM
    assert msg["StateChangeTime"] == "2026-11-25T10:05:00.000+0000"
    assert msg["Region"] == "Asia Pacific (Tokyo)"
    assert msg["Trigger"]["MetricName"] == "IncomingRecords"
    # The secret and the token never reach the log.
    assert SECRET not in sw.last.stderr and TOKEN not in sw.last.stderr


def test_alarm_then_ok_in_order(sw, fake, receiver, tmp_path):
    hook_config(sw, receiver, tmp_path)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, explain(sw, receiver)
    put(fake, "2026-11-25T10:05:00Z", 1.0)
    assert sw.run_once("2026-11-25T10:06:00Z").rc == 0, explain(sw, receiver)
    states = [q["json"]["NewStateValue"] for q in receiver.requests]
    assert states == ["ALARM", "OK"], explain(sw, receiver)
    ids = {q["headers"]["x-streamwatch-delivery"] for q in receiver.requests}
    assert len(ids) == 2                               # two notifications, two ids
    assert outbox(sw) == []


def test_alertmanager_format(sw, fake, receiver, tmp_path):
    hook_config(sw, receiver, tmp_path, fmt="alertmanager", signed=False)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, explain(sw, receiver)
    [q] = receiver.requests
    p = q["json"]
    assert "authorization" not in q["headers"]
    assert "x-streamwatch-signature" not in q["headers"]
    assert q["headers"]["x-streamwatch-delivery"]
    assert p["version"] == "4" and p["status"] == "firing"
    [a] = p["alerts"]
    assert a["status"] == "firing"
    assert a["labels"]["alertname"] == ALARM
    assert a["labels"]["stream"] == "sample"
    assert a["startsAt"].startswith("2026-11-25T10:05:00")
    assert p["groupLabels"] == {"alertname": ALARM}


def test_slack_format(sw, fake, receiver, tmp_path):
    hook_config(sw, receiver, tmp_path, fmt="slack")
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    assert sw.run_once(NOW).rc == 0, explain(sw, receiver)
    [q] = receiver.requests
    assert q["sig_ok"]
    assert list(q["json"]) == ["text"]
    assert ALARM in q["json"]["text"] and "ALARM" in q["json"]["text"]


@pytest.mark.parametrize("status", [400, 404, 410])
def test_4xx_is_permanent(sw, fake, receiver, tmp_path, status):
    receiver.statuses = [status]
    hook_config(sw, receiver, tmp_path)
    for m in ("04", "05"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    r = sw.run_once(NOW)
    assert len(receiver.requests) == 1, explain(sw, receiver)
    assert str(status) in r.stderr, explain(sw, receiver)
    assert outbox(sw) == [], explain(sw, receiver)      # dropped, not kept
    sw.run_once("2026-11-25T10:07:00Z")
    assert len(receiver.requests) == 1, explain(sw, receiver)


@pytest.mark.parametrize("status", [408, 429, 503])
def test_retryable_statuses(sw, fake, receiver, tmp_path, status):
    receiver.statuses = [status]
    hook_config(sw, receiver, tmp_path)
    for m in ("04", "05"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    sw.run_once(NOW)
    assert outbox(sw)[0]["attempts"] == 1, explain(sw, receiver)
    assert sw.run_once("2026-11-25T10:06:00Z").rc == 0, explain(sw, receiver)
    assert len(receiver.requests) == 2 and outbox(sw) == [], explain(sw, receiver)


def test_receiver_down_then_up(sw, fake, receiver, tmp_path):
    """Connection refused is retried; nothing is lost while the receiver is away."""
    hook_config(sw, receiver, tmp_path)
    url = receiver.url
    receiver.stop()
    for m in ("04", "05"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    sw.run_once(NOW)
    [e] = outbox(sw)
    assert e["attempts"] == 1 and e["last_error"], e
    back = Receiver()
    try:
        # Same port if we can get it; else point the config at the new one.
        if back.url != url:
            hook_config(sw, back, tmp_path)
        assert sw.run_once("2026-11-25T10:06:00Z").rc == 0, explain(sw, back)
        assert len(back.requests) == 1 and back.requests[0]["sig_ok"], explain(sw, back)
        assert outbox(sw) == []
    finally:
        back.stop()


def test_secret_rotated_between_attempts(sw, fake, receiver, tmp_path):
    """secret_file is read for each attempt: a rotated secret signs the retry."""
    receiver.statuses = [500]
    hook_config(sw, receiver, tmp_path)
    for m in ("04", "05"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    sw.run_once(NOW)
    (tmp_path / "hook.secret").write_text("rotated-secret\n")
    receiver.secret = b"rotated-secret"
    assert sw.run_once("2026-11-25T10:06:00Z").rc == 0, explain(sw, receiver)
    assert [q["sig_ok"] for q in receiver.requests] == [True, True], explain(sw, receiver)
