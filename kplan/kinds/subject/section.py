"""The `subjects` section as the loader knows it before building it: its name and how its entries are worded.

The section's builder reads the schema files the entries name, so it lives with the loader's file reads
(`kplan.stackfile.subjects.build_section`), not here.
"""

from __future__ import annotations


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"subject {name!r}" if isinstance(name, str) else "subject"


# The loader's `subjects:` section (kplan.kinds.stack_sections); built by kplan.stackfile.subjects.
SECTION = "subjects"
