"""MemberInput.unflagged: a section's entries the schema did not flag, in order, the same (item, location) pairs."""

from types import SimpleNamespace

from kplan.model.source import Loc
from kplan.stackfile.member import MemberInput


def _input(entries: list, flagged: set[int]) -> MemberInput:
    ctx = SimpleNamespace(flagged=SimpleNamespace(items=flagged))
    return MemberInput(ctx, None, None, Loc("s.yaml", 1, 1), {"topics": entries})  # type: ignore[arg-type]


def test_flagged_entries_are_left_out_in_order():
    a, b, c = {"name": "a"}, {"name": "b"}, {"name": "c"}
    entries = [(a, Loc("s.yaml", 2, 3)), (b, Loc("s.yaml", 5, 3)), (c, Loc("s.yaml", 8, 3))]
    assert _input(entries, {id(b)}).unflagged("topics") == [entries[0], entries[2]]


def test_nothing_flagged_gives_every_entry_in_a_new_list():
    entries = [({"name": "a"}, Loc("s.yaml", 2, 3)), ({"name": "b"}, Loc("s.yaml", 5, 3))]
    got = _input(entries, set()).unflagged("topics")
    assert got == entries and got is not entries
    got.append(None)  # a caller's list: the member's own is untouched
    assert len(entries) == 2
