"""A topic's undo image never carries a null config value: Kafka does not return a sensitive override's value, so
the image leaves the key out rather than asking the broker to set it to null."""

from __future__ import annotations

from builders import live, ltopic, stack

from kplan.apply.steps import build
from kplan.plan.planner import make_plan


def test_a_deleted_topics_hidden_sensitive_value_is_left_out_of_its_undo_image():
    hidden = ltopic("orders", overrides={"retention.ms": "1000", "secret.key": None}, sensitive=("secret.key",))
    current = live([hidden])
    plan = make_plan(stack(), current)
    (step,) = build(plan, stack(), current).steps[:1]
    assert step.kind == "delete-topics"
    before = step.topics_before["orders"]
    assert None not in before.config.values() and "secret.key" not in before.config
