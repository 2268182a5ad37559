"""Reading a stack's policy: its `policy:` section — rules written in the stack and `files:`, shared policy files
(paths relative to the stack file that names them) — into one `kplan.model.policy.Policy`.

A policy file is one YAML document checked by its own JSON Schema (`schemas/policy.schema.json`, packaged like the
stack's); the stack's own rules are checked by the stack schema, which holds the same rule definitions. Then the
semantic checks both share: regular expressions compile, min is not above max, durations parse, config keys are
known topic configs, values are normalized as Kafka stores them. Every problem is one located line.
"""

from __future__ import annotations

import os
import re
from types import MappingProxyType
from typing import AbstractSet

from kplan.kinds import summed_units
from kplan.kinds.frame import rule_rows
from kplan.kinds.shape import read_rows
from kplan.model.diagnostics import Diagnostics
from kplan.model.policy import Level, Policy, Rule, RuleType
from kplan.model.source import Loc, SourceMap
from kplan.rules.topic_configs import TOPIC_CONFIGS, check_topic_config, unknown_key_message
from kplan.rules.units import (
    UnitError,
    normalize_config_value,
    normalize_topic_config_value,
    parse_duration_ms,
    parse_size_bytes,
)
from kplan.stackfile.files import NUL_IN_PATH, SourceFile, decode, read_file, shown_path
from kplan.stackfile.schema import CheckedSchema, inline_refs, packaged, report_errors
from kplan.stackfile.yamlsrc import parse_documents

POLICY_SCHEMA = "schemas/policy.schema.json"


def load_policy(section, root: dict | None, smap: SourceMap,
                diags: Diagnostics) -> tuple[Policy | None, list[SourceFile]]:
    """The policy of a stack's `policy:` section (`root`: the document that holds it; the schema passed the section),
    and the policy files read (for the inputs digest). (None, []) without a section."""
    if not isinstance(section, dict) or root is None:
        return None, []
    here = smap.key_loc(root, "policy") or Loc("<stack>", 0, 0)
    base = os.path.dirname(here.file)
    rules: list[Rule] = []
    sources: list[SourceFile] = []
    seen: dict[str, Loc] = {}
    files = section.get("files") or []
    for i, rel in enumerate(files):
        loc = smap.value_loc(files, i) or here
        if "\0" in rel:
            diags.error(loc, f'policy file "{shown_path(rel)}" {NUL_IN_PATH}')
            continue
        path = os.path.normpath(os.path.join(base, rel))
        if diags.declared_again(seen, path, loc, f'policy file "{rel}"', "list it once"):
            continue
        if not os.path.isfile(path):
            diags.error(loc, f"policy file not found: {path}" + (" (it is a directory)" if os.path.isdir(path) else ""))
            continue
        source, file_rules = _read_policy_file(path, rel, smap, diags)
        if source is not None:
            sources.append(source)
        rules += file_rules
    rules += build_rules(section.get("rules") or [], smap, diags)
    return Policy(rules=tuple(rules)), sources


def _read_policy_file(path: str, rel: str, smap: SourceMap,
                      diags: Diagnostics) -> tuple[SourceFile | None, list[Rule]]:
    """(the file, its rules): those the schema accepts are still checked when it flags others (the stack is invalid
    anyway)."""
    data = read_file(path, diags)
    if data is None:
        return None, []
    source = SourceFile(path, "policy:" + rel, data)
    text = decode(path, data, diags)
    if text is None:
        return source, []
    parsed = Diagnostics()  # the parser speaks of stack documents: its one message about the root is reworded
    docs = parse_documents(path, text, smap, parsed)
    for d in parsed.items:
        message = d.message
        if message.startswith("a stack document must be a mapping"):
            message = "a policy file is a mapping with a `rules:` list, not " + message.rsplit(", not ", 1)[-1]
        diags.add(Loc(d.file, d.line, d.column, d.address or ""), message, d.severity)
    if not docs:
        return source, []
    if len(docs) > 1:
        diags.error(docs[1].loc, "a policy file holds one YAML document (put every rule under one `rules:` list)")
        return source, []
    root = docs[0].root
    if not isinstance(root, dict):
        diags.error(docs[0].loc, "a policy file is a mapping with a `rules:` list")
        return source, []
    flagged = check_policy_document(root, smap, diags)
    if () in flagged or ("rules",) in flagged or not isinstance(root.get("rules"), list):
        return source, []
    return source, build_rules(root["rules"], smap, diags, skip=flagged)


POLICY = CheckedSchema(lambda: inline_refs(packaged(POLICY_SCHEMA)))


def check_policy_document(root: dict, smap: SourceMap, diags: Diagnostics) -> set:
    """Report every violation of the policy schema in a policy file's document; returns where they are: `()`
    (the document), `("rules",)` (the list) or the index of each rule with one."""
    if POLICY.fast_check(root):  # valid for sure: jsonschema is not even loaded
        return set()
    errors = report_errors(list(POLICY.validator.iter_errors(root)), root, smap, diags)
    return {p[1] if len(p) >= 2 and p[0] == "rules" else p[:1] for p in errors}


def build_rules(items: list, smap: SourceMap, diags: Diagnostics, skip: AbstractSet = frozenset()) -> list[Rule]:
    """Rules from schema-valid `rules:` entries (`skip`: the indexes of the others); an entry with a semantic
    problem is reported and left out."""
    out = []
    for i, item in enumerate(items):
        loc = smap.value_loc(items, i) or Loc("<policy>", 0, 0)
        if isinstance(item, dict) and i not in skip:
            rule = _build_rule(item, loc, smap, diags)
            if rule is not None:
                out.append(rule)
    return out


# the keys that are Rule's fields as the rule type's rows read them (a list as a tuple); the others are read below
_PLAIN = frozenset(("include", "exclude", "pattern", "prefixes", "min", "classes", "kinds", "owners", "quota"))


def _build_rule(item: dict, loc: Loc, smap: SourceMap, diags: Diagnostics) -> Rule | None:
    kind = RuleType(item["rule"])
    values = read_rows(rule_rows()[kind.value], item, loc, smap, diags) or {}  # (its rows read no unit, no secret)

    def at(key: str) -> Loc:
        return smap.value_loc(item, key) or loc

    fields: dict = {k: v for k, v in values.items() if k in _PLAIN and v is not None}
    ok = all([_compiles(fields.get(k), at(k), diags) for k in ("include", "exclude", "pattern")])  # each reported
    if kind == RuleType.TOPIC_PARTITIONS:
        low, fields["max"] = values["min"], values["max"]
        if low is None and fields["max"] is None:
            diags.error(loc, "topic-partitions needs min, max or both")
            ok = False
        elif low is not None and fields["max"] is not None and low > fields["max"]:
            diags.error(at("max"), f"max ({fields['max']}) is less than min ({low})")
            ok = False
    elif kind in (RuleType.TOPIC_REPLICATION_FACTOR, RuleType.TOPIC_MIN_INSYNC_REPLICAS):
        fields["environments"] = MappingProxyType(dict(item.get("environments") or {}))
        if values["min"] is None and not fields["environments"]:
            diags.error(loc, f"{kind.value} needs min (every environment), environments (per environment) or both")
            ok = False
    elif kind == RuleType.TOPIC_MAX_RETENTION:
        fields["max"] = _duration(item["max"], at("max"), diags)
        ok = ok and fields["max"] is not None
    elif kind.target in _FIELDS:  # owner and label rules, owner totals
        ok = _FIELDS[kind.target](kind, item, loc, fields, at, smap, diags) and ok
    elif kind in (RuleType.TOPIC_REQUIRED_CONFIG, RuleType.TOPIC_FORBIDDEN_CONFIG,
                  RuleType.CONNECTOR_REQUIRED_CONFIG, RuleType.CONNECTOR_FORBIDDEN_CONFIG):
        keys = _keys(kind, item, at, smap, diags)
        ok = ok and keys is not None
        fields["keys"] = MappingProxyType(keys or {})
    if not ok:
        return None
    return Rule(type=kind, source=f"{loc.file}:{loc.line}", level=Level(values["severity"]),
                name=values["name"] or "", message=values["message"] or "", **fields)


def _resource_fields(kind: RuleType, item: dict, loc: Loc, fields: dict, at, smap: SourceMap,
                     diags: Diagnostics) -> bool:
    """An owner or label rule's parameters (its rows read the sections it holds for, which the schema checked): its
    labels or label patterns (each pattern compiles)."""
    ok = True
    if kind == RuleType.REQUIRED_LABELS:
        fields["label_keys"] = tuple(item["labels"])
    elif kind == RuleType.LABEL_PATTERN:
        ok = all([_compiles(p, at("labels"), diags, f"label {k}: ") for k, p in item["labels"].items()]) and ok
        fields["label_patterns"] = MappingProxyType(dict(item["labels"]))
    return ok


def _owner_fields(kind: RuleType, item: dict, loc: Loc, fields: dict, at, smap: SourceMap,
                  diags: Diagnostics) -> bool:
    """An owner total's parameters: `max` and/or `limits` (per owner), read as the total counts them (sizes for
    retention bytes and byte rates), and `unbounded` (its rows read `owners` and `quota`)."""
    quota = item.get("quota")
    of = summed_units().get(quota) if quota else None
    sized = kind == RuleType.OWNER_MAX_RETENTION_BYTES or (of is not None and of.sized)
    what = f"a whole {of.noun.split(' ', 1)[1]} such as 300" if of else "a whole number"
    if "max" in item:
        fields["max"] = _amount(item["max"], sized, at("max"), diags, what)
    limits = item.get("limits") or {}
    fields["limits"] = MappingProxyType({owner: _amount(raw, sized, smap.value_loc(limits, owner) or at("limits"),
                                                        diags, what) for owner, raw in limits.items()})
    ok = fields.get("max", 0) is not None and None not in fields["limits"].values()  # (each bad one reported)
    if "max" not in item and not limits:
        diags.error(loc, f"{kind.value} needs max (every owner), limits (per owner) or both")
        ok = False
    fields["unbounded_allowed"] = item.get("unbounded") == "allowed"
    return ok


_FIELDS = {"resource": _resource_fields, "owner": _owner_fields}


def _compiles(pattern: str | None, loc: Loc, diags: Diagnostics, what: str = "") -> bool:
    """Whether `pattern` (None: none given) is a valid regular expression; if not, one error at `loc`."""
    try:
        re.compile(pattern or "")
    except re.error as e:
        diags.error(loc, f'{what}invalid regular expression "{pattern}": {e}')
        return False
    return True


def _amount(raw, sized: bool, loc: Loc, diags: Diagnostics, what: str) -> int | None:
    """A limit (the schema passed a whole number from 0, or a text): a count (`what` says which), or with `sized` a
    size (`100GiB`, `50MiB`, or bytes); never below 0."""
    if sized and not isinstance(raw, int):
        try:
            raw = parse_size_bytes(str(raw))
        except UnitError as e:
            diags.error(loc, str(e))
            return None
    if not isinstance(raw, int):
        diags.error(loc, f"a limit is {what}, not {raw!r}")
        return None
    if raw < 0:
        diags.error(loc, f"a limit is 0 or more (got {raw})")
        return None
    return raw


def _duration(raw, loc: Loc, diags: Diagnostics) -> int | None:
    try:
        ms = raw if isinstance(raw, int) else parse_duration_ms(str(raw))
    except UnitError as e:
        diags.error(loc, str(e))
        return None
    if ms < 1:
        diags.error(loc, f"max must be a positive duration (got {raw})")
        return None
    return ms


def _keys(kind: RuleType, item: dict, at, smap: SourceMap, diags: Diagnostics) -> dict[str, tuple[str, ...]] | None:
    """key -> the rule's values normalized for that key (as the stack's own values are), () without values."""
    topic = kind.target == "topic"
    ok = True
    keys = item["keys"]
    out: dict[str, tuple[str, ...]] = {}
    for i, key in enumerate(keys):
        if topic and key not in TOPIC_CONFIGS:
            diags.error(smap.value_loc(keys, i) or at("keys"), unknown_key_message(key))
            ok = False
            continue
        values = []
        raws = item.get("values") or []
        for j, raw in enumerate(raws):
            try:
                values.append(normalize_topic_config_value(key, raw) if topic else normalize_config_value(key, raw))
            except ValueError as e:
                diags.error(at("values"), f"{key}: {e}")
                ok = False
                continue
            # a value no topic can have would match nothing: a forbidden one would forbid nothing
            bad = [m for severity, m in check_topic_config(key, values[-1]) if severity == "error"] if topic else []
            if bad:
                diags.error(smap.value_loc(raws, j) or at("values"), f"{key}: {bad[0]}")
                ok = False
        out[key] = tuple(dict.fromkeys(values))
    return out if ok else None
