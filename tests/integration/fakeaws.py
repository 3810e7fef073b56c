#!/usr/bin/python3
"""fakeaws — a loopback fake of the AWS endpoints streamwatch talks to.

One ThreadingHTTPServer on 127.0.0.1 (port 0 by default) serves:

* CloudWatch GetMetricStatistics over AWS JSON 1.0 (X-Amz-Target
  GraniteServiceVersion20100801.GetMetricStatistics) and over AWS Query
  (form POST, XML reply), from a metric store the test fills;
* Kinesis ListStreams over AWS JSON 1.1 (X-Amz-Target Kinesis_20131202.ListStreams),
  in pages of kinesis_page_size (default 2) names, from the streams the test adds;
* STS AssumeRole / GetCallerIdentity over Query;
* SNS Publish over Query, validated as SNS does (topics the test registers with
  add_topic, Subject, Message size, FIFO ids and 5-minute deduplication), the
  messages kept in fake.sns_messages / fake.published();
* IMDSv2 (/latest/api/token, /latest/meta-data/iam/security-credentials/...);
* a small unsigned control API under /_fake/ for out-of-process users.

Every AWS request is SigV4-verified with botocore's own signer
(botocore.auth.SigV4Auth, fed the headers the client says it signed), and the
usual server-side checks run: key known, session token known and signed,
scope date/region/service, host and x-amz-date signed, clock within 5 minutes
of the fake's (skewable) clock, token not expired.  Errors come back in the
shapes real AWS uses for the protocol at hand (aws-reference.md §1.3/§1.4/§1.8).

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
SNS_MAX_MESSAGE = 262144  # bytes (aws-reference §6.1)
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

# Auth error codes differ per protocol: JSON 1.0 uses the Coral exception name,
# Query the legacy code (aws-reference §1.8).
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
    def add_stream(self, name, status="ACTIVE", mode="PROVISIONED", created=None) -> None:
        """Add (or update) a Kinesis stream that ListStreams reports."""
        if not STREAM_NAME_RE.match(name):
            raise ValueError(f"invalid Kinesis stream name {name!r}")
        with self._lock:
            self._streams[name] = {"status": status, "mode": mode,
                                   "created": self.now() if created is None
                                   else to_epoch(created)}

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
        if stats:
            if not isinstance(stats, list) or not 1 <= len(stats) <= 5:
                bad(inval, "The collection Statistics must contain 1 to 5 members.")
            for s in stats:
                if s not in STATISTICS:
                    bad(inval, f"The parameter Statistics.member contains invalid value {s!r}; "
                        f"valid values: {', '.join(STATISTICS)}.")
        if ext:
            if not isinstance(ext, list) or not 1 <= len(ext) <= 10:
                bad(inval, "The collection ExtendedStatistics must contain 1 to 10 members.")
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

        with self._lock:
            samples = list(self._metrics.get(
                (p["Namespace"], p["MetricName"], frozenset(dmap.items())), []))
        if not samples and self.default_value is not None:
            samples = [{"ts": start + i * period, "n": 1.0, "sum": self.default_value,
                        "min": self.default_value, "max": self.default_value,
                        "raw": self.default_value, "unit": "Count"} for i in range(npoints)]
        buckets: dict[tuple, list] = {}
        for s in samples:
            if start <= s["ts"] < end and (unit is None or s["unit"] == unit):
                b = start + ((s["ts"] - start) // period) * period
                buckets.setdefault((b, s["unit"]), []).append(s)
        out = []
        for (b, u), ss in buckets.items():
            n = sum(s["n"] for s in ss)
            total = sum(s["sum"] for s in ss)
            values = {"SampleCount": n, "Sum": total, "Average": total / n if n else 0.0,
                      "Minimum": min(s["min"] for s in ss), "Maximum": max(s["max"] for s in ss)}
            dp = {"Timestamp": b, "Unit": u}
            for s in stats or []:
                dp[s] = float(values[s])
            if ext:
                raw = sorted(s["raw"] for s in ss if s["raw"] is not None)
                if raw:
                    dp["ExtendedStatistics"] = {
                        e: raw[max(0, min(len(raw) - 1, math.ceil(float(e[1:]) / 100 * len(raw))
                                          - 1))] for e in ext}
            out.append(dp)
        # Real CloudWatch returns datapoints in no particular order: make sure ours are not
        # accidentally sorted, so the agent has to sort them itself.
        self._rng.shuffle(out)
        if len(out) > 1 and out == sorted(out, key=lambda d: d["Timestamp"]):
            out.reverse()
        return {"Label": p["MetricName"], "Datapoints": out}

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
        if req.op != "ListStreams":
            raise _Reply("UnknownOperationException", f"{req.op} is not implemented by the fake",
                         400)
        if not isinstance(req.params, dict):
            raise _Reply("SerializationException", "Malformed input: body is not a JSON object",
                         400)
        self._send(200, json.dumps(self.fake.list_streams(req.params)),
                   "application/x-amz-json-1.1", req=req)

    # ----- CloudWatch Query
    def _op_cloudwatch_query(self, req: Request):
        f = req.params
        if f.get("Version") != CW_VERSION:
            raise _Reply("InvalidAction", f"Could not find operation {req.op} for version "
                         f"{f.get('Version')}", 400)
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
                          "json_timestamps"):
                    if k in data:
                        setattr(fake, k, data[k])
            elif path == "/_fake/streams":     # [name | {name, status?, mode?}]
                for s in data:
                    s = {"name": s} if isinstance(s, str) else s
                    fake.add_stream(s["name"], s.get("status", "ACTIVE"),
                                    s.get("mode", "PROVISIONED"))
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
