"""Plan renderers: text (terminal), markdown (PR comments), json (machines), html (one self-contained page for
plans too big for a comment). All pure: Plan in, str out."""

import importlib
import json

from kplan.secrets import scrub

FORMATS = ("text", "markdown", "json", "html")


def render(plan, fmt: str, *, color: bool = False) -> str:
    """The plan in `fmt`, every known secret value masked (kplan.secrets.KNOWN; the plan is already scrubbed, the
    rendered text is checked once more at this boundary)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return scrub(render_json(plan))
    rendering = getattr(importlib.import_module(f"kplan.render.{fmt}"), f"render_{fmt}")  # e.g. render.text's
    return scrub(rendering(plan, color=color) if fmt == "text" else rendering(plan))


def render_json(plan) -> str:
    """The versioned document described by schemas/plan.schema.json."""
    from kplan.plan.serialize import plan_to_dict

    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
