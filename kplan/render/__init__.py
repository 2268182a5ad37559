"""Plan renderers: text (terminal), markdown (PR comments), json (machines). All pure: Plan in, str out."""

FORMATS = ("text", "markdown", "json")


def render(plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        from kplan.render.text import render_text

        return render_text(plan, color=color)
    if fmt == "markdown":
        from kplan.render.markdown import render_markdown

        return render_markdown(plan)
    if fmt == "json":
        from kplan.render.json import render_json

        return render_json(plan)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
