"""The `consumer_groups` section: one entry per group, with one request (applied once per token). Pure.

    consumer_groups:
      - name: orders-app                       # the group id
        offsets:
          request: 2026-11-23-replay           # a new token asks for one more reset
          reset: earliest                      # latest | 2026-11-23T08:00:00Z | 2h (that long ago) |
                                               #   [{topic: orders, partition: 0, offset: 42}, ...]
          topics: [orders]                     # optional: the topics to move (default: every topic the group
                                               #   has committed offsets on); not with explicit positions
      - name: billing                          # a failover, on the mirror's target cluster:
        cluster: dr
        offsets:
          request: failover-1
          reset: {mirror: orders-dr}           #   the offsets mirror orders-dr translated (its checkpoints)
      - name: retired-app
        delete: {request: 2026-11-23-retire}   # deletes the group (Kafka refuses while it has members)

The JSON Schema checks the shape; here what it cannot say: exactly one of offsets/delete, a token, a reset that is
one of the forms (a datetime with its time zone), each partition once, a group declared once.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from kplan.kinds.consumer_group.model import (
    AGO,
    AT_TIME,
    EARLIEST,
    LATEST,
    MIRRORED,
    POSITIONS,
    GroupReset,
    GroupSpec,
    Position,
)
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import UnitError, looks_like_duration, parse_duration_ms

FORMS = ("earliest, latest, an ISO datetime with its time zone (2026-11-23T08:00:00Z), a duration ago (2h, 30m, "
         "7d), a list of {topic, partition, offset} or {mirror: <name>} (the offsets a mirror translated)")


def _token(raw: Any) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)) or not str(raw).strip():
        return None
    return str(raw).strip()


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def timestamp_ms(value: Any) -> int:
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
            raise UnitError(f"reset: {text!r} is not one of: {FORMS}") from None
    if moment.tzinfo is None:
        raise UnitError(f"reset: the datetime {moment.isoformat()} has no time zone: add one (Z for UTC, or "
                        "+02:00)")
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


def reset_of(raw: Any) -> GroupReset:
    """A declared `reset:` value (without topics) -> the reset it means. Raises UnitError (the message says why)."""
    if isinstance(raw, (datetime, date)):
        return GroupReset(AT_TIME, raw.isoformat(), timestamp_ms=timestamp_ms(raw))
    if not isinstance(raw, str) or not raw.strip():
        raise UnitError(f"reset must be one of: {FORMS}")
    text = raw.strip()
    if text.lower() in (EARLIEST, LATEST):
        return GroupReset(text.lower(), text.lower())
    if looks_like_duration(text):
        ago = parse_duration_ms(text)
        if ago <= 0:
            raise UnitError(f"reset: {text} ago is now: write latest, or a longer duration")
        return GroupReset(AGO, text, ago_ms=ago)
    return GroupReset(AT_TIME, text, timestamp_ms=timestamp_ms(text))


def build_groups(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[GroupSpec, ...]:
    seen: dict[str, Loc] = {}
    out: list[GroupSpec] = []
    for item, loc in entries:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue  # the schema reported it
        name = item["name"]
        if diags.declared_again(seen, name, loc, f"consumer group {name!r}",
                                "declare each group once, with one request"):
            continue
        spec = _entry(name, item, loc, smap, diags)
        if spec is not None:
            out.append(spec)
    return tuple(sorted(out, key=lambda g: g.name))


def _entry(name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> GroupSpec | None:
    what = f"consumer group {name!r}"
    offsets, delete = item.get("offsets"), item.get("delete")
    if (offsets is None) == (delete is None):
        diags.error(loc, f"{what}: give exactly one request: offsets: {{request, reset, topics}} (move its committed "
                         "offsets) or delete: {request} (delete the group)")
        return None
    raw = offsets if offsets is not None else delete
    if not isinstance(raw, dict):
        return None  # the schema reported it
    rloc = smap.loc(raw) or loc
    request = _token(raw.get("request"))
    if request is None:
        diags.error(smap.value_loc(raw, "request") or rloc,
                    f"{what}: request must be a non-empty token (e.g. \"2026-11-23-replay\"): a new token asks for "
                    "one more change")
        return None
    origin = to_origin(loc)
    if delete is not None:
        return GroupSpec(name, request, delete=True, origin=origin)
    if "reset" not in raw:
        diags.error(rloc, f"{what}: offsets needs reset: {FORMS}")
        return None
    topics = raw.get("topics")
    if topics is not None and (not isinstance(topics, list) or not all(isinstance(t, str) for t in topics)):
        return None  # the schema reported it
    value = raw["reset"]
    if isinstance(value, dict):
        mirror = value.get("mirror")
        if not isinstance(mirror, str) or not mirror.strip() or set(value) != {"mirror"}:
            diags.error(smap.value_loc(raw, "reset") or rloc, f"{what}: reset: {{mirror: <name>}} names a mirror of "
                        "`mirrors:` (a failover to its target: the offsets it translated)")
            return None
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: a failover moves the group on every replica "
                        "the mirror translated offsets for: remove topics")
            return None
        return GroupSpec(name, request, GroupReset(MIRRORED, f"mirror {mirror.strip()}", mirror=mirror.strip()),
                         origin=origin)
    if isinstance(value, list):
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc,
                        f"{what}: explicit positions name their topics: remove topics, or reset to a named position")
            return None
        positions = _positions(what, value, rloc, smap, diags)
        if positions is None:
            return None
        return GroupSpec(name, request, GroupReset(POSITIONS, "offsets", positions=positions), origin=origin)
    try:
        reset = reset_of(value)
    except UnitError as e:
        diags.error(smap.value_loc(raw, "reset") or rloc, f"{what}: {e}")
        return None
    if topics is not None and len(set(topics)) != len(topics):
        diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: offsets.topics names a topic twice")
        return None
    return GroupSpec(name, request, GroupReset(reset.to, reset.text, reset.timestamp_ms, reset.ago_ms,
                                               topics=tuple(sorted(topics or ()))), origin=origin)


def _positions(what: str, items: list[Any], loc: Loc, smap: SourceMap, diags: Diagnostics
               ) -> tuple[Position, ...] | None:
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


def rendered(g: GroupSpec) -> dict[str, Any]:
    """A declared group request as `kplan render` shows it."""
    out: dict[str, Any] = {"name": g.name, "request": g.request, "origin": origin_data(g.origin)}
    if g.delete:
        out["delete"] = True
    elif g.reset is not None:
        out["reset"] = ([{"topic": t, "partition": p, "offset": o} for t, p, o in g.reset.positions]
                        if g.reset.to == POSITIONS else {"mirror": g.reset.mirror} if g.reset.to == MIRRORED
                        else g.reset.text)
        out["topics"] = list(g.reset.topics)
    return out


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"consumer group {name!r}" if isinstance(name, str) else "consumer group"
