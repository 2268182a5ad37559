"""The sections about the cluster rather than resources the stack declares: they are not overlaid by environments,
and a several-cluster stack places each entry on one cluster (`cluster: <name>`) like a resource.

- `claims:`: the name prefixes a stack claims (docs/orphans.md), built into `Claim`s;
- `forget:`: resources the stack stops owning without deleting them (docs/stack-format.md, Handing a resource
  over), built into `Forget`s;
- `references:`: resources the stack needs but does not own — another team's topic its connector or Streams
  application reads, a connector it depends on, a subject whose compatibility its consumers rely on, a principal
  that must be allowed what it does — with what they must be (docs/stack-format.md, References), built into
  `Reference`s.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from kplan.kinds import ORDER, UNITS, claimable_sections, kind_of
from kplan.kinds.frame import EXPECTS
from kplan.model.desired import DEFAULT_CONNECT, Claim, Forget, Reference, connect_of, freeze
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.names import is_reserved_topic
from kplan.rules.units import normalize_topic_config_value
from kplan.stackfile.member import MemberInput
from kplan.words import did_you_mean


def _entries(inp: MemberInput, section: str, key: str, what: str, again: str, types: Sequence[str] = (),
             wrong: Callable[[str], str] | None = None) -> Iterator[tuple[dict[str, Any], Loc, str, Loc]]:
    """(entry, its location, its text `key`, that value's location) of each entry of `section` whose value is given
    for the first time; one given again (`what` formatting it, `again`: the hint) is one located error. With `wrong`
    the value is an address, `<type>.<name>` (`forget:`, `references:`): one of another type than `types` is an
    error too (`wrong(address)` says what to write)."""
    diags = inp.ctx.diags
    seen: dict[str, Loc] = {}
    for item, loc in inp.unflagged(section):  # (`key` is a text of each: the schema passed them)
        value = item[key]
        at = inp.ctx.smap.value_loc(item, key) or loc
        word, _, name = value.partition(".")
        if wrong is not None and (word not in types or not name):
            diags.error(at, wrong(value))
        elif not diags.declared_again(seen, value, at, what.format(value), again):
            yield item, loc, value, at


def build_claims(inp: MemberInput) -> tuple[Claim, ...]:
    """One cluster's claims, in declaration order; a prefix claimed twice, or one only kplan's or Kafka's internal
    names can have, is an error."""
    out = []
    for item, loc, prefix, at in _entries(inp, "claims", "prefix", 'the prefix "{}"',
                                          "claim a prefix once (its `kinds:` say what it covers)"):
        if is_reserved_topic(prefix):
            inp.ctx.diags.error(at, f'the prefix "{prefix}" covers only internal names (Kafka\'s, Connect\'s, the '
                                    "schema registry's or kplan's), which kplan never manages: claim your own prefix")
            continue
        out.append(Claim(prefix, item.get("prune") is True, frozenset(item.get("kinds") or claimable_sections()),
                         to_origin(loc)))
    return tuple(out)


def build_forget(inp: MemberInput) -> tuple[Forget, ...]:
    """One cluster's entries, in declaration order; an address of no kind, or one given twice, is an error."""
    # a kind no entry declares on its own (a connector's offsets request) is forgotten with what it goes with
    types = [t for t, u in zip(ORDER, UNITS) if u.section is not None]

    def wrong(address: str) -> str:
        return (f'forget: "{address}" is not a resource address: write <type>.<name>, the type one of '
                f"{', '.join(types)}{did_you_mean(address.partition('.')[0], types)}")

    return tuple(Forget(address, to_origin(loc))
                 for _, loc, address, _ in _entries(inp, "forget", "address", '"{}"', "forget a resource once",
                                                    types, wrong))


def build_references(inp: MemberInput) -> tuple[Reference, ...]:
    """One cluster's references, in declaration order; an address of another kind, one given twice, an expectation
    its kind does not take, a topic config value kplan cannot read, or a connector on a Connect cluster the stack
    does not name is an error."""
    diags, smap = inp.ctx.diags, inp.ctx.smap
    out = []
    entries = _entries(inp, "references", "address", '"{}"', "reference a resource once", tuple(EXPECTS),
                       lambda address: (f'references: "{address}" is not an address kplan can check: write '
                                        "topic.<name>, connector.<name>, subject.<name> or acl.<principal>"))
    for item, loc, address, at in entries:
        word, _, name = address.partition(".")
        expect, where, takes = dict(item.get("expect") or {}), smap.value_loc(item, "expect") or at, EXPECTS[word][1]
        if wrong := sorted(set(expect) - set(takes)):
            diags.error(where, f"references: {address} cannot expect {', '.join(wrong)} (a {word} may expect "
                        f"{', '.join(takes)})")
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
