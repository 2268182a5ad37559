"""The policy model: rules a platform team sets for every stack (docs/policy.md). Immutable; built by the loader
(`kplan.stackfile.policy`) from a stack's `policy:` section and the policy files it references, checked against
the expanded stack by `kplan.policy.check`.

One `Rule` type with the parameters every rule type may use (`type` says which apply): the loader has already
checked that each rule has exactly the parameters its type takes, with values normalized as Kafka stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping, TypeVar

from kplan.model.diagnostics import Diagnostic, Severity

_V = TypeVar("_V")


class RuleType(str, Enum):
    """Every rule type; its value is what a policy writes as `rule:`."""

    TOPIC_NAME_PATTERN = "topic-name-pattern"
    TOPIC_FORBIDDEN_PREFIXES = "topic-forbidden-prefixes"
    TOPIC_PARTITIONS = "topic-partitions"
    TOPIC_REPLICATION_FACTOR = "topic-replication-factor"
    TOPIC_MIN_INSYNC_REPLICAS = "topic-min-insync-replicas"
    TOPIC_REQUIRED_CONFIG = "topic-required-config"
    TOPIC_FORBIDDEN_CONFIG = "topic-forbidden-config"
    TOPIC_MAX_RETENTION = "topic-max-retention"
    TOPIC_CONSUMED_DELETION = "topic-consumed-deletion"  # checked on the plan, with its consumers (consumer guard)
    CONNECTOR_ALLOWED_CLASSES = "connector-allowed-classes"
    CONNECTOR_FORBIDDEN_CLASSES = "connector-forbidden-classes"
    CONNECTOR_REQUIRED_CONFIG = "connector-required-config"
    CONNECTOR_FORBIDDEN_CONFIG = "connector-forbidden-config"
    # Owners and labels (kplan.model.metadata), on every declared resource of every kind (or of `kinds`)
    REQUIRE_OWNER = "require-owner"
    ALLOWED_OWNERS = "allowed-owners"
    LABEL_PATTERN = "label-pattern"
    REQUIRED_LABELS = "required-labels"
    # Team totals (kplan.policy.owner_totals): a limit on the sum over each owner's declared resources
    OWNER_MAX_PARTITIONS = "owner-max-partitions"
    OWNER_MAX_TOPICS = "owner-max-topics"
    OWNER_MAX_RETENTION_BYTES = "owner-max-retention-bytes"
    OWNER_MAX_QUOTA = "owner-max-quota"

    @property
    def target(self) -> str:
        """`topic`, `connector`, `owner` (a total per owner) or `resource` (every kind's): what the rule is about."""
        head = self.value.split("-", 1)[0]
        return head if head in ("topic", "connector", "owner") else "resource"


class Level(str, Enum):
    """What a violation does: an error fails `validate` and `plan`; a warning is reported only."""

    ERROR = "error"
    WARNING = "warning"


regex = lru_cache(maxsize=256)(re.compile)  # the loader compiled each pattern once already: it is valid


def _empty() -> Mapping[str, _V]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Rule:
    type: RuleType
    source: str  # where the rule is written, "policies/platform.yaml:12": every violation names it
    level: Level = Level.ERROR
    name: str = ""  # the rule's own name, if it has one
    message: str = ""  # the platform team's why / what to do
    include: str | None = None  # regular expression: only resources whose whole name matches
    exclude: str | None = None  # regular expression: not the resources whose whole name matches
    pattern: str | None = None  # topic-name-pattern
    prefixes: tuple[str, ...] = ()  # topic-forbidden-prefixes
    min: int | None = None  # partitions, replication factor, min.insync.replicas
    max: int | None = None  # partitions; retention (milliseconds); an owner total (every owner's limit)
    environments: Mapping[str, int] = field(default_factory=_empty)  # environment -> minimum instead of `min`
    # required/forbidden config: key -> its allowed (required) or forbidden values, normalized; () means any value
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    classes: tuple[str, ...] = ()  # connector classes: full names, aliases or * patterns
    kinds: tuple[str, ...] = ()  # owner and label rules: the stack sections they hold for (() means every one)
    owners: tuple[str, ...] = ()  # allowed-owners, owner totals (the owners it holds for): names or * patterns
    label_keys: tuple[str, ...] = ()  # required-labels
    label_patterns: Mapping[str, str] = field(default_factory=_empty)  # label-pattern: key -> regex of its value
    limits: Mapping[str, int] = field(default_factory=_empty)  # owner totals: owner -> its own limit (over `max`)
    quota: str | None = None  # owner-max-quota: the quota key summed (producer_byte_rate, ...)
    unbounded_allowed: bool = False  # owner-max-retention-bytes: a topic without a size bound is left out, not a fault

    def selects(self, name: str) -> bool:
        """Whether the rule holds for a resource of this name: its whole name matches `include` (when set) and not
        `exclude`."""
        if self.include is not None and not regex(self.include).fullmatch(name):
            return False
        return self.exclude is None or not regex(self.exclude).fullmatch(name)

    def minimum(self, environment: str | None) -> int | None:
        """The minimum that holds in `environment` (the environment's own, else `min`; None: no minimum)."""
        return self.min if environment is None else self.environments.get(environment, self.min)

    def limit(self, owner: str | None) -> int | None:
        """An owner total's limit for `owner` (None: the resources without one): its own in `limits`, else `max`
        (None: no limit)."""
        return self.max if owner is None else self.limits.get(owner, self.max)

    def violation(self, problem: str, generated: str = "", **where: Any) -> Diagnostic:
        """A violation of this rule (an error, or a warning at level warning): `problem`, the platform team's
        message and the rule; `generated`: what generated the resource (`generated by cdc source "pg"; `), `where`:
        its address, path and origin."""
        severity = Severity.WARNING if self.level == Level.WARNING else Severity.ERROR
        named = f'rule "{self.name}" ({self.type.value})' if self.name else f"rule {self.type.value}"
        return Diagnostic(severity, problem + (f"; {self.message}" if self.message else "")
                          + f" ({generated}policy {named} at {self.source})", code=f"policy:{self.type.value}", **where)


@dataclass(frozen=True)
class Policy:
    """The rules that hold for one stack: its own (`policy.rules`) and those of the policy files it references,
    in the order written (files first)."""

    rules: tuple[Rule, ...] = ()
