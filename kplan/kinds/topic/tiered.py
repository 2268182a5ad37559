"""Tiered storage (KIP-405) on an existing topic: which changes of its remote-storage keys are one-way.

The broker itself refuses what cannot be done (kplan's plan-time validation asks it: tiered storage off on the
brokers, turning it off without `remote.log.delete.on.disable=true`, `remote.log.copy.disable=true` with
`local.retention.ms` different from `retention.ms`), so the plan fails on those with the broker's words. What the
broker accepts but cannot take back (KIP-950) is for the plan to say, and for apply to run last:
- turning it ON: once segments are copied and the local copies past `local.retention.*` are deleted, the only way
  back is turning it off with `remote.log.delete.on.disable=true`, which deletes the remote segments. A rollback
  therefore leaves it on;
- turning it OFF (with `remote.log.delete.on.disable=true`): the remote segments are deleted, and with them every
  record the brokers no longer keep locally. DATA LOSS; refused on a protected topic.
Stopping the copy (`remote.log.copy.disable=true`) keeps the remote segments readable and is undone by setting it
back: an ordinary config change.
"""

from __future__ import annotations

from enum import Enum
from typing import Mapping

ENABLE = "remote.storage.enable"
DELETE_ON_DISABLE = "remote.log.delete.on.disable"
COPY_DISABLE = "remote.log.copy.disable"
ONE_WAY_KEYS = frozenset({ENABLE, DELETE_ON_DISABLE})  # what the one-way step sets (kplan.kinds.topic.steps)


class Transition(str, Enum):
    ENABLE = "enable"  # remote.storage.enable false -> true on an existing topic
    DISABLE = "disable"  # true -> false: its remote segments are deleted


def _on(value: object) -> bool:
    return str(value).strip().lower() == "true"


def transition(effective_before: Mapping[str, str | None], after_overrides: Mapping[str, str]) -> Transition | None:
    """The one-way change of `remote.storage.enable` a config change makes on an existing topic, if any. The value
    after is the override apply leaves, else the broker's default (off: it is a topic-only key)."""
    before = _on(effective_before.get(ENABLE))
    after = _on(after_overrides.get(ENABLE, "false"))
    if before == after:
        return None
    return Transition.ENABLE if after else Transition.DISABLE


def warning_text(name: str, t: Transition) -> str:
    if t is Transition.ENABLE:
        return (f"turning tiered storage on for topic {name!r} cannot be undone by kplan: once its segments are "
                f"copied to remote storage (and local copies past local.retention.* deleted), turning it off again "
                f"deletes them from remote storage (KIP-950). It runs after every reversible change; a rollback "
                f"leaves it on")
    return (f"DATA LOSS: turning tiered storage off for topic {name!r} deletes its remote segments: every record the "
            f"brokers no longer keep locally (past local.retention.*) is lost, and a rollback cannot bring it back. "
            f"To stop copying but keep them readable, set {COPY_DISABLE}: true instead")
