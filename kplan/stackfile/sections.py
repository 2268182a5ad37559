"""Each resource section's builder, and `SECTIONS`, the one table the loader builds a cluster's resources from.

A builder turns one cluster's entries of its section into specs (`Built`), reporting into the load's collector.
The table's order is the order sections are built in; a cdc source's topics follow the declared topics (the
first of two duplicates is the one declared first). The other kinds' builders are in their `section.py`: a plain
list's `build_section`, or `build_member` for one that needs the cluster's whole part of the stack.
"""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter
from typing import Callable, Iterator, Mapping, NamedTuple

from kplan.kinds import borrowed_keys, stack_sections
from kplan.kinds.config_map import normalize_config
from kplan.kinds.connector.section import build_connector
from kplan.kinds.shape import defaulted
from kplan.kinds.topic.model import TopicSpec
from kplan.kinds.topic.section import build_topic, check_duplicates_and_collisions
from kplan.kinds.unit import MemberPart, StackSection
from kplan.model.cdc_preflight import ENGINE_FAMILIES, CdcPreflight
from kplan.model.desired import ConnectAccess, freeze
from kplan.model.diagnostics import Diagnostics
from kplan.model.metadata import EMPTY, Meta, meta_of
from kplan.model.source import Loc, Origin, deep_merge, to_origin
from kplan.rules.names import topic_name_problem
from kplan.stackfile.cdc import Expansion, expand
from kplan.stackfile.cdc_acls import Generated, connector_bindings, merge_generated
from kplan.stackfile.connects import choose_connects, source_key
from kplan.stackfile.derived import Merge, Merged
from kplan.stackfile.member import Built, ConnectorEntry, MemberInput, SectionBuilder, as_dict
from kplan.stackfile.mirrors import expand_mirror

# keys of a resource entry that are not its settings
NOT_SETTINGS = ("name", "cluster", *borrowed_keys("topics"))


class TopicEntry(NamedTuple):
    """A topic declared by name: checked for duplicates and collisions with every other of its cluster."""

    spec: TopicSpec | None  # None: the schema flagged it (left out, still checked for duplicates)
    name: str
    loc: Loc
    what: str  # how a duplicate error names it ("the topic", or the cdc source's topic for a table)
    meta: Meta = EMPTY  # its owner, description and labels (kplan.model.metadata)


def _named(inp: MemberInput, section: str) -> Iterator[tuple[dict, str, Loc, bool]]:
    """The section's entries that are mappings with a string name (the schema reported the others), each with
    whether the schema flagged it or its overlay."""
    flagged = inp.ctx.flagged
    for item, loc in inp.lists[section]:
        if isinstance(item, dict) and isinstance(name := item.get("name"), str):
            yield item, name, loc, id(item) in flagged.items or name in flagged.overlays[section]


def build_topics(inp: MemberInput) -> Built:
    """The topics declared by name, each with the defaults under it and its environment overlay over it. One loop
    with what every entry needs looked up once: a stack may declare a hundred thousand."""
    ctx = inp.ctx
    smap, diags, agg = ctx.smap, ctx.diags, ctx.checks["topics"]
    defaults, meta_default, loop_items = ctx.topic_defaults, ctx.meta_default, ctx.loop_items
    flagged_items, flagged_names = ctx.flagged.items, ctx.flagged.overlays["topics"]
    overlaid = ctx.overlays.entries["topics"]
    out = []
    for item, loc in inp.lists["topics"]:
        if not isinstance(item, dict):
            continue  # the schema reported it
        name = item.get("name")
        if not isinstance(name, str):
            continue
        what = f"the topic ({loop_items[id(item)]})" if loop_items and id(item) in loop_items else "the topic"
        if id(item) in flagged_items or name in flagged_names:
            ctx.overlays.used["topics"].add(name)
            out.append(TopicEntry(None, name, loc, what))  # still checked for duplicates
            continue
        if defaults or None in item.values():
            settings = deep_merge(defaults, {k: v for k, v in item.items() if k not in NOT_SETTINGS}, smap, loc)
        else:  # what that merge would give, to build_topic and meta_of (neither reads NOT_SETTINGS' keys): no copy
            settings = item
        over = ctx.overlays.use("topics", name) if name in overlaid else None
        if over is not None:
            settings = deep_merge(settings, over, smap, loc)
        problem = topic_name_problem(name)  # its location made only for a message
        if problem:
            diags.error(smap.value_loc(item, "name") or loc, problem)
        spec = build_topic(name, settings, smap, diags, agg, loc)
        out.append(_new_tuple(TopicEntry, (spec, name, loc, what, meta_of(settings, meta_default))))
    return Built(given={"topics": tuple(out)})


# TopicEntry(...) without its generated Python `__new__` (the same tuple of all five fields): one per declared topic
_new_tuple = tuple.__new__


def build_connectors(inp: MemberInput) -> Built:
    """The connectors declared by name: the defaults, then the entry, then its environment overlay."""
    ctx = inp.ctx
    out = []
    for item, name, loc, flagged in _named(inp, "connectors"):
        if flagged:
            ctx.overlays.used["connectors"].add(name)
            out.append(ConnectorEntry(None, name, loc))  # still checked for duplicates
            continue
        declared = {k: v for k, v in item.items() if k not in NOT_SETTINGS}
        over = ctx.overlays.use("connectors", name)
        if over is not None:
            declared = deep_merge(declared, over, ctx.smap, loc)
        settings = deep_merge(ctx.connector_defaults, declared, ctx.smap, loc)
        layers = [normalize_config(as_dict(settings.get("config")), ctx.smap, ctx.diags, loc)]
        pin_from = over if isinstance(over, dict) and "plugin_version" in over else item  # where it is written
        pinned = ((settings["plugin_version"], ctx.smap.value_loc(pin_from, "plugin_version") or loc)
                  if "plugin_version" in settings else None)
        out.append(ConnectorEntry(build_connector(name, settings, layers, ctx.smap, ctx.diags, loc, pinned=pinned),
                                  name, loc, meta_of(settings, ctx.meta_default)))
    return Built(given={"connectors": tuple(out)})


def build_cdc(inp: MemberInput) -> Built:
    """Each cdc source: its connector, the topics it generates and its principal's ACL bindings."""
    ctx = inp.ctx
    topics: list[TopicEntry] = []
    connectors: list[ConnectorEntry] = []
    acls: list[Generated] = []
    for item, name, loc, flagged in _named(inp, "cdc"):
        if flagged:
            ctx.overlays.used["cdc"].add(name)
            ctx.overlays.used["connectors"].add(name)
            connectors.append(ConnectorEntry(None, name, loc))
            ctx.overlays.unknown.add("topics")  # the names of the topics it would generate are unknown
            continue
        over = ctx.overlays.use("cdc", name)
        source = item if over is None else deep_merge(item, over, ctx.smap, loc)
        _cdc_source(inp, name, source, loc, topics, connectors, acls)
    return Built(given={"topics": tuple(topics), "connectors": tuple(connectors), "acls": tuple(acls)})


def build_mirrors(inp: MemberInput) -> Built:
    """Each mirror: MirrorMaker 2's connectors on this (the target) cluster, built as declared connectors are
    (defaults.connector does not apply: they are kplan's to configure), each carrying the mirror."""
    from kplan.kinds.connector.keys import MIRRORS  # the table, loaded by a stack with a mirror only

    ctx = inp.ctx
    out = []
    for item, name, loc, flagged in _named(inp, "mirrors"):
        if flagged:
            continue
        expanded = expand_mirror(item, MIRRORS.attrs, inp.name, inp.cluster, ctx.clusters, ctx.smap, ctx.diags, loc)
        if expanded is None:
            continue
        mirror, connectors = expanded
        meta = meta_of(item, ctx.meta_default)
        for cname, settings in connectors.items():
            settings = {**settings, **({"connect": item["connect"]} if isinstance(item.get("connect"), str) else {})}
            layers = [normalize_config(settings["config"], ctx.smap, ctx.diags, loc)]
            spec = build_connector(cname, settings, layers, ctx.smap, ctx.diags, loc)
            origin = Origin(loc.file, loc.line, loc.column, role=f"mirror {name}")
            out.append(ConnectorEntry(replace(spec, mirror=mirror, origin=origin) if spec is not None else None,
                                      cname, loc, meta))
    return Built(given={"connectors": tuple(out)})


def _preflight(name: str, source: dict, exp: Expansion) -> CdcPreflight | None:
    """What plan checks at the source's database (None for an engine without checks)."""
    family = ENGINE_FAMILIES.get(str(source.get("engine")).lower())
    if family is None:
        return None
    from kplan.kinds.connector.keys import PREFLIGHT  # the table, loaded by a stack with a cdc source only

    origins = {t.table: to_origin(t.loc, name, t.table, "table") for t in exp.topics if t.role == "table" and t.table}
    return CdcPreflight(family, defaulted((PREFLIGHT,), source)["preflight"], freeze(origins))


def _cdc_source(inp: MemberInput, name: str, source: dict, loc: Loc, topics: list[TopicEntry],
                connectors: list[ConnectorEntry], acls: list[Generated]) -> None:
    """One cdc source, expanded: its topics, connector and generated bindings appended to the lists given."""
    ctx, cluster = inp.ctx, inp.cluster
    exp = expand(source, loc, cluster.bootstrap_servers if cluster else "", ctx.topic_defaults,
                 ctx.connector_defaults, ctx.templates, ctx.smap, ctx.diags,
                 (cluster.schema_registry_url, cluster.schema_registry) if cluster else (None, ConnectAccess()))
    if exp is None:
        return
    meta = meta_of(source, ctx.meta_default)  # everything the source generates is its owner's
    generated = _generated_topics(inp, source_key(cluster, name, source.get("connect")), exp, meta)
    topics.extend(generated)
    settings = exp.connector_settings if source.get("connect") is None else {**exp.connector_settings,
                                                                              "connect": source["connect"]}
    exp.fields.update(requires_topics=tuple(t.name for t in generated), preflight=_preflight(name, source, exp))
    spec = build_connector(
        name, settings, exp.layers, ctx.smap, ctx.diags, loc, cdc_source=name, offsets=source.get("offsets"),
        pinned=(source["plugin_version"], ctx.smap.value_loc(source, "plugin_version") or loc)
        if "plugin_version" in source else None, **exp.fields)
    connectors.append(ConnectorEntry(spec, name, loc, meta))
    principal = source.get("principal")
    if spec is not None and isinstance(principal, str):
        ploc = ctx.smap.value_loc(source, "principal") or loc
        acls.append(Generated(
            principal, name, connector_bindings(((g.name, g.role) for g in exp.topics), spec.config),
            Origin(ploc.file, ploc.line, ploc.column, cdc_source=name, role="principal"), meta))


def _generated_topics(inp: MemberInput, source: str, exp: Expansion, meta: Meta) -> list[TopicEntry]:
    """The topics a cdc source generates, each with its environment overlay (a flagged overlay: left out)."""
    ctx = inp.ctx
    out = []
    for gen in exp.topics:
        if gen.name in ctx.flagged.overlays["topics"]:
            ctx.overlays.used["topics"].add(gen.name)
            continue
        settings = gen.settings
        over = ctx.overlays.use("topics", gen.name)
        if over is not None:
            settings = deep_merge(settings, over, ctx.smap, gen.loc)
        if problem := topic_name_problem(gen.name):
            ctx.diags.error(gen.loc, problem)
        spec = build_topic(gen.name, settings, ctx.smap, ctx.diags, ctx.checks["topics"], gen.loc, cdc_source=source,
                           table=gen.table, role=gen.role)
        what = (f"the topic of table {gen.table}" if gen.role == "table" else f"the {gen.role} topic") + (
            f' generated by cdc source "{source}"')  # as a duplicate's error names it
        out.append(TopicEntry(spec, gen.name, gen.loc, what, meta))
    return out


def _kind_section(name: str, registered: StackSection) -> SectionBuilder:
    """A kind's section (`StackSection`): a plain list of entries (`build_section`: entries -> specs), or one
    built from the cluster's whole part of the stack (`build_member`: MemberInput -> specs)."""
    if registered.member:
        def member(inp: MemberInput) -> Built:
            part: MemberPart = inp  # what such a section is given (mypy checks the loader's input is one)
            specs = registered.build(part)
            return Built(specs=specs, meta=entries_meta(inp, name, specs, lambda item, loc: {item.get("name")}))
        return member
    build: Callable = registered.build

    def section(inp: MemberInput) -> Built:
        specs = build(inp.unflagged(name), inp.ctx.smap, inp.ctx.diags)

        def names_of(item: dict, loc: Loc) -> set:
            return {s.name for s in build([(item, loc)], inp.ctx.smap, Diagnostics())}
        return Built(specs=specs, meta=entries_meta(inp, name, specs, names_of))
    return section


def entries_meta(inp: MemberInput, section: str, specs,
                 names_of: Callable[[dict, Loc], set] | None = None) -> dict[str, Meta]:
    """The owner, description and labels of each spec a kind's section built, read from the entry it was built
    from (the one declared where the spec's origin points) over the stack's defaults: the one place every kind's
    entries get them, so a kind needs no code of its own for it. A spec no entry of the section declares (a
    resource borrowed from another section's entry, like a topic's `key_schema`) gets the defaults only. Entries
    declared at one place (a for_each entry's expansions, flow-style entries on one line) whose metadata differ
    are told apart by `names_of(entry, loc)`: the names of what the entry alone builds."""
    default = inp.ctx.meta_default
    by_place: dict[tuple[str, int], list[tuple[dict, Loc]]] = {}
    for item, loc in inp.lists.get(section, ()):
        if isinstance(item, dict):
            by_place.setdefault((loc.file, loc.line), []).append((item, loc))
    out: dict[str, Meta] = {}
    for spec in specs:
        origin = getattr(spec, "origin", None)
        placed = by_place.get((origin.file, origin.line), []) if origin is not None else []
        metas = [meta_of(item, default) for item, _ in placed]
        if any(m != metas[0] for m in metas) and names_of is not None:
            metas = [m for m, (item, loc) in zip(metas, placed) if spec.name in names_of(item, loc)] or metas
        out.setdefault(spec.name, metas[-1] if metas else default)
    return out


# section name (its key in the stack file, `merge.LISTS`) -> its builder, in the order they are built
SECTIONS: Mapping[str, SectionBuilder] = {
    "topics": build_topics,
    "connectors": build_connectors,
    "cdc": build_cdc,
    "mirrors": build_mirrors,
    **{name: _kind_section(name, registered) for name, registered in stack_sections().items()},
}


# -- what entries give the topics, connectors and acls sections (kplan.stackfile.derived) --------------------

def _merge_topics(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """Topic entries (declared, or a cdc source's): every one checked against every other of its cluster."""
    entries = list(given)
    check_duplicates_and_collisions(entries, inp.ctx.diags)
    inp.ctx.overlays.declared["topics"].extend(e.name for e in entries)
    return _merged_entries("topics", entries, own_meta)


def _merge_connectors(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """Connector entries (declared, or a cdc source's), each placed on its Connect cluster."""
    inp.ctx.overlays.declared["connectors"].extend(e.name for e in given)
    entries = choose_connects(list(given), inp.cluster, inp.loc, inp.label, inp.name, inp.ctx.diags)
    _check_connector_duplicates(entries, inp.ctx.diags)
    merged = _merged_entries("connectors", entries, own_meta)
    for e in entries:  # a connector's offsets request (offsets.<name>) is its entry's: the entry's metadata
        if e.spec is not None and e.spec.offsets is not None:
            merged.meta.setdefault(("offsets", e.name), e.meta)
    return merged


def _merge_acls(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """The declared principals' entries with the bindings cdc sources generate for theirs (`merge_generated`); a
    generated principal's metadata is its source's, unless an `acls` entry declares the principal."""
    meta = {("acls", n): m for n, m in own_meta.items()}
    for gen in given:
        current = meta.get(("acls", gen.principal))
        if current is None or (current.empty and not gen.meta.empty and gen.principal not in own_meta):
            meta[("acls", gen.principal)] = gen.meta
    return Merged(merge_generated(own, list(given), inp.ctx.diags), meta)


def _merged_entries(section: str, entries: list, own_meta: Mapping[str, Meta]) -> Merged:
    """The entries' specs sorted by name, and each resource's metadata: its first declaration's (only entries that
    built a spec)."""
    out: dict[tuple[str, str], Meta] = {}
    for e in entries:
        if e.spec is not None:
            out.setdefault((section, e.name), e.meta)
    for name, meta in own_meta.items():
        out.setdefault((section, name), meta)
    return Merged(tuple(sorted((e.spec for e in entries if e.spec is not None), key=attrgetter("name"))), out)


def _check_connector_duplicates(entries, diags: Diagnostics) -> None:
    seen: dict[str, Loc] = {}
    for _spec, name, loc, _meta in entries:
        if name in seen:
            first = seen[name]
            diags.error(loc, f'duplicate connector "{name}" (also declared at {first.file}:{first.line}; a cdc source '
                             "declares a connector of its own name)")
        else:
            seen[name] = loc


MERGES: Mapping[str, Merge] = {"topics": _merge_topics, "connectors": _merge_connectors, "acls": _merge_acls}
