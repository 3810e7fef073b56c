#!/usr/bin/python3
"""bench/boto3_baseline.py - the baseline of bench/fleet: the script a reader
of the AWS blog posts on Kinesis monitoring would write with boto3.

    /usr/bin/python3 bench/boto3_baseline.py --endpoint URL [--streams N]
        [--now EPOCH] [--window S] [--json FILE]

One boto3 CloudWatch client; one GetMetricStatistics call per distinct
series and statistic the alarms need, one after another: here N streams,
IncomingRecords Sum over 60 s periods, so N calls (bench/fleet's two alarms
per stream share one series and one statistic).  It times the loop only:
interpreter start-up, importing boto3 and creating the client are left out,
which favours the script.  Prints one JSON line (and writes it to --json):
loop_s, calls, datapoints, cpu_s of the whole process.

Needs Debian's python3-boto3 (scripts/deps); run it with /usr/bin/python3.
Credentials come from the environment (bench/fleet passes dummy ones: the
fake does not check signatures).
"""

import argparse
import json
import sys
import time

import boto3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="the CloudWatch endpoint URL")
    ap.add_argument("--region", default="ap-northeast-1")
    ap.add_argument("--streams", type=int, default=500)
    ap.add_argument("--now", type=float, default=None,
                    help="end of the window, epoch seconds (default: now)")
    ap.add_argument("--window", type=int, default=420,
                    help="seconds of history per call (default 420: 7 periods, what "
                         "streamwatch asks for an alarm of 5 evaluation periods)")
    ap.add_argument("--json", help="also write the result here")
    a = ap.parse_args()

    cw = boto3.client("cloudwatch", region_name=a.region, endpoint_url=a.endpoint)
    end = int(a.now if a.now is not None else time.time()) // 60 * 60
    start = end - a.window
    streams = [f"fleet-{i:05d}" for i in range(a.streams)]

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    calls = points = 0
    for name in streams:
        r = cw.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName="IncomingRecords",
            Dimensions=[{"Name": "StreamName", "Value": name}],
            StartTime=start, EndTime=end, Period=60, Statistics=["Sum"])
        calls += 1
        points += len(r["Datapoints"])
    loop = time.perf_counter() - t0
    out = {"loop_s": loop, "calls": calls, "datapoints": points,
           "loop_cpu_s": time.process_time() - cpu0, "cpu_s": time.process_time()}
    line = json.dumps(out)
    print(line, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
