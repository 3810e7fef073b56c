"""`plan` and `sync` of rules whose expression uses SHARDS, against the fake.

CloudWatch has no SHARDS: a synced alarm gets the expression with the stream's
open shard count (Kinesis DescribeStreamSummary, OpenShardCount) in its place, and
its Label keeps the config's text.  A reshard then plans one changed line, the
Expression, and sync puts the new number in.  A failed DescribeStreamSummary is an
error for that alarm: nothing is applied.
"""

from test_sync import TOPIC, diff_lines, ops, plan, sync, write

NAME = "orders-write-capacity"
CONFIG_TEXT = "w / (SHARDS * 60000) * 100"


def capacity_rule(**kw) -> dict:
    """IncomingRecords, 60 s Sum, as a percentage of 1,000 records/s a shard."""
    r = {"name": NAME,
         "metrics": [{"id": "w", "metric": "IncomingRecords", "statistic": "Sum",
                      "dimensions": {"StreamName": "orders"}}],
         "expression": CONFIG_TEXT, "period": 60, "evaluation_periods": 5,
         "datapoints_to_alarm": 3, "threshold": 80.0,
         "comparison": "GreaterThanThreshold", "alarm_actions": ["ops"], "sync": True}
    r.update(kw)
    return {k: v for k, v in r.items() if v is not None}


def expression_of(fake, name=NAME) -> dict:
    return fake.alarms[name]["Metrics"][-1]


def test_reshard_plans_the_expression_and_sync_fixes_it(sw, fake):
    fake.add_stream("orders", shards=4)
    write(sw, [capacity_rule()])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"+ create {NAME}" in r.stdout
    assert '"Expression": "w / (4 * 60000) * 100"' in r.stdout
    assert len(ops(fake, "DescribeStreamSummary")) == 1
    assert ops(fake, "DescribeStreamSummary")[0].params == {"StreamName": "orders"}
    assert not ops(fake, "PutMetricAlarm")

    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert f"created {NAME}" in r.stdout
    e = expression_of(fake)
    assert e["Expression"] == "w / (4 * 60000) * 100"
    assert e["Label"] == CONFIG_TEXT
    assert fake.alarms[NAME]["AlarmActions"] == [TOPIC]
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()

    # The stream is resharded: the plan says so, in one line.
    fake.set_shards("orders", 8)
    fake.checkpoint()
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert f"~ update {NAME}" in r.stdout
    assert diff_lines(r.stdout) == [
        '~ Metrics[1].Expression: "w / (4 * 60000) * 100" -> "w / (8 * 60000) * 100"']
    assert r.stdout.rstrip().endswith("Plan: 0 to create, 1 to update, 0 to delete.")
    assert expression_of(fake)["Expression"] == "w / (4 * 60000) * 100"  # plan only

    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert f"updated {NAME}" in r.stdout
    puts = ops(fake, "PutMetricAlarm")
    assert len(puts) == 1
    assert puts[0].params["Metrics"][-1]["Expression"] == "w / (8 * 60000) * 100"
    assert expression_of(fake)["Expression"] == "w / (8 * 60000) * 100"
    assert expression_of(fake)["Label"] == CONFIG_TEXT
    assert plan(sw, "--detailed-exitcode").rc == 0, sw.explain()


def test_failed_lookup_is_an_error_for_the_alarm(sw, fake):
    fake.add_stream("orders", shards=4)
    write(sw, [capacity_rule()])
    assert sync(sw, "--yes").rc == 0, sw.explain()
    fake.set_shards("orders", 2)

    # Denied: plan and sync fail, naming the alarm and the error; nothing sent.
    fake.fail_always("DescribeStreamSummary", (
        "AccessDeniedException", 400,
        "User is not authorized to perform: kinesis:DescribeStreamSummary"))
    fake.checkpoint()
    for run in (plan, sync):
        r = run(sw, "--yes") if run is sync else run(sw, "--detailed-exitcode")
        assert r.rc == 1, sw.explain()
        assert f"alarm '{NAME}'" in r.stderr
        assert "DescribeStreamSummary for stream 'orders' failed: AccessDeniedException" \
            in r.stderr
        assert "Plan:" not in r.stdout
    assert not ops(fake, "PutMetricAlarm")
    assert expression_of(fake)["Expression"] == "w / (4 * 60000) * 100"

    # Throttled once: retried, and the plan goes on.
    fake.clear_faults()
    fake.fail_next("DescribeStreamSummary", [("LimitExceededException", 400)])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert diff_lines(r.stdout) == [
        '~ Metrics[1].Expression: "w / (4 * 60000) * 100" -> "w / (2 * 60000) * 100"']

    # The stream is gone: Kinesis's own error.
    fake.remove_stream("orders")
    r = plan(sw)
    assert r.rc == 1, sw.explain()
    assert "ResourceNotFoundException: Stream orders under account 123456789012 " \
        "not found." in r.stderr


def test_template_streams_each_get_their_count(sw, fake):
    fake.add_stream("orders", shards=4)
    fake.add_stream("clicks", shards=2)
    tmpl = capacity_rule(name="{stream}-write-capacity", streams=["orders", "clicks"])
    tmpl["metrics"] = [{"id": "w", "metric": "IncomingRecords", "statistic": "Sum"}]
    # A rule without SHARDS needs no DescribeStreamSummary.
    other = capacity_rule(name="orders-writes", expression="w * 1")
    write(sw, [tmpl, other])
    r = sync(sw, "--yes")
    assert r.rc == 0, sw.explain()
    assert expression_of(fake, "orders-write-capacity")["Expression"] == \
        "w / (4 * 60000) * 100"
    assert expression_of(fake, "clicks-write-capacity")["Expression"] == \
        "w / (2 * 60000) * 100"
    assert expression_of(fake, "orders-writes")["Expression"] == "w * 1"
    # One lookup per stream and run.
    assert sorted(q.params["StreamName"] for q in ops(fake, "DescribeStreamSummary")) == \
        ["clicks", "orders"]

    # A pattern template: discovered streams get their own counts too.
    fake.add_stream("orders-eu", shards=16)
    tmpl["streams"] = ["orders*"]
    write(sw, [tmpl])
    r = plan(sw, "--detailed-exitcode")
    assert r.rc == 2, sw.explain()
    assert "+ create orders-eu-write-capacity" in r.stdout
    assert '"Expression": "w / (16 * 60000) * 100"' in r.stdout
    assert r.stdout.rstrip().endswith("Plan: 1 to create, 0 to update, 0 to delete.")
