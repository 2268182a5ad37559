"""Resolving kplan's `${secret:env:NAME}` / `${secret:file:PATH}` / `${secret:cmd:NAME}` references: the edge
where secrets are read.

The loaded stack keeps references unresolved. A command resolves every reference its stack makes once, here
(environment variables, secret files and the stack's secret commands), and hands the resulting `SecretValues` to
the pure planner, the executor and the client factories, which only substitute from it. A reference that cannot
be resolved is recorded with a message naming the variable, file or command (never a value, never a command's
output); using it raises that message.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, Mapping

from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.secrets import SECRET_REF, SecretValues, references_in, remember, secret_ref_problem
from kplan.stackfile.files import NUL_IN_PATH, shown_path
from kplan.stackfile.secret_run import run_secret_command

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import SecretCommand, Stack


def resolve_reference(ref: str, environ: Mapping[str, str],
                      commands: Mapping[str, "SecretCommand"] | None = None) -> str:
    """The value of one well-formed `${secret:...}` reference; KplanError naming what is missing."""
    m = SECRET_REF.fullmatch(ref)
    if m is None:
        raise KplanError(secret_ref_problem(ref) or f"malformed secret reference {ref!r}")
    if m["kind"] == "cmd":
        name, known = m["target"], commands or {}
        if name not in known:
            declared = ", ".join(sorted(known)) or "none"
            raise KplanError(f"secret reference ${{secret:cmd:{name}}}: no secret command {name} is configured "
                             f"(secret_commands: declares {declared})")
        return run_secret_command(known[name], environ)
    if m["kind"] == "env":
        name = m["target"]
        if name not in environ:
            raise KplanError(f"secret reference ${{secret:env:{name}}}: environment variable {name} is not set")
        return environ[name]
    path = m["target"]
    if "\0" in path:  # open() would raise ValueError
        raise KplanError(f"secret reference ${{secret:file:{shown_path(path)}}}: the path {NUL_IN_PATH}")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\r\n")
    except OSError as e:
        raise KplanError(f"secret reference ${{secret:file:{path}}}: cannot read the file ({e.strerror})") from None
    except UnicodeDecodeError:
        raise KplanError(f"secret reference ${{secret:file:{path}}}: the file is not UTF-8 text") from None


def resolve_references(values: Iterable[object], environ: Mapping[str, str] | None = None,
                       commands: Mapping[str, "SecretCommand"] | None = None) -> SecretValues:
    """Resolve every reference found in `values` (each at most once; a secret command at most once per run)."""
    env = os.environ if environ is None else environ
    resolved: dict[str, str] = {}
    problems: dict[str, str] = {}
    for value in values:
        for ref in references_in(value):
            if ref in resolved or ref in problems:
                continue
            try:
                resolved[ref] = resolve_reference(ref, env, commands)
            except KplanError as e:
                problems[ref] = str(e)
    remember(resolved.values())  # resolved secrets are masked in all output from now on
    return SecretValues(resolved, problems)


def stack_references(stack: "Stack") -> list[str]:
    """Every value of the stack that may hold a reference: each kind's (its UNIT's `secret_fields`, in the kinds'
    order: a connector's config and a CDC source's database password, a SCRAM user's password), then the cluster's
    client settings and its `connect_url` (a password in its userinfo,
    `http://user:${secret:env:CONNECT_PASSWORD}@host:8083`) and `connect`'s credentials, each named Connect cluster's
    URL and credentials, and the schema registry's."""
    values = [value for u in UNITS if u.section is not None and (fields := u.secret_fields) is not None
              for spec in stack.of(u.section.key) for value, _path, _origin in fields(spec)]
    values += [str(v) for v in stack.cluster.client_properties.values()]
    if stack.cluster.connect_url:
        values.append(stack.cluster.connect_url)
    values += stack.cluster.connect.references()  # cluster.connect's password, bearer token, header values
    for target in stack.cluster.connects.values():  # the named Connect clusters' (`cluster.connect` as a map)
        values += [target.url, *target.access.references()]
    if stack.cluster.schema_registry_url:  # the schema registry's URL and credentials, likewise
        values.append(stack.cluster.schema_registry_url)
    values += stack.cluster.schema_registry.references()
    return values


def resolve_stack_secrets(stack: "Stack", environ: Mapping[str, str] | None = None) -> SecretValues:
    return resolve_references(stack_references(stack), environ, stack.secret_commands)
