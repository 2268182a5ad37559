"""A KafkaStack's spec as the stack file kplan loads, and kplan's findings about it said at the resource's field
paths (`spec.topics[1]: duplicate topic ...`) in place of that file's `file:line:column`, which is the operator's
own copy and means nothing to the resource's author. The file is the spec as indented JSON (JSON is YAML): one key
or item a line, so that every line kplan names is one field of the spec (pure: no I/O)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Callable, Mapping

from kplan.model.diagnostics import Diagnostic


def spec_text(spec: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The stack file's text, and the field path of each of its lines (index 0: line 1)."""
    paths = ["spec"]

    def walk(value: Any, path: str) -> None:  # as json.dumps(indent=1) lays it out
        items = list(value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            sub = f"{path}[{key}]" if isinstance(value, list) else f"{path}.{key}"
            paths.append(sub)
            walk(item, sub)
        if items:
            paths.append(path)  # its closing bracket

    walk(dict(spec), "spec")
    return json.dumps(spec, indent=1) + "\n", paths


def at_fields(d: Diagnostic, file: str, paths: list[str], named: Callable[[str], str] = str) -> str:
    """kplan's finding as `kplan validate` prints it, its place in `file` (its own, and those its message mentions:
    `collides with the topic at FILE:2`) said as the spec's field path: `spec.topics[1]: duplicate topic ...`;
    `named` says that path to the reader (a KafkaCluster's spec is a stack file's `cluster:`)."""
    if d.file != file:
        return d.located()
    place = paths[d.line - 1] if 0 < d.line <= len(paths) else "spec"
    said = replace(d, message=fields_in(d.message, file, paths),
                   address=None if f"spec.{d.target}" == place else d.address)
    return said.located(where=named(place))


def fields_in(text: str, file: str, paths: list[str]) -> str:
    """`text` (a message, a plan's Markdown: its "Declared at" column) with each `file:line[:column]` said as that
    line's field path."""
    return re.sub(re.escape(file) + r":(\d+)(?::\d+)?",
                  lambda m: paths[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(paths) else "spec", text)
