"""Explaining how two documents differ (a desired and a live connector config): key by key, behind a plain
equality check, so the no-change path (thousands of resources that match) costs nothing. Secret values are compared
by digest, so nothing reported can carry a secret.
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
    """Top-level key -> how it differs, for the keys that differ (empty when the documents are equal). A value of
    another type differs even when Python would call it equal (1 and 1.0, "1" and 1); a secret is compared by
    digest. Key by key, whatever share of the keys differs (DeepDiff, used before, reported a document with few keys
    in common as one change of the whole, which had no key to name)."""
    if live == desired:
        return {}
    secret = frozenset(secret)

    def same(key: str) -> bool:
        a, b = live[key], desired[key]
        if key in secret:
            return digest(a) == digest(b)
        return type(a) is type(b) and a == b

    out: dict[str, KeyChange] = {k: KeyChange.ADDED for k in desired if k not in live}
    out.update({k: KeyChange.REMOVED for k in live if k not in desired})
    out.update({k: KeyChange.CHANGED for k in live if k in desired and not same(k)})
    return out
