"""`kplan --help` and every command's help point to the documentation's pages by their address on the published
site (kplan.DOCS_URL, one place), never by their path in the repository, which an installed kplan's user cannot
open; each address is a page the site has."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kplan import DOCS_URL
from kplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def helps() -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        ctx = command.context_class(command, info_name=path[-1], parent=parent, terminal_width=80)
        out[" ".join(path)] = command.get_help(ctx)
        for name in getattr(command, "list_commands", lambda c: [])(ctx):
            sub = command.get_command(ctx, name)  # type: ignore[attr-defined]
            if sub is not None and not sub.hidden:
                walk(sub, [*path, name], ctx)

    walk(cli, ["kplan"], None)
    return out


def test_no_help_names_a_repository_path_and_each_address_is_a_page():
    pages = []
    for command, text in helps().items():
        assert "docs/" not in text, (command, text)
        pages += re.findall(re.escape(DOCS_URL) + r"([a-z0-9-]*)/", text)
    assert len(pages) >= 16
    for page in pages:
        assert (ROOT / "docs" / f"{page}.md").is_file(), page


def test_the_top_level_help_says_where_the_documentation_is(capsys):
    from kplan.cli import main

    try:
        main(["--help"])
    except SystemExit:
        pass
    assert capsys.readouterr().out.rstrip().endswith(f"Documentation: {DOCS_URL}")


def test_an_address_is_never_broken_across_lines():
    urls = [u for text in helps().values() for u in re.findall(re.escape(DOCS_URL) + r"\S*", text)]
    assert urls and all(re.fullmatch(re.escape(DOCS_URL) + r"(?:[a-z0-9-]+/)?[).,]*", u) for u in urls), urls
