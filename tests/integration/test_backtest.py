"""streamwatch backtest and record (docs/backtest.md).

The backtest steps the agent's own cycle through history.  The strongest check
is therefore the direct one: the same data stepped through `run --once --now T`
minute by minute gives the same state changes, with the same reasons, and the
same number of notifications, for every example rule.
"""
import calendar
import json
import math
import re
import time
from pathlib import Path

import pytest

from conftest import FETCH_MODES, libconfig, read_state

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.conf")) + [REPO / "examples/demo/demo.conf"]
DEMO_CSV = REPO / "examples/demo/stream-day.csv"


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def epoch(s: str) -> int:
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def when(v) -> int:
    """A request's timestamp: epoch seconds (JSON protocol) or ISO 8601."""
    return int(v) if isinstance(v, (int, float)) else epoch(v[:19] + "Z")


def recent_hour(hours_ago: int) -> int:
    """A whole hour some hours before now: within CloudWatch's retention."""
    now = int(time.time())
    return now - now % 3600 - hours_ago * 3600


# ----- configs made of an example's rules ------------------------------------

def example_rules(path: Path) -> str:
    text = path.read_text()
    m = re.search(r"^rules\s*=\s*\(", text, re.M)
    assert m, f"{path}: no rules section"
    return text[m.start():]


def action_names(rules_text: str) -> set:
    names = set()
    for lst in re.findall(r"_actions\s*=\s*\[([^\]]*)\]", rules_text):
        names.update(n for n in re.findall(r'"([^"]+)"', lst) if not n.startswith("arn:"))
    return names


def conf_with_rules(sw, rules_text: str, agent=None, extra_notifiers=()) -> Path:
    """The test's aws/agent sections, a log notifier for every action name, and
    RULES_TEXT verbatim."""
    d = sw.config_dict(rules=[], agent=agent)
    d["notifiers"] = [{"name": n, "type": "log", "path": str(sw.notify_path)}
                      for n in sorted(action_names(rules_text) | set(extra_notifiers))]
    del d["rules"]
    text = libconfig(d) + "\n" + rules_text
    sw.conf.write_text(text)
    return sw.conf


def metrics_of(rules_text: str) -> set:
    return set(re.findall(r'metric\s*=\s*"([^"]+)"', rules_text))


# A profile that crosses most thresholds both ways: levels that change every
# 13 minutes, from nothing to 5e8, with a minute left out now and then.
LEVELS = [3, 50, 0, 5000, 4e5, 5e8, 20, 2e4, 1, 7e6]


def level(i: int) -> float:
    return LEVELS[(i // 13) % len(LEVELS)]


def fill_fake(fake, metrics, streams, start, minutes):
    for s_i, stream in enumerate(streams):
        for metric in sorted(metrics):
            for i in range(minutes):
                if (i + s_i) % 17 == 5:
                    continue  # missing data
                v = level(i + 3 * s_i)
                for k in range(2):
                    fake.put_metric("AWS/Kinesis", metric, {"StreamName": stream},
                                    iso(start + 60 * i + 10 + 20 * k), v / 2 + k)


def changes_by_stepping(sw, start, end, step=60):
    """Step `run --once --now` over [start, end): {alarm: [(time, from, to,
    reason)]} from the saved state, and notifications counted by alarm."""
    seen, out = {}, {}
    for t in range(start, end, step):
        r = sw.run_once(iso(t))
        assert r.rc == 0, sw.explain()
        st = read_state(sw.state_dir)
        for name, a in st["alarms"].items():
            prev = seen.get(name, "INSUFFICIENT_DATA")
            if a["state"] != prev:
                out.setdefault(name, []).append((a["since"], prev, a["state"], a["reason"]))
                seen[name] = a["state"]
    counts = {}
    for n in sw.notifications():
        counts[n["AlarmName"]] = counts.get(n["AlarmName"], 0) + 1
    return out, counts


def backtest_json(sw, *args):
    r = sw.run("-c", sw.conf, "backtest", "--json", *args, timeout=300)
    assert r.rc == 0, sw.explain()
    return json.loads(r.stdout)


def transitions(doc):
    return {a["name"]: [(t["time"], t["from"], t["to"], t["reason"]) for t in a["transitions"]]
            for a in doc["alarms"] if a["transitions"]}


# ----- backtest equals the agent --------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_backtest_equals_stepping_run_once_for_every_example_rule(sw, fake, example):
    rules = example_rules(example)
    start, minutes = recent_hour(4), 100
    for stream in ("sample", "orders", "clicks"):
        fake.add_stream(stream, shards=2)
    fill_fake(fake, metrics_of(rules), ("sample", "orders", "clicks"), start - 1800,
              minutes + 30)
    conf_with_rules(sw, rules)
    end = start + 60 * minutes
    doc = backtest_json(sw, "--from", iso(start), "--to", iso(end))
    stepped, counts = changes_by_stepping(sw, start, end)
    assert transitions(doc) == stepped
    assert {a["name"]: a["notifications"] for a in doc["alarms"] if a["notifications"]} == counts
    # The data crosses thresholds: the comparison is not of empty lists.
    assert stepped
    for a in doc["alarms"]:
        assert sum(a["seconds_in"].values()) == end - start


def test_backtest_of_the_demo_recording_equals_stepping_the_agent(sw):
    rules = example_rules(REPO / "examples/demo/demo.conf")
    conf_with_rules(sw, rules, agent={"recording": str(DEMO_CSV)})
    start, end = epoch("2026-11-25T13:40:00Z"), epoch("2026-11-25T16:00:00Z")
    doc = backtest_json(sw, "--from", iso(start), "--to", iso(end))
    stepped, counts = changes_by_stepping(sw, start, end)
    assert transitions(doc) == stepped
    assert {a["name"]: a["notifications"] for a in doc["alarms"] if a["notifications"]} == counts
    assert len(stepped) == 4


def test_json_is_exactly_the_documented_shape(sw):
    sw.write_config(agent={"recording": str(DEMO_CSV)})
    doc = backtest_json(sw, "--from", "2026-11-25T07:00:00Z", "--to", "2026-11-25T12:00:00Z")
    assert list(doc) == ["from", "to", "alarms"]
    assert doc["from"] == "2026-11-25T07:00:00Z" and doc["to"] == "2026-11-25T12:00:00Z"
    (a,) = doc["alarms"]
    assert list(a) == ["name", "transitions", "seconds_in", "notifications"]
    assert a["transitions"][0]["from"] == "INSUFFICIENT_DATA"
    assert [list(t) for t in a["transitions"]] == [["time", "from", "to", "reason"]] * len(
        a["transitions"])
    assert [(t["time"], t["from"], t["to"]) for t in a["transitions"]] == [
        ("2026-11-25T07:00:00Z", "INSUFFICIENT_DATA", "OK"),
        ("2026-11-25T08:01:00Z", "OK", "ALARM"),
        ("2026-11-25T10:31:00Z", "ALARM", "OK")]
    assert a["seconds_in"] == {"OK": 61 * 60 + 89 * 60, "ALARM": 150 * 60,
                               "INSUFFICIENT_DATA": 0}
    assert a["notifications"] == 3
    assert "Threshold Crossed: 1 out of the last 1 datapoints [24.0 (25/11/26 08:00:00)]" \
        in a["transitions"][1]["reason"]


def test_reminders_are_counted_as_notifications(sw):
    sw.write_config(agent={"recording": str(DEMO_CSV)},
                    rules=[sw.rule(repeat_interval=1800)])
    doc = backtest_json(sw, "--from", "2026-11-25T07:00:00Z", "--to", "2026-11-25T12:00:00Z")
    # 150 minutes in ALARM from 08:01: reminders every 30 minutes of evaluated
    # periods, counted as the agent counts them.
    stepped, counts = changes_by_stepping(sw, epoch("2026-11-25T07:00:00Z"),
                                          epoch("2026-11-25T12:00:00Z"))
    assert doc["alarms"][0]["notifications"] == counts[sw.rule()["name"]]
    assert doc["alarms"][0]["notifications"] > 3


# ----- history from CloudWatch ----------------------------------------------

@pytest.mark.parametrize("mode", FETCH_MODES)
def test_chunks_under_the_1440_point_limit_against_the_strict_fake(sw, fake, mode):
    sw.fetch = mode
    start = recent_hour(24 * 3)
    minutes = 2 * 1440 + 120
    for i in range(0, minutes):
        if i % 600 < 5:
            v = 100
        elif i % 97 == 0:
            continue
        else:
            v = 1
        fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "sample"},
                        iso(start + 60 * i + 7), v)
    sw.write_config(rules=[sw.rule(), sw.rule(name="avg", statistic="Average",
                                               threshold=50.0)])
    doc = backtest_json(sw, "--from", iso(start), "--to", iso(start + 60 * minutes))
    reqs = [q for q in fake.requests if q.op == mode]
    assert all(q.status == 200 for q in reqs), sw.explain()
    if mode == "GetMetricStatistics":
        # One call holds Sum and Average; 2 days and 2 hours need 3 pieces.
        assert len(reqs) == 3
        for q in reqs:
            span = when(q.params["EndTime"]) - when(q.params["StartTime"])
            assert span // 60 <= 1440
    # Every spike, on both sides of each piece's border, was seen.
    alarms = [t for t in doc["alarms"][0]["transitions"] if t["to"] == "ALARM"]
    assert [t["time"] for t in alarms] == [iso(start + 60 * i + 60)
                                           for i in range(0, minutes, 600)]


def test_retention_rules_are_enforced_before_any_request(sw, fake):
    old = recent_hour(24 * 20)
    sw.write_config()
    r = sw.run("-c", sw.conf, "backtest", "--from", iso(old), "--to", iso(old + 3600))
    assert r.rc == 1
    assert "older than 15 days" in r.stderr and "multiple of 300" in r.stderr
    assert fake.requests_for("GetMetricStatistics") == []
    sw.write_config(rules=[sw.rule(period=300)])
    r = sw.run("-c", sw.conf, "backtest", "--from", iso(old), "--to", iso(old + 3600))
    assert r.rc == 0, sw.explain()
    r = sw.run("-c", sw.conf, "backtest", "--from", iso(recent_hour(24 * 460)), "--to",
               iso(recent_hour(24 * 459)))
    assert r.rc == 1 and "455 days" in r.stderr


def test_a_failed_fetch_fails_the_backtest_with_its_reason(sw, fake):
    fake.fail_always("GetMetricStatistics", ("AccessDenied", 400, "User is not authorized"))
    sw.write_config()
    r = sw.run("-c", sw.conf, "backtest", "--from", "-2h")
    assert r.rc == 1
    assert r.stderr.count("\n") == 1 and "AccessDenied" in r.stderr, r.stderr


# ----- recordings -----------------------------------------------------------

def test_recording_with_gaps_and_late_rows(sw, tmp_path):
    """Rows out of time order (a late minute appended at the end, as a file
    put together from several exports would have) and minutes without a row."""
    rows = []
    t0 = epoch("2026-11-25T10:00:00Z")
    for i in range(60):
        if 20 <= i < 26 or i in (40, 41):
            continue  # gaps
        v = 30 if 30 <= i < 35 else 2
        rows.append((t0 + 60 * i, v))
    late = [rows.pop(10), rows.pop(28)]
    rows += late
    csv = tmp_path / "gaps.csv"
    csv.write_text("timestamp,namespace,metric,dimensions,Sum,SampleCount\n" + "".join(
        f"{iso(t)},AWS/Kinesis,IncomingRecords,StreamName=sample,{v},{v}\n" for t, v in rows))
    rules = [sw.rule(evaluation_periods=3, datapoints_to_alarm=2),
             sw.rule(name="gap-breaching", treat_missing_data="breaching",
                     comparison="LessThanThreshold", threshold=1.0, evaluation_periods=3,
                     datapoints_to_alarm=3),
             sw.rule(name="gap-ignore", treat_missing_data="ignore", evaluation_periods=2,
                     datapoints_to_alarm=1)]
    sw.write_config(rules=rules, agent={"recording": str(csv)})
    doc = backtest_json(sw)
    assert doc["from"] == "2026-11-25T10:00:00Z" and doc["to"] == "2026-11-25T11:00:00Z"
    stepped, counts = changes_by_stepping(sw, epoch(doc["from"]), epoch(doc["to"]))
    assert transitions(doc) == stepped
    tr = transitions(doc)
    # No row before 10:00: three missing periods treated as breaching; in the
    # gap, once the evaluation range (5 periods for 3) holds no real point.
    assert [x[:3] for x in tr["gap-breaching"]] == [
        ("2026-11-25T10:00:00Z", "INSUFFICIENT_DATA", "ALARM"),
        ("2026-11-25T10:01:00Z", "ALARM", "OK"),
        ("2026-11-25T10:25:00Z", "OK", "ALARM"),
        ("2026-11-25T10:27:00Z", "ALARM", "OK")]
    assert [x[:3] for x in tr[sw.rule()["name"]] if x[2] == "ALARM"] == [
        ("2026-11-25T10:32:00Z", "OK", "ALARM")]


def test_data_option_reads_a_recording_instead_of_cloudwatch(sw, fake):
    sw.write_config()
    doc = backtest_json(sw, "--data", str(DEMO_CSV))
    assert doc["from"] == "2026-11-25T00:00:00Z" and doc["to"] == "2026-11-26T00:00:00Z"
    assert len(doc["alarms"][0]["transitions"]) == 3
    assert fake.requests_for("GetMetricStatistics") == []


def test_set_tries_a_variation_without_editing_the_file(sw):
    sw.write_config(agent={"recording": str(DEMO_CSV)},
                    rules=[sw.rule(), sw.rule(name="other")])
    before = sw.conf.read_text()
    base = backtest_json(sw)
    doc = backtest_json(sw, "--set", "threshold=25")
    assert sw.conf.read_text() == before
    for a in doc["alarms"]:
        assert a["transitions"] != base["alarms"][0]["transitions"]
        assert all("threshold (25.0)" in t["reason"] for t in a["transitions"])
    doc = backtest_json(sw, "--set", "other.threshold=25", "--set",
                        "other.comparison=LessThanThreshold")
    mine, other = doc["alarms"]
    assert mine["transitions"] == base["alarms"][0]["transitions"]
    assert "was less than the threshold (25.0)" in " ".join(
        t["reason"] for t in other["transitions"])
    # The report and the picture say which variation they show.
    r = sw.run("-c", sw.conf, "backtest", "--set", "other.threshold=25")
    assert r.rc == 0
    assert r.stdout.splitlines()[0].endswith("with other.threshold=25")
    # Any rule key, checked as if the file said it.
    doc = backtest_json(sw, "--set", "evaluation_periods=3", "--set", "datapoints_to_alarm=2",
                        "--alarm", "other")
    assert [a["name"] for a in doc["alarms"]] == ["other"]
    assert "2 out of the last 3" in doc["alarms"][0]["transitions"][1]["reason"]
    for bad, msg in ((["--set", "threshold=high"], "threshold"),
                     (["--set", "nosuch.threshold=1"], "no rule or template"),
                     (["--set", "tresh=1"], "tresh"),
                     (["--set", "=1"], "expected [NAME.]KEY=VALUE"),
                     (["--alarm", "nosuch"], "no such alarm")):
        r = sw.run("-c", sw.conf, "backtest", *bad)
        assert r.rc == 1 and msg in r.stderr, (bad, r.stderr)
        assert r.stdout == ""


@pytest.mark.parametrize("mode", FETCH_MODES)
def test_record_then_backtest_data_equals_backtest_against_cloudwatch(sw, fake, tmp_path,
                                                                     mode):
    sw.fetch = mode
    start, minutes = recent_hour(30), 240
    rules = example_rules(REPO / "examples/demo/demo.conf")
    fill_fake(fake, metrics_of(rules), ("sample",), start - 1800, minutes + 30)
    extra = (',\n  { name = "p5m"; metric = "IncomingRecords"; statistic = "Average";\n'
             '    dimensions = { StreamName = "sample"; }; period = 300; threshold = 1000.0;\n'
             '    comparison = "GreaterThanThreshold"; evaluation_periods = 2; }\n);\n')
    conf_with_rules(sw, rules.rstrip().rstrip(";").rstrip().rstrip(")") + extra)
    rng = ("--from", iso(start), "--to", iso(start + 60 * minutes))
    live = backtest_json(sw, *rng)
    csv = tmp_path / "rec.csv"
    r = sw.run("-c", sw.conf, "record", *rng, "-o", csv)
    assert r.rc == 0, sw.explain()
    assert "rows" in r.stderr and str(csv) in r.stderr
    assert csv.read_text().splitlines()[2].startswith("timestamp,namespace,metric,dimensions,Sum")
    n = len(fake.requests)
    offline = backtest_json(sw, "--data", csv, *rng)
    assert len(fake.requests) == n  # nothing asked
    assert [a["name"] for a in offline["alarms"]] == [a["name"] for a in live["alarms"]]
    for a, b in zip(offline["alarms"], live["alarms"]):
        for x, y in zip(a["transitions"], b["transitions"]):
            assert x == y, a["name"]
        assert a == b, a["name"]
    assert offline == live
    assert sum(len(a["transitions"]) for a in live["alarms"]) > 5


def test_record_needs_its_range_and_output(sw):
    sw.write_config()
    r = sw.run("-c", sw.conf, "record", "--from", "-1h")
    assert r.rc == 1 and "record needs --from T, --to T and -o FILE.csv" in r.stderr


# ----- the picture ----------------------------------------------------------

def test_plot_is_well_formed_and_shows_the_alarm(sw, tmp_path):
    """The picture of the demo day: well-formed XML, and rendered by headless
    Chromium it is not blank and has the ALARM shade where the first alarm
    fired (08:01 to 10:31) and nowhere else in its panel."""
    import svgcheck
    sw.write_config(agent={"recording": str(DEMO_CSV)},
                    rules=[sw.rule(), sw.rule(name="never", threshold=1e9)])
    svg = tmp_path / "bt.svg"
    r = sw.run("-c", sw.conf, "backtest", "--plot", svg)
    assert r.rc == 0, sw.explain()
    assert f"picture: {svg}" in r.stdout
    svgcheck.xmllint_ok(svg)
    text = svg.read_text()
    assert "sample-incoming-high" in text and "UTC" in text and "never" in text
    L = svgcheck.plot_layout()
    height = L["HEADER_H"] + 2 * L["PANEL_H"] + L["FOOTER_H"]
    png = tmp_path / "bt.png"
    svgcheck.render_png(svg, png, L["WIDTH"], height)
    img = svgcheck.png_pixels(png)
    assert len(svgcheck.colours(img)) > 10  # not blank

    def x(iso_time):
        f = (epoch(iso_time) - epoch("2026-11-25T00:00:00Z")) / 86400
        return L["LEFT"] + f * (L["RIGHT"] - L["LEFT"])

    top = L["HEADER_H"] + L["AREA_TOP"]
    area = (x("2026-11-25T08:01:00Z") + 2, top + 2, x("2026-11-25T10:31:00Z") - 2,
            top + L["AREA_H"] - 2)
    inside = svgcheck.count_colour(img, L["ALARM_FILL"], 0, area)
    assert inside > 0.6 * (area[2] - area[0]) * (area[3] - area[1])
    before = (L["LEFT"], top, x("2026-11-25T08:01:00Z") - 2, top + L["AREA_H"])
    after = (x("2026-11-25T10:31:00Z") + 2, top, L["RIGHT"], top + L["AREA_H"])
    assert svgcheck.count_colour(img, L["ALARM_FILL"], 0, before) == 0
    assert svgcheck.count_colour(img, L["ALARM_FILL"], 0, after) == 0
    # The second panel never fired.
    second = (L["LEFT"], top + L["PANEL_H"], L["RIGHT"], top + L["PANEL_H"] + L["AREA_H"])
    assert svgcheck.count_colour(img, L["ALARM_FILL"], 0, second) == 0


def test_progress_bar_on_a_terminal_only(sw, fake):
    """On a terminal, stderr shows the requests answered, then the
    evaluations; piped, nothing but errors."""
    import os
    import pty
    import subprocess
    start = recent_hour(3)
    for i in range(120):
        fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "sample"},
                        iso(start + 60 * i + 5), 1)
    sw.write_config()
    master, slave = pty.openpty()
    p = subprocess.Popen([sw.bin, "-c", str(sw.conf), "backtest", "--from", iso(start)],
                         env=sw.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    out, _ = p.communicate(timeout=60)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert p.returncode == 0
    text = err.decode()
    assert "fetching" in text and "requests" in text and "100%" in text
    assert "evaluating" in text
    assert "\x1b[K" in text  # the bar clears its line when done
    assert "backtest " in out and "\x1b" not in out
    r = sw.run("-c", sw.conf, "backtest", "--from", iso(start))
    assert r.rc == 0 and r.stderr == ""
