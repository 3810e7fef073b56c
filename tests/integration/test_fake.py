"""Self-test of fakeaws.py, using botocore as the independent client.

Proves the fake accepts what real botocore sends (Query protocol for CloudWatch
in Debian's botocore 1.29, STS, JSON 1.0 signed by hand with SigV4Auth, and for
GetMetricData and several statistics per GetMetricStatistics call also botocore
with its CloudWatch model switched to JSON 1.0, so botocore's own JSON serializer
and parser check the fake's wire format) and rejects what AWS would reject.
Needs no streamwatch binary.
"""

import datetime as dt
import email.utils
import http.client
import json
import re
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ts
from fakeaws import STATISTICS, amz_date, parse_amz_date
# the JSON 1.0 botocore model fixture and its client, shared with the alarm self-test
from test_fake_alarms import check_error, error_of, json_model_dir, make_client  # noqa: F401

UTC = dt.timezone.utc
DIMS = {"StreamName": "sample"}
GMS = {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
       "Dimensions": [{"Name": "StreamName", "Value": "sample"}],
       "StartTime": ts("2026-11-25T10:00:00Z"), "EndTime": ts("2026-11-25T10:05:00Z"),
       "Period": 60, "Statistics": ["Sum"]}
TARGET = "GraniteServiceVersion20100801.GetMetricStatistics"


def client(fake, service="cloudwatch", akid=None, secret=None, token=None, **cfg):
    cfg.setdefault("retries", {"mode": "standard", "max_attempts": 1})
    return botocore.session.Session().create_client(
        service, region_name=fake.region, endpoint_url=fake.url,
        aws_access_key_id=akid or fake.DEFAULT_AKID,
        aws_secret_access_key=secret or fake.DEFAULT_SECRET, aws_session_token=token,
        config=Config(**cfg))


def gms(cw, **over):
    p = dict(GMS, StartTime=dt.datetime.fromtimestamp(GMS["StartTime"], UTC),
             EndTime=dt.datetime.fromtimestamp(GMS["EndTime"], UTC))
    p.update(over)
    return cw.get_metric_statistics(**{k: v for k, v in p.items() if v is not None})


def signed_call(fake, data, headers, akid=None, secret=None, token=None, service="monitoring",
                region=None, stamp=None, tamper=None, timeout=10, parse=True):
    """POST / signed by botocore's SigV4Auth at time `stamp` (epoch, default now).
    tamper(headers, body) may alter the request after signing.
    Returns (status, headers, body) with the body JSON-decoded when possible."""
    req = AWSRequest("POST", fake.url + "/", data=data, headers=headers)
    auth = SigV4Auth(Credentials(akid or fake.DEFAULT_AKID, secret or fake.DEFAULT_SECRET,
                                 token), service, region or fake.region)
    # botocore's add_auth() with an explicit timestamp instead of utcnow()
    req.context["timestamp"] = amz_date(time.time() if stamp is None else stamp)
    auth._modify_request_before_signing(req)
    cr = auth.canonical_request(req)
    auth._inject_signature_to_request(req, auth.signature(auth.string_to_sign(req, cr), req))
    headers = dict(req.headers.items())
    if tamper:
        data = tamper(headers, data) or data
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=timeout)
    try:
        conn.request("POST", "/", data, headers)
        r = conn.getresponse()
        raw = r.read()
        try:
            return r.status, r.headers, json.loads(raw) if parse else raw
        except ValueError:
            return r.status, r.headers, raw
    finally:
        conn.close()


def raw_json(fake, body, akid=None, secret=None, token=None, target=TARGET, **kw):
    """A CloudWatch JSON 1.0 request (body: dict, or bytes as is)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return signed_call(fake, data, {"Content-Type": "application/x-amz-json-1.0",
                                    "X-Amz-Target": target}, akid, secret, token, **kw)


def raw_query(fake, form: str, service="sts", **kw):
    """A Query request (form body), signed for `service`."""
    return signed_call(fake, form.encode(), {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        service=service, **kw)


def put_sample_minutes(fake):
    for minute, v in [(0, 1.0), (1, 2.0), (2, 3.0), (3, 4.0), (4, 12.0), (5, 999.0)]:
        fake.put_metric("AWS/Kinesis", "IncomingRecords", DIMS,
                        f"2026-11-25T10:0{minute}:00Z", v)
    fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "other"},
                    "2026-11-25T10:04:00Z", 500.0)


# --------------------------------------------------------------------------- happy paths

def test_botocore_query_gms_verified(fake):
    put_sample_minutes(fake)
    fake.put_metric("AWS/Kinesis", "IncomingRecords", DIMS, "2026-11-25T10:04:30Z", 1.0)
    out = gms(client(fake), Statistics=["Sum", "SampleCount", "Maximum"])
    pts = {int(d["Timestamp"].timestamp()): d for d in out["Datapoints"]}
    assert out["Label"] == "IncomingRecords"
    # EndTime is exclusive (10:05 excluded), other dimension sets excluded
    assert sorted(pts) == [ts(f"2026-11-25T10:0{m}:00Z") for m in range(5)]
    assert pts[ts("2026-11-25T10:04:00Z")]["Sum"] == 13.0
    assert pts[ts("2026-11-25T10:04:00Z")]["SampleCount"] == 2.0
    assert pts[ts("2026-11-25T10:04:00Z")]["Maximum"] == 12.0
    assert all(d["Unit"] == "Count" for d in pts.values())
    # unordered like CloudWatch
    order = [int(d["Timestamp"].timestamp()) for d in out["Datapoints"]]
    assert order != sorted(order)
    (r,) = fake.requests
    assert (r.api, r.op, r.service, r.region, r.akid, r.signature_ok, r.status) == \
        ("cloudwatch-query", "GetMetricStatistics", "monitoring", fake.region,
         fake.DEFAULT_AKID, True, 200)
    assert {"host", "x-amz-date"} <= set(r.signed_headers)
    assert r.header("date") is None  # request record holds request headers


def test_botocore_percentiles(fake):
    for v in range(1, 101):
        fake.put_metric("AWS/Kinesis", "IncomingRecords", DIMS, "2026-11-25T10:03:00Z",
                        float(v))
    out = gms(client(fake), Statistics=None, ExtendedStatistics=["p99", "p50"])
    (d,) = out["Datapoints"]
    assert d["ExtendedStatistics"] == {"p99": 99.0, "p50": 50.0}
    assert "Sum" not in d


def test_json10_signed_by_botocore(fake):
    put_sample_minutes(fake)
    c = fake.issue_session()
    status, headers, body = raw_json(fake, GMS, c["AccessKeyId"], c["SecretAccessKey"],
                                     c["SessionToken"])
    assert status == 200, body
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert body["Label"] == "IncomingRecords"
    assert sorted((d["Timestamp"], d["Sum"]) for d in body["Datapoints"]) == \
        [(float(ts(f"2026-11-25T10:0{m}:00Z")), float(v))
         for m, v in enumerate([1, 2, 3, 4, 12])]
    (r,) = fake.requests
    assert r.api == "cloudwatch-json" and r.signature_ok and r.token == c["SessionToken"]
    assert r.signed_headers == ["content-type", "host", "x-amz-date", "x-amz-security-token",
                                "x-amz-target"]
    assert r.params == GMS


@pytest.mark.parametrize("mode,pattern", [("int", r'"Timestamp": 1795\d{6}[,}]'),
                                          ("sci", r'"Timestamp": 1\.\d+E9[,}]')])
def test_json_timestamp_styles(fake, mode, pattern):
    put_sample_minutes(fake)
    fake.json_timestamps = mode
    status, _, raw = raw_json(fake, GMS, parse=False)
    assert status == 200
    assert len(re.findall(pattern, raw.decode())) == 5, raw
    assert {d["Timestamp"] for d in json.loads(raw)["Datapoints"]} == \
        {ts(f"2026-11-25T10:0{m}:00Z") for m in range(5)}


def test_every_reply_has_date_and_request_id(fake):
    fake.clock_offset = 90
    for target, body in [(TARGET, GMS), (TARGET, {"Namespace": "x"}), ("Bogus.Op", {})]:
        _, h, _ = raw_json(fake, body, target=target)
        assert h["x-amzn-RequestId"]
        assert abs(email.utils.parsedate_to_datetime(h["Date"]).timestamp()
                   - fake.now()) < 3


def test_concurrent_requests_all_recorded(fake):
    put_sample_minutes(fake)
    errors = []

    def one():
        try:
            assert raw_json(fake, GMS)[0] == 200
        except Exception as e:  # noqa: BLE001 - collected for the main thread
            errors.append(e)
    threads = [threading.Thread(target=one) for _ in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert len(fake.requests_for("GetMetricStatistics")) == 20


# --------------------------------------------------------------------------- auth failures

def test_tampered_body_rejected(fake):
    fake.allow_bad_signatures = True
    status, _, body = raw_json(fake, GMS, tamper=lambda h, b: b.replace(b'"Sum"', b'"Max"'))
    assert status == 403 and body["__type"] == "SignatureDoesNotMatch"
    assert fake.requests[0].signature_ok is False


def test_tampered_header_rejected(fake):
    fake.allow_bad_signatures = True

    def later(h, b):
        h["X-Amz-Date"] = amz_date(time.time() + 1)
    status, _, body = raw_json(fake, GMS, tamper=later)
    assert status == 403 and body["__type"] == "SignatureDoesNotMatch"


def test_wrong_secret_query(fake):
    fake.allow_bad_signatures = True
    with pytest.raises(ClientError) as e:
        gms(client(fake, secret="not-the-secret"))
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key(fake):
    fake.add_key("AKIAREVOKEDKEY000001", "revoked-secret", invalid=True)
    status, h, body = raw_json(fake, GMS, akid="AKIAREVOKEDKEY000001", secret="revoked-secret")
    assert status == 403
    assert body == {"__type": "UnrecognizedClientException",
                    "message": "The security token included in the request is invalid."}
    assert "x-amzn-query-error" not in h
    with pytest.raises(ClientError) as e:
        gms(client(fake, akid="AKIAREVOKEDKEY000001", secret="revoked-secret"))
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidClientTokenId",
        "Message": "The security token included in the request is invalid."}
    assert all(r.signature_ok for r in fake.requests)  # secret known: still verifiable


def test_truly_unknown_key_is_not_verifiable(fake):
    fake.allow_bad_signatures = True
    status, _, body = raw_json(fake, GMS, akid="AKIANOBODYKNOWS00001", secret="x")
    assert status == 403 and body["__type"] == "UnrecognizedClientException"
    assert fake.requests[0].signature_ok is None


@pytest.mark.parametrize("offset,word", [(1200, "expired"), (-1200, "not yet current")])
def test_clock_skew(fake, offset, word):
    fake.clock_offset = offset
    sent = time.time()
    status, h, body = raw_json(fake, GMS)
    assert status == 403 and body["__type"] == "SignatureDoesNotMatch"
    a, now = amz_date(sent), amz_date(fake.now())
    if offset > 0:
        m = re.fullmatch(r"Signature expired: (\w+) is now earlier than (\w+) \((\w+) - 5 min\.\)",
                         body["message"])
    else:
        m = re.fullmatch(r"Signature not yet current: (\w+) is still later than (\w+) "
                         r"\((\w+) \+ 5 min\.\)", body["message"])
    assert m and m.group(1) == a, body
    server_now = parse_amz_date(m.group(3))
    assert abs(server_now - parse_amz_date(now)) <= 2
    assert parse_amz_date(m.group(2)) == server_now + (-300 if offset > 0 else 300)
    assert word in body["message"]
    # The Date header carries the fake's clock: a client can correct itself...
    server = email.utils.parsedate_to_datetime(h["Date"]).timestamp()
    assert abs(server - time.time() - offset) < 3
    # ...and a request signed with the corrected clock passes.
    assert raw_json(fake, GMS, stamp=time.time() + offset)[0] == 200


def test_expired_session_token(fake):
    c = fake.issue_session()
    fake.expire_key(c["AccessKeyId"])
    status, _, body = raw_json(fake, GMS, c["AccessKeyId"], c["SecretAccessKey"],
                               c["SessionToken"])
    assert status == 403 and body["__type"] == "ExpiredTokenException"
    with pytest.raises(ClientError) as e:
        gms(client(fake, akid=c["AccessKeyId"], secret=c["SecretAccessKey"],
                   token=c["SessionToken"]))
    assert e.value.response["Error"]["Code"] == "ExpiredToken"


def test_session_token_rules(fake):
    c = fake.issue_session()
    # temporary key without its token
    status, _, body = raw_json(fake, GMS, c["AccessKeyId"], c["SecretAccessKey"])
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")

    # token sent but left out of SignedHeaders
    def unsigned_token(h, b):
        h["X-Amz-Security-Token"] = c["SessionToken"]
    status, _, body = raw_json(fake, GMS, c["AccessKeyId"], c["SecretAccessKey"],
                               tamper=unsigned_token)
    assert (status, body["__type"]) == (400, "IncompleteSignature")
    assert fake.requests[-1].problems == ["x-amz-security-token is not signed"]


@pytest.mark.parametrize("kw,msg", [
    ({"region": "us-east-1"}, "Credential should be scoped to a valid region, not 'us-east-1'."),
    ({"service": "sts"}, "Credential should be scoped to correct service: 'monitoring'."),
])
def test_scope_checks(fake, kw, msg):
    status, _, body = raw_json(fake, GMS, **kw)
    assert (status, body["__type"], body["message"]) == (403, "SignatureDoesNotMatch", msg)


def test_missing_authorization(fake):
    fake.allow_bad_signatures = True
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("POST", "/", json.dumps(GMS), {"X-Amz-Target": TARGET,
                                                "Content-Type": "application/x-amz-json-1.0"})
    r = conn.getresponse()
    assert r.status == 403
    assert json.loads(r.read())["__type"] == "MissingAuthenticationTokenException"


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize("over,code", [
    ({"Namespace": None}, "MissingParameter"),
    ({"Period": 61}, "InvalidParameterValue"),
    ({"Period": 0}, "InvalidParameterValue"),
    ({"ExtendedStatistics": ["p99"]}, "InvalidParameterCombination"),
    ({"Statistics": None}, "InvalidParameterCombination"),
    ({"Statistics": ["Sum", "Average", "Minimum", "Maximum", "SampleCount", "Sum"]},
     "InvalidParameterValue"),
    ({"Statistics": ["Median"]}, "InvalidParameterValue"),
    ({"Period": 60, "StartTime": ts("2026-11-23T00:00:00Z")}, "InvalidParameterCombination"),
    ({"StartTime": ts("2026-11-25T10:05:00Z")}, "InvalidParameterValue"),
    ({"Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]},
     "InvalidParameterValue"),
])
def test_gms_validation(fake, over, code):
    body = {k: v for k, v in dict(GMS, **over).items() if v is not None}
    status, h, out = raw_json(fake, body)
    assert status == 400, out
    assert out["__type"].endswith("#" + {"MissingParameter": "MissingRequiredParameterException"}
                                  .get(code, code + "Exception")), out
    assert h["x-amzn-query-error"] == f"{code};Sender"
    # the same input over Query (botocore, client-side validation off)
    q = dict(over)
    for k in ("StartTime", "EndTime"):
        if k in q:
            q[k] = dt.datetime.fromtimestamp(q[k], UTC)
    with pytest.raises(ClientError) as e:
        gms(client(fake, parameter_validation=False), **q)
    assert e.value.response["Error"]["Code"] == code


def test_json_timestamps_must_be_numbers(fake):
    status, _, out = raw_json(fake, dict(GMS, StartTime="2026-11-25T10:00:00Z"))
    assert (status, out["__type"]) == (400, "SerializationException")


def test_json_wrong_content_type_and_unknown_op(fake):
    def ctype(h, b):
        h["Content-Type"] = "application/json"
    fake.allow_bad_signatures = True  # content-type is signed: tampering breaks it
    assert raw_json(fake, GMS, tamper=ctype)[0] == 403
    status, _, out = raw_json(fake, {}, target="GraniteServiceVersion20100801.ListMetrics")
    assert (status, out["__type"]) == (400, "UnknownOperationException")


# --------------------------------------------------------------------------- GetMetricData

@pytest.fixture(params=["query", "json"])
def cw(request, fake, json_model_dir):  # noqa: F811 - json_model_dir is the fixture
    """botocore against the fake, speaking Query or (model switched) JSON 1.0; client-side
    parameter validation off, so that the fake rejects bad input."""
    c = make_client(fake, request.param, json_model_dir)
    c.protocol = request.param
    return c


def mdq(qid, stat="Sum", stream="sample", period=60, unit=None, **over):
    """A MetricDataQuery of IncomingRecords{StreamName=stream}."""
    ms = {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                     "Dimensions": [{"Name": "StreamName", "Value": stream}]},
          "Period": period, "Stat": stat}
    if unit:
        ms["Unit"] = unit
    return dict({"Id": qid, "MetricStat": ms}, **over)


def gmd(cw, queries, start=GMS["StartTime"], end=GMS["EndTime"], **kw):
    """GetMetricData over [start, end) (epoch seconds; None leaves the member out)."""
    for k, t in (("StartTime", start), ("EndTime", end)):
        if t is not None:
            kw[k] = dt.datetime.fromtimestamp(t, UTC)
    return cw.get_metric_data(MetricDataQueries=queries, **kw)


def series(result) -> list:
    """[(epoch, value)] of one MetricDataResult, in the reply's order."""
    return [(int(t.timestamp()), v) for t, v in zip(result["Timestamps"], result["Values"])]


def test_botocore_several_statistics(cw, fake):
    put_sample_minutes(fake)
    fake.put_metric("AWS/Kinesis", "IncomingRecords", DIMS, "2026-11-25T10:04:30Z", 1.0)
    out = gms(cw, Statistics=list(STATISTICS))
    d = {int(x["Timestamp"].timestamp()): x for x in out["Datapoints"]}[
        ts("2026-11-25T10:04:00Z")]
    assert [d[k] for k in STATISTICS] == [2.0, 6.5, 13.0, 1.0, 12.0]
    pct = ["p1", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9", "p100"]
    out = gms(cw, Statistics=None, ExtendedStatistics=pct)
    assert len(out["Datapoints"]) == 5
    assert all(sorted(x["ExtendedStatistics"]) == sorted(pct) for x in out["Datapoints"])
    # the per-call limits, and never both lists in one call
    check_error(error_of(gms, cw, Statistics=list(STATISTICS) + ["Sum"]),
                "InvalidParameterValue", fragment="Statistics must not have a size greater "
                "than 5", protocol=cw.protocol)
    check_error(error_of(gms, cw, Statistics=None, ExtendedStatistics=pct + ["p0"]),
                "InvalidParameterValue", fragment="ExtendedStatistics must not have a size "
                "greater than 10", protocol=cw.protocol)
    check_error(error_of(gms, cw, Statistics=["Sum"], ExtendedStatistics=["p99"]),
                "InvalidParameterCombination", fragment="not both", protocol=cw.protocol)
    rs = fake.requests_for("GetMetricStatistics")
    assert {r.api for r in rs} == {"cloudwatch-json" if cw.protocol == "json"
                                   else "cloudwatch-query"}


def test_botocore_gmd(cw, fake):
    put_sample_minutes(fake)
    for v in range(1, 101):   # raw values: percentiles exist
        fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "pct"},
                        "2026-11-25T10:03:00Z", float(v))
    # a statistic set: Sum and SampleCount, but no percentiles
    fake.put_metric("AWS/Kinesis", "IncomingRecords", {"StreamName": "sets"},
                    "2026-11-25T10:02:00Z", {"SampleCount": 4, "Sum": 10, "Minimum": 1,
                                             "Maximum": 4})
    out = gmd(cw, [mdq("m1"), mdq("m2", "Maximum"), mdq("p", "p50", stream="pct"),
                   mdq("sets", "p99", stream="sets"), mdq("hidden", ReturnData=False),
                   mdq("cnt", "SampleCount", stream="sets", unit="Count")],
              ScanBy="TimestampAscending")
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert list(res) == ["m1", "m2", "p", "sets", "cnt"]   # ReturnData false: no result
    minutes = [ts(f"2026-11-25T10:0{m}:00Z") for m in range(5)]
    # EndTime exclusive, other streams left out, oldest first, period starts
    assert series(res["m1"]) == list(zip(minutes, [1.0, 2.0, 3.0, 4.0, 12.0]))
    assert series(res["m2"]) == list(zip(minutes, [1.0, 2.0, 3.0, 4.0, 12.0]))
    assert series(res["p"]) == [(minutes[3], 50.0)]
    assert series(res["sets"]) == []
    assert series(res["cnt"]) == [(minutes[2], 4.0)]
    assert {r["StatusCode"] for r in res.values()} == {"Complete"}
    assert res["m1"]["Label"] == "IncomingRecords"
    assert "NextToken" not in out
    # the default order is newest first
    out = gmd(cw, [mdq("m1", Label="in")])
    (r,) = out["MetricDataResults"]
    assert [t for t, _ in series(r)] == minutes[::-1] and r["Label"] == "in"
    # the same values as GetMetricStatistics gives for the window
    g = {int(d["Timestamp"].timestamp()): d["Sum"] for d in gms(cw)["Datapoints"]}
    assert sorted(g.items()) == series(res["m1"])
    rs = fake.requests_for("GetMetricData")
    assert len(rs) == 2 and all(x.signature_ok and x.status == 200 for x in rs)
    assert {x.api for x in rs} == {"cloudwatch-json" if cw.protocol == "json"
                                   else "cloudwatch-query"}


def test_botocore_gmd_pages(cw, fake):
    put_sample_minutes(fake)
    qs = [mdq("a"), mdq("b", stream="other"), mdq("c", "Maximum")]
    whole = gmd(cw, qs, ScanBy="TimestampAscending")
    assert "NextToken" not in whole
    fake.gmd_max_datapoints = 4   # 11 values: pages of 4, 4 and 3
    pages, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        out = gmd(cw, qs, ScanBy="TimestampAscending", **kw)
        pages.append(out)
        token = out.get("NextToken")
        if not token:
            break
    assert [sum(len(r["Values"]) for r in p["MetricDataResults"]) for p in pages] == [4, 4, 3]
    # oldest first across all queries: a and c share the first minutes; b's one value
    # (10:04) comes last, so it is PartialData until the last page
    assert [[r["StatusCode"] for r in p["MetricDataResults"]] for p in pages] == [
        ["PartialData"] * 3, ["PartialData"] * 3, ["Complete"] * 3]
    merged = {q["Id"]: [] for q in qs}
    for p in pages:
        for r in p["MetricDataResults"]:
            merged[r["Id"]] += series(r)
    assert merged == {r["Id"]: series(r) for r in whole["MetricDataResults"]}
    # MaxDatapoints in the request lowers the page size too
    out = gmd(cw, qs, ScanBy="TimestampAscending", MaxDatapoints=2)
    assert sum(len(r["Values"]) for r in out["MetricDataResults"]) == 2 and out["NextToken"]
    # a token belongs to its request
    first = pages[0]["NextToken"]
    for q, tok in (([mdq("a")], first), (qs, "not-a-token")):
        check_error(error_of(gmd, cw, q, ScanBy="TimestampAscending", NextToken=tok),
                    "InvalidNextToken", protocol=cw.protocol)
    check_error(error_of(gmd, cw, qs, NextToken=first), "InvalidNextToken",
                protocol=cw.protocol)   # ScanBy differs


@pytest.mark.parametrize("queries,kw,code,fragment", [
    ([mdq(f"q{i}") for i in range(501)], {}, "ValidationError",
     "The collection MetricDataQueries must not have a size greater than 500."),
    ([], {}, "ValidationError", "must not be empty"),
    ([mdq("M1")], {}, "ValidationError", "MetricDataQueries.member.1.Id is not matching "
     "the expected pattern ^[a-z][a-zA-Z0-9_]*$."),
    ([mdq("a" * 256)], {}, "ValidationError", "Member must have length less than or equal"),
    ([mdq("a"), mdq("a")], {}, "ValidationError", "The values for parameter id in "
     "MetricDataQueries are not unique."),
    ([mdq("a", "Median")], {}, "ValidationError",
     "The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is not a "
     "valid statistic."),
    ([mdq("a", period=45)], {}, "ValidationError", "MetricStat.Period must be 1, 5, 10"),
    ([mdq("a", period=0)], {}, "ValidationError", "greater than or equal to 1"),
    ([mdq("a", unit="Furlongs")], {}, "ValidationError", "enum value set"),
    ([mdq("a", Expression="m1 * 2")], {}, "ValidationError", "Exactly one of"),
    ([{"Id": "a", "MetricStat": {"Metric": {"MetricName": "x"}, "Stat": "Sum"}}], {},
     "ValidationError", "Value null at 'metricDataQueries.1.member.metricStat.period'"),
    ([mdq("a")], {"start": GMS["EndTime"]}, "ValidationError",
     "The parameter StartTime must be less than the parameter EndTime."),
    ([mdq("a")], {"start": None}, "ValidationError", "Value null at 'startTime'"),
    ([mdq("a")], {"ScanBy": "Sideways"}, "ValidationError", "enum value set"),
    ([mdq("a")], {"MaxDatapoints": 0}, "ValidationError", "greater than or equal to 1"),
])
def test_gmd_validation(cw, queries, kw, code, fragment):
    check_error(error_of(gmd, cw, queries, **kw), code, fragment=fragment,
                protocol=cw.protocol)


# What tests/unit/test_cloudwatch.c checks streamwatch sends (docs/aws-wire.md §15).
GMD_BODY = (b'{"MetricDataQueries":[{"Id":"m0","MetricStat":{"Metric":{"Namespace":"AWS/Kinesis",'
            b'"MetricName":"IncomingRecords","Dimensions":[{"Name":"StreamName","Value":"orders"}]'
            b'},"Period":60,"Stat":"Sum"},"ReturnData":true},{"Id":"m1","MetricStat":{"Metric":'
            b'{"Namespace":"AWS/Kinesis","MetricName":"GetRecords.IteratorAgeMilliseconds",'
            b'"Dimensions":[{"Name":"StreamName","Value":"orders"}]},"Period":60,"Stat":"p99",'
            b'"Unit":"Milliseconds"},"ReturnData":true}],"StartTime":1764150900,"EndTime":'
            b'1764151500,"ScanBy":"TimestampAscending"}')


@pytest.mark.parametrize("mode,pattern", [("float", r"1764151200\.0"),
                                          ("int", r"1764151200[],]"),
                                          ("sci", r"1\.7641512E9")])
def test_gmd_json_wire(fake, mode, pattern):
    orders = {"StreamName": "orders"}
    fake.put_metric("AWS/Kinesis", "IncomingRecords", orders, "2025-11-26T10:00:10Z", 1487.0)
    fake.put_metric("AWS/Kinesis", "IncomingRecords", orders, "2025-11-26T10:01:00Z", 1520.0)
    for v in (180.0, 250.0):
        fake.put_metric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", orders,
                        "2025-11-26T10:00:30Z", v, unit="Milliseconds")
    fake.json_timestamps = mode
    st, h, raw = raw_json(fake, GMD_BODY, target="GraniteServiceVersion20100801.GetMetricData",
                          parse=False)
    assert st == 200 and h["Content-Type"] == "application/x-amz-json-1.0", raw
    assert re.search(pattern, raw.decode()), raw
    out = json.loads(raw)
    assert list(out) == ["MetricDataResults", "Messages"]
    m0, m1 = out["MetricDataResults"]
    assert list(m0) == ["Id", "Label", "Timestamps", "Values", "StatusCode", "Messages"]
    assert (m0["Id"], m0["Timestamps"], m0["Values"], m0["StatusCode"]) == \
        ("m0", [1764151200, 1764151260], [1487.0, 1520.0], "Complete")
    assert (m1["Timestamps"], m1["Values"]) == ([1764151200], [250.0])
    # a timestamp must be a number in JSON 1.0; the error carries the Query code too
    body = json.loads(GMD_BODY)
    st, _, err = raw_json(fake, dict(body, StartTime="2025-11-26T09:55:00Z"),
                          target="GraniteServiceVersion20100801.GetMetricData")
    assert (st, err["__type"]) == (400, "SerializationException")
    st, h, err = raw_json(fake, dict(body, EndTime=1764150900),
                          target="GraniteServiceVersion20100801.GetMetricData")
    assert (st, err["__type"], h["x-amzn-query-error"]) == (
        400, "com.amazon.coral.validate#ValidationException", "ValidationError;Sender")


# --------------------------------------------------------------------------- faults

def test_throttling_then_success_with_botocore_retries(fake):
    put_sample_minutes(fake)
    fake.fail_next("GetMetricStatistics", [("Throttling", 400), ("Throttling", 400)])
    cw = client(fake, retries={"mode": "standard", "max_attempts": 3})
    assert len(gms(cw)["Datapoints"]) == 5
    rs = fake.requests_for("GetMetricStatistics")
    assert [r.status for r in rs] == [400, 400, 200]
    assert [r.error for r in rs] == ["Throttling", "Throttling", None]


@pytest.mark.parametrize("fault,status,qerr", [
    (("Throttling", 400), 400, "Throttling;Sender"),
    (("TooManyRequestsException", 429), 429, "TooManyRequestsException;Sender"),
    (("InternalFailure", 500), 500, "InternalFailure;Receiver"),
    (("ServiceUnavailable", 503, "try later"), 503, "ServiceUnavailable;Receiver"),
])
def test_error_faults_json(fake, fault, status, qerr):
    fake.fail_next("GetMetricStatistics", [fault])
    st, h, out = raw_json(fake, GMS)
    assert st == status and out["__type"] == fault[0] and h["x-amzn-query-error"] == qerr
    if len(fault) > 2:
        assert out["message"] == fault[2]
    assert raw_json(fake, GMS)[0] == 200  # consumed


def test_fail_always_and_match(fake):
    fake.fail_always("GetMetricStatistics", ("InternalFailure", 500),
                     match=lambda r: r.params["Dimensions"][0]["Value"] == "other")
    other = dict(GMS, Dimensions=[{"Name": "StreamName", "Value": "other"}])
    assert [raw_json(fake, other)[0] for _ in range(3)] == [500, 500, 500]
    assert raw_json(fake, GMS)[0] == 200
    fake.clear_faults()
    assert raw_json(fake, other)[0] == 200


def test_hang_does_not_block_and_is_released(fake):
    fake.fail_next("GetMetricStatistics", ["hang", "hang"])
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        raw_json(fake, GMS, timeout=1)
    assert time.monotonic() - t0 < 3
    hung = threading.Thread(target=lambda: pytest.raises(Exception, raw_json, fake, GMS,
                                                         timeout=30), daemon=True)
    hung.start()
    time.sleep(0.3)
    assert raw_json(fake, GMS)[0] == 200  # other threads keep serving
    t0 = time.monotonic()
    fake.stop()
    hung.join(5)
    assert time.monotonic() - t0 < 3 and not hung.is_alive()


def test_malformed_truncated_raw_close(fake):
    fake.fail_next("GetMetricStatistics", ["malformed"])
    st, _, body = raw_json(fake, GMS)
    assert st == 200 and isinstance(body, bytes)  # not parseable JSON
    fake.fail_next("GetMetricStatistics", ["truncated"])
    with pytest.raises(http.client.IncompleteRead):
        raw_json(fake, GMS)
    fake.fail_next("GetMetricStatistics", [("raw", b"HTTP/1.1 200 OK\r\nContent-Length: 2"
                                            b"\r\n\r\n[]")])
    assert raw_json(fake, GMS)[2] == []
    fake.fail_next("GetMetricStatistics", ["close"])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        raw_json(fake, GMS)
    fake.fail_next("GetMetricStatistics", [{"status": 200, "body": b'{"Datapoints": 7}',
                                            "headers": {"Content-Type": "x/y"}}])
    assert raw_json(fake, GMS)[2] == {"Datapoints": 7}
    fake.fail_next("*", [("delay", 0.3)])
    t0 = time.monotonic()
    assert raw_json(fake, GMS)[0] == 200 and time.monotonic() - t0 >= 0.3


# --------------------------------------------------------------------------- STS

def test_sts_assume_role_then_use(fake):
    put_sample_minutes(fake)
    sts = client(fake, "sts")
    out = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/streamwatch",
                          RoleSessionName="streamwatch-it", DurationSeconds=900,
                          ExternalId="ext-123")
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert abs(c["Expiration"].timestamp() - fake.now() - 900) < 5
    assert out["AssumedRoleUser"]["Arn"] == \
        "arn:aws:sts::123456789012:assumed-role/streamwatch/streamwatch-it"
    r = fake.requests[0]
    assert (r.api, r.op, r.service, r.signature_ok) == ("sts", "AssumeRole", "sts", True)
    assert r.form["ExternalId"] == "ext-123" and r.form["Version"] == "2011-06-15"
    cw = client(fake, akid=c["AccessKeyId"], secret=c["SecretAccessKey"],
                token=c["SessionToken"])
    assert len(gms(cw)["Datapoints"]) == 5
    assert fake.requests[-1].token == c["SessionToken"]
    assert "x-amz-security-token" in fake.requests[-1].signed_headers


def test_sts_errors(fake):
    sts = client(fake, "sts", parameter_validation=False)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/streamwatch",
                        RoleSessionName="bad name!")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/streamwatch",
                        RoleSessionName="ok", DurationSeconds=60)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    st, _, body = raw_query(fake, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                            "iam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=ab",
                            service="monitoring")
    assert st == 403 and b"Credential should be scoped to correct service: 'sts'." in body
    fake.allow_bad_signatures = True
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("POST", "/", "Action=Frobnicate&Version=2011-06-15",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    body = r.read().decode()
    assert r.status == 403 and "<Code>MissingAuthenticationToken</Code>" in body


def test_sts_unknown_action_xml(fake):
    st, _, body = raw_query(fake, "Action=Frobnicate&Version=2011-06-15")
    assert st == 400
    assert re.search(r"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\s*"
                     r"<Error>\s*<Type>Sender</Type>\s*<Code>InvalidAction</Code>",
                     body.decode())


# --------------------------------------------------------------------------- IMDSv2

def test_imds_v2_flow(fake):
    def call(method, path, headers):
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
        conn.request(method, path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode()

    base = "/latest/meta-data/iam/security-credentials/"
    assert call("PUT", "/latest/api/token", {})[0] == 400
    assert call("GET", base, {})[0] == 401  # v1 refused
    st, token = call("PUT", "/latest/api/token",
                     {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    assert st == 200
    hdr = {"X-aws-ec2-metadata-token": token}
    assert call("GET", base, {"X-aws-ec2-metadata-token": "wrong"})[0] == 401
    st, role = call("GET", base, hdr)
    assert (st, role) == (200, fake.imds_role)
    assert call("GET", base + "other-role", hdr)[0] == 404
    st, body = call("GET", base + role, hdr)
    c = json.loads(body)
    assert c["Code"] == "Success" and c["Type"] == "AWS-HMAC"
    put_sample_minutes(fake)
    cw = client(fake, akid=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["Token"])
    assert len(gms(cw)["Datapoints"]) == 5
    assert [r.op for r in fake.requests] == ["IMDSToken", "IMDSRoleList", "IMDSToken",
                                             "IMDSRoleList", "IMDSRoleList", "IMDSCredentials",
                                             "IMDSCredentials", "GetMetricStatistics"]


# --------------------------------------------------------------------------- standalone

def test_standalone_mode(tmp_path):
    here = Path(__file__).resolve().parent
    port_file, pid_file, log = tmp_path / "port", tmp_path / "pid", tmp_path / "req.jsonl"
    p = subprocess.Popen([sys.executable, str(here / "fakeaws.py"), "--port-file",
                          str(port_file), "--pid-file", str(pid_file), "--requests-log",
                          str(log), "--key", "AKIASTANDALONE000001:s3cret"],
                         stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if port_file.exists():
                break
            time.sleep(0.05)
        port = int(port_file.read_text())
        assert int(pid_file.read_text()) == p.pid
        # what the request helpers need to know about the endpoint
        f = types.SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port,
                                  region="ap-northeast-1", DEFAULT_AKID="AKIASTANDALONE000001",
                                  DEFAULT_SECRET="s3cret")
        ctl = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        ctl.request("POST", "/_fake/metrics", json.dumps(
            [{"metric": "IncomingRecords", "dimensions": DIMS,
              "timestamp": "2026-11-25T10:04:00Z", "value": 12.0}]))
        assert ctl.getresponse().read() == b"{}"
        st, _, body = raw_json(f, GMS)
        assert st == 200 and [d["Sum"] for d in body["Datapoints"]] == [12.0]
        ctl.request("GET", "/_fake/requests")
        (rec,) = json.loads(ctl.getresponse().read())
        assert rec["signature_ok"] is True and rec["op"] == "GetMetricStatistics"
        ctl.close()
    finally:
        p.terminate()
        assert p.wait(5) == 0
    assert not port_file.exists() and not pid_file.exists()
    (line,) = log.read_text().splitlines()
    assert json.loads(line)["op"] == "GetMetricStatistics"
    assert "listening on http://127.0.0.1:" in p.stdout.read()
