"""kplan.importer.julieops: a JulieOps topology -> its topics (JulieOps' default names) and the ACL bindings JulieOps
creates by default for its consumers, producers, streams applications and connectors; bad input one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kplan.errors import KplanError
from kplan.importer.build import ImportOptions, build_import
from kplan.importer.julieops import translate
from kplan.importer.sources import Source
from kplan.kinds.livejson import live_state_from_dict

EXAMPLE = (Path(__file__).resolve().parents[2] / "integration" / "julieops" / "topology.yaml").read_text()


def test_the_example_becomes_named_topics_and_the_bindings_julieops_creates():
    document, unmapped = translate([Source("topology.yaml", "/j", EXAMPLE.replace("XPFX", "t"))])
    imported = build_import(live_state_from_dict(document), ImportOptions("shop"))
    assert imported.topics == (
        {"name": "t.shop.orders.enriched.avro", "partitions": 1, "replication_factor": 1,
         "config": {"cleanup.policy": "compact"}},
        {"name": "t.shop.orders.placed", "partitions": 3, "replication_factor": 1, "config": {"retention.ms": "7d"}})
    acls = {a["principal"]: a["allow"] for a in imported.kinds["acls"]}
    assert acls["User:t-billing"] == [
        {"resource": "group", "name": "t-billing-", "pattern": "prefixed", "operations": ["READ"]},
        {"resource": "topic", "name": "t.shop.orders.enriched.avro", "operations": ["DESCRIBE", "READ"]},
        {"resource": "topic", "name": "t.shop.orders.placed", "operations": ["DESCRIBE", "READ"]}]
    assert acls["User:t-checkout"] == [
        {"resource": "cluster", "operations": ["IDEMPOTENT_WRITE"]},
        {"resource": "topic", "name": "t.shop.orders.enriched.avro", "operations": ["DESCRIBE", "WRITE"]},
        {"resource": "topic", "name": "t.shop.orders.placed", "operations": ["DESCRIBE", "WRITE"]},
        {"resource": "transactional_id", "name": "t-checkout-tx", "operations": ["DESCRIBE", "WRITE"]}]
    assert acls["User:t-enricher"] == [
        {"resource": "group", "name": "t-enricher", "pattern": "prefixed", "operations": ["READ"]},
        {"resource": "topic", "name": "t.shop.orders.enriched.avro", "operations": ["WRITE"]},
        {"resource": "topic", "name": "t.shop.orders.placed", "operations": ["READ"]},
        {"resource": "topic", "name": "t-enricher", "pattern": "prefixed", "operations": ["ALL"]}]
    assert acls["User:t-connect"][:2] == [{"resource": "cluster", "operations": ["CREATE"]},
                                          {"resource": "group", "name": "connect-cluster", "operations": ["READ"]}]
    assert unmapped == ()


@pytest.mark.parametrize(("text", "error"), [
    ("projects: []\n", "t.yaml:1: not a JulieOps topology"),
    ("context: c\nprojects:\n  - name: p\n    topics:\n      - name: a\n        config: {num.partitions: '1'}\n",
     "t.yaml:3: topic 'c.p.a': config.replication.factor is None"),
    ("context: c\nprojects:\n  - name: p\n    consumers: [{group: g}]\n    topics:\n      - name: a\n"
     "        config: {num.partitions: '1', replication.factor: '1'}\n", "t.yaml:3: an ACL without a principal"),
])
def test_bad_input_is_one_line(text, error):
    with pytest.raises(KplanError) as e:
        translate([Source("t.yaml", "/j", text)])
    assert error in str(e.value) and "\n" not in str(e.value)
