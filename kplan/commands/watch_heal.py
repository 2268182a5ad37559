"""`kplan watch`'s part in the resources' own restart policies (a connector's `auto_restart`, docs/auto-restart.md):
after each round's plans, each kind's runtime (`Runtime.healing`) steps its resources' tracks against the live
state the round read; a restart due is made, told on stderr and to the audit feed, and what the watcher did
is kept on the stack's cluster for `kplan status` (kplan.state.restarts). A watcher started again reads that record
back when it first sees the stack, and goes on with its attempts and backoff. Otherwise the cluster is opened only
when something is to be done: a round with nothing due sends no request of its own. Names no kind."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any, Callable

import click

from kplan.secrets import scrub

DONE = ("restart", "exhausted", "reset")  # what a step decides that the watcher acts on and keeps


def healing_parts() -> list[Any]:
    from kplan.kinds import UNITS

    return [runs.healing() for u in UNITS if (runs := u.runtime) is not None]


class Healer:
    """The resources' tracks across rounds, by (stack, key); the clock is `clock` (Unix seconds)."""

    def __init__(self, audit_topic: str | None, clock: Callable[[], float] = time.time) -> None:
        self.audit_topic, self.clock = audit_topic, clock
        self.tracks: dict[tuple[str, str], Any] = {}  # -> the kind's track
        self.limits: dict[tuple[str, str], int] = {}  # -> its policy's max_restarts, as last declared
        self.read_back: set[tuple[str, str | None]] = set()  # (stack, member cluster) whose record was read

    def round(self, results) -> None:
        parts = healing_parts()
        for planned in results:
            if planned.plan is None or planned.stack is None:
                continue
            for member in planned.stack.members or (planned.stack,):
                live = planned.lives.get(member.cluster_name)
                mine = [p for p in parts if p.declares(member)]
                if live is None or not mine:
                    continue
                stack = planned.name or planned.path
                if (stack, member.cluster_name) not in self.read_back:
                    self._read_back(stack, member, mine)
                tracks = {key: t for (s, key), t in self.tracks.items() if s == stack}
                for part in mine:
                    at = self.clock()
                    self._act(stack, member, part, part.round(member, live, tracks, at), at)

    def _act(self, stack: str, member, part, steps: list, at: float) -> None:
        """Make the restarts due at `at` (the time the schedule decided them, which its backoffs count from: an
        event says it as its start, and the time the restart was made as its end)."""
        for s in steps:
            if s.decided not in DONE:
                self._keep_track(stack, s)
        due = [s for s in steps if s.decided in DONE]
        if not due:
            return
        from kplan.session.cluster import Cluster

        try:
            cluster = Cluster.open(member, os.environ)
        except Exception as e:  # noqa: BLE001 - nothing done: the next round tries again
            click.echo(scrub(f"Warning: stack {stack}: its cluster could not be opened to restart what failed: {e}"),
                       err=True)
            return
        try:
            for s in due:
                if s.decided == "restart" and not self._restart(stack, cluster, part, s, at):
                    continue  # not made: not counted, tried again next round
                if s.decided == "exhausted":
                    click.echo(scrub(f"Warning: stack {stack}: {s.address} FAILED again after {s.track.attempts} "
                                     "restart(s): its auto_restart's max_restarts is spent; it stays FAILED until "
                                     "it is fixed"), err=True)
                    self._audit(cluster, s, "restarts-exhausted", at)
                self._keep_track(stack, s)
            self._keep(stack, cluster)
        finally:
            cluster.close()

    def _read_back(self, stack: str, member, parts: list) -> None:
        """The tracks this stack's record on the member's cluster keeps (a watcher that ran before), for the keys this
        watcher does not track yet; read once (again next round when the read failed). The record's keys are the
        healing kinds' resources by name: one kind heals today (the connector's), whose track each is."""
        from kplan.session.open import open_session
        from kplan.state.restarts import read_restarts
        from kplan.transport.kafka import client_config

        try:
            session = open_session(member, environ=os.environ)
            try:
                kept = read_restarts(client_config(member.cluster, session.secrets), member.name,
                                     session.reader.admin, member.cluster.timeout_s)
            finally:
                session.close()
        except Exception as e:  # noqa: BLE001 - the watch goes on; the next round tries again
            click.echo(scrub(f"Warning: stack {stack}: the restarts record could not be read back: {e}"), err=True)
            return
        self.read_back.add((stack, member.cluster_name))
        for key, record in kept.items():
            if (stack, key) not in self.tracks:
                self.tracks[(stack, key)] = parts[0].track_of(record)

    def _keep_track(self, stack: str, s) -> None:
        self.tracks[(stack, s.key)] = s.track
        self.limits[(stack, s.key)] = s.max_restarts

    def _restart(self, stack: str, cluster, part, s, at: float) -> bool:
        try:
            part.restart(cluster.stack, cluster.secrets, s.key)
        except Exception as e:  # noqa: BLE001 - the watch goes on
            click.echo(scrub(f"Warning: stack {stack}: {s.address} was not restarted: {e}"), err=True)
            return False
        click.echo(f"kplan watch: stack {stack}: restarted {s.address}'s failed instances (auto_restart, attempt "
                   f"{s.track.attempts} of {s.max_restarts})", err=True)
        self._audit(cluster, s, "restarted", at)
        return True

    def _audit(self, cluster, s, outcome: str, at: float) -> None:
        if not self.audit_topic:
            return
        from kplan.state.audit import event, now, write

        try:
            write(cluster, self.audit_topic, event(
                "watch", cluster.stack, cluster.cluster_id, None, outcome,
                started=datetime.fromtimestamp(at, timezone.utc), ended=now(),
                restart={"address": s.address, "attempt": s.track.attempts, "max_restarts": s.max_restarts}))
        except Exception as e:  # noqa: BLE001 - the watch goes on; the metrics still say it
            click.echo(scrub(f"Warning: stack {cluster.stack.name}: the {outcome} event was not written to "
                             f"{self.audit_topic}: {e}"), err=True)

    def _keep(self, stack: str, cluster) -> None:
        from kplan.state.restarts import write_restarts

        try:
            write_restarts(cluster, {key: t.as_json() for (s, key), t in list(self.tracks.items()) if s == stack})
        except Exception as e:  # noqa: BLE001 - the watch goes on; status shows the last record written
            click.echo(scrub(f"Warning: stack {stack}: the restarts record was not written: {e}"), err=True)

    def samples(self) -> list[tuple[str, str, int, int, int, bool]]:
        """(stack, key, restarts made, attempts since the last reset, max_restarts, exhausted) of each tracked
        resource, for the metrics."""
        return [(stack, key, t.restarts, t.attempts, self.limits[(stack, key)], t.exhausted)
                for (stack, key), t in sorted(list(self.tracks.items()))]
