"""Policy rules without a cluster: the loader's located errors for policy files, the schemas agreeing, the pure
checker's helpers, the inputs digest, and `kplan validate` failing on an error-level violation (not a warning).
Every rule type's findings are pinned by the golden cases under tests/golden/policy/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan.cli import main
from kplan.kinds.connector.policy import class_matches
from kplan.kinds.topic.policy import duration_text
from kplan.model.policy import RuleType
from kplan.policy.check import METADATA_CHECKS, _resource_checks, check_policy, owner_total_sections
from kplan.stackfile import load_stack, validate_stack

ROOT = Path(__file__).resolve().parents[3]
HEAD = "stack: shop\ncluster: {bootstrap_servers: kafka:9092}\n"


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)


def _lines(tmp_path: Path, monkeypatch, stack: str = "stack.yaml") -> list[str]:
    monkeypatch.chdir(tmp_path)
    loaded, diagnostics = validate_stack(stack, None, {}, with_policy=True)
    return [d.located() for d in diagnostics]


def test_every_rule_type_has_a_check():
    """A kind's check of one resource, an owner or label check over every kind's, or an owner total's section."""
    assert set(_resource_checks()) | set(METADATA_CHECKS) | set(owner_total_sections()) == set(RuleType)


def test_each_resource_rule_is_one_kinds():
    """A topic or connector rule is checked by one kind's PolicyPart (a second would silently win)."""
    from kplan.kinds import UNITS

    owners: dict[RuleType, list[str]] = {}
    for u in UNITS:
        if u.policy is not None:
            for t in list(u.policy.checks) + list(u.policy.owner_totals):
                owners.setdefault(t, []).append(u.kind.section)
    assert all(len(kinds) == 1 for kinds in owners.values()), owners
    assert {t for t in RuleType if t.target in ("topic", "connector", "owner")} == set(owners)


def test_the_stack_schema_holds_the_policy_schemas_rule_definitions():
    stack = json.loads((ROOT / "schemas" / "stack.schema.json").read_text())
    policy = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    renamed = json.dumps(policy["$defs"])
    for name in policy["$defs"]:
        renamed = renamed.replace(f'"#/$defs/{name}"', f'"#/$defs/policy{name[0].upper()}{name[1:]}"')
    for name, definition in json.loads(renamed).items():
        assert stack["$defs"][f"policy{name[0].upper()}{name[1:]}"] == definition, name
    assert stack["properties"]["policy"]["properties"]["rules"]["items"] == {"$ref": "#/$defs/policyRule"}
    types = policy["$defs"]["rule"]["properties"]["rule"]["enum"]
    assert types == [t.value for t in RuleType]


def test_a_policy_file_that_is_not_yaml_is_one_located_line(tmp_path, monkeypatch):
    _write(tmp_path, {"stack.yaml": HEAD + "policy: {files: [p.yaml]}\n", "p.yaml": "rules:\n  - rule: [x\n"})
    lines = _lines(tmp_path, monkeypatch)
    assert len(lines) == 1 and lines[0].startswith("p.yaml:3:1: invalid YAML"), lines


def test_a_policy_file_holds_one_mapping_document(tmp_path, monkeypatch):
    _write(tmp_path, {"stack.yaml": HEAD + "policy: {files: [two.yaml, list.yaml, norules.yaml]}\n",
                      "two.yaml": "rules: []\n---\nrules: []\n", "list.yaml": "- rule: topic-partitions\n",
                      "norules.yaml": "description: x\n"})
    lines = _lines(tmp_path, monkeypatch)
    assert "two.yaml:3:1: a policy file holds one YAML document (put every rule under one `rules:` list)" in lines
    assert "list.yaml:1:1: a policy file is a mapping with a `rules:` list, not a list" in lines
    assert 'norules.yaml:1:1: missing required key "rules"' in lines


def test_paths_are_relative_to_the_stack_file_and_missing_ones_are_named(tmp_path, monkeypatch):
    _write(tmp_path, {"stacks/app.yaml": HEAD + "policy:\n  files: [../policies/ok.yaml, nope.yaml]\n"
                      "topics: [{name: shop.a, partitions: 99, replication_factor: 1}]\n",
                      "policies/ok.yaml": "rules: [{rule: topic-partitions, max: 10}]\n"})
    lines = _lines(tmp_path, monkeypatch, "stacks/app.yaml")
    assert "stacks/app.yaml:4:32: policy.files[1]: policy file not found: stacks/nope.yaml" in lines
    assert not any("partitions is 99" in line for line in lines)  # an invalid policy checks nothing yet
    (tmp_path / "stacks/app.yaml").write_text(HEAD + "policy:\n  files: [../policies/ok.yaml]\n"
                                              "topics: [{name: shop.a, partitions: 99, replication_factor: 1}]\n")
    lines = _lines(tmp_path, monkeypatch, "stacks/app.yaml")
    assert lines == ["stacks/app.yaml:5:10: topic.shop.a.partitions: partitions is 99, more than the maximum of 10 "
                     "(policy rule topic-partitions at policies/ok.yaml:1)"]


def test_a_directory_stack_declares_its_policy_once(tmp_path, monkeypatch):
    _write(tmp_path, {"d/a.yaml": HEAD + "policy: {rules: []}\n", "d/b.yaml": "policy: {rules: []}\n"})
    lines = _lines(tmp_path, monkeypatch, "d")
    assert any(line.startswith("d/b.yaml:1:1: ") and "policy is declared in more than one place" in line
               for line in lines), lines


def test_the_policy_file_is_part_of_the_inputs_digest(tmp_path, monkeypatch):
    _write(tmp_path, {"stack.yaml": HEAD + "policy: {files: [p.yaml]}\n",
                      "p.yaml": "rules: [{rule: topic-partitions, max: 10}]\n"})
    monkeypatch.chdir(tmp_path)
    before = load_stack("stack.yaml", environ={}).inputs_digest
    (tmp_path / "p.yaml").write_text("rules: [{rule: topic-partitions, max: 12}]\n")
    assert load_stack("stack.yaml", environ={}).inputs_digest != before


def test_without_a_policy_nothing_is_checked(tmp_path, monkeypatch):
    _write(tmp_path, {"stack.yaml": HEAD + "topics: [{name: x, partitions: 1, replication_factor: 1}]\n"})
    monkeypatch.chdir(tmp_path)
    stack = load_stack("stack.yaml", environ={})
    assert stack.policy is None and check_policy(stack) == ()


@pytest.mark.parametrize("cls, pattern, matches", [
    ("org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSink", True),
    ("FileStreamSink", "org.apache.kafka.connect.file.FileStreamSinkConnector", True),
    ("FileStreamSinkConnector", "FileStreamSink", False),  # two aliases: written differently, not compared
    ("io.debezium.connector.postgresql.PostgresConnector", "io.debezium.connector.*", True),
    ("PostgresConnector", "io.debezium.connector.*", False),  # a package pattern needs the full name
    ("FileStreamSink", "*Sink*", True),
    ("org.apache.kafka.connect.file.FileStreamSourceConnector", "FileStreamSink", False),
])
def test_connector_classes_match_by_name_alias_or_pattern(cls, pattern, matches):
    assert class_matches(cls, pattern) is matches


@pytest.mark.parametrize("ms, text", [(604_800_000, "7d"), (129_600_000, "36h"), (-1, "infinite"), (1500, "1500ms"),
                                      (90_000, "90s")])
def test_durations_are_shown_in_the_largest_whole_unit(ms, text):
    assert duration_text(ms) == text


def _validate(capsys, *args) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(["validate", *args])
    return exc.value.code, capsys.readouterr().out


def _policy_file_refused(tmp_path: Path, monkeypatch, capsys, platform: str) -> str:
    """`kplan validate` of a stack whose policy file is `platform`: refused (1); its first line."""
    _write(tmp_path, {"stack.yaml": HEAD + "policy: {files: [platform.yaml]}\n", "platform.yaml": platform})
    monkeypatch.chdir(tmp_path)
    code, out = _validate(capsys, "stack.yaml")
    assert code == 1
    return out.splitlines()[0]


def test_validate_fails_on_an_error_level_violation_and_not_on_a_warning(tmp_path, monkeypatch, capsys):
    _write(tmp_path, {"stack.yaml": HEAD + "policy: {files: [platform.yaml]}\n"
                      "topics:\n  - {name: tmp.a, partitions: 1, replication_factor: 1}\n",
                      "platform.yaml": "rules:\n  - {rule: topic-forbidden-prefixes, prefixes: [tmp.]}\n"
                                       "  - {rule: topic-replication-factor, min: 3, severity: warning}\n"})
    monkeypatch.chdir(tmp_path)
    code, out = _validate(capsys, "stack.yaml")
    assert code == 1
    assert out.splitlines() == [
        'stack.yaml:5:5: topic.tmp.a: the name starts with the forbidden prefix "tmp." '
        "(policy rule topic-forbidden-prefixes at platform.yaml:2)",
        "stack.yaml:5:5: warning: topic.tmp.a.replication_factor: replication_factor is 1, less than the minimum of 3 "
        "(policy rule topic-replication-factor at platform.yaml:3)",
        "stack.yaml: invalid (1 error, 1 warning)",
    ]
    (tmp_path / "stack.yaml").write_text((tmp_path / "stack.yaml").read_text().replace("tmp.a", "shop.a"))
    code, out = _validate(capsys, "stack.yaml")
    assert code == 0
    assert out.splitlines()[-1] == "stack.yaml: valid (1 topic, 0 connectors, 1 warning)"


def test_a_bad_policy_file_fails_validate_with_its_own_location(tmp_path, monkeypatch, capsys):
    first = _policy_file_refused(tmp_path, monkeypatch, capsys, "rules:\n  - rule: topic-partitions\n    maximum: 3\n")
    assert first == 'platform.yaml:3:5: rules[0].maximum: unknown key "maximum" (did you mean "max"?)'


def test_a_config_value_no_topic_can_have_is_a_located_policy_error(tmp_path, monkeypatch, capsys):
    first = _policy_file_refused(tmp_path, monkeypatch, capsys, "rules:\n  - rule: topic-forbidden-config\n"
                                 "    keys: [compression.type]\n    values: [zstd, gzipp]\n")
    assert first == (
        "platform.yaml:4:20: rules[0].values[1]: compression.type: must be one of uncompressed, zstd, lz4, snappy, "
        "gzip, producer (got 'gzipp') (did you mean \"gzip\"?)")


_SECTIONS = ("topics, connectors, cdc, mirrors, consumer_groups, share_groups, delete_records, acls, streams_apps, "
             "users, quotas, broker_configs, group_configs, subjects, features")


def test_a_rules_kinds_are_the_sections_the_loader_reads_entries_from():
    """The schema's policyKinds (kplan.kinds.resource_sections) are the stack's lists of resource entries."""
    from kplan.kinds import resource_sections
    from kplan.stackfile.merge import LISTS

    assert resource_sections() == LISTS[:LISTS.index("claims")] == tuple(_SECTIONS.split(", "))


def test_a_typo_in_a_rules_kinds_is_refused_at_its_item_naming_the_sections(tmp_path, monkeypatch, capsys):
    first = _policy_file_refused(tmp_path, monkeypatch, capsys, "rules:\n  - rule: required-labels\n"
                                 "    kinds: [topics, consumer_group]\n    labels: [tier]\n")
    assert first == (f"platform.yaml:3:21: rules[0].kinds[1]: must be one of {_SECTIONS} (got string "
                     '"consumer_group") (did you mean "consumer_groups"?)')


def test_a_rules_kinds_takes_every_section_that_declares_resources(tmp_path, monkeypatch):
    """Each section name (the plural, as the stack file says it) works, the cdc sources' and mirrors' too."""
    kinds = _SECTIONS.replace(" ", "")
    _write(tmp_path, {"stack.yaml": HEAD + "policy:\n  rules:\n    - {rule: require-owner, kinds: [%s]}\n" % kinds
                      + "topics:\n  - {name: orders, partitions: 1, replication_factor: 1, owner: team-a}\n"})
    monkeypatch.chdir(tmp_path)
    assert [line for line in _lines(tmp_path, monkeypatch) if "kinds" in line] == []
    stack, _ = validate_stack("stack.yaml", None, {}, with_policy=True)
    assert stack is not None and stack.policy.rules[0].kinds == tuple(kinds.split(","))


POLICY_FILES = sorted((ROOT / "stacks" / "policies").glob("*.yaml"))


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_example_policy_files_are_valid_and_name_their_schema(path):
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(path.read_text()))) == []
    assert path.read_text().startswith("# yaml-language-server: $schema=../../schemas/policy.schema.json")


def test_the_policy_example_passes_its_policy_in_every_environment():
    path = ROOT / "stacks" / "policy-checked.yaml"
    for env in (None, "dev", "prod"):
        stack, diagnostics = validate_stack(path, env, {}, with_policy=True)
        assert stack is not None and stack.policy is not None, [d.located() for d in diagnostics]
        assert [d.code for d in diagnostics] == ["owner-totals", "policy:topic-partitions"]  # the one warning it shows
        assert diagnostics[0].message == (f"owner team-billing{f' in environment {env}' if env else ''}: 20 "
                                          "partitions of 100, 3 topics of 50, retention bytes 0B of 1TiB (+ 3 topics "
                                          "unbounded)")
    assert len(stack.policy.rules) == 23 and {r.type for r in stack.policy.rules} == set(RuleType)
