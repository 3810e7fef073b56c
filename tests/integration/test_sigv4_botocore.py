"""Our SigV4 signer (aws/sigv4) against botocore's, an independent one, on
1,200 requests made up at random: methods; paths with dot segments, doubled
slashes, reserved characters, percent signs and non-ASCII (UTF-8) text;
canonical query strings with repeated and percent-encoded keys; headers with
runs of blanks and tabs and repeated names; empty, text and binary bodies;
session tokens; every service and region form the agent signs for.  Both must give the same canonical request
and the same Authorization header, byte for byte (tabs in header values too).

This runs everywhere.  The official AWS SigV4 test suite is not shipped with
the repository; tests/unit/test_sigv4 replays it when the build is configured
with --with-sigv4-suite=DIR (scripts/test passes $SW_SIGV4_SUITE), and skips
that one case otherwise.

The signer is driven through tests/tools/sigv4_sign, built by `make check`
next to the binary ($STREAMWATCH_BIN)."""

import calendar
import json
import os
import random
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

CASES = 1200
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
TOKEN = UNRESERVED.replace(".", "") + "!#$&'*+^`|"


def _tool() -> Path:
    b = os.environ.get("STREAMWATCH_BIN")
    if not b:
        pytest.fail("STREAMWATCH_BIN is not set", pytrace=False)
    p = Path(b).resolve().parent / "tests" / "tools" / "sigv4_sign"
    if not os.access(p, os.X_OK):
        pytest.fail(f"{p} is missing: build it with `make check`", pytrace=False)
    return p


class _ExactHeaders(SigV4Auth):
    """botocore's signer, signing exactly the headers given (as a server does
    with the client's SignedHeaders); canonicalisation stays botocore's."""

    def __init__(self, creds, service, region, headers):
        super().__init__(creds, service, region)
        self._headers = headers

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for n, v in self._headers:
            hm[n.lower()] = v  # appends: a repeated name stays repeated
        return hm


def _segment(rng):
    pick = rng.random()
    if pick < 0.08:
        return "."
    if pick < 0.14:
        return ".."
    if pick < 0.2:
        return ""  # a doubled slash
    chars = UNRESERVED + " $@!*()'+,;=:%" + "é東京ü😀"
    return "".join(rng.choice(chars) for _ in range(rng.randint(1, 12)))


def _pct(rng):
    """A name or value as a client sends it: any bytes, percent-encoded the
    canonical way (RFC 3986: unreserved characters as themselves, every
    other byte %XX in upper case)."""
    raw = bytes(rng.choice(UNRESERVED.encode()) if rng.random() < 0.7 else
                rng.randrange(256) for _ in range(rng.randint(0, 10)))
    return quote(raw, safe="-_.~")


def _case(rng, i):
    t = 1795601100 + rng.randrange(86400 * 400)
    amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
    host = rng.choice(["monitoring.us-east-1.amazonaws.com", "127.0.0.1:8443",
                       "sns.ap-northeast-1.amazonaws.com", "example.com"])
    path = "/" + "/".join(_segment(rng) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.3:
        path += "/"
    pairs = [(_pct(rng) or "k", _pct(rng)) for _ in range(rng.randint(0, 5))]
    if pairs and rng.random() < 0.3:  # a repeated key: sorted by value
        pairs += [(pairs[0][0], _pct(rng)) for _ in range(rng.randint(1, 3))]
    pairs = sorted(set(pairs))
    rng.shuffle(pairs)  # the signer sorts; the order sent must not matter
    query = "&".join(f"{k}={v}" for k, v in pairs)
    headers = [("Host", host), ("X-Amz-Date", amz)]
    for _ in range(rng.randint(0, 6)):
        name = "X-" + "".join(rng.choice(TOKEN) for _ in range(rng.randint(1, 10)))
        value = "".join(rng.choice(UNRESERVED + "  \t/:;=,\"") for _ in range(rng.randint(0, 20)))
        if rng.random() < 0.2:
            value = "  " + value + "   "
        headers.append((name, value))
        if rng.random() < 0.15:  # the same name again: values joined with ","
            headers.append((name.lower(), value[::-1]))
    if rng.random() < 0.3:
        headers.append(("X-Amz-Security-Token", "FwoGZXIvYXdzE" + _pct(rng).replace("%", "")))
    kind = rng.random()
    if kind < 0.2:
        body = b""
    elif kind < 0.5:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    else:
        body = "".join(rng.choice(UNRESERVED + " {}\":,\n")
                       for _ in range(rng.randint(1, 300))).encode()
    return {
        "method": rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD"]),
        "path": path, "query": query, "headers": [list(h) for h in headers],
        "body_hex": body.hex(),
        "akid": "AKIDEXAMPLE%04d" % i, "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCY%04d" % i,
        "region": rng.choice(["us-east-1", "ap-northeast-1", "eu-west-3", "cn-north-1",
                              "cn-northwest-1", "us-gov-west-1", "us-iso-east-1",
                              "il-central-1"]),
        "service": rng.choice(["monitoring", "sns", "kinesis", "sts", "iam"]),
        "time": t, "amz": amz,
    }


def _botocore(c):
    url = "http://" + c["headers"][0][1] + c["path"] + ("?" + c["query"] if c["query"] else "")
    req = AWSRequest(method=c["method"], url=url, data=bytes.fromhex(c["body_hex"]))
    req.context["timestamp"] = c["amz"]
    signer = _ExactHeaders(Credentials(c["akid"], c["secret"]), c["service"], c["region"],
                           [tuple(h) for h in c["headers"]])
    creq = signer.canonical_request(req)
    sig = signer.signature(signer.string_to_sign(req, creq), req)
    names = ";".join(sorted({n.lower() for n, _ in c["headers"]}))
    scope = f"{c['amz'][:8]}/{c['region']}/{c['service']}/aws4_request"
    return creq, (f"AWS4-HMAC-SHA256 Credential={c['akid']}/{scope}, "
                  f"SignedHeaders={names}, Signature={sig}")


def test_signer_agrees_with_botocore():
    rng = random.Random(20261207)
    cases = [_case(rng, i) for i in range(CASES)]
    lines = "".join(json.dumps(c) + "\n" for c in cases)
    p = subprocess.run([str(_tool())], input=lines, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    ours = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert len(ours) == CASES
    for c, o in zip(cases, ours):
        creq, authz = _botocore(c)
        assert "error" not in o, (o, c)
        assert o["creq"] == creq, f"canonical request differs for {c}"
        assert o["authz"] == authz, f"Authorization differs for {c}"


def test_the_documented_example_signs_alike():
    """The GetMetricStatistics-shaped POST every cycle makes, at a fixed time."""
    t = calendar.timegm((2026, 11, 25, 10, 5, 0))
    c = {"method": "POST", "path": "/", "query": "",
         "headers": [["Host", "monitoring.ap-northeast-1.amazonaws.com"],
                     ["X-Amz-Date", "20261125T100500Z"],
                     ["Content-Type", "application/x-amz-json-1.0"],
                     ["X-Amz-Target", "GraniteServiceVersion20100801.GetMetricStatistics"]],
         "body_hex": b'{"Namespace":"AWS/Kinesis"}'.hex(), "akid": "AKIDEXAMPLE",
         "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": "ap-northeast-1",
         "service": "monitoring", "time": t, "amz": "20261125T100500Z"}
    p = subprocess.run([str(_tool())], input=json.dumps(c) + "\n", capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["authz"] == _botocore(c)[1]
