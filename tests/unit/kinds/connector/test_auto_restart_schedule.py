"""A connector's auto_restart (docs/auto-restart.md): the policy as an entry says it (one located error for a value it
cannot be) and its schedule, stepped with a fake clock: restarts on the declared backoff, exhausted after
max_restarts, the attempts given back after reset_after of health, never a restart of a held connector."""

from __future__ import annotations

import pytest

from kplan.kinds.connector.auto_restart import (
    EXHAUSTED,
    FAILED,
    HEALTHY,
    HELD,
    NOTHING,
    OTHER,
    RESET,
    RESTART,
    AutoRestart,
    Track,
    condition,
    policy_of,
    step,
)
from kplan.kinds.connector.section import build_connector
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile import load_stack


def test_the_policy_as_an_entry_says_it():
    assert policy_of(None) is None and policy_of(False) is None and policy_of({"enabled": False}) is None
    assert policy_of(True) == AutoRestart(7, (30.0, 60.0, 120.0, 240.0, 480.0, 600.0), 600.0)
    assert policy_of({"max_restarts": 3, "backoff": {"initial": "10s", "max": "25s"}, "reset_after": "1m"}) == \
        AutoRestart(3, (10.0, 20.0, 25.0), 60.0)
    assert policy_of({"backoff": ["2s", 4000], "max_restarts": 2}) == AutoRestart(2, (2.0, 4.0), 600.0)
    with pytest.raises(ValueError, match=r"auto_restart.backoff.max \(5 s\) is below backoff.initial \(10 s\)"):
        policy_of({"backoff": {"initial": "10s", "max": "5s"}})
    with pytest.raises(ValueError, match=r"auto_restart.backoff\[1\]: invalid duration 'soon'"):
        policy_of({"backoff": ["1s", "soon"]})


def test_a_bad_policy_is_one_error_at_its_line(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\ncluster: {bootstrap_servers: 'localhost:9092', connect_url: 'http://c:8083'}\n"
                    "connectors:\n  - name: sink\n    class: FileStreamSink\n    auto_restart:\n"
                    "      backoff: {initial: 1m, max: 10s}\n")
    with pytest.raises(Exception) as e:
        load_stack(str(path))
    lines = [line for line in str(e.value).splitlines() if line.strip()]
    assert lines == [f"{path}:4:5: connectors[0]: auto_restart.backoff.max (10 s) is below backoff.initial (60 s)"], \
        lines


def test_an_entry_reads_its_policy():
    diags = Diagnostics()
    spec = build_connector("sink", {"name": "sink", "class": "FileStreamSink", "auto_restart": {"max_restarts": 2}},
                           [], SourceMap(), diags, Loc("stack.yaml", 1, 1))
    assert not diags.items and spec is not None and spec.auto_restart is not None
    assert spec.auto_restart.max_restarts == 2


def test_condition_from_connects_states():
    assert condition(True, "RUNNING", ("RUNNING", "FAILED")) == FAILED
    assert condition(True, "FAILED", ()) == FAILED
    assert condition(True, "RUNNING", ("RUNNING",)) == HEALTHY
    assert condition(True, "RUNNING", ("UNASSIGNED",)) == OTHER
    assert condition(False, "FAILED", ("FAILED",)) == HELD  # declared paused or stopped: never fought
    assert condition(True, "PAUSED", ("FAILED",)) == HELD


def _run(policy: AutoRestart, seen: list[tuple[float, str]]) -> list[tuple[float, str]]:
    track, out = Track(), []
    for now, what in seen:
        track, decided = step(policy, track, what, now)
        if decided != NOTHING:
            out.append((now, decided))
    return out


def test_restarts_on_the_backoff_then_exhausted():
    policy = AutoRestart(3, (2.0, 4.0), 60.0)
    seen = [(float(t), FAILED) for t in range(0, 20)]
    # first seen at 0: +2 -> 2; then +4 from each restart: 6, 10; the fourth failure finds the attempts spent
    assert _run(policy, seen) == [(2.0, RESTART), (6.0, RESTART), (10.0, RESTART), (11.0, EXHAUSTED)]


def test_a_doubling_backoff_up_to_its_max():
    policy = policy_of({"max_restarts": 5, "backoff": {"initial": "1s", "max": "3s"}})
    assert policy is not None
    seen = [(t / 2, FAILED) for t in range(0, 40)]
    assert [t for t, d in _run(policy, seen) if d == RESTART] == [1.0, 3.0, 6.0, 9.0, 12.0]


def test_health_for_reset_after_gives_the_attempts_back():
    policy = AutoRestart(1, (0.0,), 10.0)
    track, decided = step(policy, Track(), FAILED, 0.0)
    assert decided == RESTART and track.attempts == 1
    track, decided = step(policy, track, FAILED, 1.0)
    assert decided == EXHAUSTED and track.exhausted
    track, decided = step(policy, track, FAILED, 2.0)
    assert decided == NOTHING  # said once
    track, _ = step(policy, track, HEALTHY, 3.0)
    track, decided = step(policy, track, HEALTHY, 12.9)
    assert decided == NOTHING and track.exhausted
    track, decided = step(policy, track, HEALTHY, 13.0)
    assert decided == RESET and (track.attempts, track.exhausted, track.restarts) == (0, False, 1)
    track, decided = step(policy, track, FAILED, 14.0)
    assert decided == RESTART and track.restarts == 2


def test_a_short_healthy_spell_gives_nothing_back():
    policy = AutoRestart(2, (0.0, 5.0), 10.0)
    track, _ = step(policy, Track(), FAILED, 0.0)
    track, _ = step(policy, track, HEALTHY, 1.0)
    track, _ = step(policy, track, FAILED, 4.0)
    assert track.attempts == 1
    track, decided = step(policy, track, FAILED, 4.9)
    assert decided == NOTHING  # 5 s from the previous restart, not from the new failure
    assert step(policy, track, FAILED, 5.0)[1] == RESTART


def test_a_held_connector_is_never_restarted():
    policy = AutoRestart(3, (0.0,), 10.0)
    assert _run(policy, [(float(t), HELD) for t in range(10)]) == []


def test_a_kept_track_goes_on_where_the_watcher_left_it():
    """A watcher started again takes the record a watcher kept (`as_json`): the attempts, and the next backoff counted
    from the last restart, not from the failure it sees first (as a new track would: restart after the first one)."""
    policy = AutoRestart(3, (2.0, 3600.0), 3600.0)
    kept = Track(attempts=1, restarts=1, failing_since=100.0, last_restart=103.0).as_json()
    track = Track.of_json(kept)
    assert track == Track(attempts=1, restarts=1, last_restart=103.0)
    assert step(policy, track, FAILED, 110.0)[1] == NOTHING  # the second backoff (an hour) from 103
    assert step(policy, Track(), FAILED, 110.0)[1] == NOTHING and \
        step(policy, step(policy, Track(), FAILED, 110.0)[0], FAILED, 112.0)[1] == RESTART  # afresh: 2 s
    assert step(policy, track, FAILED, 103.0 + 3600.0)[0].attempts == 2
    assert Track.of_json({"attempts": 3, "restarts": 5, "last_restart": None, "exhausted": True}) == \
        Track(attempts=3, restarts=5, exhausted=True)
