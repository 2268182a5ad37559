"""Transforms and predicates checked at plan, before anything is applied (docs/stack-format.md): a typo in a
transform's class and a missing required transform setting are the worker's own answers (`config/validate`), each
one error line at the stack file's line of that transform; a predicate named but not defined is one located error
before any request. Nothing is created."""

from __future__ import annotations

import requests
from kplan_helpers import base_stack, kplan, write_stack


def _stack(prefix, stack, tmp_path, config: dict):
    doc = base_stack(prefix, stack)
    doc["connectors"] = [{"name": f"{prefix}-sink", "class": "FileStreamSink",
                          "config": {"topics": f"{prefix}.orders", "file": str(tmp_path / "out.txt"), **config}}]
    return write_stack(tmp_path / "stack.yaml", doc)


def _line(path, text: str) -> int:
    return _at(path, text)[0]


def _at(path, text: str) -> tuple[int, int]:
    """(line, column) of `text` in the stack file, 1-based, as kplan locates a value."""
    return next((i, line.index(text) + 1) for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _errors(run) -> list[str]:
    return [line for line in (run.out + run.err).splitlines() if line.startswith("Error: ")]


def _absent(stack, prefix) -> bool:
    return requests.get(f"{stack.connect_url}/connectors/{prefix}-sink", timeout=30).status_code == 404


def test_a_transform_class_typo_and_a_missing_setting_are_refused_at_their_lines(stack, prefix, tmp_path):
    path = _stack(prefix, stack, tmp_path, {
        "transforms": "mask,route",
        "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskFieldd$Value",
        "transforms.mask.fields": "card",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)"})  # its replacement missing
    for command in (("plan",), ("apply", "--auto-approve")):
        run = kplan(*command, str(path))
        assert run.code == 1, run.text
        errors = _errors(run)
        mask, route = _line(path, "MaskFieldd"), _line(path, "RegexRouter")
        assert any(e.startswith(f"Error: {path}:{mask}:") and "MaskFieldd$Value could not be found" in e
                   for e in errors), errors
        assert any(e.startswith(f"Error: {path}:{route}:") and 'Missing required configuration '
                   '"transforms.route.replacement"' in e for e in errors), errors
        located = [e for e in errors if e.startswith(f"Error: {path}:")]
        assert len(located) == 2, errors  # one line each, nothing else located elsewhere
    assert _absent(stack, prefix)


def test_a_predicate_named_but_not_defined_is_one_located_error(stack, prefix, tmp_path):
    path = _stack(prefix, stack, tmp_path, {
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)", "transforms.route.replacement": "copy-$1",
        "transforms.route.predicate": "isOrders"})
    run = kplan("plan", str(path))
    assert run.code == 1, run.text
    line, column = _at(path, "isOrders")
    assert _errors(run) == [f"Error: {path}:{line}:{column}: connectors[0].config.transforms.route."
                            'predicate: transform "route" names predicate "isOrders", which the config does not '
                            "define (predicates: none); add it to predicates with predicates.isOrders.type"], run.text
    assert _absent(stack, prefix)
