"""kplan.kinds.subject.schemas: canonical forms (what never makes a change), and the part-by-part diff a plan shows."""

from __future__ import annotations

import json

from kplan.kinds.subject.model import SchemaReference
from kplan.kinds.subject.schemas import canonical, diff, outline, same_schema, schema_digest

REC = {"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "long"}]}


def test_whitespace_key_order_and_spelt_out_primitives_are_the_same_avro_schema():
    other = '{ "fields": [ {"type": {"type": "long"}, "name": "id"} ],\n "namespace": "shop", "name": "Order", ' \
            '"type": "record" }'
    assert same_schema("AVRO", json.dumps(REC), other)
    assert schema_digest("AVRO", json.dumps(REC), ()) == schema_digest("AVRO", other, ())


def test_field_order_and_union_order_are_part_of_an_avro_schema():
    swapped = {**REC, "fields": [{"name": "n", "type": "int"}, *REC["fields"]]}
    grown = {**REC, "fields": [*REC["fields"], {"name": "n", "type": "int"}]}
    assert not same_schema("AVRO", json.dumps(swapped), json.dumps(grown))
    assert diff("AVRO", json.dumps(grown), json.dumps(swapped))[0][0] == ("order",)
    assert not same_schema("AVRO", '["null","string"]', '["string","null"]')


def test_a_difference_past_the_display_limit_is_found_and_shown():
    def enum(last):
        return json.dumps({**REC, "fields": [{"name": "e", "type": {"type": "enum", "name": "E", "symbols": [
            f"S{i:03d}" for i in range(60)] + [last]}}]})

    [(path, before, after)] = diff("AVRO", enum("OLD"), enum("NEW"))
    assert path == ("fields", "e") and before != after
    assert before.endswith('"OLD"],"type":"enum"}') and after.endswith('"NEW"],"type":"enum"}')


def test_records_inside_unions_are_diffed_field_by_field():
    def envelope(*fields):
        value = {"type": "record", "name": "Value", "fields": [{"name": "id", "type": "long"}, *fields]}
        return json.dumps({"type": "record", "name": "Envelope",
                           "fields": [{"name": "after", "type": ["null", value], "default": None}]})

    changes = diff("AVRO", envelope(), envelope({"name": "email", "type": "string", "default": ""}))
    assert changes == [(("fields", "after", "type", "Value", "fields", "email"), None,
                        '{"default":"","type":"string"}')]
    assert outline("AVRO", envelope())[("fields", "after")] == '{"default":null,"type":["null","Value"]}'


def test_json_schema_properties_and_keywords():
    a = {"type": "object", "properties": {"id": {"type": "string"}}}
    b = {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}, "required": ["id"]}
    assert same_schema("JSON", json.dumps(a), json.dumps(a, indent=4, sort_keys=True))
    assert diff("JSON", json.dumps(a), json.dumps(b)) == [
        (("properties", "n"), None, '{"type":"integer"}'), (("required",), None, '["id"]')]


def test_protobuf_comments_and_whitespace_do_not_count_but_string_literals_do():
    a = 'syntax = "proto3";\n// what\nmessage E {\n  string id = 1 [json_name = "a  b"]; /* x */\n}\n'
    b = "syntax='proto3'; message E { string id=1 [json_name=\"a  b\"]; }"
    assert canonical("PROTOBUF", a) == canonical("PROTOBUF", b) == \
        'syntax="proto3";message E{string id=1[json_name="a  b"];}'
    c = b.replace("a  b", "a b")
    assert diff("PROTOBUF", b, c) == [(("#3",), 'string id=1[json_name="a  b"];', 'string id=1[json_name="a b"];')]
    assert canonical("PROTOBUF", 'message A { string s = 1 [default = "x // not a comment"]; }').endswith(
        '"x // not a comment"];}')


def test_the_digest_covers_references_by_name_and_subject():
    ref = SchemaReference("shop.Address", "address")
    assert schema_digest("AVRO", json.dumps(REC), (ref,)) == schema_digest(
        "AVRO", json.dumps(REC), (SchemaReference("shop.Address", "address", 3),))
    assert schema_digest("AVRO", json.dumps(REC), (ref,)) != schema_digest("AVRO", json.dumps(REC), ())


def test_a_schema_files_text_is_in_the_stacks_inputs_digest(tmp_path):
    """A saved plan is stale when a schema file changes, though the stack file does not."""
    from kplan.stackfile import load_stack

    (tmp_path / "order.avsc").write_text(json.dumps(REC))
    (tmp_path / "s.yaml").write_text("stack: s\ncluster: {bootstrap_servers: 'b:1', schema_registry: {url: "
                                     "'http://r:8081'}}\nsubjects: [{name: orders-value, schema_file: order.avsc}]\n")
    before = load_stack(str(tmp_path / "s.yaml")).inputs_digest
    (tmp_path / "order.avsc").write_text(json.dumps({**REC, "doc": "changed after the plan was saved"}))
    assert load_stack(str(tmp_path / "s.yaml")).inputs_digest != before


def test_json_refused_without_a_position_is_one_error_not_a_crash(tmp_path):
    """json refuses an integer of over 4,300 digits with a plain ValueError (no line or column): the loader
    reports it on the subject instead of failing on the missing position."""
    from kplan.stackfile import validate_stack

    (tmp_path / "big.avsc").write_text('{"type": "record", "name": "R", "fields": [], "x": ' + "1" * 5000 + "}")
    (tmp_path / "s.yaml").write_text("stack: s\ncluster: {bootstrap_servers: 'b:1', schema_registry: {url: "
                                     "'http://r:8081'}}\nsubjects: [{name: big-value, schema_file: big.avsc}]\n")
    _, diags = validate_stack(tmp_path / "s.yaml", None, {})
    errors = [d.message for d in diags if d.severity == "error"]
    assert len(errors) == 1 and "the Avro schema cannot be read (Exceeds the limit" in errors[0], errors
