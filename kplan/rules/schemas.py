"""Schemas as documents: canonical forms (so whitespace, key order and `{"type": "int"}` vs `"int"` never make a
difference), their digest, and a readable outline and diff of two schemas for plans. Pure.

A schema is judged by its canonical form, never by its text:
* Avro: the parsed JSON with keys sorted and a type written as `{"type": "<primitive>"}` alone reduced to the
  primitive; the order of fields, union branches and enum symbols is kept (it is part of the schema);
* JSON Schema: the parsed JSON with keys sorted;
* Protobuf: the text without comments, with whitespace collapsed and none around punctuation.

The diff of two schemas is by part: an Avro record's fields by name (nested records too), a JSON Schema's
properties by name, a Protobuf file's statements; each part's value is shown as compact JSON (or text).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable

from kplan.model.desired import SchemaReference

AVRO_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
SHOWN_LIMIT = 160  # characters of one part's value in a plan


class SchemaParseError(ValueError):
    """A schema that is not what its type says (unparsable JSON for Avro / JSON Schema)."""


def parse(schema_type: str, text: str) -> Any:
    """The schema as a document: parsed JSON for Avro and JSON Schema, the canonical text for Protobuf."""
    if schema_type == "PROTOBUF":
        return _proto_canonical(text)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise SchemaParseError(f"not valid JSON: {e}") from None
    return _avro_normal(doc) if schema_type == "AVRO" else doc


def canonical(schema_type: str, text: str) -> str:
    """The canonical form of a schema's text; an unparsable schema is its stripped text (it then differs from any
    parsable one, and the loader or the registry reports it)."""
    try:
        doc = parse(schema_type, text)
    except SchemaParseError:
        return text.strip()
    if schema_type == "PROTOBUF":
        return doc
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_digest(schema_type: str, text: str, references: Iterable[SchemaReference]) -> str:
    """What the ownership record keeps of a registered schema: its type, canonical form and references (names
    and subjects: a reference to `latest` is resolved only when registered)."""
    doc = {"type": schema_type, "schema": canonical(schema_type, text),
           "references": sorted([r.name, r.subject] for r in references)}
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def same_schema(schema_type: str, a: str, b: str) -> bool:
    return a == b or canonical(schema_type, a) == canonical(schema_type, b)


def _avro_normal(doc: Any) -> Any:
    if isinstance(doc, dict):
        if set(doc) == {"type"} and isinstance(doc["type"], str) and doc["type"] in AVRO_PRIMITIVES:
            return doc["type"]
        return {k: _avro_normal(doc[k]) for k in sorted(doc)}
    if isinstance(doc, list):
        return [_avro_normal(v) for v in doc]
    return doc


_PROTO_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_PROTO_PUNCT = re.compile(r"\s*([;{}=()<>,\[\]])\s*")


def _proto_canonical(text: str) -> str:
    out = _PROTO_COMMENT.sub(" ", text)
    out = " ".join(out.split())
    return _PROTO_PUNCT.sub(r"\1", out).strip()


# -- outline and diff --------------------------------------------------------------------------------------------

Part = tuple[tuple[str, ...], str]  # (path under "schema", the part's value as shown)


def outline(schema_type: str, text: str) -> dict[tuple[str, ...], str]:
    """The schema's parts by path (under `schema`): what a plan lists for a new subject and compares by part."""
    try:
        doc = parse(schema_type, text)
    except SchemaParseError:
        return {(): _shown(text.strip())}
    if schema_type == "PROTOBUF":
        return {(f"#{i + 1}",): s for i, s in enumerate(_proto_statements(doc))}
    parts: dict[tuple[str, ...], str] = {}
    if schema_type == "AVRO":
        _avro_parts(doc, (), parts)
    else:
        _json_parts(doc, (), parts)
    return parts


def diff(schema_type: str, live: str, declared: str) -> list[tuple[tuple[str, ...], str | None, str | None]]:
    """(path, live value, declared value) of each part that differs (None: absent), in path order; one entry for
    the whole schema when its parts are the same but their order is not (field order is part of an Avro schema)."""
    if schema_type == "PROTOBUF":
        return _proto_diff(live, declared)
    before, after = outline(schema_type, live), outline(schema_type, declared)
    out = [(p, before.get(p), after.get(p)) for p in sorted(set(before) | set(after)) if before.get(p) != after.get(p)]
    if not out and canonical(schema_type, live) != canonical(schema_type, declared):
        out.append((("order",), _shown(list(before)), _shown(list(after))))
    return out


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"),
                                                             ensure_ascii=False)
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT - 1] + "…"


def _avro_parts(doc: Any, path: tuple[str, ...], parts: dict) -> None:
    """A record: its name, doc and each field by name (a field whose type is itself a record: that record's parts
    under the field's path); anything else: one part."""
    if isinstance(doc, dict) and doc.get("type") == "record" and isinstance(doc.get("fields"), list):
        for key in sorted(k for k in doc if k != "fields"):
            parts[path + (key,)] = _shown(doc[key])
        for f in doc["fields"]:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                parts[path + ("fields", _shown(f))] = _shown(f)
                continue
            fpath = path + ("fields", f["name"])
            ftype = f.get("type")
            if isinstance(ftype, dict) and ftype.get("type") == "record":
                rest = {k: v for k, v in f.items() if k not in ("name", "type")}
                if rest:
                    parts[fpath] = _shown(rest)
                _avro_parts(ftype, fpath + ("type",), parts)
            else:
                rest = {k: v for k, v in f.items() if k != "name"}
                parts[fpath] = _shown(rest["type"] if set(rest) == {"type"} else rest)
        return
    parts[path or ("type",)] = _shown(doc)


def _json_parts(doc: Any, path: tuple[str, ...], parts: dict) -> None:
    """A JSON Schema object: each property by name (nested objects too), and its other keywords."""
    if isinstance(doc, dict) and isinstance(doc.get("properties"), dict):
        for key in sorted(k for k in doc if k != "properties"):
            parts[path + (key,)] = _shown(doc[key])
        for name, sub in sorted(doc["properties"].items()):
            _json_parts(sub, path + ("properties", str(name)), parts)
        return
    parts[path or ("type",)] = _shown(doc)


def _proto_statements(canonical_text: str) -> list[str]:
    """A canonical Protobuf text as its statements (`message Ev{`, `string id=1;`, `}`), one per line."""
    return [s for s in re.split(r"(?<=[;{}])", canonical_text) if s]


def _proto_diff(live: str, declared: str) -> list[tuple[tuple[str, ...], str | None, str | None]]:
    import difflib

    a = _proto_statements(_proto_canonical(live))
    b = _proto_statements(_proto_canonical(declared))
    out: list[tuple[tuple[str, ...], str | None, str | None]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            old = a[i1 + k] if i1 + k < i2 else None
            new = b[j1 + k] if j1 + k < j2 else None
            out.append(((f"#{(j1 + k if new is not None else i1 + k) + 1}",), old, new))
    return out
