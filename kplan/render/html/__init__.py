"""The HTML renderer: one self-contained page for plans too big for a pull-request comment (docs/html-report.md).
A sibling of the text, Markdown and JSON renderers: the plan model in, a string out."""

from kplan.render.html.page import render_html

__all__ = ["render_html"]
