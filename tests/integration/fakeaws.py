#!/usr/bin/python3
"""fakeaws — a loopback fake of the AWS endpoints streamwatch talks to.

One ThreadingHTTPServer on 127.0.0.1 (port 0 by default) serves:

* CloudWatch GetMetricStatistics over AWS JSON 1.0 (X-Amz-Target
  GraniteServiceVersion20100801.GetMetricStatistics) and over AWS Query
  (form POST, XML reply), from a metric store the test fills; several Statistics
  (up to 5) or ExtendedStatistics (up to 10) per call, never both;
* CloudWatch GetMetricData (MetricStat queries) over JSON 1.0 and Query, validated
  as CloudWatch does and answered from the same store, in pages of at most
  min(MaxDatapoints, gmd_max_datapoints) values (default 100,800) with NextToken;
* Kinesis ListStreams over AWS JSON 1.1 (X-Amz-Target Kinesis_20131202.ListStreams),
  in pages of kinesis_page_size (default 2) names, from the streams the test adds,
  and DescribeStreamSummary (by StreamName or StreamARN; OpenShardCount is the
  stream's `shards`, set_shards() changes it);
* STS AssumeRole / GetCallerIdentity over Query;
* SNS Publish over Query, validated as SNS does (topics the test registers with
  add_topic, Subject, Message size, FIFO ids and 5-minute deduplication), the
  messages kept in fake.sns_messages / fake.published();
* CloudWatch alarm management over JSON 1.0 and Query: PutMetricAlarm (validated as
  CloudWatch does), DescribeAlarms (in pages of alarm_page_size, default 3),
  DeleteAlarms, ListTagsForResource / TagResource / UntagResource, optional per-op
  rate limits (enforce_tps); state in fake.alarms / fake.tags, put_alarm_direct();
* IMDSv2 (/latest/api/token, /latest/meta-data/iam/security-credentials/...);
* a small unsigned control API under /_fake/ for out-of-process users.

Every AWS request is SigV4-verified with botocore's own signer
(botocore.auth.SigV4Auth, fed the headers the client says it signed), and the
usual server-side checks run: key known, session token known and signed,
scope date/region/service, host and x-amz-date signed, clock within 5 minutes
of the fake's (skewable) clock, token not expired.  Errors come back in the
shapes real AWS uses for the protocol at hand (docs/aws-wire.md §2-§4).

Every request is recorded (FakeAWS.requests, thread-safe) and tests can queue
faults per operation (FakeAWS.fail_next / fail_always): error codes, HTTP 429/5xx,
hang, malformed or truncated bodies, raw bytes, delays.

In-process:   fake = FakeAWS(); fake.start(); ... fake.url ... ; fake.stop()
Standalone:   /usr/bin/python3 fakeaws.py --port-file F --pid-file F [--key AKID:SECRET]

Only the Python standard library and Debian's python3-botocore are used.
"""

import argparse
import base64
import calendar
import datetime as dt
import email.utils
import hashlib
import hmac
import http.server
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from xml.sax.saxutils import escape as xml_escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

CW_TARGET_PREFIX = "GraniteServiceVersion20100801."
KINESIS_TARGET_PREFIX = "Kinesis_20131202."
KINESIS_TOKEN_TTL = 300  # seconds a ListStreams NextToken stays valid (fake clock)
STREAM_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
CW_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
SNS_XMLNS, SNS_VERSION = "http://sns.amazonaws.com/doc/2010-03-31/", "2010-03-31"
SNS_MAX_MESSAGE = 262144  # bytes (Amazon SNS API Reference: Publish; docs/aws-wire.md §6)
SNS_FIFO_ID_RE = re.compile(r"^[a-zA-Z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
SNS_TOPIC_RE = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$")
CW_VERSION, STS_VERSION = "2010-08-01", "2011-06-15"
STS_ACTIONS = {"AssumeRole", "GetCallerIdentity"}
SKEW_LIMIT = 300  # seconds; "Signature expired ... (... - 5 min.)"
AMZ_FMT = "%Y%m%dT%H%M%SZ"

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
         "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
         "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
         "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
         "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
# CloudWatch's modelled validation errors: Query code -> JSON 1.0 shape name.
CW_ERROR_SHAPES = {"InvalidParameterValue": "InvalidParameterValueException",
                   "MissingParameter": "MissingRequiredParameterException",
                   "InvalidParameterCombination": "InvalidParameterCombinationException"}
PERCENTILE_RE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")

# ----- CloudWatch alarm management (docs/aws-wire.md §8): PutMetricAlarm, DescribeAlarms,
# DeleteAlarms and the tagging calls, over JSON 1.0 and Query alike.
ALARM_OPS = ("PutMetricAlarm", "DescribeAlarms", "DeleteAlarms", "ListTagsForResource",
             "TagResource", "UntagResource")
ALARM_API_TPS = {"PutMetricAlarm": 3, "DeleteAlarms": 3, "DescribeAlarms": 9}  # the quotas
COMPARISON_OPERATORS = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
                        "LessThanThreshold", "LessThanOrEqualToThreshold",
                        "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
                        "GreaterThanUpperThreshold")
BAND_OPERATORS = COMPARISON_OPERATORS[4:]   # anomaly-detection (ThresholdMetricId) alarms only
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
LOW_SAMPLE_COUNT = ("evaluate", "ignore")
STATE_VALUES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ALARM_TYPES = ("CompositeAlarm", "MetricAlarm")
ALARM_ACTION_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")
METRIC_ID_RE = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
EXTENDED_STAT_RE = re.compile(
    r"^(p|tm|tc|ts|wm)(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$|^IQM$"
    r"|^(TM|TC|TS|WM|PR)\(\d*(\.\d+)?%?:\d*(\.\d+)?%?\)$")
ACTION_ARN_RE = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):([^:]*):(.+)$")
ALARM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]*):(\d{12}):alarm:(.+)$")
# MetricAlarm members in the model's xmlOrder; stored alarms and replies keep this order.
METRIC_ALARM_MEMBERS = (
    "AlarmName", "AlarmArn", "AlarmDescription", "AlarmConfigurationUpdatedTimestamp",
    "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions", "StateValue",
    "StateReason", "StateReasonData", "StateUpdatedTimestamp", "MetricName", "Namespace",
    "Statistic", "Dimensions", "Period", "Unit", "EvaluationPeriods", "Threshold",
    "ComparisonOperator", "ExtendedStatistic", "TreatMissingData",
    "EvaluateLowSampleCountPercentile", "DatapointsToAlarm", "Metrics", "ThresholdMetricId",
    "EvaluationState", "StateTransitionedTimestamp")
ALARM_STATE_MEMBERS = ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
                       "StateTransitionedTimestamp", "EvaluationState")
# Error code (Query spelling, also sent in x-amzn-query-error) -> JSON 1.0 __type.
ALARM_ERROR_TYPES = {
    "ValidationError": "com.amazon.coral.validate#ValidationException",
    "Throttling": "com.amazon.coral.availability#ThrottlingException",
    "InvalidParameterValue": "com.amazonaws.cloudwatch#InvalidParameterValueException",
    "InvalidParameterCombination":
        "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
    "MissingParameter": "com.amazonaws.cloudwatch#MissingRequiredParameterException",
    "InvalidNextToken": "com.amazonaws.cloudwatch#InvalidNextToken",
    "LimitExceeded": "com.amazonaws.cloudwatch#LimitExceededFault",
    "ResourceNotFound": "com.amazonaws.cloudwatch#ResourceNotFound",
    "ResourceNotFoundException": "com.amazonaws.cloudwatch#ResourceNotFoundException",
}
# Input shapes: "s" string, "i" integer, "d" double, "b" boolean, [x] list, {..} structure.
_DIMENSIONS_SHAPE = [{"Name": "s", "Value": "s"}]
_TAGS_SHAPE = [{"Key": "s", "Value": "s"}]
_MDQ_SHAPE = {"Id": "s", "MetricStat": {"Metric": {"Namespace": "s", "MetricName": "s",
                                                   "Dimensions": _DIMENSIONS_SHAPE},
                                        "Period": "i", "Stat": "s", "Unit": "s"},
              "Expression": "s", "Label": "s", "ReturnData": "b", "Period": "i",
              "AccountId": "s"}
ALARM_INPUT_SHAPES = {
    "PutMetricAlarm": {
        "AlarmName": "s", "AlarmDescription": "s", "ActionsEnabled": "b", "OKActions": ["s"],
        "AlarmActions": ["s"], "InsufficientDataActions": ["s"], "MetricName": "s",
        "Namespace": "s", "Statistic": "s", "ExtendedStatistic": "s",
        "Dimensions": _DIMENSIONS_SHAPE, "Period": "i", "Unit": "s", "EvaluationPeriods": "i",
        "DatapointsToAlarm": "i", "Threshold": "d", "ComparisonOperator": "s",
        "TreatMissingData": "s", "EvaluateLowSampleCountPercentile": "s",
        "Metrics": [_MDQ_SHAPE], "Tags": _TAGS_SHAPE, "ThresholdMetricId": "s"},
    "DescribeAlarms": {
        "AlarmNames": ["s"], "AlarmNamePrefix": "s", "AlarmTypes": ["s"],
        "ChildrenOfAlarmName": "s", "ParentsOfAlarmName": "s", "StateValue": "s",
        "ActionPrefix": "s", "MaxRecords": "i", "NextToken": "s"},
    "DeleteAlarms": {"AlarmNames": ["s"]},
    "ListTagsForResource": {"ResourceARN": "s"},
    "TagResource": {"ResourceARN": "s", "Tags": _TAGS_SHAPE},
    "UntagResource": {"ResourceARN": "s", "TagKeys": ["s"]},
}

# GetMetricData input (docs/aws-wire.md §15); "t" is a timestamp (epoch seconds in JSON 1.0,
# ISO 8601 in Query).
GMD_INPUT_SHAPE = {"MetricDataQueries": [_MDQ_SHAPE], "StartTime": "t", "EndTime": "t",
                   "NextToken": "s", "ScanBy": "s", "MaxDatapoints": "i",
                   "LabelOptions": {"Timezone": "s"}}
GMD_MAX_QUERIES, GMD_MAX_DATAPOINTS = 500, 100800   # per call (API Reference: GetMetricData)
SCAN_BY = ("TimestampDescending", "TimestampAscending")

# Auth error codes differ per protocol: JSON 1.0 uses the Coral exception name,
# Query the legacy code (docs/aws-wire.md §4).
JSON_TO_QUERY_CODE = {
    "UnrecognizedClientException": "InvalidClientTokenId",
    "ExpiredTokenException": "ExpiredToken",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
}
DEFAULT_MESSAGES = {
    "Throttling": "Rate exceeded",
    "ThrottlingException": "Rate exceeded",
    "TooManyRequestsException": "Too Many Requests",
    "InternalFailure": "The request processing has failed because of an unknown error, "
                       "exception or failure.",
    "InternalServiceError": "Internal service error",
    "ServiceUnavailable": "The service is unavailable. Please try again later.",
    "UnrecognizedClientException": "The security token included in the request is invalid.",
    "InvalidClientTokenId": "The security token included in the request is invalid.",
    "ExpiredTokenException": "The security token included in the request is expired",
    "ExpiredToken": "The security token included in the request is expired",
    "SignatureDoesNotMatch": "The request signature we calculated does not match the "
                             "signature you provided. Check your AWS Secret Access Key and "
                             "signing method. Consult the service documentation for details.",
}


# --------------------------------------------------------------------------- time helpers

def to_epoch(t) -> float:
    """Epoch seconds from a number, an aware/naive-UTC datetime or an ISO 8601 string."""
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return float(t)
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t.strip())
    if isinstance(t, dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.timezone.utc)
        return t.timestamp()
    raise TypeError(f"not a timestamp: {t!r}")


def iso8601(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def amz_date(epoch: float) -> str:
    return time.strftime(AMZ_FMT, time.gmtime(epoch))


def parse_amz_date(s: str) -> float:
    return float(calendar.timegm(time.strptime(s, AMZ_FMT)))


def _fmt_num(v: float) -> str:
    """Doubles as AWS prints them in XML (always with a decimal point)."""
    return repr(float(v))


# --------------------------------------------------------------------------- records

@dataclass
class Key:
    akid: str
    secret: str
    token: Optional[str] = None      # session token the key must come with
    expires: Optional[float] = None  # fake-clock epoch; past -> ExpiredToken
    invalid: bool = False            # secret known (signature checkable) but AWS rejects it


@dataclass
class Request:
    """One request the fake received (IMDS and AWS APIs alike; /_fake/ control is not kept)."""
    method: str
    path: str
    headers: dict                     # lower-case name -> value (repeats joined with ",")
    header_list: list                 # [(name, value)] exactly as received
    body: bytes
    time: float                       # fake clock when received
    api: str = "unknown"              # cloudwatch-json | cloudwatch-query | sts | imds | unknown
    op: str = ""                      # GetMetricStatistics, AssumeRole, IMDSToken, ...
    params: Any = None                # decoded input (JSON object, or form dict for Query)
    service: Optional[str] = None     # from the credential scope
    region: Optional[str] = None
    scope_date: Optional[str] = None
    akid: Optional[str] = None
    token: Optional[str] = None       # X-Amz-Security-Token sent
    amz_date: Optional[str] = None
    signed_headers: list = field(default_factory=list)
    signature: Optional[str] = None
    signature_ok: Optional[bool] = None   # None: not verifiable (unsigned or unknown key)
    expected_signature: Optional[str] = None
    canonical_request: Optional[str] = None
    string_to_sign: Optional[str] = None
    problems: list = field(default_factory=list)  # every check that failed, in words
    fault: Optional[str] = None       # injected fault applied
    status: Optional[int] = None      # status we answered (None: hang/raw/no answer)
    error: Optional[str] = None       # error code we answered with

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def form(self) -> dict:
        return {k: v[-1] for k, v in urllib.parse.parse_qs(
            self.body.decode("utf-8"), keep_blank_values=True).items()}

    @property
    def amz_epoch(self) -> Optional[float]:
        try:
            return parse_amz_date(self.amz_date)
        except (TypeError, ValueError):
            return None

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["body"] = self.body.decode("utf-8", "replace")
        return d

    def describe(self) -> str:
        """Multi-line dump for assertion messages (shows the canonical request)."""
        return (f"{self.method} {self.path} api={self.api} op={self.op} status={self.status} "
                f"error={self.error} akid={self.akid} scope={self.scope_date}/{self.region}/"
                f"{self.service} signed={';'.join(self.signed_headers)} "
                f"signature_ok={self.signature_ok} problems={self.problems}\n"
                f"--- canonical request (as the fake computed it) ---\n{self.canonical_request}\n"
                f"--- string to sign ---\n{self.string_to_sign}\n"
                f"--- headers ---\n{self.header_list}\n--- body ---\n{self.body!r}")


class _Reply(Exception):
    """Raised inside handlers to answer an AWS-style error.  query_code: the legacy
    Query code sent in x-amzn-query-error on JSON replies (service errors only; the
    auth layer does not send it)."""

    def __init__(self, code, message=None, status=400, query_code=None):
        super().__init__(code)
        self.code, self.status, self.query_code = code, status, query_code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, code)
        self.sender = status < 500


class _SignedHeadersV4(SigV4Auth):
    """botocore's SigV4Auth, but it signs exactly the headers the client listed.

    botocore itself picks "all headers except a blacklist"; a server must instead
    use the client's SignedHeaders list.  Canonicalisation, hashing, the string to
    sign and the key derivation stay botocore's."""

    def __init__(self, credentials, service, region, signed, values):
        super().__init__(credentials, service, region)
        self._signed, self._values = signed, values

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            for v in self._values.get(name, []):
                hm[name] = v  # Message.__setitem__ appends: repeats stay repeats
        return hm


# --------------------------------------------------------------------------- the fake

class FakeAWS:
    DEFAULT_AKID = "AKIAFAKESTREAMWATCH1"
    DEFAULT_SECRET = "fakeSecret/streamwatch+integration/000000000"

    def __init__(self, region: str = "ap-northeast-1", port: int = 0):
        self.region = region
        self._port_wanted = port
        self.clock_offset = 0.0          # seconds the fake's clock runs ahead of the real one
        self.sts_lifetime: Optional[int] = None  # override DurationSeconds for issued creds
        self.imds_role = "streamwatch-instance-role"
        self.imds_lifetime = 6 * 3600
        self.imds_v1 = False             # IMDSv2 only: requests without a token get 401
        self.default_value: Optional[float] = None  # synthetic datapoints for unknown metrics
        self.json_timestamps = "float"   # float (1795600000.0) | int | sci (1.7956E9)
        self.gmd_max_datapoints = GMD_MAX_DATAPOINTS  # most values per GetMetricData page
        self.allow_bad_signatures = False  # read by the conftest finalizer only
        self.allow_bad_signatures_to_pass = False  # debugging aid: serve them anyway
        self.on_request: Optional[Callable[[Request], None]] = None  # called when answered
        self.hang_max = 600.0            # a hung request is released at stop() or after this
        self.requests: list[Request] = []   # since the last checkpoint()
        self._archive: list[Request] = []   # older ones, still signature-checked
        self.issued: list[dict] = []     # credentials handed out by STS / IMDS / issue_session
        self._keys: dict[str, Key] = {}
        self._metrics: dict[tuple, list] = {}
        self._streams: dict[str, dict] = {}  # Kinesis stream name -> summary fields
        self.kinesis_page_size = 2       # most names per ListStreams page (AWS: 100)
        self._topics: dict[str, dict] = {}  # SNS topic ARN -> {content_based_dedup}
        self.sns_messages: list[dict] = []  # every accepted Publish, duplicates marked
        self.alarms: dict[str, dict] = {}  # alarm name -> the alarm as DescribeAlarms shows it
        self.tags: dict[str, dict] = {}    # resource (alarm) ARN -> {tag key: value}
        self.account_id = "123456789012"   # the account in alarm ARNs
        self.alarm_page_size = 3           # most alarms per DescribeAlarms page (AWS: MaxRecords)
        self.enforce_tps = None            # {op: requests/s} or True (ALARM_API_TPS): Throttling
        self.tps_window = 1.0              # seconds of the sliding window enforce_tps counts in
        self.throttled: dict[str, int] = {}  # op -> requests refused by enforce_tps
        self.max_alarms: Optional[int] = None  # alarms the account may hold: LimitExceeded
        self.delete_alarms_not_found = False   # True: DeleteAlarms deletes the names that exist,
        #                                        then answers ResourceNotFound 404 for the rest
        self._tps_accepted: dict[str, list] = {}
        self._faults: dict[str, list] = {}   # op -> [(spec, match)] consumed one per request
        self._always: dict[str, list] = {}   # op -> [(spec, match)] applied every time
        self._imds_tokens: dict[str, float] = {}
        self._imds_creds: Optional[dict] = None
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._conns: set = set()
        self._server = None
        self._thread = None
        self._rng = random.Random()
        self.add_key(self.DEFAULT_AKID, self.DEFAULT_SECRET)

    # ----- lifecycle
    def start(self) -> "FakeAWS":
        self._release.clear()
        self._server = _Server(("127.0.0.1", self._port_wanted), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fakeaws", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; releases hung requests and drops open connections."""
        if not self._server:
            return
        self._release.set()
        self._server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def now(self) -> float:
        return time.time() + self.clock_offset

    # ----- keys and credentials
    def add_key(self, akid, secret, token=None, expires=None, invalid=False) -> Key:
        """Register a key.  invalid=True: the fake can check the signature but answers
        as AWS does for a key it does not know (UnrecognizedClientException)."""
        k = Key(akid, secret, token, None if expires is None else to_epoch(expires), invalid)
        with self._lock:
            self._keys[akid] = k
        return k

    def expire_key(self, akid) -> None:
        with self._lock:
            self._keys[akid].expires = self.now() - 1

    def issue_session(self, lifetime: int = 3600, register: bool = True) -> dict:
        """Fresh temporary credentials (ASIA…), registered with the fake by default.
        Returns the credential_process/STS field names plus Expiration (ISO 8601)."""
        akid = "ASIA" + "".join(self._rng.choice(string.ascii_uppercase + string.digits)
                                for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = "FQoGZXIvYXdzEFAKE" + base64.b64encode(secrets.token_bytes(96)).decode()
        exp = self.now() + lifetime
        if register:
            self.add_key(akid, secret, token, exp)
        c = {"AccessKeyId": akid, "SecretAccessKey": secret, "SessionToken": token,
             "Expiration": iso8601(exp)}
        with self._lock:
            self.issued.append(c)
        return c

    # ----- metric store
    def put_metric(self, namespace, metric, dims, timestamp, value, unit="Count") -> None:
        """Add one sample.  value: a number (raw sample) or a statistic set dict
        {SampleCount, Sum, Minimum, Maximum} (missing members derived)."""
        if isinstance(value, dict):
            n = float(value.get("SampleCount", 1.0))
            s = float(value.get("Sum", value.get("Average", 0.0) * n))
            mn = float(value.get("Minimum", s / n if n else 0.0))
            mx = float(value.get("Maximum", s / n if n else 0.0))
            raw = mn if (n == 1 or mn == mx) else None
        else:
            n, s, mn, mx, raw = 1.0, float(value), float(value), float(value), float(value)
        key = (namespace, metric, frozenset((dims or {}).items()))
        with self._lock:
            self._metrics.setdefault(key, []).append(
                {"ts": to_epoch(timestamp), "n": n, "sum": s, "min": mn, "max": mx,
                 "raw": raw, "unit": unit})

    def clear_metrics(self) -> None:
        with self._lock:
            self._metrics.clear()

    # ----- SNS topics
    def add_topic(self, arn: str, content_based_dedup: bool = False) -> str:
        """Register an SNS topic Publish may use (a ".fifo" name makes it FIFO).
        Returns the ARN."""
        if not SNS_TOPIC_RE.match(arn[:-5] if arn.endswith(".fifo") else arn):
            raise ValueError(f"invalid SNS topic ARN {arn!r}")
        with self._lock:
            self._topics[arn] = {"content_based_dedup": bool(content_based_dedup)}
        return arn

    def published(self, topic: Optional[str] = None) -> list:
        """Messages SNS would deliver (FIFO duplicates left out), oldest first:
        dicts with topic, message, subject, group_id, dedup_id, message_id,
        sequence_number, time, duplicate, akid."""
        with self._lock:
            return [m for m in self.sns_messages
                    if not m["duplicate"] and (topic is None or m["topic"] == topic)]

    # ----- Kinesis streams
    def add_stream(self, name, status="ACTIVE", mode="PROVISIONED", created=None,
                   shards=1) -> None:
        """Add (or update) a Kinesis stream that ListStreams and DescribeStreamSummary
        report, with SHARDS open shards."""
        if not STREAM_NAME_RE.match(name):
            raise ValueError(f"invalid Kinesis stream name {name!r}")
        if isinstance(shards, bool) or not isinstance(shards, int) or \
                not 0 <= shards <= 1000000:
            raise ValueError(f"invalid shard count {shards!r}")
        with self._lock:
            self._streams[name] = {"status": status, "mode": mode,
                                   "created": self.now() if created is None
                                   else to_epoch(created), "shards": shards}

    def set_shards(self, name, shards) -> None:
        """A reshard: the stream's OpenShardCount becomes SHARDS."""
        if isinstance(shards, bool) or not isinstance(shards, int) or \
                not 0 <= shards <= 1000000:
            raise ValueError(f"invalid shard count {shards!r}")
        with self._lock:
            self._streams[name]["shards"] = shards

    def stream_arn(self, name) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account_id}:stream/{name}"

    def describe_stream_summary(self, p: dict) -> dict:
        """Validate a decoded DescribeStreamSummary input like Kinesis (StreamName,
        StreamARN or both, naming the same stream); the summary of the stream."""
        name, arn = p.get("StreamName"), p.get("StreamARN")
        for k, v in (("StreamName", name), ("StreamARN", arn)):
            if v is not None and not isinstance(v, str):
                raise _Reply("SerializationException", f"{k} must be a string")
        if name is not None and not STREAM_NAME_RE.match(name):
            raise _Reply("ValidationException", f"1 validation error detected: Value "
                         f"'{name}' at 'streamName' failed to satisfy constraint: Member "
                         "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        if arn is not None:
            m = re.fullmatch(r"arn:aws[^:]*:kinesis:([^:]*):(\d{12}):stream/(\S+)", arn)
            if not m or len(arn) > 2048:
                raise _Reply("ValidationException", f"1 validation error detected: Value "
                             f"'{arn}' at 'streamARN' failed to satisfy constraint: Member "
                             "must satisfy regular expression pattern: "
                             "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+")
            if m.group(1) != self.region or m.group(2) != self.account_id:
                raise _Reply("AccessDeniedException", f"User is not authorized to access "
                             f"{arn}")
            if name is not None and m.group(3) != name:
                raise _Reply("InvalidArgumentException", "StreamARN and StreamName "
                             "do not refer to the same stream.")
            name = m.group(3)
        if name is None:
            raise _Reply("InvalidArgumentException",
                         "Either StreamName or StreamARN should be provided.")
        with self._lock:
            st = self._streams.get(name)
            if st is None:
                raise _Reply("ResourceNotFoundException", f"Stream {name} under account "
                             f"{self.account_id} not found.")
            return {"StreamDescriptionSummary": {
                "StreamName": name, "StreamARN": self.stream_arn(name),
                "StreamStatus": st["status"],
                "StreamModeDetails": {"StreamMode": st["mode"]},
                "RetentionPeriodHours": 24, "StreamCreationTimestamp": st["created"],
                "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
                "EncryptionType": "NONE", "OpenShardCount": st["shards"],
                "ConsumerCount": 0}}

    def remove_stream(self, name) -> None:
        with self._lock:
            self._streams.pop(name, None)

    def list_streams(self, p: dict) -> dict:
        """Validate a decoded ListStreams input like Kinesis; return one page.  Names come
        in order; NextToken (opaque, KINESIS_TOKEN_TTL seconds) or ExclusiveStartStreamName
        pages on, both exclusive of the last name seen."""
        def invalid(member, value, constraint):
            raise _Reply("ValidationException", f"1 validation error detected: Value "
                         f"'{value}' at '{member}' failed to satisfy constraint: {constraint}")

        limit, start, token = p.get("Limit"), p.get("ExclusiveStartStreamName"), \
            p.get("NextToken")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise _Reply("SerializationException", "Limit must be an integer")
        for k, v in (("ExclusiveStartStreamName", start), ("NextToken", token)):
            if v is not None and not isinstance(v, str):
                raise _Reply("SerializationException", f"{k} must be a string")
        if limit is not None and not 1 <= limit <= 10000:
            invalid("limit", limit, "Member must have value between 1 and 10000")
        if start is not None and not STREAM_NAME_RE.match(start):
            invalid("exclusiveStartStreamName", start, "Member must satisfy regular "
                    "expression pattern: [a-zA-Z0-9_.-]+ and length 1-128")
        if token is not None and not 1 <= len(token) <= 1048576:
            invalid("nextToken", token, "Member must have length between 1 and 1048576")
        if token is not None and start is not None:  # one way of paging at a time
            raise _Reply("InvalidArgumentException", "NextToken and ExclusiveStartStreamName "
                         "cannot be provided together.")
        after = start
        if token is not None:
            try:
                t = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                after, issued = t["after"], float(t["iat"])
            except (ValueError, KeyError, TypeError):
                raise _Reply("InvalidArgumentException", f"Invalid NextToken: {token}")
            if issued + KINESIS_TOKEN_TTL < self.now():
                raise _Reply("ExpiredNextTokenException", f"The nextToken {token} has expired.")
        with self._lock:
            names = sorted(n for n in self._streams if after is None or n > after)
            size = min(limit or 100, 100, max(1, int(self.kinesis_page_size)))
            page, more = names[:size], len(names) > size
            sums = [{"StreamName": n, "StreamARN": f"arn:aws:kinesis:{self.region}:"
                     f"123456789012:stream/{n}", "StreamStatus": self._streams[n]["status"],
                     "StreamModeDetails": {"StreamMode": self._streams[n]["mode"]},
                     "StreamCreationTimestamp": self._streams[n]["created"]} for n in page]
        out = {"StreamNames": page, "HasMoreStreams": more}
        if more:
            out["NextToken"] = base64.urlsafe_b64encode(json.dumps(
                {"after": page[-1], "iat": self.now()}).encode()).decode()
        out["StreamSummaries"] = sums
        return out

    # ----- faults
    def fail_next(self, op, failures, match: Callable[[Request], bool] = None) -> None:
        """Queue faults for the next len(failures) requests of op ("*" = any op).
        A fault is one of:
          (code, status[, message])  AWS error in the protocol's shape, e.g. ("Throttling", 400)
          "hang"                     accept, read the request, never answer (until stop())
          "malformed"                200 with a syntactically broken body
          "truncated"                200 with Content-Length larger than the body, then close
          "close"                    close the connection without answering
          ("delay", seconds)         sleep, then answer normally
          ("raw", bytes)             write these bytes to the socket and close
          {"status", "headers", "body"}  an arbitrary reply
        match(request) -> bool restricts which requests consume the fault."""
        with self._lock:
            self._faults.setdefault(op, []).extend((f, match) for f in failures)

    def fail_always(self, op, failure, match: Callable[[Request], bool] = None) -> None:
        with self._lock:
            self._always.setdefault(op, []).append((failure, match))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._always.clear()

    def _take_fault(self, req: Request):
        with self._lock:
            for op in (req.op, "*"):
                q = self._faults.get(op, [])
                for i, (f, m) in enumerate(q):
                    if self._matches(m, req):
                        del q[i]
                        return f
                for f, m in self._always.get(op, []):
                    if self._matches(m, req):
                        return f
        return None

    @staticmethod
    def _matches(match, req) -> bool:
        try:
            return match is None or bool(match(req))
        except Exception as e:  # a broken predicate is a test bug: make it visible
            req.problems.append(f"fault match predicate raised {e!r}")
            return False

    # ----- recording
    def requests_for(self, op: str) -> list:
        with self._lock:
            return [r for r in self.requests if r.op == op]

    def aws_requests(self, include_archived: bool = False) -> list:
        """Requests that must be SigV4-signed (everything but IMDS)."""
        with self._lock:
            rs = (self._archive if include_archived else []) + self.requests
            return [r for r in rs if r.api != "imds"]

    def checkpoint(self) -> None:
        """Start a fresh `requests` list; older records stay in the archive."""
        with self._lock:
            self._archive.extend(self.requests)
            self.requests.clear()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._archive.clear()
            self.issued.clear()
            self.clear_faults()
            self.clear_metrics()
            self._streams.clear()
            self._topics.clear()
            self.sns_messages.clear()
            self.reset_alarms()

    # ----- SigV4 verification
    def verify(self, req: Request, expected_service: Optional[str]) -> None:
        """Fill req's auth fields; raise _Reply with AWS's error if the request is refused."""
        json_api = req.api in ("cloudwatch-json", "kinesis")

        def code(json_code):  # auth error code in this protocol's spelling
            return json_code if json_api else JSON_TO_QUERY_CODE.get(json_code, json_code)

        def problem(msg):
            req.problems.append(msg)

        auth = req.headers.get("authorization")
        if not auth:
            problem("no Authorization header")
            raise _Reply(code("MissingAuthenticationTokenException"),
                         "Request is missing Authentication Token", 403)
        m = re.match(r"^AWS4-HMAC-SHA256\s+(.*)$", auth.strip())
        parts = {}
        if m:
            for p in re.split(r"\s*,\s*", m.group(1)):
                k, _, v = p.partition("=")
                parts[k.strip()] = v.strip()
        cred = parts.get("Credential", "").split("/")
        if not m or len(cred) != 5 or cred[4] != "aws4_request" \
                or "SignedHeaders" not in parts or "Signature" not in parts:
            problem(f"malformed Authorization header: {auth!r}")
            raise _Reply("IncompleteSignature",
                         "Authorization header requires 'Credential', 'Signature' and "
                         f"'SignedHeaders' parameters. Authorization={auth}", 400)
        req.akid, req.scope_date, req.region, req.service = cred[:4]
        req.signed_headers = parts["SignedHeaders"].split(";")
        req.signature = parts["Signature"]
        req.token = req.headers.get("x-amz-security-token")
        req.amz_date = req.headers.get("x-amz-date")
        if req.amz_epoch is None:
            problem(f"bad or missing X-Amz-Date: {req.amz_date!r}")
            raise _Reply("IncompleteSignature", "Authorization header requires existence of "
                         "either a 'X-Amz-Date' or a 'Date' header.", 400)

        with self._lock:
            key = self._keys.get(req.akid)
        if key is None:
            problem(f"unknown access key {req.akid}")
            raise _Reply(code("UnrecognizedClientException"), status=403)

        # The signature itself, computed by botocore over the headers the client signed.
        values = {}
        for n, v in req.header_list:
            values.setdefault(n.lower(), []).append(v)
        signed = req.signed_headers
        missing = [h for h in signed if h not in values]
        if missing:
            problem(f"signed headers not present in the request: {missing}")
        host = values.get("host", ["127.0.0.1"])[0]
        areq = AWSRequest(method=req.method, url=f"http://{host}{req.path}", data=req.body)
        areq.context["timestamp"] = req.amz_date
        signer = _SignedHeadersV4(Credentials(key.akid, key.secret, key.token),
                                  req.service, req.region, signed, values)
        req.canonical_request = signer.canonical_request(areq)
        req.string_to_sign = signer.string_to_sign(areq, req.canonical_request)
        req.expected_signature = signer.signature(req.string_to_sign, areq)
        req.signature_ok = hmac.compare_digest(req.expected_signature, req.signature) \
            and not missing
        if signed != sorted(signed) or any(h != h.lower() for h in signed):
            problem("SignedHeaders not lower-case and sorted")
            req.signature_ok = False

        if key.invalid:
            problem(f"access key {req.akid} is registered as invalid")
            raise _Reply(code("UnrecognizedClientException"), status=403)
        if (key.token or req.token) and key.token != req.token:
            problem("session token missing, unexpected or wrong for this key")
            raise _Reply(code("UnrecognizedClientException"), status=403)
        for h in ("host", "x-amz-date") + (("x-amz-security-token",) if req.token else ()) \
                + (("x-amz-target",) if json_api else ()):
            if h not in signed:
                problem(f"{h} is not signed")
                raise _Reply("IncompleteSignature", f"'{h}' must be a 'SignedHeader' in the "
                             "AWS Authorization.", 400)
        if req.scope_date != req.amz_date[:8]:
            problem("scope date != X-Amz-Date day")
            raise _Reply("SignatureDoesNotMatch", "Date in Credential scope does not match "
                         "YYYYMMDD from ISO-8601 version of date from HTTP: "
                         f"'{req.scope_date}' != '{req.amz_date[:8]}', from '{req.amz_date}'.",
                         403)
        if req.region != self.region:
            problem(f"scope region {req.region!r}, fake is {self.region!r}")
            raise _Reply("SignatureDoesNotMatch", "Credential should be scoped to a valid "
                         f"region, not '{req.region}'.", 403)
        if expected_service and req.service != expected_service:
            problem(f"scope service {req.service!r}, API is {expected_service!r}")
            raise _Reply("SignatureDoesNotMatch", "Credential should be scoped to correct "
                         f"service: '{expected_service}'.", 403)
        if not req.signature_ok and not self.allow_bad_signatures_to_pass:
            problem("signature mismatch")
            raise _Reply("SignatureDoesNotMatch", status=403)
        # Clock checks use the fake's clock, which tests may skew.
        now = self.now()
        if req.amz_epoch < now - SKEW_LIMIT:
            problem("X-Amz-Date more than 5 minutes behind the server clock")
            raise _Reply("SignatureDoesNotMatch", f"Signature expired: {req.amz_date} is now "
                         f"earlier than {amz_date(now - SKEW_LIMIT)} ({amz_date(now)} - 5 min.)",
                         403)
        if req.amz_epoch > now + SKEW_LIMIT:
            problem("X-Amz-Date more than 5 minutes ahead of the server clock")
            raise _Reply("SignatureDoesNotMatch", f"Signature not yet current: {req.amz_date} "
                         f"is still later than {amz_date(now + SKEW_LIMIT)} ({amz_date(now)} "
                         "+ 5 min.)", 403)
        if key.expires is not None and key.expires <= now:
            problem("session token expired")
            raise _Reply(code("ExpiredTokenException"), status=403)

    # ----- CloudWatch
    def get_metric_statistics(self, p: dict, json_api: bool) -> dict:
        """Validate a decoded GetMetricStatistics input like CloudWatch; return the output."""
        def bad(qcode, msg):
            code = f"com.amazonaws.cloudwatch#{CW_ERROR_SHAPES[qcode]}" if json_api else qcode
            raise _Reply(code, msg, 400, query_code=qcode)

        inval, combo, missing = ("InvalidParameterValue", "InvalidParameterCombination",
                                 "MissingParameter")
        for m in ("Namespace", "MetricName", "StartTime", "EndTime", "Period"):
            if p.get(m) in (None, ""):
                bad(missing, f"The parameter {m} is required.")
        for m in ("Namespace", "MetricName"):
            if not isinstance(p[m], str) or not 1 <= len(p[m]) <= 255:
                bad(inval, f"The parameter {m} must be a string of 1 to 255 characters.")
        if p["Namespace"].startswith(":"):
            bad(inval, "The parameter Namespace must not start with ':'.")
        period = p["Period"]
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            bad(inval, "The parameter Period must be an integer of at least 1.")
        if period not in (1, 5, 10, 20, 30) and period % 60:
            bad(inval, "The parameter Period must be a multiple of 60.")
        start, end = p["StartTime"], p["EndTime"]
        if start >= end:
            bad(inval, "The parameter StartTime must be less than the parameter EndTime.")
        stats, ext = p.get("Statistics"), p.get("ExtendedStatistics")
        if stats and ext:
            bad(combo, "Must specify either Statistics or ExtendedStatistics, but not both.")
        if not stats and not ext:
            bad(combo, "Must specify either Statistics or ExtendedStatistics.")
        # CloudWatch words collection limits as "The collection MetricData must not have a
        # size greater than 20." (InvalidParameterValue, PutMetricData); the same here.
        if stats:
            if not isinstance(stats, list) or len(stats) > 5:
                bad(inval, "The collection Statistics must not have a size greater than 5.")
            for s in stats:
                if s not in STATISTICS:
                    bad(inval, f"The parameter Statistics.member contains invalid value {s!r}; "
                        f"valid values: {', '.join(STATISTICS)}.")
        if ext:
            if not isinstance(ext, list) or len(ext) > 10:
                bad(inval, "The collection ExtendedStatistics must not have a size greater "
                    "than 10.")
            for s in ext:
                if not isinstance(s, str) or not PERCENTILE_RE.match(s):
                    bad(inval, f"The parameter ExtendedStatistics contains invalid value {s!r}.")
        dims = p.get("Dimensions") or []
        if not isinstance(dims, list) or len(dims) > 30:
            bad(inval, "The collection Dimensions must contain at most 30 members.")
        dmap = {}
        for d in dims:
            if not isinstance(d, dict) or set(d) - {"Name", "Value"}:
                bad(inval, f"Invalid dimension {d!r}.")
            n, v = d.get("Name"), d.get("Value")
            if not isinstance(n, str) or not 1 <= len(n) <= 255 or n.startswith(":"):
                bad(missing, "The parameter Dimensions.member.Name is required and must be "
                    "1-255 characters.")
            if not isinstance(v, str) or not 1 <= len(v) <= 1024:
                bad(missing, "The parameter Dimensions.member.Value is required and must be "
                    "1-1024 characters.")
            if n in dmap:
                bad(inval, f"Dimension {n} is given twice.")
            dmap[n] = v
        unit = p.get("Unit")
        if unit is not None and unit not in UNITS:
            bad(inval, f"The parameter Unit contains invalid value {unit!r}.")
        npoints = math.ceil((end - start) / period)
        if npoints > 1440:
            bad(combo, f"You have requested up to {npoints} datapoints, which exceeds the limit "
                "of 1440. You may reduce the datapoints requested by increasing Period, or "
                "decreasing the time range.")

        buckets = self._series_buckets(p["Namespace"], p["MetricName"], dmap, unit, start, end,
                                       period)
        out = []
        for (b, u), ss in buckets.items():
            dp = {"Timestamp": b, "Unit": u}
            for s in stats or []:
                dp[s] = self._statistic(ss, s)
            if ext:
                pct = {e: self._statistic(ss, e) for e in ext}
                if None not in pct.values():   # no raw samples: no percentiles at all
                    dp["ExtendedStatistics"] = pct
            out.append(dp)
        # Real CloudWatch returns datapoints in no particular order: make sure ours are not
        # accidentally sorted, so the agent has to sort them itself.
        self._rng.shuffle(out)
        if len(out) > 1 and out == sorted(out, key=lambda d: d["Timestamp"]):
            out.reverse()
        return {"Label": p["MetricName"], "Datapoints": out}

    def _series_buckets(self, namespace, metric, dmap, unit, start, end, period,
                        by_unit=True) -> dict:
        """The samples of one metric in [start, end), grouped by period (counted from start)
        and, with by_unit, by unit: {(period start, unit or None): [sample, ...]}.  An unknown
        metric has one synthetic sample per period when default_value is set."""
        with self._lock:
            samples = list(self._metrics.get((namespace, metric, frozenset(dmap.items())), []))
        if not samples and self.default_value is not None:
            samples = [{"ts": start + i * period, "n": 1.0, "sum": self.default_value,
                        "min": self.default_value, "max": self.default_value,
                        "raw": self.default_value, "unit": "Count"}
                       for i in range(math.ceil((end - start) / period))]
        buckets: dict[tuple, list] = {}
        for s in samples:
            if start <= s["ts"] < end and (unit is None or s["unit"] == unit):
                b = start + ((s["ts"] - start) // period) * period
                buckets.setdefault((b, s["unit"] if by_unit else None), []).append(s)
        return buckets

    @staticmethod
    def _statistic(ss: list, stat: str) -> Optional[float]:
        """stat (a Statistics name or pNN) of the samples ss; None for a percentile of
        samples that are all statistic sets (CloudWatch needs raw values for those)."""
        if stat in STATISTICS:
            n, total = sum(s["n"] for s in ss), sum(s["sum"] for s in ss)
            return float({"SampleCount": n, "Sum": total,
                          "Average": total / n if n else 0.0,
                          "Minimum": min(s["min"] for s in ss),
                          "Maximum": max(s["max"] for s in ss)}[stat])
        raw = sorted(s["raw"] for s in ss if s["raw"] is not None)
        if not raw:
            return None
        return raw[max(0, min(len(raw) - 1, math.ceil(float(stat[1:]) / 100 * len(raw)) - 1))]

    def get_metric_data(self, p: dict, json_api: bool) -> dict:
        """Validate a decoded GetMetricData input like CloudWatch (model constraints first, as
        one ValidationError, then the service's rules); return one page of the output,
        answered from the GetMetricStatistics store.  A page holds at most
        min(MaxDatapoints, gmd_max_datapoints) values, oldest (ScanBy TimestampAscending) or
        newest (the default) first across all queries; NextToken continues, and a result
        with values left for later pages is PartialData."""
        def bad(qcode, msg):
            raise self._alarm_error(qcode, msg, json_api)

        queries, start, end = p.get("MetricDataQueries"), p.get("StartTime"), p.get("EndTime")
        scan, maxdp = p.get("ScanBy"), p.get("MaxDatapoints")
        c = _Constraints()
        c.required(queries, "metricDataQueries")
        for i, q in enumerate(queries or [], 1):
            c.metric_data_query(q, f"metricDataQueries.{i}.member")
        c.required(start, "startTime")
        c.required(end, "endTime")
        c.enum(scan, "scanBy", SCAN_BY)
        c.value(maxdp, "maxDatapoints", 1)
        c.check(self, json_api)
        if not queries:
            bad("ValidationError", "The collection MetricDataQueries must not be empty.")
        if len(queries) > GMD_MAX_QUERIES:
            bad("ValidationError", "The collection MetricDataQueries must not have a size "
                f"greater than {GMD_MAX_QUERIES}.")
        ids = set()
        for i, q in enumerate(queries, 1):
            qid, ms, where = q["Id"], q.get("MetricStat"), f"MetricDataQueries.member.{i}"
            if not METRIC_ID_RE.match(qid):
                bad("ValidationError", f"The value {qid} for parameter {where}.Id is not "
                    "matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.")
            if qid in ids:
                bad("ValidationError", "The values for parameter id in MetricDataQueries are "
                    "not unique.")
            ids.add(qid)
            if (ms is None) == (q.get("Expression") is None):
                bad("ValidationError", f"Exactly one of {where}.MetricStat and "
                    f"{where}.Expression must be set.")
            if ms is None:
                bad("ValidationError", "fakeaws: Expression queries are not implemented.")
            if not ms["Metric"].get("Namespace") or not ms["Metric"].get("MetricName"):
                bad("ValidationError", f"The parameter {where}.MetricStat.Metric needs a "
                    "Namespace and a MetricName.")
            if ms["Period"] not in (1, 5, 10, 20, 30) and ms["Period"] % 60:
                bad("ValidationError", f"The parameter {where}.MetricStat.Period must be 1, 5, "
                    "10, 20, 30 or a multiple of 60.")
            stat = ms["Stat"]
            if stat not in STATISTICS and not PERCENTILE_RE.match(stat):
                if EXTENDED_STAT_RE.match(stat):
                    bad("ValidationError", f"fakeaws: the statistic {stat} is not "
                        "implemented.")
                bad("ValidationError", f"The value {stat} for parameter "
                    f"{where}.MetricStat.Stat is not a valid statistic.")
            self._alarm_check_dims(ms["Metric"].get("Dimensions"), bad)
        if start >= end:
            bad("ValidationError", "The parameter StartTime must be less than the parameter "
                "EndTime.")
        scan = scan or "TimestampDescending"

        results = []
        for q in queries:
            if not q.get("ReturnData", True):  # computed for expressions, not returned
                continue
            ms = q["MetricStat"]
            m = ms["Metric"]
            dmap = {d["Name"]: d["Value"] for d in m.get("Dimensions") or []}
            # One value per period: samples of every unit together (no Unit: all of them).
            buckets = self._series_buckets(m["Namespace"], m["MetricName"], dmap,
                                           ms.get("Unit"), start, end, ms["Period"],
                                           by_unit=False)
            values = {b: self._statistic(ss, ms["Stat"]) for (b, _), ss in buckets.items()}
            results.append((q, {b: v for b, v in values.items() if v is not None}))
        sign = 1 if scan == "TimestampAscending" else -1
        order = sorted(((t, i) for i, (_, pts) in enumerate(results) for t in pts),
                       key=lambda x: (sign * x[0], x[1]))
        query = hashlib.sha256(json.dumps([queries, start, end, scan], sort_keys=True)
                               .encode()).hexdigest()[:16]
        skip = 0
        if p.get("NextToken") is not None:
            try:
                t = json.loads(base64.urlsafe_b64decode(p["NextToken"].encode()).decode())
                skip, tq = int(t["skip"]), t["query"]
            except (ValueError, KeyError, TypeError):
                bad("InvalidNextToken", "The service couldn't process the NextToken.")
            if tq != query or not 0 <= skip <= len(order):
                bad("InvalidNextToken", "The NextToken belongs to another request.")
        limit = min(maxdp or GMD_MAX_DATAPOINTS, max(1, int(self.gmd_max_datapoints)))
        page, rest = set(order[skip:skip + limit]), {i for _, i in order[skip + limit:]}
        out = {"MetricDataResults": []}
        for i, (q, pts) in enumerate(results):
            mine = sorted((t for t in pts if (t, i) in page), key=lambda t: sign * t)
            out["MetricDataResults"].append({
                "Id": q["Id"], "Label": q.get("Label") or q["MetricStat"]["Metric"]["MetricName"],
                "Timestamps": mine, "Values": [pts[t] for t in mine],
                "StatusCode": "PartialData" if i in rest else "Complete", "Messages": []})
        if skip + limit < len(order):
            out["NextToken"] = base64.urlsafe_b64encode(json.dumps(
                {"skip": skip + limit, "query": query}).encode()).decode()
        out["Messages"] = []
        return out

    # ----- CloudWatch alarms (test API)
    def alarm_arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{name}"

    def put_alarm_direct(self, name: str, tags=None, state: Optional[str] = None,
                         state_reason: Optional[str] = None, validate: bool = True,
                         **fields) -> dict:
        """Create or replace an alarm without a request, e.g. someone else's alarm.
        fields are PutMetricAlarm members; with neither MetricName nor Metrics a minimal
        IncomingRecords{StreamName=sample} Sum/60 > 0 alarm is used.  tags: dict (or
        [{Key, Value}]), default none; they replace the alarm's tags.  state/state_reason
        set the state afterwards.  Validated like PutMetricAlarm unless validate=False.
        Returns a copy of the stored alarm."""
        p = {"AlarmName": name}
        if "MetricName" not in fields and "Metrics" not in fields:
            p.update({"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                      "Dimensions": [{"Name": "StreamName", "Value": "sample"}],
                      "Statistic": "Sum", "Period": 60, "Threshold": 0.0})
        p.update({"EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold"})
        p.update(fields)
        tag_list = [{"Key": k, "Value": v} for k, v in tags.items()] \
            if isinstance(tags, dict) else list(tags or [])
        p["Tags"] = tag_list
        self._alarm_put(p, json_api=True, validate=validate)
        with self._lock:
            self.tags[self.alarm_arn(name)] = {t["Key"]: t["Value"] for t in tag_list}
        if state is not None:
            self.set_alarm_state(name, state, state_reason)
        with self._lock:
            return json.loads(json.dumps(self.alarms[name]))

    def set_alarm_state(self, name: str, value: str, reason: Optional[str] = None,
                        reason_data: Optional[str] = None) -> None:
        """Like SetAlarmState: StateValue/StateReason[/StateReasonData], timestamps."""
        if value not in STATE_VALUES:
            raise ValueError(f"state must be one of {STATE_VALUES}")
        now = round(self.now(), 3)
        with self._lock:
            a = self.alarms[name]
            if a["StateValue"] != value:
                a["StateTransitionedTimestamp"] = now
            a["StateValue"], a["StateUpdatedTimestamp"] = value, now
            a["StateReason"] = reason if reason is not None else f"Set to {value} by the test"
            if reason_data is not None:
                a["StateReasonData"] = reason_data
            self.alarms[name] = {k: a[k] for k in METRIC_ALARM_MEMBERS if k in a}

    def reset_alarms(self) -> None:
        """Forget every alarm, tag and rate-limit window."""
        with self._lock:
            self.alarms.clear()
            self.tags.clear()
            self.throttled.clear()
            self._tps_accepted.clear()

    def request_times(self, op: str, include_archived: bool = True) -> list:
        """Fake-clock arrival times of every signed request for op (any outcome), sorted."""
        return sorted(r.time for r in self.aws_requests(include_archived) if r.op == op)

    def max_rate(self, op: str, window: float = 1.0) -> int:
        """Most requests for op that arrived within any [t, t + window) interval."""
        ts_, best, j = self.request_times(op), 0, 0
        for i, t in enumerate(ts_):
            while ts_[j] <= t - window:
                j += 1
            best = max(best, i - j + 1)
        return best

    # ----- CloudWatch alarms (the API)
    def _alarm_error(self, qcode: str, message: str, json_api: bool, status: int = None):
        status = status or (404 if qcode.startswith("ResourceNotFound") else 400)
        return _Reply(ALARM_ERROR_TYPES.get(qcode, qcode) if json_api else qcode, message,
                      status, query_code=qcode)

    def alarm_api(self, req: Request, json_api: bool) -> tuple:
        """Serve one alarm-management request; returns (body, content type)."""
        self._alarm_throttle(req.op, json_api)
        shape = ALARM_INPUT_SHAPES[req.op]
        if json_api:
            p = _alarm_json_input(req.params, shape)
        else:
            p = _alarm_query_input(req.params, shape)
        out = getattr(self, f"_alarm_op_{req.op}")(p, json_api)
        if json_api:
            return _alarm_json_reply(out, self.json_timestamps), "application/x-amz-json-1.0"
        return _alarm_xml_reply(req.op, out), "text/xml"

    def _alarm_throttle(self, op: str, json_api: bool) -> None:
        limits = ALARM_API_TPS if self.enforce_tps is True else (self.enforce_tps or {})
        limit = limits.get(op)
        if limit is None:
            return
        now = self.now()
        with self._lock:
            q = [t for t in self._tps_accepted.get(op, []) if t > now - self.tps_window]
            if len(q) >= limit:
                self._tps_accepted[op] = q
                self.throttled[op] = self.throttled.get(op, 0) + 1
                raise self._alarm_error("Throttling", "Rate exceeded", json_api)
            self._tps_accepted[op] = q + [now]

    def _alarm_op_PutMetricAlarm(self, p: dict, json_api: bool):
        self._alarm_put(p, json_api)
        return None

    def _alarm_put(self, p: dict, json_api: bool, validate: bool = True) -> bool:
        """Validate and store; True if the alarm was created (False: updated)."""
        cfg = self._alarm_config(p, json_api, validate)
        name, now = cfg["AlarmName"], round(self.now(), 3)
        arn = self.alarm_arn(name)
        with self._lock:
            old = self.alarms.get(name)
            if old is None:
                if self.max_alarms is not None and len(self.alarms) >= self.max_alarms:
                    raise self._alarm_error("LimitExceeded", "The maximum number of alarms "
                                            f"({self.max_alarms}) has been reached.", json_api)
                state = {"StateValue": "INSUFFICIENT_DATA",
                         "StateReason": "Unchecked: Initial alarm creation",
                         "StateUpdatedTimestamp": now, "StateTransitionedTimestamp": now}
                # Tags count only when the alarm is created; on update AWS ignores them.
                self.tags[arn] = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
            else:
                state = {k: old[k] for k in ALARM_STATE_MEMBERS if k in old}
            a = dict(cfg, AlarmArn=arn, AlarmConfigurationUpdatedTimestamp=now, **state)
            self.alarms[name] = {k: a[k] for k in METRIC_ALARM_MEMBERS if k in a}
        return old is None

    def _alarm_config(self, p: dict, json_api: bool, validate: bool = True) -> dict:
        """Check a PutMetricAlarm input as CloudWatch does (model constraints first, all
        reported at once as ValidationError, then the semantic rules one at a time);
        return the alarm's configuration members as DescribeAlarms shows them."""
        def bad(qcode, msg):
            raise self._alarm_error(qcode, msg, json_api)

        name, ev, op = p.get("AlarmName"), p.get("EvaluationPeriods"), \
            p.get("ComparisonOperator")
        metrics = p.get("Metrics") or None   # an empty list is no list
        single = p.get("MetricName") is not None
        period = p.get("Period")
        if validate:
            c = _Constraints()
            if c.required(name, "alarmName"):
                c.length(name, "alarmName", 1, 255)
            c.length(p.get("AlarmDescription"), "alarmDescription", 0, 1024)
            for k in ALARM_ACTION_LISTS:
                c.length(p.get(k), _camel(k), 0, 5)
                for i, a in enumerate(p.get(k) or [], 1):
                    c.length(a, f"{_camel(k)}.{i}.member", 1, 1024)
            c.length(p.get("MetricName"), "metricName", 1, 255)
            c.namespace(p.get("Namespace"), "namespace")
            c.enum(p.get("Statistic"), "statistic", STATISTICS)
            c.dimensions(p.get("Dimensions"), "dimensions")
            c.value(period, "period", 1)
            c.enum(p.get("Unit"), "unit", sorted(UNITS))
            if c.required(ev, "evaluationPeriods"):
                c.value(ev, "evaluationPeriods", 1)
            c.value(p.get("DatapointsToAlarm"), "datapointsToAlarm", 1)
            if c.required(op, "comparisonOperator"):
                c.enum(op, "comparisonOperator", COMPARISON_OPERATORS)
            c.length(p.get("TreatMissingData"), "treatMissingData", 1, 255)
            c.length(p.get("EvaluateLowSampleCountPercentile"),
                     "evaluateLowSampleCountPercentile", 1, 255)
            for i, q in enumerate(metrics or [], 1):
                c.metric_data_query(q, f"metrics.{i}.member")
            c.tags(p.get("Tags"), "tags")
            c.length(p.get("ThresholdMetricId"), "thresholdMetricId", 1, 255)
            c.check(self, json_api)

            if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in name):
                bad("InvalidParameterValue",
                    "The parameter AlarmName must not contain ASCII control characters.")
            if metrics is not None:
                for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                          "Period", "Unit"):
                    if p.get(k) is not None:
                        bad("ValidationError", f"{k} should not be set if list of Metrics "
                            "is set.")
                if p.get("Dimensions"):
                    bad("ValidationError", "Dimensions should not be set if list of Metrics "
                        "is set.")
            elif not single:
                bad("ValidationError", "Exactly one of MetricName and Metrics must be set.")
            if single:
                if p.get("Namespace") is None:
                    bad("MissingParameter", "The parameter Namespace is required.")
                stat, ext = p.get("Statistic"), p.get("ExtendedStatistic")
                if stat is not None and ext is not None:
                    bad("InvalidParameterCombination", "Statistic and ExtendedStatistic "
                        "cannot both be set; specify exactly one of them.")
                if stat is None and ext is None:
                    bad("MissingParameter", "The parameter Statistic or ExtendedStatistic "
                        "is required.")
                if ext is not None and not EXTENDED_STAT_RE.match(ext):
                    bad("InvalidParameterValue",
                        f"The value {ext} for parameter ExtendedStatistic is not supported.")
                if period is None:
                    bad("MissingParameter", "The parameter Period is required.")
                if period not in (10, 20, 30) and period % 60:
                    bad("ValidationError", "Period must be 10, 20, 30 or a multiple of 60")
                self._alarm_check_dims(p.get("Dimensions"), bad)
            else:
                ids, nstat, periods, returning = set(), 0, set(), []
                for q in metrics:
                    qid = q["Id"]
                    if not METRIC_ID_RE.match(qid):
                        bad("ValidationError", f"Invalid metrics list: the Id {qid} must "
                            "start with a lowercase letter and contain only letters, "
                            "numbers and underscores.")
                    if qid in ids:
                        bad("ValidationError", f"Invalid metrics list: the Id {qid} is used "
                            "more than once.")
                    ids.add(qid)
                    ms = q.get("MetricStat")
                    if (ms is None) == (q.get("Expression") is None):
                        bad("ValidationError", f"Invalid metrics list: the metric {qid} must "
                            "have exactly one of MetricStat and Expression.")
                    if ms is not None:
                        nstat += 1
                        if not ms["Metric"].get("Namespace") or \
                                not ms["Metric"].get("MetricName"):
                            bad("ValidationError", f"Invalid metrics list: the metric {qid} "
                                "needs a Namespace and a MetricName.")
                        if ms["Period"] not in (10, 20, 30) and ms["Period"] % 60:
                            bad("ValidationError",
                                "Period must be 10, 20, 30 or a multiple of 60")
                        if ms["Stat"] not in STATISTICS and \
                                not EXTENDED_STAT_RE.match(ms["Stat"]):
                            bad("InvalidParameterValue", f"The value {ms['Stat']} for "
                                "parameter Stat is not supported.")
                        self._alarm_check_dims(ms["Metric"].get("Dimensions"), bad)
                        periods.add(ms["Period"])
                    if q.get("Period") is not None:
                        periods.add(q["Period"])
                    if q.get("ReturnData", True):   # absent ReturnData counts as true
                        returning.append(q)
                if nstat > 10:
                    bad("ValidationError", "Metrics list must not contain more than 10 "
                        "metrics with MetricStat.")
                if len(periods) > 1:
                    bad("ValidationError", "All metrics in the metrics list must have the "
                        "same period.")
                period = next(iter(periods), None)
                tmid = p.get("ThresholdMetricId")
                if len(returning) != (2 if tmid else 1):
                    bad("ValidationError", "Exactly two elements of the metrics list should "
                        "return data." if tmid else "Exactly one element of the metrics list "
                        "should return data.")
                if tmid and [q["Id"] for q in metrics if q.get("Expression") is not None]\
                        .count(tmid) != 1:
                    bad("ValidationError", "Metrics list must contain exactly one metric "
                        "matching the ThresholdMetricId parameter")
            if p.get("ThresholdMetricId") is not None:
                if single:
                    bad("InvalidParameterCombination",
                        "ThresholdMetricId can only be used with the Metrics parameter.")
                if p.get("Threshold") is not None:
                    bad("InvalidParameterCombination",
                        "Threshold should not be set if ThresholdMetricId is set.")
                if op not in BAND_OPERATORS:
                    bad("ValidationError", f"ComparisonOperator {op} cannot be used with "
                        "ThresholdMetricId; use one of " + ", ".join(BAND_OPERATORS) + ".")
            else:
                if op in BAND_OPERATORS:
                    bad("ValidationError",
                        f"ComparisonOperator {op} can only be used with ThresholdMetricId.")
                if p.get("Threshold") is None:
                    bad("MissingParameter", "The parameter Threshold is required for an "
                        "alarm with a static threshold.")
            dta = p.get("DatapointsToAlarm")
            if dta is not None and dta > ev:
                bad("ValidationError",
                    "DatapointsToAlarm must be less than or equal to EvaluationPeriods")
            if period:
                total, limit = period * ev, 86400 if period < 3600 else 604800
                if total > limit:
                    bad("ValidationError", f"The evaluation period of the alarm (Period x "
                        f"EvaluationPeriods = {total} seconds) can't be more than {limit} "
                        "seconds" + (" for a period of less than one hour"
                                     if period < 3600 else "") + ".")
            tmd = p.get("TreatMissingData")
            if tmd is not None and tmd not in TREAT_MISSING_DATA:
                bad("InvalidParameterValue", f"The value {tmd} for parameter "
                    "TreatMissingData is not valid. Valid values: "
                    + ", ".join(TREAT_MISSING_DATA) + ".")
            elsc = p.get("EvaluateLowSampleCountPercentile")
            if elsc is not None:
                if elsc not in LOW_SAMPLE_COUNT:
                    bad("InvalidParameterValue", f"The value {elsc} for parameter "
                        "EvaluateLowSampleCountPercentile is not valid. Valid values: "
                        "evaluate, ignore.")
                shown = [q for q in metrics or [] if q.get("ReturnData", True)]
                if not (p.get("ExtendedStatistic") is not None
                        or (len(shown) == 1 and shown[0].get("MetricStat") is not None
                            and shown[0]["MetricStat"]["Stat"] not in STATISTICS)):
                    bad("InvalidParameterCombination", "EvaluateLowSampleCountPercentile "
                        "can only be used with a percentile (ExtendedStatistic).")
            for k in ALARM_ACTION_LISTS:
                for a in p.get(k) or []:
                    m = ACTION_ARN_RE.match(a)
                    if not m:
                        bad("ValidationError", f"Invalid {k} value: {a} is not an ARN.")
                    if m.group(2) and m.group(2) != self.region:
                        bad("ValidationError", f"Invalid region {m.group(2)} specified. "
                            f"Only {self.region} is supported.")
            self._alarm_check_tags(p.get("Tags") or [], bad)

        cfg = {"AlarmName": name}
        if p.get("AlarmDescription") is not None:
            cfg["AlarmDescription"] = p["AlarmDescription"]
        cfg["ActionsEnabled"] = p.get("ActionsEnabled", True)
        for k in ALARM_ACTION_LISTS:
            cfg[k] = list(p.get(k) or [])
        dims = [{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions") or []]
        if single:
            cfg.update(MetricName=p["MetricName"], Namespace=p.get("Namespace"),
                       Dimensions=dims, Period=p.get("Period"))
            for k in ("Statistic", "ExtendedStatistic", "Unit"):
                if p.get(k) is not None:
                    cfg[k] = p[k]
        else:
            cfg["Dimensions"] = dims   # [] for metric-math alarms, as AWS shows them
        cfg["EvaluationPeriods"] = ev
        for k in ("DatapointsToAlarm", "Threshold", "TreatMissingData",
                  "EvaluateLowSampleCountPercentile", "ThresholdMetricId"):
            if p.get(k) is not None:
                cfg[k] = p[k]
        if "Threshold" in cfg:
            cfg["Threshold"] = float(cfg["Threshold"])
        cfg["ComparisonOperator"] = op
        if metrics:
            cfg["Metrics"] = [self._alarm_query_out(q) for q in metrics]
        return cfg

    @staticmethod
    def _alarm_query_out(q: dict) -> dict:
        """A MetricDataQuery as DescribeAlarms returns it (ReturnData always present)."""
        out = {"Id": q["Id"]}
        ms = q.get("MetricStat")
        if ms is not None:
            m = ms["Metric"]
            out["MetricStat"] = {"Metric": {"Namespace": m.get("Namespace"),
                                            "MetricName": m.get("MetricName"),
                                            "Dimensions": [{"Name": d["Name"],
                                                            "Value": d["Value"]}
                                                           for d in m.get("Dimensions") or []]},
                                 "Period": ms["Period"], "Stat": ms["Stat"]}
            if ms.get("Unit") is not None:
                out["MetricStat"]["Unit"] = ms["Unit"]
        for k in ("Expression", "Label"):
            if q.get(k) is not None:
                out[k] = q[k]
        out["ReturnData"] = q.get("ReturnData", True)
        for k in ("Period", "AccountId"):
            if q.get(k) is not None:
                out[k] = q[k]
        return out

    @staticmethod
    def _alarm_check_dims(dims, bad) -> None:
        names = [d["Name"] for d in dims or []]
        for n in names:
            if names.count(n) > 1:
                bad("InvalidParameterValue", f"The dimension {n} is specified more than once.")

    @staticmethod
    def _alarm_check_tags(tags: list, bad) -> None:
        if len(tags) > 50:
            bad("InvalidParameterValue", f"{len(tags)} tags given: a resource can have at "
                "most 50 tags.")
        keys = [t["Key"] for t in tags]
        for k in keys:
            if keys.count(k) > 1:
                bad("InvalidParameterValue", f"Duplicate tag key: {k}")
            if k.lower().startswith("aws:"):
                bad("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for "
                    "AWS use.")

    def _alarm_op_DescribeAlarms(self, p: dict, json_api: bool) -> dict:
        def bad(qcode, msg):
            raise self._alarm_error(qcode, msg, json_api)

        names, prefix, types = p.get("AlarmNames"), p.get("AlarmNamePrefix"), \
            p.get("AlarmTypes")
        children, parents = p.get("ChildrenOfAlarmName"), p.get("ParentsOfAlarmName")
        state, aprefix, maxr = p.get("StateValue"), p.get("ActionPrefix"), \
            p.get("MaxRecords")
        c = _Constraints()
        c.length(names, "alarmNames", 0, 100)
        for i, n in enumerate(names or [], 1):
            c.length(n, f"alarmNames.{i}.member", 1, 255)
        c.length(prefix, "alarmNamePrefix", 1, 255)
        for i, t in enumerate(types or [], 1):
            c.enum(t, f"alarmTypes.{i}.member", ALARM_TYPES)
        c.length(children, "childrenOfAlarmName", 1, 255)
        c.length(parents, "parentsOfAlarmName", 1, 255)
        c.enum(state, "stateValue", STATE_VALUES)
        c.length(aprefix, "actionPrefix", 1, 1024)
        c.value(maxr, "maxRecords", 1, 100)
        c.check(self, json_api)
        if names is not None and prefix is not None:
            bad("InvalidParameterCombination",
                "AlarmNames and AlarmNamePrefix cannot be specified together.")
        if (children or parents) and any(x is not None for x in
                                         (names, prefix, state, aprefix)):
            bad("InvalidParameterCombination", "ChildrenOfAlarmName and ParentsOfAlarmName "
                "can only be combined with AlarmTypes, MaxRecords and NextToken.")
        query = hashlib.sha256(json.dumps(
            [sorted(names) if names is not None else None, prefix, sorted(types or []),
             children, parents, state, aprefix]).encode()).hexdigest()[:16]
        after = None
        if p.get("NextToken") is not None:
            try:
                t = json.loads(base64.urlsafe_b64decode(p["NextToken"].encode()).decode())
                after, tq = t["after"], t["query"]
            except (ValueError, KeyError, TypeError):
                bad("InvalidNextToken", "The service couldn't process the NextToken.")
            if tq != query:
                bad("InvalidNextToken", "The NextToken belongs to a request with other "
                    "filters.")
        metric = (types is None or "MetricAlarm" in types) and not children and not parents
        wanted = set(names) if names is not None else None
        with self._lock:
            sel = sorted(n for n, a in self.alarms.items() if metric
                         and (after is None or n > after)
                         and (wanted is None or n in wanted)
                         and (prefix is None or n.startswith(prefix))
                         and (state is None or a["StateValue"] == state)
                         and (aprefix is None or any(x.startswith(aprefix) for k in
                                                     ALARM_ACTION_LISTS for x in a[k])))
            size = min(maxr or 50, max(1, int(self.alarm_page_size)))
            page = sel[:size]
            alarms = json.loads(json.dumps([self.alarms[n] for n in page]))
        out = {"MetricAlarms": alarms, "CompositeAlarms": []}
        if len(sel) > size:
            out["NextToken"] = base64.urlsafe_b64encode(json.dumps(
                {"after": page[-1], "query": query}).encode()).decode()
        return out

    def _alarm_op_DeleteAlarms(self, p: dict, json_api: bool):
        names = p.get("AlarmNames")
        c = _Constraints()
        if c.required(names, "alarmNames"):
            c.length(names, "alarmNames", 0, 100)
            for i, n in enumerate(names, 1):
                c.length(n, f"alarmNames.{i}.member", 1, 255)
        c.check(self, json_api)
        with self._lock:
            missing = [n for n in names if n not in self.alarms]
            for n in names:   # the names that exist are deleted even if others do not
                if self.alarms.pop(n, None) is not None:
                    self.tags.pop(self.alarm_arn(n), None)
        if missing and self.delete_alarms_not_found:
            raise self._alarm_error("ResourceNotFound", "The following alarms were not "
                                    "found: " + ", ".join(missing), json_api)
        return None

    def _alarm_tag_target(self, p: dict, json_api: bool, c: "_Constraints") -> str:
        arn = p.get("ResourceARN")
        if c.required(arn, "resourceARN"):
            c.length(arn, "resourceARN", 1, 1024)
        c.check(self, json_api)
        if not ACTION_ARN_RE.match(arn):
            raise self._alarm_error("InvalidParameterValue", f"Invalid ARN: {arn}", json_api)
        m = ALARM_ARN_RE.match(arn)
        with self._lock:
            found = m and m.group(1) == self.region and m.group(2) == self.account_id \
                and m.group(3) in self.alarms
        if not found:
            raise self._alarm_error("ResourceNotFoundException",
                                    f"Resource {arn} does not exist.", json_api)
        return arn

    def _alarm_op_ListTagsForResource(self, p: dict, json_api: bool) -> dict:
        arn = self._alarm_tag_target(p, json_api, _Constraints())
        with self._lock:
            tags = list(self.tags.get(arn, {}).items())
        # AWS promises no order: answer newest first, so clients must not rely on one.
        return {"Tags": [{"Key": k, "Value": v} for k, v in reversed(tags)]}

    def _alarm_op_TagResource(self, p: dict, json_api: bool) -> dict:
        c = _Constraints()
        c.required(p.get("Tags"), "tags")
        c.tags(p.get("Tags"), "tags")
        arn = self._alarm_tag_target(p, json_api, c)

        def bad(qcode, msg):
            raise self._alarm_error(qcode, msg, json_api)
        self._alarm_check_tags(p["Tags"], bad)
        with self._lock:
            merged = dict(self.tags.get(arn, {}))
            merged.update({t["Key"]: t["Value"] for t in p["Tags"]})
            if len(merged) > 50:
                bad("InvalidParameterValue", f"The resource would have {len(merged)} tags: "
                    "a resource can have at most 50 tags.")
            self.tags[arn] = merged
        return {}

    def _alarm_op_UntagResource(self, p: dict, json_api: bool) -> dict:
        c = _Constraints()
        if c.required(p.get("TagKeys"), "tagKeys"):
            for i, k in enumerate(p["TagKeys"], 1):
                c.length(k, f"tagKeys.{i}.member", 1, 128)
        arn = self._alarm_tag_target(p, json_api, c)
        with self._lock:
            for k in p["TagKeys"]:
                self.tags.get(arn, {}).pop(k, None)
        return {}

    # ----- STS
    def assume_role(self, f: dict) -> dict:
        def bad(member, value, constraint):
            raise _Reply("ValidationError", f"1 validation error detected: Value '{value}' at "
                         f"'{member}' failed to satisfy constraint: {constraint}", 400)

        arn, name = f.get("RoleArn"), f.get("RoleSessionName")
        if not arn:
            raise _Reply("MissingParameter", "The request must contain the parameter RoleArn",
                         400)
        if not name:
            raise _Reply("MissingParameter",
                         "The request must contain the parameter RoleSessionName", 400)
        if not 20 <= len(arn) <= 2048 or not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/.+",
                                                      arn):
            bad("roleArn", arn, "Member must be a valid IAM role ARN")
        if not 2 <= len(name) <= 64 or not re.fullmatch(r"[\w+=,.@-]*", name):
            bad("roleSessionName", name, "Member must satisfy regular expression pattern: "
                "[\\w+=,.@-]* and have length 2-64")
        dur = f.get("DurationSeconds", "3600")
        if not dur.isdigit() or not 900 <= int(dur) <= 43200:
            bad("durationSeconds", dur, "Member must have value between 900 and 43200")
        ext = f.get("ExternalId")
        if ext is not None and (not 2 <= len(ext) <= 1224
                                or not re.fullmatch(r"[\w+=,.@:/-]*", ext)):
            bad("externalId", ext, "Member must satisfy regular expression pattern: "
                "[\\w+=,.@:\\/-]* and have length 2-1224")
        c = self.issue_session(self.sts_lifetime or int(dur))
        account, role = arn.split(":")[4], arn.split("/", 1)[1]
        return {"creds": c, "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{name}",
                "role_id": f"AROAFAKEROLEID0000001:{name}"}

    # ----- IMDS
    def imds_credentials(self) -> dict:
        with self._lock:
            c = self._imds_creds
            if c is None or to_epoch(c["Expiration"]) - self.now() < 900:
                c = self._imds_creds = self.issue_session(self.imds_lifetime)
            return c


# --------------------------------------------------------------------------- alarm wire helpers

def _camel(member: str) -> str:
    """Coral's member path spelling: first letter lower-cased ("OKActions" -> "oKActions")."""
    return member[:1].lower() + member[1:]


class _Constraints:
    """Collects model-constraint violations the way Coral reports them:
    "2 validation errors detected: Value '0' at 'evaluationPeriods' failed to satisfy
    constraint: Member must have value greater than or equal to 1; Value null at ..."."""

    def __init__(self):
        self.errors: list = []

    def add(self, value, path, constraint):
        if value is None:
            shown = "null"
        elif isinstance(value, list):
            shown = "'[" + ", ".join(str(v) for v in value) + "]'"
        else:
            shown = f"'{value}'"
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: "
                           f"{constraint}")

    def required(self, value, path) -> bool:
        if value is None:
            self.add(None, path, "Member must not be null")
            return False
        return True

    def length(self, value, path, lo, hi):
        if value is None:
            return
        if len(value) < lo:
            self.add(value, path, f"Member must have length greater than or equal to {lo}")
        elif hi is not None and len(value) > hi:
            self.add(value, path, f"Member must have length less than or equal to {hi}")

    def value(self, v, path, lo, hi=None):
        if v is None:
            return
        if v < lo:
            self.add(v, path, f"Member must have value greater than or equal to {lo}")
        elif hi is not None and v > hi:
            self.add(v, path, f"Member must have value less than or equal to {hi}")

    def enum(self, v, path, values):
        if v is not None and v not in values:
            self.add(v, path, "Member must satisfy enum value set: [" + ", ".join(values) + "]")

    def namespace(self, v, path):
        self.length(v, path, 1, 255)
        if v and v.startswith(":"):
            self.add(v, path, "Member must satisfy regular expression pattern: [^:].*")

    def dimensions(self, dims, path):
        if dims is None:
            return
        self.length(dims, path, 0, 30)
        for i, d in enumerate(dims, 1):
            if self.required(d.get("Name"), f"{path}.{i}.member.name"):
                self.length(d["Name"], f"{path}.{i}.member.name", 1, 255)
            if self.required(d.get("Value"), f"{path}.{i}.member.value"):
                self.length(d["Value"], f"{path}.{i}.member.value", 1, 1024)

    def metric_data_query(self, q, base):
        """The model constraints of one MetricDataQuery (PutMetricAlarm's Metrics and
        GetMetricData's MetricDataQueries alike)."""
        if self.required(q.get("Id"), f"{base}.id"):
            self.length(q["Id"], f"{base}.id", 1, 255)
        self.length(q.get("Expression"), f"{base}.expression", 1, 2048)
        self.value(q.get("Period"), f"{base}.period", 1)
        ms = q.get("MetricStat")
        if ms is not None:
            mb = f"{base}.metricStat"
            if self.required(ms.get("Metric"), f"{mb}.metric"):
                self.namespace(ms["Metric"].get("Namespace"), f"{mb}.metric.namespace")
                self.length(ms["Metric"].get("MetricName"), f"{mb}.metric.metricName", 1, 255)
                self.dimensions(ms["Metric"].get("Dimensions"), f"{mb}.metric.dimensions")
            if self.required(ms.get("Period"), f"{mb}.period"):
                self.value(ms["Period"], f"{mb}.period", 1)
            self.required(ms.get("Stat"), f"{mb}.stat")
            self.enum(ms.get("Unit"), f"{mb}.unit", sorted(UNITS))

    def tags(self, tags, path):
        for i, t in enumerate(tags or [], 1):
            if self.required(t.get("Key"), f"{path}.{i}.member.key"):
                self.length(t["Key"], f"{path}.{i}.member.key", 1, 128)
            if self.required(t.get("Value"), f"{path}.{i}.member.value"):
                self.length(t["Value"], f"{path}.{i}.member.value", 0, 256)

    def check(self, fake, json_api):
        if self.errors:
            n = len(self.errors)
            raise fake._alarm_error("ValidationError", f"{n} validation error"
                                    f"{'s' if n > 1 else ''} detected: " + "; ".join(self.errors),
                                    json_api)


def _alarm_json_input(v, shape, path=""):
    """Type-check a decoded JSON 1.0 input against an ALARM_INPUT_SHAPES shape.  null members
    are dropped, unknown members ignored; a wrong type is a SerializationException."""
    def fail(what):
        raise _Reply("SerializationException",
                     f"Malformed input: {path or 'the body'} must be {what}", 400)
    if isinstance(shape, dict):
        if not isinstance(v, dict):
            fail("an object")
        return {k: _alarm_json_input(x, shape[k], f"{path}.{k}" if path else k)
                for k, x in v.items() if k in shape and x is not None}
    if isinstance(shape, list):
        if not isinstance(v, list):
            fail("an array")
        return [_alarm_json_input(x, shape[0], f"{path}[{i}]") for i, x in enumerate(v)]
    if shape == "s" and isinstance(v, str):
        return v
    if shape == "b" and isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if shape in ("d", "t") and math.isfinite(v):
            return float(v)
        if shape == "i" and float(v).is_integer():
            return int(v)
    fail({"s": "a string", "b": "a boolean", "d": "a number", "i": "an integer",
          "t": "a timestamp (epoch seconds)"}[shape])


def _alarm_query_input(form: dict, shape: dict, prefix: str = "") -> dict:
    """Decode an AWS Query form (Name.member.N, dotted structures, "Name=" = empty list)
    into the JSON-style input object for `shape`."""
    def scalar(v, t, key):
        try:
            if t == "i":
                return int(v)
            if t == "d":
                return float(v)
            if t == "t":
                return to_epoch(v)
            if t == "b":
                if v.lower() not in ("true", "false"):
                    raise ValueError
                return v.lower() == "true"
            return v
        except ValueError:
            kind = {"i": "integer", "d": "double", "b": "boolean", "t": "timestamp"}[t]
            raise _Reply("InvalidParameterValue",
                         f"Invalid value '{v}' for parameter {key}: not a valid {kind}.", 400)

    out = {}
    for name, sub in shape.items():
        key = prefix + name
        if isinstance(sub, list):
            items, i = [], 1
            while True:
                mk = f"{key}.member.{i}"
                if isinstance(sub[0], dict):
                    if not any(k.startswith(mk + ".") for k in form):
                        break
                    items.append(_alarm_query_input(form, sub[0], mk + "."))
                elif mk in form:
                    items.append(scalar(form[mk], sub[0], mk))
                else:
                    break
                i += 1
            if items or key in form:
                out[name] = items
        elif isinstance(sub, dict):
            if any(k.startswith(key + ".") for k in form):
                out[name] = _alarm_query_input(form, sub, key + ".")
        elif key in form:
            out[name] = scalar(form[key], sub, key)
    return out


def _iso8601_ms(epoch: float) -> str:
    secs, ms = divmod(int(round(epoch * 1000)), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


def _alarm_xml(v, key: str = "") -> str:
    if isinstance(v, dict):
        return "".join(f"<{k}>{_alarm_xml(x, k)}</{k}>" for k, x in v.items())
    if isinstance(v, list):
        return "".join(f"<member>{_alarm_xml(x, key)}</member>" for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if key.endswith("Timestamp"):
        return _iso8601_ms(v)
    if isinstance(v, float):
        return _fmt_num(v)
    return xml_escape(str(v))


def _alarm_xml_reply(op: str, out: Optional[dict]) -> str:
    result = "" if out is None else f"  <{op}Result>{_alarm_xml(out)}</{op}Result>\n"
    return (f'<{op}Response xmlns="{CW_XMLNS}">\n{result}'
            f'  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>\n'
            f'</{op}Response>\n')


def _gmd_xml_reply(out: dict) -> str:
    """GetMetricData output as the Query protocol's XML."""
    res = "".join(
        f"<member><Id>{xml_escape(r['Id'])}</Id><Label>{xml_escape(r['Label'])}</Label>"
        "<Timestamps>" + "".join(f"<member>{iso8601(t)}</member>" for t in r["Timestamps"])
        + "</Timestamps><Values>" + "".join(f"<member>{_fmt_num(v)}</member>"
                                             for v in r["Values"])
        + f"</Values><StatusCode>{r['StatusCode']}</StatusCode><Messages/></member>"
        for r in out["MetricDataResults"])
    tok = f"<NextToken>{xml_escape(out['NextToken'])}</NextToken>" if "NextToken" in out else ""
    return (f'<GetMetricDataResponse xmlns="{CW_XMLNS}">\n  <GetMetricDataResult>\n'
            f'    <MetricDataResults>{res}</MetricDataResults>\n    {tok}<Messages/>\n'
            f'  </GetMetricDataResult>\n'
            f'  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>\n'
            f'</GetMetricDataResponse>\n')


def _gmd_json_reply(out: dict, mode: str) -> str:
    """GetMetricData output in JSON 1.0; Timestamps in fake.json_timestamps style."""
    def stamp(t: float) -> str:
        if mode == "int":
            return str(int(t))
        if mode == "sci":  # Java/Coral prints doubles like 1.7956008E9
            whole, _, frac = repr(float(t)).partition(".")
            digits = (whole + frac).rstrip("0") or "0"
            return f"{digits[0]}.{digits[1:] or '0'}E{len(whole) - 1}"
        return repr(float(t))
    body = json.dumps(dict(out, MetricDataResults=[
        dict(r, Timestamps=[float(t) for t in r["Timestamps"]])
        for r in out["MetricDataResults"]]))
    # Inside a JSON string a quote is escaped, so only the member itself matches.
    return re.sub(r'"Timestamps": \[([^\]]*)\]', lambda m: '"Timestamps": [' + ", ".join(
        stamp(float(x)) for x in m.group(1).split(", ") if x) + "]", body)


def _alarm_json_reply(out: Optional[dict], mode: str) -> str:
    """JSON 1.0 output; timestamps are epoch seconds in fake.json_timestamps style."""
    def ints(v, key=""):
        if isinstance(v, dict):
            return {k: ints(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [ints(x) for x in v]
        return int(v) if key.endswith("Timestamp") else v
    body = json.dumps(ints(out or {}) if mode == "int" else (out or {}))
    if mode == "sci":  # Java/Coral prints doubles like 1.7956008001E9
        def sci(m):
            whole, _, frac = repr(float(m.group(2))).partition(".")
            digits = (whole + frac).rstrip("0") or "0"
            return f'"{m.group(1)}": {digits[0]}.{digits[1:] or "0"}E{len(whole) - 1}'
        body = re.sub(r'"(\w*Timestamp)": (\d+(?:\.\d+)?)', sci, body)
    return body


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


# --------------------------------------------------------------------------- HTTP handler

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as libcurl expects
    # Headers and body go out in two writes; with Nagle on and the client's
    # delayed ACK every reply after the first on a connection waits ~40 ms.
    disable_nagle_algorithm = True
    server_version = "fakeaws"
    sys_version = ""
    timeout = 120                    # idle keep-alive connections are dropped after this

    @property
    def fake(self) -> FakeAWS:
        return self.server.fake

    def setup(self):
        super().setup()
        with self.fake._lock:
            self.fake._conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.fake._lock:
                self.fake._conns.discard(self.connection)

    def log_message(self, fmt, *args):  # quiet; the records are the log
        pass

    def date_time_string(self, timestamp=None):  # Date: from the fake (skewable) clock
        return email.utils.formatdate(self.fake.now() if timestamp is None else timestamp,
                                      usegmt=True)

    do_GET = do_POST = do_PUT = do_DELETE = lambda self: self._dispatch()

    # ----- request plumbing
    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body=b"", ctype="text/plain", headers=None, req=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if req is not None:  # record first: the client may look as soon as it has the reply
            req.status = status
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_error(self, req: Request, e: _Reply):
        req.error = e.code
        if req.api == "cloudwatch-json":
            hdr = {"x-amzn-query-error": f"{e.query_code};{'Sender' if e.sender else 'Receiver'}"
                   } if e.query_code else {}
            self._send(e.status, json.dumps({"__type": e.code, "message": e.message}),
                       "application/x-amz-json-1.0", hdr, req)
        elif req.api == "kinesis":  # JSON 1.1: no x-amzn-query-error header
            self._send(e.status, json.dumps({"__type": e.code, "message": e.message}),
                       "application/x-amz-json-1.1", req=req)
        elif req.api == "imds":
            self._send(e.status, e.message, req=req)
        else:
            ns = {"sts": STS_XMLNS, "sns": SNS_XMLNS}.get(req.api, CW_XMLNS)
            body = (f'<ErrorResponse xmlns="{ns}">\n  <Error>\n'
                    f'    <Type>{"Sender" if e.sender else "Receiver"}</Type>\n'
                    f'    <Code>{xml_escape(e.code)}</Code>\n'
                    f'    <Message>{xml_escape(e.message)}</Message>\n  </Error>\n'
                    f'  <RequestId>{uuid.uuid4()}</RequestId>\n</ErrorResponse>\n')
            self._send(e.status, body, "text/xml", req=req)

    def _close_hard(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _classify(self, req: Request) -> Optional[str]:
        """Set req.api/op/params; return the signing service the API expects."""
        path = urllib.parse.urlsplit(req.path).path
        if path.startswith("/latest/"):
            req.api = "imds"
            if path == "/latest/api/token":
                req.op = "IMDSToken"
            elif path.rstrip("/") == "/latest/meta-data/iam/security-credentials":
                req.op = "IMDSRoleList"
            elif path.startswith("/latest/meta-data/iam/security-credentials/"):
                req.op = "IMDSCredentials"
            else:
                req.op = "IMDSOther"
            return None
        target = req.headers.get("x-amz-target")
        if target is not None:
            req.api = "cloudwatch-json" if target.startswith(CW_TARGET_PREFIX) else "unknown"
            req.op = target.rsplit(".", 1)[-1]
            try:  # decoded early so fault predicates can look at it
                req.params = json.loads(req.body or b"{}")
            except ValueError:
                req.params = None
            if target.startswith(KINESIS_TARGET_PREFIX):
                req.api = "kinesis"
                return "kinesis"
            return "monitoring"
        form = {}
        if "x-www-form-urlencoded" in req.headers.get("content-type", ""):
            form.update(urllib.parse.parse_qs(req.body.decode("utf-8", "replace"),
                                              keep_blank_values=True))
        form.update(urllib.parse.parse_qs(urllib.parse.urlsplit(req.path).query,
                                          keep_blank_values=True))
        form = {k: v[-1] for k, v in form.items()}
        if "Action" in form:
            req.params, req.op = form, form["Action"]
            version = form.get("Version")
            if version == STS_VERSION or (version is None and req.op in STS_ACTIONS):
                req.api = "sts"
                return "sts"
            if version == SNS_VERSION:
                req.api = "sns"
                return "sns"
            req.api = "cloudwatch-query"
            return "monitoring"
        return None

    # ----- main dispatch
    def _dispatch(self):
        fake = self.fake
        body = self._read_body()
        if self.path.startswith("/_fake/"):
            return self._control(body)
        req = Request(method=self.command, path=self.path,
                      headers={k.lower(): ",".join(self.headers.get_all(k))
                               for k in self.headers.keys()},
                      header_list=list(self.headers.items()), body=body, time=fake.now())
        with fake._lock:
            fake.requests.append(req)
        try:
            service = self._classify(req)
            if req.api != "imds":
                fake.verify(req, service)
                if req.api == "unknown":
                    if req.headers.get("x-amz-target") is not None or req.params is None:
                        raise _Reply("UnknownOperationException", "Unknown operation", 400)
                    raise _Reply("MissingAction", "Missing Action", 400)
            fault = fake._take_fault(req)
            if fault is not None and self._apply_fault(req, fault):
                return
            handler = getattr(self, f"_op_{req.api.replace('-', '_')}")
            handler(req)
        except _Reply as e:
            self._send_error(req, e)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # a bug in the fake: answer 500 and keep the evidence
            req.problems.append(f"fake raised {e!r}")
            self._send_error(req, _Reply("InternalFailure", f"fakeaws bug: {e!r}", 500))
        finally:
            if fake.on_request:
                fake.on_request(req)

    def _apply_fault(self, req: Request, f) -> bool:
        """Apply an injected fault; True if the request is fully handled."""
        req.fault = repr(f)
        if isinstance(f, tuple) and f and f[0] == "delay":
            time.sleep(f[1])
            return False
        if f == "hang":
            self.fake._release.wait(self.fake.hang_max)
            self._close_hard()
            return True
        if f == "close":
            self._close_hard()
            return True
        if f in ("malformed", "truncated"):
            if req.api == "kinesis":
                body, ctype = '{"StreamNames": ["orders", "cli', "application/x-amz-json-1.1"
            elif req.api == "cloudwatch-json":
                body, ctype = '{"Label": "IncomingRecords", "Datapoints": [{"Timestamp": 17', \
                    "application/x-amz-json-1.0"
            else:
                body, ctype = f'<{req.op}Response xmlns="{CW_XMLNS}"><{req.op}Result><Lab', \
                    "text/xml"
            if f == "malformed":
                self._send(200, body, ctype, req=req)
                return True
            req.status = 200
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body.encode())
            self._close_hard()
            return True
        if isinstance(f, tuple) and f and f[0] == "raw":
            self.wfile.write(f[1] if isinstance(f[1], bytes) else f[1].encode())
            self._close_hard()
            return True
        if isinstance(f, dict):
            self._send(f.get("status", 200), f.get("body", b""),
                       f.get("headers", {}).get("Content-Type", "application/octet-stream"),
                       {k: v for k, v in f.get("headers", {}).items() if k != "Content-Type"},
                       req)
            return True
        if isinstance(f, tuple) and len(f) >= 2:
            code, status = f[0], f[1]
            raise _Reply(code, f[2] if len(f) > 2 else None, status, query_code=code)
        raise ValueError(f"unknown fault {f!r}")

    # ----- CloudWatch JSON 1.0
    def _op_cloudwatch_json(self, req: Request):
        if not req.headers.get("content-type", "").startswith("application/x-amz-json-1.0"):
            raise _Reply("SerializationException",
                         "Content-Type must be application/x-amz-json-1.0", 400)
        if req.op in ALARM_OPS:
            body, ctype = self.fake.alarm_api(req, json_api=True)
            return self._send(200, body, ctype, req=req)
        if req.op == "GetMetricData":
            out = self.fake.get_metric_data(_alarm_json_input(req.params, GMD_INPUT_SHAPE),
                                            json_api=True)
            return self._send(200, _gmd_json_reply(out, self.fake.json_timestamps),
                              "application/x-amz-json-1.0", req=req)
        if req.op != "GetMetricStatistics":
            raise _Reply("UnknownOperationException", f"{req.op} is not implemented by the fake",
                         400)
        try:
            p = req.params
            if not isinstance(p, dict):
                raise ValueError
            for t in ("StartTime", "EndTime"):
                if t in p and (isinstance(p[t], bool) or not isinstance(p[t], (int, float))):
                    raise ValueError
        except ValueError:
            raise _Reply("SerializationException", "Malformed input: body is not the expected "
                         "JSON object (timestamps must be epoch-second numbers)", 400)
        out = self.fake.get_metric_statistics(p, json_api=True)
        mode = self.fake.json_timestamps
        for d in out["Datapoints"]:
            d["Timestamp"] = int(d["Timestamp"]) if mode != "float" else float(d["Timestamp"])
        body = json.dumps(out)
        if mode == "sci":  # Java/Coral prints doubles like 1.7956008E9
            def sci(m):
                digits = m.group(1)
                frac = digits[1:].rstrip("0") or "0"
                return f'"Timestamp": {digits[0]}.{frac}E{len(digits) - 1}'
            body = re.sub(r'"Timestamp": (\d+)', sci, body)
        self._send(200, body, "application/x-amz-json-1.0", req=req)

    # ----- Kinesis JSON 1.1
    def _op_kinesis(self, req: Request):
        if not req.headers.get("content-type", "").startswith("application/x-amz-json-1.1"):
            raise _Reply("SerializationException",
                         "Content-Type must be application/x-amz-json-1.1", 400)
        ops = {"ListStreams": self.fake.list_streams,
               "DescribeStreamSummary": self.fake.describe_stream_summary}
        if req.op not in ops:
            raise _Reply("UnknownOperationException", f"{req.op} is not implemented by the fake",
                         400)
        if not isinstance(req.params, dict):
            raise _Reply("SerializationException", "Malformed input: body is not a JSON object",
                         400)
        self._send(200, json.dumps(ops[req.op](req.params)),
                   "application/x-amz-json-1.1", req=req)

    # ----- CloudWatch Query
    def _op_cloudwatch_query(self, req: Request):
        f = req.params
        if f.get("Version") != CW_VERSION:
            raise _Reply("InvalidAction", f"Could not find operation {req.op} for version "
                         f"{f.get('Version')}", 400)
        if req.op in ALARM_OPS:
            body, ctype = self.fake.alarm_api(req, json_api=False)
            return self._send(200, body, ctype, req=req)
        if req.op == "GetMetricData":
            out = self.fake.get_metric_data(_alarm_query_input(f, GMD_INPUT_SHAPE),
                                            json_api=False)
            return self._send(200, _gmd_xml_reply(out), "text/xml", req=req)
        if req.op != "GetMetricStatistics":
            raise _Reply("InvalidAction", f"Could not find operation {req.op} for version "
                         f"{CW_VERSION}", 400)

        def members(prefix):
            out, i = [], 1
            while f"{prefix}.member.{i}" in f:
                out.append(f[f"{prefix}.member.{i}"])
                i += 1
            return out or None

        p = {k: f.get(k) for k in ("Namespace", "MetricName", "Unit") if k in f}
        try:
            for k in ("StartTime", "EndTime"):
                if k in f:
                    p[k] = to_epoch(f[k])
            if "Period" in f:
                p["Period"] = int(f["Period"])
        except ValueError as e:
            raise _Reply("InvalidParameterValue", f"Invalid parameter: {e}", 400)
        p["Statistics"], p["ExtendedStatistics"] = members("Statistics"), \
            members("ExtendedStatistics")
        dims, i = [], 1
        while f"Dimensions.member.{i}.Name" in f or f"Dimensions.member.{i}.Value" in f:
            dims.append({"Name": f.get(f"Dimensions.member.{i}.Name"),
                         "Value": f.get(f"Dimensions.member.{i}.Value")})
            i += 1
        p["Dimensions"] = dims
        out = self.fake.get_metric_statistics(p, json_api=False)
        pts = []
        for d in out["Datapoints"]:
            x = [f"<Timestamp>{iso8601(d['Timestamp'])}</Timestamp>"]
            x += [f"<{s}>{_fmt_num(d[s])}</{s}>" for s in STATISTICS if s in d]
            if "ExtendedStatistics" in d:
                x.append("<ExtendedStatistics>" + "".join(
                    f"<entry><key>{k}</key><value>{_fmt_num(v)}</value></entry>"
                    for k, v in d["ExtendedStatistics"].items()) + "</ExtendedStatistics>")
            x.append(f"<Unit>{d['Unit']}</Unit>")
            pts.append("<member>" + "".join(x) + "</member>")
        body = (f'<GetMetricStatisticsResponse xmlns="{CW_XMLNS}">\n'
                f'  <GetMetricStatisticsResult>\n    <Label>{xml_escape(out["Label"])}</Label>\n'
                f'    <Datapoints>{"".join(pts)}</Datapoints>\n  </GetMetricStatisticsResult>\n'
                f'  <ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>\n'
                f'</GetMetricStatisticsResponse>\n')
        self._send(200, body, "text/xml", req=req)

    # ----- SNS Query (Publish)
    def _op_sns(self, req: Request):
        fake = self.fake
        if req.op != "Publish":
            raise _Reply("InvalidAction", f"Could not find operation {req.op} for version "
                         f"{SNS_VERSION}", 400)
        try:  # strictly: SNS refuses a body that is not UTF-8
            form = {k: v[-1] for k, v in urllib.parse.parse_qs(
                req.body.decode("utf-8"), keep_blank_values=True, errors="strict").items()}
        except UnicodeDecodeError:
            raise _Reply("InvalidParameter", "Invalid parameter: Message must be UTF-8", 400)

        def bad(what):
            raise _Reply("InvalidParameter", f"Invalid parameter: {what}", 400)

        arn = form.get("TopicArn")
        if not arn:
            bad("TopicArn or TargetArn Reason: no value for required parameter")
        m = SNS_TOPIC_RE.match(arn[:-5] if arn.endswith(".fifo") else arn)
        if not m or m.group(1) != fake.region:
            bad("TopicArn")
        with fake._lock:
            topic = fake._topics.get(arn)
        if topic is None:
            raise _Reply("NotFound", "Topic does not exist", 404)
        msg = form.get("Message")
        if msg is None or msg == "":
            raise _Reply("InvalidParameter", "Invalid parameter: Empty message", 400)
        if len(msg.encode("utf-8")) > SNS_MAX_MESSAGE:
            bad("Message too long")
        subject = form.get("Subject")
        if subject is not None:
            if not subject or len(subject) >= 100:
                bad("Subject")
            if any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or c in "\u2028\u2029"
                   for c in subject):
                bad("Subject")
        fifo = arn.endswith(".fifo")
        group, dedup = form.get("MessageGroupId"), form.get("MessageDeduplicationId")
        if fifo:
            if group is None:
                bad("The MessageGroupId parameter is required for FIFO topics")
            if dedup is None and not topic["content_based_dedup"]:
                bad("The topic should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly")
            for v in (group, dedup):
                if v is not None and not SNS_FIFO_ID_RE.match(v):
                    bad("MessageGroupId or MessageDeduplicationId")
            if dedup is None:
                dedup = hashlib.sha256(msg.encode("utf-8")).hexdigest()
        elif dedup is not None:
            bad("The request includes MessageDeduplicationId parameter that is not valid "
                "for this topic type")
        now = fake.now()
        with fake._lock:
            dup = None
            if fifo:  # 5-minute deduplication window, per topic
                dup = next((x for x in fake.sns_messages if x["topic"] == arn
                            and x["dedup_id"] == dedup and not x["duplicate"]
                            and now - x["time"] < 300), None)
            seq = None
            if fifo:
                seq = dup["sequence_number"] if dup else \
                    str(10000000000000000000 + len(fake.sns_messages))
            rec = {"topic": arn, "message": msg, "subject": subject, "group_id": group,
                   "dedup_id": dedup, "message_id": dup["message_id"] if dup
                   else str(uuid.uuid4()), "sequence_number": seq, "time": now,
                   "duplicate": dup is not None, "akid": req.akid}
            fake.sns_messages.append(rec)
        seq_xml = f"<SequenceNumber>{seq}</SequenceNumber>" if seq else ""
        body = (f'<PublishResponse xmlns="{SNS_XMLNS}">\n  <PublishResult>\n'
                f'    <MessageId>{rec["message_id"]}</MessageId>{seq_xml}\n'
                f'  </PublishResult>\n  <ResponseMetadata>\n'
                f'    <RequestId>{uuid.uuid4()}</RequestId>\n  </ResponseMetadata>\n'
                f'</PublishResponse>\n')
        self._send(200, body, "text/xml", req=req)

    # ----- STS Query
    def _op_sts(self, req: Request):
        f = req.params
        if f.get("Version") != STS_VERSION or req.op not in STS_ACTIONS:
            raise _Reply("InvalidAction", f"Could not find operation {req.op} for version "
                         f"{f.get('Version')}", 400)
        rid = uuid.uuid4()
        if req.op == "GetCallerIdentity":
            body = (f'<GetCallerIdentityResponse xmlns="{STS_XMLNS}">\n'
                    f'  <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/fake</Arn>'
                    f'<UserId>{req.akid}</UserId><Account>123456789012</Account>'
                    f'</GetCallerIdentityResult>\n  <ResponseMetadata><RequestId>{rid}'
                    f'</RequestId></ResponseMetadata>\n</GetCallerIdentityResponse>\n')
            return self._send(200, body, "text/xml", req=req)
        r = self.fake.assume_role(f)
        c = r["creds"]
        body = (f'<AssumeRoleResponse xmlns="{STS_XMLNS}">\n  <AssumeRoleResult>\n'
                f'    <AssumedRoleUser>\n      <AssumedRoleId>{xml_escape(r["role_id"])}'
                f'</AssumedRoleId>\n      <Arn>{xml_escape(r["arn"])}</Arn>\n'
                f'    </AssumedRoleUser>\n    <Credentials>\n'
                f'      <AccessKeyId>{c["AccessKeyId"]}</AccessKeyId>\n'
                f'      <SecretAccessKey>{xml_escape(c["SecretAccessKey"])}</SecretAccessKey>\n'
                f'      <SessionToken>{xml_escape(c["SessionToken"])}</SessionToken>\n'
                f'      <Expiration>{c["Expiration"]}</Expiration>\n    </Credentials>\n'
                f'    <PackedPolicySize>6</PackedPolicySize>\n  </AssumeRoleResult>\n'
                f'  <ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>\n'
                f'</AssumeRoleResponse>\n')
        self._send(200, body, "text/xml", req=req)

    # ----- IMDSv2
    def _op_imds(self, req: Request):
        fake = self.fake
        if req.headers.get("x-forwarded-for"):
            raise _Reply("Forbidden", "Forbidden", 403)
        if req.op == "IMDSToken":
            if req.method != "PUT":
                raise _Reply("MethodNotAllowed", "Method Not Allowed", 405)
            ttl = req.headers.get("x-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                raise _Reply("BadRequest", "Bad Request", 400)
            token = "AQAEAFakeImdsToken" + secrets.token_urlsafe(24)
            with fake._lock:
                fake._imds_tokens[token] = fake.now() + int(ttl)
            return self._send(200, token, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl},
                              req=req)
        token = req.headers.get("x-aws-ec2-metadata-token")
        with fake._lock:
            exp = fake._imds_tokens.get(token or "")
        if (token is not None or not fake.imds_v1) and (exp is None or exp < fake.now()):
            raise _Reply("Unauthorized", "Unauthorized", 401)
        if req.method != "GET":
            raise _Reply("MethodNotAllowed", "Method Not Allowed", 405)
        if req.op == "IMDSRoleList":
            return self._send(200, fake.imds_role, req=req)
        if req.op == "IMDSCredentials":
            role = urllib.parse.urlsplit(req.path).path.rsplit("/", 1)[-1]
            if role != fake.imds_role:
                raise _Reply("NotFound", "Not Found", 404)
            c = fake.imds_credentials()
            body = json.dumps({"Code": "Success", "LastUpdated": iso8601(fake.now()),
                               "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                               "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
                               "Expiration": c["Expiration"]}, indent=2)
            return self._send(200, body, req=req)
        raise _Reply("NotFound", "Not Found", 404)

    def _op_unknown(self, req):  # only reached through a fault-free unknown API
        raise _Reply("UnknownOperationException", "Unknown operation", 400)

    # ----- unsigned control API for standalone use (not recorded)
    def _control(self, body: bytes):
        fake, path = self.fake, urllib.parse.urlsplit(self.path).path
        try:
            data = json.loads(body) if body else {}
            if path == "/_fake/requests" and self.command == "GET":
                with fake._lock:
                    out = [r.to_dict() for r in fake.requests]
                return self._send(200, json.dumps(out), "application/json")
            if path == "/_fake/alarms" and self.command == "GET":   # {alarms, tags}
                with fake._lock:
                    out = json.dumps({"alarms": fake.alarms, "tags": fake.tags})
                return self._send(200, out, "application/json")
            if self.command != "POST":
                raise ValueError("use POST")
            if path == "/_fake/metrics":      # [{namespace, metric, dimensions, timestamp, value}]
                for m in data:
                    fake.put_metric(m.get("namespace", "AWS/Kinesis"), m["metric"],
                                    m.get("dimensions", {}), m["timestamp"], m["value"],
                                    m.get("unit", "Count"))
            elif path == "/_fake/fail":        # {op, failures: [[code, status], "hang", ...]}
                fs = [tuple(f) if isinstance(f, list) else f for f in data["failures"]]
                (fake.fail_always(data["op"], fs[0]) if data.get("always")
                 else fake.fail_next(data["op"], fs))
            elif path == "/_fake/keys":        # {akid, secret, token?, expires?, invalid?}
                fake.add_key(data["akid"], data["secret"], data.get("token"),
                             data.get("expires"), data.get("invalid", False))
            elif path == "/_fake/config":      # {clock_offset?, default_value?, ...}
                for k in ("clock_offset", "default_value", "sts_lifetime", "imds_role",
                          "json_timestamps", "alarm_page_size", "enforce_tps", "account_id",
                          "max_alarms", "delete_alarms_not_found"):
                    if k in data:
                        setattr(fake, k, data[k])
            elif path == "/_fake/alarms":      # [{name, tags?, state?, <PutMetricAlarm members>}]
                for a in data:
                    a = dict(a)
                    fake.put_alarm_direct(a.pop("name"), tags=a.pop("tags", None),
                                          state=a.pop("state", None), **a)
            elif path == "/_fake/streams":     # [name | {name, status?, mode?, shards?}]
                for s in data:
                    s = {"name": s} if isinstance(s, str) else s
                    fake.add_stream(s["name"], s.get("status", "ACTIVE"),
                                    s.get("mode", "PROVISIONED"), shards=s.get("shards", 1))
            elif path == "/_fake/reset":
                fake.reset()
            else:
                return self._send(404, "unknown control path")
            self._send(200, "{}", "application/json")
        except (ValueError, KeyError, TypeError) as e:
            self._send(400, f"bad control request: {e}")


# --------------------------------------------------------------------------- standalone

def _write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Fake AWS endpoint (CloudWatch, STS, IMDSv2) "
                                 "on 127.0.0.1 for streamwatch tests, benchmarks and demos.")
    ap.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--pid-file", help="write our pid here")
    ap.add_argument("--region", default="ap-northeast-1")
    ap.add_argument("--key", action="append", default=[], metavar="AKID:SECRET[:TOKEN]",
                    help="extra access key (the built-in one is "
                         f"{FakeAWS.DEFAULT_AKID}:{FakeAWS.DEFAULT_SECRET})")
    ap.add_argument("--clock-offset", type=float, default=0.0)
    ap.add_argument("--default-value", type=float,
                    help="answer every unknown metric with this value for each period")
    ap.add_argument("--requests-log", help="append each finished request as a JSON line here")
    a = ap.parse_args(argv)

    fake = FakeAWS(region=a.region, port=a.port)
    fake.clock_offset, fake.default_value = a.clock_offset, a.default_value
    for k in a.key:
        akid, secret, *tok = k.split(":", 2)
        fake.add_key(akid, secret, tok[0] if tok else None)
    if a.requests_log:
        log_lock = threading.Lock()

        def log_line(r):
            with log_lock, open(a.requests_log, "a") as f:
                f.write(json.dumps(r.to_dict(), default=str) + "\n")
        fake.on_request = log_line
    fake.start()
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    if a.pid_file:
        _write_atomic(a.pid_file, f"{os.getpid()}\n")
    if a.port_file:
        _write_atomic(a.port_file, f"{fake.port}\n")
    print(f"fakeaws listening on {fake.url} region={fake.region} "
          f"key={FakeAWS.DEFAULT_AKID}", flush=True)
    try:
        stop.wait()
    finally:
        fake.stop()
        for p in (a.port_file, a.pid_file):
            if p:
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
