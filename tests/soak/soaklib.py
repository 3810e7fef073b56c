"""The soak's machinery: the notification channels, an agent stepped with
`run --once --now` (or run as a daemon), what each channel received, and
the comparison of a run with its fault-free reference.

The peers are the integration tests' own, imported from tests/integration:
FakeAWS (CloudWatch, SNS, the keys), the e-mail tests' aiosmtpd server
with STARTTLS and AUTH and their certificates, the webhook tests' HMAC
receiver, and conftest's Streamwatch (environment, config writer, state
reader).

A notification is named as the agent names it (docs/notifications.md §3):
alarm, new state and the end of the evaluated window.  The window end is
floor(StateChangeTime / period) * period, since the agent's cycle at NOW
evaluates the window ending at floor(NOW / period) * period and stamps the
change with NOW; the webhook's X-Streamwatch-Delivery header and the
e-mail's Message-ID carry the same name hashed, which the soak checks.
"""

import calendar
import email
import email.policy
import hashlib
import json
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from conftest import Streamwatch, fill_until_full, read_state  # noqa: E402
from fakeaws import FakeAWS  # noqa: E402
import test_notify_email as mailtest  # noqa: E402
import test_notify_webhook as hooktest  # noqa: E402

ACCOUNT = "123456789012"
# Stopping the SMTP server under a connected agent is part of the soak.
logging.getLogger("asyncio").setLevel(logging.CRITICAL)
STEP_TIMEOUT = 90.0  # seconds one `run --once` may take before it counts as hung
# GNU time measures a step's peak RSS: our own wait4() would report the soak's,
# since a forked child's high-water mark survives its exec.
GNU_TIME = "/usr/bin/time"
CRASH_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Assertion",
                 "Segmentation fault", "core dumped", "stack smashing", "double free",
                 "free(): invalid", "malloc(): ")


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def epoch_of(text: str) -> int:
    """'2026-11-25T10:04:00Z' or CloudWatch's '2026-11-25T10:04:00.000+0000'."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))


def dedup_id(alarm: str, state: str, window_end: int) -> str:
    """sw_notifier_dedup_id() of a state change (no reminder): the fields
    NUL-terminated, the window end as JSON writes an integer, repeat false."""
    b = b"".join(x.encode() + b"\0" for x in (alarm, state, str(window_end), "false"))
    return hashlib.sha256(b).hexdigest()


def make_certs(workdir: Path) -> dict:
    """The e-mail tests' CA and server certificates (their module fixture,
    called outside pytest with a directory of ours)."""
    fx = mailtest.certs
    fn = getattr(getattr(fx, "__pytest_wrapped__", None), "obj", None) \
        or getattr(fx, "_get_wrapped_function", lambda: None)() \
        or getattr(fx, "__wrapped__", None)
    d = workdir / "certs"
    d.mkdir(parents=True, exist_ok=True)
    return fn(SimpleNamespace(mktemp=lambda name: d))


# --------------------------------------------------------------------------- channels

class Channels:
    """One run's four notifiers and their peers: the log file, an SMTP
    server (STARTTLS + AUTH, the e-mail tests' SMTPServer), a webhook
    receiver (the webhook tests' Receiver, HMAC-checked) and an SNS topic
    on the fake."""

    NAMES = ("log", "mail", "hook", "sns")
    FAIL_MANY = 100000

    def __init__(self, name: str, fake: FakeAWS, certs: dict, workdir: Path):
        self.name, self.fake, self.certs, self.dir = name, fake, certs, workdir
        self.log_path = workdir / "notify.jsonl"
        self.smtp = mailtest.SMTPServer(certs).start()
        self.smtp_port = self.smtp.port
        self.smtp_down = False
        self.hook = hooktest.Receiver()
        # an agent killed mid-POST is part of the soak, not a receiver error
        self.hook.server.handle_error = lambda request, address: None
        self.hook_500s = 0
        self.hook_failed = []   # [first, end) indexes of requests answered 500
        self.hook_problems = []
        self.topic = fake.add_topic(f"arn:aws:sns:{fake.region}:{ACCOUNT}:soak-{name}")
        self.sns_outage = False

    def notifiers(self) -> list:
        mail = mailtest.mail_notifier(SimpleNamespace(tmp=self.dir), self.smtp, self.certs,
                                      name="mail")
        secret = self.dir / "hook.secret"
        secret.write_text(hooktest.SECRET + "\n")
        secret.chmod(0o600)
        return [{"name": "log", "type": "log", "path": str(self.log_path)},
                mail,
                {"name": "hook", "type": "webhook", "url": self.hook.url,
                 "format": "cloudwatch", "secret_file": str(secret)},
                {"name": "sns", "type": "sns", "topic_arn": self.topic}]

    # ----- outages
    def stop_smtp(self):
        if not self.smtp_down:
            self.smtp.stop()
            self.smtp_down = True

    def start_smtp(self):
        if self.smtp_down:
            old = self.smtp
            self.smtp = mailtest.SMTPServer(self.certs, port=self.smtp_port).start()
            self.smtp.messages, self.smtp.auths = old.messages, old.auths
            self.smtp_down = False

    def hook_failing(self, on: bool):
        """Answer every webhook request 500 (ON), or 200 again; hook_500s
        counts the requests that got a 500."""
        with self.hook.lock:
            if on and not self.hook.statuses:
                self.hook_failed.append([len(self.hook.requests), None])
            if not on and self.hook.statuses:
                self.hook_500s += self.FAIL_MANY - len(self.hook.statuses)
                self.hook_failed[-1][1] = len(self.hook.requests)
            self.hook.statuses[:] = [500] * self.FAIL_MANY if on else []

    def close(self):
        if not self.smtp_down:
            self.smtp.stop()
        self.hook.stop()

    # ----- what arrived
    def received(self, periods: dict) -> dict:
        """{channel: [(alarm, state, window_end, since)]} in arrival order.
        PERIODS: alarm name -> period (for the window end).  E-mail is named
        by its Message-ID, looked up among the names the other channels saw;
        a Message-ID found nowhere counts as ('?', '?', 0, 0)."""
        out = {c: [] for c in self.NAMES}
        out["log"] = log_entries(self.log_path, periods)
        with self.hook.lock:
            reqs = list(self.hook.requests)
            failed = [(a, len(reqs) if b is None else b) for a, b in self.hook_failed]
        self.hook_problems = []
        for i, r in enumerate(reqs):
            if any(a <= i < b for a, b in failed):
                continue          # answered 500: an attempt, not a delivery
            if not r["sig_ok"]:
                self.hook_problems.append("bad HMAC signature")
            if r["json"] is None:
                self.hook_problems.append("body is not JSON")
                continue
            k = notification(r["json"], periods)
            if r["headers"].get("x-streamwatch-delivery") != dedup_id(*k[:3]):
                self.hook_problems.append(f"delivery id of {k} is not the hash of its name")
            out["hook"].append(k)
        for m in self.fake.published(self.topic):
            out["sns"].append(notification(json.loads(m["message"]), periods))
        by_id = {}
        for c in ("log", "hook", "sns"):
            for k in out[c]:
                by_id[dedup_id(*k[:3])[:32]] = k
        for m in list(self.smtp.messages):
            msg = email.message_from_bytes(m["data"], policy=email.policy.default)
            mid = re.match(r"<([0-9a-f]{32})\.", msg["Message-ID"] or "")
            out["mail"].append(by_id.get(mid.group(1) if mid else "", ("?", "?", 0, 0)))
        return out


def notification(msg: dict, periods: dict) -> tuple:
    """(alarm, state, window_end, since) of a CloudWatch alarm message."""
    a, s = msg.get("AlarmName"), msg.get("NewStateValue")
    since = epoch_of(msg["StateChangeTime"])
    p = periods.get(a, 60)
    return (a, s, since // p * p, since)


def log_entries(path: Path, periods: dict) -> list:
    """The log notifier's lines as notification() tuples."""
    if not path.exists():
        return []
    return [notification(json.loads(ln), periods)
            for ln in path.read_text().splitlines() if ln.strip()]


# --------------------------------------------------------------------------- the agent

class Step(SimpleNamespace):
    """One `run --once`: rc (None when a signal ended it), sig (that signal,
    else 0), killed (we sent it), elapsed (s), maxrss (KiB; None when not
    measured: no GNU time, or killed)."""


class Agent:
    """streamwatch with its own directory, config, credentials and state,
    driven as conftest's Streamwatch drives it.  Credentials come from a
    credential_process (`/bin/cat FILE`), so the soak can hand out and
    expire sessions on the fake while the agent runs."""

    def __init__(self, binary: str, workdir: Path, fake: FakeAWS, name: str):
        workdir.mkdir(parents=True, exist_ok=True)
        self.name, self.fake, self.dir = name, fake, workdir
        self.sw = Streamwatch(binary, workdir, fake)
        self.sw.clear_env_creds()
        self.creds_file = workdir / "creds.json"
        self.keys = set()          # every AKID this agent was given
        self.rotate()
        self.sw.write_aws_file("config", f"[profile soak]\ncredential_process = "
                                         f"/bin/cat {self.creds_file}\n")
        self.sw.env["AWS_PROFILE"] = "soak"
        self.stderr_path = workdir / "stderr.log"
        self.stderr = open(self.stderr_path, "a")
        self.steps = []
        self.sns_outage = False    # the soak's SNS outage is on for this agent

    @property
    def state_dir(self) -> Path:
        return self.sw.state_dir

    def rotate(self, expire_old: bool = False, lifetime: int = 3600) -> None:
        """A new session in the credentials file; with EXPIRE_OLD the one
        before stops working at once (ExpiredToken)."""
        old = getattr(self, "akid", None)
        c = self.fake.issue_session(lifetime=lifetime)
        tmp = self.creds_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(c, Version=1)))
        os.replace(tmp, self.creds_file)
        self.akid = c["AccessKeyId"]
        self.keys.add(self.akid)
        if expire_old and old:
            self.fake.expire_key(old)

    def write_config(self, rules, notifiers, agent=None, aws=None):
        a = {"request_timeout": 2, "connect_timeout": 2, "max_attempts": 4}
        a.update(aws or {})
        g = {"name": f"soak-{self.name}"}
        g.update(agent or {})
        self.sw.write_config(rules=rules, notifiers=notifiers, agent=g, aws=a)

    def step(self, now: int, kill_after: float = None, during=None) -> Step:
        """`run --once --now NOW`.  KILL_AFTER: SIGKILL it after that many
        seconds if still running.  DURING: called once the process started."""
        self.stderr.write(f"---- {self.name} run --once --now {iso(now)}\n")
        self.stderr.flush()
        argv = [self.sw.bin, "-c", str(self.sw.conf), "run", "--once", "--now", iso(now)]
        timed = os.access(GNU_TIME, os.X_OK)
        rss_file = self.dir / "step.rss"
        if timed:
            argv = [GNU_TIME, "-o", str(rss_file), "-f", "%M %x"] + argv
            rss_file.unlink(missing_ok=True)
        t0 = time.monotonic()
        p = subprocess.Popen(argv, env=self.sw.env, cwd=self.dir,
                             stdin=subprocess.DEVNULL, stdout=self.stderr,
                             stderr=self.stderr, start_new_session=True)
        if during:
            during()
        killed = False
        status = None
        deadline = t0 + (kill_after if kill_after is not None else STEP_TIMEOUT)
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() >= deadline:
                os.killpg(p.pid, signal.SIGKILL)
                killed = kill_after is not None
                if not killed:
                    self.stderr.write(f"!!!! step did not finish in {STEP_TIMEOUT} s\n")
                _, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        elapsed = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        rc, sig, maxrss = (code, 0, None) if code >= 0 else (None, -code, None)
        if timed and rc is not None:
            # time's report: "Command terminated by signal N" or "Command exited
            # with non-zero status N" lines, then "MAXRSS STATUS"
            try:
                lines = rss_file.read_text().splitlines()
                m = re.search(r"terminated by signal (\d+)", "\n".join(lines))
                maxrss = int(lines[-1].split()[0])
                rc, sig = (None, int(m.group(1))) if m else (int(lines[-1].split()[1]), 0)
            except (OSError, IndexError, ValueError):
                pass
        st = Step(now=now, rc=rc, sig=sig, killed=killed, elapsed=elapsed, maxrss=maxrss)
        self.steps.append(st)
        return st

    def state(self):
        """The saved state (state.json with its journal), or None when it
        cannot be read (missing, or garbage we wrote)."""
        try:
            return read_state(self.state_dir)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def outbox_count(self) -> int:
        d = self.state_dir / "outbox"
        return len([p for p in d.iterdir() if p.is_file() and p.name.endswith(".json")]) \
            if d.is_dir() else 0

    def crash_text(self) -> list:
        """Lines of the agent's stderr that look like a crash."""
        self.stderr.flush()
        return [ln for ln in self.stderr_path.read_text(errors="replace").splitlines()
                if any(m in ln for m in CRASH_MARKERS)]

    def close(self):
        self.stderr.close()


# --------------------------------------------------------------------------- tmpfs state_dir

class SmallFS:
    """A small tmpfs mounted on a directory (the state_dir), filled with a
    junk file for a stretch and freed again.  ok is False when mounting is
    not permitted (not root): the disk-full fault is then left out."""

    def __init__(self, path: Path, size: str = "1m"):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750", "tmpfs",
                            str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        self.ok = r.returncode == 0
        self.why = r.stderr.strip()
        self.junk = path / "junk"

    def fill(self):
        fill_until_full(self.junk)

    def free(self):
        try:
            self.junk.unlink()
        except FileNotFoundError:
            pass

    def umount(self):
        if self.ok:
            subprocess.run(["umount", "-l", str(self.path)], check=False)


# --------------------------------------------------------------------------- comparing

def transitions_from_log(entries: list) -> dict:
    """{alarm: [(since, state, window_end)]} from the reference's log lines
    (every state change is logged: the log notifier is in all three action
    lists)."""
    out = {}
    for a, s, we, since in entries:
        out.setdefault(a, []).append((since, s, we))
    for v in out.values():
        v.sort()
    return out


def compare(ref_tr: dict, got: dict, disturbed: dict, grid: list, end: int,
            shift_max: int) -> dict:
    """Check one run's deliveries against its reference.

    REF_TR: the reference's transitions (transitions_from_log).  GOT:
    {channel: [(alarm, state, window_end, since)]}.  DISTURBED: {alarm:
    set of grid times at which the run did not evaluate the alarm as the
    reference did} (a failed fetch, a killed or refused step, a step off
    the clock).  GRID: the times the reference evaluated at.  Only
    changes with window ends up to END count.

    Each reference ALARM (alarm, window end) is, for each channel:
    - exact: delivered under the same name;
    - late: delivered for another window end within SHIFT_MAX seconds,
      and the run was disturbed for that alarm between the two (a missed
      evaluation moves the change to the next one);
    - excused: not delivered, and the run could not have seen the change:
      it never evaluated the alarm normally while the reference had it in
      ALARM (the whole episode fell in disturbed times), or never while the
      reference had it out of ALARM since its previous ALARM (so for the
      run the alarm never left ALARM, and the earlier notification stands);
    - missing: anything else, a lost notification.
    Duplicates: the same (alarm, state, window end) more than once in one
    channel.  Extra: an ALARM delivered that matches no reference ALARM."""
    step = grid[1] - grid[0] if len(grid) > 1 else 60
    episodes = {}   # alarm -> [(start, end, window_end, previous ALARM's end)]
    for a, trs in ref_tr.items():
        last_stop = None
        for i, (since, s, we) in enumerate(trs):
            if s == "ALARM" and we <= end:
                nxt = trs[i + 1][0] if i + 1 < len(trs) else end + step
                episodes.setdefault(a, []).append((since, nxt, we, last_stop))
                last_stop = nxt
    res = {}
    for ch, items in got.items():
        counts = {}
        for k in items:
            counts[k[:3]] = counts.get(k[:3], 0) + 1
        dups = sum(n - 1 for n in counts.values() if n > 1)
        dup_keys = sorted(k for k, n in counts.items() if n > 1)
        alarms_got = {}
        for (a, s, we), n in counts.items():
            if s == "ALARM" and we <= end:
                alarms_got.setdefault(a, set()).add(we)
        r = {"ref": 0, "exact": 0, "late": 0, "excused": 0, "missing": 0, "dups": dups,
             "extra": 0, "missing_list": [], "late_list": [], "excused_list": [],
             "extra_list": [], "dup_list": dup_keys, "unknown": counts.get(("?", "?", 0), 0)}
        for a, eps in episodes.items():
            have = set(alarms_got.get(a, set()))
            ref_we = {we for _, _, we, _ in eps}
            dist = disturbed.get(a, set())
            for start, stop, we, gap_from in eps:
                r["ref"] += 1
                if we in have:
                    have.discard(we)
                    r["exact"] += 1
                    continue
                cand = sorted((abs(x - we), x) for x in have
                              if x not in ref_we and abs(x - we) <= shift_max
                              and any(min(x, we) - step <= t <= max(x, we) for t in dist))
                if cand:
                    have.discard(cand[0][1])
                    r["late"] += 1
                    r["late_list"].append((a, iso(we), iso(cand[0][1])))
                    continue
                ep_grid = [t for t in grid if start <= t < stop]
                if ep_grid and all(t in dist for t in ep_grid):
                    r["excused"] += 1
                    r["excused_list"].append((a, iso(we), "episode unseen", len(ep_grid)))
                    continue
                gap = [t for t in grid if gap_from is not None and gap_from <= t < start]
                if gap and all(t in dist for t in gap):
                    r["excused"] += 1
                    r["excused_list"].append((a, iso(we), "gap before it unseen", len(gap)))
                    continue
                r["missing"] += 1
                r["missing_list"].append((a, iso(we)))
            for x in have:
                r["extra"] += 1
                r["extra_list"].append((a, iso(x)))
        for a in alarms_got:
            if a not in episodes:
                for x in alarms_got[a]:
                    r["extra"] += 1
                    r["extra_list"].append((a, iso(x)))
        res[ch] = r
    return res


def rss_summary(samples: list, head: int = 10) -> tuple:
    """(median of the first HEAD samples, last sample), in KiB."""
    if not samples:
        return (0, 0)
    return (statistics.median(samples[:head]), samples[-1])


class Ticker(threading.Thread):
    """Calls FN every PERIOD seconds until stopped."""

    def __init__(self, period, fn):
        super().__init__(daemon=True)
        self.period, self.fn, self.stopped = period, fn, threading.Event()

    def run(self):
        while not self.stopped.wait(self.period):
            self.fn()

    def stop(self):
        self.stopped.set()
        self.join(5)
