"""Self-test of fakeaws.py's CloudWatch alarm management: PutMetricAlarm, DescribeAlarms,
DeleteAlarms, ListTagsForResource / TagResource / UntagResource, rate limits.

Three independent clients drive the fake:

* Debian's botocore 1.29 (/usr/bin/python3), which speaks AWS Query to CloudWatch;
* the same botocore with the CloudWatch model switched to AWS JSON 1.0 (protocol "json",
  targetPrefix GraniteServiceVersion20100801), so a real JSON serializer and parser run,
  plus a few requests signed by hand to look at the exact JSON on the wire;
* Debian's `aws` CLI (package awscli, 2.9), which also speaks Query to CloudWatch.

Client-side parameter validation is switched off in botocore so that the fake, not the
client, rejects bad input.  Needs no streamwatch binary.
"""

import datetime as dt
import http.client
import json
import os
import re
import subprocess
import time
import urllib.request

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from fakeaws import ALARM_API_TPS

AWS_CLI = "/usr/bin/aws"   # Debian's awscli; a pyenv/pip `aws` earlier on PATH may speak JSON
SNS = "arn:aws:sns:ap-northeast-1:123456789012:sample"
OWNER = [{"Key": "streamwatch:owner", "Value": "streamwatch"}]
DIMS = [{"Name": "StreamName", "Value": "sample"}]
SEED = {"AlarmName": "sample-incoming-high", "Namespace": "AWS/Kinesis",
        "MetricName": "IncomingRecords", "Dimensions": DIMS, "Statistic": "Sum", "Period": 60,
        "Threshold": 10.0, "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1, "AlarmActions": [SNS]}


def _stat(metric, period=60, stat="Sum", stream="orders"):
    return {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": metric,
                       "Dimensions": [{"Name": "StreamName", "Value": stream}]},
            "Period": period, "Stat": stat}


# A metric-math alarm (docs/aws-wire.md §8); the expression leaves ReturnData out (= true).
MATH = {"AlarmName": "kds-orders-consumer-lag", "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3, "Threshold": 0.1, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "m1", "MetricStat": _stat("IncomingRecords"), "ReturnData": False},
                    {"Id": "m2", "MetricStat": _stat("GetRecords.Records"),
                     "ReturnData": False},
                    {"Id": "e1", "Expression": "(m1-m2)/m1", "Label": "unconsumed ratio"}]}
# Exactly the members DescribeAlarms shows for SEED; unset ones are left out (docs/aws-wire.md §8)
SEED_MEMBERS = {"AlarmName", "AlarmArn", "AlarmConfigurationUpdatedTimestamp",
                "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
                "StateValue", "StateReason", "StateUpdatedTimestamp", "MetricName",
                "Namespace", "Statistic", "Dimensions", "Period", "EvaluationPeriods",
                "Threshold", "ComparisonOperator", "StateTransitionedTimestamp"}


def alarm(base=SEED, **over):
    """A PutMetricAlarm input: base with overrides; None removes a member."""
    p = json.loads(json.dumps(base))
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def math_alarm(edit=None, **over):
    p = alarm(MATH, **over)
    if edit:
        edit(p["Metrics"])
    return p


# --------------------------------------------------------------------------- clients

@pytest.fixture(scope="session")
def json_model_dir(tmp_path_factory):
    """A botocore data dir whose cloudwatch model speaks JSON 1.0 instead of Query."""
    loader = botocore.session.Session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"].update(protocol="json", jsonVersion="1.0",
                             targetPrefix="GraniteServiceVersion20100801")
    root = tmp_path_factory.mktemp("botocore-data")
    d = root / "cloudwatch" / model["metadata"]["apiVersion"]
    d.mkdir(parents=True)
    (d / "service-2.json").write_text(json.dumps(model))
    return str(root)


def make_client(fake, protocol, json_model_dir=None, attempts=1):
    session = botocore.session.Session()
    if protocol == "json":
        session.get_component("data_loader").search_paths.insert(0, json_model_dir)
    return session.create_client(
        "cloudwatch", region_name=fake.region, endpoint_url=fake.url,
        aws_access_key_id=fake.DEFAULT_AKID, aws_secret_access_key=fake.DEFAULT_SECRET,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts},
                      parameter_validation=False))


@pytest.fixture(params=["query", "json"])
def cw(request, fake, json_model_dir):
    c = make_client(fake, request.param, json_model_dir)
    c.protocol = request.param
    return c


def error_of(call, *args, **kw) -> ClientError:
    with pytest.raises(ClientError) as ei:
        call(*args, **kw)
    return ei.value


def check_error(e: ClientError, code, status=400, fragment="", protocol=None):
    err, meta = e.response["Error"], e.response["ResponseMetadata"]
    assert (err["Code"], meta["HTTPStatusCode"]) == (code, status), e.response
    assert fragment in err["Message"], err["Message"]
    if protocol == "json":
        sender = "Sender" if status < 500 else "Receiver"
        assert meta["HTTPHeaders"]["x-amzn-query-error"] == f"{code};{sender}"


def raw_json(fake, op, body, ctype="application/x-amz-json-1.0"):
    """A JSON 1.0 request signed by botocore's SigV4Auth; returns (status, headers, body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest("POST", fake.url + "/", data=data, headers={
        "Content-Type": ctype, "X-Amz-Target": f"GraniteServiceVersion20100801.{op}"})
    SigV4Auth(Credentials(fake.DEFAULT_AKID, fake.DEFAULT_SECRET), "monitoring",
              fake.region).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.request("POST", "/", data, dict(req.headers.items()))
        r = conn.getresponse()
        raw = r.read()
        return r.status, r.headers, json.loads(raw) if raw else None
    finally:
        conn.close()


def all_names(cw, **kw) -> list:
    return [a["AlarmName"] for page in cw.get_paginator("describe_alarms").paginate(**kw)
            for a in page["MetricAlarms"]]


# --------------------------------------------------------------------------- create / describe

def test_create_sets_initial_state_and_describe_shows_exact_members(cw, fake):
    before = fake.now()
    cw.put_metric_alarm(**SEED, Tags=OWNER)
    (a,) = cw.describe_alarms()["MetricAlarms"]
    # botocore 1.29's model predates StateTransitionedTimestamp, so its parser drops it
    assert set(a) == SEED_MEMBERS - {"StateTransitionedTimestamp"}
    assert a["AlarmArn"] == "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:" \
                           "sample-incoming-high"
    assert (a["StateValue"], a["StateReason"]) == ("INSUFFICIENT_DATA",
                                                   "Unchecked: Initial alarm creation")
    assert (a["OKActions"], a["AlarmActions"], a["InsufficientDataActions"]) == ([], [SNS], [])
    assert (a["Dimensions"], a["Period"], a["Threshold"], a["ActionsEnabled"]) == \
        (DIMS, 60, 10.0, True)
    for k in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp"):
        assert isinstance(a[k], dt.datetime) and before - 1 <= a[k].timestamp() <= time.time() + 1
    stored = fake.alarms["sample-incoming-high"]
    assert stored["StateTransitionedTimestamp"] == stored["StateUpdatedTimestamp"]
    assert fake.tags[a["AlarmArn"]] == {"streamwatch:owner": "streamwatch"}
    assert [r.api for r in fake.requests] == ["cloudwatch-" + cw.protocol] * 2


def test_json_wire_members_and_fake_alarms_view(fake):
    status, _, body = raw_json(fake, "PutMetricAlarm", dict(SEED, Unit="Count",
                                                            AlarmDescription="d"))
    assert (status, body) == (200, {})
    status, hdrs, body = raw_json(fake, "DescribeAlarms", {})
    assert status == 200 and hdrs["Content-Type"] == "application/x-amz-json-1.0"
    assert set(body) == {"MetricAlarms", "CompositeAlarms"} and body["CompositeAlarms"] == []
    (a,) = body["MetricAlarms"]
    assert set(a) == SEED_MEMBERS | {"Unit", "AlarmDescription"}
    assert isinstance(a["StateUpdatedTimestamp"], float)
    assert a == fake.alarms["sample-incoming-high"]   # fake.alarms is what DescribeAlarms says


@pytest.mark.parametrize("mode,pattern", [("int", r'"StateUpdatedTimestamp": \d+[,}]'),
                                          ("sci", r'"StateUpdatedTimestamp": \d\.\d+E9')])
def test_json_timestamp_styles_apply_to_alarms(fake, mode, pattern):
    fake.put_alarm_direct("a")
    fake.json_timestamps = mode
    data = AWSRequest("POST", fake.url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"})
    SigV4Auth(Credentials(fake.DEFAULT_AKID, fake.DEFAULT_SECRET), "monitoring",
              fake.region).add_auth(data)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    conn.request("POST", "/", b"{}", dict(data.headers.items()))
    raw = conn.getresponse().read().decode()
    conn.close()
    assert re.search(pattern, raw), raw


def test_update_keeps_state_overwrites_config_and_ignores_tags(cw, fake):
    cw.put_metric_alarm(**alarm(TreatMissingData="breaching", DatapointsToAlarm=1,
                                OKActions=[SNS], Unit="Count"), Tags=OWNER)
    fake.set_alarm_state("sample-incoming-high", "ALARM", "Threshold Crossed: test")
    first = dict(fake.alarms["sample-incoming-high"])
    time.sleep(0.02)
    cw.put_metric_alarm(**alarm(Threshold=20.0), Tags=[{"Key": "team", "Value": "x"}])
    (a,) = cw.describe_alarms(AlarmNames=["sample-incoming-high"])["MetricAlarms"]
    assert (a["StateValue"], a["StateReason"], a["Threshold"]) == \
        ("ALARM", "Threshold Crossed: test", 20.0)
    for k in ("TreatMissingData", "DatapointsToAlarm", "Unit"):
        assert k not in a           # the update overwrote the whole configuration
    assert a["OKActions"] == []
    now = fake.alarms["sample-incoming-high"]
    assert now["StateUpdatedTimestamp"] == first["StateUpdatedTimestamp"]
    assert now["StateTransitionedTimestamp"] == first["StateTransitionedTimestamp"]
    assert now["AlarmConfigurationUpdatedTimestamp"] > first["AlarmConfigurationUpdatedTimestamp"]
    assert cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"] == OWNER


def test_metric_math_round_trip(cw, fake):
    cw.put_metric_alarm(**MATH, Tags=OWNER)
    (a,) = cw.describe_alarms(AlarmNamePrefix="kds-")["MetricAlarms"]
    want = json.loads(json.dumps(MATH["Metrics"]))
    want[2]["ReturnData"] = True    # absent ReturnData comes back as true
    assert a["Metrics"] == want
    assert a["Dimensions"] == []
    for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit",
              "TreatMissingData"):
        assert k not in a
    assert (a["EvaluationPeriods"], a["DatapointsToAlarm"], a["Threshold"]) == (3, 3, 0.1)
    # becoming a single-metric alarm drops Metrics
    cw.put_metric_alarm(**alarm(AlarmName="kds-orders-consumer-lag"))
    (a,) = cw.describe_alarms(AlarmNamePrefix="kds-")["MetricAlarms"]
    assert "Metrics" not in a and a["MetricName"] == "IncomingRecords"


def test_anomaly_band_alarm_round_trip(cw, fake):
    p = {"AlarmName": "band", "EvaluationPeriods": 2, "ThresholdMetricId": "ad1",
         "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
         "Metrics": [{"Id": "m1", "MetricStat": _stat("IncomingRecords"), "ReturnData": True},
                     {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]}
    cw.put_metric_alarm(**p)
    (a,) = cw.describe_alarms()["MetricAlarms"]
    assert a["ThresholdMetricId"] == "ad1" and "Threshold" not in a
    e = error_of(cw.put_metric_alarm, **dict(p, ThresholdMetricId="m1"))
    check_error(e, "ValidationError", fragment="matching the ThresholdMetricId",
                protocol=cw.protocol)


def test_percentile_alarm_with_low_sample_count(cw, fake):
    cw.put_metric_alarm(**alarm(Statistic=None, ExtendedStatistic="p99",
                                EvaluateLowSampleCountPercentile="ignore", Unit="Milliseconds"))
    (a,) = cw.describe_alarms()["MetricAlarms"]
    assert (a["ExtendedStatistic"], a["EvaluateLowSampleCountPercentile"]) == ("p99", "ignore")
    assert "Statistic" not in a


# --------------------------------------------------------------------------- validation

VALIDATION = [
    ("no-name", alarm(AlarmName=None), "ValidationError", "Value null at 'alarmName'"),
    ("long-name", alarm(AlarmName="a" * 256), "ValidationError",
     "Member must have length less than or equal to 255"),
    ("control-char", alarm(AlarmName="bad\x01name"), "InvalidParameterValue",
     "ASCII control characters"),
    ("eval-0", alarm(EvaluationPeriods=0), "ValidationError",
     "Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value "
     "greater than or equal to 1"),
    ("no-eval", alarm(EvaluationPeriods=None), "ValidationError",
     "Value null at 'evaluationPeriods'"),
    ("bad-operator", alarm(ComparisonOperator="Bigger"), "ValidationError",
     "at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set"),
    ("no-operator", alarm(ComparisonOperator=None), "ValidationError",
     "Value null at 'comparisonOperator'"),
    ("two-errors", alarm(EvaluationPeriods=0, ComparisonOperator="Bigger"), "ValidationError",
     "2 validation errors detected: "),
    ("bad-statistic", alarm(Statistic="Median"), "ValidationError", "at 'statistic'"),
    ("bad-unit", alarm(Unit="Records"), "ValidationError", "at 'unit'"),
    ("namespace-colon", alarm(Namespace=":x"), "ValidationError", "pattern: [^:].*"),
    ("no-threshold", alarm(Threshold=None), "MissingParameter", "Threshold"),
    ("no-metric", alarm(MetricName=None, Namespace=None, Statistic=None, Period=None,
                        Dimensions=None), "ValidationError",
     "Exactly one of MetricName and Metrics"),
    ("metric-and-metrics", math_alarm(MetricName="IncomingRecords"), "ValidationError",
     "MetricName should not be set if list of Metrics is set."),
    ("metrics-and-statistic", math_alarm(Statistic="Sum"), "ValidationError",
     "Statistic should not be set if list of Metrics is set."),
    ("metrics-and-period", math_alarm(Period=60), "ValidationError",
     "Period should not be set if list of Metrics is set."),
    ("no-namespace", alarm(Namespace=None), "MissingParameter", "Namespace"),
    ("statistic-and-extended", alarm(ExtendedStatistic="p99"), "InvalidParameterCombination",
     "Statistic and ExtendedStatistic"),
    ("no-statistic", alarm(Statistic=None), "MissingParameter",
     "Statistic or ExtendedStatistic"),
    ("bad-extended", alarm(Statistic=None, ExtendedStatistic="p999"), "InvalidParameterValue",
     "ExtendedStatistic"),
    ("no-period", alarm(Period=None), "MissingParameter", "Period"),
    ("period-45", alarm(Period=45), "ValidationError",
     "Period must be 10, 20, 30 or a multiple of 60"),
    ("period-0", alarm(Period=0), "ValidationError", "at 'period'"),
    ("m-greater-than-n", alarm(EvaluationPeriods=3, DatapointsToAlarm=4), "ValidationError",
     "DatapointsToAlarm must be less than or equal to EvaluationPeriods"),
    ("m-0", alarm(DatapointsToAlarm=0), "ValidationError", "at 'datapointsToAlarm'"),
    ("over-one-day", alarm(Period=60, EvaluationPeriods=1441), "ValidationError", "86400"),
    ("over-seven-days", alarm(Period=3600, EvaluationPeriods=169), "ValidationError",
     "604800"),
    ("treat-missing", alarm(TreatMissingData="sometimes"), "InvalidParameterValue",
     "TreatMissingData"),
    ("low-sample-without-percentile", alarm(EvaluateLowSampleCountPercentile="ignore"),
     "InvalidParameterCombination", "ExtendedStatistic"),
    ("low-sample-bad-value", alarm(Statistic=None, ExtendedStatistic="p99",
                                   EvaluateLowSampleCountPercentile="skip"),
     "InvalidParameterValue", "EvaluateLowSampleCountPercentile"),
    ("six-alarm-actions", alarm(AlarmActions=[SNS] * 6), "ValidationError",
     "at 'alarmActions' failed to satisfy constraint: Member must have length less than or "
     "equal to 5"),
    ("six-ok-actions", alarm(OKActions=[SNS] * 6), "ValidationError", "at 'oKActions'"),
    ("action-not-arn", alarm(AlarmActions=["ops-topic"]), "ValidationError", "not an ARN"),
    ("action-other-region", alarm(AlarmActions=["arn:aws:sns:us-east-1:123456789012:x"]),
     "ValidationError", "Invalid region us-east-1 specified. Only ap-northeast-1 is supported."),
    ("51-tags", alarm(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
     "InvalidParameterValue", "at most 50 tags"),
    ("duplicate-tag", alarm(Tags=OWNER + OWNER), "InvalidParameterValue", "Duplicate tag key"),
    ("aws-tag", alarm(Tags=[{"Key": "aws:x", "Value": "v"}]), "InvalidParameterValue",
     "reserved"),
    ("tag-key-too-long", alarm(Tags=[{"Key": "k" * 129, "Value": "v"}]), "ValidationError",
     "at 'tags.1.member.key'"),
    ("duplicate-dimension", alarm(Dimensions=DIMS + DIMS), "InvalidParameterValue",
     "StreamName"),
    ("band-operator-static", alarm(ComparisonOperator="GreaterThanUpperThreshold"),
     "ValidationError", "ThresholdMetricId"),
    ("math-no-id", math_alarm(lambda ms: ms[0].pop("Id")), "ValidationError",
     "Value null at 'metrics.1.member.id'"),
    ("math-bad-id", math_alarm(lambda ms: ms[0].update(Id="M1")), "ValidationError",
     "must start with a lowercase letter"),
    ("math-duplicate-id", math_alarm(lambda ms: ms[1].update(Id="m1")), "ValidationError",
     "more than once"),
    ("math-stat-and-expression", math_alarm(lambda ms: ms[0].update(Expression="m2")),
     "ValidationError", "exactly one of MetricStat and Expression"),
    ("math-neither", math_alarm(lambda ms: ms[0].pop("MetricStat")), "ValidationError",
     "exactly one of MetricStat and Expression"),
    ("math-two-return", math_alarm(lambda ms: ms[0].update(ReturnData=True)),
     "ValidationError", "Exactly one element of the metrics list should return data."),
    ("math-none-return", math_alarm(lambda ms: ms[2].update(ReturnData=False)),
     "ValidationError", "Exactly one element of the metrics list should return data."),
    ("math-returndata-absent-counts-true",
     math_alarm(lambda ms: [q.pop("ReturnData", None) for q in ms]), "ValidationError",
     "Exactly one element of the metrics list should return data."),
    ("math-11-metrics", math_alarm(lambda ms: ms.extend(
        {"Id": f"x{i}", "MetricStat": _stat("X"), "ReturnData": False} for i in range(9))),
     "ValidationError", "more than 10"),
    ("math-mixed-periods", math_alarm(lambda ms: ms[1]["MetricStat"].update(Period=300)),
     "ValidationError", "same period"),
    ("math-bad-period", math_alarm(lambda ms: [q["MetricStat"].update(Period=45)
                                               for q in ms[:2]]),
     "ValidationError", "Period must be 10, 20, 30 or a multiple of 60"),
    ("math-bad-stat", math_alarm(lambda ms: ms[0]["MetricStat"].update(Stat="Median")),
     "InvalidParameterValue", "Stat"),
]


@pytest.mark.parametrize("name,params,code,fragment", VALIDATION,
                         ids=[c[0] for c in VALIDATION])
def test_put_metric_alarm_validation(cw, fake, name, params, code, fragment):
    e = error_of(cw.put_metric_alarm, **params)
    check_error(e, code, 400, fragment, cw.protocol)
    assert fake.alarms == {} and fake.tags == {}


def test_valid_edge_values_are_accepted(cw, fake):
    for i, over in enumerate([{"Period": 10}, {"Period": 20}, {"Period": 30},
                              {"Period": 60, "EvaluationPeriods": 1440},
                              {"Period": 3600, "EvaluationPeriods": 168},
                              {"Period": 86400, "EvaluationPeriods": 7},
                              {"AlarmActions": [SNS] * 5,
                               "OKActions": ["arn:aws:automate:ap-northeast-1:ec2:stop"]},
                              {"Tags": [{"Key": f"k{i}", "Value": ""} for i in range(50)]},
                              {"AlarmName": "ünïcødé name/with:colons " + "x" * 230},
                              {"ActionsEnabled": False, "Dimensions": []}]):
        cw.put_metric_alarm(**alarm(AlarmName=over.pop("AlarmName", f"ok-{i}"), **over))
    assert len(fake.alarms) == 10


def test_json_type_errors_are_serialization_exceptions(fake):
    status, _, body = raw_json(fake, "PutMetricAlarm", alarm(Period="60"))
    assert status == 400 and body["__type"] == "SerializationException"
    status, _, body = raw_json(fake, "PutMetricAlarm", b"{not json")
    assert status == 400 and body["__type"] == "SerializationException"
    status, hdrs, body = raw_json(fake, "PutMetricAlarm", alarm(EvaluationPeriods=0))
    assert status == 400 and hdrs["x-amzn-query-error"] == "ValidationError;Sender"
    assert body["__type"] == "com.amazon.coral.validate#ValidationException"
    assert fake.alarms == {}


# --------------------------------------------------------------------------- DescribeAlarms

def _plant(fake, n=10):
    for i in range(n):
        fake.put_alarm_direct(f"kds-{i:02d}", tags={"streamwatch:owner": "streamwatch"})
    fake.put_alarm_direct("other-1")


def test_describe_pages_are_small_and_complete(cw, fake):
    _plant(fake)
    pages = list(cw.get_paginator("describe_alarms").paginate())
    assert [len(p["MetricAlarms"]) for p in pages] == [3, 3, 3, 2]
    names = [a["AlarmName"] for p in pages for a in p["MetricAlarms"]]
    assert names == sorted(fake.alarms) and len(names) == 11
    assert len(fake.requests_for("DescribeAlarms")) == 4
    r = cw.describe_alarms(MaxRecords=2)
    assert len(r["MetricAlarms"]) == 2 and r["NextToken"]
    fake.alarm_page_size = 100
    assert len(cw.describe_alarms()["MetricAlarms"]) == 11
    assert len(cw.describe_alarms(MaxRecords=5)["MetricAlarms"]) == 5


def test_describe_filters(cw, fake):
    _plant(fake)
    assert all_names(cw, AlarmNamePrefix="kds-") == [f"kds-{i:02d}" for i in range(10)]
    assert all_names(cw, AlarmNames=["kds-03", "nope", "other-1"]) == ["kds-03", "other-1"]
    fake.set_alarm_state("kds-05", "ALARM")
    assert all_names(cw, StateValue="ALARM") == ["kds-05"]
    fake.put_alarm_direct("notify", AlarmActions=[SNS])
    assert all_names(cw, ActionPrefix="arn:aws:sns:ap-northeast-1:123456789012:") == ["notify"]
    assert all_names(cw, AlarmTypes=["MetricAlarm", "CompositeAlarm"]) == sorted(fake.alarms)
    r = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert (r["MetricAlarms"], r["CompositeAlarms"]) == ([], [])


@pytest.mark.parametrize("params,code,fragment", [
    ({"AlarmNames": [f"a{i}" for i in range(101)]}, "ValidationError",
     "at 'alarmNames' failed to satisfy constraint: Member must have length less than or "
     "equal to 100"),
    ({"AlarmNames": ["a"], "AlarmNamePrefix": "a"}, "InvalidParameterCombination", ""),
    ({"MaxRecords": 0}, "ValidationError", "at 'maxRecords'"),
    ({"MaxRecords": 101}, "ValidationError", "less than or equal to 100"),
    ({"StateValue": "BROKEN"}, "ValidationError", "at 'stateValue'"),
    ({"AlarmTypes": ["Composite"]}, "ValidationError", "at 'alarmTypes.1.member'"),
    ({"NextToken": "garbage"}, "InvalidNextToken", ""),
])
def test_describe_errors(cw, fake, params, code, fragment):
    check_error(error_of(cw.describe_alarms, **params), code, 400, fragment, cw.protocol)


def test_next_token_is_bound_to_its_filters(cw, fake):
    _plant(fake)
    token = cw.describe_alarms(AlarmNamePrefix="kds-")["NextToken"]
    r = cw.describe_alarms(AlarmNamePrefix="kds-", NextToken=token)
    assert [a["AlarmName"] for a in r["MetricAlarms"]] == ["kds-03", "kds-04", "kds-05"]
    check_error(error_of(cw.describe_alarms, NextToken=token), "InvalidNextToken",
                protocol=cw.protocol)


# --------------------------------------------------------------------------- DeleteAlarms

def test_delete_ignores_unknown_names_and_drops_tags(cw, fake):
    _plant(fake, 3)
    arn = fake.alarm_arn("kds-00")
    cw.delete_alarms(AlarmNames=["kds-00", "nope", "kds-02"])
    assert sorted(fake.alarms) == ["kds-01", "other-1"] and arn not in fake.tags
    assert all_names(cw) == ["kds-01", "other-1"]
    check_error(error_of(cw.list_tags_for_resource, ResourceARN=arn),
                "ResourceNotFoundException", 404, protocol=cw.protocol)
    cw.delete_alarms(AlarmNames=[])


def test_delete_limits_and_not_found_toggle(cw, fake):
    _plant(fake, 3)
    e = error_of(cw.delete_alarms, AlarmNames=["kds-00"] + [f"x{i}" for i in range(100)])
    check_error(e, "ValidationError", 400, "less than or equal to 100", cw.protocol)
    assert "kds-00" in fake.alarms          # nothing deleted
    check_error(error_of(cw.delete_alarms), "ValidationError", 400,
                "Value null at 'alarmNames'", cw.protocol)
    fake.delete_alarms_not_found = True
    e = error_of(cw.delete_alarms, AlarmNames=["kds-00", "nope"])
    check_error(e, "ResourceNotFound", 404, "nope", cw.protocol)
    assert "kds-00" not in fake.alarms       # the correct names are still deleted


# --------------------------------------------------------------------------- tagging

def test_tags_list_add_remove(cw, fake):
    cw.put_metric_alarm(**SEED, Tags=OWNER + [{"Key": "team", "Value": "data"}])
    arn = fake.alarm_arn(SEED["AlarmName"])
    tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == OWNER + [{"Key": "team", "Value": "data"}]
    assert tags[0]["Key"] == "team"          # newest first: order is not to be relied on
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "ops"},
                                           {"Key": "env", "Value": ""}])
    assert fake.tags[arn] == {"streamwatch:owner": "streamwatch", "team": "ops", "env": ""}
    cw.untag_resource(ResourceARN=arn, TagKeys=["team", "absent"])
    assert fake.tags[arn] == {"streamwatch:owner": "streamwatch", "env": ""}
    e = error_of(cw.tag_resource, ResourceARN=arn,
                 Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    check_error(e, "InvalidParameterValue", 400, "at most 50 tags", cw.protocol)
    fake.put_alarm_direct("foreign")
    assert cw.list_tags_for_resource(ResourceARN=fake.alarm_arn("foreign"))["Tags"] == []


@pytest.mark.parametrize("arn,code,status", [
    ("arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:nope",
     "ResourceNotFoundException", 404),
    ("arn:aws:cloudwatch:us-east-1:123456789012:alarm:sample-incoming-high",
     "ResourceNotFoundException", 404),
    ("arn:aws:cloudwatch:ap-northeast-1:210987654321:alarm:sample-incoming-high",
     "ResourceNotFoundException", 404),
    ("sample-incoming-high", "InvalidParameterValue", 400),
])
def test_tag_calls_on_unknown_resources(cw, fake, arn, code, status):
    fake.put_alarm_direct(SEED["AlarmName"])
    check_error(error_of(cw.list_tags_for_resource, ResourceARN=arn), code, status,
                protocol=cw.protocol)
    check_error(error_of(cw.tag_resource, ResourceARN=arn, Tags=OWNER), code, status,
                protocol=cw.protocol)
    check_error(error_of(cw.untag_resource, ResourceARN=arn, TagKeys=["x"]), code, status,
                protocol=cw.protocol)


# --------------------------------------------------------------------------- rate limits

def test_throttling_per_operation(cw, fake):
    fake.enforce_tps = True
    assert ALARM_API_TPS == {"PutMetricAlarm": 3, "DeleteAlarms": 3, "DescribeAlarms": 9}
    start = time.time()
    for i in range(3):
        cw.put_metric_alarm(**alarm(AlarmName=f"t{i}"))
    e = error_of(cw.put_metric_alarm, **alarm(AlarmName="t3"))
    assert time.time() - start < 0.9, "too slow to test a 1-second window"
    check_error(e, "Throttling", 400, "Rate exceeded", cw.protocol)
    assert "t3" not in fake.alarms and fake.throttled == {"PutMetricAlarm": 1}
    for _ in range(9):
        cw.describe_alarms()                 # other operations have their own budget
    check_error(error_of(cw.describe_alarms), "Throttling", 400, "Rate exceeded", cw.protocol)
    assert fake.max_rate("PutMetricAlarm") == 4 and fake.max_rate("DescribeAlarms") == 10
    time.sleep(1.05)
    cw.put_metric_alarm(**alarm(AlarmName="t3"))
    assert "t3" in fake.alarms


def test_paced_client_is_never_throttled(fake, json_model_dir):
    fake.enforce_tps = {"PutMetricAlarm": 3}
    cw = make_client(fake, "json", json_model_dir)
    for i in range(7):
        cw.put_metric_alarm(**alarm(AlarmName=f"p{i}"))
        time.sleep(0.36)
    assert fake.throttled == {} and fake.max_rate("PutMetricAlarm") <= 3
    assert len(fake.request_times("PutMetricAlarm")) == 7


def test_botocore_retries_recover_from_throttling(fake, json_model_dir):
    fake.fail_next("PutMetricAlarm", [("Throttling", 400)])
    cw = make_client(fake, "query", attempts=3)
    r = cw.put_metric_alarm(**SEED)
    assert r["ResponseMetadata"]["RetryAttempts"] == 1 and SEED["AlarmName"] in fake.alarms


# --------------------------------------------------------------------------- test helpers

def test_put_alarm_direct_plants_foreign_alarms(fake):
    a = fake.put_alarm_direct("foreign", state="ALARM", state_reason="someone else's")
    assert a == fake.alarms["foreign"] and a["StateValue"] == "ALARM"
    assert a["StateReason"] == "someone else's"
    assert fake.tags[fake.alarm_arn("foreign")] == {}
    assert (a["MetricName"], a["Statistic"], a["Period"], a["Threshold"]) == \
        ("IncomingRecords", "Sum", 60, 0.0)
    b = fake.put_alarm_direct("mine", tags={"streamwatch:owner": "x"}, Threshold=5.0,
                              TreatMissingData="ignore")
    assert b["Threshold"] == 5.0 and b["TreatMissingData"] == "ignore"
    with pytest.raises(Exception):
        fake.put_alarm_direct("bad", Period=45)
    fake.put_alarm_direct("odd", Period=45, validate=False)
    assert fake.alarms["odd"]["Period"] == 45
    fake.reset_alarms()
    assert fake.alarms == {} and fake.tags == {}


def test_max_alarms_limit(cw, fake):
    fake.max_alarms = 1
    cw.put_metric_alarm(**SEED)
    cw.put_metric_alarm(**alarm(Threshold=3.0))      # an update is not a new alarm
    check_error(error_of(cw.put_metric_alarm, **alarm(AlarmName="second")), "LimitExceeded",
                protocol=cw.protocol)


def test_control_api_for_standalone_use(fake):
    def call(path, data=None):
        req = urllib.request.Request(fake.url + path, method="POST" if data is not None
                                     else "GET", data=None if data is None
                                     else json.dumps(data).encode())
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())
    call("/_fake/alarms", [{"name": "planted", "tags": {"a": "b"}, "state": "OK",
                            "Threshold": 2.0}])
    call("/_fake/config", {"alarm_page_size": 5, "enforce_tps": {"DescribeAlarms": 1}})
    assert fake.alarm_page_size == 5 and fake.enforce_tps == {"DescribeAlarms": 1}
    got = call("/_fake/alarms")
    assert got["alarms"]["planted"]["StateValue"] == "OK"
    assert got["tags"][fake.alarm_arn("planted")] == {"a": "b"}
    call("/_fake/reset", {})
    assert fake.alarms == {}


# --------------------------------------------------------------------------- the AWS CLI

@pytest.fixture
def aws(fake, tmp_path):
    """Run Debian's aws CLI against the fake: Query protocol, the fake's default key from
    the environment, empty config files, no IMDS, no pager, one attempt, and a dead proxy
    for anything that is not 127.0.0.1, so nothing can reach the network."""
    if not os.access(AWS_CLI, os.X_OK):
        pytest.fail(f"{AWS_CLI} is missing: install Debian's awscli (apt-get install -y awscli)",
                    pytrace=False)
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LC_ALL": "C.UTF-8",
           "AWS_ACCESS_KEY_ID": fake.DEFAULT_AKID, "AWS_SECRET_ACCESS_KEY": fake.DEFAULT_SECRET,
           "AWS_DEFAULT_REGION": fake.region, "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
           "AWS_PAGER": "", "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "1",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1"}

    def run(*args, ok=True):
        p = subprocess.run([AWS_CLI, "--endpoint-url", fake.url, "--output", "json",
                            "cloudwatch", *args], env=env, capture_output=True, text=True,
                           timeout=120)
        if ok:
            assert p.returncode == 0, f"aws {' '.join(args)}: rc={p.returncode}\n{p.stderr}"
            return json.loads(p.stdout) if p.stdout.strip() else None
        return p
    run.tmp = tmp_path
    return run


SEED_CLI = ["put-metric-alarm", "--alarm-name", "sample-incoming-high",
            "--namespace", "AWS/Kinesis", "--metric-name", "IncomingRecords",
            "--dimensions", "Name=StreamName,Value=sample", "--statistic", "Sum",
            "--period", "60", "--threshold", "10", "--comparison-operator",
            "GreaterThanThreshold", "--evaluation-periods", "1", "--alarm-actions", SNS]


def test_cli_round_trip(aws, fake):
    aws(*SEED_CLI, "--tags", "Key=streamwatch:owner,Value=streamwatch")
    (a,) = aws("describe-alarms", "--alarm-names", "sample-incoming-high")["MetricAlarms"]
    assert set(a) == SEED_MEMBERS
    assert (a["StateValue"], a["StateReason"], a["Threshold"], a["Dimensions"],
            a["AlarmActions"], a["OKActions"]) == \
        ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", 10.0, DIMS, [SNS], [])
    assert fake.alarms["sample-incoming-high"]["AlarmArn"] == a["AlarmArn"]
    assert aws("list-tags-for-resource", "--resource-arn", a["AlarmArn"])["Tags"] == OWNER
    aws("delete-alarms", "--alarm-names", "sample-incoming-high", "not-there")
    assert aws("describe-alarms")["MetricAlarms"] == []
    ops = [(r.api, r.op) for r in fake.requests]
    assert ops == [("cloudwatch-query", op) for op in (
        "PutMetricAlarm", "DescribeAlarms", "ListTagsForResource", "DeleteAlarms",
        "DescribeAlarms")], "Debian's aws CLI speaks Query to CloudWatch"
    assert fake.requests[0].headers["content-type"] == \
        "application/x-www-form-urlencoded; charset=utf-8"


def test_cli_follows_pages_and_prefix(aws, fake):
    _plant(fake, 8)
    names = aws("describe-alarms", "--alarm-name-prefix", "kds-",
                "--query", "MetricAlarms[].AlarmName")
    assert names == [f"kds-{i:02d}" for i in range(8)]
    assert len(fake.requests_for("DescribeAlarms")) == 3      # the CLI followed NextToken
    assert all(r.form.get("AlarmNamePrefix") == "kds-"
               for r in fake.requests_for("DescribeAlarms"))


def test_cli_metric_math_and_update(aws, fake):
    (aws.tmp / "metrics.json").write_text(json.dumps(MATH["Metrics"]))
    aws("put-metric-alarm", "--alarm-name", "kds-orders-consumer-lag", "--evaluation-periods",
        "3", "--datapoints-to-alarm", "3", "--threshold", "0.1", "--comparison-operator",
        "GreaterThanThreshold", "--metrics", f"file://{aws.tmp / 'metrics.json'}",
        "--treat-missing-data", "notBreaching")
    fake.set_alarm_state("kds-orders-consumer-lag", "OK", "fine")
    (a,) = aws("describe-alarms")["MetricAlarms"]
    assert [q["Id"] for q in a["Metrics"]] == ["m1", "m2", "e1"]
    assert [q["ReturnData"] for q in a["Metrics"]] == [False, False, True]
    assert a["Metrics"][0]["MetricStat"] == _stat("IncomingRecords")
    assert (a["TreatMissingData"], a["StateValue"]) == ("notBreaching", "OK")
    aws(*SEED_CLI[:2], "kds-orders-consumer-lag", *SEED_CLI[3:])   # update: now single metric
    (a,) = aws("describe-alarms")["MetricAlarms"]
    assert "Metrics" not in a and "TreatMissingData" not in a and a["StateValue"] == "OK"


def test_cli_sees_validation_errors(aws, fake):
    p = aws(*[("45" if x == "60" else x) for x in SEED_CLI], ok=False)
    assert p.returncode == 254, p.stderr
    assert "(ValidationError)" in p.stderr and "Period must be 10, 20, 30" in p.stderr
    p = aws("list-tags-for-resource", "--resource-arn", fake.alarm_arn("nope"), ok=False)
    assert p.returncode == 254 and "(ResourceNotFoundException)" in p.stderr
    assert fake.alarms == {}


def test_cli_sees_throttling(aws, fake):
    _plant(fake, 8)
    fake.enforce_tps = {"DescribeAlarms": 1}
    p = aws("describe-alarms", ok=False)      # its second page comes within the second
    assert p.returncode == 254, p.stderr
    assert "(Throttling)" in p.stderr and "Rate exceeded" in p.stderr
    assert fake.throttled == {"DescribeAlarms": 1}
