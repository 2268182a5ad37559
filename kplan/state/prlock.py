"""The pull request lock: from its first plan until it is merged or closed, one pull request holds a stack for
`kplan ci apply`, and the saved plan its comment shows is kept with the lock.

It is kplan's apply lock (kplan.state.lock) on its own topic per stack, `__kplan_pr.<stack>`: taking it is creating
the topic (one creator wins at the controller), then writing who holds it (key `holder`, the run id naming the pull
request: `pull-request:OWNER/NAME#N`). The holder's latest saved plan is key `plan` (kept compressed, with the head
and base commits it was made from and its digest), and key `applied` says which plan `kplan ci apply` applied.
Released when the pull request is merged or closed: the holder marked released, then the topic deleted.

In the cluster, beside the stack's ownership record, journal and apply lock, rather than on the forge: it is what
the lock is about (a stack on that cluster, whichever repository or forge plans it), it is reachable by exactly the
jobs that may change the cluster, and the lock and the plan it guards are one topic: a later plan of the same pull
request replaces the plan, another pull request's plan cannot. Compacted: it lives as long as the pull request.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
from dataclasses import dataclass

from kplan.errors import KplanError
from kplan.state.lock import LockHeld, StackLock
from kplan.state.ownership import RECORD_TOPIC_CONFIG
from kplan.state.records import RECORD_MAX_BYTES, read_compacted, write_record

PR_LOCK_PREFIX = "__kplan_pr."


def plan_digest(text: str) -> str:
    """`sha256:<hex>` of a saved plan's text: what its comment shows and apply checks the kept plan against."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeptPlan:
    """The holder's latest saved plan, and the commits of the pull request it was made from."""

    head: str
    base: str
    text: str  # the saved plan file's text (`kplan plan -out`)

    @property
    def digest(self) -> str:
        return plan_digest(self.text)


@dataclass(frozen=True)
class LockState:
    """What the stack's pull request lock holds: its holder's run id (None: not held), the kept plan, and the digest
    of the plan applied from it (None: not applied)."""

    holder: str | None = None
    plan: KeptPlan | None = None
    applied: str | None = None


class PullRequestLock(StackLock):
    topic_config = {"cleanup.policy": "compact", "max.message.bytes": str(RECORD_MAX_BYTES), **RECORD_TOPIC_CONFIG}
    what = "pull request lock"

    def __init__(self, admin, producer, consumer_conf, stack: str, broker_count: int, timeout_s: float):
        super().__init__(admin, producer, consumer_conf, stack, broker_count, timeout_s)
        self.topic = PR_LOCK_PREFIX + stack

    def claim(self, run_id: str) -> str:
        """Take the lock for the pull request `run_id`, or find it already its own: `run_id`; or the run id of the
        pull request that holds it."""
        try:
            self.acquire(run_id)
        except LockHeld as e:
            if e.holder is None:
                raise KplanError(f"stack {self.stack!r}: {self.topic} is there but names no holder; "
                                 "`kplan ci release --stack` on the stack removes it") from None
            return e.holder.run_id
        return run_id

    def state(self) -> LockState:
        """What the lock holds now (one read of its topic; nothing when the topic is not there)."""
        if not self.exists():
            return LockState()
        records = read_compacted(self.consumer_conf, self.topic, self.timeout_s)
        holder, plan, applied = (json.loads(value) if (value := records.get(key)) else None
                                 for key in (b"holder", b"plan", b"applied"))
        if holder is None or holder.get("released"):
            return LockState()
        kept = KeptPlan(plan["head"], plan["base"], _unpack(plan["plan"])) if plan else None
        return LockState(str(holder.get("run_id", "")), kept, applied.get("digest") if applied else None)

    def keep(self, plan: KeptPlan) -> None:
        """Keep the holder's plan (replacing the one before, and forgetting that one was applied)."""
        doc = {"head": plan.head, "base": plan.base, "digest": plan.digest, "plan": _pack(plan.text),
               "at": _now()}
        self._write(b"plan", json.dumps(doc).encode(), "the pull request's saved plan")
        self._write(b"applied", None, "the pull request's applied mark")

    def mark_applied(self, digest: str) -> None:
        self._write(b"applied", json.dumps({"digest": digest, "at": _now()}).encode(),
                    "the pull request's applied mark")

    def _write(self, key: bytes, value: bytes | None, what: str) -> None:
        write_record(self.producer, self.topic, key, value, self.timeout_s, what)


def _pack(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


def _unpack(packed: str) -> str:
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
