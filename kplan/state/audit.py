"""The audit feed (docs/operations.md): every `kplan apply`, `destroy` and `recover` run with `--audit-topic TOPIC`
(or `KPLAN_AUDIT_TOPIC`) writes one event to that topic once it has ended (a stack of several clusters: one per
cluster, on that cluster, kplan.commands.apply.audited) — who (the principal kplan authenticates as, the host,
the OS user), what (the run's id, the plan's changes by address and action, and a digest of what the
plan was made against), when (start and end), and how it ended. Its JSON Schema is schemas/audit-event.schema.json.

What an event holds is addresses, actions, names and outcomes: never a config value, a secret or a record. Its
error, when there is one, is scrubbed as every message kplan prints is. The event is written after the run, through
the run's own producer, and acknowledged before the command ends; if it cannot be written the command says so, and
its exit code stays the run's (the cluster is as the run left it either way)."""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from datetime import datetime, timezone
from typing import Any, Mapping

from kplan import __version__
from kplan.model.plan import Action

SCHEMA = "kplan.audit-event/1"


def principal_of(client: Mapping[str, Any]) -> str:
    """The principal kplan authenticates as, from the cluster's client settings: `User:<sasl.username>` (a
    `${secret:...}` reference is never resolved here: it is named as such), the OAUTHBEARER or AWS MSK IAM
    mechanism, a client certificate, or `ANONYMOUS`."""
    username = client.get("sasl.username")
    if isinstance(username, str) and username:
        return "User:(a secret reference)" if "${" in username else f"User:{username}"
    if client.get("aws_msk_iam"):
        return "AWS_MSK_IAM"
    mechanism = client.get("sasl.mechanism") or client.get("sasl.mechanisms")
    if mechanism:
        return str(mechanism)
    if client.get("ssl.certificate.location") or client.get("ssl.certificate.pem"):
        return "a client certificate (mTLS)"
    return "ANONYMOUS"


def event(command: str, stack: Any, cluster_id: str, plan: Any, outcome: str, *, started: datetime,
          ended: datetime, run_id: str = "", error: str = "",
          drift: frozenset[tuple[str, str]] = frozenset(), restart: Mapping[str, Any] | None = None
          ) -> dict[str, Any]:
    """One audit event (pure). `outcome`: applied, rolled-back, rollback-incomplete, nothing-to-do, cancelled or
    error; `drift` for `kplan watch`'s (outcome "drift"): the resources newly found not in sync, (address, state);
    `restart` for its auto_restart's (outcomes "restarted", "restarts-exhausted"): the connector, the attempt."""
    changes = [{"address": c.address, "action": c.action.value} for c in (plan.changes if plan is not None else ())
               if c.action != Action.NOOP]
    digest = ""
    if plan is not None:
        basis = json.dumps(sorted(plan.fingerprints.items()), separators=(",", ":"))
        digest = "sha256:" + hashlib.sha256(basis.encode()).hexdigest()
    out: dict[str, Any] = {
        "schema": SCHEMA, "command": command, "stack": stack.name, "environment": stack.environment,
        "cluster_id": cluster_id, "run_id": run_id,
        "who": {"principal": principal_of(stack.cluster.client_properties), "host": socket.gethostname(),
                "os_user": _os_user()},
        "changes": changes, "plan_fingerprint": digest,
        "started": started.isoformat(timespec="milliseconds"), "ended": ended.isoformat(timespec="milliseconds"),
        "outcome": outcome, "kplan_version": __version__,
    }
    if error:
        out["error"] = error
    if drift:
        out["drift"] = [{"address": a, "state": st} for a, st in sorted(drift)]
    if restart is not None:
        out["restart"] = dict(restart)
    return out


def now() -> datetime:
    return datetime.now(timezone.utc)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def write(cluster: Any, topic: str, doc: Mapping[str, Any]) -> None:
    """Write the event to `topic` (created, with Kafka's defaults for retention, if it does not exist), keyed by
    the stack's name, and wait for its acknowledgement."""
    from kplan.secrets import scrub
    from kplan.state.records import ensure_internal_topic, write_record

    timeout_s = cluster.stack.cluster.timeout_s
    ensure_internal_topic(cluster.writer.admin, topic, cluster.broker_count, timeout_s, compacted=False)
    value = scrub(json.dumps(doc, sort_keys=False)).encode()
    write_record(cluster.producer, topic, doc["stack"].encode(), value, timeout_s, "the audit event",
                 cluster.writer.link)
