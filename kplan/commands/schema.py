"""`kplan schema [stack|plan|policy] [--path]`: the JSON Schemas shipped inside the installed package.

The schemas are not published at a URL (their `$id` is a URN, so nothing pretends to resolve). An editor or a
tool takes them from the package: `kplan schema stack > stack.schema.json`, or `kplan schema stack --path` for
the file itself (docs/editor-schema.md).
"""

from __future__ import annotations

import sys
from importlib import resources

import click

NAMES = ("stack", "plan", "policy")


@click.command("schema")
@click.argument("name", type=click.Choice(NAMES), default="stack")
@click.option("--path", "show_path", is_flag=True, help="Print the schema file's path instead of its content.")
def schema_command(name, show_path):
    """Print the stack (default), plan or policy-file JSON Schema shipped with this kplan, or its path (--path)."""
    # the packaged file (a Traversable; a real path when kplan is installed from a wheel or a checkout)
    resource = resources.files("kplan").joinpath("schemas", f"{name}.schema.json")
    if show_path:
        click.echo(str(resource))
    else:
        sys.stdout.write(resource.read_text(encoding="utf-8"))
