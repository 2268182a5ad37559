"""The topic kind's shape (kplan/kinds/topic/model.py): a new plain key is one row of its table, and the schema, the
reading, the error for a misspelt key and `kplan render` follow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from kplan.kinds import ORDER
from kplan.kinds.schema_parts import assemble, base_path, kind_part
from kplan.kinds.shape import Attr
from kplan.kinds.shape_schema import stack_part
from kplan.kinds.topic import section
from kplan.kinds.topic.model import FLAG, ROWS, TopicSpec, topic_shape
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile.schema import report_errors

KPLAN = Path(__file__).resolve().parents[4] / "kplan"


def test_a_new_plain_topic_key_is_one_row_of_its_table(monkeypatch):
    """A kplan-side flag on topics (say, `allow_truncation`), added as one row of the table; its field on the spec is
    its write. The topic entry and what defaults and overlays may set (topicSettings) hold it, a misspelt key gets a
    suggestion, the section reads it (its fallback when not set) and render shows it. Kafka keeps nothing of it, so
    `kplan import` (which writes what the cluster has) has nothing to write."""
    row = Attr("allow_truncation", FLAG, "Allow deleting records of this topic.")
    shape = topic_shape((*ROWS, row))
    part = stack_part(shape)
    said = {"$ref": "#/$defs/flag", "description": "Allow deleting records of this topic."}
    assert part["$defs"]["topic"]["properties"]["allow_truncation"] == said
    assert part["$defs"]["topicSettings"]["properties"]["allow_truncation"] == said

    base = json.loads((KPLAN / base_path("stack")).read_text())
    schema = assemble("stack", base, {**{k: kind_part("stack", k) for k in ORDER}, "topic": part})
    doc = {"topics": [{"name": "orders", "partitions": 1, "replication_factor": 1, "allow_trunction": True}]}
    diags = Diagnostics()
    report_errors(list(Draft202012Validator(schema).iter_errors(doc)), doc, SourceMap(), diags)
    assert [d.message for d in diags.items] == ['unknown key "allow_trunction" (did you mean "allow_truncation"?)']
    assert not list(Draft202012Validator(schema).iter_errors({"defaults": {"topic": {"allow_truncation": True}}}))
    assert not list(Draft202012Validator(schema).iter_errors(
        {"environments": {"prod": {"topics": {"orders": {"allow_truncation": True}}}}}))

    @dataclass(frozen=True)
    class Spec(TopicSpec):
        allow_truncation: bool = False

    monkeypatch.setattr(section, "TopicSpec", Spec)
    monkeypatch.setattr(section, "SHAPE", shape)
    monkeypatch.setattr(section, "_FLAGS", section.flags(shape))
    monkeypatch.setattr(section, "_FLAG_KEYS", frozenset(key for key, _ in section.flags(shape)))
    monkeypatch.setattr(section, "rendered", shape.view(section.HIDE))
    at = Loc("stack.yaml", 1, 1)

    def built(**settings):
        return section.build_topic("orders", {"partitions": 1, "replication_factor": 1, **settings}, SourceMap(),
                                   Diagnostics(), section.Aggregate(), at)

    assert built(allow_truncation=True).allow_truncation is True
    assert built().allow_truncation is False  # the row's fallback
    assert section.rendered(built(allow_truncation=True))["allow_truncation"] is True
    assert built(protect=True).protect is True and built().authoritative_config is None
