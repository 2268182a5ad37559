"""Planning one session: one batched read (with each kind's follow-up reads), the pure plan, then plan-time
validation by the real systems, again after the broker's metadata settles (the topic UNIT's `io.settle_ref`); and
the sessions of a stack with several clusters, planned concurrently into one plan (`plan_all`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.session.open import Session

if TYPE_CHECKING:  # pragma: no cover
    from kplan.apply.resume import Tokens
    from kplan.model.desired import Stack
    from kplan.model.rebalance import RebalanceRequest
    from kplan.secrets import SecretValues


def plan_stack(session: Session, *, destroy: bool = False, resuming: bool = False, validate: bool = True,
               holding_lock: bool = False, allow_active_consumers: bool = False, requests_before: Tokens | None = None,
               renames_before: frozenset[tuple[str, str]] = frozenset(), rebalance: RebalanceRequest | None = None):
    """(live, plan): one batched read, the pure plan, then plan-time validation by the broker and Connect —
    again, after waiting for the broker's metadata, while the plan would create a topic that exists
    (`KindIO.settle_ref`). `resuming`: the unfinished run in the record is the one being resumed (not an error);
    `holding_lock`: the caller holds the stack's lock (apply), so it being held says nothing;
    `allow_active_consumers`: the run allows deleting topics that live consumers read (kplan.kinds.consumer_guard);
    `requests_before`: (a resume) the requests the resumed run has not applied, planned against the tokens
    recorded before it, and the renames it started, which it continues (kplan.apply.resume); `rebalance`: the
    moves and elections asked for (kplan.kinds.rebalancing, docs/rebalance.md)."""
    (settled,) = [u.io.settle_ref() for u in UNITS if u.io.settle_ref is not None]  # exactly one kind's

    def once():
        from kplan.apply.resume import with_tokens_before
        from kplan.cluster.claimed import read_claimed_topics
        from kplan.model.plan import error
        from kplan.plan.planner import make_plan
        stack = session.stack
        topic_names, sections = read_request(stack)
        live = session.reader.read(stack.name, topic_names=topic_names, sections=sections)
        live = read_claimed_topics(stack, live, session.reader)  # orphans under the stack's claims (docs/orphans.md)
        if resuming:
            live = replace(live, unfinished_run=None)
        if requests_before:
            live = with_tokens_before(live, requests_before)
        if holding_lock:
            live = replace(live, locked=False)
        elif live.locked and hasattr(session.reader, "lock_held"):  # listed: held, or released a moment ago?
            live = replace(live, locked=session.reader.lock_held(stack.name))
        for unit in UNITS:  # the kinds' follow-up reads, in the kinds' order
            if unit.follow_up is not None:
                live = unit.follow_up(stack, live, session.reader, destroy)
        remember_secrets(stack, live, session.secrets)
        plan = make_plan(stack, live, destroy=destroy, secrets=session.secrets,
                         allow_active_consumers=allow_active_consumers, allow_unreadable=session.allow_unreadable,
                         renames_before=renames_before)
        if rebalance is not None and rebalance.wanted:
            live, plan = with_rebalance_read(session, stack, live, plan, rebalance)
        if not validate:  # `kplan status`: it shows no consumer groups, so none are read
            return live, scrubbed(plan)
        live, plan = with_consumers(session.reader, stack, live, plan, allow_active_consumers)
        try:
            extra = session.validator.validate(stack, plan) if session.validator is not None else []
        except KplanError as e:  # e.g. a secret the plan already reports as unresolvable: one more error line
            extra = [error(f"plan-time validation failed: {e}", "validation-failed")]
        return live, scrubbed(plan.with_diagnostics(extra))

    return settled(once, session.reader, session.stack.cluster.timeout_s, validated=validate)


def plan_all(sessions: list, *, several: bool = True, one_cluster_each: bool = True, **kw):
    """[(live, plan)] per cluster's session (kplan.session.open.Session), read and planned concurrently (each
    cluster has its own clients), and the combined plan; `kw`: `plan_stack`'s. `one_cluster_each`:
    refuse two names for one cluster id (not for a live-state file, which may give every cluster the same state).
    Not `several`: the one session's [(live, plan)] and plan, as plan_stack makes it."""
    if not several:
        planned = [plan_stack(session, **kw) for session in sessions]
        return planned, planned[0][1]
    from concurrent.futures import ThreadPoolExecutor

    from kplan.plan.clusters import combine

    def one(session):
        try:
            return plan_stack(session, **kw)
        except KplanError as e:
            raise KplanError(f"cluster {session.stack.cluster_name}: {e}") from None

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        planned = list(pool.map(one, sessions))
    if one_cluster_each:
        refuse_same_cluster([(s.stack.cluster_name, live.cluster_id) for s, (live, _) in zip(sessions, planned)])
    return planned, combine([(s.stack.cluster_name or "?", plan) for s, (_, plan) in zip(sessions, planned)])


def refuse_same_cluster(ids) -> None:
    """Two names for one Kafka cluster (one cluster id) are refused: their ownership records and locks would be
    one. `ids`: (cluster name, cluster id) pairs."""
    seen: dict[str, str] = {}
    for name, cluster_id in ids:
        if cluster_id in seen:
            raise KplanError(f"clusters {seen[cluster_id]} and {name} are the same Kafka cluster (id {cluster_id}); "
                             "declare it once under `clusters:`")
        seen[cluster_id] = name or "?"


def with_rebalance_read(session: Session, stack, live, plan, request: RebalanceRequest):
    """(live, plan) with the rebalance's moves and elections (kplan.kinds.rebalancing); an election first reads who
    leads each partition of the stack's topics now, kept in the live state (a live-state file cannot say: the plan
    then says so)."""
    from kplan.kinds import rebalancing

    part = rebalancing()
    leaders = None
    admin = getattr(session.reader, "admin", None)
    if request.needs_leaders and admin is not None:
        (read_leaders,) = [u.io.leaders_ref() for u in UNITS if u.io.leaders_ref is not None]
        leaders = read_leaders(admin, part.leaders_wanted(stack, request), stack.cluster.timeout_s)
        live = replace(live, leaders=leaders)
    return live, part.planned(plan, stack, live, request, leaders)


def read_request(stack) -> tuple[list[str], frozenset[str]]:
    """What a plan of `stack` asks the batched read for: the names each kind whose read is limited by name scopes
    it to (`KindUnit.read_scope`: the stack's topics and those its references name, kplan.plan.references), and the
    sections it declares (a repository's shared read asks for the same, kplan.session.many)."""
    return [n for u in UNITS if (scope := u.read_scope) is not None for n in scope(stack)], frozenset(stack.kinds)


def with_consumers(reader, stack, live, plan, allow_active: bool):
    """(live, plan) with the consumer groups of the topics the plan disrupts (kplan.kinds.consumer_guard): the
    follow-up read that depends on the plan, made only when a topic needs it and the reader can ask (a live-state file
    says what it says). A read that fails is a warning: the plan then has no consumer context and no consumer guard."""
    from kplan.kinds import consumer_guard
    from kplan.model.consumers import ConsumerReads
    from kplan.model.plan import warning
    from kplan.plan.planner import leaving

    if live.consumers is not None or not isinstance(reader, ConsumerReads):
        return live, plan
    wanted = consumer_guard().disrupted(plan, live)
    if not wanted:
        return live, plan
    cuts = {t: d.retention_ms for t, d in wanted.items() if d.retention_ms is not None}
    try:
        consumers = reader.read_consumers({t: d.partitions for t, d in wanted.items()}, cuts)
    except KplanError as e:
        return live, plan.with_diagnostics([warning(
            f"{e}; the plan shows no consumer groups and the consumer guard did not run (docs/consumers.md)",
            "consumers-unread")])
    live = replace(live, consumers=consumers)
    return live, consumer_guard().attach(plan, stack, live, allow_active, leaving)


def remember_secrets(stack, live, secrets) -> None:
    """Register every secret value this plan meets (kplan.secrets.KNOWN): the stack's resolved and plaintext
    secrets, and the live values under the keys kplan masks — each masked wherever it appears from now on."""
    from kplan.kinds import KINDS
    from kplan.secrets import remember

    run_secrets(stack, live, secrets)  # registers them
    remember(v for kind in KINDS for v in kind.live_secrets(stack, live))


def scrubbed(plan):
    """The plan with every known secret value masked in what it shows (before/after, attributes, diagnostics) —
    embedded in any value, under any key. What apply executes (`planned`) and the fingerprints (digests) are kept."""
    from kplan.secrets import scrub_doc

    return scrub_doc(plan, keep=frozenset({"planned", "fingerprints", "inputs_digest", "cluster_id"}))


def run_secrets(stack: Stack, live, secrets: SecretValues) -> tuple[str, ...]:
    """Every secret value a run may meet: the stack's resolved secrets, each kind's plaintext secret values in the
    stack and on the cluster (its Runtime's `run_secrets`: a connector's; a before-image may be restored), the
    client properties' secrets."""
    from kplan.secrets import has_secret_ref, remember, secret_keys

    values: set[str] = set(secrets.plaintexts())
    values.update(v for unit in UNITS if (runs := unit.runtime) is not None for v in runs.run_secrets(stack, live))
    values.update(str(v) for k, v in stack.cluster.client_properties.items()
                  if k in secret_keys(stack.cluster.client_properties) and not has_secret_ref(str(v)))
    remember(values)
    return tuple(v for v in values if v)
