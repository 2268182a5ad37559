"""The site's reference by resource kind (reference/kinds/<kind>.md, generated at every `make docs` by the hook in
dev/docs_reference.py, never committed): one page per section of a stack that declares resources, as the
Terraform registry has one per resource. Each page: the section's words and a full example, its keys grouped
Required / Optional with a plain type and every default, how a change to each key is made, what a plan shows of
the resource, and whether `kplan import` writes it.

Everything comes from the code: the keys, types, defaults, words and examples from the stack's JSON Schema
(kplan/schemas/stack.schema.json), the attributes from the plan's (plan.schema.json), how a change is made from the
kind's shape (its `Attr` rows' `change`, kplan/kinds/shape.py) where the kind has one, and import from `kplan
import`'s own options. A kind without a shape exposes no per-key change metadata: its page says so. A key without
a plain type fails the build (`Untyped`), as a key without a description does."""

from __future__ import annotations

import json
from typing import Any, Iterator, NamedTuple

import yaml
from docs_text import SCHEMAS
from docs_text import cell as _text

# The sections that declare resources, in the order users meet them: (section key, page slug, title, the plan
# schema's definitions of what a plan shows of its resources). A section not here and not in CROSS_CUTTING fails
# the build.
KINDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("topics", "topic", "Topic", ("topic",)),
    ("connectors", "connector", "Connector", ("connector",)),
    ("cdc", "cdc-source", "CDC source", ("connector", "topic")),
    ("acls", "acl", "ACL", ("acl",)),
    ("users", "user", "SCRAM user", ("user",)),
    ("quotas", "quota", "Client quota", ("quota",)),
    ("subjects", "subject", "Schema registry subject", ("subject",)),
    ("consumer_groups", "consumer-group", "Consumer group request", ("consumer_group",)),
    ("group_configs", "group-config", "Group config", ("group_config",)),
    ("share_groups", "share-group", "Share group request", ("share_group",)),
    ("broker_configs", "broker-config", "Broker config", ("broker_config",)),
    ("mirrors", "mirror", "Mirror (MirrorMaker 2)", ("connector",)),
    ("streams_apps", "streams-app", "Kafka Streams application", ("streams_app",)),
    ("features", "feature", "Feature version", ("feature",)),
    ("delete_records", "delete-records", "Delete-records request", ("records",)),
)
# The top-level keys about the stack as a whole, documented on the stack format's pages.
CROSS_CUTTING = frozenset({"$schema", "stack", "cluster", "clusters", "template_dirs", "authoritative_config",
                           "defaults", "policy", "vars", "secret_commands", "claims", "references", "forget",
                           "environments"})

# Definitions whose structure says less than their name: their plain words.
PLAIN = {
    "varRef": "`${VAR}` reference",
    "duration": "duration such as `30s`, or seconds",
    "quotaByteRate": "byte rate such as `2MiB`, or bytes per second",
    "configMap": "map of config key → value",
    "configValue": "config value (string, number, boolean or list)",
    "scalar": "string, number or boolean",
}
MAX_DEPTH = 5  # how deep definitions are followed


class Untyped(ValueError):
    """Keys of a kind without a plain type: one line each, naming the key and what to do."""


class Key(NamedTuple):
    name: str  # dotted: `a.b`, `a[].b` (each item of list a), `a.<name>.b` (each value of map a)
    node: dict[str, Any]  # its schema (a $ref followed: the definition's keys, its own words and default first)
    required: bool  # an entry must write it (and every key it is under)
    description: str
    default: Any  # `NO_DEFAULT` when none


NO_DEFAULT: Any = object()


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


class Kinds:
    """The stack schema (and the plan schema) read for the per-kind pages."""

    def __init__(self, stack: dict[str, Any] | None = None, plan: dict[str, Any] | None = None) -> None:
        self.stack = stack if stack is not None else _load("stack")
        self.plan = plan if plan is not None else _load("plan")
        self.defs: dict[str, Any] = self.stack.get("$defs", {})
        self.untyped: list[str] = []

    # -- a node as the page says it

    def _ref(self, node: Any) -> str | None:
        ref = node.get("$ref") if isinstance(node, dict) else None
        return ref.split("/")[-1] if isinstance(ref, str) and ref.startswith("#/$defs/") else None

    def resolved(self, node: Any) -> dict[str, Any]:
        """A node with its definition's keys under its own (its words, default, examples win)."""
        if not isinstance(node, dict):
            return {}
        name = self._ref(node)
        if name is None:
            return node
        base = self.resolved(self.defs.get(name, {}))
        return {**base, **{k: v for k, v in node.items() if k != "$ref"}, "x-def": name}

    def plain(self, node: Any, depth: int = 0) -> str:
        """A value's type in words: "integer from 1 to 10000", "list of string", "duration such as `30s`". Empty
        when the schema says nothing a reader can use."""
        if node is True or node == {}:
            return ""
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return ""
        name = self._ref(node)
        if name is not None:
            return PLAIN.get(name) or self.plain(self.defs.get(name, {}), depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                alts = [a for a in node[key] if self._ref(a) != "varRef"]
                words = [self.plain(a, depth + 1) for a in alts]
                return "" if not all(words) else " or ".join(dict.fromkeys(words))
        if "const" in node:
            return f"`{json.dumps(node['const'])}`"
        if "enum" in node:
            return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else (["object"] if "properties" in node else [])
        words = [self._one(k, node, depth) for k in kinds]
        return "" if not words or not all(words) else " or ".join(words)

    def _one(self, kind: str, node: dict[str, Any], depth: int) -> str:
        if kind in ("integer", "number"):
            low, high = node.get("minimum"), node.get("maximum")
            if "exclusiveMinimum" in node:
                return f"{kind} > {node['exclusiveMinimum']}"
            if low is not None and high is not None:
                return f"{kind} from {low} to {high}"
            return f"{kind} ≥ {low}" if low is not None else f"{kind} ≤ {high}" if high is not None else kind
        if kind == "array":
            item = self.plain(node.get("items", {}), depth + 1) or "values"
            return f"list of {item}" + (f" (at least {node['minItems']})" if node.get("minItems", 0) > 1 else "")
        if kind == "object":
            values = node.get("additionalProperties")
            if isinstance(values, dict) and not node.get("properties"):
                return f"map of name → {self.plain(values, depth + 1) or 'value'}"
            return "object (its keys below)" if node.get("properties") else "object"
        return {"string": "string", "boolean": "boolean", "null": "null"}.get(kind, "")

    def description(self, node: dict[str, Any]) -> str:
        return str(node.get("description") or "")

    # -- the keys of an entry

    def keys(self, node: dict[str, Any], prefix: str = "", required: bool = True, seen: tuple[str, ...] = (),
             ) -> Iterator[Key]:
        needed = set(node.get("required", []))
        for key, sub in node.get("properties", {}).items():
            name = f"{prefix}{key}"
            full = self.resolved(sub)
            default = full.get("default", NO_DEFAULT)
            yield Key(name, full, required and key in needed, self.description(full), default)
            where = full.get("x-def")
            if where in seen or len(seen) > MAX_DEPTH:
                continue
            inner = seen + ((where,) if where else ())
            yield from self._below(full, name, required and key in needed, inner)

    def _below(self, full: dict[str, Any], name: str, required: bool, seen: tuple[str, ...]) -> Iterator[Key]:
        if full.get("properties"):
            yield from self.keys(full, f"{name}.", required, seen)
        items = self.resolved(full.get("items")) if isinstance(full.get("items"), dict) else {}
        if items.get("properties"):
            yield from self.keys(items, f"{name}[].", required, seen + ((items["x-def"],) if "x-def" in items else ()))
        values = full.get("additionalProperties")
        values = self.resolved(values) if isinstance(values, dict) else {}
        if values.get("properties"):
            yield from self.keys(values, f"{name}.<name>.", False, seen)
        names: set[str] = set()
        for key in ("anyOf", "oneOf"):
            for alt in full.get(key, []):
                alt = self.resolved(alt)
                if alt.get("properties") and alt.get("x-def") not in seen:
                    for k in self.keys(alt, f"{name}.", False, seen + ((alt["x-def"],) if "x-def" in alt else ())):
                        if k.name not in names:
                            names.add(k.name)
                            yield k

    def entry(self, section: str) -> dict[str, Any]:
        return self.resolved(self.stack["properties"][section].get("items", {}))


# ---------------------------------------------------------------------------------------------- the pages

def _cell(value: str) -> str:
    """A description in a cell: its docs/NAME.md links (made for reference/'s pages) one folder further up."""
    return _text(value).replace("](../", "](../../") if value else ""


def _default(value: Any) -> str:
    if value is NO_DEFAULT:
        return "—"
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("\n...").strip()
    return f"`{text}`"


def _shape(section: str) -> Any:
    """The kind's shape (kplan.kinds.shape.Shape), where it has one."""
    from kplan.kinds import UNITS

    for unit in UNITS:
        if unit.section is not None and unit.section.key == section:
            return unit.shape
    return None


def _imported(section: str) -> str:
    """What the page says of `kplan import` for the section, from the command's own options."""
    from kplan.commands.import_ import import_command

    options = {opt: p for p in import_command.params for opt in getattr(p, "opts", [])}
    if f"--no-{section}" in options:
        return (f"`kplan import --stack NAME -o DIR --bootstrap-servers HOST:PORT` writes `{section}:` entries for "
                f"what the cluster has (`--prefix`, `--include`, `--exclude` select; `--no-{section}` leaves them "
                f"out); a `kplan plan` of the written stack then shows no changes for them. See [Adopting an "
                f"existing cluster](../../import.md).")
    if section == "cdc" and "--cdc" in options:
        return (f"`kplan import ... --cdc`: {getattr(options['--cdc'], 'help', '')} Without it, such a connector is "
                f"written as a `connectors:` entry. See [Adopting an existing cluster](../../import.md).")
    return f"`kplan import` does not write `{section}:` entries: declare them by hand."


def _unit_words(attr: Any) -> str | None:
    """A shape row's type in its unit's words ("byte rate such as `2MiB`"), where it has a unit."""
    if attr is None or attr.unit is None:
        return None
    noun = attr.unit.noun.removeprefix("a ").removeprefix("an ")
    return f"{noun} such as `{attr.examples[0]}`" if attr.examples else noun


def _table(rows: list[Key], kinds: Kinds, shape: Any, required: bool) -> list[str]:
    attrs = {a.key: a for a in shape.keys} if shape is not None else {}
    changes = {key: a.change for key, a in attrs.items()}
    head = ["key", "type"] + ([] if required else ["default"]) + (["a change"] if changes else []) + ["description"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for key in rows:
        cells = [f"`{key.name}`", _unit_words(attrs.get(key.name)) or kinds.plain(key.node)]
        if not required:
            cells.append(_default(key.default))
        if changes:
            cells.append(changes.get(key.name, ""))
        text = _cell(key.description)
        versions = key.node.get("x-kafka-versions")
        if versions:
            text += f" Kafka versions: {_cell(versions)}."
        cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _attributes(kinds: Kinds, names: tuple[str, ...]) -> list[str]:
    lines = []
    for name in names:
        node = kinds.plan.get("$defs", {}).get(name, {})
        props = node.get("properties", {})
        if not props:
            continue
        if len(names) > 1:
            lines += [f"A {name.replace('_', ' ')}:", ""]
        lines += ["| attribute | type | description |", "| --- | --- | --- |"]
        for key, sub in props.items():
            words = _cell(str(sub.get("description") or kinds.plan["$defs"].get(
                (sub.get("$ref") or "").split("/")[-1], {}).get("description") or ""))
            plain = Kinds(kinds.plan, kinds.plan).plain(sub) or "value"
            lines.append(f"| `{key}` | {plain} | {words} |")
        lines.append("")
    return lines


def kind_page(kinds: Kinds, section: str, title: str, plan_defs: tuple[str, ...]) -> str:
    top = kinds.stack["properties"][section]
    entry = kinds.entry(section)
    rows = list(kinds.keys(entry))
    for key in rows:
        if not kinds.plain(key.node):
            kinds.untyped.append(f"kplan/schemas/stack.schema.json: the key {key.name} of {section}: has no type a "
                                 f"reader can use: give it a type (or a $ref to a definition that has one), or its "
                                 f"definition plain words in dev/docs_kinds.py's PLAIN")
    shape = _shape(section)
    lines = [f"# {title}", "", f"`{section}:` in a stack file. {_cell(str(top.get('description', '')))}", ""]
    versions = top.get("x-kafka-versions")
    if versions:
        lines += [f"**Kafka versions:** {_cell(versions)}.", ""]
    lines += ["## Example usage", ""]
    for example in top.get("examples", [])[:1]:
        lines += ["<!-- not a stack: a section's example -->", "```yaml",
                  yaml.safe_dump({section: example}, sort_keys=False, allow_unicode=True, width=100).rstrip(),
                  "```", ""]
    lines += ["## Argument reference", "",
              "A key shown as `a.b` is key `b` of the object under `a`; `a[].b`, of each item of the list `a`; "
              "`a.<name>.b`, of each value of the map `a`. Wherever a value is allowed, a `${VAR}` reference may "
              "stand for it ([variables](../../stack-format.md)).", ""]
    required = [k for k in rows if k.required]
    optional = [k for k in rows if not k.required]
    if required:
        lines += ["### Required", ""] + _table(required, kinds, shape, True) + [""]
    lines += ["### Optional", ""] + _table(optional, kinds, shape, False) + [""]
    lines += ["## Changes", ""]
    if shape is not None:
        lines += ["The column *a change* says how the plan makes a change to the key, from the kind's shape "
                  "(`kplan/kinds/shape.py`): *in place* (an update of the resource), *replaces the resource* "
                  "(deleted and created again, only when the stack allows it), *refused* (a plan error), "
                  "*irreversible* (what it replaces cannot be put back), or *by a step of its own*. A new value of a "
                  "key that names the resource (its name, its `cluster`) declares another resource.", ""]
    else:
        lines += ["This kind does not expose how a change to each key is made (it has no shape table, "
                  "`kplan/kinds/shape.py`, yet): where a change replaces the resource or is refused, the key's "
                  "description above says so, and the plan shows such a change, flagged, or refuses it with an error, "
                  "before anything is applied ([How plans work](../../plans.md)).", ""]
    lines += ["## Attributes", "",
              "What a plan shows of the resource, before and after (`kplan plan --format json`: "
              "`resource_changes[].before` and `.after`; [Plan JSON](../plan-json.md)):", ""]
    lines += _attributes(kinds, plan_defs)
    lines += ["## Import", "", _imported(section), ""]
    return "\n".join(lines)


def pages(kinds: Kinds | None = None) -> dict[str, str]:
    """reference/kinds/<slug>.md -> its Markdown, for every kind. Raises Untyped for keys without a plain type, and
    ValueError for a resource section without a page."""
    kinds = kinds or Kinds()
    sections = set(kinds.stack.get("properties", {}))
    missing = sorted(sections - CROSS_CUTTING - {k[0] for k in KINDS})
    if missing:
        raise ValueError(f"kplan/schemas/stack.schema.json: the section(s) {', '.join(missing)} have no reference "
                         f"page: add each to dev/docs_kinds.py's KINDS (or CROSS_CUTTING)")
    out = {f"reference/kinds/{slug}.md": kind_page(kinds, section, title, plan_defs)
           for section, slug, title, plan_defs in KINDS if section in sections}
    if kinds.untyped:
        raise Untyped("\n".join(kinds.untyped))
    return out


def nav() -> list[str]:
    """The pages' paths in the order of the site's navigation (mkdocs.yml lists them so)."""
    return [f"reference/kinds/{slug}.md" for _, slug, _, _ in KINDS]


if __name__ == "__main__":  # print one page: python dev/docs_kinds.py topic
    import sys

    print(pages()[f"reference/kinds/{sys.argv[1]}.md"])
