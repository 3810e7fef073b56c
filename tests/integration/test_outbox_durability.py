"""The outbox survives kill -9: a notification is on disk before its first
attempt, so an agent killed in the middle of a delivery sends it after the
restart.  It can arrive twice only when the receiver never acknowledged the
first attempt, and never three times."""

import http.server
import json
import os
import signal
import subprocess
import threading
import time

from conftest import ALARM, NOW, put


class HangingReceiver:
    """Webhook receiver on 127.0.0.1:0: the first request is read and never
    answered (until close()); later ones get 200."""

    def __init__(self):
        self.requests = []
        self.release = threading.Event()
        rcv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rcv.requests.append({"body": body, "headers": dict(self.headers)})
                if len(rcv.requests) == 1:
                    rcv.release.wait(30)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_kill_9_during_delivery_then_restart_delivers(sw, fake):
    rcv = HangingReceiver()
    try:
        sw.write_config(notifiers=[{"name": "hook", "type": "webhook", "url": rcv.url}],
                        rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])
        put(fake, "2026-11-25T10:04:00Z", 12.0)
        p = subprocess.Popen([sw.bin, "-c", str(sw.conf), "run", "--once", "--now", NOW],
                             env=sw.env, cwd=sw.tmp, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
        deadline = time.monotonic() + 20
        while not rcv.requests and time.monotonic() < deadline:
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.05)
        assert rcv.requests, "the agent never tried to deliver"
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        p.stderr.close()

        # The alarm's state was saved before delivery began, and the
        # notification is on disk, not yet acknowledged.
        assert sw.alarm()["state"] == "ALARM"
        pending = sorted((sw.state_dir / "outbox").glob("*.json"))
        assert len(pending) == 1, pending
        entry = json.loads(pending[0].read_text())
        assert entry["notifier"] == "hook"

        # Restarted (a minute later), it delivers; the alarm does not
        # change, so nothing new is queued.
        put(fake, "2026-11-25T10:05:00Z", 12.0)
        r = sw.run_once("2026-11-25T10:06:00Z")
        assert r.rc == 0, sw.explain()
        assert len(rcv.requests) == 2
        first, second = (json.loads(q["body"]) for q in rcv.requests)
        assert first == second and first["AlarmName"] == ALARM
        ids = {q["headers"].get("X-Streamwatch-Delivery") for q in rcv.requests}
        assert len(ids) == 1  # the same notification, so receivers can dedupe
        assert list((sw.state_dir / "outbox").glob("*.json")) == []

        # And never again.
        r = sw.run_once("2026-11-25T10:07:00Z")
        assert r.rc == 0, sw.explain()
        assert len(rcv.requests) == 2
    finally:
        rcv.close()


def test_notification_survives_a_dead_receiver_across_restarts(sw, fake):
    """Nobody listening at all: every run keeps the entry and retries it on
    schedule; once the receiver is back the next due run delivers it."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on PORT now: connection refused
    url = f"http://127.0.0.1:{port}/hook"
    sw.write_config(notifiers=[{"name": "hook", "type": "webhook", "url": url}],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=None)])
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert "hook" in r.stderr
    [entry] = (sw.state_dir / "outbox").glob("*.json")
    e = json.loads(entry.read_text())
    assert e["attempts"] == 1 and e["last_error"]

    got = []

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            got.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(204)
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        for minute in ("10:06", "10:07", "10:10"):
            put(fake, f"2026-11-25T{minute[:3]}{int(minute[3:]) - 1:02d}:00Z", 12.0)
            r = sw.run_once(f"2026-11-25T{minute}:00Z")
            assert r.rc == 0, sw.explain()
        assert len(got) == 1
        assert json.loads(got[0])["NewStateValue"] == "ALARM"
        assert list((sw.state_dir / "outbox").glob("*.json")) == []
    finally:
        srv.shutdown()
        srv.server_close()
