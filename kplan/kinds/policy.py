"""A kind's part of a stack's policy (`PolicyPart`, named by its unit's `policy_ref`): the rules it checks on each
of its declared resources and the owner totals that sum its section. kplan.policy.check composes the parts and
names no kind. Beside it, what more than one kind's checks share: a name's pattern and prefixes, required and
forbidden config keys, and how a message says a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Protocol, Union

from kplan.kinds.shape import Unit
from kplan.model.policy import Rule, RuleType, regex
from kplan.model.source import Origin

# A violation as a check finds it: (attribute path, what is wrong, origin to point at or None for the resource's)
Finding = tuple[tuple[str, ...], str, Union[Origin, None]]


class Checked(Protocol):
    """A declared resource a policy rule checks: its name and, for the config rules, its config."""

    @property
    def name(self) -> str: ...

    @property
    def origin(self) -> Origin | None: ...

    @property
    def config(self) -> Mapping[str, str]: ...

    @property
    def config_origins(self) -> Mapping[str, Origin]: ...


# (the rule, one declared resource of the kind's, the stack's environment) -> its violations
Check = Callable[[Rule, Any, Union[str, None]], Iterator[Finding]]


@dataclass(frozen=True)
class PolicyPart:
    """What of a stack's policy is a kind's: the rule types it checks on each of its section's declared resources
    (selected by the rule's include/exclude), the owner-total rule types that sum over its section, and the keys
    such a total may sum, each in its unit (owner-max-quota's `quota`: the stack and policy schemas' enum too)."""

    checks: Mapping[RuleType, Check]
    owner_totals: frozenset[RuleType] = field(default_factory=frozenset)
    summed: Mapping[str, Unit] = field(default_factory=dict)


def name_pattern(rule: Rule, r: Checked, env: str | None) -> Iterator[Finding]:
    assert rule.pattern is not None
    if not regex(rule.pattern).fullmatch(r.name):
        yield (), f'the name does not match the pattern "{rule.pattern}"', None


def forbidden_prefixes(rule: Rule, r: Checked, env: str | None) -> Iterator[Finding]:
    for prefix in rule.prefixes:
        if r.name.startswith(prefix):
            yield (), f'the name starts with the forbidden prefix "{prefix}"', None
            return


def required_config(rule: Rule, r: Checked, env: str | None) -> Iterator[Finding]:
    """Each of the rule's keys is set (to one of its values, when it lists some)."""
    for key, allowed in rule.keys.items():
        value = r.config.get(key)
        if value is None:
            also = f" (to {one_of(allowed)})" if allowed else ""
            yield ("config", key), f"{key} is not set; the policy requires it{also}", None
        elif allowed and value not in allowed:
            yield ("config", key), f"{key} is {_shown(r, key, value)}, not {one_of(allowed)}", r.config_origins.get(key)


def forbidden_config(rule: Rule, r: Checked, env: str | None) -> Iterator[Finding]:
    """None of the rule's keys is set (to one of its values, when it lists some)."""
    for key, forbidden in rule.keys.items():
        value = r.config.get(key)
        if value is None:
            continue
        if not forbidden:
            yield ("config", key), f"{key} is set; the policy forbids setting it", r.config_origins.get(key)
        elif value in forbidden:
            yield (("config", key), f"{key} is {_shown(r, key, value)}, a value the policy forbids",
                   r.config_origins.get(key))


def not_on_the_stack(rule: Rule, r: Checked, env: str | None) -> Iterator[Finding]:
    return iter(())  # a rule checked on the plan, not on the stack (e.g. topic-consumed-deletion, kinds.consumer_guard)


def _shown(r: Checked, key: str, value: str) -> str:
    """The value for a message, unless the resource holds it as a secret (a connector's `sensitive_keys`; a topic
    has none): then only that it is set."""
    return "set (a secret, not shown)" if key in getattr(r, "sensitive_keys", ()) else f'"{value}"'


def one_of(values: tuple[str, ...]) -> str:
    quoted = [f'"{v}"' for v in values]
    return quoted[0] if len(quoted) == 1 else "one of " + ", ".join(quoted)


def in_environment(env: str | None) -> str:
    return f" in environment {env}" if env else ""


def int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
