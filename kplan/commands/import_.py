"""`kplan import`: write stack files from what a live cluster and its Connect cluster already hold, so that a team
can adopt them — `kplan validate` passes on the files and `kplan plan` right after shows no changes (only the
adoption of the existing resources into the stack's ownership record).

I/O only: read the cluster (the same reader `plan` uses), hand the live state to `kplan.importer`, write YAML.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

import click

from kplan.commands._common import load_or_exit
from kplan.commands._output import TEMPLATE_DIR_OPTION
from kplan.errors import KplanError
from kplan.kinds import UNITS

TOOLS = ("topicctl", "terraform", "strimzi", "kafka-gitops", "julieops")  # `--from`, docs/migrating.md
HEADER = """\
# Written by `kplan import` from the cluster {cluster_id}{connect}.
# Review it, then: kplan validate {target} && kplan plan {target} (the first plan adopts what already exists).
"""


def _skip_options(command):
    """`--no-<section>` for each kind `kplan import` writes (its importer's `skip_help`), in the kinds' order."""
    for unit in reversed(UNITS):
        importer = unit.importer
        if importer is not None and importer.skip_help:
            section = unit.kind.section
            command = click.option(f"--no-{section}", f"no_{section}", is_flag=True, help=importer.skip_help)(command)
    return command


@click.command("import")
@click.option("--stack", "stack_name", required=True, metavar="NAME", help="The name of the stack to write.")
@click.option("-o", "--out", "out", required=True, metavar="PATH", type=click.Path(),
              help="A .yaml file, or a directory (one file for the stack and cluster, one per kind).")
@click.option("--bootstrap-servers", metavar="HOST:PORT,...", help="The cluster to read (plaintext listener).")
@click.option("--connect-url", metavar="URL", help="The Kafka Connect REST URL to read connectors from.")
@click.option("--schema-registry", "registry_url", metavar="URL",
              help="The schema registry to read schemas from (Confluent's API, or Apicurio's .../apis/ccompat/v7).")
@click.option("--cluster-from", "cluster_from", metavar="STACK", type=click.Path(exists=True),
              help="Read the cluster with this stack's `cluster:` settings (secured clusters); they are written as is.")
@click.option("-e", "--env", "--environment", "environment", metavar="ENV",
              help="With --cluster-from: the environment overlay whose cluster to read.")
@click.option("--include", multiple=True, metavar="REGEX", help="Only names matching one of these (repeatable).")
@click.option("--exclude", multiple=True, metavar="REGEX", help="Leave out names matching one of these (repeatable).")
@click.option("--prefix", multiple=True, metavar="PREFIX", help="Only names starting with one of these (repeatable).")
@click.option("--no-topics", is_flag=True, help="Import no topics.")
@click.option("--no-connectors", is_flag=True, help="Import no connectors.")
@_skip_options
@click.option("--cdc", is_flag=True,
              help="Write Debezium connectors (PostgreSQL, MySQL, MariaDB) back as `cdc:` sources when kplan's "
                   "expansion reproduces the connector and its table topics exactly.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--from", "tool", type=click.Choice(TOOLS), metavar="TOOL",
              help="Read another tool's files (the PATHs) instead of a cluster: topicctl (its cluster config and "
                   "topic files), terraform (the Mongey/kafka provider's state), strimzi (KafkaTopic, KafkaUser and "
                   "KafkaConnector manifests), kafka-gitops (its desired-state files), julieops (its topologies); all "
                   "but topicctl with "
                   "--bootstrap-servers or --cluster-from for the cluster section. docs/migrating.md.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True), metavar="[PATH]...")
@TEMPLATE_DIR_OPTION
@click.pass_context
def import_command(ctx, stack_name, out, bootstrap_servers, connect_url, registry_url, cluster_from, environment,
                   include, exclude, prefix, no_topics, no_connectors, cdc, force, tool, paths, template_dirs,
                   **skipped):
    """Write a stack from the topics, connectors and other resources a cluster already has (--no-<kind> leaves a
    kind out), or with --from TOOL from another tool's files.

    Only each topic's own config overrides are written (never broker defaults), in human units where they are
    exact. Secret values of connectors become ${secret:env:NAME} references (the names are printed; set them
    before `kplan plan`); Connect config-provider placeholders are kept. Internal topics are never imported.
    """
    import re

    import yaml

    from kplan.importer.build import ImportOptions, build_import, refuse_plaintext

    for pattern in (*include, *exclude):
        try:
            re.compile(pattern)
        except re.error as e:
            raise KplanError(f"--include/--exclude {pattern!r} is not a regular expression: {e}") from None
    options = ImportOptions(stack_name, tuple(include), tuple(exclude), tuple(prefix), topics=not no_topics,
                            skip=frozenset(s.removeprefix("no_") for s, no in skipped.items() if no))
    if tool is not None or paths:
        # the cluster section: topicctl's files have theirs
        cluster_options = (("--bootstrap-servers", bootstrap_servers), ("--cluster-from", cluster_from),
                           ("--connect-url", connect_url))
        given = [o for o, v in (*(cluster_options if tool == "topicctl" else ()), ("--schema-registry", registry_url),
                                ("--cdc", cdc)) if v]
        if tool is None or not paths or given:
            raise KplanError("importing another tool's files takes --from TOOL and its files or directories as PATHs: "
                             + (f"leave out {', '.join(given)}" if given and tool else
                                "e.g. kplan import --from topicctl --stack NAME -o OUT clusters/prod/"))
        if tool != "topicctl" and (bootstrap_servers is None) == (cluster_from is None):
            raise KplanError(f"{tool}'s files do not say how to reach the cluster: say which cluster the stack is for "
                             "with --bootstrap-servers HOST:PORT or --cluster-from STACK")
    elif (bootstrap_servers is None) == (cluster_from is None):
        raise KplanError("say which cluster to read: --bootstrap-servers HOST:PORT (and --connect-url URL), "
                         "or --cluster-from STACK to use a stack's cluster settings")
    elif cluster_from is not None and (connect_url is not None or registry_url is not None):
        raise KplanError("--connect-url and --schema-registry go with --bootstrap-servers; with --cluster-from the "
                         "stack's cluster settings name Connect and the registry")
    # the cluster section written (another tool's import refuses --schema-registry; topicctl's files have theirs)
    cluster_doc = raw_cluster_section(cluster_from) if cluster_from else {
        "bootstrap_servers": bootstrap_servers, **({"connect_url": connect_url} if connect_url else {}),
        **({"schema_registry": {"url": registry_url}} if registry_url else {})}
    if tool is not None:
        return _import_from(tool, paths, out, force, options, cluster_doc)
    options = replace(options, connectors=not no_connectors)

    if cluster_from is not None:
        stack = load_or_exit(ctx, cluster_from, environment, template_dirs=template_dirs)
    else:
        with tempfile.TemporaryDirectory(prefix="kplan-import-") as tmp:
            probe = Path(tmp) / "cluster.yaml"
            probe.write_text(yaml.safe_dump({"stack": stack_name, "cluster": cluster_doc}), encoding="utf-8")
            stack = load_or_exit(ctx, str(probe), None, template_dirs=template_dirs)
    live = read_live(stack, skip=options.skip)
    if stack.cluster.schema_registry_url:
        from kplan.model.desired import registry_flavour

        options = replace(options, registry_flavour=registry_flavour(stack.cluster.schema_registry_url))
    imported = build_import(live, options)
    if cdc:
        imported = recognise_cdc(imported, live, stack, template_dirs)
    cluster_doc = pinned(cluster_doc, live.cluster_id)
    header = HEADER.format(cluster_id=live.cluster_id, target=out,
                           connect=" and its Kafka Connect cluster" if stack.cluster.connect_url else "")
    _write(out, lambda split: imported.documents(stack_name, cluster_doc, split=split), header, force,
           lambda texts: refuse_plaintext(live, imported, texts))
    click.echo(f"Wrote {out}: {_counts(imported)}.")
    _notes(imported.notes, imported.variables)


def _counts(imported) -> str:
    """`2 topic(s), 0 CDC source(s), 1 connector(s), 3 ACL principal(s), ...`: what an import wrote, every kind."""
    nouns = {u.kind.section: u.importer.noun for u in UNITS if u.importer is not None and u.importer.noun}
    return ", ".join(f"{len(v)} {k}" for k, v in (("topic(s)", imported.topics), ("CDC source(s)", imported.cdc),
                                                  ("connector(s)", imported.connectors),
                                                  *((nouns[s], imported.kinds.get(s, ())) for s in nouns)))


def _notes(notes, variables) -> None:
    """The last words of an import: its notes, and the environment variables its secrets' references name."""
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    if variables:
        click.echo("Set these environment variables to the secrets before `kplan plan` (their values were not "
                   "written):")
        for name, what in sorted(variables.items()):
            click.echo(f"  {name}  ({what})")


def _write(out: str, documents_of, header: str, force: bool, check=None) -> None:
    """Write the stack's files (`documents_of(split)`: one `.yaml` file, or a directory of them), each with the
    header; refuse to overwrite unless forced. `check` sees the texts before anything is written (a secret found in
    them stops the import)."""
    split = not out.endswith((".yaml", ".yml"))
    documents = documents_of(split)
    target = Path(out)
    paths = {name: (target / name if split else target) for name in documents}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise KplanError(f"{', '.join(existing)} already exist(s): choose another --out or pass --force")
    texts = {name: header + "\n" + dump(doc) for name, doc in documents.items()}
    if check is not None:
        check(texts)
    if split:
        target.mkdir(parents=True, exist_ok=True)
    elif target.parent != Path(""):
        target.parent.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        paths[name].write_text(text, encoding="utf-8")


FROM_HEADER = """\
# Written by `kplan import --from {tool}` from {paths}.
# Review it, then: kplan validate {target} && kplan plan {target} (the first plan adopts what {tool} manages).
"""


def _import_from(tool: str, paths: tuple[str, ...], out: str, force: bool, options, cluster: dict) -> None:
    """`kplan import --from TOOL`: the files read here, translated by kplan.importer.<tool>, written as a stack;
    what could not be mapped is printed as a table, each row with why."""
    suffixes = (".json", ".tfstate") if tool == "terraform" else (".yaml", ".yml")
    sources = _sources(paths, suffixes)
    if not sources:
        raise KplanError(f"{', '.join(paths)}: no file to import from ({tool}'s files end in {' or '.join(suffixes)})")
    header = FROM_HEADER.format(tool=tool, paths=", ".join(paths), target=out)
    import importlib

    translated = importlib.import_module(f"kplan.importer.{tool.replace('-', '_')}").translate(sources)
    if tool != "topicctl":
        from kplan.importer.build import build_import
        from kplan.importer.sources import require_connect
        from kplan.kinds.livejson import live_state_from_dict

        document, unmapped = translated
        require_connect(document, bool(cluster.get("connect_url") or cluster.get("connect")))
        imported = build_import(live_state_from_dict(document), options)
        _write(out, lambda split: imported.documents(options.stack, cluster, split=split), header, force)
        click.echo(f"Wrote {out}: {_counts(imported)} from {tool}'s files.")
        notes, variables = imported.notes, imported.variables
    else:
        groups = {name: tuple(t for t in topics if options.selects(t["name"]))
                  for name, topics in translated.groups.items()}
        translated = replace(translated, groups={name: topics for name, topics in groups.items() if topics})
        _write(out, lambda split: translated.documents(options.stack, split=split), header, force)
        click.echo(f"Wrote {out}: {len(translated.topics)} topic(s) of {tool} cluster "
                   f"{translated.cluster_name!r}.")
        unmapped, notes, variables = translated.unmapped, (), translated.variables
    if unmapped:
        rows = [("where", "what", "why"), *((u.where, u.what, u.why) for u in unmapped)]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        click.echo(f"Not mapped ({len(unmapped)}): kplan has no place for these; the stack works without them")
        for where, what, why in rows:
            click.echo(f"  {where:<{widths[0]}}  {what:<{widths[1]}}  {why}")
    _notes(notes, variables)


def _sources(paths: tuple[str, ...], suffixes: tuple[str, ...]):
    """Each file given, or found below a directory given (by its suffixes), read."""
    from kplan.importer.sources import Source

    sources = []
    for given in paths:
        p = Path(given)
        files = sorted(f for f in p.rglob("*") if f.suffix in suffixes and f.is_file()) if p.is_dir() else [p]
        for f in files:
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise KplanError(f"{f}: cannot read it: {e}") from None
            sources.append(Source(str(f), str(f.resolve().parent), text))
    return sources


def read_live(stack, *, skip: frozenset[str] = frozenset()):
    """Everything the cluster and Connect hold (every non-internal topic's configs), read as `plan` reads it, with
    every kind that is imported (not in `skip`, by section) read whole."""
    from kplan.session.systems import StackReader
    from kplan.stackfile.references import resolve_stack_secrets

    imported = [u for u in UNITS if u.importer is not None and u.kind.section not in skip]
    reader = StackReader(stack.cluster, resolve_stack_secrets(stack, os.environ))
    try:
        live = reader.read(stack.name, topic_names=None, sections=frozenset(u.kind.section for u in imported))
        for unit in imported:
            if unit.importer is not None and unit.importer.read is not None:
                live = unit.importer.read(live, reader, stack)
        return live
    finally:
        reader.close()


def pinned(cluster_doc: dict, cluster_id: str) -> dict:
    """The cluster section with `id:` (the cluster pin, docs/stack-format.md) set to the id the read found, written
    first: the stack refuses any other cluster from then on."""
    return {"id": cluster_id, **{k: v for k, v in cluster_doc.items() if k != "id"}} if cluster_id else cluster_doc


def raw_cluster_section(path: str) -> dict:
    """A stack's `cluster:` mapping as written (references unresolved), from a file or a directory stack."""
    import yaml

    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and not f.name.startswith(".")) \
        if p.is_dir() else [p]
    for f in files:
        try:
            docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as e:
            raise KplanError(f"{f}: cannot read its cluster settings: {e}") from None
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("cluster"), dict):
                return doc["cluster"]
    raise KplanError(f"{path}: no `cluster:` section to read the cluster with (a stack with several `clusters:` "
                     "cannot be read from: point --cluster-from at a one-cluster stack)")


def dump(doc: dict) -> str:
    """YAML as a person writes a stack: block mappings, short lists of plain values on one line
    (`operations: [READ, DESCRIBE]`, `cleanup.policy: [compact, delete]`)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper, data):
        flow = all(isinstance(v, (str, int, float, bool)) for v in data) and len(data) <= 8
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def recognise_cdc(imported, live, stack, template_dirs):
    """Replace each Debezium connector (and its table topics) by a `cdc:` source when kplan's own expansion of the
    candidate source, planned against the live state, changes nothing (kplan.importer.cdc.recognised); otherwise
    keep it plain and say why. The I/O here: each candidate is loaded with the real loader, from a probe file."""
    import yaml

    from kplan.importer.cdc import recognised
    from kplan.stackfile import StackError, load_stack

    cluster = {"bootstrap_servers": stack.cluster.bootstrap_servers, "connect_url": "http://connect.invalid:8083"}
    with tempfile.TemporaryDirectory(prefix="kplan-import-cdc-") as tmpdir:
        path = Path(tmpdir) / "probe.yaml"

        def load(entry: dict):
            path.write_text(yaml.safe_dump({"stack": "kplan-import-probe", "cluster": cluster, "cdc": [entry]}),
                            encoding="utf-8")
            try:
                return load_stack(str(path), environ=os.environ, template_dirs=template_dirs), None
            except StackError as e:
                return None, e.diagnostics[0].message if e.diagnostics else str(e)

        return recognised(imported, live, load)
