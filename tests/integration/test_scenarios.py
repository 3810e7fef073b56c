"""Scenarios stepped minute by minute through `run --once --now` against the fake
(issue 3): late datapoints, a stream that goes silent, a burst, a stalled consumer.

Each scenario is a table of steps.  A step is

    (minute, puts, transitions)

minute       the run is `run --once --now 2026-11-25T10:MM:00Z`
puts         datapoints handed to the fake just before that run, as
             (minute, value) for the scenario's metric, or (metric, minute, value)
transitions  {alarm: (new state, exact NewStateReason)} for every alarm that must
             change state at this step; {} means nothing may change

At every step the runner checks, for every alarm: state and `since` in state.json
(carried over from the last transition), the reason of the last transition, and
that the log notifier wrote exactly one line per transition of this step (every
rule sends all three kinds of action to it) and none otherwise.

Expected states follow docs/cloudwatch-alarms.md §2 and §4–§6;
the window of a run at E is [E - R·60, E) with R = N + max(N/3, 2).  Reasons use
the §8 wording: dates dd/MM/yy in UTC (the binary runs with TZ=Asia/Tokyo), values
Java-style ("20.0").
"""

import pytest

from conftest import FETCH_MODES, metric_windows, put, ts


@pytest.fixture(autouse=True, params=FETCH_MODES)
def fetch_mode(request, sw):
    """Every scenario in both fetch modes: the same datapoints, the same
    states, reasons and notifications."""
    sw.fetch = request.param
    return request.param

STREAM = "sample"
INCOMING = "IncomingRecords"
READS = "GetRecords.Records"


def at(minute: int) -> str:
    return f"2026-11-25T10:{minute:02d}:00Z"


def d(minute: int, value: float) -> str:
    """One datapoint as a reason lists it."""
    return f"{value!r} (25/11/26 10:{minute:02d}:00)"


def points(*pairs) -> str:
    """The bracketed list of a reason: pairs newest first."""
    return "[" + ", ".join(d(m, v) for m, v in pairs) + "]"


def rule(sw, name, metric=INCOMING, **kw):
    return sw.rule(name=name, metric=metric, insufficient_data_actions=["console"], **kw)


def run_scenario(sw, fake, alarms, steps, metric=INCOMING):
    """Step through STEPS (see the module docstring) for the alarms named in ALARMS."""
    state = {a: ("INSUFFICIENT_DATA", None, None) for a in alarms}  # state, since, reason
    seen = 0
    for minute, puts, transitions in steps:
        for p in puts:
            m, (pm, value) = (p[0], p[1:]) if isinstance(p[0], str) else (metric, p)
            put(fake, at(pm), float(value), stream=STREAM, metric=m)
        now = at(minute)
        r = sw.run_once(now)
        where = f"step {now}\n{sw.explain()}"
        assert r.rc == 0, where

        expected_lines = []
        for name in alarms:                      # config order = evaluation order
            if name in transitions:
                new, reason = transitions[name]
                old = state[name][0]
                assert new != old, f"bad table at {now}: {name} {old} -> {new}"
                expected_lines.append((name, old, new, reason))
                state[name] = (new, now, reason)
        for name in alarms:
            a = sw.alarm(name)
            want, since, reason = state[name]
            assert a["state"] == want, f"{name} at {now}: {a}\n{where}"
            if since is not None:
                assert a["since"] == since, f"{name} at {now}: {a}"
                assert a["reason"] == reason, f"{name} at {now}"
            assert a["last_evaluated"] == now, a
            assert a["fetch_error"] is None, a

        lines = sw.notifications()
        new_lines = lines[seen:]
        seen = len(lines)
        got = [(n["AlarmName"], n["OldStateValue"], n["NewStateValue"], n["NewStateReason"])
               for n in new_lines]
        assert sorted(got) == sorted(expected_lines), f"notifications at {now}\n{where}"
        for n in new_lines:
            assert n["StateChangeTime"].startswith(now[:-1]), n


# --------------------------------------------------------------------------- (a) late datapoints

LATE = "late-2-of-3"
LATE_STEPS = [
    # 10:00-10:02 arrive; 10:03 is late.  Window [09:58, 10:03): - - 0 0 0
    (3, [(0, 1), (1, 1), (2, 1)],
     {LATE: ("OK", "Threshold Crossed: 3 out of the last 3 datapoints "
                   f"{points((2, 1.0), (1, 1.0), (0, 1.0))} were not greater than the "
                   "threshold (10.0) (minimum 2 datapoints for ALARM -> OK transition).")}),
    # [09:59, 10:04): - 0 0 0 -   the missing newest period is not a problem
    (4, [], {}),
    # [10:00, 10:05): 0 0 0 - 0   the 3 newest real points reach back over the gap
    (5, [(4, 1)], {}),
    # 10:03 = 20 arrives three minutes late, still inside the range, and is
    # evaluated in its own period: [10:01, 10:06): 0 0 X 0 X -> 2 of 3
    (6, [(5, 20), (3, 20)],
     {LATE: ("ALARM", "Threshold Crossed: 2 out of the last 3 datapoints "
                      f"{points((5, 20.0), (3, 20.0))} were greater than the threshold "
                      "(10.0) (minimum 2 datapoints for OK -> ALARM transition).")}),
    # [10:02, 10:07): 0 X 0 X 0 -> 1 of 3
    (7, [(6, 1)],
     {LATE: ("OK", "Threshold Crossed: 2 out of the last 3 datapoints "
                   f"{points((6, 1.0), (4, 1.0))} were not greater than the threshold "
                   "(10.0) (minimum 2 datapoints for ALARM -> OK transition).")}),
    # 10:07 is late; a breach for 10:02 arrives after 10:02 left the range
    # [10:03, 10:08) and is never evaluated: X 0 X 0 - -> 1 of 3
    (8, [(2, 30)], {}),
    # 10:07 arrives one minute late with 10:08: [10:04, 10:09): 0 X 0 X X
    (9, [(7, 25), (8, 22.5)],
     {LATE: ("ALARM", "Threshold Crossed: 2 out of the last 3 datapoints "
                      f"{points((8, 22.5), (7, 25.0))} were greater than the threshold "
                      "(10.0) (minimum 2 datapoints for OK -> ALARM transition).")}),
]


def test_late_datapoints(sw, fake):
    sw.write_config(rules=[rule(sw, LATE, evaluation_periods=3, datapoints_to_alarm=2)])
    run_scenario(sw, fake, [LATE], LATE_STEPS)
    # The GetMetricStatistics window of the last step: 5 periods ending at 10:09.
    start, end, _ = metric_windows(fake)[-1]
    assert (start, end) == (ts(at(9)) - 300, ts(at(9)))


# --------------------------------------------------------------------------- (b) a stream goes silent

SILENT_MISSING = "silent-missing"
SILENT_MISSING_STEPS = [
    # 1 of 2 (range 4), last datapoint 10:03, then nothing.
    (4, [(0, 15), (1, 16), (2, 17), (3, 18)],
     {SILENT_MISSING: ("ALARM", "Threshold Crossed: 2 out of the last 2 datapoints "
                                f"{points((3, 18.0), (2, 17.0))} were greater than the "
                                "threshold (10.0) (minimum 1 datapoint for OK -> ALARM "
                                "transition).")}),
    (5, [], {}),    # [10:01, 10:05): X X X -    newest real points
    (6, [], {}),    # [10:02, 10:06): X X - -
    (7, [], {}),    # [10:03, 10:07): X - - -    1 real point, 1 breach >= M
    # [10:04, 10:08): all missing
    (8, [], {SILENT_MISSING: ("INSUFFICIENT_DATA",
                              "Insufficient Data: 2 datapoints were unknown.")}),
    (9, [], {}),
    # The stream resumes.
    (10, [(9, 3)],
     {SILENT_MISSING: ("OK", "Threshold Crossed: 1 out of the last 1 datapoints "
                             f"{points((9, 3.0))} was not greater than the threshold "
                             "(10.0) (minimum 2 datapoints for ALARM -> OK transition).")}),
]

SILENT_BREACHING = "silent-breaching"
SILENT_BREACHING_STEPS = [
    # 2 of 2 (range 4), missing data breaches; last datapoint 10:03.
    (3, [(0, 1), (1, 2), (2, 3)],
     {SILENT_BREACHING: ("OK", "Threshold Crossed: 2 out of the last 2 datapoints "
                               f"{points((2, 3.0), (1, 2.0))} were not greater than the "
                               "threshold (10.0) (minimum 1 datapoint for ALARM -> OK "
                               "transition).")}),
    (4, [(3, 4)], {}),
    (5, [], {}),    # [10:01, 10:05): 0 0 0 -
    (6, [], {}),    # [10:02, 10:06): 0 0 - -    still 2 real points: no filling
    (7, [], {}),    # [10:03, 10:07): 0 - - -    0 + 1 filled X: 1 of 2
    # [10:04, 10:08): - - - -    2 filled X
    (8, [], {SILENT_BREACHING: ("ALARM", "Threshold Crossed: no datapoints were received "
                                         "for 2 periods and 2 missing datapoints were "
                                         "treated as [Breaching].")}),
    (9, [], {}),
    # One datapoint back: 1 real + 1 filled, only 1 breach.
    (10, [(9, 5)],
     {SILENT_BREACHING: ("OK", "Threshold Crossed: 1 out of the last 2 datapoints "
                               f"{points((9, 5.0))} was not greater than the threshold "
                               "(10.0) and 1 missing datapoint was treated as [Breaching] "
                               "(minimum 1 datapoint for ALARM -> OK transition).")}),
]


def test_silent_stream_missing(sw, fake):
    sw.write_config(rules=[rule(sw, SILENT_MISSING, evaluation_periods=2,
                                datapoints_to_alarm=1, treat_missing_data="missing")])
    run_scenario(sw, fake, [SILENT_MISSING], SILENT_MISSING_STEPS)


def test_silent_stream_breaching(sw, fake):
    sw.write_config(rules=[rule(sw, SILENT_BREACHING, evaluation_periods=2,
                                datapoints_to_alarm=2, treat_missing_data="breaching")])
    run_scenario(sw, fake, [SILENT_BREACHING], SILENT_BREACHING_STEPS)


# --------------------------------------------------------------------------- (c) a burst

BURST = "burst-3-of-5"
BURST_STEPS = [
    # 3 of 5, range 7.  Baseline 10:00-10:04 = 1.
    (5, [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)],
     {BURST: ("OK", "Threshold Crossed: 5 out of the last 5 datapoints "
                    f"{points((4, 1.0), (3, 1.0), (2, 1.0), (1, 1.0), (0, 1.0))} were not "
                    "greater than the threshold (10.0) (minimum 3 datapoints for ALARM "
                    "-> OK transition).")}),
    (6, [(5, 25)], {}),     # 0 0 0 0 X   1 of 5
    (7, [(6, 2)], {}),      # 0 0 0 X 0
    (8, [(7, 30.5)], {}),   # 0 0 X 0 X   2 of 5
    (9, [(8, 41)],          # 0 X 0 X X   3 of 5
     {BURST: ("ALARM", "Threshold Crossed: 3 out of the last 5 datapoints "
                       f"{points((8, 41.0), (7, 30.5), (5, 25.0))} were greater than the "
                       "threshold (10.0) (minimum 3 datapoints for OK -> ALARM "
                       "transition).")}),
    (10, [(9, 3)], {}),     # X 0 X X 0   still 3 of 5
    (11, [(10, 4)],         # 0 X X 0 0   2 of 5: 3 fine points force OK
     {BURST: ("OK", "Threshold Crossed: 3 out of the last 5 datapoints "
                    f"{points((10, 4.0), (9, 3.0), (6, 2.0))} were not greater than the "
                    "threshold (10.0) (minimum 3 datapoints for ALARM -> OK "
                    "transition).")}),
    (12, [(11, 1)], {}),
]


def test_burst_three_of_five(sw, fake):
    sw.write_config(rules=[rule(sw, BURST, evaluation_periods=5, datapoints_to_alarm=3)])
    run_scenario(sw, fake, [BURST], BURST_STEPS)


# --------------------------------------------------------------------------- (d) a consumer stalls

STALLED = "consumer-stalled"
PRODUCER = "producer-stopped"


def both(minute, incoming, reads):
    out = [(INCOMING, minute, incoming)]
    if reads is not None:
        out.append((READS, minute, reads))
    return out


CONSUMER_STEPS = [
    # Both 3 of 3 LessThanThreshold 1.0, missing data breaching, range 5.
    (3, both(0, 500, 480) + both(1, 500, 480) + both(2, 500, 480),
     {STALLED: ("OK", "Threshold Crossed: 3 out of the last 3 datapoints "
                      f"{points((2, 480.0), (1, 480.0), (0, 480.0))} were not less than "
                      "the threshold (1.0) (minimum 1 datapoint for ALARM -> OK "
                      "transition)."),
      PRODUCER: ("OK", "Threshold Crossed: 3 out of the last 3 datapoints "
                       f"{points((2, 500.0), (1, 500.0), (0, 500.0))} were not less than "
                       "the threshold (1.0) (minimum 1 datapoint for ALARM -> OK "
                       "transition).")}),
    (4, both(3, 500, 480), {}),
    (5, both(4, 500, 480), {}),
    # The consumer stalls: GetRecords.Records drops to 0, IncomingRecords goes on.
    (6, both(5, 510, 0), {}),       # reads 480 480 0: 1 of 3
    (7, both(6, 520, 0), {}),       # 480 0 0: 2 of 3
    (8, both(7, 530, 0),            # 0 0 0
     {STALLED: ("ALARM", "Threshold Crossed: 3 out of the last 3 datapoints "
                         f"{points((7, 0.0), (6, 0.0), (5, 0.0))} were less than the "
                         "threshold (1.0) (minimum 3 datapoints for OK -> ALARM "
                         "transition).")}),
    # The consumer process dies: no GetRecords metric at all.
    (9, both(8, 540, None), {}),    # [10:04, 10:09): 480 0 0 0 -   3 newest real
    (10, both(9, 550, None), {}),   # 0 0 0 - -
    (11, both(10, 560, None), {}),  # 0 0 - - -   2 real + 1 filled breach
    # It restarts and catches up: 0 - - - 900 -> 2 real + 1 filled, 2 breaches.
    (12, both(11, 570, 900),
     {STALLED: ("OK", "Threshold Crossed: 1 out of the last 3 datapoints "
                      f"{points((11, 900.0))} was not less than the threshold (1.0) and 1 "
                      "missing datapoint was treated as [Breaching] (minimum 1 datapoint "
                      "for ALARM -> OK transition).")}),
    (13, both(12, 580, 700), {}),
]


def test_consumer_stalls(sw, fake):
    common = dict(comparison="LessThanThreshold", threshold=1.0, evaluation_periods=3,
                  datapoints_to_alarm=3, treat_missing_data="breaching")
    sw.write_config(rules=[rule(sw, STALLED, metric=READS, **common),
                           rule(sw, PRODUCER, metric=INCOMING, **common)])
    run_scenario(sw, fake, [STALLED, PRODUCER], CONSUMER_STEPS)
    # Each run asked for each metric once.
    metrics = [m for _, _, names in metric_windows(fake) for m in names]
    assert metrics.count(READS) == metrics.count(INCOMING) == len(CONSUMER_STEPS)
