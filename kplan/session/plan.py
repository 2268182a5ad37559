"""Planning one session: one batched read (with each kind's follow-up reads), the pure plan, then plan-time
validation by the real systems, again after the broker's metadata settles (kplan.cluster.settle)."""

from __future__ import annotations

from dataclasses import replace

from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.session.open import Session


def plan_stack(session: Session, *, destroy: bool = False, resuming: bool = False, validate: bool = True,
               holding_lock: bool = False):
    """(live, plan): one batched read, the pure plan, then plan-time validation by the broker and Connect —
    again, after waiting for the broker's metadata, while the plan would create a topic that exists
    (kplan.cluster.settle). `resuming`: the unfinished run in the record is the one being resumed (not an error);
    `holding_lock`: the caller holds the stack's lock (apply), so it being held says nothing."""
    from kplan.cluster.settle import settled

    return settled(lambda: _plan_once(session, destroy, resuming, validate, holding_lock), session.reader,
                   session.stack.cluster.timeout_s, validated=validate)



def _plan_once(session: Session, destroy: bool, resuming: bool, validate: bool, holding_lock: bool):
    from kplan.model.plan import error
    from kplan.plan.planner import make_plan

    stack = session.stack
    live = session.reader.read(stack.name, topic_names=[t.name for t in stack.topics], sections=frozenset(stack.kinds))
    if resuming:
        live = replace(live, unfinished_run=None)
    if holding_lock:
        live = replace(live, locked=False)
    for unit in UNITS:  # the kinds' follow-up reads, in the kinds' order
        if unit.follow_up is not None:
            live = unit.follow_up(stack, live, session.reader, destroy)
    plan = make_plan(stack, live, destroy=destroy, secrets=session.secrets)
    if not validate:
        return live, plan
    try:
        extra = session.validator.validate(stack, plan)
    except KplanError as e:  # e.g. a secret the plan already reports as unresolvable: one more error line
        extra = [error(f"plan-time validation failed: {e}", "validation-failed")]
    return live, plan.with_diagnostics(extra)
