"""What the generated reference pages share (dev/docs_reference.py, dev/docs_kinds.py): where things are, and a
description as a table cell."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the pages describe this tree's kplan, not another one the environment may import
    sys.path.insert(0, str(ROOT))
SCHEMAS = ROOT / "kplan" / "schemas"
DOCS = ROOT / "docs"


def cell(value: str) -> str:
    """A description as Markdown table-cell text: outside `code` spans, `<`/`>` are shown (not taken as HTML), `|`
    does not end the cell (inside them Python-Markdown's tables keep it), and docs/NAME.md becomes a link to that
    page of the site."""
    out = []
    for i, part in enumerate(re.split(r"(`[^`]*`)", value)):
        if i % 2:
            out.append(part)  # a table keeps a code span's | in its cell (an escape would show)
            continue
        part = part.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        part = part.replace("|", "\\|")
        part = part.replace("*", "\\*")  # globs (*.ms), not emphasis
        part = re.sub(r"\bdocs/([a-z0-9-]+)\.md\b",
                      lambda m: f"[{m.group(1)}.md](../{m.group(1)}.md)" if (DOCS / f"{m.group(1)}.md").is_file()
                      else m.group(0), part)
        out.append(part)
    return " ".join("".join(out).split())
