"""Self-test of fakeaws.py's Kinesis ListStreams and DescribeStreamSummary, with
botocore as the client.

Debian's botocore 1.29 models ListStreams without NextToken (it pages with
ExclusiveStartStreamName); newer ones page with NextToken.  The client tests
work with either; NextToken, StreamSummaries and the error cases are also
checked with requests signed by botocore's SigV4Auth and sent by hand, as AWS
JSON 1.1.  Needs no streamwatch binary.
"""

import base64
import http.client
import json
import time

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from fakeaws import amz_date

TARGET = "Kinesis_20131202.ListStreams"
JSON11 = "application/x-amz-json-1.1"


def kinesis(fake, **cfg):
    cfg.setdefault("retries", {"mode": "standard", "total_max_attempts": 1})
    return botocore.session.Session().create_client(
        "kinesis", region_name=fake.region, endpoint_url=fake.url,
        aws_access_key_id=fake.DEFAULT_AKID, aws_secret_access_key=fake.DEFAULT_SECRET,
        config=Config(**cfg))


def call(fake, params, target=TARGET, ctype=JSON11, service="kinesis", stamp=None,
         sign=True, parse=True):
    """POST a JSON 1.1 request signed by botocore's SigV4Auth at `stamp` (epoch,
    default the fake's clock).  Returns (status, headers, body), the body decoded
    unless parse is False."""
    data = json.dumps(params).encode() if not isinstance(params, bytes) else params
    req = AWSRequest("POST", fake.url + "/", data=data,
                     headers={"X-Amz-Target": target, "Content-Type": ctype})
    if sign:
        auth = SigV4Auth(Credentials(fake.DEFAULT_AKID, fake.DEFAULT_SECRET), service,
                         fake.region)
        req.context["timestamp"] = amz_date(fake.now() if stamp is None else stamp)
        auth._modify_request_before_signing(req)
        cr = auth.canonical_request(req)
        auth._inject_signature_to_request(req, auth.signature(auth.string_to_sign(req, cr),
                                                              req))
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.request("POST", "/", data, dict(req.headers.items()))
        r = conn.getresponse()
        raw = r.read()
        return r.status, r.headers, json.loads(raw or b"null") if parse else raw
    finally:
        conn.close()


def all_pages(fake, **first):
    """Follow NextToken by hand; returns the list of page bodies."""
    pages, params = [], dict(first)
    while True:
        status, _, body = call(fake, params)
        assert status == 200, body
        pages.append(body)
        if not body["HasMoreStreams"]:
            return pages
        params = {"NextToken": body["NextToken"]}
        assert len(pages) < 50


def test_client_first_page_and_paginator(fake):
    for n in ("orders", "clicks-2", "clicks-1", "payments", "audit"):
        fake.add_stream(n)
    k = kinesis(fake)
    r = k.list_streams()
    # Sorted, at most kinesis_page_size (2) a page, more to come.
    assert r["StreamNames"] == ["audit", "clicks-1"]
    assert r["HasMoreStreams"] is True
    names = []
    for page in k.get_paginator("list_streams").paginate():
        assert len(page["StreamNames"]) <= 2
        names += page["StreamNames"]
    assert names == ["audit", "clicks-1", "clicks-2", "orders", "payments"]
    reqs = fake.requests_for("ListStreams")
    assert len(reqs) == 1 + 3
    for q in reqs:
        assert q.api == "kinesis" and q.service == "kinesis" and q.signature_ok
        assert q.header("x-amz-target") == TARGET
        assert q.header("content-type").startswith(JSON11)
        assert "x-amz-target" in q.signed_headers
        assert q.status == 200


def test_next_token_paging_and_summaries(fake):
    fake.add_stream("a", mode="ON_DEMAND", created="2026-11-01T00:00:00Z")
    fake.add_stream("b", status="CREATING")
    fake.add_stream("c", status="DELETING")
    fake.add_stream("d")
    fake.add_stream("e")
    pages = all_pages(fake)
    assert [p["StreamNames"] for p in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert [p["HasMoreStreams"] for p in pages] == [True, True, False]
    assert "NextToken" in pages[0] and "NextToken" in pages[1]
    assert "NextToken" not in pages[2]
    s = pages[0]["StreamSummaries"]
    assert s[0] == {"StreamName": "a",
                    "StreamARN": f"arn:aws:kinesis:{fake.region}:123456789012:stream/a",
                    "StreamStatus": "ACTIVE", "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
                    "StreamCreationTimestamp": 1793491200.0}
    assert s[1]["StreamStatus"] == "CREATING"
    assert pages[1]["StreamSummaries"][0]["StreamStatus"] == "DELETING"
    assert pages[1]["StreamSummaries"][1]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_client_parses_reply_with_newer_members(fake):
    # Whatever botocore's model knows, the reply must parse (unknown members are
    # skipped by old models, and StreamCreationTimestamp is epoch seconds).
    fake.add_stream("orders")
    r = kinesis(fake).list_streams(Limit=5)
    assert r["StreamNames"] == ["orders"] and r["HasMoreStreams"] is False
    assert "NextToken" not in r
    if "StreamSummaries" in r:
        assert r["StreamSummaries"][0]["StreamStatus"] == "ACTIVE"
        assert r["StreamSummaries"][0]["StreamCreationTimestamp"].year >= 2024


# NextToken paging is exercised end to end by the agent itself
# (test_agent_features.py: three ListStreams pages); Debian's botocore 1.29
# does not model NextToken for ListStreams, so it is not driven from here.


def test_limit_exclusive_start_and_page_size(fake):
    for n in "abcdefg":
        fake.add_stream(n)
    fake.kinesis_page_size = 100
    assert call(fake, {})[2]["StreamNames"] == list("abcdefg")
    body = call(fake, {"Limit": 3})[2]
    assert body["StreamNames"] == ["a", "b", "c"] and body["HasMoreStreams"] is True
    body = call(fake, {"Limit": 3, "ExclusiveStartStreamName": "c"})[2]
    assert body["StreamNames"] == ["d", "e", "f"]
    # The start name need not exist: it is a position.
    body = call(fake, {"ExclusiveStartStreamName": "dd"})[2]
    assert body["StreamNames"] == ["e", "f", "g"] and body["HasMoreStreams"] is False
    # A token keeps its place; Limit applies per request.
    fake.kinesis_page_size = 2
    first = call(fake, {"Limit": 10})[2]
    assert first["StreamNames"] == ["a", "b"]
    assert call(fake, {"NextToken": first["NextToken"], "Limit": 1})[2]["StreamNames"] == ["c"]


def test_empty_account(fake):
    status, _, body = call(fake, {})
    assert status == 200
    assert body == {"StreamNames": [], "HasMoreStreams": False, "StreamSummaries": []}


def test_validation_errors(fake):
    fake.add_stream("a")
    cases = [
        ({"Limit": 0}, "ValidationException"),
        ({"Limit": 10001}, "ValidationException"),
        ({"Limit": "2"}, "SerializationException"),
        ({"Limit": True}, "SerializationException"),
        ({"ExclusiveStartStreamName": "a b"}, "ValidationException"),
        ({"ExclusiveStartStreamName": "x" * 129}, "ValidationException"),
        ({"NextToken": ""}, "ValidationException"),
        ({"NextToken": 5}, "SerializationException"),
        ({"NextToken": "not-a-token"}, "InvalidArgumentException"),
        ({"NextToken": base64.urlsafe_b64encode(b'{"after": "a", "iat": 1}').decode(),
          "ExclusiveStartStreamName": "a"}, "InvalidArgumentException"),
    ]
    for params, code in cases:
        status, headers, body = call(fake, params)
        assert (status, body["__type"]) == (400, code), params
        assert body["message"]
        assert headers["Content-Type"] == JSON11
        assert "x-amzn-query-error" not in headers
    status, _, body = call(fake, b"[1, 2]")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_expired_token(fake):
    for n in "abc":
        fake.add_stream(n)
    tok = call(fake, {})[2]["NextToken"]
    fake.clock_offset += 301          # requests are signed with the fake's clock
    status, _, body = call(fake, {"NextToken": tok})
    assert (status, body["__type"]) == (400, "ExpiredNextTokenException")
    k = kinesis(fake)
    if "NextToken" in k.meta.service_model.operation_model("ListStreams").input_shape.members:
        # botocore signs with the real clock: stay within the 5-minute skew
        # on both calls and still let the token age past its 300 s.
        fake.clock_offset = -200
        tok = k.list_streams()["NextToken"]
        fake.clock_offset = 150
        with pytest.raises(ClientError) as ei:
            kinesis(fake).list_streams(NextToken=tok)
        assert ei.value.response["Error"]["Code"] == "ExpiredNextTokenException"


def test_protocol_errors(fake):
    status, _, body = call(fake, {}, ctype="application/x-amz-json-1.0")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, _, body = call(fake, {}, target="Kinesis_20131202.DescribeStream")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    # Signed for CloudWatch's name: refused as AWS refuses a wrong scope.
    status, _, body = call(fake, {}, service="monitoring")
    assert (status, body["__type"]) == (403, "SignatureDoesNotMatch")
    assert "'kinesis'" in body["message"]
    # Auth errors use the JSON protocol's exception names.
    fake.allow_bad_signatures = True  # the unsigned request below is the point
    status, _, body = call(fake, {}, sign=False)
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")
    status, _, body = call(fake, {}, stamp=time.time() - 3600)
    assert (status, body["__type"]) == (403, "SignatureDoesNotMatch")


def test_faults_in_json11(fake):
    fake.add_stream("orders")
    fake.fail_next("ListStreams", [("LimitExceededException", 400,
                                    "Rate exceeded for account 123456789012."), "malformed"])
    with pytest.raises(ClientError) as ei:
        kinesis(fake).list_streams()
    err = ei.value.response
    assert err["Error"]["Code"] == "LimitExceededException"
    assert err["Error"]["Message"] == "Rate exceeded for account 123456789012."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    status, headers, body = call(fake, {}, parse=False)
    assert status == 200 and headers["Content-Type"] == JSON11
    with pytest.raises(ValueError):
        json.loads(body)
    # Retried by botocore's standard mode: throttling, then success.
    fake.fail_next("ListStreams", [("LimitExceededException", 400)])
    r = kinesis(fake, retries={"mode": "standard", "total_max_attempts": 3}).list_streams()
    assert r["StreamNames"] == ["orders"]
    assert [q.status for q in fake.requests_for("ListStreams")] == [400, 200, 400, 200]


def test_control_api_and_reset(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    conn.request("POST", "/_fake/streams",
                 json.dumps(["orders", {"name": "old", "status": "DELETING"}]))
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b"{}"
    conn.request("POST", "/_fake/streams", json.dumps(["bad name"]))
    r = conn.getresponse()
    assert r.status == 400 and b"invalid Kinesis stream name" in r.read()
    conn.close()
    body = call(fake, {"Limit": 10})[2]
    assert body["StreamNames"] == ["old", "orders"]
    assert body["StreamSummaries"][0]["StreamStatus"] == "DELETING"
    fake.remove_stream("old")
    fake.remove_stream("never-there")
    assert call(fake, {})[2]["StreamNames"] == ["orders"]
    with pytest.raises(ValueError):
        fake.add_stream("a/b")
    fake.reset()
    assert call(fake, {})[2]["StreamNames"] == []


# --------------------------------------------------------------------------- DescribeStreamSummary

SUMMARY = "Kinesis_20131202.DescribeStreamSummary"


def test_describe_stream_summary(fake):
    fake.add_stream("orders", shards=4)
    fake.add_stream("clicks")                       # one shard unless told
    k = kinesis(fake)
    s = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
    assert s["StreamName"] == "orders" and s["OpenShardCount"] == 4
    assert s["StreamStatus"] == "ACTIVE"
    assert s["StreamARN"] == f"arn:aws:kinesis:{fake.region}:123456789012:stream/orders"
    # Every member the model requires is there (botocore parsed it above).
    assert {"RetentionPeriodHours", "StreamCreationTimestamp", "EnhancedMonitoring"} <= set(s)
    assert k.describe_stream_summary(StreamName="clicks")[
        "StreamDescriptionSummary"]["OpenShardCount"] == 1
    fake.set_shards("orders", 8)
    assert k.describe_stream_summary(StreamName="orders")[
        "StreamDescriptionSummary"]["OpenShardCount"] == 8
    # By ARN (newer models), sent by hand: Debian's botocore 1.29 requires StreamName.
    status, _, body = call(fake, {"StreamARN": fake.stream_arn("orders")}, target=SUMMARY)
    assert status == 200 and body["StreamDescriptionSummary"]["OpenShardCount"] == 8
    status, _, body = call(fake, {"StreamName": "orders",
                                  "StreamARN": fake.stream_arn("orders")}, target=SUMMARY)
    assert status == 200 and body["StreamDescriptionSummary"]["StreamName"] == "orders"


def test_describe_stream_summary_errors(fake):
    fake.add_stream("orders", shards=2)
    with pytest.raises(ClientError) as ei:
        kinesis(fake).describe_stream_summary(StreamName="nope")
    err = ei.value.response
    assert err["Error"]["Code"] == "ResourceNotFoundException"
    assert err["Error"]["Message"] == "Stream nope under account 123456789012 not found."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    cases = [({}, "InvalidArgumentException"),
             ({"StreamName": "a b"}, "ValidationException"),
             ({"StreamName": 5}, "SerializationException"),
             ({"StreamARN": "arn:aws:kinesis:x"}, "ValidationException"),
             ({"StreamARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"},
              "AccessDeniedException"),
             ({"StreamName": "clicks", "StreamARN": fake.stream_arn("orders")},
              "InvalidArgumentException"),
             ({"StreamARN": fake.stream_arn("gone")}, "ResourceNotFoundException")]
    for params, code in cases:
        status, _, body = call(fake, params, target=SUMMARY)
        assert (status, body["__type"]) == (400, code), params
    with pytest.raises(ValueError):
        fake.add_stream("x", shards=-1)
    with pytest.raises(ValueError):
        fake.set_shards("orders", 1.5)


def test_describe_stream_summary_faults(fake):
    fake.add_stream("orders", shards=3)
    fake.fail_next("DescribeStreamSummary", [("LimitExceededException", 400), "malformed"])
    with pytest.raises(ClientError) as ei:
        kinesis(fake).describe_stream_summary(StreamName="orders")
    assert ei.value.response["Error"]["Code"] == "LimitExceededException"
    status, _, body = call(fake, {"StreamName": "orders"}, target=SUMMARY, parse=False)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    # fail_always by op, only for one stream.
    fake.fail_always("DescribeStreamSummary", ("AccessDeniedException", 400),
                     match=lambda r: r.params.get("StreamName") == "orders")
    fake.add_stream("clicks", shards=5)
    assert call(fake, {"StreamName": "orders"}, target=SUMMARY)[0] == 400
    assert call(fake, {"StreamName": "clicks"}, target=SUMMARY)[2][
        "StreamDescriptionSummary"]["OpenShardCount"] == 5
    # The control API sets shards too.
    fake.clear_faults()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    conn.request("POST", "/_fake/streams", json.dumps([{"name": "big", "shards": 40}]))
    assert conn.getresponse().status == 200
    conn.close()
    assert call(fake, {"StreamName": "big"}, target=SUMMARY)[2][
        "StreamDescriptionSummary"]["OpenShardCount"] == 40
