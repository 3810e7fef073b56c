"""streamwatch check / --help / --version: config validation with FILE:LINE errors."""

import json
from pathlib import Path

import pytest


def lineno(text: str, needle: str) -> int:
    """1-based number of the first line of text containing needle."""
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def has_location(stderr: str, conf, line: int) -> bool:
    return any(f"{name}:{line}:" in stderr for name in (str(conf), conf.name))


def test_check_good_config(sw, fake):
    sw.write_config()
    r = sw.check()
    assert r.rc == 0, sw.explain()
    assert r.stdout.strip(), "check prints a summary on success"
    assert fake.requests == []  # validating a config calls no AWS API


def test_check_reports_every_error_with_file_and_line(sw, fake):
    text = sw.write_config(rules=[sw.rule(colour="blue", threshold="ten",
                                          alarm_actions=["console", "no-such-notifier"])]
                           ).read_text()
    r = sw.check()
    assert r.rc == 1, sw.explain()
    for needle in ("colour", "threshold", "no-such-notifier"):
        n = lineno(text, needle)
        assert has_location(r.stderr, sw.conf, n), f"no {sw.conf}:{n}: for {needle}\n{r.stderr}"
    assert fake.requests == []


def test_check_syntax_error(sw, fake):
    good = sw.write_config().read_text()
    bad = good.replace("threshold = 10.0;", "threshold = ;")
    assert bad != good
    sw.write_config(text=bad)
    r = sw.check()
    assert r.rc == 1, sw.explain()
    assert has_location(r.stderr, sw.conf, lineno(bad, "threshold = ;")), r.stderr


def test_run_refuses_a_bad_config(sw, fake):
    sw.write_config(rules=[sw.rule(colour="blue")])
    r = sw.run_once("2026-11-25T10:05:00Z")
    assert r.rc == 1, sw.explain()
    assert fake.requests == []


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version(sw, flag):
    r = sw.run(flag)
    assert r.rc == 0 and r.stdout.strip(), sw.explain()


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.conf"))


@pytest.mark.parametrize("conf", EXAMPLES, ids=lambda p: p.name)
def test_check_passes_on_every_shipped_example(sw, conf):
    assert len(EXAMPLES) >= 4  # the walk-through, minimal, kinesis, demo
    r = sw.check(conf)
    assert r.rc == 0, r.stderr
    assert f"{conf}: OK" in r.stdout
    assert r.stderr == ""


def test_demo_recording_replays_the_day(sw, tmp_path):
    """The shipped demo through the agent: the seed alarm fires in the
    morning burst; the stalled consumer raises the write-vs-read metric-math
    alarm and both consumer alarms."""
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo"
    text = (demo / "demo.conf").read_text()
    text = text.replace('"/tmp/streamwatch-demo/state"', f'"{tmp_path / "demo-state"}"')
    text = text.replace('"stream-day.csv"', f'"{demo / "stream-day.csv"}"')
    conf = tmp_path / "demo.conf"
    conf.write_text(text)
    changes = []
    for hhmm in ("00:01", "07:59", "08:01", "10:30", "10:31", "14:02", "14:03",
                 "14:04", "14:05", "14:07", "15:31", "15:33", "15:36"):
        r = sw.run("-c", conf, "run", "--once", "--now", f"2026-11-25T{hhmm}:00Z")
        assert r.rc == 0, r.stderr
        changes += [(hhmm, ev["AlarmName"], ev["NewStateValue"])
                    for ev in map(json.loads, r.stdout.splitlines())]
    assert ("08:01", "sample-incoming-high", "ALARM") in changes
    assert ("10:31", "sample-incoming-high", "OK") in changes
    assert ("14:05", "sample-consumer-stalled", "ALARM") in changes
    assert ("14:07", "sample-iterator-age-high", "ALARM") in changes
    assert ("15:31", "sample-consumer-stalled", "OK") in changes
    assert ("15:36", "sample-iterator-age-high", "OK") in changes
    # The write-vs-read metric-math alarm fires on the stalled consumer.
    assert ("14:03", "sample-consumers-behind", "ALARM") in changes
    assert ("15:33", "sample-consumers-behind", "OK") in changes
    assert not [c for c in changes
                if c[1] == "sample-consumers-behind" and c[0] < "14:00"
                and c[2] == "ALARM"]
