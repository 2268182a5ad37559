"""kplan.rules.documents.key_changes: key by key, whatever share of the keys differs."""

from kplan.rules.documents import KeyChange, key_changes


def test_documents_with_few_keys_in_common_are_compared_key_by_key():
    # DeepDiff 8+ reported such a pair as one change of the whole document (no key): the planner crashed on it
    live = {"connector.class": "x", "tasks.max": "1", "topics": "a"}
    desired = {"connector.class": "x", "tasks.max": "1", "topics": "b", **{f"k{i}": "v" for i in range(12)}}
    out = key_changes(live, desired)
    assert out["topics"] == KeyChange.CHANGED and len(out) == 13
    assert all(out[f"k{i}"] == KeyChange.ADDED for i in range(12))


def test_added_removed_changed_types_and_secrets():
    assert key_changes({"a": "1", "b": "2", "c": 1}, {"a": "1", "c": 1.0, "d": "4"}) == {
        "b": KeyChange.REMOVED, "c": KeyChange.CHANGED, "d": KeyChange.ADDED}
    assert key_changes({"p": "old"}, {"p": "new"}, secret=["p"]) == {"p": KeyChange.CHANGED}
    assert key_changes({"p": "same"}, {"p": "same", "q": "x"}, secret=["p"]) == {"q": KeyChange.ADDED}
    assert key_changes({"a": "1"}, {"a": "1"}) == {}
