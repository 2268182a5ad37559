#!/usr/bin/env python3
"""`make schemas`: writes kplan/schemas/stack.schema.json and plan.schema.json, assembled from the base
(kplan/schemas/parts/) and each kind's shape (kplan/kinds/shape.py) by kplan.kinds.schema_parts.
`--check` writes nothing and exits 1 when a shipped file is out of date."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kplan.kinds.schema_parts import NAMES, assemble_from, render, shipped_path

KPLAN = Path(__file__).resolve().parents[1] / "kplan"


def read(relative: str) -> dict[str, Any] | None:
    path = KPLAN / relative
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    stale = []
    for name in NAMES:
        text = render(assemble_from(name, read))
        target = KPLAN / shipped_path(name)
        if target.read_text(encoding="utf-8") != text:
            stale.append(f"kplan/{shipped_path(name)}")
            if not check:
                target.write_text(text, encoding="utf-8")
    if stale:
        print(("out of date (run make schemas): " if check else "written: ") + ", ".join(stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
