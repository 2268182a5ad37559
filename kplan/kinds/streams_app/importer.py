"""Kafka Streams applications in `kplan import`, recognised by the rights their principal holds: a group READ on
`<id>` with topic CREATE on the prefix `<id>-` (what kplan generates, and what Kafka Streams' security guide asks
for). Each is written as a `streams_apps` entry — inputs (topics it may READ), outputs (WRITE), exactly once (its
transactional ids) — and its internal topics (`<id>-...-changelog`, `-repartition`...) are imported as part of it,
not as topics of their own (`topics_of`)."""

from __future__ import annotations

from typing import Any, Iterable

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.shape import said
from kplan.kinds.streams_app.kind import acl_slice
from kplan.kinds.streams_app.model import SHAPE, app_bindings, is_internal_topic
from kplan.model.bindings import ACL_PREFIX, AclBinding
from kplan.model.live import LiveState


def recognised(live: LiveState) -> list[tuple[str, str, frozenset[AclBinding]]]:
    """(application id, principal, the principal's ALLOW bindings for any host "*") of every application the ACLs
    show."""
    out = []
    for principal, acls in sorted(acl_slice(live).resources.items()):
        bindings = frozenset(b for b in acls.bindings if b.permission == "ALLOW" and b.host == "*")
        for b in sorted(bindings):
            if b.resource == "group" and b.pattern == "literal" and b.operation == "READ" and \
                    AclBinding("topic", "prefixed", f"{b.name}-", "CREATE") in bindings:
                out.append((b.name, principal, bindings))
    return out


def topics_of(live: LiveState) -> dict[str, str]:
    """Internal topic -> the application it belongs to."""
    names = live.topic_names()
    return {t: app for app, _, _ in recognised(live) for t in sorted(names) if is_internal_topic(app, t)}


def _names(bindings: Iterable[AclBinding], operation: str, app: str) -> list[str]:
    return sorted({(ACL_PREFIX + b.name) if b.pattern == "prefixed" else b.name for b in bindings
                   if b.resource == "topic" and b.operation == operation
                   and not (b.pattern == "prefixed" and b.name == f"{app}-")})


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    out = []
    internal = topics_of(live)
    for app, principal, bindings in recognised(live):
        if not ctx.selects(app) or ctx.owned_elsewhere("streams_app", app):
            continue
        eos = AclBinding("transactional_id", "prefixed", f"{app}-", "WRITE") in bindings
        entry = said(SHAPE.attrs, {"application_id": app, "principal": principal,
                                   "inputs": _names(bindings, "READ", app), "outputs": _names(bindings, "WRITE", app),
                                   "exactly_once": eos})
        mine = sorted(t for t, a in internal.items() if a == app)
        if mine:
            ctx.notes.append(f"streams app {app!r}: its internal topic(s) {', '.join(mine)} imported as part of it")
        extra = set(app_bindings(app, entry["inputs"], entry["outputs"], eos))
        if extra & bindings:
            ctx.notes.append(f"streams app {app!r}: the bindings it generates are also in the acls entry of "
                             f"{principal}; remove them there (kplan keeps them with the application)")
        out.append(entry)
    return out


IMPORTER = KindImporter("Kafka Streams application(s)", entries, skip_help="Import no Kafka Streams applications.",
                        topics_of=topics_of)
