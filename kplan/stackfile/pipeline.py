"""Loading a stack end to end: read files, substitute variables, expand for_each entries, check the schema, combine
documents, apply the selected environment overlay and defaults, expand CDC sources, build the model and run the
semantic checks.

Every step reports into one Diagnostics collector and carries on where it safely can, so that one run shows
every problem. A Stack is returned only when there is no error.
"""

from __future__ import annotations

import gc
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from operator import itemgetter
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, Sequence

from kplan.kinds import scoped_sections, stack_sections
from kplan.kinds.config_map import normalize_config, warn_plaintext_secrets
from kplan.kinds.frame import THROTTLE, TIMEOUT
from kplan.kinds.shape import read_rows
from kplan.model.desired import ClusterSpec, SecretCommand, Stack, freeze
from kplan.model.diagnostics import Diagnostic, Diagnostics, Severity, entry_words
from kplan.model.metadata import Meta, meta_of
from kplan.model.source import Loc, SourceMap, deep_merge
from kplan.stackfile.claims import build_claims, build_forget, build_references
from kplan.stackfile.connect_access import build_connects, build_registry
from kplan.stackfile.derived import merged
from kplan.stackfile.engines import EngineTemplates
from kplan.stackfile.for_each import expand_loops, loop_entries
from kplan.stackfile.member import OVERLAID, Context, Flagged, Member, MemberInput, Overlays, as_dict
from kplan.stackfile.merge import LISTS, SECTION_OF, collect_vars_and_envs, combine
from kplan.stackfile.policy import load_policy
from kplan.stackfile.schema import validate_document
from kplan.stackfile.secret_commands import build_secret_commands
from kplan.stackfile.sections import MERGES, SECTIONS
from kplan.stackfile.variables import Resolver, substitute_tree
from kplan.stackfile.yamlsrc import load_path
from kplan.words import closest, meant


def validate_stack(path, environment: str | None = None, environ: Mapping[str, str] | None = None,
                   template_dirs: Sequence = (), environments_out: list | None = None,
                   on_cluster: Callable[[ClusterPreview], None] | None = None, with_policy: bool = False,
                   ) -> tuple[Stack | None, list[Diagnostic]]:
    """Load and check a stack for one environment (None: the base stack). Returns the Stack (None if there
    is any error) and every diagnostic, errors and warnings, sorted by file and line. `environ` (default
    os.environ) supplies the ${VAR} values; `template_dirs` are searched for CDC engine templates before the built-in
    ones. `environments_out`, when given, receives the names of the environments the stack declares (so `validate`
    reads the files once).
    `on_cluster`, when given, is called early — before the resources are checked and expanded — with a
    `ClusterPreview` if the cluster settings are already certain, so a caller can start reading the cluster
    while the rest of the stack loads (it must still compare the preview with the loaded stack's).
    `with_policy`: also check the stack against its policy (`kplan validate`); a violation of an error-level rule
    is an error (no Stack). Without it the policy is the planner's to check (the plan shows its findings)."""
    env = os.environ if environ is None else environ
    smap = SourceMap()
    diags = Diagnostics()
    with _no_collection():
        stack = _load(os.fspath(path), environment, env, [os.fspath(d) for d in template_dirs], smap, diags,
                      environments_out, on_cluster)
    items = diags.items
    if diags.has_errors:
        return None, items
    if with_policy and stack is not None:
        from kplan.policy.check import check_policy

        found = check_policy(stack)
        items = sorted(items + list(found), key=Diagnostic.sort_key)
        if any(d.is_error for d in found):
            return None, items
    return stack, items


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a stack loads, and what the load made then moved to the oldest
    generation unscanned (a freeze and unfreeze, when nothing else is frozen): the load builds millions of
    long-lived objects (documents, locations, specs) and almost no cycles, and collections would scan them over
    and over — a sixth of `kplan validate`'s CPU at 100,000 topics. A later full collection still sees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _load(path: str, environment: str | None, environ: Mapping[str, str], template_dirs: list[str],
          smap: SourceMap, diags: Diagnostics, environments_out: list | None = None,
          on_cluster: Callable[[ClusterPreview], None] | None = None) -> Stack | None:
    files, docs = load_path(path, smap, diags)
    if not docs:
        return None
    read = _read(docs, environment, environ, smap, diags, environments_out, on_cluster)
    if read is None:
        return None
    flagged, loop_items = read

    _, envs = collect_vars_and_envs(docs, smap, Diagnostics())  # again, now substituted
    overlay = as_dict(envs.get(environment)) if environment else {}
    comb = combine(docs, smap, diags)
    first = comb.first_loc or docs[0].loc
    if comb.name is None:
        diags.error(first, 'the stack has no name: add "stack: <name>" (the scope that owns its resources)')
    clusters = _clusters(comb, overlay, first, smap, diags)
    ctx = _context(comb, overlay, first, template_dirs, flagged, smap, diags)
    ctx.loop_items = loop_items
    ctx.clusters = {n: c for n, (c, _) in clusters.items() if n is not None and c is not None}  # a mirror's source
    placed = _place(comb, clusters, smap, diags)
    members = [_member(ctx, name, cluster, cloc, placed.get(name, _no_lists()))
               for name, (cluster, cloc) in clusters.items()]
    for registered in stack_sections().values():  # a kind's checks across the clusters of a several-cluster stack
        if registered.check_members is not None:
            registered.check_members(members, diags)
    secret_commands = build_secret_commands(comb.single.get("secret_commands", (None, None))[0],
                                            overlay.get("secret_commands"), smap, diags, first)
    policy_section, policy_holder = comb.single.get("policy", (None, None))
    policy, policy_files = load_policy(policy_section, policy_holder, smap, diags)
    for checks in ctx.checks.values():  # each kind's checks across the whole stack, reported once
        checks.flush(diags)
    _unused_overlays(environment, overlay, comb, ctx.overlays, smap, diags)

    if diags.has_errors or comb.name is None or any(m.cluster is None for m in members) or not members:
        return None
    authoritative = overlay.get("authoritative_config", comb.single.get("authoritative_config", (False, None))[0])
    common = dict(
        name=comb.name,
        environment=environment,
        authoritative_config=authoritative is True,
        files=tuple(f.display for f in files),
        inputs_digest=inputs_digest(files + policy_files, ctx.templates.used, environment,
                                    {name: data for m in members for s, registered in stack_sections().items()
                                     if (digest := registered.digest_inputs) is not None
                                     for name, data in digest(m.kinds.get(s, ())).items()}),
        warnings=tuple(d.located() for d in diags.items if d.severity is Severity.WARNING),
        policy=policy,
        secret_commands=freeze(secret_commands),
    )
    return _stack(members, common)


def _read(docs: list, environment: str | None, environ: Mapping[str, str], smap: SourceMap, diags: Diagnostics,
          environments_out: list | None, on_cluster: Callable[[ClusterPreview], None] | None
          ) -> tuple[Flagged, dict[int, str]] | None:
    """Substitute the variables (the selected overlay's over the stack's), expand the for_each entries and check
    each document against the schema: what the schema flagged and the items of the expansions (id -> how
    messages name the item), or None when the load cannot go on (an unknown environment, or a flag on something
    every resource depends on)."""
    # Variables and overlays are gathered before substitution: variables may be used anywhere.
    vars_, envs = collect_vars_and_envs(docs, smap, diags)
    if environments_out is not None:
        environments_out.extend(sorted(envs))
    if environment is not None and environment not in envs:
        where = next((smap.key_loc(d.root, "environments") for d in docs if "environments" in d.root), docs[0].loc)
        declared = ", ".join(sorted(envs)) or "none"
        diags.error(where, f'unknown environment "{environment}" (declared: {declared})'
                    + meant(closest(environment, envs)), path="environments")
        return None
    overlay_vars = as_dict(as_dict(envs.get(environment)).get("vars")) if environment else {}
    resolver = Resolver(environ, {**vars_, **overlay_vars})
    skip = _not_substituted(docs, environment) | loop_entries(docs)  # each expansion is substituted on its own
    diags.begin_phase()
    for doc in docs:
        substitute_tree(doc.root, smap, resolver, diags, skip)
    loop_items = expand_loops(docs, smap, resolver, diags)
    if on_cluster is not None and not diags.has_errors:
        _preview_cluster(docs, environment, on_cluster, smap)
    diags.begin_phase()
    flagged = Flagged()
    for doc in docs:
        flagged.add(doc.root, validate_document(doc.root, smap, diags, environment))
    diags.begin_phase()
    if flagged.everything:
        return None  # the schema flagged a value every resource depends on: nothing can be expanded safely
    return flagged, loop_items


def _not_substituted(docs: list, environment: str | None) -> set[tuple[int, object]]:
    """(id(container), key) of what substitution leaves alone: `vars` (substituted when used) and the other
    environments' overlays (their variables need not be defined)."""
    skip: set[tuple[int, object]] = set()
    for doc in docs:
        skip.add((id(doc.root), "vars"))
        doc_envs = doc.root.get("environments")
        if isinstance(doc_envs, dict):
            for name, body in doc_envs.items():
                if name != environment:
                    skip.add((id(doc_envs), name))
                elif isinstance(body, dict):
                    skip.add((id(body), "vars"))
    return skip


def _context(comb, overlay: dict, first: Loc, template_dirs: list[str], flagged: Flagged, smap: SourceMap,
             diags: Diagnostics) -> Context:
    """What every cluster's sections are built with: the defaults (the overlay's over the stack's), the engine
    templates (each directory checked), the overlays of named entries."""
    defaults = deep_merge(as_dict(comb.single.get("defaults", ({}, None))[0]), as_dict(overlay.get("defaults")), smap,
                          first)
    templates = EngineTemplates(template_dirs + [d for d, _ in comb.template_dirs])
    for d, loc in comb.template_dirs:
        if not os.path.isdir(d):
            diags.error(loc, f"template directory not found: {d}")
    for d in template_dirs:
        if not os.path.isdir(d):
            diags.error(Loc(d, 0, 0), "template directory not found")
    return Context(smap, diags, flagged, Overlays.of(overlay), topic_defaults=as_dict(defaults.get("topic")),
                   connector_defaults=as_dict(defaults.get("connector")), templates=templates,
                   checks={key: make() for key, registered in SECTION_OF.items()
                           if (make := registered.load_checks) is not None},
                   meta_default=meta_of(defaults))


def _member(ctx: Context, name: str | None, cluster: ClusterSpec | None, cluster_loc: Loc,
            lists: dict[str, list]) -> Member:
    """One cluster's resources (every resource, for a single-cluster stack): each section built by its builder
    (`sections.SECTIONS`), then each section's specs merged with what other sections' entries gave it
    (kplan.stackfile.derived)."""
    inp = MemberInput(ctx, name, cluster, cluster_loc, lists)
    built = {section: build(inp) for section, build in SECTIONS.items()}
    given: dict[str, list] = {}
    for b in built.values():
        for section, entries in b.given.items():
            given.setdefault(section, []).extend(entries)
    sections = merged(inp, MERGES, {s: b.specs for s, b in built.items() if b.specs or s in MERGES},
                      {s: b.meta for s, b in built.items()}, {s: tuple(e) for s, e in given.items()})
    metadata: dict[tuple[str, str], Meta] = {}
    for m in sections.values():
        if not metadata:
            metadata.update(m.meta)  # the first section's (its keys are distinct): the same as one by one, in C
            continue
        for key, meta in m.meta.items():
            metadata.setdefault(key, meta)
    return Member(name, cluster, cluster_loc, metadata=metadata,
                  kinds={section: m.specs for section, m in sections.items() if m.specs},
                  claims=build_claims(inp), forget=build_forget(inp), references=build_references(inp))


def _stack(members: list[Member], common: dict) -> Stack:
    """The Stack: a single-cluster stack's one member, or every member's resources with the members kept."""
    stacks = []
    for m in members:
        assert m.cluster is not None  # a member without one has no Stack (`_load`)
        stacks.append(Stack(cluster=m.cluster, kinds=freeze(dict(m.kinds)),
                            cluster_name=m.name,
                            claims=m.claims, forget=m.forget, references=m.references,
                            metadata=MappingProxyType(dict(sorted(m.metadata.items(), key=_KEY))), **common))
    if len(stacks) == 1 and stacks[0].cluster_name is None:
        return stacks[0]
    return Stack(cluster=stacks[0].cluster, members=tuple(stacks),
                 kinds=freeze({k: specs for k in sorted({k for s in stacks for k in s.kinds})
                               if (specs := tuple(x for s in stacks for x in s.of(k)))}),
                 claims=tuple(c for s in stacks for c in s.claims),
                 forget=tuple(f for s in stacks for f in s.forget),
                 references=tuple(r for s in stacks for r in s.references),
                 metadata=MappingProxyType(dict(sorted((k, v) for s in stacks for k, v in s.metadata.items()))),
                 **common)


# One member's metadata sorted by its keys, (section, name): distinct keys of one dict, so the order of the items
# without comparing them as pairs (about half the time for a hundred thousand in no order)
_KEY = itemgetter(0)


def _no_lists() -> dict[str, list]:
    return {key: [] for key in LISTS}


def _clusters(comb, overlay: dict, first: Loc, smap: SourceMap, diags: Diagnostics
              ) -> dict[str | None, tuple[ClusterSpec | None, Loc]]:
    """name -> (settings, where declared): {None: ...} for a stack with one `cluster:`, one entry per name of
    `clusters:` (declaration order; the environment's `clusters.<name>` overlays that cluster)."""
    if "clusters" not in comb.single:
        base_cluster = comb.single.get("cluster", ({}, None))[0]
        cluster_loc = (smap.value_loc(comb.single["cluster"][1], "cluster") if "cluster" in comb.single
                       else None) or first
        if isinstance(overlay.get("clusters"), dict):
            diags.error(smap.key_loc(overlay, "clusters") or first, "the environment overlays `clusters:`, but the "
                        "stack declares one `cluster:`; overlay `cluster:` instead")
        cluster_in = deep_merge(as_dict(base_cluster), as_dict(overlay.get("cluster")), smap, cluster_loc)
        return {None: (_build_cluster(cluster_in, cluster_loc, smap, diags), cluster_loc)}
    declared, holder = comb.single["clusters"]
    loc = smap.key_loc(holder, "clusters") or first
    if "cluster" in comb.single:
        diags.error(smap.key_loc(comb.single["cluster"][1], "cluster") or loc,
                    "the stack declares both `cluster:` and `clusters:`; use `clusters:` (one entry per cluster) "
                    "and say `cluster: <name>` on each resource")
    if isinstance(overlay.get("cluster"), dict):
        diags.error(smap.key_loc(overlay, "cluster") or loc, "the environment overlays `cluster:`, but the stack "
                    "declares `clusters:`; overlay `clusters: {<name>: ...}` instead")
    env_clusters = as_dict(overlay.get("clusters"))
    for name in env_clusters:
        if name not in as_dict(declared):
            diags.error(smap.key_loc(env_clusters, name) or loc, f'the environment overlays cluster "{name}", '
                        "which `clusters:` does not declare" + meant(closest(name, as_dict(declared))))
    out: dict[str | None, tuple[ClusterSpec | None, Loc]] = {}
    for name, settings in as_dict(declared).items():
        cloc = smap.value_loc(declared, name) or loc
        merged = deep_merge(as_dict(settings), as_dict(env_clusters.get(name)), smap, cloc)
        out[str(name)] = (_build_cluster(merged, cloc, smap, diags, label=f"clusters.{name}"), cloc)
    return out


def _place(comb, clusters: dict, smap: SourceMap, diags: Diagnostics) -> dict[str | None, dict[str, list]]:
    """Each declared entry under the cluster it names (`cluster: <name>`): one located error when a several-
    cluster stack's entry names none or an unknown one, or a one-cluster stack's entry names one."""
    placed: dict[str | None, dict[str, list]] = {name: _no_lists() for name in clusters}
    several = None not in clusters
    for key in LISTS:
        into = None if several else placed[None][key]
        for entry in comb.lists[key]:
            item, loc = entry
            wanted = item.get("cluster") if isinstance(item, dict) else None
            if isinstance(wanted, (list, dict)):
                continue  # not a name: the schema reported it
            if into is not None:
                if wanted is not None:
                    diags.error(_cluster_loc(smap, item, loc),
                                f"{_entry_word(key, item)} says `cluster: {wanted}`, but the stack declares one "
                                "`cluster:`; remove it (or declare the stack's clusters under `clusters:`)")
                    continue
                into.append(entry)  # the same (item, loc) pair
            elif wanted is None:
                diags.error(loc, f"{_entry_word(key, item)} does not say which cluster it belongs to: add "
                                 f"`cluster: <name>` (one of {', '.join(str(n) for n in clusters)})")
            elif wanted not in clusters:
                diags.error(_cluster_loc(smap, item, loc),
                            f'{_entry_word(key, item)} names cluster "{wanted}", which `clusters:` does not declare '
                            f"(declared: {', '.join(str(n) for n in clusters)})"
                            + meant(closest(str(wanted), [str(n) for n in clusters])))
            else:
                placed[wanted][key].append((item, loc))
    return placed


_CORE_WORDS = {"cdc": entry_words("name", "cdc source"), "mirrors": entry_words("name", "mirror"),
               "claims": entry_words("prefix", "claim"), "forget": entry_words("address", "forget entry"),
               "references": entry_words("address", "reference")}


def _cluster_loc(smap: SourceMap, item, loc: Loc) -> Loc:
    """Where an entry's `cluster:` is written (the entry's own line without one), for its error."""
    return (smap.value_loc(item, "cluster") if isinstance(item, dict) and "cluster" in item else None) or loc


def _entry_word(key: str, item) -> str:
    """An entry as a message names it: `topic 'orders'`; each kind's section words its own entries."""
    return (_CORE_WORDS.get(key) or SECTION_OF[key].entry_word)(item)


def inputs_digest(files, templates_used: Mapping[str, bytes], environment: str | None,
                  schemas: Mapping[str, bytes] | None = None) -> str:
    """sha256 over each stack file's path (relative to the stack root) and bytes, the engine templates used, the
    kinds' inputs outside the stack's files (`digest_inputs` of a kind's section, e.g. a schema file's text), and
    the environment name: a saved plan is stale when any of them changes."""
    h = hashlib.sha256()
    entries = [(f"file:{f.relpath}", f.data) for f in files]
    entries += [(f"template:{os.path.basename(p)}", data) for p, data in templates_used.items()]
    entries += [(f"schema:{name}", data) for name, data in (schemas or {}).items()]
    for name, data in sorted(entries):
        h.update(name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big") + data)
    h.update(b"environment\0" + (environment or "").encode("utf-8"))
    return h.hexdigest()


@dataclass(frozen=True)
class ClusterPreview:
    """What a stack says about its cluster before its resources are checked: enough to start reading."""

    stack_name: str
    cluster: ClusterSpec
    topic_names: frozenset[str]  # the topics declared by name (CDC-generated ones come later)
    sections: frozenset[str]  # the kinds' sections the stack declares something in (the read needs some of them)
    secret_commands: Mapping[str, SecretCommand] = field(default_factory=dict)  # what ${secret:cmd:NAME} runs


def _preview_cluster(docs: list, environment: str | None, on_cluster: Callable[[ClusterPreview], None],
                     smap: SourceMap) -> None:
    """Build the cluster settings from the substituted documents, checked by the cluster's own schema, and hand
    them to `on_cluster` — only when nothing about them is in doubt (one cluster section, it and the overlay's
    valid, a stack name): otherwise nothing is previewed and the caller reads after the load as before."""
    from kplan.stackfile.schema import cluster_section_valid

    scratch = SourceMap()
    quiet = Diagnostics()
    sections = [d.root["cluster"] for d in docs if "cluster" in d.root]
    names = {d.root["stack"] for d in docs if isinstance(d.root.get("stack"), str)}
    if len(sections) != 1 or len(names) != 1 or not isinstance(sections[0], dict):
        return
    # the selected environment's overlays (none without one: an environment's name is a text, never None)
    bodies = [e[environment] for d in docs
              if isinstance(e := d.root.get("environments"), dict) and isinstance(e.get(environment), dict)]
    if len(bodies) > 1:
        return
    overlay = as_dict(bodies[0].get("cluster")) if bodies else {}
    overlay_commands = bodies[0].get("secret_commands") if bodies else None
    merged = deep_merge(sections[0], overlay, scratch, Loc("<preview>", 0, 0))
    if not cluster_section_valid(merged):
        return
    cluster = _build_cluster(merged, Loc("<preview>", 0, 0), scratch, quiet)
    if cluster is None or quiet.has_errors:
        return
    if cluster.pinned_id is not None:  # where the pin is written, for the read's refusal (the scratch map knows not)
        holder = overlay if "id" in overlay else sections[0]
        at = smap.value_loc(holder, "id")
        cluster = replace(cluster, pin_origin=f"{at.file}:{at.line}: cluster.id" if at else cluster.pin_origin)
    # the names the entries of the sections whose kind's read is limited by name declare (the read's scope)
    topic_names = frozenset(t["name"] for key in scoped_sections() for d in docs for t in (d.root.get(key) or ())
                            if isinstance(d.root.get(key), list) and isinstance(t, dict)
                            and isinstance(t.get("name"), str))
    declared = frozenset(k for k in stack_sections() if any(d.root.get(k) for d in docs))
    commands = [d.root["secret_commands"] for d in docs if "secret_commands" in d.root]
    if len(commands) > 1:
        return
    secret_commands = build_secret_commands(commands[0] if commands else None, overlay_commands, smap, quiet,
                                            Loc("<preview>", 0, 0))
    if quiet.has_errors:
        return
    on_cluster(ClusterPreview(names.pop(), cluster, topic_names, declared, freeze(secret_commands)))


def _build_cluster(c: dict, loc: Loc, smap: SourceMap, diags: Diagnostics, label: str = "cluster"
                   ) -> ClusterSpec | None:
    bs = c.get("bootstrap_servers")
    if isinstance(bs, list):
        bs = ",".join(str(s).strip() for s in bs if isinstance(s, str))
    if not isinstance(bs, str) or not bs.strip():  # (blank: the schema lets "  " through)
        what = "is not set" if "bootstrap_servers" not in c else "is blank"
        diags.error(smap.value_loc(c, "bootstrap_servers") or loc,
                    f"{label}.bootstrap_servers {what} (host:port of the Kafka brokers)", path=label)
        return None
    read = read_rows((TIMEOUT, THROTTLE), c, loc, smap, diags) or {}  # by their rows: units, defaults (unset: none)
    raw_client = as_dict(c.get("client"))
    msk = _aws_msk_iam(raw_client.get("aws_msk_iam"), smap.value_loc(c, "client") or loc, diags)
    client, client_locs = normalize_config(raw_client, smap, diags, loc)  # skips aws_msk_iam (a mapping)
    warn_plaintext_secrets(client, client_locs, diags)
    url, connect, connects = build_connects(c, loc, smap, diags)
    registry_url, registry, registry_delete = build_registry(c, loc, smap, diags)
    pinned = c.get("id") if isinstance(c.get("id"), str) and c["id"].strip() else None
    pin_loc = (smap.value_loc(c, "id") or loc) if pinned else None
    return ClusterSpec(bootstrap_servers=bs.strip(), connect_url=url, client_properties=freeze(client),
                       timeout_s=read.get("timeout", 0.0), connect=connect,
                       reassignment_throttle=read.get("reassignment_throttle"),
                       schema_registry_url=registry_url, schema_registry=registry, registry_delete=registry_delete,
                       connects=freeze(connects), aws_msk_iam=msk,
                       pinned_id=pinned.strip() if pinned else None,
                       pin_origin=f"{pin_loc.file}:{pin_loc.line}: {label}.id" if pin_loc else "")


def _aws_msk_iam(raw, loc: Loc, diags: Diagnostics):
    """cluster.client.aws_msk_iam: {region, profile?, role_arn?, session_name?} (strings: the schema checked the
    cluster's settings), or None."""
    if raw is None:
        return None
    if not raw["region"].strip():
        diags.error(loc, "cluster.client.aws_msk_iam needs region (e.g. {region: eu-west-1}), and optionally profile, "
                         "role_arn or session_name")
        return None
    if raw.get("profile") and raw.get("role_arn"):
        diags.error(loc, "cluster.client.aws_msk_iam: set profile or role_arn, not both")
        return None
    return freeze({k: v.strip() for k, v in raw.items()})


def _unused_overlays(environment, overlay: dict, comb, overlays: Overlays, smap: SourceMap,
                     diags: Diagnostics) -> None:
    """An overlay of an entry (a topic, a connector, a cdc source: `member.OVERLAID`) the stack does not declare
    (unless a flagged cdc source left the names of that section's entries unknown, `Overlays.unknown`). The hint
    names the entries the section was given (a cdc source's topics too), or those declared in it."""
    for key in OVERLAID:
        if key in overlays.unknown:
            continue
        names = (overlays.declared[key] if key in MERGES
                 else [i["name"] for i, _ in comb.lists[key] if isinstance(i, dict) and isinstance(i.get("name"), str)])
        what = SECTION_OF[key].noun if key in SECTION_OF else _CORE_WORDS[key](None)  # a cdc source's: its noun
        for name in overlays.entries[key]:
            if name not in overlays.used[key]:
                diags.error(smap.key_loc(overlay.get(key), name),
                            f'environment "{environment}" overrides {what} "{name}", which the stack does not '
                            "declare" + meant(closest(name, names)))
