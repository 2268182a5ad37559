"""Plan renderers: text (terminal), markdown (PR comments), json (machines), html (one self-contained page for
plans too big for a comment). All pure: Plan in, str out."""

from kplan.secrets import scrub

FORMATS = ("text", "markdown", "json", "html")


def render(plan, fmt: str, *, color: bool = False) -> str:
    """The plan in `fmt`, every known secret value masked (kplan.secrets.KNOWN; the plan is already scrubbed, the
    rendered text is checked once more at this boundary)."""
    return scrub(_render(plan, fmt, color=color))


def _render(plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        from kplan.render.text import render_text

        return render_text(plan, color=color)
    if fmt == "markdown":
        from kplan.render.markdown import render_markdown

        return render_markdown(plan)
    if fmt == "json":
        from kplan.render.json import render_json

        return render_json(plan)
    if fmt == "html":
        from kplan.render.html import render_html

        return render_html(plan)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
