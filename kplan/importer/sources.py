"""The files another tool's import reads (`kplan import --from TOOL`, kplan.importer.topicctl/terraform/strimzi):
each one as given, its YAML documents with where each value is written, and the table of what could not be mapped.
Pure: texts in (kplan/commands/import_.py reads the files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import yaml

from kplan.errors import KplanError


@dataclass(frozen=True)
class Source:
    """One file given to the import: the path it is shown by, its directory (absolute: topicctl resolves its
    cluster's certificate paths from it) and its text."""

    path: str
    directory: str
    text: str


@dataclass(frozen=True)
class Unmapped:
    """One row of the table of what the import could not map: where it is written, what it is, why and what to do."""

    where: str
    what: str
    why: str


def yaml_documents(source: Source, tool: str):
    """(node, value) of each non-empty YAML document of a file; a YAML error is one located line."""
    try:
        nodes = list(yaml.compose_all(source.text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise KplanError(f"{source.path}{line}: not valid YAML ({getattr(e, 'problem', None) or e}): fix the "
                         f"file ({tool} could not read it either)") from None
    for node in nodes:
        if node is None:
            continue
        value = yaml.SafeLoader(source.text).construct_document(node)
        if not isinstance(value, dict):
            raise KplanError(f"{where(source, node)}: not a {tool} file (a document here is a mapping)")
        yield node, value


def where(source: Source, node, *path: str) -> str:
    """`file:line` of the value at `path` below `node` (the deepest part of it that is written)."""
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            break
        child = next((v for k, v in node.value if k.value == key), None)
        if child is None:
            break
        node = child
    return f"{source.path}:{node.start_mark.line + 1}"


def kafka_operation(name: str) -> str:
    """An ACL operation as the Java and Go clients spell it (`DescribeConfigs`) as Kafka's (`DESCRIBE_CONFIGS`, which
    is kept as it is)."""
    return name if name.isupper() else re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def mapping(doc: dict, key: str) -> dict:
    """`doc[key]` when it is a mapping, else an empty one (a file may leave out or mistype any part)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


class Bindings:
    """The principals' ACL bindings of a live-state document (kplan.kinds.livejson's `acls`), as another tool
    creates them: `grant` an operation (or several: a binding each) at a time, in kplan's words (`topic`, `literal`,
    `READ`)."""

    def __init__(self, acls: dict) -> None:
        self.acls = acls

    def grant(self, principal: object, resource: str, name: str, operations: str | tuple[str, ...], at: str,
              pattern: str = "literal", permission: str = "ALLOW", host: str = "*") -> None:
        if not isinstance(principal, str) or not principal:
            raise KplanError(f"{at}: an ACL without a principal: name the principal it is for")
        bindings = self.acls.setdefault(principal, {"bindings": []})["bindings"]
        for operation in (operations,) if isinstance(operations, str) else operations:
            bindings.append({"resource": resource, "pattern": pattern, "name": name,
                             "operation": kafka_operation(operation), "permission": permission.upper(), "host": host})


def document_topic(partitions: int, replication_factor: int, config: dict[str, str]) -> dict:
    """A topic of a live-state document whose config is its own overrides (what another tool declares)."""
    return {"partitions": partitions, "replication_factor": replication_factor, "overrides": config,
            "effective": config}


def stack_documents(stack: str, cluster: Mapping[str, Any], parts: dict, files: dict[str, dict], split: bool
                    ) -> dict[str, dict]:
    """File name -> document: one `stack.yaml` with all the `parts`, or (split) the stack and cluster there and the
    parts in `files`."""
    head: dict = {"stack": stack, "cluster": dict(cluster)}
    return {"stack.yaml": head, **files} if split else {"stack.yaml": {**head, **parts}}


def require_connect(document: dict, has_connect: bool) -> None:
    """A live-state document with connectors needs the Connect cluster they run on in the stack's cluster section."""
    if document.get("connectors") and not has_connect:
        raise KplanError("the connectors need the Kafka Connect cluster they run on: add --connect-url URL (or "
                         "--cluster-from a stack whose cluster names Connect)")


def positive_count(value: Any, at: str, what: str, why: str = "") -> int:
    """`value` when it is a positive whole number (a partition count, a replication factor), else one located error:
    `<at>: <what> must be a positive whole number (got <value>)<why>`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise KplanError(f"{at}: {what} must be a positive whole number (got {value!r}){why}")
    return value
