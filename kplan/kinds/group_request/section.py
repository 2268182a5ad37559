"""The `consumer_groups` and `share_groups` sections: one entry per group, with one request (applied once per token).
Pure.

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
    share_groups:
      - name: invoice-jobs                     # the share group's id (its consumers' group.id)
        offsets: {request: 2026-11-26-replay, reset: earliest, topics: [invoices]}   # a consumer group's forms

A share group's request has a consumer group's reset forms but for a failover (`{mirror: <name>}`), which translates
committed offsets only (the schema refuses it), and no delete. The JSON Schema checks the shape; here what it cannot
say: exactly one of offsets/delete, a token, a reset that is one of the forms (a datetime with its time zone), each
partition once, each topic once, a group declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from kplan.kinds.group_request import model
from kplan.kinds.group_request.model import (
    AGO,
    AT_TIME,
    EARLIEST,
    LATEST,
    MIRRORED,
    OFFSETS,
    POSITIONS,
    GroupReset,
    GroupSpec,
    Position,
    Terms,
    items,
)
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import UnitError, looks_like_duration, parse_duration_ms


@dataclass(frozen=True)
class Section:
    """A group-request kind's section, in its words (`terms`)."""

    terms: Terms

    def build(self, entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[GroupSpec, ...]:
        """The section's requests, by name; a name declared again refused."""
        specs = (self.entry(name, item, loc, smap, diags) for item, loc, name in diags.named_entries(
            entries, "name", f"{self.terms.noun} {{!r}}", f"declare each {self.terms.short} once, with one request"))
        return tuple(sorted((spec for spec in specs if spec is not None), key=lambda spec: spec.name))

    def entry(self, name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics
              ) -> GroupSpec | None:
        t, what = self.terms, f"{self.terms.noun} {name!r}"
        offsets, delete = item.get(OFFSETS), item.get("delete") if t.deletes else None
        if (offsets is None) == (delete is None):
            diags.error(loc, f"{what}: {t.missing}")
            return None
        raw = offsets if offsets is not None else delete
        if not isinstance(raw, dict):
            return None  # the schema reported it
        rloc = smap.loc(raw) or loc
        request = token(raw.get("request"))
        if request is None:
            diags.error(smap.value_loc(raw, "request") or rloc,
                        f"{what}: request must be a non-empty token (e.g. \"{t.example}\"): a new token asks for one "
                        f"more {t.more}")
            return None
        if delete is not None:
            return GroupSpec(name, request, delete=True, origin=to_origin(loc))
        # a mapping is a consumer group's failover: for a share group, none of the forms (the schema refused it)
        reset = reset_request(what, raw, rloc, smap, diags, t.forms, failover=t.deletes)
        return None if reset is None else GroupSpec(name, request, reset, origin=to_origin(loc))

    @property
    def entry_word(self) -> Callable[[object], str]:
        """An entry as the loader's messages name it."""
        return entry_words("name", self.terms.noun)


CONSUMER, SHARE = Section(model.CONSUMER), Section(model.SHARE)


def rendered(g: GroupSpec) -> dict[str, Any]:
    """A declared group request as `kplan render` shows it."""
    out: dict[str, Any] = {"name": g.name, "request": g.request, "origin": origin_data(g.origin)}
    if g.delete:
        out["delete"] = True
    elif g.reset is not None:
        r = g.reset
        out["reset"] = {"mirror": r.mirror} if r.to == MIRRORED else items(r.positions) if r.to == POSITIONS else r.text
        out["topics"] = list(r.topics)
    return out


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


def reset_request(what: str, raw: dict[str, Any], rloc: Loc, smap: SourceMap, diags: Diagnostics, forms: str,
                  failover: bool = False) -> GroupReset | None:
    """The reset an `offsets:` request declares (`reset`, `topics`), or None once it (or the schema) reported why
    not. `failover`: a mapping `reset:` is a failover (a consumer group's; else the mapping is not a reset)."""
    if "reset" not in raw:
        diags.error(rloc, f"{what}: {OFFSETS} needs reset: {forms}")
        return None
    topics = raw.get("topics")
    if topics is not None and (not isinstance(topics, list) or not all(isinstance(t, str) for t in topics)):
        return None  # the schema reported it
    value, vloc = raw["reset"], smap.value_loc(raw, "reset") or rloc
    if isinstance(value, dict) and failover:
        mirror = value.get("mirror")
        if not isinstance(mirror, str) or not mirror.strip() or set(value) != {"mirror"}:
            diags.error(vloc, f"{what}: reset: {{mirror: <name>}} names a mirror of `mirrors:` (a failover to its "
                        "target: the offsets it translated)")
            return None
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: a failover moves the group on every replica "
                        "the mirror translated offsets for: remove topics")
            return None
        return GroupReset(MIRRORED, f"mirror {mirror.strip()}", mirror=mirror.strip())
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


def parse_positions(what: str, given: list[Any], loc: Loc, smap: SourceMap, diags: Diagnostics
                    ) -> tuple[Position, ...] | None:
    """Explicit positions ([{topic, partition, offset}], each partition once), sorted; None once it said why not."""
    out: dict[tuple[str, int], int] = {}
    if not given:
        diags.error(loc, f"{what}: reset: [] names no position")
        return None
    for item in given:
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
