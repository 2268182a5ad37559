"""Apply, destroy and recover: the lock, the journal, the plan and the executor put together.

One run: take the stack's lock on the cluster -> read the live state and plan (an unfinished earlier run, marked
in the ownership record, is a plan error; a saved plan must still be current) -> show it and get approval -> mark
the run, journal and execute the steps (rolling back on failure) -> record ownership -> release the lock.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from kplan.apply.executor import ApplyResult, Executor, Progress
from kplan.apply.faults import Faults, installed
from kplan.apply.steps import Built, build, ownership_of
from kplan.cluster.clients import client_config
from kplan.cluster.records import ensure_internal_topic, record_producer, write_record
from kplan.errors import KplanError
from kplan.model.desired import Stack
from kplan.model.ownership import Ownership
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, JournalStore, RunStatus
from kplan.state.lock import StackLock
from kplan.state.ownership import OWNERSHIP_TOPIC, RECORD_TOPIC_CONFIG, encode


@dataclass
class Cluster:
    """Everything apply needs to talk to one cluster, opened once."""

    stack: Stack
    session: Any = None  # the shared session (kplan.commands._session): resolved secrets, reader, validator
    writer: Any = None
    broker_count: int = 1
    cluster_id: str = ""
    conf: dict = field(default_factory=dict)
    producer: object = None  # one producer for the run's own records (journal, ownership, lock holder)

    @classmethod
    def open(cls, stack: Stack, environ: Mapping[str, str]) -> "Cluster":
        from kplan.cluster.writer import KafkaWriter
        from kplan.commands._session import open_session

        session = open_session(stack, environ=environ)
        self = cls(stack, session)
        self.cluster_id, self.broker_count = session.reader.describe_cluster()
        self.writer = KafkaWriter(stack.cluster, session.secrets, admin=session.reader.admin)
        self.conf = client_config(stack.cluster, session.secrets)
        self.producer = record_producer(self.conf)
        return self

    @property
    def secrets(self) -> SecretValues:
        return self.session.secrets

    @property
    def reader(self) -> Any:
        return self.session.reader

    @property
    def validator(self) -> Any:
        return self.session.validator

    def journal_store(self) -> JournalStore:
        return JournalStore(self.producer, self.conf, self.writer.admin, self.stack.name, self.cluster_id,
                            self.stack.cluster.timeout_s)

    def lock(self) -> StackLock:
        return StackLock(self.writer.admin, self.producer, self.conf, self.stack.name, self.broker_count,
                         self.stack.cluster.timeout_s)

    def write_ownership(self, record: Ownership) -> None:
        ensure_internal_topic(self.writer.admin, OWNERSHIP_TOPIC, self.broker_count, self.stack.cluster.timeout_s,
                              RECORD_TOPIC_CONFIG)
        key, value = encode(self.stack.name, record)
        write_record(self.producer, OWNERSHIP_TOPIC, key, value, self.stack.cluster.timeout_s, "the ownership record")
        installed().at("ownership-written")

    def close(self) -> None:
        if self.producer is not None:
            self.producer.flush(self.stack.cluster.timeout_s)
        if self.session is not None:
            self.session.close()
        if self.writer is not None:
            self.writer.close()


def run_secrets(stack: Stack, live, secrets: SecretValues) -> tuple[str, ...]:
    """Every secret value a run may meet: the stack's resolved secrets and plaintext secret values, the live
    connectors' secret values (a before-image may be restored), the client properties' secrets."""
    from kplan.secrets import has_secret_ref, secret_keys

    values: set[str] = set(secrets.plaintexts())
    for spec in stack.connectors:
        values.update(v for k in secret_keys(spec.config, declared=spec.sensitive_keys)
                      if not has_secret_ref(v := spec.config[k]))
    for conn in live.connectors.values():
        values.update(conn.config[k] for k in secret_keys(conn.config, recorded=conn.sensitive_keys))
    values.update(str(v) for k, v in stack.cluster.client_properties.items()
                  if k in secret_keys(stack.cluster.client_properties) and not has_secret_ref(str(v)))
    return tuple(v for v in values if v)


def unfinished_message(j: Journal) -> str:
    return (f"an earlier apply did not finish (or is still running): {j.describe()}. Nothing more is applied until "
            "it is recovered: "
            f"`kplan recover --rollback` puts the cluster back as it was before that run, "
            f"`kplan recover --resume` finishes it")


def plan_for(cluster: Cluster, destroy: bool, resuming: bool = False):
    from kplan.commands._session import plan_stack

    return plan_stack(cluster.session, destroy=destroy, resuming=resuming)


def count_deletions(plan) -> int:
    from kplan.plan.model import Action

    return sum(1 for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE))


@dataclass
class RunOptions:
    destroy: bool = False
    max_deletions: int | None = None
    confirm: Callable[[object], bool] = lambda plan: True  # shows nothing; the command shows the plan first
    show: Callable[[object], None] = lambda plan: None
    out: object = None
    saved_plan: object = None  # a Plan loaded from a file: must still be current
    faults: Faults | None = None  # tests only (kplan.apply.faults); None: those a test installed, if any


def run_apply(cluster: Cluster, opts: RunOptions, *,
              resume_of: Journal | None = None) -> tuple[ApplyResult | None, object]:
    """Lock, plan, approve, execute. Returns (result or None when there was nothing to do / not approved, plan)."""
    stack = cluster.stack
    store = cluster.journal_store()
    lock = cluster.lock()
    journal = Journal(stack.name, stack.environment, cluster.cluster_id, stack.inputs_digest, destroy=opts.destroy)
    try:
        lock.acquire(journal.run_id)
    except KplanError as e:
        # A run killed mid-way leaves its lock behind too: say what it left unfinished and how to recover.
        unfinished = store.read()
        if unfinished is not None and unfinished.unfinished:
            raise KplanError(f"{e}. {unfinished_message(unfinished)}") from None
        raise
    try:
        # An unfinished earlier run shows as a plan error (its marker in the ownership record).
        live, plan = plan_for(cluster, opts.destroy, resuming=resume_of is not None)
        if opts.saved_plan is not None:
            check_saved_plan(opts.saved_plan, plan, live, stack, cluster.cluster_id)
        opts.show(plan)
        if plan.has_errors:
            first = plan.errors[0].message
            more = f" (and {len(plan.errors) - 1} more, see above)" if len(plan.errors) > 1 else ""
            raise KplanError(f"the plan has errors: {first}{more}; nothing was applied")
        if opts.max_deletions is not None and count_deletions(plan) > opts.max_deletions:
            raise KplanError(f"the plan deletes {count_deletions(plan)} resource(s), more than --max-deletions "
                             f"{opts.max_deletions}; nothing was applied")
        built = build(plan, stack, live)
        if not built.steps:
            if resume_of is not None:  # the interrupted run had done it all: close it and clear its marker
                _close_resumed(store, resume_of)
                cluster.write_ownership(ownership_of(live))
            return None, plan
        # Adopting existing resources into the ownership record needs approval too: from then on, removing them
        # from the stack deletes them.
        if (plan.has_changes or _adopts(plan)) and not opts.confirm(plan):
            return None, plan
        store.ensure_topic(cluster.broker_count)
        journal.ownership_before = ownership_of(live)
        if resume_of is not None:
            _close_resumed(store, resume_of)
        return execute_steps(cluster, store, journal, built, live, out=opts.out, faults=opts.faults), plan
    finally:
        store.close()
        _release(lock, opts)


def execute_steps(cluster: Cluster, store: JournalStore, journal: Journal, built: Built, live, *, out=None,
                  faults: Faults | None = None) -> ApplyResult:
    """Mark the run in the ownership record, then journal and execute the steps (rolling back on failure); a run
    that did not complete leaves the record as it was (`journal.ownership_before`), without the marker. The
    caller holds the stack's lock and has approved the steps."""
    executor = Executor(cluster.writer, store, cluster.secrets, Progress(out), cluster.write_ownership,
                        faults=faults if faults is not None else installed(),
                        secrets=run_secrets(cluster.stack, live, cluster.secrets))
    # Mark the run in the ownership record before touching anything: if this process dies, every later plan
    # and apply of the stack sees the unfinished run (without reading the journal).
    executor.marker = journal.marker()
    cluster.write_ownership(journal.ownership_before.marked(executor.marker))
    try:
        result = executor.execute(journal, built.steps, built.secrets)
    except BaseException:  # the journal could not even be started: nothing was done, clear the marker
        _quietly(lambda: cluster.write_ownership(journal.ownership_before))
        raise
    if result.status != RunStatus.COMPLETE:  # rolled back: the record as before, without the marker
        _quietly(lambda: cluster.write_ownership(journal.ownership_before))
    return result


def _release(lock: StackLock, opts: RunOptions) -> None:
    """Releasing must not mask the run's own outcome: a failure here is reported, and `kplan unlock` cleans up."""
    if not lock.held:
        return
    try:
        lock.release()
    except Exception as e:  # noqa: BLE001
        print(f"Warning: could not release the apply lock ({e}); run `kplan unlock` once the cluster is reachable",
              file=sys.stderr)


def _quietly(action) -> None:
    try:
        action()
    except Exception as e:  # noqa: BLE001 - reported; the run's own outcome stands
        print(f"Warning: {e}", file=sys.stderr)


def _adopts(plan) -> bool:
    from kplan.plan.model import Flag

    return any(c.has(Flag.ADOPT) for c in plan.changes)


def _close_resumed(store: JournalStore, old: Journal) -> None:
    old.status = RunStatus.ABANDONED
    old.message = "taken over by `kplan recover --resume`"
    store.write(old)


def check_saved_plan(saved, fresh, live, stack: Stack, cluster_id: str) -> None:
    """A saved plan applies only to the stack, environment and cluster it was made for, and only while the live
    state it was computed from is unchanged."""
    from kplan.plan.fingerprint import stack_sensitive_keys, stale_addresses

    if saved.stack != stack.name:
        raise KplanError(f"the saved plan is for stack {saved.stack!r}, not {stack.name!r}")
    if (saved.environment or None) != (stack.environment or None):
        raise KplanError(f"the saved plan is for environment {saved.environment or '(none)'!r}, "
                         f"not {stack.environment or '(none)'!r}")
    if saved.cluster_id != cluster_id:
        raise KplanError(f"the saved plan was made for cluster {saved.cluster_id}, but "
                         f"{stack.cluster.bootstrap_servers} is cluster {cluster_id}")
    if saved.inputs_digest != stack.inputs_digest:
        raise KplanError("the stack files changed since the plan was saved; run `kplan plan` again")
    changed = stale_addresses(saved, live, stack_sensitive_keys(stack))
    if changed or saved.destroy != fresh.destroy:
        raise KplanError("the saved plan is stale: the cluster changed since it was made ("
                         + ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else "")
                         + "); run `kplan plan` again")
    if _what_changes(saved) != _what_changes(fresh):
        raise KplanError("the saved plan no longer matches what kplan would do now (a value it shows differs, e.g. "
                         "a ${VAR} resolved differently); run `kplan plan` again")


def _what_changes(plan) -> list:
    """What a plan would do, value by value (what a reviewer approved): every changed resource's actions,
    flags and changed attributes with their before/after values (sensitive ones only as 'changed')."""
    from kplan.plan.serialize import plan_to_dict

    out = []
    for c in plan_to_dict(plan)["resource_changes"]:
        if c["actions"] == ["no-op"]:
            continue
        attrs = [(tuple(a["path"]), a["kind"], a["before"], a["after"], a["changed"]) for a in c["attributes"]]
        out.append((c["address"], tuple(c["actions"]), tuple(c["flags"]), tuple(attrs)))
    return out


def recover(cluster: Cluster, mode: str, *, force: bool, opts: RunOptions) -> tuple[ApplyResult | None, str]:
    """`kplan recover --rollback | --resume`. Idempotent: with no unfinished run it does nothing."""
    store = cluster.journal_store()
    journal = store.read()
    if journal is None or not journal.unfinished:
        status = f"the last run ({journal.run_id}) is {journal.status}" if journal else "no run is journaled"
        if _clear_stale_marker(cluster):
            status += "; cleared the run marker it left in the ownership record"
        return None, f"Nothing to recover: {status}."
    lock = cluster.lock()
    holder = lock.holder() if lock.exists() else None
    # the interrupted run's own lock, or that of a recovery of it that died too
    if holder is not None and holder.run_id != journal.run_id and not holder.run_id.startswith("recover-"):
        raise KplanError(f"another apply holds the lock ({holder.describe()}); wait for it to finish")
    if holder is not None and not force and not _holder_is_dead(holder):
        raise KplanError(f"the interrupted run's lock holder may still be alive ({holder.describe()}); "
                         "if it is not, run again with --force")
    if lock.exists():
        lock.release()
    if mode == "resume":
        if journal.inputs_digest != cluster.stack.inputs_digest:
            raise KplanError("the stack files changed since the interrupted run; restore them to resume, or use "
                             "`kplan recover --rollback`")
        # finish what the run set out to do: a destroy stays a destroy
        result, plan = run_apply(cluster, replace(opts, destroy=journal.destroy), resume_of=journal)
        if result is None and plan.has_changes:
            return None, f"Run {journal.run_id} was not resumed (not approved); it is still unfinished."
        return result, f"Resumed run {journal.run_id}."
    lock.acquire(f"recover-{uuid.uuid4().hex[:8]}")
    try:
        live = cluster.reader.read(cluster.stack.name, topic_names=[])
        executor = Executor(cluster.writer, store, cluster.secrets, Progress(opts.out), cluster.write_ownership,
                            secrets=run_secrets(cluster.stack, live, cluster.secrets))
        result = executor.rollback(journal, None, journal.message or "interrupted")
        _quietly(lambda: cluster.write_ownership(journal.ownership_before))
        done = "Rolled back" if not result.not_rolled_back else "Rolled back what could be of"
        return result, f"{done} run {journal.run_id}."
    finally:
        store.close()
        _release(lock, opts)


def _clear_stale_marker(cluster: Cluster) -> bool:
    """A run that died after marking itself but before journaling any step left only its marker."""
    from kplan.state.ownership import OWNERSHIP_TOPIC, read_ownership

    record = read_ownership(cluster.conf, cluster.stack.name, cluster.stack.cluster.timeout_s) \
        if OWNERSHIP_TOPIC in cluster.writer.topic_names() else None
    if record is None or not record.run:
        return False
    cluster.write_ownership(record.marked(None))
    return True


def _holder_is_dead(holder) -> bool:
    if holder.host != socket.gethostname():
        return False  # cannot tell from here
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def summary_line(plan, result: ApplyResult | None) -> str:
    s = plan.summary
    return f"Apply complete! Resources: {s.add} added, {s.change} changed, {s.destroy} destroyed."


def report_failure(result: ApplyResult) -> list[str]:
    lines = [f"Error: apply failed: {result.error}"]
    if result.rolled_back:
        lines.append("Rolled back:")
        lines += [f"  - {r}" for r in result.rolled_back]
    if result.status == RunStatus.COMPLETE:
        return lines
    if result.not_rolled_back:
        lines.append("Could NOT be rolled back (the cluster is not as before):")
        lines += [f"  - {r}" for r in result.not_rolled_back]
        lines.append("Check these resources by hand, then run `kplan plan` to see what differs from the stack.")
    else:
        lines.append("The cluster is as it was before this apply.")
    return lines


