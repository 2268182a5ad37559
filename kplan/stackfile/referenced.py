"""The `references:` section: resources the stack needs but does not own — another team's topic its connector or
Streams application reads, a connector it depends on, a subject whose compatibility its consumers rely on, a
principal that must be allowed what it does — with what they must be (docs/stack-format.md, References), built into
`Reference`s. Placed like a claim on one cluster of a several-cluster stack."""

from __future__ import annotations

from typing import Any

from kplan.kinds import kind_of
from kplan.model.desired import DEFAULT_CONNECT, Reference, connect_of, freeze
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import normalize_topic_config_value
from kplan.stackfile.forget import addressed_entries
from kplan.stackfile.member import MemberInput

# the kinds a reference may name, and what each may expect (the schema checks the values' types; the kind makes
# the form it compares, `Kind.expectation`)
EXPECTATIONS = {"topic": ("min_partitions", "min_replication_factor", "config"), "connector": ("state", "config"),
                "subject": ("compatibility", "version"), "acl": ("produce", "consume", "allow")}


def build_references(inp: MemberInput) -> tuple[Reference, ...]:
    """One cluster's references, in declaration order; an address of another kind, one given twice, an expectation
    its kind does not take, a topic config value kplan cannot read, or a connector on a Connect cluster the stack
    does not name is an error."""
    diags, smap = inp.ctx.diags, inp.ctx.smap
    out = []
    entries = addressed_entries(inp, "references", tuple(EXPECTATIONS), lambda address: (
        f'references: "{address}" is not an address kplan can check: write topic.<name>, connector.<name>, '
        "subject.<name> or acl.<principal>"), "reference a resource once")
    for item, loc, address, at in entries:
        word, _, name = address.partition(".")
        expect = dict(item.get("expect") or {}) if isinstance(item.get("expect"), dict) else {}
        where = smap.value_loc(item, "expect") or at
        wrong = sorted(set(expect) - set(EXPECTATIONS[word]))
        if wrong:
            diags.error(where, f"references: {address} cannot expect "
                        f"{', '.join(wrong)} (a {word} may expect {', '.join(EXPECTATIONS[word])})")
            continue
        if word == "connector" and inp.cluster is not None and connect_of(name) not in inp.cluster.connect_names():
            connect = connect_of(name)
            diags.error(at, f"references: {address}: the stack names no Kafka Connect cluster "
                        + ("(cluster.connect)" if connect == DEFAULT_CONNECT else f"{connect!r} (cluster.connect)"))
            continue
        if word == "topic" and isinstance(expect.get("config"), dict):
            config = {}
            for key, raw in expect["config"].items():
                try:
                    config[str(key)] = normalize_topic_config_value(str(key), raw)
                except ValueError as e:
                    diags.error(smap.value_loc(expect["config"], key) or at, f"references: {address}: {e}")
            expect["config"] = freeze(config)
        elif isinstance(expect.get("config"), dict):
            expect["config"] = freeze({str(k): str(v) for k, v in expect["config"].items()})
        made, problems = kind_of(word).expectation(expect)
        for path, message in problems:
            diags.error(_loc(smap, item.get("expect"), path) or where, f"references: {address}: {message}")
        if not problems:
            out.append(Reference(address, freeze(dict(made)), to_origin(loc)))
    return tuple(out)


def _loc(smap: SourceMap, expect: Any, path: str) -> Loc | None:
    """Where a kind's problem with an expectation is: at `key`, or at `key[i]`."""
    key, _, index = path.partition("[")
    if not key or not isinstance(expect, dict):
        return None
    if index and isinstance(expect.get(key), list):
        return smap.value_loc(expect[key], int(index.rstrip("]")))
    return smap.value_loc(expect, key)
