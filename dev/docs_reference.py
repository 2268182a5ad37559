"""The site's Reference pages, generated from the code at every `make docs` (an mkdocs hook: mkdocs.yml `hooks:`),
never written by hand nor committed:

- reference/stack-format.md: every key of the stack format, from kplan/schemas/stack.schema.json (type, allowed
  values, default, Kafka versions, description). A key without a description fails the build with one line naming it.
- reference/commands.md: every command, argument and option, as `kplan COMMAND --help` prints it (kplan/cli.py).
- reference/plan-json.md: the plan JSON (`kplan plan --format json`, saved plans), from kplan/schemas/plan.schema.json;
  a key without a description fails the build there too.
- reference/exit-codes.md: the exit codes, from the one table in the code (kplan.exiting.EXIT_CODES).
- reference/kinds/<kind>.md: one page per resource kind (dev/docs_kinds.py).

A key is described by its own `description`, by the description of the definition it refers to (`$ref`: what every
use of that definition shares), or, for a key that an `if`/`then` branch lists again (with no schema, `{}`, or a
narrower one), by the same key of the object it refines. `x-kafka-versions` (a custom annotation) says which Kafka
versions support a key where not every version does (docs/compatibility.md); `examples` are shown as YAML."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Iterator

# (dev/ is on the path while mkdocs loads this hook, and in the tests)
import docs_kinds  # the pages by resource kind
import yaml
from docs_text import SCHEMAS
from docs_text import cell as _text

PAGES = ("reference/stack-format.md", "reference/commands.md", "reference/plan-json.md", "reference/exit-codes.md")


class Undescribed(ValueError):
    """Keys of a schema without a description: the message has one line per key, naming it and what to do."""


# ---------------------------------------------------------------------------------------------- Markdown helpers

def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return f"``{text}``" if "`" in text else f"`{text}`"


def _bounds(node: dict[str, Any]) -> list[str]:
    """A value's ranges, lengths, pattern and list sizes, in words."""
    parts = []
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        parts.append(f"{low} to {high}")
    elif low is not None:
        parts.append(f"at least {low}")
    elif high is not None:
        parts.append(f"at most {high}")
    if "exclusiveMinimum" in node:
        parts.append(f"more than {node['exclusiveMinimum']}")
    if node.get("minLength", 0) > 1:
        parts.append(f"at least {node['minLength']} characters")
    if "maxLength" in node:
        parts.append(f"at most {node['maxLength']} characters")
    if "pattern" in node:
        parts.append(f"matches {_code(node['pattern'])}")
    if node.get("minItems", 0) > 0:
        parts.append(f"at least {node['minItems']} item{'s' if node['minItems'] > 1 else ''}")
    if node.get("uniqueItems"):
        parts.append("no duplicates")
    return parts


def _key(name: str) -> str:
    """A key's dotted name as code that a narrow column breaks after a `.` or `]` only (docs/assets/reference.css)."""
    shown = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return '<code class="key">' + re.sub(r"([.\]])", r"\1<wbr>", shown) + "</code>"


def _example(key: str | None, value: Any) -> str:
    """A value as a stack file writes it (YAML, on one line), after its key."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6).strip()
    text = text.removesuffix("\n...").strip()
    return _code(f"{key}: {text}" if key else text)


def _anchor(name: str) -> str:
    return "def-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ---------------------------------------------------------------------------------------------- a JSON Schema

class Schema:
    """One JSON Schema document, rendered as a reference page: its top-level keys, then one section per
    definition (`$defs`), each key with its type, allowed values, default, Kafka versions and description."""

    def __init__(self, doc: dict[str, Any], source: str, require_descriptions: bool = True):
        self.doc = doc
        self.source = source
        self.require_descriptions = require_descriptions
        self.defs: dict[str, Any] = doc.get("$defs", {})
        self.undescribed: list[str] = []  # one line per key without a description (`page` raises Undescribed)

    # -- what a node is

    def _def(self, node: dict[str, Any]) -> str | None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return ref.split("/")[2]
        return None

    def type_of(self, node: Any) -> str:
        if node is True or node == {}:
            return "any"
        if not isinstance(node, dict):
            return "any"
        name = self._def(node)
        if name:
            return f"[{name}](#{_anchor(name)})"
        for key in ("anyOf", "oneOf"):
            if key in node:
                return " or ".join(dict.fromkeys(self.type_of(alt) for alt in node[key]))
        if "const" in node:
            return "constant"
        if "enum" in node and "type" not in node:
            types = {type(v).__name__ for v in node["enum"]}
            return {"str": "string", "int": "integer", "bool": "boolean"}.get(types.pop(), "any") if len(types) == 1 \
                else "any"
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        shown = []
        for k in kinds:
            if k == "array":
                shown.append(f"list of {self.type_of(node.get('items', {}))}")
            elif k == "object" and isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
                shown.append(f"map of {self.type_of(node['additionalProperties'])}")
            else:
                shown.append(k)
        if not shown and "properties" in node:
            shown.append("object")
        return " or ".join(shown) or "any"

    def allowed(self, node: Any) -> str:
        if not isinstance(node, dict):
            return ""
        parts = []
        if "const" in node:
            parts.append(_code(node["const"]))
        if "enum" in node:
            parts.append(", ".join(_code(v) for v in node["enum"]))
        parts += _bounds(node)
        names = node.get("propertyNames")
        if isinstance(names, dict) and "pattern" in names:
            parts.append(f"names match {_code(names['pattern'])}")
        for alt in node.get("anyOf", []) + node.get("oneOf", []):
            if isinstance(alt, dict) and not self._def(alt) and self.allowed(alt):
                parts.append(self.allowed(alt))
        items = node.get("items")
        if isinstance(items, dict) and not self._def(items) and self.allowed(items):
            parts.append(f"each: {self.allowed(items)}")
        return "; ".join(parts)

    def description(self, node: Any) -> str | None:
        if not isinstance(node, dict):
            return None
        if node.get("description"):
            return str(node["description"])
        name = self._def(node)
        if name and self.defs.get(name, {}).get("description"):
            return str(self.defs[name]["description"])
        return None

    # -- the keys of an object, nested ones with dotted names

    def keys(self, node: dict[str, Any], prefix: str, where: str,
             inherited: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any], bool, str]]:
        """(dotted name, schema, required, description) of each key `node` declares, and of the keys of inline
        objects below it (`a.b`, `a[].b` for a list's items, `a.<name>.b` for a map's values). A key without a
        description is noted in `undescribed` (when descriptions are required)."""
        required = set(node.get("required", []))
        for key, sub in node.get("properties", {}).items():
            name = f"{prefix}{key}"
            text = self.description(sub)
            if text is None and inherited and key in inherited:
                if sub in ({}, True):
                    continue  # a branch's re-listing of its object's key: documented with the object
                text = self.description(inherited[key])  # a branch narrowing its object's key: the same key
            if text is None and self.require_descriptions:
                self.undescribed.append(
                    f"{self.source}: the key {name} {where}has no description: write one where the key is defined "
                    f"(kplan/schemas/parts/ or the kind's shape, kplan/kinds/shape.py; then `make schemas`)")
            text = text or ""
            yield name, sub if isinstance(sub, dict) else {}, key in required, text
            if isinstance(sub, dict):
                yield from self._inline(sub, name, where)

    def _inline(self, node: dict[str, Any], name: str, where: str) -> Iterator[tuple[str, dict[str, Any], bool, str]]:
        if self._def(node):
            return
        if "properties" in node:
            yield from self.keys(node, f"{name}.", where)
        items = node.get("items")
        if isinstance(items, dict) and not self._def(items) and "properties" in items:
            yield from self.keys(items, f"{name}[].", where)
        values = node.get("additionalProperties")
        if isinstance(values, dict) and not self._def(values) and "properties" in values:
            yield from self.keys(values, f"{name}.<name>.", where)
        for key in ("anyOf", "oneOf"):
            for alt in node.get(key, []):
                if isinstance(alt, dict):
                    yield from self._inline(alt, name, where)

    # -- the page

    def table(self, node: dict[str, Any], where: str, inherited: dict[str, Any] | None = None,
              prefix: str = "") -> list[str]:
        rows = list(self.keys(node, prefix, where, inherited))
        if not rows:
            return []
        lines = ["| key | type | allowed values | description |", "| --- | --- | --- | --- |"]
        for name, sub, required, text in rows:
            notes = []
            if required:
                notes.append("**Required.**")
            notes.append(_text(text))
            shared = self.defs.get(self._def(sub) or "", {})  # the definition it refers to, if any
            if "default" in sub or "default" in shared:
                notes.append(f"Default: {_code(sub.get('default', shared.get('default')))}.")
            versions = sub.get("x-kafka-versions") or shared.get("x-kafka-versions")
            if versions:
                notes.append(f"Kafka versions: {_text(versions)}.")
            for example in sub.get("examples") or shared.get("examples", []):
                notes.append(f"Example: {_example(name.rsplit('.', 1)[-1].removeprefix('[]'), example)}.")
            lines.append(f"| {_key(name)} | {self.type_of(sub)} | {self.allowed(sub)} | {' '.join(notes)} |")
        return lines

    def branches(self, node: dict[str, Any], where: str) -> list[str]:
        """An object's `if`/`then` branches (`allOf`): what a value of one key adds or requires."""
        lines: list[str] = []
        for branch in node.get("allOf", []):
            cond = branch.get("if", {}).get("properties", {}) if isinstance(branch, dict) else {}
            then = branch.get("then") if isinstance(branch, dict) else None
            if not cond or not isinstance(then, dict):
                continue
            when = ", ".join(f"`{k}` is {_code(v.get('const', v.get('enum')))}" for k, v in cond.items())
            lines += ["", f"**When {when}**" + (f": {_text(then['description'])}" if then.get("description") else "")]
            if then.get("required"):
                lines.append(f"(required: {', '.join(f'`{k}`' for k in then['required'])})")
            table = self.table(then, f"{where}(when {when.replace('`', '')}) ", node.get("properties", {}))
            if table:
                lines += [""] + table
        return lines

    def section(self, name: str, node: dict[str, Any]) -> list[str]:
        lines = [f"### `{name}` {{#{_anchor(name)}}}", ""]
        if node.get("description"):
            lines += [_text(node["description"]), ""]
        facts = [f"Type: {self.type_of({k: v for k, v in node.items() if k != 'description'})}."]
        allowed = self.allowed(node)
        if allowed:
            facts.append(f"Allowed values: {allowed}.")
        if "default" in node:
            facts.append(f"Default: {_code(node['default'])}.")
        if node.get("x-kafka-versions"):
            facts.append(f"Kafka versions: {_text(node['x-kafka-versions'])}.")
        for example in node.get("examples", []):
            facts.append(f"Example: {_example(None, example)}.")
        lines += [" ".join(facts)]
        where = f"of $defs/{name} "
        body = self.table(node, where)
        for key in ("anyOf", "oneOf"):
            for alt in node.get(key, []):
                if isinstance(alt, dict) and "properties" in alt:
                    body += ([""] if body else []) + self.table(alt, where)
        items = node.get("items")
        if isinstance(items, dict) and "properties" in items:
            body += self.table(items, where, prefix="[].")
        if body:
            lines += [""] + body
        lines += self.branches(node, where)
        return lines + [""]

    def page(self, title: str, intro: str) -> str:
        lines = [f"# {title}", "", intro, "", "## Top level", ""]
        if self.doc.get("description"):
            lines += [_text(self.doc["description"]), ""]
        lines += self.table(self.doc, "at the top level ") + self.branches(self.doc, "at the top level ")
        lines += ["", "## Definitions", ""]
        lines += ["Each definition is a type that keys above (and other definitions) refer to; its description applies "
                  "wherever it is used.", ""]
        for name, node in self.defs.items():
            lines += self.section(name, node)
        if self.undescribed:
            raise Undescribed("\n".join(self.undescribed))
        return "\n".join(lines)


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def stack_page(doc: dict[str, Any] | None = None) -> str:
    return Schema(doc if doc is not None else load("stack"), "kplan/schemas/stack.schema.json").page(
        "Stack format reference",
        "Every key a stack file may hold, generated from the stack's JSON Schema, `kplan/schemas/stack.schema.json` "
        "(`kplan schema stack` prints it; kplan validates every stack against it). What stacks are, how files "
        "combine, variables, `for_each`, environments and references: [The stack format](../stack-format.md). "
        "A key shown as `a.b` is key `b` of the object under `a`; `a[].b` a key of each item of the list `a`; "
        "`a.<name>.b` a key of each value of the map `a`. Wherever a [varRef](#def-varref) is allowed, a "
        "`${VAR}` reference may stand for the value. A key without a Kafka versions note works on every Kafka "
        "version kplan is tested with ([compatibility](../compatibility.md)).")


def plan_page(doc: dict[str, Any] | None = None) -> str:
    return Schema(doc if doc is not None else load("plan"), "kplan/schemas/plan.schema.json").page(
        "Plan JSON reference",
        "The plan as JSON (`kplan plan --format json`, and a plan saved with `kplan plan -out FILE`), generated from "
        "its JSON Schema, `kplan/schemas/plan.schema.json` (`kplan schema plan` prints it). Readers should refuse a "
        "`format_version` other than the one they know.")


# ---------------------------------------------------------------------------------------------- commands

def commands_page() -> str:
    import click

    from kplan.cli import cli

    lines = ["# Commands reference", "",
             "Every command with its arguments and options, as `kplan COMMAND --help` prints it (generated from the "
             "command line's definition, kplan/cli.py and kplan/commands/).", ""]

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        # as in an 80-column terminal (click's widest by default), with the command's own settings (-h)
        ctx = command.context_class(command, info_name=path[-1], parent=parent, terminal_width=80,
                                    **command.context_settings)  # kplan's: the docs' pages as their addresses
        heading = "#" * min(len(path) + 1, 4)
        lines.extend([f"{heading} `{' '.join(path)}`", "", "```text", command.get_help(ctx), "```", ""])
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*path, name], ctx)

    walk(cli, ["kplan"], None)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- exit codes

def exit_codes_page() -> str:
    from kplan.exiting import EXIT_CODES

    lines = ["# Exit codes", "",
             "What kplan's exit code means, per command (generated from the table in the code, "
             "`kplan.exiting.EXIT_CODES`).", "",
             "| exit | meaning | commands |", "| --- | --- | --- |"]
    for code, meaning, commands in EXIT_CODES:
        lines.append(f"| {code} | {meaning} | {commands} |")
    lines += ["", "An apply declined at its prompt exits 0 and changes nothing.", ""]
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """Each generated page's path under docs/ -> its Markdown: the pages above, and one per resource kind
    (dev/docs_kinds.py)."""
    return {
        **docs_kinds.pages(),
        "reference/stack-format.md": stack_page(),
        "reference/commands.md": commands_page(),
        "reference/plan-json.md": plan_page(),
        "reference/exit-codes.md": exit_codes_page(),
    }


# ---------------------------------------------------------------------------------------------- the mkdocs hook

def on_config(config: Any) -> Any:
    """The site's address is the one the command line prints (kplan.DOCS_URL: one place)."""
    from kplan import DOCS_URL

    config["site_url"] = DOCS_URL
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    try:
        generated = pages()
    except (Undescribed, docs_kinds.Untyped, ValueError) as e:
        raise PluginError(str(e)) from None
    for path, text in generated.items():
        files.append(File.generated(config, path, content=text))
    return files


if __name__ == "__main__":  # print one page: python dev/docs_reference.py reference/stack-format.md
    print(pages()[sys.argv[1]])
