"""JSON rendering: the versioned document described by schemas/plan.schema.json."""

from __future__ import annotations

import json

from kplan.model.plan import Plan
from kplan.plan.serialize import plan_to_dict


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
