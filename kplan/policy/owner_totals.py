"""Team totals: policy rules over each owner's sums (docs/policy.md, "Owner totals"), and the per-owner totals
the plan and `kplan status` show. Pure: over what the expanded stack declares (CDC-generated topics counted to
their source's owner), so `kplan validate` and `kplan plan` need no cluster.

An owner is a resource's `owner` (its own, its cdc source's, or `defaults.owner`); the resources without one form
one more group, "(no owner)", which a rule without `owners:` holds for (its `max`): taking an owner off must not
take a resource out of every budget. A stack of several clusters is totalled per cluster (a limit is a cluster's
capacity). Totals are this stack's: another stack's resources of the same owner are not seen.

A violation is ONE diagnostic per owner and rule, located at the owner's largest contributor (for a topic count,
the first topic past the limit; for retention bytes, the first topic without a size bound): that line is in the
stack under review, where the fix is made; the message names the owner, the total, the limit, the largest
contributors with their file:line, and the rule with its own file:line. The totals are one Info note per owner
(code `owner-totals`), not located: they describe the owner, not a line. Both say whose they are in their `path`,
`("owner", <owner>)` (`("owner",)` for the resources without one), which `kplan plan --owner` selects by
(`of_another_owner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterable, Iterator, Mapping

from kplan.kinds import summed_units
from kplan.kinds.policy import int_or_none
from kplan.model.desired import Stack
from kplan.model.diagnostics import Diagnostic, Severity
from kplan.model.policy import Rule, RuleType
from kplan.model.source import Origin
from kplan.words import plural

NO_OWNER = "(no owner)"
NOTE_CODE = "owner-totals"
OWNER_PATH = "owner"  # the first word of the path of a diagnostic about one owner's totals
SHOWN = 3  # the largest contributors a violation names


@dataclass(frozen=True)
class Part:
    """One resource's share of an owner's total: its address, amount and declaration; a topic without a size bound
    adds nothing to a retention-bytes total and says why in `unbounded`."""

    address: str
    amount: float
    origin: Origin | None
    detail: str = ""  # how the amount is made (`12 × 1GiB`)
    unbounded: str = ""

    def sort_key(self) -> tuple[str, int, int, str]:
        o = self.origin
        return (o.file, o.line, o.column, self.address) if o is not None else ("", 0, 0, self.address)


Owner = str | None
Parts = dict[Owner, list[Part]]


def owner_totals(stack: Stack, rules: Iterable[Rule], sections: Mapping[RuleType, str]) -> list[Diagnostic]:
    """The violations of the owner-total `rules` and one note per owner with its totals (none without such a
    rule); for a stack of several clusters, per cluster. `sections`: the stack section each rule type counts."""
    rules = [r for r in rules if r.type.target == "owner"]
    if not rules:
        return []
    out: list[Diagnostic] = []
    for part in stack.members or (stack,):
        where = (f" on cluster {part.cluster_name}" if stack.members and part.cluster_name else "") + (
            f" in environment {stack.environment}" if stack.environment else "")
        counted = [(rule, _parts(rule, part, sections[rule.type])) for rule in rules]
        for rule, parts in counted:
            for owner in sorted(parts, key=_owner_order):
                if _selected(rule, owner):
                    out += _violation(rule, owner, parts[owner], where)
        out += _notes(counted, where)
    return out


def of_another_owner(d: Diagnostic, owner: str | None) -> bool:
    """Whether `d` is a note or violation about the totals of an owner other than `owner` (None: no owner is
    selected, so none is another's); what `kplan plan --owner` leaves out."""
    ours = (d.code == NOTE_CODE or d.code.startswith("policy:owner-")) and (d.path or ())[:1] == (OWNER_PATH,)
    return owner is not None and ours and d.path != _path(owner)


def _path(owner: Owner) -> tuple[str, ...]:
    return (OWNER_PATH,) if owner is None else (OWNER_PATH, owner)


def _owner_order(owner: Owner) -> tuple[bool, str]:
    return (owner is None, owner or "")


def _who(owner: Owner) -> str:
    return f"owner {owner}" if owner is not None else NO_OWNER


def _selected(rule: Rule, owner: Owner) -> bool:
    """Whether the rule holds for `owner`: every owner (and the resources without one) without `owners:`, else the
    owners its names or * patterns match."""
    if not rule.owners:
        return True
    return owner is not None and any(fnmatchcase(owner, o) for o in rule.owners)


# -- what each rule type counts ------------------------------------------------------------------------------------


def _parts(rule: Rule, stack: Stack, section: str) -> Parts:
    out: Parts = {}
    for spec in stack.of(section):
        if not rule.selects(spec.name):  # `include` / `exclude` select what is counted
            continue
        part = COUNTS[rule.type](rule, spec)
        if part is not None:
            out.setdefault(stack.meta(section, spec.name).owner, []).append(part)
    return out


def _retention_bytes(rule: Rule, t: Any) -> Part | None:
    """retention.bytes × partitions (retention.bytes is per partition); a topic that deletes nothing by size —
    retention.bytes not set (Kafka's default, -1), -1, or compacted only — is unbounded. A CDC schema history is
    left out, as topic-max-retention leaves it: Debezium needs all of it, and kplan keeps it forever."""
    if t.protected_by is not None:
        return None
    address, key = f"topic.{t.name}", "retention.bytes"
    if "delete" not in t.config.get("cleanup.policy", "delete").split(","):
        return Part(address, 0, t.origin, unbounded="compacted only")
    raw = t.config.get(key)
    value = int_or_none(raw) if raw is not None else -1
    if value is None or value < 0:
        why = f"{key} {raw}" if raw is not None else f"{key} not set"
        return Part(address, 0, t.origin, unbounded=why)
    return Part(address, value * t.partitions, t.origin, detail=f"{t.partitions} × {size_text(value)}")


def _quota(rule: Rule, q: Any) -> Part | None:
    """The quota key's value of an entity that sets it (one that does not adds nothing)."""
    value = q.values.get(rule.quota)
    return None if value is None else Part(f"quota.{q.name}", value, q.origin)


COUNTS: dict[RuleType, Callable[[Rule, Any], Part | None]] = {
    RuleType.OWNER_MAX_PARTITIONS: lambda rule, t: Part(f"topic.{t.name}", t.partitions, t.origin),
    RuleType.OWNER_MAX_TOPICS: lambda rule, t: Part(f"topic.{t.name}", 1, t.origin),
    RuleType.OWNER_MAX_RETENTION_BYTES: _retention_bytes,
    RuleType.OWNER_MAX_QUOTA: _quota,
}


# -- violations ----------------------------------------------------------------------------------------------------


def _violation(rule: Rule, owner: Owner, parts: list[Part], where: str) -> Iterator[Diagnostic]:
    limit = rule.limit(owner)
    if limit is None:
        return
    total = _total(parts)
    unbounded = [] if rule.unbounded_allowed else sorted((p for p in parts if p.unbounded), key=Part.sort_key)
    over = total > limit
    if not over and not unbounded:
        return
    if rule.type == RuleType.OWNER_MAX_TOPICS:  # the topics past the limit, in the order they are declared
        named, shown, amounts = "past the limit", sorted(parts, key=Part.sort_key)[limit:], False
    else:
        named, shown, amounts = "the largest", sorted((p for p in parts if not p.unbounded),
                                                      key=lambda p: (-p.amount, p.sort_key())), True
    at = unbounded[0] if unbounded else shown[0]
    limit_text = amount_text(rule, limit, unit=False)
    problem = f"{_who(owner)}{where} "
    if over:
        problem += f"{_has(rule, total)}, more than the limit of {limit_text}; {named}: {_listed(rule, shown, amounts)}"
    if unbounded:
        problem += "; and it " if over else ""
        problem += (f"has {plural(len(unbounded), 'topic')} without a size bound, which a limit of {limit_text} does "
                    "not allow (set retention.bytes; or `unbounded: allowed` in the rule leaves them out): "
                    + _first(unbounded, lambda p: f"{p.address} ({p.unbounded}, {_at(p.origin)})"))
    yield rule.violation(problem, path=_path(owner), origin=at.origin)


def _total(parts: list[Part]) -> float:
    return sum(p.amount for p in parts if not p.unbounded)


def _has(rule: Rule, total: float) -> str:
    """`has 120 partitions`, `keeps up to 120GiB (retention.bytes × partitions)`, `has producer_byte_rate 60MiB/s
    in total`."""
    if rule.type == RuleType.OWNER_MAX_RETENTION_BYTES:
        return f"keeps up to {size_text(int(total))} (retention.bytes × partitions)"
    return f"has {amount_text(rule, total)}" + (" in total" if rule.type == RuleType.OWNER_MAX_QUOTA else "")


def _listed(rule: Rule, parts: list[Part], amounts: bool = True) -> str:
    """`topic.a 48 (stack.yaml:12), topic.b 24GiB (12 × 2GiB, stack.yaml:15), and 3 more`."""
    def one(p: Part) -> str:
        amount = f" {amount_text(rule, p.amount, unit=False)}" if amounts else ""
        return f"{p.address}{amount} ({p.detail + ', ' if p.detail else ''}{_at(p.origin)})"

    return _first(parts, one)


def _first(parts: list[Part], one: Callable[[Part], str]) -> str:
    """The first SHOWN parts, each as `one` says it, and how many more there are."""
    more = len(parts) - SHOWN
    return ", ".join(one(p) for p in parts[:SHOWN]) + (f", and {more} more" if more > 0 else "")


def _at(origin: Origin | None) -> str:
    """`stack.yaml:12`, with the cdc source that generated it (`stack.yaml:30, cdc source shop-pg`)."""
    if origin is None:
        return "?"
    cdc = f", cdc source {origin.cdc_source}" if origin.cdc_source else ""
    return f"{origin.file}:{origin.line}{cdc}"


# -- the per-owner notes -------------------------------------------------------------------------------------------


def _notes(counted: list[tuple[Rule, Parts]], where: str) -> list[Diagnostic]:
    """One Info line per owner a rule holds for and that has resources a rule counts: each total the owner has
    something in, once (rules that count the same thing share it), with every limit that holds for the owner."""
    owners = {o for rule, parts in counted for o in parts if _selected(rule, o)}
    out = []
    for owner in sorted(owners, key=_owner_order):
        measures: dict[tuple, tuple[Rule, float, int, list[int]]] = {}
        for rule, parts in counted:
            mine = parts.get(owner) if _selected(rule, owner) else None
            if not mine:
                continue
            key = (rule.type, rule.quota, rule.include, rule.exclude)
            first, total, unbounded, limits = measures.get(key, (rule, _total(mine),
                                                                 sum(1 for p in mine if p.unbounded), []))
            limit = rule.limit(owner)
            measures[key] = (first, total, unbounded, limits + ([limit] if limit is not None else []))
        text = ", ".join(_measure_text(*m) for m in measures.values())
        out.append(Diagnostic(Severity.INFO, f"{_who(owner)}{where}: {text}", code=NOTE_CODE, path=_path(owner)))
    return out


def _measure_text(rule: Rule, total: float, unbounded: int, limits: list[int]) -> str:
    """`48 partitions of 100`, `120 partitions of 100 (over)`, `retention bytes 4GiB of 1TiB (+ 1 topic
    unbounded)`."""
    text = amount_text(rule, total)
    if limits:
        text += " of " + " and ".join(amount_text(rule, x, unit=False) for x in sorted(set(limits)))
        if total > min(limits):
            text += " (over)"
    else:
        text += " (no limit)"
    if unbounded:
        text += f" (+ {plural(unbounded, 'topic')} unbounded)"
    if rule.include or rule.exclude:
        text += " [" + ", ".join(w for w in (f"matching {rule.include}" if rule.include else "",
                                            f"not {rule.exclude}" if rule.exclude else "") if w) + "]"
    return text


# -- words ---------------------------------------------------------------------------------------------------------


def amount_text(rule: Rule, amount: float, unit: bool = True) -> str:
    """An amount as the rule counts it: `48 partitions`, `12 topics`, `retention bytes 4GiB`,
    `producer_byte_rate 1MiB/s`, `request_percentage 150%`; without `unit`, the number alone (`48`, `4GiB`)."""
    t = rule.type
    counted = {RuleType.OWNER_MAX_PARTITIONS: "partition", RuleType.OWNER_MAX_TOPICS: "topic"}.get(t)
    if counted is not None:
        return plural(int(amount), counted) if unit else str(int(amount))
    if t == RuleType.OWNER_MAX_RETENTION_BYTES:
        return ("retention bytes " if unit else "") + size_text(int(amount))
    assert rule.quota is not None
    of = summed_units()[rule.quota]
    value = (size_text(int(amount)) if of.sized else f"{amount:g}") + of.sign
    return f"{rule.quota} {value}" if unit else value


_SIZES = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def size_text(n: int) -> str:
    """Exact, in the largest unit that says it with at most two decimals: `4GiB`, `1.5GiB`, `11.25GiB`, `1536B`
    only when nothing else is exact (a total next to its limit must not be rounded onto it)."""
    for unit, size in _SIZES:
        if n >= size and (n * 100) % size == 0:
            return f"{n / size:.2f}".rstrip("0").rstrip(".") + unit
    return f"{n}B"
