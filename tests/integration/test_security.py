"""Security properties of what the agent leaves behind (issue 12, the
security pass): no secret in its logs, state, outbox or `status` at any
verbosity; state and outbox files never readable by others, whatever the
umask it was started with; and a warning when it runs as root."""

import json
import os
import stat
import subprocess

from conftest import NOW, put

DEAD_HOOK = "http://127.0.0.1:9/hook"  # discard port: refused, so the entry stays queued
BEARER = "bearer-TOPSECRET-5f0c1e"
HMAC_KEY = "hmac-TOPSECRET-77aa31"


def _secret_setup(sw, fake, tmp_path):
    """Session credentials from the fake, a webhook with a bearer token and an
    HMAC secret that cannot be delivered (so the outbox keeps the entry)."""
    c = fake.issue_session()
    sw.use_keys(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    for name, text in (("token", BEARER), ("secret", HMAC_KEY)):
        (tmp_path / name).write_text(text + "\n")
        (tmp_path / name).chmod(0o600)
    sw.write_config(
        notifiers=[{"name": "console", "type": "log", "path": str(sw.notify_path)},
                   {"name": "hook", "type": "webhook", "url": DEAD_HOOK,
                    "bearer_token_file": str(tmp_path / "token"),
                    "secret_file": str(tmp_path / "secret")}],
        rules=[sw.rule(alarm_actions=["console", "hook"])])
    return [c["SecretAccessKey"], c["SessionToken"], BEARER, HMAC_KEY]


def _files_under(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            yield os.path.join(dirpath, n)


def test_no_secret_in_logs_state_outbox_or_status(sw, fake, tmp_path):
    secrets = _secret_setup(sw, fake, tmp_path)
    for m in ("04", "05", "06"):
        put(fake, f"2026-11-25T10:{m}:00Z", 12.0)
    seen = []
    for flags, now in (([], NOW), (["-v"], "2026-11-25T10:06:00Z"),
                       (["-vv"], "2026-11-25T10:07:00Z")):
        r = sw.run(*flags, "-c", sw.conf, "run", "--once", "--now", now)
        assert r.rc == 0, sw.explain()  # the webhook being down is retried later
        seen += [r.stdout, r.stderr]
    assert "http: >" in seen[-1], "-vv logs the HTTP exchange"
    for args in (["status"], ["status", "--json"], ["-vv", "status"]):
        r = sw.run("-c", sw.conf, *args)
        assert r.rc == 0, r.stderr
        seen += [r.stdout, r.stderr]
    outbox = [p for p in _files_under(sw.state_dir / "outbox") if p.endswith(".json")]
    assert outbox, "the undeliverable notification should still be queued"
    for p in _files_under(sw.state_dir):
        seen.append(open(p, "rb").read().decode("utf-8", "replace"))
    seen.append(sw.notify_path.read_text())
    for text in seen:
        for s in secrets:
            assert s not in text, f"a secret ({s[:6]}...) leaked"


def test_state_and_outbox_never_readable_by_others(sw, fake, tmp_path):
    _secret_setup(sw, fake, tmp_path)
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    # A careless umask in the environment must not loosen anything.
    for now in (NOW, "2026-11-25T10:06:00Z"):
        p = subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh", sw.bin, "-c",
                            str(sw.conf), "run", "--once", "--now", now],
                           env=sw.env, cwd=sw.tmp, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
    st = sw.state_dir
    assert (st / "state.json.prev").exists()
    checked = 0
    for dirpath, dirs, names in os.walk(st):
        for d in dirs:
            mode = stat.S_IMODE(os.stat(os.path.join(dirpath, d)).st_mode)
            assert mode & 0o007 == 0, (d, oct(mode))
        for n in names:
            mode = stat.S_IMODE(os.stat(os.path.join(dirpath, n)).st_mode)
            assert mode & 0o007 == 0, (n, oct(mode))
            checked += 1
    assert stat.S_IMODE(os.stat(st).st_mode) & 0o007 == 0
    assert checked >= 3  # state.json, state.json.prev, an outbox entry
    json.loads((st / "state.json").read_text())


def test_warns_when_running_as_root(sw, fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    warned = "running as root" in r.stderr
    assert warned == (os.geteuid() == 0), r.stderr
    # Only the agent warns; check and status have nothing to guard.
    assert "running as root" not in sw.check().stderr
