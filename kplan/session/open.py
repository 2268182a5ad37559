"""What every command that reads the cluster shares: load the stack (every problem one line, then exit 1),
resolve its secret references once (the edge), open the cluster (or a live-state file), read, plan, and have the
real systems validate the plan. `plan`, `status` and `apply`/`destroy`/`recover` all go through `plan_stack`.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from kplan.errors import KplanError


@dataclass
class Session:
    """One stack against one cluster (or a live-state file): the reader, the plan-time validator and the
    stack's resolved secrets, opened once and shared by everything the command does."""

    stack: Any
    secrets: Any
    reader: Any
    validator: Any  # the plan-time validation by the real systems; None for a live-state file (none to ask)
    close: Callable[[], None]
    # `--allow-unreadable`: the declared systems (`connect:NAME`) this run may plan without when they cannot be
    # read; the plan then says which it did not read (`Plan.not_read`) instead of claiming they match
    allow_unreadable: frozenset[str] = frozenset()


def read_live_document(live_state: str) -> tuple[Any, KplanError | None]:
    """A live-state file's document, or the error reading it (raised where the session is opened)."""
    from kplan.kinds.livejson import shared_objects

    try:
        with open(live_state, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=shared_objects()), None
    except (OSError, ValueError) as e:
        return None, KplanError(f"cannot read the live state {live_state}: {e}")


def open_session(stack, *, live_state: str | None = None, environ: Mapping[str, str] | None = None,
                 document: tuple[Any, KplanError | None] | None = None) -> Session:
    """`document`: the live-state file already read (`read_live_document`)."""
    from kplan.stackfile.references import resolve_stack_secrets

    secrets = resolve_stack_secrets(stack, os.environ if environ is None else environ)
    if live_state is None:
        from kplan.session.systems import open_cluster

        reader, validator, close = open_cluster(stack.cluster, secrets)
        return Session(stack, secrets, reader, validator, close)
    from kplan.kinds.livejson import live_state_from_dict
    from kplan.model.live import StaticReader

    doc, error = document or read_live_document(live_state)
    if error is not None:
        raise error
    if isinstance(doc, dict) and isinstance(doc.get("clusters"), dict):  # several clusters: one state per name
        if stack.cluster_name not in doc["clusters"]:
            raise KplanError(f"the live state {live_state} has no state for cluster {stack.cluster_name!r}")
        doc = doc["clusters"][stack.cluster_name]
    if isinstance(doc, dict) and doc.get("cluster_id"):  # a state that names its cluster is held to the pin too
        from kplan.cluster.pin import check_pin

        check_pin(stack.cluster, str(doc["cluster_id"]))
    return Session(stack, secrets, StaticReader(live_state_from_dict(doc)), None, lambda: None)


@contextmanager
def sessions_of(stack, session: Session | None, *, live_state: str | None = None,
                environ: Mapping[str, str] | None = None, allowed: frozenset[str] = frozenset()):
    """The sessions of a command that only reads (plan, status), each allowed `allowed` (--allow-unreadable) and
    closed on the way out: `session` (one cluster: `load_and_open`'s), or, when it is None (several clusters), one
    per cluster in the stack's order: from a live-state file (`{"clusters": {name: state}}`, or one state used for
    every cluster), or each cluster's reader and validator (no writer, no record producer: apply's `open_all`)."""
    sessions: list[Session] = [] if session is None else [session]
    try:
        for member in stack.members if session is None else ():
            try:
                sessions.append(open_session(member, live_state=live_state, environ=environ))
            except KplanError as e:
                raise KplanError(f"cluster {member.cluster_name}: {e}") from None
        for s in sessions:
            s.allow_unreadable = allowed
        yield sessions
    finally:
        for s in sessions:
            s.close()


def wait_for_stack_cluster(stack, wait_s: float | None, environ: Mapping[str, str] | None = None) -> None:
    """`--wait-for-cluster`: once the stack is loaded (a bad stack fails at once, not after the wait) and before
    anything else talks to the cluster, wait for its Kafka and Connect (kplan.cluster.wait; exit 4 at the
    deadline). Nothing to do without the option."""
    if wait_s is None:
        return
    for member in stack.members:  # several clusters: each of them, in turn, within the one deadline each
        wait_for_stack_cluster(member, wait_s, environ)
    if stack.members:
        return
    from kplan.cluster.wait import wait_for_cluster

    # the cluster's own references only: a connector's unresolvable secret is the plan's to report, after the wait
    secrets = cluster_secrets(stack.name, stack.cluster, stack.secret_commands, os.environ if environ is None
                              else environ)
    wait_for_cluster(stack.cluster, secrets, wait_s)


def cluster_secrets(stack_name: str, cluster, secret_commands, environ: Mapping[str, str]):
    """The resolved secrets of a cluster's own settings (its client properties, Connect's and the registry's
    credentials), without the rest of the stack's."""
    from kplan.model.desired import Stack
    from kplan.stackfile.references import resolve_stack_secrets

    return resolve_stack_secrets(Stack(name=stack_name, environment=None, cluster=cluster,
                                       secret_commands=secret_commands), environ)


def load_and_open(path: str, environment: str | None, *, live_state: str | None = None,
                  environ: Mapping[str, str] | None = None, template_dirs=(), wait_s: float | None = None):
    """(stack, session) for a command that only reads (plan, status) — session None for a stack with several
    clusters (the caller opens each, `sessions_of`): the cluster read starts as soon as the
    loader knows the cluster settings (kplan.cluster.prefetch), while the rest of the stack is checked and
    expanded; a stack whose final cluster settings differ from that preview reads again. Raises StackError.
    With `wait_s` (--wait-for-cluster) there is no early read: the whole stack is loaded, the cluster waited for
    (`wait_for_stack_cluster`), then read."""
    from kplan.stackfile import StackError, load_stack

    environ = os.environ if environ is None else environ
    if wait_s is not None and live_state is None:
        stack = load_stack(path, environment=environment, environ=environ, template_dirs=template_dirs)
        wait_for_stack_cluster(stack, wait_s, environ)
        return stack, (None if stack.multi_cluster else open_session(stack, environ=environ))
    early: dict[str, Any] = {}
    # A live-state file is read before the stack: at scale its text is as large as the stack's parse, and is freed
    # (back to the system) before that starts. An error reading it is raised where it was before, after the load.
    document = read_live_document(live_state) if live_state is not None else None

    def on_cluster(preview) -> None:
        if live_state is None:
            early["preview"] = preview
            early["reader"] = _start_read(preview, environ)

    try:
        stack = load_stack(path, environment=environment, environ=environ, template_dirs=template_dirs,
                           on_cluster=on_cluster)
    except StackError:
        if "reader" in early:
            early["reader"][0].close()
        raise
    preview = early.get("preview")
    if stack.multi_cluster:  # several clusters: the caller opens each (`sessions_of`); no early read
        return stack, None
    reader, validator = early.get("reader", (None, None))
    if preview is None or preview.cluster != stack.cluster or preview.stack_name != stack.name:
        if reader is not None:
            reader.close()
        return stack, open_session(stack, live_state=live_state, environ=environ, document=document)
    from kplan.stackfile.references import resolve_stack_secrets

    # the whole stack's secrets: the same values for the cluster's references, and the connectors' and users'
    secrets = resolve_stack_secrets(stack, environ)
    validator.secrets = secrets
    return stack, Session(stack, secrets, reader, validator, reader.close)


def _start_read(preview, environ: Mapping[str, str]):
    """(reader already reading, plan-time validator) for the previewed cluster."""
    from kplan.cluster.prefetch import Prefetch
    from kplan.session import systems

    secrets = cluster_secrets(preview.stack_name, preview.cluster, preview.secret_commands, environ)
    reader, validator, close = systems.open_cluster(preview.cluster, secrets)
    return Prefetch(reader, preview.stack_name, preview.topic_names, preview.sections, close), validator
