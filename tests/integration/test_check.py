"""streamwatch check / --help / --version: config validation with FILE:LINE errors."""

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
