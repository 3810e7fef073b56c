"""streamwatch check / --help / --version: config validation with FILE:LINE errors."""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import DEAD_URL, NOW, line_with


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


def test_version_names_the_libraries(sw):
    r = sw.run("--version")
    assert r.rc == 0, sw.explain()
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"streamwatch \d+\.\d+\.\d+", lines[0]), lines
    for lib in ("libcurl", "OpenSSL", "libconfig", "jansson", "expat"):
        assert any(re.match(rf"  {lib} \S*\d", ln) for ln in lines[1:]), (lib, lines)


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


# --------------------------------------------------------------------------- secrets in clear
# A notifier or aws.endpoint that would put a secret on the wire in clear (http://, or
# SMTP AUTH with tls "none", to a host that is not loopback) is refused by check, and so
# by run, which loads the file the same way; allow_insecure = true lets it through with
# a warning from check and one at every start.  192.0.2.0/24 is TEST-NET-1: never
# contacted here, only named.

TEST_NET = "192.0.2.1"


def insecure_case(sw, tmp_path, case):
    """(config kwargs, the needle of the refused setting's line)."""
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    secret.chmod(0o600)
    if case == "aws-endpoint":
        return {"aws": {"endpoint": f"http://{TEST_NET}:4566"}}, "endpoint ="
    if case == "webhook-bearer":
        n = {"name": "hook", "type": "webhook", "url": f"http://{TEST_NET}/hook",
             "bearer_token_file": str(secret)}
        return {"notifiers": [n]}, "url ="
    if case == "webhook-hmac":
        n = {"name": "hook", "type": "webhook", "url": f"http://{TEST_NET}/hook",
             "secret_file": str(secret)}
        return {"notifiers": [n]}, "url ="
    assert case == "smtp-auth"
    n = {"name": "mail", "type": "email", "url": f"smtp://{TEST_NET}:25", "tls": "none",
         "username": "alerts", "password_file": str(secret), "from": "sw@example.com",
         "to": ["ops@example.com"]}
    return {"notifiers": [n]}, "username ="


INSECURE = ["aws-endpoint", "webhook-bearer", "webhook-hmac", "smtp-auth"]


def write_insecure(sw, tmp_path, case, allow=None):
    kw, needle = insecure_case(sw, tmp_path, case)
    if allow is not None:
        if "aws" in kw:
            kw["aws"]["allow_insecure"] = allow
        else:
            kw["notifiers"][0]["allow_insecure"] = allow
    if "notifiers" in kw:
        kw["notifiers"].append({"name": "console", "type": "log", "path": str(sw.notify_path)})
        kw["rules"] = [sw.rule(alarm_actions=["console", kw["notifiers"][0]["name"]])]
    return sw.write_config(**kw).read_text(), needle


@pytest.mark.parametrize("case", INSECURE)
def test_check_refuses_secrets_in_clear(sw, fake, tmp_path, case):
    text, needle = write_insecure(sw, tmp_path, case)
    r = sw.check()
    assert r.rc == 1, sw.explain()
    assert has_location(r.stderr, sw.conf, lineno(text, needle)), r.stderr
    assert "in clear" in r.stderr and "allow_insecure" in r.stderr, r.stderr
    assert TEST_NET in r.stderr, r.stderr
    assert "s3cr3t" not in r.stderr
    # run loads the file the same way: nothing starts, nothing is sent.
    r = sw.run_once("2026-11-25T10:05:00Z")
    assert r.rc == 1, sw.explain()
    assert "in clear" in r.stderr, r.stderr
    assert fake.requests == []


@pytest.mark.parametrize("case", INSECURE)
def test_allow_insecure_is_accepted_with_a_warning(sw, fake, tmp_path, case):
    write_insecure(sw, tmp_path, case, allow=True)
    r = sw.check()
    assert r.rc == 0, sw.explain()
    assert "warning" in r.stdout and "allow_insecure = true" in r.stdout, r.stdout
    # Every start says so again.  notify-test builds every notifier and the AWS client
    # without touching the network, and delivers to the log notifier.
    r = sw.run("-c", sw.conf, "notify-test", "console")
    assert r.rc == 0, sw.explain()
    warn = line_with(r.stderr, "warning", "allow_insecure = true", "in clear")
    assert warn and TEST_NET in warn, r.stderr
    assert ("aws:" if case == "aws-endpoint" else "notifier '") in warn, warn
    assert "s3cr3t" not in r.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "localhost", "[::1]"])
def test_loopback_needs_no_allow_insecure(sw, fake, tmp_path, host):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    secret.chmod(0o600)
    sw.write_config(
        aws={"endpoint": f"http://{host}:4566"},
        notifiers=[{"name": "hook", "type": "webhook", "url": f"http://{host}:9/hook",
                    "bearer_token_file": str(secret), "secret_file": str(secret)},
                   {"name": "mail", "type": "email", "url": f"smtp://{host}:9", "tls": "none",
                    "username": "alerts", "password_file": str(secret),
                    "from": "sw@example.com", "to": ["ops@example.com"]}],
        rules=[sw.rule(alarm_actions=["hook", "mail"], ok_actions=["hook"])])
    r = sw.check()
    assert r.rc == 0, sw.explain()
    assert "allow_insecure" not in r.stdout + r.stderr


# --------------------------------------------------------------------------- check and run agree
# `run` loads the file with the loader `check` uses, and then builds every notifier and the
# AWS client, whose constructors check their settings again (notifiers/*.c, aws/).  Both must
# reach one verdict on every shipped example and every test config: a file `check` refuses
# is refused by `run` with the same FILE:LINE lines, and a file `check` passes is not
# refused by `run` for what it says.  `run --dry-run` may still fail for reasons that are
# not the file's (no AWS endpoint here, a recording that is not there), so only the config's
# lines and the settings that `run` refuses at start are compared.

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DATA = ROOT / "tests" / "data" / "config"
VERDICT_CASES = ([(ROOT / "examples", p) for p in EXAMPLES]
                 + [(CONFIG_DATA, p) for p in sorted(CONFIG_DATA.glob("bad_*.conf"))]
                 + [(CONFIG_DATA, p) for p in sorted(CONFIG_DATA.glob("good_*.conf"))])
LOCATED = re.compile(r"^\S+:\d+: ")  # "FILE:LINE: message": a config error
# What the running agent logs when it refuses a setting at start (agent/runtime.c), and
# what is the machine's doing, not the file's: a file it names that is not there.
REFUSED_AT_START = re.compile(r"\berror: (aws: |notifier '|rule '[^']*': action )")
NOT_THE_FILES = re.compile(r"cannot (be )?read|No such file")


def with_state_dir(text: str, state: Path) -> str:
    """TEXT with agent.state_dir in STATE, every line where it was: the FILE:LINE of
    every message stays the same.  Files that cannot take it keep theirs."""
    value = f'"{state}"'
    for m in re.finditer(r'\bstate_dir(\s*=\s*)"[^"\n]+"', text):
        if "#" not in text[text.rfind("\n", 0, m.start()) + 1:m.start()]:
            return text[:m.start()] + f"state_dir{m.group(1)}{value}" + text[m.end():]
    m = re.search(r"^(\s*agent\s*=\s*\{)", text, re.M)
    if m:
        return text[:m.end()] + f" state_dir = {value};" + text[m.end():]
    if re.search(r"^\s*agent\b", text, re.M):
        return text  # not a group: the file is refused before state_dir matters
    return text + ("" if text.endswith("\n") else "\n") + f"agent = {{ state_dir = {value}; }};\n"


SYSTEM_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def provide_named_files(conf: Path):
    """The files CONF names by relative paths that the agent reads at start, where they
    are missing, so that `run` goes on to build the notifiers: a CA bundle and a
    recording (a header and no data; docs/recording-format.md)."""
    text = conf.read_text(errors="replace")
    for key, content in (("ca_file", SYSTEM_CA.read_bytes() if SYSTEM_CA.exists() else b""),
                         ("recording", b"timestamp,namespace,metric,dimensions,Sum\n")):
        for name in re.findall(rf'\b{key}\s*=\s*"([^"\n]+)"', text):
            f = conf.parent / name
            if not Path(name).is_absolute() and not f.exists() and content:
                f.parent.mkdir(parents=True, exist_ok=True)  # in the copied tree only
                f.write_bytes(content)


@pytest.mark.parametrize("top,conf", VERDICT_CASES,
                         ids=[str(c.relative_to(t.parent)) for t, c in VERDICT_CASES])
def test_check_and_run_reach_one_verdict(sw, tmp_path, top, conf):
    work = tmp_path / "tree"
    shutil.copytree(top, work / top.name)
    path = work / top.name / conf.relative_to(top)
    path.write_bytes(with_state_dir(path.read_bytes().decode("utf-8", "surrogateescape"),
                                    tmp_path / "state").encode("utf-8", "surrogateescape"))
    provide_named_files(path)
    # Nowhere to go: no fetch, publish or listing reaches anything.  The profiles the
    # file names exist (with the environment's keys): a missing one is not the file's fault.
    sw.env.update(AWS_ENDPOINT_URL=DEAD_URL, AWS_REGION="ap-northeast-1", AWS_MAX_ATTEMPTS="1")
    profiles = re.findall(r'\bprofile\s*=\s*"([^"\n]+)"', path.read_text(errors="replace"))
    sw.write_aws_file("config", "".join(f"[profile {p}]\n" for p in profiles))

    chk = sw.run("-c", path, "check")
    run = sw.run("-c", path, "run", "--dry-run", "--now", NOW)
    chk_lines = [ln for ln in chk.stderr.splitlines() if LOCATED.match(ln)]
    run_lines = [ln for ln in run.stderr.splitlines() if LOCATED.match(ln)]
    refused = [ln for ln in run.stderr.splitlines()
               if REFUSED_AT_START.search(ln) and not NOT_THE_FILES.search(ln)]
    what = f"check:\n{chk.stderr}\nrun:\n{run.stderr}"

    if conf.name.startswith("bad_"):
        assert chk.rc == 1 and chk_lines, what
    else:
        assert chk.rc == 0, what
    if chk.rc != 0:
        assert run.rc == 1, what
        assert run_lines == chk_lines, what
    else:
        assert chk_lines == [] and run_lines == [], what
        assert refused == [], what


def test_a_fleet_of_5000_plainly_formatted_rules_loads(sw, fake):
    """The config cap (16 MiB) leaves room for fleets: 5,000 rules written one
    key a line, as a generator or a reviewer would, load, check and run."""
    from conftest import libconfig
    rules = [sw.rule(name=f"stream-{i:05d}-incoming-high",
                     description=f"More than {i} records a minute written to stream-{i:05d}",
                     dimensions={"StreamName": f"stream-{i:05d}"}, threshold=float(i),
                     evaluation_periods=5, datapoints_to_alarm=3)
             for i in range(5000)]
    text = libconfig(sw.config_dict(rules=rules)).replace("; ", ";\n    ")
    assert len(text) > 1024 * 1024  # more than the old 1 MiB cap
    sw.write_config(text=text)
    r = sw.check()
    assert r.rc == 0, r.stderr[-2000:]
    assert "5000 alarm" in r.stdout or "5,000 alarm" in r.stdout, r.stdout[:500]
    # Past the cap: one clear line, nothing else.
    sw.conf.write_text(text + "#" * (16 * 1024 * 1024))
    r = sw.check()
    assert r.rc == 1
    assert r.stderr.strip().endswith("cannot read: larger than 16777216 bytes")
    assert r.stderr.count("\n") == 1
