"""The Connect features the connector and offsets kinds' changes need (Kind.version_checks, kplan.kinds
.connect_features), and the one line a worker too old for one gets at plan time (the golden case plan/connect-version
shows it in a whole plan)."""

from __future__ import annotations

import pytest
from builders import live_state

from kplan.kinds import kind_of
from kplan.kinds.connector.kind import DELETE, INITIAL_STATE, STOP
from kplan.kinds.connector.kind import needed as connector_needs
from kplan.kinds.offsets.kind import OFFSETS_API
from kplan.kinds.offsets.kind import needed as offsets_needs
from kplan.model.live import LiveState
from kplan.model.plan import Action, AttributeChange, AttrKind, ResourceChange, ResourceType
from kplan.rules.connect_versions import parse_version


@pytest.mark.parametrize("text, want", [("3.9.2", (3, 9)), ("4.3.1", (4, 3)), ("3.6.0-ccs", (3, 6)),
                                        ("7.6.1-ce", (3, 6)), ("8.0.0", (4, 0)), ("", None), (None, None),
                                        ("unknown", None)])
def test_versions_read_as_apache_kafka_major_minor(text, want):
    assert parse_version(text) == want


def _connector(action: Action, attributes=()) -> ResourceChange:
    return ResourceChange("connector.c", ResourceType.CONNECTOR, "c", action, attributes=tuple(attributes))


def test_each_change_needs_the_feature_it_uses():
    assert connector_needs(_connector(Action.CREATE)) is INITIAL_STATE
    assert connector_needs(_connector(Action.DELETE)) is DELETE
    stop = AttributeChange(("state",), AttrKind.UPDATE, "running", "stopped")
    pause = AttributeChange(("state",), AttrKind.UPDATE, "running", "paused")
    assert connector_needs(_connector(Action.UPDATE, [stop])) is STOP
    assert connector_needs(_connector(Action.UPDATE, [pause])) is None
    assert offsets_needs(ResourceChange("offsets.c", ResourceType.OFFSETS, "c", Action.UPDATE)) is OFFSETS_API
    assert offsets_needs(ResourceChange("offsets.c", ResourceType.OFFSETS, "c", Action.NOOP)) is None
    topic_create = ResourceChange("topic.t", ResourceType.TOPIC, "t", Action.CREATE)
    assert kind_of(ResourceType.TOPIC).version_checks([topic_create], _live("3.0.0")) == []


def _live(version: str | None) -> LiveState:
    return live_state("c", 1, connect_versions={"default": version} if version else {})


def connect_version_checks(changes, version: str | None):
    """Each kind's checks of its own changes, in the plan's order of kinds."""
    live = _live(version)
    return [d for t in (ResourceType.CONNECTOR, ResourceType.OFFSETS)
            for d in kind_of(t).version_checks([c for c in changes if c.type == t], live)]


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
