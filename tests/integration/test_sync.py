"""`streamwatch plan` and `streamwatch sync` against the fake CloudWatch alarm APIs.

The contract (README.md, "Sync to CloudWatch alarms"): rules with `sync = true` become
CloudWatch alarms of the same name carrying the tag streamwatch:owner; plan shows
create / update (field by field) / delete (only with --prune) after normalising what
DescribeAlarms leaves out, so a synced config plans "No changes."; an alarm of a
wanted name without our tag is someone else's and is never touched; sync asks on a
terminal, refuses without one unless --yes, respects the API rate limits (3
PutMetricAlarm a second) and reports what it applied when it stops part-way.
"""

import json
import os
import pty
import re
import subprocess

from conftest import libconfig

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ops"
SINGLE = "sample-incoming-high"
MATH = "orders-consumers-behind"
OWNER_TAG = "streamwatch:owner"


# --------------------------------------------------------------------------- helpers

def math_rule(**kw) -> dict:
    r = {"name": MATH,
         "metrics": [{"id": "w", "metric": "IncomingRecords", "statistic": "Sum",
                      "dimensions": {"StreamName": "orders"}},
                     {"id": "r", "metric": "GetRecords.Records", "statistic": "Sum",
                      "dimensions": {"StreamName": "orders"}}],
         "expression": "w - FILL(r, 0)", "period": 60, "evaluation_periods": 5,
         "datapoints_to_alarm": 3, "threshold": 1000.0,
         "comparison": "GreaterThanThreshold", "alarm_actions": ["ops"], "sync": True}
    r.update(kw)
    return {k: v for k, v in r.items() if v is not None}


def single_rule(sw, **kw) -> dict:
    base = dict(sync=True, alarm_actions=["ops", "console"], ok_actions=["ops"],
                labels={"team": "data"})
    base.update(kw)
    return sw.rule(**base)


def write(sw, rules, sync=None, notifiers=None):
    """The config with an SNS notifier 'ops', a log notifier 'console' and RULES."""
    d = sw.config_dict(rules=rules, notifiers=notifiers or [
        {"name": "ops", "type": "sns", "topic_arn": TOPIC},
        {"name": "console", "type": "log", "path": str(sw.notify_path)}])
    if sync:
        d["sync"] = sync
    sw.conf.write_text(libconfig(d))


def plan(sw, *extra, timeout=120):
    return sw.run("-c", sw.conf, "plan", *extra, timeout=timeout)


def sync(sw, *extra, timeout=120):
    return sw.run("-c", sw.conf, "sync", *extra, timeout=timeout)


def ops(fake, op):
    return [r for r in fake.requests if r.op == op]


def diff_lines(out: str) -> list:
    """The field lines of a plan (indented '~ ', '+ ', '- ' lines)."""
    return [ln.strip() for ln in out.splitlines() if re.match(r"^    [~+-] ", ln)]


def synced(sw, fake, rules, **kw):
    """Write RULES, sync them, check the second plan is clean; requests start afresh."""
    write(sw, rules, **kw)
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 0 and "No changes." in r.stdout, sw.explain()
    fake.checkpoint()


# --------------------------------------------------------------------------- tests

def test_create_from_empty_then_plan_is_clean(sw, fake):
    write(sw, [single_rule(sw), math_rule()])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"+ create {SINGLE}" in r.stdout and f"+ create {MATH}" in r.stdout
    assert f'+ AlarmActions: ["{TOPIC}"]' in r.stdout
    assert "+ Threshold: 10.0" in r.stdout
    assert "Local-only notifiers" in r.stdout and "console (log)" in r.stdout
    assert r.stdout.rstrip().endswith("Plan: 2 to create, 0 to update, 0 to delete.")
    assert not ops(fake, "PutMetricAlarm"), "plan must not change anything"
    assert fake.alarms == {}
    # Without --detailed-exitcode a plan with changes is still a success.
    assert plan(sw).rc == 0

    # No terminal, no --yes: refused before any request.
    fake.checkpoint()
    r = sync(sw)
    assert r.rc == 1, sw.explain()
    assert "refusing" in r.stderr and "--yes" in r.stderr
    assert not fake.requests and fake.alarms == {}

    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert f"created {SINGLE}" in r.stdout and f"created {MATH}" in r.stdout
    assert "Apply complete: 2 created, 0 updated, 0 deleted." in r.stdout
    a = fake.alarms[SINGLE]
    assert a["MetricName"] == "IncomingRecords" and a["Namespace"] == "AWS/Kinesis"
    assert a["Statistic"] == "Sum" and a["Period"] == 60 and a["Threshold"] == 10.0
    assert a["Dimensions"] == [{"Name": "StreamName", "Value": "sample"}]
    assert a["AlarmActions"] == [TOPIC] and a["OKActions"] == [TOPIC]
    assert a["InsufficientDataActions"] == []
    assert a["ComparisonOperator"] == "GreaterThanThreshold"
    assert a["EvaluationPeriods"] == 1 and a["DatapointsToAlarm"] == 1
    assert a["TreatMissingData"] == "missing" and a["ActionsEnabled"] is True
    assert fake.tags[fake.alarm_arn(SINGLE)] == {"team": "data", OWNER_TAG: "streamwatch"}
    assert fake.tags[fake.alarm_arn(MATH)] == {OWNER_TAG: "streamwatch"}

    fake.checkpoint()
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 0, sw.explain()
    assert r.stdout.rstrip().endswith("No changes.")
    assert not diff_lines(r.stdout)
    # Read-only: one DescribeAlarms page, the tags of the two wanted alarms.
    assert [q.op for q in fake.requests if q.op not in ("DescribeAlarms",)] == \
        ["ListTagsForResource"] * 2


def test_threshold_edit_plans_one_update(sw, fake):
    synced(sw, fake, [single_rule(sw), math_rule()])
    fake.set_alarm_state(SINGLE, "ALARM", "Threshold Crossed: test")
    write(sw, [single_rule(sw, threshold=20.0), math_rule()])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"~ update {SINGLE}" in r.stdout
    assert diff_lines(r.stdout) == ["~ Threshold: 10.0 -> 20.0"]
    assert r.stdout.rstrip().endswith("Plan: 0 to create, 1 to update, 0 to delete.")

    fake.checkpoint()
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert f"updated {SINGLE}" in r.stdout
    puts = ops(fake, "PutMetricAlarm")
    assert len(puts) == 1 and puts[0].params["AlarmName"] == SINGLE
    # An update sends the whole configuration, and no Tags (ignored on update).
    assert puts[0].params["Threshold"] == 20.0 and "Tags" not in puts[0].params
    assert puts[0].params["AlarmActions"] == [TOPIC]
    assert not ops(fake, "TagResource")
    assert fake.alarms[SINGLE]["Threshold"] == 20.0
    assert fake.alarms[SINGLE]["StateValue"] == "ALARM"   # an update keeps the state
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_label_change_is_a_tag_only_update(sw, fake):
    synced(sw, fake, [single_rule(sw)])
    write(sw, [single_rule(sw, labels={"team": "streams", "severity": "page"})])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"~ update {SINGLE} (tags only)" in r.stdout
    assert sorted(diff_lines(r.stdout)) == ['+ Tags.severity: "page"',
                                            '~ Tags.team: "data" -> "streams"']
    fake.checkpoint()
    assert sync(sw, "--yes").rc == 0, sw.explain()
    assert not ops(fake, "PutMetricAlarm")
    tag = ops(fake, "TagResource")
    assert len(tag) == 1 and tag[0].params["ResourceARN"] == fake.alarm_arn(SINGLE)
    assert fake.tags[fake.alarm_arn(SINGLE)] == {"team": "streams", "severity": "page",
                                                 OWNER_TAG: "streamwatch"}
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_removed_rule_is_deleted_only_with_prune(sw, fake):
    synced(sw, fake, [single_rule(sw), math_rule()])
    fake.put_alarm_direct("someone-elses-alarm")
    fake.put_alarm_direct("team-b-alarm", tags={OWNER_TAG: "team-b"})
    write(sw, [single_rule(sw)])

    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 0, sw.explain()
    assert "delete" not in r.stdout and r.stdout.rstrip().endswith("No changes.")

    r = plan(sw, "--prune", "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"- delete {MATH}" in r.stdout
    assert "someone-elses-alarm" not in r.stdout and "team-b-alarm" not in r.stdout
    assert r.stdout.rstrip().endswith("Plan: 0 to create, 0 to update, 1 to delete.")

    fake.checkpoint()
    r = sync(sw, "--yes")            # without --prune: nothing to do
    assert r.rc == 0 and MATH in fake.alarms, sw.explain()
    assert not ops(fake, "DeleteAlarms")

    r = sync(sw, "--prune", "--yes")
    assert r.rc == 0, sw.explain()
    assert f"deleted {MATH}" in r.stdout
    dels = ops(fake, "DeleteAlarms")
    assert len(dels) == 1 and dels[0].params == {"AlarmNames": [MATH]}
    assert set(fake.alarms) == {SINGLE, "someone-elses-alarm", "team-b-alarm"}
    assert plan(sw, "--prune", "--detailed-exitcode").rc == 0, sw.explain()


def test_foreign_alarm_of_the_same_name_is_never_touched(sw, fake):
    before = fake.put_alarm_direct(SINGLE, tags={"team": "payments"}, Threshold=99.0)
    other = fake.put_alarm_direct(MATH, tags={OWNER_TAG: "team-b"})
    write(sw, [single_rule(sw), math_rule(), single_rule(sw, name="mine-too")])

    r = plan(sw, "--prune", "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"! {SINGLE}: exists in CloudWatch without the tag {OWNER_TAG}" in r.stdout
    assert f'! {MATH}: exists in CloudWatch with tag {OWNER_TAG}="team-b"' in r.stdout
    assert f"update {SINGLE}" not in r.stdout and f"delete {SINGLE}" not in r.stdout
    assert r.stdout.rstrip().endswith("Plan: 1 to create, 0 to update, 0 to delete.")

    fake.checkpoint()
    r = sync(sw, "--prune", "--yes")
    assert r.rc == 1, sw.explain()      # the config is not fully applied
    assert "left alone" in r.stderr
    assert "created mine-too" in r.stdout
    touched = [q for q in fake.requests if q.op in ("PutMetricAlarm", "TagResource",
                                                      "DeleteAlarms", "UntagResource")]
    assert [q.params.get("AlarmName") for q in touched] == ["mine-too"]
    assert fake.alarms[SINGLE] == before and fake.alarms[MATH] == other
    assert fake.tags[fake.alarm_arn(SINGLE)] == {"team": "payments"}


def test_metric_math_round_trips(sw, fake):
    synced(sw, fake, [math_rule()])
    a = fake.alarms[MATH]
    assert "MetricName" not in a and "Period" not in a
    m = a["Metrics"]
    assert [q["Id"] for q in m] == ["w", "r", "e1"]
    assert m[0]["MetricStat"] == {"Metric": {"Namespace": "AWS/Kinesis",
                                             "MetricName": "IncomingRecords",
                                             "Dimensions": [{"Name": "StreamName",
                                                             "Value": "orders"}]},
                                  "Period": 60, "Stat": "Sum"}
    assert m[0]["ReturnData"] is False and m[1]["ReturnData"] is False
    assert m[2] == {"Id": "e1", "Expression": "w - FILL(r, 0)", "Label": "w - FILL(r, 0)",
                    "ReturnData": True}
    assert a["EvaluationPeriods"] == 5 and a["DatapointsToAlarm"] == 3

    write(sw, [math_rule(expression="w - r")])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert diff_lines(r.stdout) == ['~ Metrics[2].Expression: "w - FILL(r, 0)" -> "w - r"',
                                    '~ Metrics[2].Label: "w - FILL(r, 0)" -> "w - r"']
    assert sync(sw, "--yes").rc == 0, sw.explain()
    assert fake.alarms[MATH]["Metrics"][2]["Expression"] == "w - r"
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_percentile_and_defaults_round_trip(sw, fake):
    rules = [sw.rule(name="age-p99", metric="GetRecords.IteratorAgeMilliseconds",
                     statistic="p99", unit="Milliseconds", period=300, threshold=60000.0,
                     evaluation_periods=3, datapoints_to_alarm=None,
                     treat_missing_data=None, alarm_actions=["ops"], ok_actions=None,
                     evaluate_low_sample_count_percentile="ignore", sync=True,
                     actions_enabled=False, description="iterator age")]
    synced(sw, fake, rules)
    a = fake.alarms["age-p99"]
    assert a["ExtendedStatistic"] == "p99" and "Statistic" not in a
    assert a["EvaluateLowSampleCountPercentile"] == "ignore"
    assert a["Unit"] == "Milliseconds" and a["ActionsEnabled"] is False
    # Someone removes what CloudWatch defaults anyway: still no changes.
    for k in ("TreatMissingData", "DatapointsToAlarm"):
        del fake.alarms["age-p99"][k]
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()
    # Drift made in the console shows up, field by field.
    fake.alarms["age-p99"]["EvaluateLowSampleCountPercentile"] = "evaluate"
    fake.alarms["age-p99"]["AlarmDescription"] = "edited by hand"
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2
    assert diff_lines(r.stdout) == [
        '~ AlarmDescription: "edited by hand" -> "iterator age"',
        '~ EvaluateLowSampleCountPercentile: "evaluate" -> "ignore"']


def test_throttling_during_sync_is_absorbed(sw, fake):
    write(sw, [single_rule(sw), math_rule(), single_rule(sw, name="third")])
    fake.fail_next("DescribeAlarms", [("Throttling", 400)])
    fake.fail_next("PutMetricAlarm", [("Throttling", 400), ("Throttling", 400)])
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert set(fake.alarms) == {SINGLE, MATH, "third"}
    throttled = [q for q in fake.requests if q.error and "Throttling" in q.error]
    assert len(throttled) == 3
    fake.fail_next("ListTagsForResource", [("Throttling", 400)])
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_slow_replies_do_not_bunch_calls_together(sw, fake):
    """The service may count a call as late as its reply: a slow reply must not let
    the next calls crowd into the same second (the fake counts at reply time)."""
    fake.enforce_tps = True
    write(sw, [single_rule(sw, name=f"slow-{i}") for i in range(6)])
    fake.fail_next("PutMetricAlarm", [("delay", 1.2), ("delay", 0.8)])
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert fake.throttled == {}, fake.throttled
    assert len(fake.alarms) == 6 and fake.max_rate("PutMetricAlarm") <= 3


def test_quota_shared_with_another_tool_slows_sync_down(sw, fake):
    """Someone else uses most of the account's PutMetricAlarm quota (the fake lets
    through 1 a second): the retries absorb the throttles, the limiter slows down,
    and every alarm is made."""
    fake.enforce_tps = {"PutMetricAlarm": 1}
    write(sw, [single_rule(sw, name=f"shared-{i}") for i in range(8)])
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert len(fake.alarms) == 8
    assert fake.throttled.get("PutMetricAlarm", 0) >= 1
    assert "Throttling" in r.stderr


def test_failure_midway_reports_and_rerun_converges(sw, fake):
    write(sw, [single_rule(sw, name="a-alarm"), single_rule(sw, name="b-alarm"),
               single_rule(sw, name="c-alarm")])
    fake.fail_always("PutMetricAlarm", ("LimitExceeded", 400, "The maximum number of "
                                        "alarms has been reached."),
                     match=lambda q: (q.params or {}).get("AlarmName") == "b-alarm")
    r = sync(sw, "--yes")
    assert r.rc == 1, sw.explain()
    assert "PutMetricAlarm 'b-alarm' failed: LimitExceeded" in r.stderr
    assert "stopped after 1 of 3 changes" in r.stderr
    assert "  create b-alarm" in r.stderr and "  create c-alarm" in r.stderr
    assert "created a-alarm" in r.stdout
    assert set(fake.alarms) == {"a-alarm"}

    fake.clear_faults()
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2 and r.stdout.rstrip().endswith("Plan: 2 to create, 0 to update, "
                                                    "0 to delete."), sw.explain()
    assert sync(sw, "--yes").rc == 0, sw.explain()
    assert set(fake.alarms) == {"a-alarm", "b-alarm", "c-alarm"}
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_paging_and_name_prefix(sw, fake):
    """Alarms over several DescribeAlarms pages (the fake's pages hold 3), narrowed
    by sync.name_prefix; prune only looks at alarms under the prefix."""
    for i in range(4):
        fake.put_alarm_direct(f"other-{i}", tags={OWNER_TAG: "streamwatch"})
    streams = [f"s{i}" for i in range(10)]
    rule = sw.rule(name="kds-{stream}-incoming", streams=streams, dimensions=None,
                   sync=True, alarm_actions=["ops"], ok_actions=None)
    synced(sw, fake, [rule], sync={"name_prefix": "kds-"})
    r = plan(sw, "--prune", "--detailed-exitcode")
    assert r.rc == 0, sw.explain()
    describes = ops(fake, "DescribeAlarms")
    assert len(describes) == 4                      # 10 alarms, 3 a page
    assert all(q.params.get("AlarmNamePrefix") == "kds-" for q in describes)
    assert all(q.params.get("MaxRecords") == 100 for q in describes)
    assert [bool(q.params.get("NextToken")) for q in describes] == [False, True, True, True]
    assert len(ops(fake, "ListTagsForResource")) == 10
    assert fake.alarms["kds-s7-incoming"]["Dimensions"] == [{"Name": "StreamName",
                                                            "Value": "s7"}]
    # The owned alarms outside the prefix are not candidates for pruning.
    write(sw, [sw.rule(name="kds-s0-incoming", dimensions={"StreamName": "s0"},
                       sync=True, alarm_actions=["ops"], ok_actions=None)],
          sync={"name_prefix": "kds-"})
    r = plan(sw, "--prune")
    assert r.rc == 0, sw.explain()
    assert r.stdout.rstrip().endswith("Plan: 0 to create, 0 to update, 9 to delete.")
    assert "other-" not in r.stdout


def test_pattern_template_is_expanded_with_list_streams(sw, fake):
    for s in ("clicks-1", "clicks-2", "orders"):
        fake.add_stream(s)
    rule = sw.rule(name="{stream}-incoming-high", streams=["orders", "clicks-*"],
                   dimensions=None, sync=True, alarm_actions=["ops"], ok_actions=None)
    write(sw, [rule])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert r.stdout.rstrip().endswith("Plan: 3 to create, 0 to update, 0 to delete.")
    assert ops(fake, "ListStreams")
    assert sync(sw, "--yes").rc == 0, sw.explain()
    assert fake.alarms["clicks-2-incoming-high"]["Dimensions"] == [
        {"Name": "StreamName", "Value": "clicks-2"}]
    fake.remove_stream("clicks-2")
    r = plan(sw, "--prune", "--detailed-exitcode")
    assert r.rc == 2 and "- delete clicks-2-incoming-high" in r.stdout, sw.explain()


def test_confirmation_on_a_terminal(sw, fake):
    write(sw, [single_rule(sw)])

    def on_tty(answer: bytes):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([sw.bin, "-c", str(sw.conf), "sync"], env=sw.env,
                                 cwd=sw.tmp, stdin=slave, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            os.close(slave)
            os.write(master, answer)
            out, err = p.communicate(timeout=60)
        finally:
            os.close(master)
        return p.returncode, out, err

    rc, out, err = on_tty(b"n\n")
    assert rc == 1, (out, err)
    assert "Apply these changes? [y/N]" in out and "nothing applied" in err
    assert not ops(fake, "PutMetricAlarm") and fake.alarms == {}
    rc, out, err = on_tty(b"y\n")
    assert rc == 0, (out, err)
    assert f"created {SINGLE}" in out and SINGLE in fake.alarms


def test_nothing_to_sync_needs_no_aws(sw, fake):
    write(sw, [sw.rule()])            # sync is off
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 0 and "No changes." in r.stdout, sw.explain()
    assert not fake.requests


def test_bad_config_is_an_error(sw, fake):
    sw.conf.write_text("rules = ( { name = 1; } );\n")
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 1
    assert re.search(r"streamwatch\.conf:\d+: ", r.stderr), r.stderr
    assert not fake.requests


def test_250_alarms_respect_the_rate_limit(sw, fake):
    """250 generated rules (a template takes at most 100 streams): 250 PutMetricAlarm
    calls that never exceed 3 in any one second (the fake throttles above the quotas
    and counts it), with DescribeAlarms paging over 30 alarms that are not ours."""
    fake.enforce_tps = True
    for i in range(30):
        fake.put_alarm_direct(f"zz-foreign-{i:02d}")
    write(sw, [sw.rule(name=f"s{i:03d}-incoming-high", dimensions={"StreamName": f"s{i:03d}"},
                       sync=True, alarm_actions=["ops"], ok_actions=None)
               for i in range(250)])
    r = sync(sw, "--yes", timeout=300)
    times = fake.request_times("PutMetricAlarm")
    spans = [round(b - a, 3) for a, b in zip(times, times[3:])]
    assert r.rc == 0, (f"throttled: {fake.throttled}; the shortest spans of 4 calls: "
                       f"{sorted(spans)[:8]}\n{r.stderr[-2000:]}")
    assert "Apply complete: 250 created, 0 updated, 0 deleted." in r.stdout
    assert len(fake.alarms) == 280
    assert fake.throttled == {}, fake.throttled
    assert len(ops(fake, "PutMetricAlarm")) == 250
    assert fake.max_rate("PutMetricAlarm") <= 3
    assert len(ops(fake, "DescribeAlarms")) == 10       # 30 alarms, 3 a page
    assert fake.max_rate("DescribeAlarms") <= 9
    # Evenly spaced: 250 calls at 90% of 3 a second take about 92 s.
    assert times[-1] - times[0] >= 249 / 3
    assert fake.alarms["s249-incoming-high"]["Dimensions"] == [
        {"Name": "StreamName", "Value": "s249"}]


def test_aws_cli_reads_the_synced_alarms_back(sw, fake, tmp_path):
    """What a user would do to check: the AWS CLI (Debian's awscli, AWS Query over the
    wire) lists the alarms and tags that sync made."""
    synced(sw, fake, [single_rule(sw), math_rule()])
    env = dict(sw.env, AWS_DEFAULT_REGION=fake.region, AWS_PAGER="",
               AWS_CLI_AUTO_PROMPT="off")

    def aws(*args):
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", fake.url, "--output", "json",
                            *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    out = aws("cloudwatch", "describe-alarms")
    alarms = {a["AlarmName"]: a for a in out["MetricAlarms"]}
    assert set(alarms) == {SINGLE, MATH}
    a = alarms[SINGLE]
    assert a["Threshold"] == 10.0 and a["Period"] == 60 and a["Statistic"] == "Sum"
    assert a["ComparisonOperator"] == "GreaterThanThreshold"
    assert a["EvaluationPeriods"] == 1 and a["DatapointsToAlarm"] == 1
    assert a["AlarmActions"] == [TOPIC] and a["OKActions"] == [TOPIC]
    assert a["Dimensions"] == [{"Name": "StreamName", "Value": "sample"}]
    assert a["TreatMissingData"] == "missing"
    m = alarms[MATH]["Metrics"]
    assert [q["Id"] for q in m] == ["w", "r", "e1"]
    assert m[2]["Expression"] == "w - FILL(r, 0)" and m[2]["ReturnData"] is True
    assert m[1]["MetricStat"]["Metric"]["MetricName"] == "GetRecords.Records"
    tags = aws("cloudwatch", "list-tags-for-resource", "--resource-arn",
               alarms[SINGLE]["AlarmArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "data", OWNER_TAG: "streamwatch"}
    # The CLI spoke Query, and the fake checked every signature (fixture teardown).
    assert any(q.api == "cloudwatch-query" and q.op == "DescribeAlarms" for q in fake.requests)
