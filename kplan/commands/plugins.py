"""`kplan plugins install FILE --to DIR`: the connector plugins a stack (or a workers' file) declares by Maven
coordinates, fetched, checked against their declared checksums and laid out for a worker's `plugin.path`, one
directory per plugin (docs/connect-plugins.md).

Nothing is half-written: every artifact is fetched, checked and unpacked in a staging directory inside DIR first;
only when all of them are good does each plugin's directory take its place, by a rename. A plugin whose directory
already holds the same artifact (the same digest, recorded beside it) is left as it is."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import click

from kplan.errors import KplanError

MARK = ".kplan-plugin"  # in a plugin's directory: its coordinates and digest (Connect reads only jars there)


@click.group("plugins")
def plugins_group():
    """Connector plugins declared by Maven coordinates (docs/connect-plugins.md)."""


@plugins_group.command("install")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "target", required=True, type=click.Path(file_okay=False),
              help="The directory a worker's plugin.path names (made if missing): each plugin gets one of its own.")
@click.option("--connect", metavar="NAME", help="The Connect cluster whose plugins to install, when the stack's "
                                                "cluster.connect names several.")
@click.option("--cluster", metavar="NAME", help="The cluster, for a stack with clusters:.")
@click.option("--repository", metavar="URL", help="The Maven repository (default: the file's plugin_repository, "
                                                  "else Maven Central).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds one read from the repository may wait.")
@click.pass_context
def install_command(ctx, path, target, connect, cluster, repository, timeout_s):
    """Fetch the plugins FILE declares, check their checksums and lay them out in DIR for plugin.path."""
    from kplan.model.diagnostics import Diagnostics
    from kplan.model.source import SourceMap
    from kplan.stackfile.plugins import read_plugins
    from kplan.stackfile.yamlsrc import load_path

    smap, diags = SourceMap(), Diagnostics()
    _, docs = load_path(path, smap, diags)
    found = read_plugins(docs[0].root, docs[0].loc, smap, diags, connect, cluster) if docs and not \
        diags.has_errors else None
    if found is None and not diags.has_errors:
        raise KplanError(f"{path}: the file is empty: declare plugins: in it")
    if diags.has_errors:
        for d in diags.items:
            click.echo(d.format(), err=True)
        ctx.exit(1)
    assert found is not None
    done = _install(found.plugins, (repository or found.repository).rstrip("/"), Path(target), timeout_s)
    for line in done:
        click.echo(line)
    click.echo("Connect reads its plugins when a worker starts: restart the workers whose plugin.path holds "
               f"{target}.")


def _install(plugins, repository: str, target: Path, timeout_s: float) -> list[str]:
    """Each plugin's line of the outcome, once every changed one is in place."""
    from kplan.transport.maven import fetch

    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kplan-plugins-", dir=target))
    try:
        lines, ready = [], []
        for p in plugins:
            mark = f"{p.coordinates} {p.algorithm}:{p.digest}\n"
            where = f"{p.loc.file}:{p.loc.line}:{p.loc.column}: {p.coordinates}"
            if _mark(target / p.directory) == mark:
                lines.append(f"{p.coordinates}: unchanged in {target / p.directory}")
                continue
            download = staging / p.file_name
            got = fetch(p.path_in(repository), repository, where, download, p.algorithm, timeout_s)
            if got != p.digest:
                raise KplanError(f"{where}: the artifact's "
                                 f"{p.algorithm} is {got}, not the declared {p.digest}: nothing was installed; "
                                 "check the checksum with the artifact's publisher")
            laid = staging / p.directory
            laid.mkdir()
            _unpack(download, p.packaging, laid, where)
            (laid / MARK).write_text(mark)
            ready.append(p)
            lines.append(f"{p.coordinates}: installed in {target / p.directory} ({p.algorithm} checked)")
        for p in ready:  # all fetched and checked: now each takes its place
            final = target / p.directory
            if final.exists():
                final.rename(staging / f"{p.directory}.old")
            (staging / p.directory).rename(final)
        return lines
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _mark(directory: Path) -> str | None:
    try:
        return (directory / MARK).read_text()
    except OSError:
        return None


def _unpack(download: Path, packaging: str, into: Path, what: str) -> None:
    """A jar as it is; an archive's files (none outside `into`)."""
    try:
        if packaging == "jar":
            download.rename(into / download.name)
        elif packaging == "zip":
            with zipfile.ZipFile(download) as z:
                for name in z.namelist():
                    if os.path.isabs(name) or ".." in Path(name).parts:
                        raise KplanError(f"{what}: the archive holds {name!r}, outside its directory: not unpacked")
                z.extractall(into)
        else:
            with tarfile.open(download, "r:gz") as t:
                t.extractall(into, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as e:
        raise KplanError(f"{what}: the artifact is not a readable {packaging} archive: {e}") from None
