"""Plan <-> JSON-ready dicts, in the format described by schemas/plan.schema.json (used by the JSON renderer and
saved plans), by `kplan.plan.codec`'s converter. `plan_from_dict` rejects documents of an unknown format version."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kplan.errors import KplanError
from kplan.model.plan import FORMAT_VERSION, Plan, Selection
from kplan.plan.clusters import combine
from kplan.plan.codec import converter


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    doc: dict[str, Any] = converter.unstructure(plan)
    return doc


def plan_from_dict(doc: object) -> Plan:
    """Rebuild a Plan; raises KplanError (one line) on anything that is not a plan of this format version."""
    if not isinstance(doc, dict) or "format_version" not in doc or "resource_changes" not in doc:
        raise KplanError("not a kplan plan (no format_version/resource_changes)")
    if str(doc["format_version"]).split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise KplanError(f"unsupported plan format version {doc['format_version']!r} (this kplan reads "
                         f"{FORMAT_VERSION!r})")
    try:
        return _combined_from(doc) if doc.get("clusters") else converter.structure(doc, Plan)
    except (KeyError, TypeError, ValueError) as e:
        raise KplanError(f"malformed plan: {type(e).__name__}: {e}") from None


def _combined_from(doc: dict[str, Any]) -> Plan:
    """A several-cluster plan: one group per listed cluster, with the changes, diagnostics and unread systems that
    name it."""
    groups = []
    for c in doc["clusters"]:
        name = c["name"]
        part = {key: [x for x in doc.get(key) or () if x.get("cluster") == name]
                for key in ("resource_changes", "diagnostics", "not_read")}
        groups.append((name, converter.structure({**doc, **part, "cluster_id": c["cluster_id"], "selection": None,
                                                  "fingerprints": c.get("fingerprints", {}),
                                                  "fingerprinted": c.get("fingerprinted", {})}, Plan)))
    combined = combine(groups)
    selection = converter.structure(doc.get("selection"), Selection | None)  # type: ignore[arg-type]
    return combined if selection is None else replace(combined, selection=selection)
