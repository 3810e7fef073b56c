#!/usr/bin/env python3
"""make-recording.py - generate the demo's recorded day of Kinesis metrics.

Writes stream-day.csv (docs/recording-format.md): one day, 2026-11-25
00:00Z..23:59Z, one row per metric per minute for the stream "sample":

  IncomingRecords                   what producers wrote
  GetRecords.Records                what the consumer read
  GetRecords.IteratorAgeMilliseconds how far behind the consumer is

The day tells a story the demo's three alarms react to:
  00:00-06:00  quiet night, 0-6 records a minute, and some minutes with no
               datapoint at all (no PutRecords call: Kinesis reports nothing)
  06:00-08:00  the morning ramp, 3-8 a minute
  08:00-10:30  a burst of 20-80 records a minute (crosses the seed alarm's
               threshold of 10)
  10:30-24:00  a normal day, 5-9 a minute
  14:00-15:30  the consumer stalls: GetRecords.Records is 0 and the iterator
               age grows by 60,000 ms a minute while producers keep writing;
               then it catches up within a few minutes.

Deterministic: a fixed seed and only random.random(), whose sequence Python
keeps stable across versions.  Standard library only.

    python3 examples/demo/make-recording.py [-o FILE]
"""

import argparse
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20261125
DAY = datetime(2026, 11, 25, tzinfo=timezone.utc)
NAMESPACE = "AWS/Kinesis"
DIMS = "StreamName=sample"
STALL_START = 14 * 60       # minute of the day
STALL_END = 15 * 60 + 30    # first minute the consumer reads again
HEADER = "timestamp,namespace,metric,dimensions,Sum,Average,Minimum,Maximum,SampleCount"


def uniform(rng, lo, hi):
    return lo + (hi - lo) * rng.random()


def randint(rng, lo, hi):
    """lo..hi inclusive, from random() alone (stable across versions)."""
    return lo + int(rng.random() * (hi - lo + 1))


def num(v):
    """Shortest plain decimal: 12 -> "12", 2.5 -> "2.5", 1/3 -> "0.3333"."""
    if float(v).is_integer():
        return str(int(v))
    return ("%.4f" % v).rstrip("0").rstrip(".")


def incoming_rate(rng, minute, night_gaps):
    """Records written in this minute of the day."""
    if minute < 6 * 60:
        if minute in night_gaps:
            return 0
        return randint(rng, 1, 6)
    if minute < 8 * 60:
        # the ramp: 3..8, drifting up through the two hours
        base = 3 + 5 * (minute - 6 * 60) / 120.0
        return max(3, min(8, int(round(base + uniform(rng, -1, 1)))))
    if minute < 10 * 60 + 30:
        # the burst: up to ~80 at 09:15, never below 20
        t = (minute - 8 * 60) / 150.0  # 0..1 over the burst
        peak = 1 - abs(t - 0.5) * 2      # 0 at the edges, 1 in the middle
        return randint(rng, 20, 30) + int(50 * peak * uniform(rng, 0.8, 1.0))
    return randint(rng, 5, 9)


def night_gap_minutes(rng):
    """Minutes of the night with no PutRecords call: isolated, never more
    than two in a row, so the evaluation range always holds real data."""
    gaps = set()
    minute = 5
    while minute < 6 * 60:
        gaps.add(minute)
        if rng.random() < 0.3:
            gaps.add(minute + 1)
        minute += randint(rng, 6, 25)
    return gaps


def put_requests(rng, records):
    """Split RECORDS into PutRecords calls; return (calls, min, max)."""
    calls = randint(rng, max(1, records // 8), max(1, records // 3))
    sizes = [1] * calls
    for _ in range(records - calls):
        sizes[randint(rng, 0, calls - 1)] += 1
    return calls, min(sizes), max(sizes)


def rows(rng):
    gaps = night_gap_minutes(rng)
    backlog = 0          # records written but not yet read
    age_ms = 0.0         # iterator age at the end of the stall
    for minute in range(24 * 60):
        ts = (DAY + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        written = incoming_rate(rng, minute, gaps)
        if written:
            calls, lo, hi = put_requests(rng, written)
            yield (ts, "IncomingRecords", written, written / calls, lo, hi,
                   calls)

        # The consumer polls about once a second (one shard).
        polls = randint(rng, 58, 62)
        backlog += written
        if STALL_START <= minute < STALL_END:
            read = 0
            k = minute - STALL_START
            age_max = (k + 1) * 60000 + randint(rng, 0, 999)
            age_min = max(0, age_max - 60000)
            age_avg = (age_max + age_min) / 2.0
            age_ms = age_max
        else:
            if minute >= STALL_END and age_ms > 1000:
                # catching up: about 160 records a minute until drained
                # (the first read of a minute returns its oldest record)
                read = min(backlog, 160 + written)
                age_max = max(int(age_ms), randint(rng, 200, 1500))
                age_ms = age_ms * 0.25 if backlog - read > 0 else 0
            else:
                read = backlog
                age_max = randint(rng, 200, 1500) if read else 0
            age_min = 0
            age_avg = age_max * uniform(rng, 0.2, 0.5)
        backlog -= read
        hi = max(0, min(read, randint(rng, 1, 10) if read else 0))
        if read and hi * polls < read:
            hi = -(-read // polls)
        yield (ts, "GetRecords.Records", read, read / polls, 0, hi, polls)
        yield (ts, "GetRecords.IteratorAgeMilliseconds", age_avg * polls,
               age_avg, age_min, age_max, polls)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=os.path.join(here,
                                                           "stream-day.csv"))
    args = ap.parse_args()
    rng = random.Random(SEED)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write("# streamwatch demo recording: stream 'sample', 2026-11-25, "
                "one row per metric per minute\n")
        f.write("# generated by examples/demo/make-recording.py (seed %d); "
                "edit the script, not this file\n" % SEED)
        f.write("# format: docs/recording-format.md\n")
        f.write(HEADER + "\n")
        for ts, metric, s, avg, lo, hi, cnt in rows(rng):
            f.write(",".join([ts, NAMESPACE, metric, DIMS, num(s), num(avg),
                              num(lo), num(hi), num(cnt)]) + "\n")


if __name__ == "__main__":
    main()
