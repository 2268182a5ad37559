"""Explaining how two documents differ (a desired and a live connector config today; ACL sets and schemas later).

deepdiff is the tool for nested documents; it is used only behind a plain equality check, so the no-change path
(thousands of resources that match) costs nothing and never imports it. Secret values are compared by digest and
never handed to deepdiff in plaintext, so nothing it reports can carry a secret.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, Mapping

from kplan.secrets import digest


class KeyChange(str, Enum):
    ADDED = "added"  # in the desired document only
    REMOVED = "removed"  # in the live document only
    CHANGED = "changed"


def key_changes(live: Mapping[str, str], desired: Mapping[str, str],
                secret: Iterable[str] = ()) -> dict[str, KeyChange]:
    """Top-level key -> how it differs, for the keys that differ (empty when the documents are equal)."""
    if live == desired:
        return {}
    from deepdiff import DeepDiff

    secret = frozenset(secret)

    def comparable(doc: Mapping[str, str]) -> dict[str, str]:
        return {k: (digest(v) if k in secret else v) for k, v in doc.items()}

    diff = DeepDiff(comparable(live), comparable(desired), view="tree")
    out: dict[str, KeyChange] = {}
    for report, change in (("dictionary_item_added", KeyChange.ADDED), ("dictionary_item_removed", KeyChange.REMOVED),
                           ("values_changed", KeyChange.CHANGED), ("type_changes", KeyChange.CHANGED)):
        for level in diff.get(report, ()):
            out[str(level.path(output_format="list")[0])] = change
    return out
