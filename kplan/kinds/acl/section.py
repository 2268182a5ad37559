"""The `acls` section: each entry, one principal, expanded to the concrete ACL bindings it means. Pure.

    - principal: User:orders-app
      authoritative: false           # true: undeclared bindings of this principal are deleted
      host: "*"                      # default host of the entry's bindings
      produce: [orders, "prefix:orders."]                      # topic WRITE + DESCRIBE
      consume: {topics: [payments], groups: [orders-app]}      # topic READ + DESCRIBE, group READ
      allow: [{resource: topic, name: audit, pattern: literal, operations: [DESCRIBE_CONFIGS], host: "*"}]
      deny:  [...the same shape...]

A name `prefix:<p>` in produce/consume means a PREFIXED pattern; in allow/deny the pattern is `pattern:`. The
cluster resource's name is Kafka's `kafka-cluster`. The shape is checked by the JSON Schema; what it cannot say is
checked here (a name missing, a cluster entry with a name or a prefix, a principal declared twice).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.acl.model import ENTRY, SHAPE, AclSpec
from kplan.kinds.shape import defaulted
from kplan.model.bindings import ACL_PREFIX, AclBinding, shorthand
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, Origin, SourceMap

CLUSTER_NAME = "kafka-cluster"
PRODUCE_OPERATIONS = ("WRITE", "DESCRIBE")
CONSUME_TOPIC_OPERATIONS = ("READ", "DESCRIBE")
CONSUME_GROUP_OPERATIONS = ("READ",)


def expand_acl(item: dict[str, Any]) -> tuple[list[AclBinding], list[tuple[str, str]]]:
    """The bindings of one (schema-valid) entry, sorted and unique, and its problems as (path, message). Its keys'
    defaults are its table's (`kplan.kinds.acl.model.SHAPE`); what they mean as Kafka's bindings is Kafka's: written
    here."""
    values = defaulted(SHAPE.attrs, item)
    host = values["host"]
    bindings: list[AclBinding] = []
    problems: list[tuple[str, str]] = []
    bindings += shorthand("topic", values["produce"] or (), PRODUCE_OPERATIONS, host)
    consume = values["consume"] or {}
    bindings += shorthand("topic", consume.get("topics") or (), CONSUME_TOPIC_OPERATIONS, host)
    bindings += shorthand("group", consume.get("groups") or (), CONSUME_GROUP_OPERATIONS, host)
    for permission in ("allow", "deny"):
        for i, raw in enumerate(values[permission] or ()):
            where, entry = f"{permission}[{i}]", defaulted(ENTRY, raw)
            resource, pattern, name = entry["resource"], entry["pattern"], entry["name"]
            if resource == "cluster":
                if name not in (None, CLUSTER_NAME) or pattern != "literal":
                    problems.append((where, f"the cluster resource has no name or pattern (it is always "
                                            f'"{CLUSTER_NAME}"): remove name and pattern'))
                    continue
                name = CLUSTER_NAME
            elif name is None:
                problems.append((where, f'a {resource} entry needs a name (or "*" for every {resource})'))
                continue
            elif name.startswith(ACL_PREFIX):
                problems.append((where, f'write a prefixed name as name: "{name[len(ACL_PREFIX):]}" with pattern: '
                                        "prefixed (the prefix: notation is for produce and consume)"))
                continue
            elif name == "*" and pattern == "prefixed":
                problems.append((where, 'name "*" is already every resource: use pattern: literal'))
                continue
            # an entry without a host takes its principal's (not aclHost's default)
            bindings += [AclBinding(resource, pattern, name, op, permission.upper(), raw.get("host", host))
                         for op in entry["operations"]]
    if not bindings and not problems and not values["authoritative"]:
        problems.append(("", "declares no bindings: add produce, consume, allow or deny (or authoritative: true "
                             "to delete every binding of this principal)"))
    return sorted(set(bindings)), problems


def build_acls(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[AclSpec, ...]:
    out = []
    for item, loc, principal in diags.named_entries(entries, "principal", 'principal "{}"',
                                                    "declare each principal's ACLs in one entry"):
        bindings, problems = expand_acl(item)
        for path, message in problems:
            key, _, index = path.partition("[")  # "allow[0]": at that entry of allow; "": at the entry
            at = (smap.value_loc(item, key) if key else None) or loc
            if index and isinstance(item.get(key), list):
                at = smap.value_loc(item[key], int(index.rstrip("]"))) or at
            diags.error(at, message if path else f"principal {principal} {message}")
        if problems:
            continue
        out.append(AclSpec(principal, tuple(bindings), item.get("authoritative") is True,
                           origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda a: a.name))


def rendered(a: AclSpec) -> dict[str, Any]:
    """A principal's keys and its expanded bindings, one line each (`allow WRITE on topic prefix:orders.`), and the
    cdc sources whose connector runs as it (their bindings generated)."""
    more = {"cdc_sources": list(a.cdc_sources)} if a.cdc_sources else {}
    return _VIEW(a, bindings=[b.describe() for b in a.bindings], **more)


_VIEW = SHAPE.view({})


entry_word = entry_words("principal", "the ACL entry of")
