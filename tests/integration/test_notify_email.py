"""The `email` notifier against a real SMTP server (Debian's python3-aiosmtpd).

Each test starts aiosmtpd on 127.0.0.1, port 0, with STARTTLS (or implicit TLS)
and AUTH LOGIN/PLAIN required, using a test CA and server certificate made
with the `openssl` command.  The agent gets `ca_file` = that CA.  Received
messages are parsed with Python's email package.

What these tests expect from the agent (issue 4):
- notifiers = ({ name; type = "email"; url; tls; username; password_file;
  from; to = [...]; ca_file; }) as in docs/configuration.md §5;
- `run --once --now T` enqueues the notification in STATE_DIR/outbox/ and the
  dispatcher delivers what is due within that same run;
- a failed attempt leaves the notification in STATE_DIR/outbox/ (one file per
  pending notification) and logs the notifier's error on stderr; a later
  `run --once --now T2` with T2 past the backoff (at most 30 s after the
  first attempt) delivers it; nothing is sent twice;
- the message's Date is the --now time;
- `notify-test NAME` sends one sample through the notifier, around the
  outbox: exit 0 and "delivered" on stdout, or exit 1 and a stderr line
  naming the notifier and the notifier's error.
"""

import asyncio
import email
import logging
import email.policy
import email.utils
import re
import ssl
import subprocess
import threading
import warnings

import pytest

from conftest import ALARM, NOW, Streamwatch, put, ts

from aiosmtpd.smtp import SMTP, AuthResult

USER = "alerts"
PASSWORD = "correct horse battery staple"
FROM = "streamwatch@example.com"
# aiosmtpd warns about its own deprecated login_data on every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)
TO = ["oncall@example.com", "backup@example.org"]


# --------------------------------------------------------------------------- certificates

def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """Two CAs, "good" and "other", each with a server certificate for
    127.0.0.1 and localhost.  Returns {name: path}: good-ca.crt,
    good-srv.crt/.key, other-ca.crt, other-srv.crt/.key."""
    d = tmp_path_factory.mktemp("certs")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "extendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("good", "other"):
        _openssl("req", "-x509", *ec, "-keyout", f"{ca}-ca.key", "-out", f"{ca}-ca.crt",
                 "-days", "2", "-subj", f"/CN=streamwatch test CA {ca}", cwd=d)
        _openssl("req", *ec, "-keyout", f"{ca}-srv.key", "-out", f"{ca}-srv.csr",
                 "-subj", "/CN=localhost", cwd=d)
        _openssl("x509", "-req", "-in", f"{ca}-srv.csr", "-CA", f"{ca}-ca.crt",
                 "-CAkey", f"{ca}-ca.key", "-CAcreateserial", "-out", f"{ca}-srv.crt",
                 "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return {p.name: p for p in d.iterdir()}


# --------------------------------------------------------------------------- the server

class _QuitHangs(SMTP):
    """Takes the mail, then never answers QUIT."""

    async def smtp_QUIT(self, arg):
        await asyncio.sleep(3600)


class SMTPServer:
    """aiosmtpd in a thread on 127.0.0.1.

    cert      - "good" or "other": which server certificate it presents
    implicit  - TLS from the first byte (smtps) instead of STARTTLS
    port      - 0 for any; a fixed port to come back on after stop()
    rcpt_reply, data_reply - an SMTP reply to give instead of accepting
    hang_quit - never answer QUIT, as a hung server or a stalled network

    messages  - one dict per accepted message: mail_from, rcpt_tos, data
                (bytes as received, dot-stuffing undone), tls, login
    auths     - (mechanism, login, password) for every AUTH attempt
    """

    def __init__(self, certs, cert="good", implicit=False, port=0,
                 rcpt_reply=None, data_reply=None, hang_quit=False):
        self.certs, self.cert, self.implicit, self.port = certs, cert, implicit, port
        self.rcpt_reply, self.data_reply = rcpt_reply, data_reply
        self.smtp_class = _QuitHangs if hang_quit else SMTP
        self.messages, self.auths = [], []
        self._loop = self._server = self._thread = None

    # aiosmtpd hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append({
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": envelope.original_content,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login if session.authenticated else None,
        })
        return "250 2.0.0 Ok: queued"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        self.auths.append((mechanism, auth_data.login, auth_data.password))
        ok = (auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs[f"{self.cert}-srv.crt"],
                            self.certs[f"{self.cert}-srv.key"])
        return ctx

    def _factory(self):
        tls = self._tls()
        if self.implicit:
            # TLS is the transport's, which aiosmtpd does not see: it would
            # refuse AUTH (538) with auth_require_tls, and warns without.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self.smtp_class(self, hostname="mail.test",
                                       authenticator=self._authenticate,
                                       auth_required=True, auth_require_tls=False,
                                       loop=self._loop)
        return self.smtp_class(self, hostname="mail.test", tls_context=tls,
                               require_starttls=True, authenticator=self._authenticate,
                               auth_required=True, auth_require_tls=True, loop=self._loop)

    def start(self):
        self._loop = asyncio.new_event_loop()
        ssl_ctx = self._tls() if self.implicit else None
        self._server = self._loop.run_until_complete(self._loop.create_server(
            self._factory, "127.0.0.1", self.port, ssl=ssl_ctx, reuse_address=True))
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if not self._loop:
            return

        async def _close():
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(_close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    @property
    def url(self):
        return f"{'smtps' if self.implicit else 'smtp'}://127.0.0.1:{self.port}"


@pytest.fixture
def smtpd(certs):
    servers = []

    def make(**kw):
        s = SMTPServer(certs, **kw).start()
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


# --------------------------------------------------------------------------- helpers

def mail_notifier(sw, server, certs, ca="good-ca.crt", **kw):
    pw = sw.tmp / "smtp.pass"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    n = {"name": "oncall-mail", "type": "email", "url": server.url,
         "tls": "implicit" if server.implicit else "starttls",
         "username": USER, "password_file": str(pw), "from": FROM, "to": TO,
         "ca_file": str(certs[ca])}
    n.update(kw)
    return {k: v for k, v in n.items() if v is not None}


def write_mail_config(sw, server, certs, rule=None, **kw):
    sw.write_config(
        rules=[rule or sw.rule(alarm_actions=["oncall-mail", "console"],
                               ok_actions=["oncall-mail", "console"])],
        notifiers=[mail_notifier(sw, server, certs, **kw),
                   {"name": "console", "type": "log", "path": str(sw.notify_path)}])


def outbox(sw) -> list:
    d = sw.state_dir / "outbox"
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir()
                  if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp"))


def parse(msg: dict):
    return email.message_from_bytes(msg["data"], policy=email.policy.default)


def raw_header_lines(data: bytes) -> list:
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def assert_wellformed(data: bytes):
    """CRLF only, no line over 78 characters, one blank line between header
    and body, every header line a field or a continuation."""
    assert b"\r\n\r\n" in data
    assert re.search(rb"(?<!\r)\n", data) is None, "bare LF in the message"
    assert re.search(rb"\r(?!\n)", data) is None, "bare CR in the message"
    for ln in data.split(b"\r\n"):
        assert len(ln) <= 78, f"line longer than 78: {ln!r}"
    for ln in raw_header_lines(data):
        assert re.match(rb"^([A-Za-z][A-Za-z0-9-]*: |[ \t])", ln), f"odd header line {ln!r}"


def alarm_at_now(fake):
    """Values that keep the sample alarm in ALARM from 10:05 through 10:09
    (no second transition, so exactly one notification)."""
    for m in range(0, 10):
        put(fake, f"2026-11-25T10:0{m}:00Z", 12.0)


# --------------------------------------------------------------------------- tests

def test_delivers_over_starttls_with_auth(sw, fake, smtpd, certs):
    server = smtpd()
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    r = sw.run_once(NOW)

    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    got = server.messages[0]
    assert got["tls"] is True
    assert got["login"] == USER.encode()
    assert server.auths and server.auths[-1][1:] == (USER.encode(), PASSWORD.encode())
    assert got["mail_from"] == FROM
    assert got["rcpt_tos"] == TO
    assert_wellformed(got["data"])
    msg = parse(got)
    assert msg["From"] == FROM
    assert [a for _, a in email.utils.getaddresses([msg["To"]])] == TO
    assert msg["Subject"] == f'ALARM: "{ALARM}" in Asia Pacific (Tokyo)'
    assert email.utils.parsedate_to_datetime(msg["Date"]).timestamp() == ts(NOW)
    assert msg["Date"].endswith("+0000")
    assert re.fullmatch(r"<[0-9a-f]{32}\.streamwatch@example\.com>", msg["Message-ID"])
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg["Auto-Submitted"] == "auto-generated"
    body = msg.get_content()
    assert ALARM in body and "ALARM" in body
    assert "Threshold Crossed" in body
    # The password is nowhere in what the agent printed.
    assert PASSWORD not in r.stdout + r.stderr
    assert outbox(sw) == []
    # The log notifier saw the same transition.
    assert [n["NewStateValue"] for n in sw.notifications()] == ["ALARM"]


def test_two_agents_same_message_id(sw, fake, smtpd, certs, tmp_path):
    """High availability: two agents evaluating the same minute at 10:05:05 and at
    10:05:41 send the same notification (the period ending 10:05:00), so their mails
    carry one Message-ID (mail clients fold the copies), though Date and StateChangeTime
    are each agent's own time."""
    server = smtpd()
    alarm_at_now(fake)
    other_dir = tmp_path / "agent-b"
    other_dir.mkdir()
    other = Streamwatch(sw.bin, other_dir, fake)
    other.env = dict(sw.env, HOME=str(other_dir))
    write_mail_config(sw, server, certs)
    write_mail_config(other, server, certs)
    assert sw.run_once("2026-11-25T10:05:05Z").rc == 0, sw.explain()
    assert other.run_once("2026-11-25T10:05:41Z").rc == 0, other.explain()
    assert len(server.messages) == 2, sw.explain()
    a, b = (parse(m) for m in server.messages)
    dates = [email.utils.parsedate_to_datetime(m["Date"]).timestamp() for m in (a, b)]
    assert dates == [ts("2026-11-25T10:05:05Z"), ts("2026-11-25T10:05:41Z")]
    assert re.fullmatch(r"<[0-9a-f]{32}\.streamwatch@example\.com>", a["Message-ID"])
    assert a["Message-ID"] == b["Message-ID"]
    assert [n["StateChangeTime"] for n in sw.notifications() + other.notifications()] == \
        ["2026-11-25T10:05:05.000+0000", "2026-11-25T10:05:41.000+0000"]


def test_a_server_that_never_answers_quit_does_not_hold_the_exit(sw, fake, smtpd, certs):
    """When the agent ends, libcurl would say QUIT on the SMTP connection it
    kept and wait up to two minutes for a hung server's answer (a SIGTERM
    too: the soak's daemon was killed 15 s after it).  The agent shuts its
    notifiers' sockets first: the mail is delivered and the run ends at once."""
    server = smtpd(hang_quit=True)
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    r = sw.run_once(NOW, timeout=150)

    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    assert outbox(sw) == []
    assert sw.elapsed < 10, sw.elapsed


def test_delivers_over_implicit_tls(sw, fake, smtpd, certs):
    server = smtpd(implicit=True)
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    r = sw.run_once(NOW)

    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    assert server.messages[0]["tls"] is True
    assert server.messages[0]["login"] == USER.encode()
    assert parse(server.messages[0])["Subject"].startswith('ALARM: "')


def test_certificate_from_another_ca_is_rejected(sw, fake, smtpd, certs):
    server = smtpd(cert="other")
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    sw.run_once(NOW)

    assert server.messages == [], "delivered over a connection it could not verify"
    assert server.auths == [], "sent the password to an unverified server"
    err = sw.last.stderr
    assert "oncall-mail" in err, sw.explain()
    assert "certificate" in err.lower(), sw.explain()
    assert PASSWORD not in sw.last.stdout + err
    # Not dropped: the notification waits in the outbox for a fixed server.
    assert len(outbox(sw)) == 1, sw.explain()


def test_wrong_password_is_not_delivered_and_kept(sw, fake, smtpd, certs, tmp_path):
    server = smtpd()
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)
    (sw.tmp / "smtp.pass").write_text("wrong password\n")

    sw.run_once(NOW)

    assert server.messages == []
    assert server.auths, "no AUTH attempt"
    err = sw.last.stderr
    assert "oncall-mail" in err and "password_file" in err, sw.explain()
    assert "wrong password" not in err
    assert len(outbox(sw)) == 1, sw.explain()

    # The password file is read again on every attempt: fixing it is enough.
    (sw.tmp / "smtp.pass").write_text(PASSWORD + "\n")
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    assert outbox(sw) == []


def test_smtp_down_then_up_loses_nothing(sw, fake, smtpd, certs):
    # Learn a free port, then keep the server away from it for a while.
    server = smtpd()
    port = server.port
    server.stop()
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    r = sw.run_once(NOW)
    assert sw.alarm()["state"] == "ALARM", sw.explain()
    assert len(outbox(sw)) == 1, sw.explain()
    assert "oncall-mail" in r.stderr, sw.explain()

    # Still down a minute later: still pending, still one notification.
    sw.run_once("2026-11-25T10:06:00Z")
    assert len(outbox(sw)) == 1, sw.explain()

    # Up again: the next run (past the second backoff, at most 60 s)
    # delivers it, exactly once.
    server2 = smtpd(port=port)
    r = sw.run_once("2026-11-25T10:08:00Z")
    assert r.rc == 0, sw.explain()
    assert len(server2.messages) == 1, sw.explain()
    msg = parse(server2.messages[0])
    assert msg["Subject"] == f'ALARM: "{ALARM}" in Asia Pacific (Tokyo)'
    assert outbox(sw) == []
    r = sw.run_once("2026-11-25T10:09:00Z")
    assert len(server2.messages) == 1, "sent twice"


def test_permanent_refusal_is_dropped_with_an_error(sw, fake, smtpd, certs):
    server = smtpd(rcpt_reply="550 5.1.1 No such user here")
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    sw.run_once(NOW)

    assert server.messages == []
    err = sw.last.stderr
    assert "oncall-mail" in err and "550" in err, sw.explain()
    assert outbox(sw) == [], "a refused message stays queued"


def test_temporary_refusal_is_retried(sw, fake, smtpd, certs):
    server = smtpd(data_reply="451 4.3.0 Try again later")
    alarm_at_now(fake)
    write_mail_config(sw, server, certs)

    sw.run_once(NOW)

    assert server.messages == []
    assert "451" in sw.last.stderr, sw.explain()
    assert len(outbox(sw)) == 1, sw.explain()
    server.data_reply = None
    r = sw.run_once("2026-11-25T10:06:00Z")
    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    assert outbox(sw) == []


def test_non_ascii_name_and_multiline_description(sw, fake, smtpd, certs):
    name = "受信レコード過多 🚨 sample"
    desc = "line one\nBcc: attacker@evil.example\n.\nFrom the desk of\nline five"
    server = smtpd()
    alarm_at_now(fake)
    write_mail_config(sw, server, certs, rule=sw.rule(
        name=name, description=desc,
        alarm_actions=["oncall-mail", "console"], ok_actions=["console"]))

    r = sw.run_once(NOW)

    assert r.rc == 0, sw.explain()
    assert len(server.messages) == 1, sw.explain()
    got = server.messages[0]
    data = got["data"]
    assert_wellformed(data)
    assert data.isascii(), "8-bit bytes in the message: the headers and body must be encoded"
    assert re.search(rb"^Subject: =\?UTF-8\?B\?", data, re.M)
    msg = parse(got)
    assert msg["Subject"] == f'ALARM: "{name}" in Asia Pacific (Tokyo)'
    # Exactly the headers the notifier writes, each once: nothing injected.
    names = [k.lower() for k in msg.keys()]
    assert "bcc" not in names
    assert sorted(names) == sorted(["date", "message-id", "from", "to", "subject",
                                    "auto-submitted", "mime-version", "content-type",
                                    "content-transfer-encoding"])
    assert got["rcpt_tos"] == TO
    body = msg.get_content()
    assert name in body
    for text in ("Bcc: attacker@evil.example", "From the desk of"):
        assert text in body
    # No raw line may start with '.' (SMTP would take "." alone as the end
    # of DATA; the encoder writes "=2E"); tests/unit/test_email.c covers
    # bodies with such lines.
    assert not re.search(rb"^\.", data, re.M), "a line starts with '.'"


def test_control_characters_in_a_name_are_refused_by_check(sw, fake, smtpd, certs):
    """The first defence: names with CR/LF never get past the config
    (tests/unit/test_email.c covers the builder for names that would)."""
    server = smtpd()
    write_mail_config(sw, server, certs, rule=sw.rule(name="evil\r\nBcc: x@evil.example"))
    r = sw.check()
    assert r.rc == 1, sw.explain()
    assert "control characters" in r.stdout + r.stderr


def test_notify_test_sends_a_sample(sw, fake, smtpd, certs):
    server = smtpd()
    write_mail_config(sw, server, certs)

    r = sw.run("-c", sw.conf, "notify-test", "oncall-mail")

    assert r.rc == 0, sw.explain()
    assert "delivered" in r.stdout
    assert len(server.messages) == 1, sw.explain()
    msg = parse(server.messages[0])
    assert msg["Subject"].startswith("ALARM: ")
    assert server.messages[0]["rcpt_tos"] == TO
    assert outbox(sw) == [], "notify-test goes around the outbox"


def test_notify_test_reports_a_rejected_certificate(sw, fake, smtpd, certs):
    server = smtpd(cert="other")
    write_mail_config(sw, server, certs)

    r = sw.run("-c", sw.conf, "notify-test", "oncall-mail")

    assert r.rc == 1, sw.explain()
    assert server.messages == [] and server.auths == []
    line = [ln for ln in r.stderr.splitlines() if "oncall-mail" in ln]
    assert line and "certificate" in line[-1] and "ca_file" in line[-1], r.stderr
    assert PASSWORD not in r.stdout + r.stderr
