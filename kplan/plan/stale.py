"""What moved since a saved plan was made, in words, for apply's refusal of a stale plan
(kplan.session.run.check_saved_plan): the resource, the attribute, its value when planned and now.

Named from what apply holds anyway — the saved plan (the documents its fingerprints were taken of,
`Plan.fingerprinted`, and the values it shows), the fresh plan and the live state that plan was made of — never
from a new read. A secret (kplan.secrets decides) is named, never shown.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.kinds import kind_of, rebalancing
from kplan.model.live import LiveState
from kplan.model.plan import ABSENT, Path, Plan, path_label, split_address
from kplan.plan.fingerprint import live_documents, what_changes
from kplan.rules.display import show
from kplan.secrets import MASK, is_sensitive_key, scrub_doc

SHOWN = 10  # differences one refusal names; the others are counted
WIDTH = 60  # characters of one value shown; a longer one is cut


def said(items: Sequence[str]) -> str:
    """`a; b; c`: at most SHOWN of them, then how many more."""
    more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return "; ".join(items[:SHOWN]) + more


def live_moved(saved: Plan, live: LiveState, addresses: Sequence[str],
               sensitive: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """For each address whose live resource changed since the plan (kplan.plan.fingerprint.stale_addresses), what
    changed in the document its fingerprint is taken of: `topic.a partitions: 3 when planned, 6 now`, `topic.b:
    absent when planned, present now`. A plan saved without its documents (one an older kplan saved) names the
    resource only. `sensitive` as for the fingerprints."""
    now = live_documents(live, [a for a in addresses if a != "cluster"], sensitive)
    out = []
    for address in addresses:
        if address == "cluster":
            out.append(f"cluster: {saved.cluster_id} when planned, {live.cluster_id} now")
        elif saved.fingerprints.get(address) == ABSENT:
            out.append(f"{address}: absent when planned, present now")
        elif now[address] is None:
            kind, name = split_address(address)
            path, was, is_ = kind_of(kind).gone(name, saved.fingerprinted.get(address), live)
            out.append(f"{address}{' ' + path_label(path) if path else ''}: {was} when planned, {is_} now")
        else:
            then = saved.fingerprinted.get(address)
            moved = differences(then, scrub_doc(now[address])) if then is not None else []
            out += [f"{address} {d}" for d in moved] or [f"{address}: changed"]
    return out


def differences(then: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Each value that differs between two documents of one resource: `config["retention.ms"]: 1000 when planned,
    2000 now`; an item of a list is present or absent; a secret is set or unset, never shown."""
    was, is_ = _flat(then), _flat(now)
    out = []
    for path in sorted(was.keys() | is_.keys()):
        a, b = was.get(path, _NONE), is_.get(path, _NONE)
        if a == b:
            continue
        if _ITEM in (a, b):
            out.append(_moved(path, "present" if a is _ITEM else "absent", "present" if b is _ITEM else "absent"))
        elif _secret(path, a, b):
            now_said = "changed" if _NONE not in (a, b) else "unset" if b is _NONE else "set"
            out.append(_moved(path, "unset" if a is _NONE else "set", now_said, secret=True))
        else:
            out.append(_moved(path, _value(path, a), _value(path, b)))
    return out


def plan_moved(saved: Plan, fresh: Plan, live: LiveState) -> list[str]:
    """Each value the saved plan shows (`what_changes`: what its reviewer approved) that the fresh one shows
    otherwise: `topic.a config["retention.ms"]: 1000 -> 2000 when planned, 1000 -> 3000 now` (a ${VAR} resolved
    differently), `topic.b partition 0 leader: 2 when planned, 1 now` (from the kind's rebalance part), a change
    that came or went. A side a plan does not change is `no change`, with the value when that plan shows it."""
    then, now = _shown(saved), _shown(fresh)
    befores = [{c.address: c.before for c in p.changes} for p in (saved, fresh)]
    out = []
    for address in [*then, *(a for a in now if a not in then)]:
        if then.get(address) != now.get(address):
            out += [f"{address}{d}" for d in _change_moved(address, then.get(address), now.get(address),
                                                            [b.get(address) for b in befores], live)]
    return out


_Shown = tuple[tuple[str, ...], tuple[str, ...], dict[Path, tuple[str, Any, Any]]]


def _shown(plan: Plan) -> dict[str, _Shown]:
    """address -> (actions, flags, path -> (kind, before, after)) of what_changes."""
    return {address: (actions, flags, {path: (kind, before, after) for path, kind, before, after, _ in attrs})
            for address, actions, flags, attrs in what_changes(plan)}


def _change_moved(address: str, then: _Shown | None, now: _Shown | None, befores: list[Any],
                  live: LiveState) -> list[str]:
    """The differences of one resource's change, each to follow its address."""
    out = []
    acts = [", ".join(s[0]) if s is not None else "no change" for s in (then, now)]
    if acts[0] != acts[1]:
        out.append(f": {acts[0]} when planned, {acts[1]} now")
    if then is not None and now is not None and then[1] != now[1]:
        out.append(f" flags: {', '.join(then[1]) or 'none'} when planned, {', '.join(now[1]) or 'none'} now")
    was, is_ = (then[2] if then is not None else {}), (now[2] if now is not None else {})
    kind, name = split_address(address)
    for path in [*was, *(p for p in is_ if p not in was)]:
        a, b = was.get(path), is_.get(path)
        if a == b:
            continue
        told = rebalancing().moved(kind, name, path, a and a[1], b and b[1], live)
        if told:
            out += [f" {t}" for t in told]
        elif _secret(path, *(a or ())[1:], *(b or ())[1:]):
            out.append(" " + _moved(path, "changed" if a else "no change", "changed" if b else "no change",
                                    secret=True))
        else:
            out.append(" " + _moved(path, _side(path, a, befores[0]), _side(path, b, befores[1])))
    return out


def _side(path: Path, attr: tuple[str, Any, Any] | None, before: Any) -> str:
    """One plan's side of an attribute that is no secret: `before -> after`, `value (left alone)`, or `no change`
    (with the value the plan's `before` shows, if any)."""
    if attr is None:
        value = _at(before, path)
        return "no change" if value is _NONE or _secret(path, value) else f"{_value(path, value)} (no change)"
    kind, was, will = attr
    if kind == "drift":
        return f"{_value(path, was)} (left alone)"
    return f"{_value(path, was)} -> {_value(path, will)}"


def _moved(path: Path, then: str, now: str, secret: bool = False) -> str:
    return f"{path_label(path)}{' (a secret: not shown)' if secret else ''}: {then} when planned, {now} now"


_NONE = object()  # no such value
_ITEM = object()  # a list's item (present)


def _flat(doc: Any, path: Path = ()) -> dict[Path, Any]:
    """path -> value of every leaf of a document; each item of a list its own path (`_ITEM`)."""
    if isinstance(doc, Mapping):
        return {p: v for k, v in doc.items() for p, v in _flat(v, (*path, str(k))).items()}
    if isinstance(doc, (list, tuple)) and path:
        return {(*path, _item(x)): _ITEM for x in doc}
    return {path: doc} if doc is not None else {}


def _item(x: Any) -> str:
    return " ".join(map(str, x)) if isinstance(x, (list, tuple)) else str(x)


def _at(doc: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(doc, Mapping) or key not in doc:
            return _NONE
        doc = doc[key]
    return doc


def _secret(path: Path, *values: Any) -> bool:
    """A value not to show: masked, or under a key kplan.secrets counts as a secret's."""
    return MASK in values or (bool(path) and is_sensitive_key(path[-1]))


def _value(path: Path, value: Any) -> str:
    """A value that is no secret as the refusal shows it: `unset`, or as plans show it, cut to WIDTH."""
    if value is None or value is _NONE:
        return "unset"
    text = show(path[-1] if path else "", value)
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."
