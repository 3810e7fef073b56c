"""A state_dir the agent cannot write: it refuses to start on one, and when
the disk fills up under a running daemon, a notification is kept in memory,
delivered all the same, written when space comes back, and never reported
as saved when it was not.

state_dir is a small tmpfs mounted for the test (read-only, or filled to
the last byte by a filler file), so running as root changes nothing: root
ignores file modes but not a full or read-only file system.  CI runs as
root; elsewhere these tests need root to mount and say so."""

import os
import signal
import subprocess
import time

import pytest

from conftest import ALARM, NOW, fill_until_full, put
from test_daemon import Daemon, _minute, daemon  # noqa: F401  (fixture)

DEAD_HOOK = "http://127.0.0.1:9/hook"  # discard port: refused, never delivered


def _mount(path, opts):
    path.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], check=True)


@pytest.fixture
def small_fs(sw):
    """Mount a 1 MiB tmpfs on sw.state_dir; yields helpers to fill, free and
    remount it read-only."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs for state_dir")
    mounted = []

    class FS:
        filler = sw.state_dir / "filler"

        def mount(self, opts="size=1m,mode=0750"):
            _mount(sw.state_dir, opts)
            mounted.append(sw.state_dir)

        def fill(self):
            fill_until_full(self.filler)

        def free(self):
            self.filler.unlink()

    yield FS()
    for p in mounted:
        subprocess.run(["umount", "-l", str(p)], check=False)


def test_refuses_to_start_on_a_full_state_dir(sw, fake, small_fs):
    small_fs.mount()
    small_fs.fill()
    put(fake, "2026-11-25T10:04:00Z", 12.0)
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert "is not writable" in r.stderr and "refusing to start" in r.stderr, r.stderr
    assert "No space left on device" in r.stderr, r.stderr
    assert fake.requests_for("GetMetricStatistics") == []  # nothing evaluated
    assert sw.notifications() == []


def test_refuses_to_start_on_a_read_only_state_dir(sw, fake, small_fs, daemon):
    small_fs.mount("size=1m,mode=0750,ro")
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert "Read-only file system" in r.stderr, r.stderr
    assert "refusing to start" in r.stderr, r.stderr
    # The daemon too: it exits at once instead of running blind.
    sw.write_config(agent={"interval": 10})
    d = daemon()
    assert d.p.wait(timeout=15) == 1, d.stderr()
    assert "refusing to start" in d.stderr()


def _start_then_fill(sw, fake, small_fs, daemon):
    """A daemon whose first evaluation sends ALARM to a log notifier (outside
    state_dir) and to a webhook that is down; the disk fills while the first
    fetch is on its way, so the outbox files cannot be written."""
    small_fs.mount()
    put(fake, _minute(-1), 12.0)
    fake.fail_next("GetMetricStatistics", [("delay", 2)])
    notifiers = [{"name": "console", "type": "log", "path": str(sw.notify_path)},
                 {"name": "hook", "type": "webhook", "url": DEAD_HOOK}]
    sw.write_config(agent={"interval": 10}, notifiers=notifiers,
                    rules=[sw.rule(alarm_actions=["console", "hook"])])
    d = daemon()
    d.wait_message("READY=1")
    small_fs.fill()
    d.wait_for(lambda: "only in memory" in d.stderr(), "the outbox write to fail")
    return d


def test_a_full_disk_keeps_the_notification_in_memory(sw, fake, small_fs, daemon):
    d = _start_then_fill(sw, fake, small_fs, daemon)
    err = d.stderr()
    assert "keeping the notification for 'hook' in memory" in err, err
    assert "No space left on device" in err, err
    # Delivered from memory where the receiver is up.
    d.wait_for(lambda: [n["NewStateValue"] for n in sw.notifications()] == ["ALARM"],
               "the ALARM to reach the log notifier")
    outbox = sw.state_dir / "outbox"
    assert not outbox.exists() or not [p for p in os.listdir(outbox) if p.endswith(".json")]
    # Space comes back: the next cycle writes what the webhook still owes.
    small_fs.free()
    d.wait_for(lambda: [p for p in os.listdir(outbox) if p.endswith(".json")],
               "the pending webhook notification to be written to the outbox")
    d.wait_for(lambda: (sw.state() or {}).get("alarms", {}).get(ALARM, {}).get("state") == "ALARM",
               "state.json to be saved")
    os.kill(d.p.pid, signal.SIGTERM)
    assert d.p.wait(timeout=10) == 0, d.stderr()
    assert "state saved" in d.stderr()
    # A restart finds the notification on disk and tries the webhook again.
    (entry,) = [p for p in os.listdir(outbox) if p.endswith(".json")]
    assert "hook" in (outbox / entry).read_text()


def test_never_claims_saved_when_it_was_not(sw, fake, small_fs, daemon):
    d = _start_then_fill(sw, fake, small_fs, daemon)
    # Every cycle tries again and says so.
    t0 = time.monotonic()
    d.wait_for(lambda: d.stderr().count("only in memory") >= 2,
               "a second cycle to retry the write", timeout=30)
    assert time.monotonic() - t0 < 30
    os.kill(d.p.pid, signal.SIGTERM)
    rc = d.p.wait(timeout=10)
    err = d.stderr()
    assert rc == 1, err
    assert "state saved" not in err, err
    assert "not saved" in err, err
