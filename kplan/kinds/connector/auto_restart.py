"""A connector's `auto_restart` policy (docs/auto-restart.md) and its schedule, which `kplan watch` carries out: a
FAILED connector or task is restarted (Connect's restart of the failed instances) after the policy's backoff, at most
`max_restarts` times; once they are spent the connector is left FAILED and called exhausted (watch's metric, its
alert, `kplan status`) until it has been healthy for `reset_after`, which also gives the attempts back. A connector
the stack declares paused or stopped, or that Connect shows paused or stopped, is never restarted. Pure: the clock is
the caller's (`step(..., now)`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from kplan.rules.units import UnitError, parse_duration_ms


@dataclass(frozen=True)
class AutoRestart:
    """A policy: at most `max_restarts` restarts; `delays[n]` seconds before restart n+1 (the last repeats), counted
    from when the failure was first seen (the first) or from the previous restart; `reset_after` seconds of health
    give the attempts back."""

    max_restarts: int
    delays: tuple[float, ...]
    reset_after: float

    def delay(self, attempts: int) -> float:
        return self.delays[min(attempts, len(self.delays) - 1)]


def _seconds(key: str, raw: Any) -> float:
    """A duration as the stack writes it (30s, 5m; a whole number: milliseconds, as a topic's durations) in seconds."""
    try:
        return parse_duration_ms(str(raw)) / 1000
    except UnitError as e:
        raise ValueError(f"auto_restart.{key}: {e}") from None


def policy_of(raw: Any) -> AutoRestart | None:
    """The policy an entry's `auto_restart` says (the schema passed its shape; unsaid keys: their rows' defaults,
    `keys.RESTART_POLICY`), None when off; ValueError with the message to show for a value it cannot be."""
    from kplan.kinds.connector.keys import BACKOFF, RESTART_POLICY
    from kplan.kinds.shape import defaulted

    if raw is None or raw is False:
        return None
    said = defaulted(RESTART_POLICY, {} if raw is True else raw)
    if said["enabled"] is False:
        return None
    given = said["backoff"] or {}
    if isinstance(given, list):
        delays = tuple(_seconds(f"backoff[{i}]", d) for i, d in enumerate(given))
    else:
        backoff = defaulted(BACKOFF, given)
        initial, most = _seconds("backoff.initial", backoff["initial"]), _seconds("backoff.max", backoff["max"])
        if "max" not in given:  # the default longest wait never cuts a longer initial one
            most = max(initial, most)
        if most < initial:
            raise ValueError(f"auto_restart.backoff.max ({most:g} s) is below backoff.initial ({initial:g} s)")
        doubled = [initial]
        while doubled[-1] < most and len(doubled) < 64:
            doubled.append(min(most, max(doubled[-1] * 2, 1.0)))
        delays = tuple(doubled)
    return AutoRestart(int(said["max_restarts"]), delays, _seconds("reset_after", said["reset_after"]))


@dataclass(frozen=True)
class Track:
    """What the watcher knows of one connector under a policy: the restarts since the last reset (`attempts`), all it
    made (`restarts`), when the failure was first seen, the last restart, since when it is healthy, and whether the
    attempts are spent (`exhausted`)."""

    attempts: int = 0
    restarts: int = 0
    failing_since: float | None = None
    last_restart: float | None = None
    healthy_since: float | None = None
    exhausted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "restarts": self.restarts, "last_restart": self.last_restart,
                "exhausted": self.exhausted}

    @classmethod
    def of_json(cls, record: Mapping[str, Any]) -> "Track":
        """The track a watcher kept (`as_json`), as a watcher started again goes on from: the attempts, the restarts
        and the last restart's time (the next backoff counts from it); a failure is seen afresh."""
        last = record.get("last_restart")
        return cls(attempts=int(record.get("attempts") or 0), restarts=int(record.get("restarts") or 0),
                   last_restart=float(last) if isinstance(last, (int, float)) else None,
                   exhausted=bool(record.get("exhausted")))


# a connector's condition, as `condition` reads it from Connect's states
FAILED, HEALTHY, HELD, OTHER = "failed", "healthy", "held", "other"
# what `step` decided
RESTART, EXHAUSTED, RESET, NOTHING = "restart", "exhausted", "reset", "nothing"


def condition(declared_running: bool, state: str | None, task_states: tuple[str | None, ...]) -> str:
    """failed (the connector or a task FAILED), healthy (it and every task RUNNING), held (declared paused or
    stopped, or so in Connect: never restarted), or other (restarting, unassigned, no status yet)."""
    if not declared_running or state in ("PAUSED", "STOPPED"):
        return HELD
    if state == "FAILED" or "FAILED" in task_states:
        return FAILED
    if state == "RUNNING" and all(t == "RUNNING" for t in task_states):
        return HEALTHY
    return OTHER


def step(policy: AutoRestart, track: Track, seen: str, now: float) -> tuple[Track, str]:
    """The track after seeing the connector in condition `seen` at `now`, and what to do: restart it now, call it
    exhausted (once, when a failure finds the attempts spent), reset (healthy for reset_after after restarts), or
    nothing."""
    if seen == HEALTHY:
        since = track.healthy_since if track.healthy_since is not None else now
        track = replace(track, failing_since=None, healthy_since=since)
        if (track.attempts or track.exhausted) and now - since >= policy.reset_after:
            return replace(track, attempts=0, exhausted=False), RESET
        return track, NOTHING
    if seen != FAILED:  # held or on its way: nothing to count, nothing given back
        return replace(track, failing_since=None, healthy_since=None), NOTHING
    track = replace(track, healthy_since=None,
                    failing_since=track.failing_since if track.failing_since is not None else now)
    if track.exhausted:
        return track, NOTHING
    if track.attempts >= policy.max_restarts:
        return replace(track, exhausted=True), EXHAUSTED
    assert track.failing_since is not None
    since = track.last_restart if track.attempts and track.last_restart is not None else track.failing_since
    if now < since + policy.delay(track.attempts):
        return track, NOTHING
    return replace(track, attempts=track.attempts + 1, restarts=track.restarts + 1, last_restart=now), RESTART


def status_note(name: str, record: Mapping[str, Any], max_restarts: int) -> str:
    """`kplan status`'s line of a connector's restarts by `kplan watch` (its record, `Track.as_json`)."""
    from datetime import datetime, timezone

    last = record.get("last_restart")
    when = (f", the last at {datetime.fromtimestamp(last, timezone.utc).isoformat(timespec='seconds')}"
            if isinstance(last, (int, float)) else "")
    spent = (f"; its {max_restarts} attempts are spent: it stays FAILED until fixed (healthy for reset_after gives "
             "them back)") if record.get("exhausted") else f" ({record.get('attempts', 0)} of {max_restarts} since "\
        "the last reset)"
    return f"connector {name!r}: kplan watch restarted it {record.get('restarts', 0)} time(s) (auto_restart){when}" \
           f"{spent}"
