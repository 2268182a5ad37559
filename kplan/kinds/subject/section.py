"""Schema registry subjects: the `subjects` section and topics' `key_schema` / `value_schema`, built by the loader
(kplan.stackfile.sections, through `build_member`). Pure: the schema files the stack names are read by the
loader's `read_text` (relative to the stack file that names them), handed in with the cluster's part of the stack.

    subjects:
      - name: customer-value
        schema_file: schemas/customer.avsc    # or schema: <inline text, or a YAML mapping for Avro / JSON Schema>
        type: avro                            # avro | json | protobuf; default: from the file's extension, else avro
        references: [{name: x.Address, subject: address-value, version: latest}]
        compatibility: BACKWARD               # kept by kplan; unset: the subject's level is left alone
    topics:
      - name: orders
        value_schema: schemas/order.avsc      # -> subject orders-value (TopicNameStrategy)
        key_schema: {schema: '"string"', subject_naming: topic}

What the JSON Schema cannot say is checked here, each at its line: one of schema / schema_file, a file that
exists and parses (Avro and JSON Schema are JSON; an Avro record needs a name and named, typed fields), a naming
strategy that can name the subject (record naming needs a named record), a subject declared twice (by name or by
two topics), a reference cycle.
"""

from __future__ import annotations

import json
import posixpath
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from kplan.kinds.shape import defaulted
from kplan.kinds.subject.model import BORROWED, PLAIN, SCHEMA_KEYS, SECTION, SchemaReference, SubjectSpec
from kplan.kinds.subject.schemas import SchemaParseError, canonical, parse
from kplan.model.desired import origin_data, registry_flavour
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, SourceMap, to_origin

_SCHEMA_KEYS = frozenset(SCHEMA_KEYS)

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import MemberPart

ReadText = Callable[[str, "str | None"], str]  # (a path as written, the file that names it) -> the text; OSError

EXTENSIONS = {".avsc": "AVRO", ".avro": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}


def _schema_text(entry: dict[str, Any], loc: Loc, what: str, smap: SourceMap, diags: Diagnostics,
                 read_text: ReadText) -> tuple[str, str | None, str | None, Loc] | None:
    """(schema text, type from the file's extension or None, the file as written or None, the schema's line)."""
    inline, path = entry.get("schema"), entry.get("schema_file")
    if (inline is None) == (path is None):
        diags.error(loc, f"{what} needs exactly one of schema (inline) or schema_file (a .avsc, .json or .proto file)")
        return None
    if inline is not None:
        sloc = smap.value_loc(entry, "schema") or loc
        text = inline if isinstance(inline, str) else json.dumps(inline, indent=2)
        return text, None, None, sloc
    sloc = smap.value_loc(entry, "schema_file") or loc
    if "\0" in str(path):  # open() would raise ValueError: no file name holds one
        diags.error(sloc, f"{what}: schema_file holds a NUL byte (\\0), which no file name can: write the file's path")
        return None
    try:
        text = read_text(str(path), sloc.file)
    except OSError as e:
        diags.error(sloc, f"{what}: cannot read schema_file {path}: {e.strerror or e} (paths are relative to the "
                          "stack file)")
        return None
    except UnicodeDecodeError:
        diags.error(sloc, f"{what}: schema_file {path} is not UTF-8 text")
        return None
    # the file's type when the entry names none: `.avsc` of `schemas/x.AVSC`
    return text, EXTENSIONS.get(posixpath.splitext(str(path).replace("\\", "/"))[1].lower()), str(path), sloc


def _check_schema(schema_type: str, text: str, sloc: Loc, what: str, source: str | None,
                  diags: Diagnostics) -> bool:
    """A schema that is not what its type says: one error line (the file's own line for a JSON error)."""
    if schema_type == "PROTOBUF":
        if not text.strip():
            diags.error(sloc, f"{what}: the Protobuf schema is empty")
            return False
        return True
    try:
        doc = parse(schema_type, text)
    except SchemaParseError:
        kind = "Avro" if schema_type == "AVRO" else "JSON Schema"
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            where = f"{source}:{e.lineno}:{e.colno}" if source else f"line {e.lineno}, column {e.colno}"
            diags.error(sloc, f"{what}: the {kind} schema is not valid JSON ({where}: {e.msg}); fix the schema")
        except ValueError as e:  # JSON the parser refuses without a position (an integer of over 4,300 digits)
            diags.error(sloc, f"{what}: the {kind} schema cannot be read ({e}); fix the schema")
        return False
    if schema_type == "AVRO":
        problem = _avro_problem(doc)
        if problem:
            diags.error(sloc, f"{what}: not a valid Avro schema: {problem}")
            return False
    elif not isinstance(doc, (dict, bool)):
        diags.error(sloc, f"{what}: a JSON Schema must be an object (or true/false)")
        return False
    return True


_AVRO_NAMED = ("record", "error", "enum", "fixed")


def _avro_problem(doc: Any, path: str = "the schema") -> str | None:
    """The first structural mistake of an Avro schema (the registry judges the rest), or None."""
    if isinstance(doc, str):
        return None
    if isinstance(doc, list):
        for i, branch in enumerate(doc):
            problem = _avro_problem(branch, f"{path}, union branch {i + 1}")
            if problem:
                return problem
        return None
    if not isinstance(doc, dict) or "type" not in doc:
        return f"{path} needs a type"
    kind = doc["type"]
    if isinstance(kind, (dict, list)):
        return _avro_problem(kind, path)
    if kind in _AVRO_NAMED and not isinstance(doc.get("name"), str):
        return f"{path}: a {kind} needs a name"
    if kind in ("record", "error"):
        problem = _avro_fields_problem(doc, path)
        if problem:
            return problem
    if kind == "enum" and not isinstance(doc.get("symbols"), list):
        return f"{path}: enum {doc.get('name')} needs symbols"
    if kind == "array" and "items" not in doc:
        return f"{path}: an array needs items"
    if kind == "map" and "values" not in doc:
        return f"{path}: a map needs values"
    return None


def _avro_fields_problem(record: dict[str, Any], path: str) -> str | None:
    """The first mistake in a record's fields: each a mapping with a name and a type, and a valid type."""
    fields = record.get("fields")
    if not isinstance(fields, list):
        return f"{path}: record {record.get('name')} needs a list of fields"
    for f in fields:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            return f"{path}: every field of record {record.get('name')} needs a name"
        if "type" not in f:
            return f"{path}: field {f['name']} of record {record.get('name')} needs a type"
        problem = _avro_problem(f["type"] if isinstance(f["type"], (dict, list)) else {"type": f["type"]},
                                f"field {f['name']}")
        if problem:
            return problem
    return None


def _references(entry: dict[str, Any], loc: Loc, what: str, smap: SourceMap,
                diags: Diagnostics) -> tuple[SchemaReference, ...]:
    out = []
    for item in entry.get("references") or ():
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or \
                not isinstance(item.get("subject"), str):
            continue  # the JSON Schema reported it
        version = item.get("version", "latest")
        out.append(SchemaReference(item["name"], item["subject"], None if version == "latest" else int(version)))
    # the same reference twice is harmless (registries list one per use: Debezium's envelope names its Value record
    # for both `before` and `after`); one name bound to two different subjects or versions is a mistake
    for name in sorted({r.name for r in out}):
        if len({(r.subject, r.version) for r in out if r.name == name}) > 1:
            diags.error(smap.value_loc(entry, "references") or loc,
                        f"{what}: reference {name} is listed twice, with different subjects or versions")
    return tuple(out)


def _record_name(schema_type: str, text: str) -> str | None:
    """The fully qualified name RecordNameStrategy uses: an Avro record's namespace.name, a JSON Schema's title,
    a Protobuf file's package.first-message."""
    try:
        doc = parse(schema_type, text)
    except SchemaParseError:
        return None
    if schema_type == "AVRO" and isinstance(doc, dict) and isinstance(doc.get("name"), str):
        name, ns = doc["name"], doc.get("namespace")
        return name if "." in name or not ns else f"{ns}.{name}"
    if schema_type == "JSON" and isinstance(doc, dict) and isinstance(title := doc.get("title"), str):
        return title
    if schema_type == "PROTOBUF":
        import re

        message = re.search(r"\bmessage ([A-Za-z_][A-Za-z0-9_]*)", doc)
        package = re.search(r"\bpackage ([A-Za-z0-9_.]+);", doc)
        if message:
            return f"{package.group(1)}.{message.group(1)}" if package else message.group(1)
    return None


def _subject(name: str | None, entry: dict[str, Any], loc: Loc, what: str, smap: SourceMap, diags: Diagnostics,
             read_text: ReadText, topic: str | None = None, role: str | None = None) -> SubjectSpec | None:
    got = _schema_text(entry, loc, what, smap, diags, read_text)
    if got is None:
        return None
    text, from_file, source, sloc = got
    declared_type = entry.get("type")
    schema_type = str(declared_type).upper() if isinstance(declared_type, str) else (from_file or "AVRO")
    if not _check_schema(schema_type, text, sloc, what, source, diags):
        return None
    if name is None:  # a topic's schema: the subject is named by its strategy
        naming = entry.get("subject_naming", "topic")
        if naming == "topic":
            name = f"{topic}-{role}"
        else:
            record = _record_name(schema_type, text)
            if record is None:
                diags.error(smap.value_loc(entry, "subject_naming") or loc,
                            f"{what}: subject_naming {naming} needs the schema's record name (an Avro record's "
                            "name, a JSON Schema's title, a Protobuf message); use subject_naming: topic")
                return None
            name = record if naming == "record" else f"{topic}-{record}"
    return SubjectSpec(name, text, schema_type, _references(entry, loc, what, smap, diags), origin=to_origin(loc),
                       schema_origin=to_origin(sloc), schema_file=source, topic=topic, **defaulted(PLAIN, entry))


entry_word = entry_words("name", "subject")


# Hand code beside its rows (PLAIN): the schema in its canonical form and its references as the registry takes them.
def rendered(s: SubjectSpec) -> dict[str, Any]:
    """A subject as kplan registers it (`kplan render`): its type, schema (canonical form), references and plain keys
    (its level)."""
    return {"name": s.name, "schema_type": s.schema_type, "schema": canonical(s.schema_type, s.schema),
            **({"schema_file": s.schema_file} if s.schema_file else {}),
            **({"topic": s.topic} if s.topic else {}),
            "references": [{"name": r.name, "subject": r.subject,
                            "version": "latest" if r.version is None else r.version} for r in s.references],
            **{a.key: getattr(s, a.key) for a in PLAIN}, "origin": origin_data(s.origin)}


def digest_inputs(specs: Iterable[SubjectSpec]) -> Mapping[str, bytes]:
    """What a saved plan's inputs digest covers beyond the stack's files: each subject's schema (a schema_file's
    text is not in the stack file)."""
    return {x.name: x.schema.encode("utf-8") for x in specs}


def check_members(members: Iterable[Any], diags: Diagnostics) -> None:
    """Several clusters on one schema registry: a subject declared in two of them would be registered by each in
    turn and owned twice (and destroying one cluster's part would delete the other's subject). `members`: the
    stack's clusters (kplan.stackfile.member.Member: name, cluster, kinds)."""
    first: dict[tuple[str, str], str | None] = {}
    for m in members:
        if m.cluster is None or not m.cluster.schema_registry_url:
            continue
        for spec in m.kinds.get(SECTION, ()):
            key = (m.cluster.schema_registry_url, spec.name)
            if key in first and spec.origin is not None:
                diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                            f"subject {spec.name} is declared in clusters {first[key]} and {m.name}, which use the "
                            "same schema registry: a subject has one owner; declare it in one of them")
            first.setdefault(key, m.name)


def build_member(inp: "MemberPart") -> tuple[SubjectSpec, ...]:
    """One cluster's `subjects` section and its topics' key/value schemas, and the checks that need the cluster: a
    schema registry to register them in, and a level the registry honours. Nothing to build for a cluster that
    declares none (its hundred thousand topics only looked at once)."""
    topics = inp.unflagged(BORROWED)
    if not inp.lists[SECTION] and not any(isinstance(item, dict) and not _SCHEMA_KEYS.isdisjoint(item)
                                          for item, _ in topics):
        return ()
    subjects = build_subjects(inp.unflagged(SECTION), topics, inp.ctx.smap, inp.ctx.diags, inp.ctx.read_text)
    if inp.cluster is not None and inp.cluster.schema_registry_url:
        if registry_flavour(inp.cluster.schema_registry_url) == "apicurio":
            _no_subject_level_none(subjects, inp.ctx.diags)
    elif subjects and inp.cluster is not None:
        diags, what = inp.ctx.diags, inp.label
        diags.error(inp.loc, f"{what}.schema_registry is not set, but the stack declares schema subjects "
                             f"{'in this cluster ' if inp.name else ''}(set {what}.schema_registry.url "
                             "to the registry's URL)")
    return subjects


def _no_subject_level_none(subjects: tuple[SubjectSpec, ...], diags: Diagnostics) -> None:
    """Apicurio Registry reads a subject-level NONE as no level at all (the global one applies)."""
    for spec in subjects:
        if spec.compatibility == "NONE" and spec.origin is not None:
            diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                        f"subject {spec.name}: compatibility NONE on one subject has no effect on Apicurio "
                        "Registry (a subject-level NONE counts as no level: the global one applies); "
                        "choose another level, or leave compatibility unset")


def build_subjects(entries: list[tuple[Any, Loc]], topic_items: list[tuple[Any, Loc]], smap: SourceMap,
                   diags: Diagnostics, read_text: ReadText) -> tuple[SubjectSpec, ...]:
    """The declared subjects and those the topics' key/value schemas declare, by name."""
    specs: list[tuple[SubjectSpec, Loc]] = []
    for item, loc in entries:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            spec = _subject(item["name"], item, loc, f"subject {item['name']!r}", smap, diags, read_text)
            if spec is not None:
                specs.append((spec, loc))
    for item, loc in topic_items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        for key in SCHEMA_KEYS:
            entry = item.get(key)
            if entry is None:
                continue
            kloc = smap.value_loc(item, key) or loc
            if isinstance(entry, str):  # shorthand: the file's path
                entry = smap.register({"schema_file": entry}, kloc)
            if not isinstance(entry, dict):
                continue
            role = key.split("_")[0]
            spec = _subject(None, entry, kloc, f"topic {item['name']!r} {key}", smap, diags, read_text, item["name"],
                            role)
            if spec is not None:
                specs.append((spec, kloc))
    seen: dict[str, Loc] = {}
    out: dict[str, SubjectSpec] = {}
    for spec, loc in specs:
        if diags.declared_again(seen, spec.name, loc, f"subject {spec.name}",
                                "declare each subject once (in subjects, or by one topic's key_schema/value_schema)"):
            continue
        out[spec.name] = spec
    _check_cycles(out, diags)
    return tuple(out[n] for n in sorted(out))


def _check_cycles(specs: dict[str, SubjectSpec], diags: Diagnostics) -> None:
    def cycle(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            name, path = stack.pop()
            for r in specs[name].references:
                if r.subject == start:
                    return path + [start]
                if r.subject in specs and r.subject not in path:
                    stack.append((r.subject, path + [r.subject]))
        return None

    reported: set[str] = set()
    for name in sorted(specs):
        found = cycle(name)
        if found and name not in reported:
            reported.update(found)
            o = specs[name].origin
            loc = Loc(o.file, o.line, o.column) if o else Loc("<stack>", 0, 0)
            diags.error(loc, f"subject {name}: its references form a cycle ({' -> '.join(found)}); a schema cannot "
                             "reference itself")
