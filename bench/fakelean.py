#!/usr/bin/python3
"""bench/fakelean.py - a lean, concurrent fake CloudWatch endpoint for the
fleet benchmark (bench/fleet).

    /usr/bin/python3 bench/fakelean.py [--latency S] [--port-file F] [--pid-file F]

Unlike tests/integration/fakeaws.py (a thread per connection, botocore's
SigV4 check on every request, a metric store the test fills), this fake is
built to be fast and to measure the client:

* one asyncio loop, any number of keep-alive HTTP/1.1 connections, every
  request answered concurrently: a request waits its injected latency
  (--latency, default 0.05 s) with asyncio.sleep, so N requests in flight
  take one latency, not N;
* no signature check (any credentials do);
* synthetic, deterministic data: every series has a datapoint in every
  period, its value a function of the series and the period's start only,
  so GetMetricStatistics and GetMetricData give the same numbers;
* it records each request's arrival (time.monotonic(), when its request
  line is read) and operation, and counts the requests in flight.

Operations, as CloudWatch speaks them:

* GetMetricStatistics and GetMetricData over AWS JSON 1.0 (POST /,
  X-Amz-Target GraniteServiceVersion20100801.<op>, Content-Type
  application/x-amz-json-1.0, timestamps as epoch-second numbers), which is
  what streamwatch speaks;
* GetMetricStatistics over AWS Query (form POST, XML reply), which is what
  Debian 12's boto3 1.26 speaks to CloudWatch.

GetMetricStatistics: at most 5 Statistics and 10 ExtendedStatistics, and
not both in one call (CloudWatch's InvalidParameterCombination); at most
1,440 datapoints.  Buckets start at StartTime + k x Period, as
tests/integration/fakeaws.py aligns them.

GetMetricData: 1 to 500 MetricDataQueries (MetricStat ones are answered;
an Expression query gets an empty result), MaxDatapoints (default 100,800)
datapoints a page over all queries, NextToken for the rest; each result has
Id, Label, Timestamps, Values (newest first unless ScanBy is
TimestampAscending) and StatusCode (Complete, or PartialData when the
query's datapoints go on in the next page).

Control (unsigned, not counted as requests):

  GET  /__stats          counts per op, requests, max requests in any
                         sliding 1 s window (all ops and per op), max in
                         flight, connections, datapoints returned, errors;
                         /__stats?times=1 adds every [arrival_s, op]
  POST /__reset          forget the requests and the maxima
  POST /__config         {"latency": seconds}

It binds 127.0.0.1 port 0 and prints the port on the first line of stdout
(and to --port-file).  Python standard library only.
"""

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import json
import math
import os
import signal
import sys
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape as xml_escape

CW_PREFIX = "GraniteServiceVersion20100801."
CW_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
GMD_MAX_QUERIES = 500
GMD_MAX_DATAPOINTS = 100800
GMS_MAX_DATAPOINTS = 1440
MAX_BODY = 16 * 1024 * 1024
MAX_HEADERS = 100


class Reply(Exception):
    """An AWS error answer."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# --------------------------------------------------------------------------- stats

class Stats:
    def __init__(self):
        self.reset()
        self.connections_open = 0

    def reset(self):
        self.arrivals = []        # (monotonic seconds, op)
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0      # connections that carried a request since the reset
        self.max_open = 0
        self.datapoints = 0
        self.errors = {}          # code -> count
        self.bytes_in = self.bytes_out = 0
        self.conn_seen = set()

    def begin(self, t, op, conn_id):
        self.arrivals.append((t, op))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if conn_id not in self.conn_seen:
            self.conn_seen.add(conn_id)
            self.connections += 1

    def end(self):
        self.in_flight -= 1

    @staticmethod
    def max_window(times, window=1.0):
        """Most arrivals in any half-open window [t, t + WINDOW)."""
        best, j = 0, 0
        for i, t in enumerate(times):
            while t - times[j] >= window:
                j += 1
            best = max(best, i - j + 1)
        return best

    def to_dict(self, times=False):
        arr = sorted(self.arrivals)
        ops = {}
        for _, op in arr:
            ops[op] = ops.get(op, 0) + 1
        d = {
            "requests": len(arr),
            "ops": ops,
            "max_per_1s": self.max_window([t for t, _ in arr]),
            "max_per_1s_by_op": {op: self.max_window([t for t, o in arr if o == op])
                                 for op in ops},
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
            "max_open_connections": self.max_open,
            "span_s": (arr[-1][0] - arr[0][0]) if arr else 0.0,
            "datapoints": self.datapoints,
            "errors": self.errors,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "latency_s": LATENCY[0],
        }
        if times:
            t0 = arr[0][0] if arr else 0.0
            d["arrivals"] = [[round(t - t0, 6), op] for t, op in arr]
        return d


STATS = Stats()
LATENCY = [0.05]


# --------------------------------------------------------------------------- data

def series_seed(namespace, metric, dims):
    key = "\0".join([namespace, metric] + [f"{k}={v}" for k, v in sorted(dims.items())])
    return zlib.crc32(key.encode("utf-8"))


def bucket_stats(seed, period, start):
    """The statistics of one period: a function of the series and the
    period's start only.  The Sum is a slow saw-tooth between 500 and 1499
    (17 a minute, with a per-series phase), so alarms on it sit in ALARM or
    OK for a while and some change state."""
    k = int(start // 60)
    v = float(500 + (seed * 31 + k * 17) % 1000) * period / 60
    n = 60.0 * period / 60
    return {"SampleCount": n, "Sum": v, "Average": v / n, "Minimum": v / n / 2,
            "Maximum": v / n * 2}


def stat_value(st, name):
    if name in st:
        return st[name]
    if name[:1] == "p":  # a percentile between Minimum and Maximum
        try:
            q = float(name[1:])
        except ValueError:
            q = 50.0
        return st["Minimum"] + (st["Maximum"] - st["Minimum"]) * min(max(q, 0.0), 100.0) / 100
    return st["Average"]  # trimmed means and the like


def dims_of(lst):
    if lst is None:
        return {}
    if not isinstance(lst, list) or len(lst) > 30:
        raise Reply("InvalidParameterValue", "Dimensions must be a list of at most 30.")
    out = {}
    for d in lst:
        if not isinstance(d, dict) or not isinstance(d.get("Name"), str) \
                or not isinstance(d.get("Value"), str):
            raise Reply("InvalidParameterValue", f"Invalid dimension {d!r}.")
        out[d["Name"]] = d["Value"]
    return out


def num(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Reply("SerializationException", f"{what} must be a number")
    return float(v)


# --------------------------------------------------------------------------- operations

def get_metric_statistics(p):
    """P: the decoded input (timestamps epoch seconds).  The output as a dict."""
    for m in ("Namespace", "MetricName", "StartTime", "EndTime", "Period"):
        if p.get(m) in (None, ""):
            raise Reply("MissingParameter", f"The parameter {m} is required.")
    start, end = num(p["StartTime"], "StartTime"), num(p["EndTime"], "EndTime")
    period = p["Period"]
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise Reply("InvalidParameterValue", "Period must be a positive integer.")
    if start >= end:
        raise Reply("InvalidParameterValue",
                    "The parameter StartTime must be less than the parameter EndTime.")
    stats, ext = p.get("Statistics") or [], p.get("ExtendedStatistics") or []
    if stats and ext:
        raise Reply("InvalidParameterCombination",
                    "Must specify either Statistics or ExtendedStatistics, but not both.")
    if not stats and not ext:
        raise Reply("InvalidParameterCombination",
                    "Must specify either Statistics or ExtendedStatistics.")
    if len(stats) > 5:
        raise Reply("InvalidParameterValue",
                    "The collection Statistics must contain 1 to 5 members.")
    if len(ext) > 10:
        raise Reply("InvalidParameterValue",
                    "The collection ExtendedStatistics must contain 1 to 10 members.")
    for s in stats:
        if s not in STATISTICS:
            raise Reply("InvalidParameterValue", f"Invalid statistic {s!r}.")
    npoints = math.ceil((end - start) / period)
    if npoints > GMS_MAX_DATAPOINTS:
        raise Reply("InvalidParameterCombination",
                    f"You have requested up to {npoints} datapoints, which exceeds the limit "
                    "of 1440.")
    seed = series_seed(p["Namespace"], p["MetricName"], dims_of(p.get("Dimensions")))
    out = []
    unit = p.get("Unit")
    if unit in (None, "Count"):
        for i in range(npoints):
            b = start + i * period
            st = bucket_stats(seed, period, b)
            dp = {"Timestamp": b, "Unit": "Count"}
            for s in stats:
                dp[s] = st[s]
            if ext:
                dp["ExtendedStatistics"] = {e: stat_value(st, e) for e in ext}
            out.append(dp)
    STATS.datapoints += len(out)
    return {"Label": p["MetricName"], "Datapoints": out}


def _token_key(p):
    q = {k: v for k, v in p.items() if k != "NextToken"}
    return hashlib.sha256(json.dumps(q, sort_keys=True).encode()).hexdigest()[:16]


def get_metric_data(p):
    qs = p.get("MetricDataQueries")
    if not isinstance(qs, list) or not 1 <= len(qs) <= GMD_MAX_QUERIES:
        raise Reply("ValidationError", "The collection MetricDataQueries must contain from 1 "
                    f"to {GMD_MAX_QUERIES} items.")
    for m in ("StartTime", "EndTime"):
        if p.get(m) is None:
            raise Reply("MissingParameter", f"The parameter {m} is required.")
    start, end = num(p["StartTime"], "StartTime"), num(p["EndTime"], "EndTime")
    if start >= end:
        raise Reply("ValidationError",
                    "The parameter StartTime must be less than the parameter EndTime.")
    maxdp = p.get("MaxDatapoints", GMD_MAX_DATAPOINTS)
    if isinstance(maxdp, bool) or not isinstance(maxdp, int) or maxdp < 1:
        raise Reply("ValidationError", "MaxDatapoints must be a positive integer.")
    ascending = p.get("ScanBy") == "TimestampAscending"
    ids = set()
    plan = []  # (id, label, seed, period, stat, npoints) of the queries with ReturnData
    for q in qs:
        if not isinstance(q, dict) or not isinstance(q.get("Id"), str) or not q["Id"]:
            raise Reply("ValidationError", "Every MetricDataQuery needs an Id.")
        if q["Id"] in ids:
            raise Reply("ValidationError", f"The Id {q['Id']} is used twice.")
        ids.add(q["Id"])
        ms = q.get("MetricStat")
        if (ms is None) == (q.get("Expression") is None):
            raise Reply("ValidationError",
                        "Exactly one of MetricStat and Expression must be given.")
        if q.get("ReturnData", True) is False:
            continue
        if ms is None:  # expressions are not evaluated by this fake
            plan.append((q["Id"], q.get("Label") or q["Id"], 0, 60, "Sum", 0))
            continue
        if not isinstance(ms, dict) or not isinstance(ms.get("Metric"), dict):
            raise Reply("ValidationError", "MetricStat needs a Metric.")
        m = ms["Metric"]
        period, stat = ms.get("Period"), ms.get("Stat")
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise Reply("ValidationError", "MetricStat.Period must be a positive integer.")
        if not isinstance(stat, str) or not stat:
            raise Reply("ValidationError", "MetricStat.Stat is required.")
        if not isinstance(m.get("Namespace"), str) or not isinstance(m.get("MetricName"), str):
            raise Reply("ValidationError", "Metric needs a Namespace and a MetricName.")
        seed = series_seed(m["Namespace"], m["MetricName"], dims_of(m.get("Dimensions")))
        n = math.ceil((end - start) / period) if ms.get("Unit") in (None, "Count") else 0
        plan.append((q["Id"], q.get("Label") or m["MetricName"], seed, period, stat, n))

    offset = 0
    tok = p.get("NextToken")
    if tok is not None:
        try:
            t = json.loads(base64.urlsafe_b64decode(tok.encode()).decode())
            offset = int(t["o"])
            if t["k"] != _token_key(p) or offset < 0:
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Reply("InvalidNextToken", "The NextToken is not valid for this request.")
    total = sum(x[5] for x in plan)
    page_end = min(total, offset + maxdp)
    results, pos = [], 0
    for qid, label, seed, period, stat, n in plan:
        lo, hi = max(offset, pos), min(page_end, pos + n)
        first_page = offset == 0
        if hi > lo or (n == 0 and first_page):
            ts, vs = [], []
            for j in range(lo - pos, hi - pos):
                i = j if ascending else n - 1 - j
                b = start + i * period
                ts.append(b)
                vs.append(stat_value(bucket_stats(seed, period, b), stat))
            results.append({"Id": qid, "Label": label, "Timestamps": ts, "Values": vs,
                            "StatusCode": "Complete" if pos + n <= page_end else "PartialData"})
            STATS.datapoints += len(ts)
        pos += n
    out = {"MetricDataResults": results, "Messages": []}
    if page_end < total:
        out["NextToken"] = base64.urlsafe_b64encode(json.dumps(
            {"o": page_end, "k": _token_key(p)}).encode()).decode()
    return out


# --------------------------------------------------------------------------- AWS Query

def _parse_iso(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.timestamp()


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _members(form, prefix):
    out, i = [], 1
    while f"{prefix}.member.{i}" in form:
        out.append(form[f"{prefix}.member.{i}"])
        i += 1
    return out


def query_gms(form):
    """GetMetricStatistics over AWS Query: the form to the JSON input, the
    output to XML."""
    dims, i = [], 1
    while f"Dimensions.member.{i}.Name" in form:
        dims.append({"Name": form[f"Dimensions.member.{i}.Name"],
                     "Value": form.get(f"Dimensions.member.{i}.Value", "")})
        i += 1
    p = {"Namespace": form.get("Namespace"), "MetricName": form.get("MetricName"),
         "Dimensions": dims, "Statistics": _members(form, "Statistics"),
         "ExtendedStatistics": _members(form, "ExtendedStatistics"), "Unit": form.get("Unit")}
    try:
        p["StartTime"] = _parse_iso(form["StartTime"]) if "StartTime" in form else None
        p["EndTime"] = _parse_iso(form["EndTime"]) if "EndTime" in form else None
        p["Period"] = int(form["Period"]) if "Period" in form else None
    except ValueError:
        raise Reply("InvalidParameterValue", "StartTime, EndTime or Period is malformed.")
    out = get_metric_statistics(p)
    members = []
    for d in out["Datapoints"]:
        x = [f"<Timestamp>{_iso(d['Timestamp'])}</Timestamp>"]
        for s in STATISTICS:
            if s in d:
                x.append(f"<{s}>{d[s]!r}</{s}>")
        x.append("<Unit>Count</Unit>")
        if "ExtendedStatistics" in d:
            x.append("<ExtendedStatistics>" + "".join(
                f"<entry><key>{xml_escape(k)}</key><value>{v!r}</value></entry>"
                for k, v in d["ExtendedStatistics"].items()) + "</ExtendedStatistics>")
        members.append("<member>" + "".join(x) + "</member>")
    return (f'<GetMetricStatisticsResponse xmlns="{CW_XMLNS}"><GetMetricStatisticsResult>'
            f"<Label>{xml_escape(out['Label'])}</Label><Datapoints>{''.join(members)}"
            "</Datapoints></GetMetricStatisticsResult><ResponseMetadata><RequestId>"
            f"{uuid.uuid4()}</RequestId></ResponseMetadata></GetMetricStatisticsResponse>")


# --------------------------------------------------------------------------- HTTP

def classify(headers, body):
    """(protocol, op, decoded input) of an AWS request."""
    target = headers.get("x-amz-target")
    if target is not None:
        op = target.rsplit(".", 1)[-1] if target.startswith(CW_PREFIX) else target
        return "json", op, body
    if "x-www-form-urlencoded" in headers.get("content-type", ""):
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(
            body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        return "query", form.get("Action", "unknown"), form
    return "unknown", "unknown", body


def answer(proto, op, headers, data):
    """(status, content type, body bytes) of one AWS request."""
    if proto == "json":
        ctype = "application/x-amz-json-1.0"
        try:
            if not headers.get("content-type", "").startswith(ctype):
                raise Reply("SerializationException", f"Content-Type must be {ctype}")
            try:
                p = json.loads(data or b"{}")
            except ValueError:
                raise Reply("SerializationException", "The body is not JSON.")
            if not isinstance(p, dict):
                raise Reply("SerializationException", "The body is not a JSON object.")
            if op == "GetMetricStatistics":
                out = get_metric_statistics(p)
            elif op == "GetMetricData":
                out = get_metric_data(p)
            else:
                raise Reply("UnknownOperationException", f"{op} is not implemented by "
                            "bench/fakelean.py")
            return 200, ctype, json.dumps(out).encode()
        except Reply as e:
            STATS.errors[e.code] = STATS.errors.get(e.code, 0) + 1
            return e.status, ctype, json.dumps(
                {"__type": f"com.amazonaws.cloudwatch#{e.code}", "message": e.message}).encode()
    try:
        if proto == "query" and op == "GetMetricStatistics":
            return 200, "text/xml", query_gms(data).encode()
        raise Reply("InvalidAction", f"{op} is not implemented by bench/fakelean.py")
    except Reply as e:
        STATS.errors[e.code] = STATS.errors.get(e.code, 0) + 1
        return e.status, "text/xml", (
            f'<ErrorResponse xmlns="{CW_XMLNS}"><Error><Type>Sender</Type>'
            f"<Code>{xml_escape(e.code)}</Code><Message>{xml_escape(e.message)}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()


def control(method, target, body):
    path, _, qs = target.partition("?")
    if path == "/__stats" and method == "GET":
        times = "times=1" in qs.split("&")
        return 200, "application/json", json.dumps(STATS.to_dict(times)).encode()
    if path == "/__reset" and method == "POST":
        STATS.reset()
        return 200, "application/json", b"{}"
    if path == "/__config" and method == "POST":
        try:
            c = json.loads(body or b"{}")
            if "latency" in c:
                lat = float(c["latency"])
                if not 0 <= lat <= 60:
                    raise ValueError
                LATENCY[0] = lat
        except (ValueError, TypeError, AttributeError):
            return 400, "application/json", b'{"error": "bad config"}'
        return 200, "application/json", json.dumps({"latency": LATENCY[0]}).encode()
    return 404, "application/json", b'{"error": "no such control path"}'


async def read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks, size_total = [], 0
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            size_total += size
            if size_total > MAX_BODY:
                raise ValueError("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    n = int(headers.get("content-length") or 0)
    if n < 0 or n > MAX_BODY:
        raise ValueError("bad Content-Length")
    return await reader.readexactly(n) if n else b""


def response(status, ctype, body, close):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            f"Content-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode("latin-1") + body


_conn_ids = iter(range(1, 1 << 62))


async def serve(reader, writer):
    conn_id = next(_conn_ids)
    STATS.connections_open += 1
    STATS.max_open = max(STATS.max_open, STATS.connections_open)
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            t_arrival = time.monotonic()
            parts = line.decode("latin-1").split()
            if len(parts) != 3:
                break
            method, target, version = parts
            headers = {}
            for _ in range(MAX_HEADERS + 1):
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            else:
                break
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await read_body(reader, headers)
            conn = headers.get("connection", "").lower()
            close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
            if target.startswith("/__"):
                writer.write(response(*control(method, target, body), close))
                await writer.drain()
            else:
                proto, op, data = classify(headers, body)
                STATS.begin(t_arrival, op, conn_id)
                STATS.bytes_in += len(line) + len(body)
                try:
                    if LATENCY[0] > 0:
                        await asyncio.sleep(LATENCY[0])
                    out = response(*answer(proto, op, headers, data), close)
                    STATS.bytes_out += len(out)
                    writer.write(out)
                    await writer.drain()
                finally:
                    STATS.end()
            if close:
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
        pass
    finally:
        STATS.connections_open -= 1
        try:
            writer.close()
        except OSError:
            pass


async def main_async(a):
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=512,
                                        limit=1024 * 1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(a.pid_file + ".tmp", a.pid_file)
    if a.port_file:  # written last and atomically: its presence means ready
        with open(a.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency", type=float, default=0.05,
                    help="seconds every AWS request waits before its answer (default 0.05)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--pid-file", help="write the process id here")
    a = ap.parse_args()
    if not 0 <= a.latency <= 60:
        ap.error("--latency must be 0 to 60 seconds")
    LATENCY[0] = a.latency
    asyncio.run(main_async(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
