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
partition once, each topic once, a group declared once. The sections' keys are their shapes' (`CONSUMER_SHAPE`,
`SHARE_SHAPE`), from which their schema parts follow; what a request means is Kafka's, read here by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from kplan.kinds.shape import (
    BOOLEAN,
    Attr,
    Shape,
    Type,
    either,
    fields_of,
    list_of,
    named,
    nullable,
    read_rows,
    record,
    ref,
    request,
    row,
    text,
    whole,
)
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.offsets import position_number
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import UnitError, moment


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
        read = read_rows((DELETE if delete is not None else RESET[t.type],), raw, rloc, smap, diags, f"{what}: ")
        if read is None or read["request"] is None:
            return None
        request = read["request"]
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


# Hand code, not its rows: a request is one of offsets/delete, its reset one of several forms read into one spec.
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


def reset_of(raw: Any, forms: str) -> GroupReset:
    """A declared `reset:` value (without topics) -> the reset it means. Raises UnitError (the message says why)."""
    if isinstance(raw, str) and raw.strip().lower() in (EARLIEST, LATEST):
        return GroupReset(raw.strip().lower(), raw.strip().lower())
    text, at_ms, ago_ms = moment(raw, forms, "reset", "write latest, or a longer duration")
    return GroupReset(AT_TIME if ago_ms is None else AGO, text, timestamp_ms=at_ms, ago_ms=ago_ms)


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
        topic, p, o = item.get("topic"), position_number(item.get("partition")), position_number(item.get("offset"))
        if not isinstance(topic, str) or p is None or o is None:
            diags.error(iloc, f"{what}: a position is {{topic: <name>, partition: <number from 0>, offset: <number "
                              "from 0>}}")
            return None
        if (topic, p) in out:
            diags.error(iloc, f"{what}: reset names partition {topic}/{p} twice")
            return None
        out[(topic, p)] = o
    return tuple((t, p, o) for (t, p), o in sorted(out.items()))


# -- the sections' shapes: their keys, from which their schema parts follow (the reading above is Kafka's forms) -----

# The request rows: a reset's, by kind, and a delete's
RESET = {model.CONSUMER.type: request("2026-11-23-replay", "reset"),
         model.SHARE.type: request("2026-11-26-replay", "reset")}
DELETE = request("2026-11-23-retire", "delete")
POSITION = named("groupPosition", record((
    Attr("topic", ref("topicName"), required=True),
    Attr("partition", whole(0), "The partition number.", (0,), required=True),
    Attr("offset", whole(0), "The offset the group commits for the partition: the next record its consumers read.",
         (1200,), required=True))), examples=({"topic": "orders.events", "partition": 0, "offset": 1200},))
PLAN_POSITIONS = list_of(ref("group_position"))
POSITION_EXAMPLE = [{"topic": "orders.events", "partition": 0, "offset": 1200}]


def _topics(held: str) -> Attr:
    return Attr("topics", list_of(ref("topicName")), f"The topics to move (default: every topic the group has {held} "
                "on).", (["orders.events"],))


def _image(whose: str, state: str, held: str) -> tuple[Attr, ...]:
    """A group as a request shows it in a plan (rows of a plan only)."""
    return (row("group", text(), f"The {whose} id."),
            row("request", nullable(text()), "The request token: before, the one last applied (null: none); after, "
                "the declared one."),
            row("state", text(), f"The group's state as Kafka reports it{state}.", False),
            row("members", whole(), "How many members the group has.", False),
            row(OFFSETS, Type({"oneOf": [{"type": "null"}, PLAN_POSITIONS.schema]}),
                f"Its {held} (null: the group does not exist)."))


def _planned(*rows: Attr, held: str) -> tuple[Attr, ...]:
    return (row("request", text(), "The request's token."), *rows,
            row(OFFSETS, PLAN_POSITIONS, f"The {held} apply sets, exactly."))


SEEN = (row("previous_request", nullable(text()), "The token recorded before (null: none)."),)
CONSUMER_SHAPE = Shape(
    "consumer_groups", "consumerGroup",
    "Consumer-group requests, one entry per group: move its committed offsets (offsets: {request, reset, topics}) or "
    "delete it (delete: {request}), each applied once per request token. See docs/consumer-groups.md.",
    [{"name": "billing", OFFSETS: {"request": "2026-11-23-replay", "reset": "2h", "topics": ["orders.events"]}}],
    (
        Attr("name", text(1, 255), "The group id.", ("billing",), required=True, var=True),
        Attr(OFFSETS, record((
            RESET[model.CONSUMER.type],
            Attr("reset", either(text(1), list_of(POSITION, min_items=1), record((
                Attr("mirror", text(1), "A mirror of `mirrors:` whose target is this group's cluster: the group is "
                     "moved to the offsets it translated (its latest checkpoints). See docs/replication.md, Failover.",
                     ("orders-dr",), required=True),))),
                 "earliest, latest, an ISO datetime with its time zone (2026-11-23T08:00:00Z), a duration ago (2h), "
                 "explicit positions [{topic, partition, offset}], or {mirror: <name>} (a failover: the offsets that "
                 "mirror translated).", ("2026-11-23T08:00:00Z", POSITION_EXAMPLE), required=True),
            _topics("committed offsets"))),
             "Move the group's committed offsets once per request token.",
             ({"request": "2026-11-23-replay", "reset": "earliest"},)),
        Attr("delete", record((DELETE,)), "Delete the group (and its committed "
             "offsets) once per request token; Kafka refuses while it has members.",
             ({"request": "2026-11-23-retire"},)),
        *_image("group", " (Empty, Stable, ...)", "committed offsets"),
    ),
    resource="A consumer group as a request shows it: the request token, the group's state and member count "
             "(before), and its committed offsets (null: the group does not exist).",
    planned=(*_planned(row("delete", BOOLEAN, "Whether apply deletes the group."), held=OFFSETS),
             row("seen", PLAN_POSITIONS, "The group's offsets as the plan saw them."), *SEEN),
    planned_description="What apply does with a consumer group's request: its token; delete the group, or set "
                        "exactly these offsets; the offsets the plan saw, and the token recorded before.",
    plan_defs={"group_position": fields_of((
        row("topic", text(), "The topic."), row("partition", whole(), "The partition number."),
        row("offset", whole(), "The committed offset: the next record the group reads.")))},
)
SHARE_SHAPE = Shape(
    "share_groups", "shareGroup",
    "Share-group requests (KIP-932, Kafka 4.1 or newer with share.version 1), one entry per share group: move its "
    "start offsets (offsets: {request, reset, topics}), applied once per request token. A share group's configs are "
    "group_configs. See docs/share-groups.md.",
    [{"name": "order-workers", OFFSETS: {"request": "2026-11-26-replay", "reset": "earliest"}}],
    (
        Attr("name", text(1, 255), "The share group's id (its consumers' group.id).", ("order-workers",),
             required=True, var=True),
        Attr(OFFSETS, record((
            RESET[model.SHARE.type],
            # the consumer groups' position; no failover: a mirror translates committed offsets only
            Attr("reset", either(text(1), list_of(ref("groupPosition"), min_items=1)),
                 "earliest, latest, an ISO datetime with its time zone (2026-11-26T08:00:00Z), a duration ago (2h), "
                 "or explicit positions [{topic, partition, offset}].", ("2026-11-26T08:00:00Z", POSITION_EXAMPLE),
                 required=True),
            _topics("start offsets"))),
             "Move the share group's start offsets once per request token (Kafka refuses while it has members).",
             ({"request": "2026-11-26-replay", "reset": "2h", "topics": ["orders.events"]},), required=True),
        *_image("share group's", "", "start offsets"),
    ),
    versions="4.1 or newer, with the share.version feature at 1 (KIP-932); refused at plan otherwise",
    resource="A share group as a request shows it: the request token, the group's state and member count (before), "
             "and its start offsets (null: the group does not exist).",
    planned=(*_planned(held="start offsets"), row("seen", PLAN_POSITIONS, "The start offsets as the plan saw them."),
             *SEEN),
    planned_description="What apply does with a share group's request: its token; set exactly these start offsets; "
                        "the start offsets the plan saw, and the token recorded before.",
)
