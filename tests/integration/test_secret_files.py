"""Secret files (bearer_token_file, secret_file, password_file) are checked where they
are read, as ssh checks a private key: a file that group or others may read, a file
owned by another user than the agent's, or a name that is a symbolic link draws one
warning line that names the file.  It is a warning, not a refusal: the notification
still goes out.  A 0600 file of the agent's own draws nothing.

The checks are on the file actually read (fstat of the open descriptor), so they run
on every read: here `notify-test`, which reads the files for its one delivery.
"""

import os

import pytest

from conftest import DEAD_URL, line_with
from test_notify_webhook import Receiver

TOKEN = "tok-secret-files-5e2b"
HMAC_KEY = "whsec-secret-files-91c0"
PASSWORD = "pw-secret-files-77aa"


def _auth(rcv):
    """The Authorization header of each request the receiver got."""
    return [q["headers"].get("authorization") for q in rcv.requests]


@pytest.fixture
def receiver():
    r = Receiver()
    try:
        yield r
    finally:
        r.stop()


def secret(path, text, mode=0o600):
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def hook(sw, receiver, token, key):
    sw.write_config(notifiers=[{"name": "hook", "type": "webhook", "url": receiver.url,
                                "bearer_token_file": str(token), "secret_file": str(key)}],
                    rules=[sw.rule(alarm_actions=["hook"], ok_actions=["hook"])])


def notify_test(sw, name="hook"):
    return sw.run("-c", sw.conf, "notify-test", name)


def no_secret_in(r):
    out = r.stdout + r.stderr
    assert TOKEN not in out and HMAC_KEY not in out and PASSWORD not in out


def test_private_files_draw_no_warning(sw, fake, receiver, tmp_path):
    token = secret(tmp_path / "hook.token", TOKEN)
    key = secret(tmp_path / "hook.secret", HMAC_KEY)
    hook(sw, receiver, token, key)
    r = notify_test(sw)
    assert r.rc == 0, sw.explain()
    assert _auth(receiver) == [f"Bearer {TOKEN}"]
    assert "secret file" not in r.stderr, r.stderr


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_readable_by_others_is_warned_and_still_used(sw, fake, receiver, tmp_path, mode):
    token = secret(tmp_path / "hook.token", TOKEN, mode)
    key = secret(tmp_path / "hook.secret", HMAC_KEY)
    hook(sw, receiver, token, key)
    r = notify_test(sw)
    assert r.rc == 0, sw.explain()                  # a warning, not a refusal
    assert _auth(receiver) == [f"Bearer {TOKEN}"]
    warn = line_with(r.stderr, "warning", str(token))
    assert warn, r.stderr
    assert "readable by group or others" in warn and f"(mode 0{mode:o})" in warn, warn
    assert "chmod 600" in warn, warn
    assert str(key) not in r.stderr, "the 0600 file is fine"
    assert len([ln for ln in r.stderr.splitlines() if "secret file" in ln]) == 1, r.stderr
    no_secret_in(r)


def test_symlink_is_warned_and_followed(sw, fake, receiver, tmp_path):
    real = secret(tmp_path / "real.token", TOKEN)
    link = tmp_path / "hook.token"
    link.symlink_to(real)
    key = secret(tmp_path / "hook.secret", HMAC_KEY)
    hook(sw, receiver, link, key)
    r = notify_test(sw)
    assert r.rc == 0, sw.explain()
    assert _auth(receiver) == [f"Bearer {TOKEN}"]
    warn = line_with(r.stderr, "warning", f"'{link}'", "symbolic link")
    assert warn, r.stderr
    assert str(real) in warn, warn                  # where it led, from the open file
    no_secret_in(r)


def test_symlink_to_an_open_file_draws_both(sw, fake, receiver, tmp_path):
    real = secret(tmp_path / "real.secret", HMAC_KEY, 0o644)
    link = tmp_path / "hook.secret"
    link.symlink_to(real)
    token = secret(tmp_path / "hook.token", TOKEN)
    hook(sw, receiver, token, link)
    r = notify_test(sw)
    assert r.rc == 0, sw.explain()
    assert line_with(r.stderr, "warning", f"'{link}'", "symbolic link"), r.stderr
    assert line_with(r.stderr, "warning", f"'{link}'", "readable by group or others"), \
        r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_owned_by_another_user_is_warned(sw, fake, receiver, tmp_path):
    token = secret(tmp_path / "hook.token", TOKEN)
    os.chown(token, 65534, -1)
    key = secret(tmp_path / "hook.secret", HMAC_KEY)
    hook(sw, receiver, token, key)
    r = notify_test(sw)
    assert r.rc == 0, sw.explain()                  # root still reads it
    warn = line_with(r.stderr, "warning", str(token), "owned by uid 65534")
    assert warn, r.stderr
    assert str(key) not in r.stderr
    no_secret_in(r)


def test_email_password_file_is_checked(sw, fake, tmp_path):
    """The SMTP password is read before connecting: the warning comes even though the
    relay (a closed loopback port) is down."""
    pw = secret(tmp_path / "smtp.pass", PASSWORD, 0o644)
    sw.write_config(notifiers=[{"name": "mail", "type": "email",
                                "url": DEAD_URL.replace("http://", "smtp://"),
                                "tls": "none", "username": "alerts",
                                "password_file": str(pw), "from": "sw@example.com",
                                "to": ["ops@example.com"]}],
                    rules=[sw.rule(alarm_actions=["mail"], ok_actions=["mail"])])
    r = notify_test(sw, "mail")
    assert r.rc == 1, sw.explain()                  # nobody listens on port 9
    warn = line_with(r.stderr, "warning", str(pw), "readable by group or others")
    assert warn and "(mode 0644)" in warn, r.stderr
    no_secret_in(r)
    pw.chmod(0o600)
    r = notify_test(sw, "mail")
    assert "secret file" not in r.stderr, r.stderr
