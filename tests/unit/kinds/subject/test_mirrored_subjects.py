"""A mirror's subjects (`mirrors:` with `schemas: true`, issue 44 part 5): the replicated topics' subjects read from
the source cluster's registry and planned on the target's as subjects of the subject kind, under the replicas'
names, with the source's schema and level, owned and recorded; kept when the source cannot be read or the topic is no
longer replicated; deleted with the mirror's `schemas`, as any owned subject."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

from builders import live_state

from kplan.kinds.subject.attach import follow_up
from kplan.kinds.subject.kind import KIND
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.schemas import schema_digest
from kplan.kinds.subject.steps import PutSubject, build_subject_steps
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.mirror import MirrorRead
from kplan.model.ownership import Ownership
from kplan.model.plan import Action
from kplan.plan.planner import make_plan
from kplan.stackfile import validate_stack

STACK = """\
    stack: dr
    clusters:
      main: {bootstrap_servers: "main:9092", schema_registry: {url: "http://reg-main:8081"}}
      dr: {bootstrap_servers: "dr:9092", connect_url: "http://connect-dr:8083",
           schema_registry: {url: "http://reg-dr:8080/apis/ccompat/v7"}}
    mirrors:
      - {name: main-dr, cluster: dr, source: main, topics: ['orders'], replication_factor: 1, schemas: SCHEMAS}
    """

ORDER_V1 = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]})
ORDER_V2 = json.dumps({"type": "record", "name": "Order", "fields": [
    {"name": "id", "type": "long"}, {"name": "note", "type": "string", "default": ""}]})


def _subject(name, schema, version=1, schema_id=7, level=None, references=()):
    return LiveSubject(name, version, schema, "AVRO", tuple(references), schema_id, tuple(range(1, version + 1)),
                       level, level or "BACKWARD")


class Reader:
    """The target's registry (`target`) and the source's (`source`), as the subject follow-up asks them."""

    def __init__(self, source, target=None, source_problem=None):
        self.source, self.target, self.source_problem = source, target or {}, source_problem
        self.asked_source, self.asked_target = [], []

    def read_subjects(self, names):
        self.asked_target = sorted(names)
        return {n: s for n, s in self.target.items() if n in names}, "BACKWARD", None

    def declared_versions(self, specs, live):
        return {}

    def read_source_subjects(self, cluster, names):
        self.asked_source.append((cluster.schema_registry_url, sorted(names)))
        if self.source_problem:
            return {}, None, self.source_problem
        return {n: s for n, s in self.source.items() if n in names}, "BACKWARD", None


def _dr(tmp_path, schemas="true", extra=""):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK).replace("SCHEMAS", schemas) + textwrap.dedent(extra))
    stack, diags = validate_stack(path)
    assert stack is not None, [d.message for d in diags]
    return next(m for m in stack.members if m.cluster_name == "dr")


def _plan(dr, reader, read=MirrorRead(("orders", "payments")), **live_kw):
    live = live_state("dr", 1, {}, {}, **live_kw)
    live = replace(live, mirror_sources=freeze({"main-dr": read}))
    live = follow_up(dr, live, reader, False)
    return make_plan(dr, live), live


def _subjects(plan):
    return {c.name: c for c in plan.changes if c.type.value == "subject"}


def test_the_replicated_topics_subjects_are_registered_on_the_target_under_the_replicas_names(tmp_path):
    dr = _dr(tmp_path)
    reader = Reader({"orders-value": _subject("orders-value", ORDER_V1, 3, 7, "FULL"),
                     "payments-value": _subject("payments-value", ORDER_V1)})
    plan, live = _plan(dr, reader)
    # only the subjects of the topics the mirror replicates are asked of the source's registry
    assert reader.asked_source == [("http://reg-main:8081", ["orders-key", "orders-value"])]
    assert "main.orders-value" in reader.asked_target  # and the target's registry is read for them
    (change,) = _subjects(plan).values()
    assert change.name == "main.orders-value" and change.action == Action.CREATE
    assert change.origin is not None and change.origin.line == 7  # the mirror's entry
    assert change.after["compatibility"] == "FULL"  # the source subject's own level, synced
    note = next(d for d in plan.diagnostics if d.code == "mirror-schemas")
    assert note.severity == Severity.INFO and note.address == "subject.main.orders-value"
    assert note.message.startswith("mirror 'main-dr' registers on the target's schema registry: main.orders-value "
                                   "registered from main's orders-value version 3 (id 7). The target's registry "
                                   "(Apicurio's Confluent API ignores IMPORT mode and a registration's id) gives "
                                   "each schema an id of its own")
    (put,) = [p.step for p in build_subject_steps(plan, dr, live)]
    assert put == PutSubject("main.orders-value", ORDER_V1, "AVRO", (), "FULL", True, None, None)
    # owned once applied: the ownership record keeps the digest of the schema registered
    record = KIND.record_after(plan, dr, live, False, Ownership())
    assert record == {"main.orders-value": schema_digest("AVRO", ORDER_V1, ())}


def test_a_new_version_on_the_source_is_a_new_version_on_the_target_and_ids_are_compared(tmp_path):
    dr = _dr(tmp_path)
    source = {"orders-value": _subject("orders-value", ORDER_V1, 1, 7)}
    target = {"main.orders-value": _subject("main.orders-value", ORDER_V1, 1, 9)}
    digest = schema_digest("AVRO", ORDER_V1, ())
    owned = dict(subjects=target, owned_subjects=frozenset(target), subject_records={"main.orders-value": digest})
    plan, _ = _plan(dr, Reader(source, target), **owned)
    assert plan.changes and all(c.action == Action.NOOP for c in _subjects(plan).values())
    ids = next(d for d in plan.diagnostics if d.code == "mirror-schema-ids")
    assert ids.message == ("mirror 'main-dr' schema ids on the target against the source: main.orders-value: id 9 "
                           "there, 7 on main")
    source["orders-value"] = _subject("orders-value", ORDER_V2, 2, 8)
    plan, _ = _plan(dr, Reader(source, target), **owned)
    (change,) = _subjects(plan).values()
    assert change.action == Action.UPDATE
    assert [a.path for a in change.attributes] == [("schema", "fields", "note")]
    assert "main.orders-value given a new version from main's orders-value version 2 (id 8)" in next(
        d for d in plan.diagnostics if d.code == "mirror-schemas").message


def test_what_the_mirror_gave_is_kept_when_the_source_registry_cannot_be_read_or_the_topic_is_dropped(tmp_path):
    dr = _dr(tmp_path)
    target = {"main.orders-value": _subject("main.orders-value", ORDER_V1, 1, 9)}
    owned = dict(subjects=target, owned_subjects=frozenset(target),
                 subject_records={"main.orders-value": schema_digest("AVRO", ORDER_V1, ())})
    plan, _ = _plan(dr, Reader({}, target, source_problem="unreachable: connection refused"), **owned)
    assert [c.action for c in _subjects(plan).values()] == [Action.NOOP]
    unread = next(d for d in plan.diagnostics if d.code == "mirror-schemas-unread")
    assert unread.severity == Severity.WARNING and "connection refused" in unread.message
    # the topic no longer exists on the source (or no longer matches): its replica stays, so does its subject
    plan, _ = _plan(dr, Reader({}, target), read=MirrorRead(("payments",)), **owned)
    assert [c.action for c in _subjects(plan).values()] == [Action.NOOP]
    # the source cluster itself not read
    plan, _ = _plan(dr, Reader({}, target), read=MirrorRead(problem="no answer"), **owned)
    assert [c.action for c in _subjects(plan).values()] == [Action.NOOP]


def test_without_schemas_the_subjects_the_mirror_gave_are_deleted_as_any_owned_subject(tmp_path):
    dr = _dr(tmp_path, schemas="false")
    target = {"main.orders-value": _subject("main.orders-value", ORDER_V1, 1, 9)}
    reader = Reader({"orders-value": _subject("orders-value", ORDER_V1)}, target)
    plan, _ = _plan(dr, reader, subjects=target, owned_subjects=frozenset(target),
                    subject_records={"main.orders-value": schema_digest("AVRO", ORDER_V1, ())})
    assert reader.asked_source == []
    assert [(c.name, c.action) for c in _subjects(plan).values()] == [("main.orders-value", Action.DELETE)]


def test_a_schema_with_references_is_not_copied_and_a_declared_subject_is_not_taken(tmp_path):
    from kplan.kinds.subject.model import SchemaReference

    extra = """\
    subjects:
      - {name: main.orders-key, cluster: dr, schema: '"string"'}
    """
    dr = _dr(tmp_path, extra=extra)
    reader = Reader({"orders-value": _subject("orders-value", ORDER_V1,
                                              references=[SchemaReference("x.A", "a-value", 1)]),
                     "orders-key": _subject("orders-key", '"string"')})
    plan, _ = _plan(dr, reader)
    assert [(c.name, c.action) for c in _subjects(plan).values()] == [("main.orders-key", Action.CREATE)]
    codes = {d.code: d for d in plan.diagnostics}
    assert "does not copy orders-value" in codes["mirror-schemas-references"].message
    assert codes["mirror-subject-owned"].severity == Severity.ERROR
    assert "would register subject main.orders-key" in codes["mirror-subject-owned"].message


def test_schemas_need_a_registry_on_both_clusters(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK).replace("SCHEMAS", "true").replace(
        ', schema_registry: {url: "http://reg-main:8081"}', ""))
    stack, diags = validate_stack(path)
    errors = [d for d in diags if d.severity == Severity.ERROR]
    assert stack is None and len(errors) == 1, [d.message for d in diags]
    assert errors[0].line == 7 and "the source main names no schema_registry" in errors[0].message


def test_an_owned_subject_the_stack_declares_is_the_stacks_not_kept_by_the_mirror(tmp_path):
    extra = """\
    subjects:
      - {name: main.payments-value, cluster: dr, schema: '"string"'}
    """
    dr = _dr(tmp_path, extra=extra)
    target = {"main.payments-value": _subject("main.payments-value", '"string"', 1, 9)}
    plan, _ = _plan(dr, Reader({}, target), subjects=target, owned_subjects=frozenset(target),
                    subject_records={"main.payments-value": schema_digest("AVRO", '"string"', ())})
    assert [(c.name, c.action) for c in _subjects(plan).values()] == [("main.payments-value", Action.NOOP)]
    assert not [d for d in plan.diagnostics if d.severity == Severity.ERROR], plan.diagnostics


def test_a_source_level_of_none_is_not_synced_where_apicurio_cannot_keep_it(tmp_path):
    """Apicurio's own NONE reads back as no level of its own: synced, it would be planned again on every plan."""
    from kplan.kinds.subject.mirrored import synced_level

    dr = _dr(tmp_path)
    plan, _ = _plan(dr, Reader({"orders-value": _subject("orders-value", ORDER_V1, level="NONE")}))
    (change,) = _subjects(plan).values()
    assert change.action == Action.CREATE and [a.path for a in change.attributes if a.path[0] == "compatibility"] == []
    assert synced_level("NONE", "http://a:8081", "http://b:8081") == "NONE"  # two Confluent registries keep it
    assert synced_level("NONE", "http://a:8081", "http://b/apis/ccompat/v7") is None
    assert synced_level("FULL", "http://a/apis/ccompat/v7", "http://b/apis/ccompat/v7") == "FULL"


def test_a_subject_the_mirror_gives_is_no_orphan_under_a_pruning_claim(tmp_path):
    """The target's registry has it already, registered by hand (no stack owns it): the mirror declares it, so it
    is planned as the mirror's (its source's new version), never listed or pruned as an orphan."""
    dr = _dr(tmp_path, extra="claims: [{prefix: 'main.', cluster: dr, prune: true}]\n")
    target = {"main.orders-value": _subject("main.orders-value", ORDER_V1, 1, 3)}
    plan, _ = _plan(dr, Reader({"orders-value": _subject("orders-value", ORDER_V2, 2, 7)}, target), subjects=target)
    assert [(c.name, c.action) for c in _subjects(plan).values()] == [("main.orders-value", Action.UPDATE)]
    assert not [d for d in plan.diagnostics if d.code == "orphan"]
