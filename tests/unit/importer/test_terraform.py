"""kplan.importer.terraform: the Mongey/kafka provider's resources in a Terraform state (the state file, or
`terraform show -json`) -> the live state they describe; what kplan does not import listed with why; bad input one
line naming the file."""

from __future__ import annotations

import json

import pytest

from kplan.errors import KplanError
from kplan.importer.build import ImportOptions, build_import
from kplan.importer.sources import Source
from kplan.importer.terraform import translate
from kplan.kinds.livejson import live_state_from_dict

MONGEY = 'provider["registry.terraform.io/mongey/kafka"]'
TOPIC = {"name": "orders", "partitions": 3, "replication_factor": 2,
         "config": {"retention.ms": "86400000", "cleanup.policy": "compact,delete"}}
ACL = {"acl_principal": "User:app", "acl_host": "*", "acl_operation": "DescribeConfigs", "acl_permission_type": "Allow",
       "resource_name": "orders", "resource_type": "Topic", "resource_pattern_type_filter": "Literal"}


def state(*resources) -> Source:
    return Source("terraform.tfstate", "/tf", json.dumps({"version": 4, "resources": list(resources)}))


def resource(type_, name, attributes, provider=MONGEY, module=None, index=None):
    r = {"mode": "managed", "type": type_, "name": name, "provider": provider,
         "instances": [{"attributes": attributes, **({"index_key": index} if index is not None else {})}]}
    return {**r, "module": module} if module else r


def test_the_state_file_and_show_json_give_the_same_live_state_and_the_import_writes_kplans_entries():
    resources = [resource("kafka_topic", "orders", TOPIC, module="module.shop"),
                 resource("kafka_acl", "dc", ACL),
                 resource("kafka_acl", "g", {**ACL, "acl_operation": "Read", "resource_type": "Group",
                                             "resource_name": "app-", "resource_pattern_type_filter": "Prefixed"},
                          index="x"),
                 resource("kafka_quota", "q", {"entity_type": "client-id", "entity_name": None,
                                               "config": {"consumer_byte_rate": 1048576.0}})]
    from_state, unmapped = translate([state(*resources)])
    show = {"values": {"root_module": {
        "resources": [{"address": f"{r['type']}.{r['name']}", "mode": "managed", "type": r["type"],
                       "provider_name": "registry.terraform.io/mongey/kafka", "values": r["instances"][0]["attributes"]}
                      for r in resources[1:]],
        "child_modules": [{"resources": [{"address": "module.shop.kafka_topic.orders", "mode": "managed",
                                          "type": "kafka_topic", "provider_name": "registry.terraform.io/mongey/kafka",
                                          "values": TOPIC}]}]}}}
    from_show, _ = translate([Source("show.json", "/tf", json.dumps(show))])
    assert from_state == from_show and unmapped == ()
    imported = build_import(live_state_from_dict(from_state), ImportOptions("shop"))
    assert imported.topics == ({"name": "orders", "partitions": 3, "replication_factor": 2,
                                "config": {"cleanup.policy": ["compact", "delete"], "retention.ms": "1d"}},)
    assert imported.kinds["acls"] == ({"principal": "User:app", "allow": [
        {"resource": "group", "name": "app-", "pattern": "prefixed", "operations": ["READ"]},
        {"resource": "topic", "name": "orders", "operations": ["DESCRIBE_CONFIGS"]}]},)
    assert imported.kinds["quotas"] == ({"client_id": "<default>", "consumer_byte_rate": "1MiB"},)


def test_what_kplan_does_not_import_is_listed_with_why():
    _, unmapped = translate([state(
        resource("kafka_topic", "t", TOPIC),
        resource("kafka_user_scram_credential", "u", {"username": "app", "password": "s3cret"}),
        resource("kafka_quota", "ip", {"entity_type": "ip", "entity_name": "10.0.0.1", "config": {}}),
        resource("confluent_kafka_topic", "c", {"topic_name": "x"}, provider='provider["registry.terraform.io/'
                 'confluentinc/confluent"]'),
        resource("aws_s3_bucket", "b", {}, provider='provider["registry.terraform.io/hashicorp/aws"]'))])
    rows = {(u.where, u.what) for u in unmapped}
    assert rows == {("terraform.tfstate: kafka_user_scram_credential.u", "SCRAM user 'app'"),
                    ("terraform.tfstate: kafka_quota.ip", "quota of ip"),
                    ("terraform.tfstate: confluent_kafka_topic.c", "confluent_kafka_topic"),
                    ("terraform.tfstate", "1 resource(s) of other providers")}
    assert "s3cret" not in repr(unmapped)


@pytest.mark.parametrize(("text", "error"), [
    ('{"version": 4,\n "resources": [}', "terraform.tfstate:2: not JSON"),
    (json.dumps({"version": 3, "modules": []}), "neither a Terraform state file"),
    (json.dumps({"version": 3, "resources": []}), "state format version 3; kplan reads version 4"),
    (json.dumps({"version": 4, "resources": []}), "no resource of the Mongey/kafka provider"),
    (json.dumps({"version": 4, "resources": [resource("kafka_topic", "t", {**TOPIC, "partitions": None})]}),
     "terraform.tfstate: kafka_topic.t: `partitions` is None in the state"),
])
def test_bad_input_is_one_line_naming_the_file(text, error):
    with pytest.raises(KplanError) as e:
        translate([Source("terraform.tfstate", "/tf", text)])
    assert error in str(e.value) and "\n" not in str(e.value)
