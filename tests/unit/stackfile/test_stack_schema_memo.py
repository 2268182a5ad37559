"""Long resource lists are validated once per distinct shape: the errors must be exactly those of a
whole-document validation, with the same paths."""

from kplan.stackfile import schema


def _doc(topics):
    return {"stack": "s", "topics": topics}


def test_memoized_validation_reports_the_same_errors_as_whole_document_validation():
    topics = [{"name": f"t{i}", "partitions": 1, "config": {"retention.ms": "1"}} for i in range(40)]
    topics[7]["partitions"] = 0
    topics[21]["name"] = "bad name!"
    topics[33]["colour"] = "red"
    memo = sorted((tuple(e.absolute_path), e.validator) for e in schema._iter_errors(_doc(topics)))
    whole = sorted((tuple(e.absolute_path), e.validator) for e in schema.STACK.validator.iter_errors(_doc(topics)))
    assert memo == whole
    assert ("topics", 7, "partitions") in [p for p, _ in memo]
    assert any(p[:2] == ("topics", 21) for p, _ in memo)
    assert any(p == ("topics", 33) and v == "additionalProperties" for p, v in memo)


def test_short_lists_take_the_whole_document_path():
    topics = [{"name": "a", "partitions": 0}]
    assert [tuple(e.absolute_path) for e in schema._iter_errors(_doc(topics))] == [("topics", 0, "partitions")]


def test_the_long_lists_names_are_checked_by_the_fast_name_predicate():
    """A name schema `_surely_valid_string` declines (a keyword it does not know) is checked by the general fast check
    instead, about thirty times slower per name (a hundred thousand topics): an annotation such as `examples` added to
    a name's schema must not do that."""
    for key in schema._MEMO_LISTS:
        name_schema = schema.STACK.schema["properties"][key]["items"]["properties"]["name"]
        assert schema._surely_valid_string(name_schema) is not None, key
