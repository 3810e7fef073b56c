"""The soak's world: 24 simulated hours of Kinesis metrics and the 50 alarms
watching them, both made from one seed.

Every stream has a baseline write rate with noise, write bursts (several an
hour or two), consumer stalls (reads drop to nothing, the iterator age
climbs), throttling during the biggest bursts, and gaps where a metric has
no datapoint at all (for the treat_missing_data variants).  Episodes last
at least a few minutes, so an alarm's ALARM state outlives a step the
agent misses: a fault that costs one evaluation delays a notification by a
minute, it does not hide it.
"""

import random

NS = "AWS/Kinesis"
MIN = 60


def _episodes(rng, slots, per_day, lo, hi, scale):
    """Random [start, end) slot ranges, about PER_DAY in 1,440 slots, LO-HI
    slots long, not overlapping; SCALE < 1 packs them closer and shortens
    them (the daemon phase sees a day's weather in minutes)."""
    gap = max(4, int(1440 / per_day * scale))
    lo, hi = max(2, round(lo * scale ** 0.5)), max(3, round(hi * scale ** 0.5))
    out, t = [], rng.randrange(gap // 4 + 1, gap // 2 + 2)
    while t < slots:
        n = rng.randrange(lo, hi + 1)
        out.append((t, min(t + n, slots)))
        t += n + rng.randrange(gap // 2, gap * 3 // 2 + 1)
    return out


def _inside(m, eps):
    return any(a <= m < b for a, b in eps)


def make_series(seed: int, streams: list, minutes: int, scale: float = 1.0) -> dict:
    """{(stream, metric): {slot: value}} for slots [0, MINUTES) (a slot is a
    minute of the simulated day, or one period of the daemon phase); a slot
    missing from the dict has no datapoint.  SCALE: see _episodes()."""
    out = {}
    for si, s in enumerate(streams):
        rng = random.Random(f"{seed}:{s}")
        base = 1000.0 + 150 * si
        bursts = _episodes(rng, minutes, 14, 6, 40, scale)
        big = [b for b in bursts if rng.random() < 0.4]
        stalls = _episodes(rng, minutes, 6, 6, 30, scale)
        gaps_in = _episodes(rng, minutes, 3, 5, 15, scale)
        gaps_wpte = _episodes(rng, minutes, 4, 8, 40, scale)
        inc, rd, age, wpte = {}, {}, {}, {}
        stall_age = 0.0
        for m in range(minutes):
            # daily swing: quieter at night
            swing = 0.75 + 0.25 * (1 if 420 <= (m / scale) % 1440 < 1320 else 0)
            v = base * swing * rng.uniform(0.9, 1.1)
            if _inside(m, bursts):
                v *= 2.6 if _inside(m, big) else 1.9
            if not _inside(m, gaps_in):
                inc[m] = round(v)
            if _inside(m, stalls):
                stall_age += 60000.0
                if rng.random() < 0.5:
                    rd[m] = 0.0          # consumer polls, gets nothing
                # else: no datapoint at all (consumer stopped polling)
            else:
                stall_age = max(0.0, stall_age - 240000.0)
                rd[m] = round(v * rng.uniform(0.97, 1.0))
            age[m] = 400.0 + stall_age + rng.uniform(0, 200)
            if not _inside(m, gaps_wpte):
                wpte[m] = float(rng.randrange(5, 50)) if _inside(m, big) else 0.0
        out[(s, "IncomingRecords")] = inc
        out[(s, "GetRecords.Records")] = rd
        out[(s, "GetRecords.IteratorAgeMilliseconds")] = age
        out[(s, "WriteProvisionedThroughputExceeded")] = wpte
    return out


def _single(name, stream, metric, stat, **kw):
    r = {"name": name, "namespace": NS, "metric": metric,
         "dimensions": {"StreamName": stream}, "statistic": stat, "period": 60}
    r.update(kw)
    return r


def _math(name, stream, expr, metrics, **kw):
    r = {"name": name,
         "metrics": [{"id": i, "metric": m, "dimensions": {"StreamName": stream},
                      "statistic": "Sum"} for i, m in metrics],
         "expression": expr, "period": 60}
    r.update(kw)
    return r


def make_rules(seed: int, streams: list, count: int) -> list:
    """COUNT rules over STREAMS, cycling through the kinds below, each
    stream's thresholds jittered by the seed.  Actions are filled in by the
    caller."""
    rng = random.Random(f"{seed}:rules")
    kinds = []
    for si, s in enumerate(streams):
        base = 1000.0 + 150 * si
        j = lambda: rng.uniform(0.95, 1.05)  # noqa: E731
        kinds.append([
            _single(f"{s}-incoming-high", s, "IncomingRecords", "Sum",
                    threshold=round(base * 1.6 * j()), comparison="GreaterThanThreshold",
                    evaluation_periods=1),
            _single(f"{s}-incoming-high-3of5", s, "IncomingRecords", "Sum",
                    threshold=round(base * 1.5 * j()), comparison="GreaterThanThreshold",
                    evaluation_periods=5, datapoints_to_alarm=3),
            _single(f"{s}-incoming-low", s, "IncomingRecords", "Sum",
                    threshold=round(base * 0.72 * j()), comparison="LessThanThreshold",
                    evaluation_periods=3, datapoints_to_alarm=2,
                    treat_missing_data="breaching"),
            _single(f"{s}-reads-stalled", s, "GetRecords.Records", "Sum",
                    threshold=1.0, comparison="LessThanThreshold",
                    evaluation_periods=4, datapoints_to_alarm=4,
                    treat_missing_data="breaching"),
            _single(f"{s}-iterator-age", s, "GetRecords.IteratorAgeMilliseconds", "Maximum",
                    threshold=round(240000 * j()), comparison="GreaterThanThreshold",
                    evaluation_periods=3, datapoints_to_alarm=3,
                    treat_missing_data="ignore"),
            _single(f"{s}-throttled", s, "WriteProvisionedThroughputExceeded", "Sum",
                    threshold=0.0, comparison="GreaterThanThreshold",
                    evaluation_periods=2, datapoints_to_alarm=1,
                    treat_missing_data="notBreaching"),
            _single(f"{s}-incoming-5min", s, "IncomingRecords", "Sum",
                    period=300, threshold=round(base * 5 * 1.7 * j()),
                    comparison="GreaterThanOrEqualToThreshold", evaluation_periods=2,
                    datapoints_to_alarm=1),
            _single(f"{s}-incoming-avg", s, "IncomingRecords", "Average",
                    threshold=round(base * 1.75 * j()), comparison="GreaterThanThreshold",
                    evaluation_periods=4, datapoints_to_alarm=2),
            _math(f"{s}-consumers-behind", s, "w - FILL(r, 0)",
                  [("w", "IncomingRecords"), ("r", "GetRecords.Records")],
                  threshold=round(base * 0.5), comparison="GreaterThanThreshold",
                  evaluation_periods=5, datapoints_to_alarm=3),
            _single(f"{s}-iterator-age-warn", s, "GetRecords.IteratorAgeMilliseconds",
                    "Maximum", threshold=round(100000 * j()),
                    comparison="GreaterThanOrEqualToThreshold", evaluation_periods=2,
                    datapoints_to_alarm=2, treat_missing_data="missing"),
        ])
    out = []
    i = 0
    while len(out) < count:
        k = kinds[i % len(kinds)]
        r = k[(i // len(kinds)) % len(k)]
        if (i // len(kinds)) >= len(k):  # more alarms than kinds: copies with new names
            r = dict(r, name=f"{r['name']}-{i // (len(kinds) * len(k))}")
        out.append(r)
        i += 1
    return out
