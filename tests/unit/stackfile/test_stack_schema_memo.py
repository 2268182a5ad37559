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
