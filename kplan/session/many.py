"""A repository of stacks planned in one run (`kplan plan` with several PATHs, `--tree DIR`, `--changed-files`):
every stack loaded, its cluster (each of them, for a several-cluster stack) grouped with the other stacks' that
target the same cluster with the same settings, each such cluster read ONCE for all of them
(kplan.cluster.reader.KafkaReader.read_many: one metadata request, one config read of the union of their topics,
one read of the ownership records), the clusters in parallel; then each stack is planned and validated on its own,
exactly as `kplan plan` plans it (planning is pure: only the read is shared; a re-plan after the metadata settles
reads again, for that stack alone). A stack that fails — its files invalid, a secret, its cluster unreachable —
fails alone with its own error lines; the others are planned."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from kplan.errors import KplanError

MAX_CLUSTERS_AT_ONCE = 8  # clusters read and planned at the same time (each has its own clients)


@dataclass
class Planned:
    """One stack's outcome: its plan, or the lines saying why it has none."""

    path: str
    name: str | None = None  # once loaded
    environment: str | None = None
    plan: Any = None  # kplan.model.plan.Plan
    errors: list[str] = field(default_factory=list)  # located, one problem a line (no plan)
    cause: str | None = None  # why it has no plan: "stack" (its files), "cluster" (a system it needs could not be read)
    warnings: tuple[str, ...] = ()  # the stack's own warnings (as `kplan plan` prints them)
    # the live state it was planned on, by cluster name (None for a one-cluster stack): what `kplan watch` exports
    # beside the plan (a kind's Runtime's `live_metrics`)
    lives: dict = field(default_factory=dict)
    stack: Any = None  # the loaded stack (`kplan watch` reads more of it than the plan)

    @property
    def failed(self) -> bool:
        return self.plan is None or self.plan.has_errors

    @property
    def has_changes(self) -> bool:
        return self.plan is not None and self.plan.has_changes


@dataclass
class _Group:
    """The member stacks that target one cluster with the same settings (and the same secret commands: the
    cluster's secret references resolve alike for all of them)."""

    cluster: Any
    secret_commands: Any
    members: list[tuple[int, Any]] = field(default_factory=list)  # (index of the stack, its one-cluster stack)


def plan_many(paths: Sequence[str], environment: str | None, *, environ: Mapping[str, str] | None = None,
              template_dirs: Sequence[str] = (), destroy: bool = False, allow_active_consumers: bool = False,
              live_state: str | None = None, validate: bool = True) -> list[Planned]:
    """Each stack's outcome, in the order of `paths`. `validate=False`: no plan-time validation by the systems
    (`kplan watch`, which reads only: a validate-only create asks for the right to create)."""
    environ = os.environ if environ is None else environ
    out = [Planned(p, environment=environment) for p in paths]
    loaded = ((i, _load(planned, environment, environ, template_dirs)) for i, planned in enumerate(out))
    stacks: dict[int, Any] = {i: stack for i, stack in loaded if stack is not None}
    if live_state is not None:  # offline: each stack against the file, as `kplan plan --live-state`
        for i, stack in stacks.items():
            _plan_offline(out[i], stack, live_state, environ, destroy, allow_active_consumers)
        return out
    groups = group_by_cluster(stacks)
    _refuse_shared_names(groups, out)
    _import_ahead()
    parts: dict[tuple[int, str | None], tuple[Any, str | None, Any]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(len(groups), MAX_CLUSTERS_AT_ONCE))) as pool:
        for done in pool.map(lambda g: plan_group(g, environ, destroy, allow_active_consumers, validate), groups):
            parts.update(done)
    for i, stack in stacks.items():
        if not out[i].errors:
            _assemble(out[i], i, stack, parts)
    return out


def group_by_cluster(stacks: Mapping[int, Any]) -> list[_Group]:
    """The one-cluster stacks (a several-cluster stack's members) grouped by the cluster settings they target, in
    the order first met."""
    groups: list[_Group] = []
    for i, stack in stacks.items():
        for member in stack.members or (stack,):
            for g in groups:
                if g.cluster == member.cluster and g.secret_commands == member.secret_commands:
                    g.members.append((i, member))
                    break
            else:
                groups.append(_Group(member.cluster, member.secret_commands, [(i, member)]))
    return groups


def plan_group(group: _Group, environ: Mapping[str, str], destroy: bool, allow_active: bool, validate: bool = True
               ) -> dict[tuple[int, str | None], tuple[Any, str | None, Any]]:
    """(stack index, cluster name) -> (plan, None, the live state) or (None, the error, None) for every member of
    the group: one read of the cluster for all of them, then each planned and validated on the clients of that
    read."""
    from kplan.cluster.prefetch import Handed
    from kplan.cluster.reader import plan_validator
    from kplan.session.open import Session, cluster_secrets
    from kplan.session.plan import plan_stack, read_request
    from kplan.session.systems import open_cluster
    from kplan.stackfile.references import resolve_stack_secrets

    out: dict[tuple[int, str | None], tuple[Any, str | None, Any]] = {}
    members = group.members
    first = members[0][1]
    try:
        reader, _, close = open_cluster(first.cluster, cluster_secrets(first.name, first.cluster,
                                                                       first.secret_commands, environ))
    except KplanError as e:
        return {(i, m.cluster_name): (None, str(e), None) for i, m in members}
    try:
        requests = {m.name: read_request(m) for _, m in members}
        try:
            lives = reader.read_many(requests)
        except KplanError as e:
            return {(i, m.cluster_name): (None, str(e), None) for i, m in members}
        for i, m in members:
            names, sections = requests[m.name]
            try:
                stack_secrets = resolve_stack_secrets(m, environ)
                handed = Handed(reader, m.name, names, sections, close=_nothing).handed(lives[m.name], None)
                session = Session(m, stack_secrets, handed, plan_validator(reader, stack_secrets), _nothing)
                live, plan = plan_stack(session, destroy=destroy, allow_active_consumers=allow_active,
                                        validate=validate)
                out[(i, m.cluster_name)] = (plan, None, live)
            except KplanError as e:
                out[(i, m.cluster_name)] = (None, str(e), None)
    finally:
        close()
    return out


def _nothing() -> None:
    """A shared reader is closed once, by its group, not by each stack's session."""


def _load(planned: Planned, environment: str | None, environ: Mapping[str, str], template_dirs: Sequence[str]):
    from kplan.stackfile import StackError, load_stack

    try:
        stack = load_stack(planned.path, environment=environment, environ=environ, template_dirs=template_dirs)
    except StackError as e:
        from kplan.stackfile.roots import declared_name

        planned.errors, planned.cause = e.lines(), "stack"
        planned.name = declared_name(planned.path)
        return None
    planned.name, planned.warnings, planned.stack = stack.name, tuple(stack.warnings), stack
    return stack


def _refuse_shared_names(groups: list[_Group], out: list[Planned]) -> None:
    """Two stacks of one name on one cluster would own one ownership record and one lock: both fail, each naming
    the other."""
    for g in groups:
        by_name: dict[str, list[int]] = {}
        for i, m in g.members:
            by_name.setdefault(m.name, []).append(i)
        for name, indexes in by_name.items():
            if len(set(indexes)) < 2:
                continue
            for i in indexes:
                others = ", ".join(out[j].path for j in indexes if j != i)
                out[i].errors.append(f"Error: stack {name!r} is also declared by {others} for the same cluster: "
                                     "one name is one ownership record and one lock; rename one of them")
                out[i].cause = "stack"
        g.members = [(i, m) for i, m in g.members if not out[i].errors]
    groups[:] = [g for g in groups if g.members]


def _assemble(planned: Planned, i: int, stack,
              parts: Mapping[tuple[int, str | None], tuple[Any, str | None, Any]]) -> None:
    """The stack's plan from its clusters' plans (one, or combined as `kplan plan` combines a several-cluster
    stack's), or its errors (each naming its cluster when it has several)."""
    members = stack.members or (stack,)
    results = [(m.cluster_name, *parts[(i, m.cluster_name)]) for m in members]
    failed = [(name, error) for name, _, error, _ in results if error is not None]
    if failed:
        planned.errors = [f"Error: {'cluster ' + str(name) + ': ' if stack.members else ''}{error}"
                          for name, error in failed]
        planned.cause = "cluster"
        return
    planned.lives = {name: live for name, _, _, live in results}
    if not stack.members:
        planned.plan = results[0][1]
        return
    from kplan.plan.clusters import combine
    from kplan.session.plan import refuse_same_cluster

    try:
        refuse_same_cluster([(name, plan.cluster_id) for name, plan, _, _ in results])
    except KplanError as e:  # two of its clusters are one: its files' to fix
        planned.errors, planned.cause = [f"Error: {e}"], "stack"
        return
    planned.plan = combine([(name or "?", plan) for name, plan, _, _ in results])


def _plan_offline(planned: Planned, stack, live_state: str, environ: Mapping[str, str], destroy: bool,
                  allow_active: bool) -> None:
    """One stack against a live-state file (tests, offline demos)."""
    from kplan.session.open import open_session, sessions_of
    from kplan.session.plan import plan_all

    try:
        session = None if stack.members else open_session(stack, live_state=live_state, environ=environ)
        with sessions_of(stack, session, live_state=live_state, environ=environ) as sessions:
            planned.plan = plan_all(sessions, several=session is None, one_cluster_each=False, destroy=destroy,
                                    allow_active_consumers=allow_active)[1]
    except KplanError as e:
        planned.errors, planned.cause = [f"Error: {e}"], "cluster"


def _import_ahead() -> None:
    """What the reads and the planning import lazily, imported here before the clusters' threads start: two
    threads importing parts of one import cycle at once deadlock (kplan.cluster.prefetch)."""
    import importlib

    from kplan.cluster.prefetch import _PLAN_IMPORTS, _READ_IMPORTS
    from kplan.kinds import UNITS
    from kplan.kinds.unit import module_of

    # and each kind's follow-up read and plan-time validation, by its UNIT
    ios = (module_of(hook) for u in UNITS for hook in (u.follow_up_ref, u.io.validation_ref) if hook)
    for name in (*_READ_IMPORTS, *_PLAN_IMPORTS, "kplan.kinds", "kplan.session.plan", "kplan.cluster.claimed",
                 "kplan.apply.resume", *ios):
        importlib.import_module(name)
