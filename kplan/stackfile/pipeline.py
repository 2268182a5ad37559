"""Loading a stack end to end: read files, substitute variables, check the schema, combine documents, apply the
selected environment overlay and defaults, expand CDC sources, build the model and run the semantic checks.

Every step reports into one Diagnostics collector and carries on where it safely can, so that one run shows
every problem. A Stack is returned only when there is no error.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from kplan.model.desired import ClusterSpec, ConnectAccess, ConnectorSpec, Origin, Stack, TopicSpec, freeze
from kplan.rules.names import topic_name_problem
from kplan.rules.units import UnitError, parse_duration_seconds, parse_size_bytes
from kplan.stackfile.acls import build_acls
from kplan.stackfile.cdc import expand
from kplan.stackfile.cdc_acls import Generated, connector_bindings, merge_generated
from kplan.stackfile.cdc_format import default_converter
from kplan.stackfile.connect_access import build_connect, build_registry
from kplan.stackfile.connectors import build_connector, normalize_config, warn_plaintext_secrets
from kplan.stackfile.diagnostics import Diagnostic, Diagnostics, Loc
from kplan.stackfile.engines import EngineTemplates
from kplan.stackfile.merge import LISTS, collect_vars_and_envs, combine, deep_merge
from kplan.stackfile.policy import load_policy
from kplan.stackfile.quotas import build_quotas
from kplan.stackfile.schema import validate_document
from kplan.stackfile.subjects import SCHEMA_KEYS, build_subjects
from kplan.stackfile.topics import (
    Aggregate,
    build_topic,
    check_duplicates_and_collisions,
    describe_topic,
)
from kplan.stackfile.users import build_users
from kplan.stackfile.variables import Resolver, substitute_tree
from kplan.stackfile.yamlsrc import SourceMap, load_path

# The largest cluster.timeout: librdkafka's socket.timeout.ms (set from it) accepts at most 300,000 ms.
MAX_TIMEOUT_S = 300.0


def _hint(word: str, names) -> str:
    m = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    return f' (did you mean "{m[0]}"?)' if m else ""


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def validate_stack(path, environment: str | None = None, environ: Mapping[str, str] | None = None,
                   template_dirs: Sequence = (), environments_out: list | None = None,
                   on_cluster: Callable[[ClusterPreview], None] | None = None, with_policy: bool = False,
                   ) -> tuple[Stack | None, list[Diagnostic]]:
    """Load and check a stack for one environment (None: the base stack). Returns the Stack (None if there
    is any error) and every diagnostic, errors and warnings, sorted by file and line. `environments_out`, when
    given, receives the names of the environments the stack declares (so `validate` reads the files once).
    `on_cluster`, when given, is called early — before the resources are checked and expanded — with a
    `ClusterPreview` if the cluster settings are already certain, so a caller can start reading the cluster
    while the rest of the stack loads (it must still compare the preview with the loaded stack's).
    `with_policy`: also check the stack against its policy (`kplan validate`); a violation of an error-level rule
    is an error (no Stack). Without it the policy is the planner's to check (the plan shows its findings)."""
    env = os.environ if environ is None else environ
    smap = SourceMap()
    diags = Diagnostics()
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


def _load(path: str, environment: str | None, environ: Mapping[str, str], template_dirs: list[str],
          smap: SourceMap, diags: Diagnostics, environments_out: list | None = None,
          on_cluster: Callable[[ClusterPreview], None] | None = None) -> Stack | None:
    files, docs = load_path(path, smap, diags)
    if not docs:
        return None

    # Variables and overlays are gathered before substitution: variables may be used anywhere.
    vars_, envs = collect_vars_and_envs(docs, smap, diags)
    if environments_out is not None:
        environments_out.extend(sorted(envs))
    if environment is not None and environment not in envs:
        where = next((smap.key_loc(d.root, "environments") for d in docs if "environments" in d.root), docs[0].loc)
        declared = ", ".join(sorted(envs)) or "none"
        diags.error(where, f'unknown environment "{environment}" (declared: {declared})' + _hint(environment, envs),
                    path="environments")
        return None
    overlay_vars = _dict(_dict(envs.get(environment)).get("vars")) if environment else {}
    resolver = Resolver(environ, {**vars_, **overlay_vars})

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
    diags.begin_phase()
    for doc in docs:
        substitute_tree(doc.root, smap, resolver, diags, skip=lambda c, k: (id(c), k) in skip,
                        skip_in=frozenset(i for i, _ in skip))
    if on_cluster is not None and not diags.has_errors:
        _preview_cluster(docs, environment, on_cluster)
    diags.begin_phase()
    flagged = _Flagged()
    for doc in docs:
        flagged.add(doc.root, validate_document(doc.root, smap, diags, environment))
    diags.begin_phase()
    if flagged.everything:
        return None  # the schema flagged a value every resource depends on: nothing can be expanded safely

    _, envs = collect_vars_and_envs(docs, smap, Diagnostics())  # again, now substituted
    overlay = _dict(envs.get(environment)) if environment else {}
    comb = combine(docs, smap, diags)
    first = comb.first_loc or docs[0].loc

    if comb.name is None:
        diags.error(first, 'the stack has no name: add "stack: <name>" (the scope that owns its resources)')

    # Cluster(s).
    clusters = _clusters(comb, overlay, first, smap, diags)

    defaults = deep_merge(_dict(comb.single.get("defaults", ({}, None))[0]), _dict(overlay.get("defaults")), smap,
                          first)
    topic_defaults = _dict(defaults.get("topic"))
    connector_defaults = _dict(defaults.get("connector"))
    authoritative = overlay.get("authoritative_config", comb.single.get("authoritative_config", (False, None))[0])

    templates = EngineTemplates(template_dirs + [d for d, _ in comb.template_dirs])
    for d, loc in comb.template_dirs:
        if not os.path.isdir(d):
            diags.error(loc, f"template directory not found: {d}")
    for d in template_dirs:
        if not os.path.isdir(d):
            diags.error(Loc(d, 0, 0), "template directory not found")

    env_topics = _dict(overlay.get("topics"))
    env_connectors = _dict(overlay.get("connectors"))
    env_cdc = _dict(overlay.get("cdc"))
    used_topics: set[str] = set()
    used_connectors: set[str] = set()
    used_cdc: set[str] = set()
    all_topics: list[str] = []
    all_connectors: list[str] = []
    skipped_cdc = False  # a flagged cdc source: the names of the topics it would generate are unknown
    agg = Aggregate()
    placed = _place(comb, clusters, smap, diags)

    def member(cluster_name: str | None, cluster: ClusterSpec | None, cluster_loc: Loc,
               lists: dict[str, list]) -> tuple[tuple, tuple, tuple, tuple, tuple, tuple] | None:
        """One cluster's resources (every resource, for a single-cluster stack)."""
        nonlocal skipped_cdc
        # Topics declared explicitly, then the ones CDC sources generate.
        topic_entries: list[tuple[TopicSpec | None, str, Loc, str]] = []
        for item, loc in lists["topics"]:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if id(item) in flagged.items or name in flagged.overlays["topics"]:
                used_topics.add(name)
                topic_entries.append((None, name, loc, "the topic"))  # still checked for duplicates
                continue
            settings = deep_merge(topic_defaults, {k: v for k, v in item.items() if k not in _NOT_SETTINGS}, smap,
                                  loc)
            if name in env_topics:
                used_topics.add(name)
                settings = deep_merge(settings, env_topics[name], smap, loc)
            _check_name(name, smap.value_loc(item, "name") or loc, diags)
            spec = build_topic(name, settings, smap, diags, agg, loc)
            topic_entries.append((spec, name, loc, "the topic"))

        connector_entries: list[tuple[ConnectorSpec | None, str, Loc]] = []
        for item, loc in lists["connectors"]:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if id(item) in flagged.items or name in flagged.overlays["connectors"]:
                used_connectors.add(name)
                connector_entries.append((None, name, loc))  # still checked for duplicates
                continue
            declared = {k: v for k, v in item.items() if k not in _NOT_SETTINGS}
            if name in env_connectors:
                used_connectors.add(name)
                declared = deep_merge(declared, env_connectors[name], smap, loc)
            settings = deep_merge(connector_defaults, declared, smap, loc)
            layers = [normalize_config(_dict(settings.get("config")), smap, diags, loc)]
            connector_entries.append((build_connector(name, settings, layers, smap, diags, loc), name, loc))

        generated_acls: list[Generated] = []
        for item, loc in lists["cdc"]:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if id(item) in flagged.items or name in flagged.overlays["cdc"]:
                used_cdc.add(name)
                used_connectors.add(name)
                connector_entries.append((None, name, loc))
                skipped_cdc = True
                continue
            source = item
            if name in env_cdc:
                used_cdc.add(name)
                source = deep_merge(item, env_cdc[name], smap, loc)
            exp = expand(source, loc, cluster.bootstrap_servers if cluster else "", topic_defaults,
                         connector_defaults, templates, smap, diags,
                         (cluster.schema_registry_url, cluster.schema_registry) if cluster else (None, ConnectAccess()))
            if exp is None:
                continue
            required = []
            for gen in exp.topics:
                if gen.name in flagged.overlays["topics"]:
                    used_topics.add(gen.name)
                    continue
                settings = gen.settings
                if gen.name in env_topics:
                    used_topics.add(gen.name)
                    settings = deep_merge(settings, env_topics[gen.name], smap, gen.loc)
                _check_name(gen.name, gen.loc, diags)
                spec = build_topic(gen.name, settings, smap, diags, agg, gen.loc, cdc_source=name, table=gen.table,
                                   role=gen.role)
                topic_entries.append((spec, gen.name, gen.loc, describe_topic(name, gen.table, gen.role)))
                required.append(gen.name)
            spec = build_connector(
                name, exp.connector_settings, exp.layers, smap, diags, loc, cdc_source=name,
                requires_topics=tuple(required), snapshot_new_tables=exp.snapshot_new_tables,
                captured_tables=exp.captured_tables, signal=freeze(exp.signal), prune_tables=exp.prune_tables,
                on_destroy=exp.on_destroy, offsets=source.get("offsets"),
            )
            connector_entries.append((spec, name, loc))
            principal = source.get("principal")
            if spec is not None and isinstance(principal, str):
                ploc = smap.value_loc(source, "principal") or loc
                generated_acls.append(Generated(
                    principal, name, connector_bindings(((g.name, g.role) for g in exp.topics), spec.config),
                    Origin(ploc.file, ploc.line, ploc.column, cdc_source=name, role="principal")))

        acls = build_acls([(item, loc) for item, loc in lists["acls"] if id(item) not in flagged.items], smap, diags)
        users = build_users([(item, loc) for item, loc in lists["users"] if id(item) not in flagged.items], smap,
                            diags)
        quotas = build_quotas([(item, loc) for item, loc in lists["quotas"] if id(item) not in flagged.items], smap,
                              diags)
        acls = merge_generated(acls, generated_acls, diags)
        subjects = build_subjects([(i, loc) for i, loc in lists["subjects"] if id(i) not in flagged.items],
                                  [(i, loc) for i, loc in lists["topics"] if id(i) not in flagged.items], smap, diags)
        if cluster is not None and cluster.schema_registry_url and default_converter(cluster.schema_registry_url) \
                == "apicurio":
            for spec in subjects:
                if spec.compatibility == "NONE" and spec.origin is not None:
                    diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                                f"subject {spec.name}: compatibility NONE on one subject has no effect on Apicurio "
                                "Registry (a subject-level NONE counts as no level: the global one applies); "
                                "choose another level, or leave compatibility unset")
        if subjects and cluster is not None and not cluster.schema_registry_url:
            what = f"clusters.{cluster_name}" if cluster_name else "cluster"
            diags.error(cluster_loc, f"{what}.schema_registry is not set, but the stack declares schema subjects "
                                     f"{'in this cluster ' if cluster_name else ''}(set {what}.schema_registry.url "
                                     "to the registry's URL)")
        check_duplicates_and_collisions(topic_entries, diags)
        _check_connector_duplicates(connector_entries, diags)
        all_topics.extend(n for _, n, _, _ in topic_entries)
        all_connectors.extend(n for _, n, _ in connector_entries)
        if connector_entries and cluster is not None and not cluster.connect_url:
            what = f"clusters.{cluster_name}" if cluster_name else "cluster"
            diags.error(cluster_loc, f"{what}.connect_url is not set, but the stack declares connectors "
                                     f"{'in this cluster ' if cluster_name else ''}(set it, or {what}.connect.url, "
                                     "to the Kafka Connect REST URL)")
        topics = tuple(sorted((t for t, *_ in topic_entries if t is not None), key=lambda t: t.name))
        connectors = tuple(sorted((c for c, *_ in connector_entries if c is not None), key=lambda c: c.name))
        return topics, connectors, acls, users, quotas, subjects

    built = [(name, cluster, cloc, member(name, cluster, cloc, placed.get(name, _no_lists())))
             for name, (cluster, cloc) in clusters.items()]
    _one_owner_per_registry_subject(built, diags)
    policy, policy_files = load_policy(*comb.single.get("policy", (None, None)), smap, diags)

    agg.flush(diags)
    if not skipped_cdc:
        _unused_overlays(environment, overlay, "topics", env_topics, used_topics, all_topics, smap, diags, "topic")
    _unused_overlays(environment, overlay, "connectors", env_connectors, used_connectors, all_connectors, smap, diags,
                     "connector")
    _unused_overlays(environment, overlay, "cdc", env_cdc, used_cdc,
                     [i["name"] for i, _ in comb.cdc if isinstance(i, dict) and isinstance(i.get("name"), str)],
                     smap, diags, "cdc source")

    if diags.has_errors or comb.name is None or any(c is None or r is None for _, c, _, r in built) or not built:
        return None
    common = dict(
        name=comb.name,
        environment=environment,
        authoritative_config=authoritative is True,
        files=tuple(f.display for f in files),
        inputs_digest=inputs_digest(files + policy_files, templates.used, environment,
                                    {x.name: x.schema.encode("utf-8") for _, _, _, r in built if r for x in r[5]}),
        warnings=tuple(d.located() for d in diags.items if d.severity == "warning"),
        policy=policy,
    )
    stacks = []
    for name, cluster, _, resources in built:
        assert cluster is not None and resources is not None
        topics, connectors, acls, users, quotas, subjects = resources
        stacks.append(Stack(cluster=cluster, topics=topics, connectors=connectors, acls=acls, users=users,
                            quotas=quotas, subjects=subjects, cluster_name=name, **common))  # type: ignore[arg-type]
    if len(stacks) == 1 and stacks[0].cluster_name is None:
        return stacks[0]
    return Stack(cluster=stacks[0].cluster, members=tuple(stacks),
                 topics=tuple(t for s in stacks for t in s.topics),
                 connectors=tuple(c for s in stacks for c in s.connectors),
                 acls=tuple(a for s in stacks for a in s.acls), users=tuple(u for s in stacks for u in s.users),
                 quotas=tuple(q for s in stacks for q in s.quotas),
                 subjects=tuple(x for s in stacks for x in s.subjects), **common)  # type: ignore[arg-type]


# keys of a resource entry that are not its settings
_NOT_SETTINGS = ("name", "cluster", *SCHEMA_KEYS)


def _no_lists() -> dict[str, list]:
    return {key: [] for key in LISTS}


def _clusters(comb, overlay: dict, first: Loc, smap: SourceMap, diags: Diagnostics
              ) -> dict[str | None, tuple[ClusterSpec | None, Loc]]:
    """name -> (settings, where declared): {None: ...} for a stack with one `cluster:`, one entry per name of
    `clusters:` (declaration order; the environment's `clusters.<name>` overlays that cluster)."""
    if "clusters" not in comb.single:
        base_cluster = comb.single.get("cluster", ({}, None))[0]
        cluster_loc = smap.value_loc(comb.single["cluster"][1], "cluster") if "cluster" in comb.single else first
        if isinstance(overlay.get("clusters"), dict):
            diags.error(smap.key_loc(overlay, "clusters") or first, "the environment overlays `clusters:`, but the "
                        "stack declares one `cluster:`; overlay `cluster:` instead")
        cluster_in = deep_merge(_dict(base_cluster), _dict(overlay.get("cluster")), smap, cluster_loc)
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
    env_clusters = _dict(overlay.get("clusters"))
    for name in env_clusters:
        if name not in _dict(declared):
            diags.error(smap.key_loc(env_clusters, name) or loc, f'the environment overlays cluster "{name}", '
                        "which `clusters:` does not declare" + _hint(name, list(_dict(declared))))
    out: dict[str | None, tuple[ClusterSpec | None, Loc]] = {}
    for name, settings in _dict(declared).items():
        cloc = smap.value_loc(declared, name) or loc
        merged = deep_merge(_dict(settings), _dict(env_clusters.get(name)), smap, cloc)
        out[str(name)] = (_build_cluster(merged, cloc, smap, diags, label=f"clusters.{name}"), cloc)
    return out


def _place(comb, clusters: dict, smap: SourceMap, diags: Diagnostics) -> dict[str | None, dict[str, list]]:
    """Each declared entry under the cluster it names (`cluster: <name>`): one located error when a several-
    cluster stack's entry names none or an unknown one, or a one-cluster stack's entry names one."""
    placed: dict[str | None, dict[str, list]] = {name: _no_lists() for name in clusters}
    several = None not in clusters
    for key in LISTS:
        for item, loc in getattr(comb, key):
            wanted = item.get("cluster") if isinstance(item, dict) else None
            where = (smap.value_loc(item, "cluster") if isinstance(item, dict) and "cluster" in item else None) or loc
            what = _entry_word(key, item)
            if not several:
                if wanted is not None:
                    diags.error(where, f"{what} says `cluster: {wanted}`, but the stack declares one `cluster:`; "
                                "remove it (or declare the stack's clusters under `clusters:`)")
                    continue
                placed[None][key].append((item, loc))
            elif wanted is None:
                diags.error(loc, f"{what} does not say which cluster it belongs to: add `cluster: <name>` "
                            f"(one of {', '.join(str(n) for n in clusters)})")
            elif wanted not in clusters:
                diags.error(where, f'{what} names cluster "{wanted}", which `clusters:` does not declare (declared: '
                            f"{', '.join(str(n) for n in clusters)})" + _hint(str(wanted), [str(n) for n in clusters]))
            else:
                placed[wanted][key].append((item, loc))
    return placed


def _one_owner_per_registry_subject(built, diags: Diagnostics) -> None:
    """Several clusters on one schema registry: a subject declared in two of them would be registered by each in
    turn and owned twice (and destroying one cluster's part would delete the other's subject)."""
    first: dict[tuple[str, str], str | None] = {}
    for name, cluster, _, resources in built:
        if cluster is None or resources is None or not cluster.schema_registry_url:
            continue
        for spec in resources[5]:
            key = (cluster.schema_registry_url, spec.name)
            if key in first and spec.origin is not None:
                diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                            f"subject {spec.name} is declared in clusters {first[key]} and {name}, which use the same "
                            "schema registry: a subject has one owner; declare it in one of them")
            first.setdefault(key, name)


def _entry_word(key: str, item) -> str:
    kind = {"topics": "topic", "connectors": "connector", "cdc": "cdc source", "acls": "the ACL entry of",
            "users": "user", "quotas": "the quota entry", "subjects": "subject"}[key]
    if not isinstance(item, dict):
        return kind
    name = item.get("name") or item.get("principal") or item.get("user") or item.get("client_id")
    return f"{kind} {name!r}" if isinstance(name, str) and key != "quotas" else kind


def inputs_digest(files, templates_used: Mapping[str, bytes], environment: str | None,
                  schemas: Mapping[str, bytes] | None = None) -> str:
    """sha256 over each stack file's path (relative to the stack root) and bytes, the engine templates used, the
    schemas the subjects declare (a schema_file's text is not in the stack file), and the environment name: a
    saved plan is stale when any of them changes."""
    h = hashlib.sha256()
    entries = [(f"file:{f.relpath}", f.data) for f in files]
    entries += [(f"template:{os.path.basename(p)}", data) for p, data in templates_used.items()]
    entries += [(f"schema:{name}", data) for name, data in (schemas or {}).items()]
    for name, data in sorted(entries):
        h.update(name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big") + data)
    h.update(b"environment\0" + (environment or "").encode("utf-8"))
    return h.hexdigest()


def _check_name(name: str, loc: Loc, diags: Diagnostics) -> None:
    problem = topic_name_problem(name)
    if problem:
        diags.error(loc, problem)


@dataclass(frozen=True)
class ClusterPreview:
    """What a stack says about its cluster before its resources are checked: enough to start reading."""

    stack_name: str
    cluster: ClusterSpec
    topic_names: frozenset[str]  # the topics declared by name (CDC-generated ones come later)
    quotas: bool  # whether the stack declares client quotas


def _preview_cluster(docs: list, environment: str | None, on_cluster: Callable[[ClusterPreview], None]) -> None:
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
    overlay: dict = {}
    if environment is not None:
        envs = [d.root["environments"] for d in docs if isinstance(d.root.get("environments"), dict)]
        bodies = [e[environment] for e in envs if isinstance(e.get(environment), dict)]
        if len(bodies) > 1:
            return
        overlay = _dict(bodies[0].get("cluster")) if bodies else {}
    merged = deep_merge(sections[0], overlay, scratch, Loc("<preview>", 0, 0))
    if not cluster_section_valid(merged):
        return
    cluster = _build_cluster(merged, Loc("<preview>", 0, 0), scratch, quiet)
    if cluster is None or quiet.has_errors:
        return
    topic_names = frozenset(t["name"] for d in docs for t in (d.root.get("topics") or ())
                            if isinstance(d.root.get("topics"), list) and isinstance(t, dict)
                            and isinstance(t.get("name"), str))
    quotas = any(d.root.get("quotas") for d in docs)
    on_cluster(ClusterPreview(names.pop(), cluster, topic_names, quotas))


def _build_cluster(c: dict, loc: Loc, smap: SourceMap, diags: Diagnostics, label: str = "cluster"
                   ) -> ClusterSpec | None:
    bs = c.get("bootstrap_servers")
    if isinstance(bs, list):
        bs = ",".join(str(s).strip() for s in bs if isinstance(s, str))
    if not isinstance(bs, str) or not bs.strip():
        if "bootstrap_servers" not in c:
            diags.error(loc, f"{label}.bootstrap_servers is not set (host:port of the Kafka brokers)", path=label)
        return None
    timeout = 15.0
    if "timeout" in c:
        tloc = smap.value_loc(c, "timeout") or loc
        try:
            timeout = parse_duration_seconds(c["timeout"])
            if not 0 < timeout <= MAX_TIMEOUT_S:  # also NaN
                diags.error(tloc, f"timeout must be positive and at most {MAX_TIMEOUT_S:g} seconds (5m; librdkafka's "
                                  f"socket.timeout.ms limit) (got {str(c['timeout'])[:40]})")
        except UnitError as e:
            diags.error(tloc, str(e))
    client, client_locs = normalize_config(_dict(c.get("client")), smap, diags, loc)
    warn_plaintext_secrets(client, client_locs, diags)
    url, connect = build_connect(c, loc, smap, diags)
    registry_url, registry, subject_delete = build_registry(c, loc, smap, diags)
    throttle = None
    if c.get("reassignment_throttle") is not None:
        raw = c["reassignment_throttle"]
        try:
            throttle = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_size_bytes(str(raw))
            if throttle <= 0:
                raise UnitError(f"reassignment_throttle must be a positive number of bytes per second (got {raw})")
        except UnitError as e:
            diags.error(smap.value_loc(c, "reassignment_throttle") or loc, str(e))
            throttle = None
    return ClusterSpec(bootstrap_servers=bs.strip(), connect_url=url, client_properties=freeze(client),
                       timeout_s=timeout, connect=connect, reassignment_throttle=throttle,
                       schema_registry_url=registry_url, schema_registry=registry, subject_delete=subject_delete)


@dataclass
class _Flagged:
    """What the schema flagged, kept away from expansion: a flagged declared topic, connector or cdc source (or
    the selected overlay's entry for one) is left out, so the rest of the stack is still checked; a flag
    anywhere else (cluster, defaults, vars, an overlay's shape...) stops the load after the schema."""

    everything: bool = False
    items: set[int] = field(default_factory=set)  # id() of flagged entries of topics / connectors / cdc
    overlays: dict[str, set] = field(default_factory=lambda: {key: set() for key in LISTS})

    def add(self, root: dict, paths: list[tuple]) -> None:
        for path in paths:
            if len(path) >= 2 and path[0] in LISTS and isinstance(root.get(path[0]), list):
                items = root[path[0]]
                if isinstance(path[1], int) and 0 <= path[1] < len(items):
                    item = items[path[1]]
                    # A name of the wrong form is still a string: the semantic checks say what is wrong with it.
                    if not (path[2:] == ("name",) and isinstance(item, dict) and isinstance(item.get("name"), str)):
                        self.items.add(id(item))
                    continue
            if len(path) >= 4 and path[0] == "environments" and path[2] in LISTS:
                self.overlays[path[2]].add(path[3])
                continue
            self.everything = True


def _check_connector_duplicates(entries, diags: Diagnostics) -> None:
    seen: dict[str, Loc] = {}
    for _spec, name, loc in entries:
        if name in seen:
            first = seen[name]
            diags.error(loc, f'duplicate connector "{name}" (also declared at {first.file}:{first.line}; a cdc source '
                             "declares a connector of its own name)")
        else:
            seen[name] = loc


def _unused_overlays(environment, overlay: dict, key: str, entries: dict, used: set, names: list, smap: SourceMap,
                     diags: Diagnostics, what: str) -> None:
    container = overlay.get(key)
    for name in entries:
        if name not in used:
            diags.error(smap.key_loc(container, name),
                        f'environment "{environment}" overrides {what} "{name}", which the stack does not declare'
                        + _hint(name, names))
