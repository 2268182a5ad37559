"""The `delete_records` section: one entry per topic, one request applied once per token. Pure.

    delete_records:
      - topic: orders.events
        request: 2026-11-28-trim              # a new token asks for one more deletion
        before: 2026-11-20T00:00:00Z          # every record older than this (or a duration ago: 7d), or
                                              #   [{partition: 0, offset: 1200}, ...]: the records before these
        allow_unread: [audit]                 # groups that may lose records they have not read (default: none;
                                              #   "*": any group)

The JSON Schema checks the shape (`SHAPE`, from which its schema parts follow); here what it cannot say: a token, a
time with its zone or a duration, each partition once, each group once."""

from __future__ import annotations

from typing import Any

from kplan.kinds.records.model import Cut, RecordsSpec, cut_items
from kplan.kinds.shape import Attr, Shape, either, fields_of, list_of, nullable, record, ref, request, row, text, whole
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import UnitError, moment

FORMS = "an ISO datetime with its time zone (2026-11-20T00:00:00Z), a duration ago (7d), or [{partition, offset}]"
CUT_EXAMPLE = [{"partition": 0, "offset": 1200}]
CUT = record((Attr("partition", whole(0), "The partition number.", (0,), required=True),
              Attr("offset", whole(0), "The new first offset of the partition: the records before it are deleted.",
                   (1200,), required=True)))
PLAN_PARTITION = fields_of((
    row("partition", whole(), "The partition number."),
    row("low", whole(), "Its low watermark (first offset): before, the cluster's; after, the new one."),
    row("high", whole(), "Its high watermark (end offset)."),
    row("removed", whole(), "The records apply deletes there (after only).", False)))
SHAPE = Shape(
    "delete_records", "deleteRecords",
    "Delete-records requests, one entry per topic: delete its records before an offset per partition or before a "
    "time (Kafka's DeleteRecords), once per request token. Irreversible. See docs/delete-records.md.",
    [{"topic": "orders.events", "request": "2026-11-28-trim", "before": "2026-11-20T00:00:00Z"}],
    (
        Attr("topic", ref("topicName"), "The topic whose records are deleted (not one another stack owns).",
             ("orders.events",), required=True, plan="The topic.", plan_type=text(), plan_required=True),
        request("2026-11-28-trim", "deletion", plan="The request token: before, the one last applied (null: "
                "none); after, the declared one.", plan_type=nullable(text()), plan_required=True),
        Attr("before", either(text(1), list_of(CUT, min_items=1)),
             "Delete the records before this: an ISO datetime with its time zone (every record older than it), a "
             "duration ago (7d), or the new first offset of each partition named [{partition, offset}].",
             ("2026-11-20T00:00:00Z", "7d", CUT_EXAMPLE), required=True),
        Attr("allow_unread", list_of(text(1, 255), unique=True, as_set=True), "Consumer and share groups that may "
             "lose records they have not read yet (their committed or start offset below the new first offset); any "
             "other such group refuses the plan. \"*\": any group (the groups are then not read).", (["audit"], ["*"])),
        row("partitions", list_of(PLAN_PARTITION), "The partitions the request moves: their low and high "
            "watermarks, and after, the records deleted (none: applied already, not read).", False),
        row("removed", whole(), "The records apply deletes in all (after only).", False),
    ),
    resource="A delete-records request as a plan shows it: its token, and per partition it moves the low watermark "
             "(before: the cluster's; after: the new one, with the records deleted).",
    planned=(row("request", text(), "The request's token."),
             row("lows", list_of(fields_of((row("partition", whole(), "The partition number."),
                                               row("offset", whole(), "Its new low watermark.")))),
                 "The new low watermark of each partition apply moves, exactly."),
             row("removed", whole(), "The records deleted in all, as the plan counted them."),
             row("previous_request", nullable(text()), "The token recorded before (null: none).")),
    planned_description="What apply deletes: the request's token, the new low watermark of each partition, the "
                        "count of records deleted, and the token recorded before.",
)


def build_delete_records(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics
                         ) -> tuple[RecordsSpec, ...]:
    specs = (_entry(name, item, loc, smap, diags) for item, loc, name in diags.named_entries(
        entries, "topic", "delete_records of topic {!r}", "declare one request per topic"))
    return tuple(sorted((s for s in specs if s is not None), key=lambda s: s.name))


def _entry(name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> RecordsSpec | None:
    what = f"delete_records of topic {name!r}"
    read = SHAPE.read(item, loc, smap, diags, f"{what}: ", only=("request", "allow_unread"))
    if read is None or read["request"] is None:
        return None
    raw, vloc = item.get("before"), smap.value_loc(item, "before") or loc
    try:
        found = _cuts(what, raw, vloc, smap, diags) if isinstance(raw, list) else \
            ((), *moment(raw, FORMS, "before", "give a longer duration, or offsets"))  # a time, or a duration ago
    except UnitError as e:
        diags.error(vloc, f"{what}: {e}")
        return None
    if found is None:
        return None
    offsets, text_, at_ms, ago_ms = found
    return RecordsSpec(name, read["request"], offsets, text_, at_ms, ago_ms,
                       read["allow_unread"] or (), to_origin(loc))


When = tuple[tuple[Cut, ...], str, "int | None", "int | None"]  # (offsets, as written, at_ms, ago_ms)


def _cuts(what: str, raw: list[Any], vloc: Loc, smap: SourceMap, diags: Diagnostics) -> When | None:
    """[{partition, offset}], each partition once; None once it (or the schema) said why not."""
    out: dict[int, int] = {}
    for x in raw:
        if not isinstance(x, dict) or not all(isinstance(x.get(k), int) for k in ("partition", "offset")):
            return None  # the schema reported it
        if x["partition"] in out:
            diags.error(smap.loc(x) or vloc, f"{what}: before names partition {x['partition']} twice")
            return None
        out[x["partition"]] = x["offset"]
    return tuple(sorted(out.items())), "explicit offsets", None, None


# Hand code, not its rows: `before` is one of several forms (offsets, a time, a duration ago) read into one spec.
def rendered(s: RecordsSpec) -> dict[str, Any]:
    """A declared request as `kplan render` shows it."""
    return {"topic": s.name, "request": s.request, "before": cut_items(s.offsets) if s.offsets else s.text,
            "allow_unread": list(s.allow_unread), "origin": origin_data(s.origin)}


entry_word = entry_words("topic", "delete_records of topic")
