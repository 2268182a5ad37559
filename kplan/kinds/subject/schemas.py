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

from kplan.kinds.subject.model import SchemaReference

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
        text_form: str = doc  # Protobuf's document is its canonical text (`parse`)
        return text_form
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


_PROTO_TOKEN = re.compile("|".join((
    r'"(?:\\.|[^"\\\n])*"', r"'(?:\\.|[^'\\\n])*'",  # string literals, kept as written
    r"//[^\n]*", r"/\*.*?\*/",  # comments
    r"\s+", r"[;{}=()<>,\[\]]", r"""[^\s;{}=()<>,\[\]"'/]+""", r"/",
)), re.DOTALL)
_PROTO_PUNCT = frozenset(";{}=()<>,[]")


def _proto_canonical(text: str) -> str:
    """Without comments, whitespace collapsed and none around punctuation — outside string literals, which are kept
    as written (a single-quoted one in double quotes)."""
    tokens: list[str] = []
    for tok in _PROTO_TOKEN.findall(text):
        if tok.startswith(("//", "/*")) or tok.isspace():
            if tokens and tokens[-1] != " ":
                tokens.append(" ")
            continue
        if tok.startswith("'") and '"' not in tok:
            tok = '"' + tok[1:-1] + '"'
        tokens.append(tok)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok == " " and (not out or out[-1] in _PROTO_PUNCT or i + 1 >= len(tokens) or tokens[i + 1] in _PROTO_PUNCT):
            continue
        out.append(tok)
    return "".join(out).strip()


# -- outline and diff --------------------------------------------------------------------------------------------


def parts(schema_type: str, text: str) -> dict[tuple[str, ...], str]:
    """The schema's parts by path (under `schema`), each value whole (compact JSON, or a Protobuf statement)."""
    try:
        doc = parse(schema_type, text)
    except SchemaParseError:
        return {(): text.strip()}
    if schema_type == "PROTOBUF":
        return {(f"#{i + 1}",): x for i, x in enumerate(_proto_statements(doc))}
    out: dict[tuple[str, ...], str] = {}
    if schema_type == "AVRO":
        _avro_parts(doc, (), out)
    else:
        _json_parts(doc, (), out)
    return out


def outline(schema_type: str, text: str) -> dict[tuple[str, ...], str]:
    """The parts as a plan lists them for a new subject (long values shortened for display only)."""
    return {p: _clip(v) for p, v in parts(schema_type, text).items()}


def diff(schema_type: str, live: str, declared: str) -> list[tuple[tuple[str, ...], str | None, str | None]]:
    """(path, live value, declared value) of each part that differs (None: absent), in path order — compared whole,
    shortened only for display; one entry for the whole schema when its parts are the same but their order is not
    (field order is part of an Avro schema)."""
    if schema_type == "PROTOBUF":
        return _proto_diff(live, declared)
    before, after = parts(schema_type, live), parts(schema_type, declared)
    out = [(p, *_clip_pair(before.get(p), after.get(p)))
           for p in sorted(set(before) | set(after)) if before.get(p) != after.get(p)]
    if not out and canonical(schema_type, live) != canonical(schema_type, declared):
        out.append((("order",), _clip(_compact(list(before))), _clip(_compact(list(after)))))
    return out


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"),
                                                           ensure_ascii=False)


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT - 1] + "…"


def _clip_or_none(text: str | None) -> str | None:
    return None if text is None else _clip(text)


def _clip_pair(a: str | None, b: str | None) -> tuple[str | None, str | None]:
    """Two values of one part, shortened for display around where they first differ (so a difference past the
    display limit still shows)."""
    if a is None or b is None or (len(a) <= SHOWN_LIMIT and len(b) <= SHOWN_LIMIT):
        return _clip_or_none(a), _clip_or_none(b)
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, i - SHOWN_LIMIT // 4)

    def window(text: str) -> str:
        piece = text[start:start + SHOWN_LIMIT - 2]
        return ("…" if start else "") + piece + ("…" if start + len(piece) < len(text) else "")

    return window(a), window(b)


def _avro_parts(doc: Any, path: tuple[str, ...], out: dict[tuple[str, ...], str]) -> None:
    """A record: its name, doc and other attributes, and each field by name; a field whose type holds a record
    (itself, as a union branch, or as an array's items / a map's values) has that record's parts under the field's
    path (`fields.address.type.Address`); anything else is one part."""
    if isinstance(doc, dict) and doc.get("type") in ("record", "error") and isinstance(doc.get("fields"), list):
        for key in sorted(k for k in doc if k != "fields"):
            out[path + (key,)] = _compact(doc[key])
        for f in doc["fields"]:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                out[path + ("fields", _compact(f))] = _compact(f)
                continue
            fpath = path + ("fields", f["name"])
            rest = {k: v for k, v in f.items() if k != "name"}
            nested: list[tuple[str, dict[str, Any]]] = []
            outlined = _outline_type(rest.get("type"), nested)
            if not nested:
                out[fpath] = _compact(rest["type"] if set(rest) == {"type"} else rest)
                continue
            # the field's own attributes, each inline record by its name; then the records' parts
            out[fpath] = _compact({**rest, "type": outlined})
            for name, record in nested:
                _avro_parts(record, fpath + ("type", name), out)
        return
    out[path or ("type",)] = _compact(doc)


def _outline_type(t: Any, records: list[tuple[str, dict[str, Any]]]) -> Any:
    """A type with each record it defines inline (itself, union branches, array items, map values) replaced by its
    name (the record's parts are listed on their own); those records are added to `records`."""
    if isinstance(t, dict):
        if t.get("type") in ("record", "error") and isinstance(t.get("name"), str):
            records.append((t["name"], t))
            return t["name"]
        inner = {"array": "items", "map": "values"}.get(str(t.get("type")))
        return {**t, inner: _outline_type(t.get(inner), records)} if inner else t
    if isinstance(t, list):
        return [_outline_type(b, records) for b in t]
    return t


def _json_parts(doc: Any, path: tuple[str, ...], out: dict[tuple[str, ...], str]) -> None:
    """A JSON Schema object: each property by name (nested objects too), and its other keywords."""
    if isinstance(doc, dict) and isinstance(doc.get("properties"), dict):
        for key in sorted(k for k in doc if k != "properties"):
            out[path + (key,)] = _compact(doc[key])
        for name, sub in sorted(doc["properties"].items()):
            _json_parts(sub, path + ("properties", str(name)), out)
        return
    out[path or ("type",)] = _compact(doc)


def _proto_statements(canonical_text: str) -> list[str]:
    """A canonical Protobuf text as its statements (`message Ev{`, `string id=1;`, `}`), one per line (a `;`, `{`
    or `}` inside a string literal does not end one)."""
    out, current = [], ""
    for tok in re.findall(r'"(?:\\.|[^"\\])*"|[^"]', canonical_text):
        current += tok
        if tok in (";", "{", "}"):
            out.append(current)
            current = ""
    return [x for x in out + [current] if x]


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
            out.append(((f"#{(j1 + k if new is not None else i1 + k) + 1}",), *_clip_pair(old, new)))
    return out
