"""Every `${secret:...}` reference the stack declares must resolve on every plan, whether or not the plan needs its
value now: a user's password is only used when it is set again, a CDC source's database password only on destroy,
so a broken secret source (an expired vault token, an unset variable) would otherwise go unnoticed until the next
rotation or destroy. Resolution itself happens once at the edge (kplan.stackfile.references); this only judges it.

A plan (and status, apply) gets one located error per reference that did not resolve. A destroy gets a warning
instead: it deletes without needing those values (a user's password, a connector's config), and a broken secret
source must not keep a stack from being torn down; what a destroy does need (the cluster's credentials, a CDC
source's database password for its clean-up) still fails where it is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, TypeAlias

from kplan.kinds import UNITS
from kplan.model.plan import PlanDiagnostic, error, warning
from kplan.secrets import references_in

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

CODE = "secret-unresolved"
# (address, path) of the value a diagnostic is about (path None: the whole resource)
About: TypeAlias = tuple[str | None, tuple[str, ...] | None]


def _declared(stack: "Stack") -> Iterator[tuple[str, str | None, tuple[str, ...] | None, "Origin | None"]]:
    """(value, address, path, origin) of every value the stack declares that may hold a reference: each kind's
    (its UNIT's `secret_fields`, in the kinds' order; the plan orders the diagnostics by address), then the
    cluster's."""
    for unit in UNITS:
        fields = unit.secret_fields
        if fields is None:
            continue
        kind = unit.kind
        for spec in kind.declared(stack):
            for value, path, origin in fields(spec):
                yield value, kind.address(spec.name), path, origin
    cluster = stack.cluster
    registry: list[str | None] = [cluster.schema_registry_url, *cluster.schema_registry.references()]
    connect: list[str | None] = [cluster.connect_url, *cluster.connect.references()]
    for where, values in ((("cluster", "schema_registry"), registry), (("cluster", "connect"), connect)):
        for v in values:
            yield v or "", None, where, None


def unresolved_references(stack: "Stack", secrets: "SecretValues", *, destroy: bool = False,
                          reported: frozenset[About] = frozenset()) -> list[PlanDiagnostic]:
    """One diagnostic per declared reference that did not resolve (its message names the variable, file or command,
    never a value): an error, or on `destroy` a warning. `reported`: (address, path) already told by a kind (path
    None: about the whole resource)."""
    if not secrets.problems:
        return []
    out: list[PlanDiagnostic] = []
    seen: set[About | tuple[str | None, tuple[str, ...] | None, str]] = set(reported)  # with a reference: one of it
    for value, address, path, origin in _declared(stack):
        for ref in references_in(value):
            if ref not in secrets.problems or {(address, path, ref), (address, path), (address, None)} & seen:
                continue
            seen.add((address, path, ref))
            where = "" if address is not None else ".".join(path or ()) + ": "
            why = ("destroy does not need this value and goes on without it" if destroy else
                   "every secret the stack declares must resolve, also when this plan does not use it")
            out.append((warning if destroy else error)(f"{where}{secrets.problems[ref]}; {why}", CODE,
                                                       address=address, path=path, origin=origin))
    return out
