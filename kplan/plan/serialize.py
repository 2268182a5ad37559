"""Plan <-> JSON-ready dicts, in the format described by schemas/plan.schema.json (used by the JSON renderer and
saved plans). `plan_from_dict` rejects documents of an unknown format version."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kplan.errors import KplanError
from kplan.model.consumers import ConsumerContext
from kplan.model.desired import Origin
from kplan.model.metadata import Meta
from kplan.model.plan import (
    FORMAT_VERSION,
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    NotRead,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    Selection,
    Severity,
)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    s = plan.summary
    if plan.groups:  # several clusters: each change and diagnostic names its cluster
        changes = [{"cluster": g.cluster_name, **_change(c)} for g in plan.groups for c in g.changes]
        diagnostics = [{"cluster": g.cluster_name, **_diag(d)} for g in plan.groups for d in g.diagnostics]
    else:
        changes = [_change(c) for c in plan.changes]
        diagnostics = [_diag(d) for d in plan.diagnostics]
    doc = {
        "format_version": plan.format_version,
        "stack": plan.stack,
        "environment": plan.environment,
        "cluster_id": plan.cluster_id,
        "destroy": plan.destroy,
        "inputs_digest": plan.inputs_digest,
        "summary": {
            "add": s.add, "change": s.change, "destroy": s.destroy, "unchanged": s.unchanged,
            "drift": s.drift, "errors": s.errors, "warnings": s.warnings,
            **({"restart": s.restart} if s.restart else {}),
            **({"metadata": s.metadata} if s.metadata else {}),
        },
        "resource_changes": changes,
        "diagnostics": diagnostics,
        "fingerprints": {k: plan.fingerprints[k] for k in sorted(plan.fingerprints)},
    }
    not_read = ([{"cluster": g.cluster_name, **n.to_json()} for g in plan.groups for n in g.not_read]
                if plan.groups else [n.to_json() for n in plan.not_read])
    if not_read:  # the declared systems this plan was allowed not to read (--allow-unreadable); absent: all read
        doc["not_read"] = not_read
    if plan.selection is not None:  # `kplan plan --owner/--label`: a view, never saved (kplan.plan.select)
        doc["selection"] = plan.selection.to_json()
    if plan.groups:  # each cluster's fingerprints with it (an address may be in several clusters)
        doc["clusters"] = [{"name": g.cluster_name, "cluster_id": g.cluster_id,
                            "fingerprints": {k: g.fingerprints[k] for k in sorted(g.fingerprints)}}
                           for g in plan.groups]
    return doc


def _origin(o: Origin | None) -> dict | None:
    return None if o is None else o.to_json()


def _change(c: ResourceChange) -> dict[str, Any]:
    return {
        "address": c.address,
        "type": c.type.value,
        "name": c.name,
        "actions": [a.value for a in c.actions],
        "before": _plain(c.before),
        "after": _plain(c.after),
        "sensitive_paths": [list(p) for p in c.sensitive_paths],
        "reason": c.reason.value,
        "flags": sorted(f.value for f in c.flags),
        "origin": _origin(c.origin),
        "attributes": [
            {
                "path": list(a.path), "kind": a.kind.value, "before": a.before, "after": a.after,
                "changed": a.changed, "sensitive": a.sensitive, "forces_replacement": a.forces_replacement,
                "note": a.note.value if a.note is not None else None,
            }
            for a in c.attributes
        ],
        "unchanged_attributes": c.unchanged_attributes,
        # what apply does (the kind's payload, `kplan.kinds.<kind>`); absent on a no-op
        **({"planned": c.planned.to_json()} if c.planned is not None else {}),
        # the consumer groups reading a topic the plan disrupts (kplan.plan.consumers); absent when not looked at
        **({"consumers": c.consumers.to_json()} if c.consumers is not None else {}),
        # its owner, description and labels (kplan.model.metadata); absent when it has none
        **c.meta.to_json(),
    }


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _diag(d: PlanDiagnostic) -> dict[str, Any]:
    return {
        "severity": d.severity.value, "code": d.code, "message": d.message, "address": d.address,
        "path": list(d.path) if d.path is not None else None, "origin": _origin(d.origin),
    }


def plan_from_dict(doc: Any) -> Plan:
    """Rebuild a Plan; raises KplanError (one line) on anything that is not a plan of this format version."""
    if not isinstance(doc, dict) or "format_version" not in doc or "resource_changes" not in doc:
        raise KplanError("not a kplan plan (no format_version/resource_changes)")
    if str(doc["format_version"]).split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise KplanError(f"unsupported plan format version {doc['format_version']!r} (this kplan reads "
                         f"{FORMAT_VERSION!r})")
    try:
        if doc.get("clusters"):
            return _combined_from(doc)
        return Plan(
            stack=doc["stack"],
            environment=doc.get("environment"),
            cluster_id=doc["cluster_id"],
            changes=tuple(_change_from(c) for c in doc["resource_changes"]),
            diagnostics=tuple(_diag_from(d) for d in doc.get("diagnostics", [])),
            fingerprints=dict(doc.get("fingerprints", {})),
            inputs_digest=doc.get("inputs_digest", ""),
            destroy=bool(doc.get("destroy", False)),
            format_version=str(doc["format_version"]),
            selection=_selection_from(doc.get("selection")),
            not_read=tuple(NotRead.from_json(n) for n in doc.get("not_read") or ()),  # absent from older plans: none
        )
    except (KeyError, TypeError, ValueError) as e:
        raise KplanError(f"malformed plan: {type(e).__name__}: {e}") from None


def _combined_from(doc: dict) -> Plan:
    """A several-cluster plan: one group per listed cluster, with the changes and diagnostics that name it."""
    from kplan.plan.clusters import combine

    groups = []
    for c in doc["clusters"]:
        name = c["name"]
        groups.append((name, Plan(
            stack=doc["stack"], environment=doc.get("environment"), cluster_id=c["cluster_id"],
            changes=tuple(_change_from(x) for x in doc["resource_changes"] if x.get("cluster") == name),
            diagnostics=tuple(_diag_from(x) for x in doc.get("diagnostics", []) if x.get("cluster") == name),
            fingerprints=dict(c.get("fingerprints", {})), inputs_digest=doc.get("inputs_digest", ""),
            destroy=bool(doc.get("destroy", False)),
            format_version=str(doc["format_version"]),
            not_read=tuple(NotRead.from_json(x) for x in doc.get("not_read") or () if x.get("cluster") == name))))
    if not groups:
        raise KplanError("malformed plan: `clusters` is empty")
    combined = combine(groups)
    selection = _selection_from(doc.get("selection"))
    return combined if selection is None else replace(combined, selection=selection)


def _selection_from(d: dict | None) -> Selection | None:
    if d is None:
        return None
    return Selection(d.get("owner"), dict(d.get("labels") or {}), int(d.get("hidden_changes", 0)),
                     int(d.get("hidden_resources", 0)))


def _origin_from(d: dict | None) -> Origin | None:
    return None if d is None else Origin.from_json(d)


def _change_from(d: dict) -> ResourceChange:
    actions = [Action(a) for a in d["actions"]]
    if len(actions) != 1:
        raise ValueError(f"{d['address']}: expected exactly one action, got {d['actions']}")
    return ResourceChange(
        address=d["address"],
        type=ResourceType(d["type"]),
        name=d["name"],
        action=actions[0],
        before=d.get("before"),
        after=d.get("after"),
        attributes=tuple(
            AttributeChange(tuple(a["path"]), AttrKind(a["kind"]), a.get("before"), a.get("after"),
                            bool(a.get("sensitive")), bool(a.get("forces_replacement")),
                            NoteKind(a["note"]) if a.get("note") is not None else None)
            for a in d.get("attributes", [])
        ),
        unchanged_attributes=int(d.get("unchanged_attributes", 0)),
        sensitive_paths=tuple(tuple(p) for p in d.get("sensitive_paths", [])),
        flags=frozenset(Flag(f) for f in d.get("flags", [])),
        reason=Reason(d.get("reason", "")),
        origin=_origin_from(d.get("origin")),
        planned=_planned_from(d),
        consumers=ConsumerContext.from_json(d["consumers"]) if d.get("consumers") is not None else None,
        meta=Meta.from_json(d),
    )


def _planned_from(d: dict) -> PlannedPayload | None:
    """The change's payload, by its kind's type; None in a plan saved before there was one (apply refuses such a
    plan: `kplan.kinds.planned`)."""
    if d.get("planned") is None:
        return None
    from kplan.kinds import kind_of  # plan sits above kinds; imported here as the kinds import the plan model

    return kind_of(d["type"]).planned_type.from_json(d["planned"])


def _diag_from(d: dict) -> PlanDiagnostic:
    return PlanDiagnostic(
        severity=Severity(d["severity"]), message=d["message"], code=d.get("code", ""), address=d.get("address"),
        path=tuple(d["path"]) if d.get("path") is not None else None, origin=_origin_from(d.get("origin")),
    )

