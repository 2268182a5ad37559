"""A reset request's stack entry (`offsets: {request, reset, topics}`) as the kinds' section parsers read it. Pure.

The JSON Schema checks the shape; here what it cannot say: a token, a reset that is one of the forms (a datetime
with its time zone), each partition once, each topic once. `forms` is the kind's list of its reset forms, for the
messages.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, TypeVar

from kplan.kinds.resets.model import AGO, AT_TIME, EARLIEST, LATEST, OFFSETS, POSITIONS, GroupReset, Position
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.rules.units import UnitError, looks_like_duration, parse_duration_ms

T = TypeVar("T")

# A kind's own form of a mapping `reset:` (a consumer group's failover): (the value, the declared topics) -> the
# reset, or None once it reported why not
OtherForm = Callable[[dict[str, Any], Any], "GroupReset | None"]


def build_requests(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics, noun: str, again: str,
                   entry: Callable[[str, dict[str, Any], Loc, SourceMap, Diagnostics], T | None]) -> tuple[T, ...]:
    """A section's requests, by name: each entry built by `entry`, a name declared again refused (`noun`: "consumer
    group"; `again`: what to do instead)."""
    seen: dict[str, Loc] = {}
    out: list[tuple[str, T]] = []
    for item, loc in entries:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue  # the schema reported it
        name = item["name"]
        if diags.declared_again(seen, name, loc, f"{noun} {name!r}", again):
            continue
        spec = entry(name, item, loc, smap, diags)
        if spec is not None:
            out.append((name, spec))
    return tuple(spec for _, spec in sorted(out, key=lambda x: x[0]))


def token(raw: Any) -> str | None:
    """A declared request token (a string or a number), or None when it is not one."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)) or not str(raw).strip():
        return None
    return str(raw).strip()


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def timestamp_ms(value: Any, forms: str) -> int:
    """An ISO datetime (a string, or the datetime YAML made of it) -> epoch milliseconds. Raises UnitError."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise UnitError(f"reset: {value.isoformat()} is a date without a time: write e.g. "
                        f"{value.isoformat()}T00:00:00Z")
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UnitError(f"reset: {text!r} is not one of: {forms}") from None
    if moment.tzinfo is None:
        raise UnitError(f"reset: the datetime {moment.isoformat()} has no time zone: add one (Z for UTC, or "
                        "+02:00)")
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


def reset_of(raw: Any, forms: str) -> GroupReset:
    """A declared `reset:` value (without topics) -> the reset it means. Raises UnitError (the message says why)."""
    if isinstance(raw, (datetime, date)):
        return GroupReset(AT_TIME, raw.isoformat(), timestamp_ms=timestamp_ms(raw, forms))
    if not isinstance(raw, str) or not raw.strip():
        raise UnitError(f"reset must be one of: {forms}")
    text = raw.strip()
    if text.lower() in (EARLIEST, LATEST):
        return GroupReset(text.lower(), text.lower())
    if looks_like_duration(text):
        ago = parse_duration_ms(text)
        if ago <= 0:
            raise UnitError(f"reset: {text} ago is now: write latest, or a longer duration")
        return GroupReset(AGO, text, ago_ms=ago)
    return GroupReset(AT_TIME, text, timestamp_ms=timestamp_ms(text, forms))


def request_token(what: str, raw: dict[str, Any], rloc: Loc, smap: SourceMap, diags: Diagnostics, example: str,
                  more: str) -> str | None:
    """The request's token, or None once it reported why not (`example`: a token; `more`: what a new one asks)."""
    request = token(raw.get("request"))
    if request is None:
        diags.error(smap.value_loc(raw, "request") or rloc,
                    f"{what}: request must be a non-empty token (e.g. \"{example}\"): a new token asks for one "
                    f"more {more}")
    return request


def reset_request(what: str, raw: dict[str, Any], rloc: Loc, smap: SourceMap, diags: Diagnostics, forms: str,
                  other: OtherForm | None = None) -> GroupReset | None:
    """The reset an `offsets:` request declares (`reset`, `topics`), or None once it (or the schema) reported why
    not. `other`: the kind's own form of a mapping `reset:`, if it has one (else the mapping is not a reset)."""
    if "reset" not in raw:
        diags.error(rloc, f"{what}: {OFFSETS} needs reset: {forms}")
        return None
    topics = raw.get("topics")
    if topics is not None and (not isinstance(topics, list) or not all(isinstance(t, str) for t in topics)):
        return None  # the schema reported it
    value, vloc = raw["reset"], smap.value_loc(raw, "reset") or rloc
    if isinstance(value, dict) and other is not None:
        return other(value, topics)
    if isinstance(value, list):
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc,
                        f"{what}: explicit positions name their topics: remove topics, or reset to a named position")
            return None
        found = parse_positions(what, value, rloc, smap, diags)
        return None if found is None else GroupReset(POSITIONS, OFFSETS, positions=found)
    try:
        reset = reset_of(value, forms)
    except UnitError as e:
        diags.error(vloc, f"{what}: {e}")
        return None
    if topics is not None and len(set(topics)) != len(topics):
        diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: {OFFSETS}.topics names a topic twice")
        return None
    return GroupReset(reset.to, reset.text, reset.timestamp_ms, reset.ago_ms, topics=tuple(sorted(topics or ())))


def parse_positions(what: str, items: list[Any], loc: Loc, smap: SourceMap, diags: Diagnostics
                    ) -> tuple[Position, ...] | None:
    """Explicit positions ([{topic, partition, offset}], each partition once), sorted; None once it said why not."""
    out: dict[tuple[str, int], int] = {}
    if not items:
        diags.error(loc, f"{what}: reset: [] names no position")
        return None
    for item in items:
        iloc = (smap.loc(item) if isinstance(item, dict) else None) or loc
        if not isinstance(item, dict):
            return None  # the schema reported it
        topic, p, o = item.get("topic"), _whole(item.get("partition")), _whole(item.get("offset"))
        if not isinstance(topic, str) or p is None or o is None:
            diags.error(iloc, f"{what}: a position is {{topic: <name>, partition: <number from 0>, offset: <number "
                              "from 0>}}")
            return None
        if (topic, p) in out:
            diags.error(iloc, f"{what}: reset names partition {topic}/{p} twice")
            return None
        out[(topic, p)] = o
    return tuple((t, p, o) for (t, p), o in sorted(out.items()))


def rendered_reset(r: GroupReset) -> Any:
    """A declared reset as `kplan render` shows it: its positions, or its text (a kind renders its own forms)."""
    return [{"topic": t, "partition": p, "offset": o} for t, p, o in r.positions] if r.to == POSITIONS else r.text
