"""kplan.plan.connect_version: which change needs which Kafka Connect feature, and the one line a worker too old for
it gets at plan time (the golden case plan/connect-version shows it in a whole plan)."""

from __future__ import annotations

import pytest

from kplan.model.plan import Action, AttributeChange, AttrKind, ResourceChange, ResourceType
from kplan.plan.connect_version import (
    DELETE,
    INITIAL_STATE,
    OFFSETS_API,
    STOP,
    connect_version_checks,
    needed,
    parse_version,
)


@pytest.mark.parametrize("text, want", [("3.9.2", (3, 9)), ("4.3.1", (4, 3)), ("3.6.0-ccs", (3, 6)),
                                        ("7.6.1-ce", (3, 6)), ("8.0.0", (4, 0)), ("", None), (None, None),
                                        ("unknown", None)])
def test_versions_read_as_apache_kafka_major_minor(text, want):
    assert parse_version(text) == want


def _connector(action: Action, attributes=()) -> ResourceChange:
    return ResourceChange("connector.c", ResourceType.CONNECTOR, "c", action, attributes=tuple(attributes))


def test_each_change_needs_the_feature_it_uses():
    assert needed(_connector(Action.CREATE)) is INITIAL_STATE
    assert needed(_connector(Action.DELETE)) is DELETE
    stop = AttributeChange(("state",), AttrKind.UPDATE, "running", "stopped")
    pause = AttributeChange(("state",), AttrKind.UPDATE, "running", "paused")
    assert needed(_connector(Action.UPDATE, [stop])) is STOP
    assert needed(_connector(Action.UPDATE, [pause])) is None
    assert needed(ResourceChange("offsets.c", ResourceType.OFFSETS, "c", Action.UPDATE)) is OFFSETS_API
    assert needed(ResourceChange("offsets.c", ResourceType.OFFSETS, "c", Action.NOOP)) is None
    assert needed(ResourceChange("topic.t", ResourceType.TOPIC, "t", Action.CREATE)) is None


def test_a_worker_too_old_gets_one_line_naming_the_feature_the_version_and_what_to_do():
    changes = (_connector(Action.CREATE), ResourceChange("offsets.c", ResourceType.OFFSETS, "c", Action.UPDATE))
    [create, offsets] = connect_version_checks(changes, "3.6.1")[:1] + connect_version_checks(changes, "3.5.2")[1:]
    assert create.message == ("the Kafka Connect worker is version 3.6.1; creating a connector in its declared state "
                              "(initial_state, KIP-980) needs Connect 3.7 or newer: upgrade the worker to 3.7+")
    assert create.address == "connector.c" and create.code == "connect-version"
    assert offsets.message.endswith("needs Connect 3.6 or newer: upgrade the worker to 3.6+, or remove the offsets "
                                    "request")
    assert len(connect_version_checks(changes, "3.6.1")) == 1  # 3.6 has the offsets API
    assert connect_version_checks(changes, "3.7.0") == []
    assert connect_version_checks(changes, "4.3.1") == []
    assert connect_version_checks(changes, None) == []  # not read: not checked
