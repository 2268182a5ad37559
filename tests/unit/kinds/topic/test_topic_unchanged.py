"""`_update`'s short way for a topic that matches its declaration (`_config_matches`, `_unchanged`) gives exactly
the change (and no diagnostics) its whole work gives, and is not taken whenever that work has something to say."""

from __future__ import annotations

import pytest

from kplan.kinds.base import PlanContext
from kplan.kinds.topic import kind
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import freeze
from kplan.model.live import LiveTopic
from kplan.secrets import SecretValues

EFFECTIVE = {"cleanup.policy": "delete", "retention.ms": "86400000", "max.message.bytes": "2097152",
             "remote.storage.enable": "false", "segment.ms": "604800000"}
SPEC = TopicSpec("t", 3, 2, config=freeze({"retention.ms": "86400000", "max.message.bytes": "2097152"}))
LIVE = LiveTopic("t", 3, 2, overrides=freeze({"retention.ms": "86400000", "max.message.bytes": "2097152"}),
                 effective=freeze(EFFECTIVE))

CASES = {
    "matching": (SPEC, LIVE),
    "matching, a duration written otherwise": (
        TopicSpec("t", 3, 2, config=freeze({"retention.ms": "86400000.0"})),
        LiveTopic("t", 3, 2, overrides=freeze({"retention.ms": "86400000"}), effective=freeze(EFFECTIVE))),
    "matching a default without an override": (
        TopicSpec("t", 3, 2, config=freeze({"cleanup.policy": "delete"})),
        LiveTopic("t", 3, 2, effective=freeze(EFFECTIVE))),
    "no config": (TopicSpec("t", 3, 2), LiveTopic("t", 3, 2, effective=freeze(EFFECTIVE))),
    "a value differs": (SPEC, LiveTopic("t", 3, 2, overrides=freeze({"retention.ms": "1", "max.message.bytes":
                                                                      "2097152"}), effective=freeze(EFFECTIVE))),
    "an undeclared override": (TopicSpec("t", 3, 2, config=freeze({"retention.ms": "86400000"})), LIVE),
    "an undeclared override, authoritative": (
        TopicSpec("t", 3, 2, config=freeze({"retention.ms": "86400000"}), authoritative_config=True), LIVE),
    "a key the cluster lacks": (TopicSpec("t", 3, 2, config=freeze({"x.y": "1"})), LIVE),
    "more partitions": (TopicSpec("t", 4, 2, config=SPEC.config), LIVE),
    "fewer partitions": (TopicSpec("t", 2, 2, config=SPEC.config), LIVE),
    "another replication factor": (TopicSpec("t", 3, 1, config=SPEC.config), LIVE),
    "ignored keys": (TopicSpec("t", 3, 2, config=SPEC.config, ignore_changes=("retention.*",)), LIVE),
    "a sensitive key": (SPEC, LiveTopic("t", 3, 2, overrides=LIVE.overrides, effective=LIVE.effective,
                                        sensitive_keys=frozenset({"retention.ms"}))),
    "tiered storage on": (
        TopicSpec("t", 3, 2, config=freeze({"remote.storage.enable": "true"})),
        LiveTopic("t", 3, 2, overrides=freeze({"remote.storage.enable": "true"}), effective=freeze(EFFECTIVE))),
}


@pytest.mark.parametrize("owned", (True, False))
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_short_way_gives_what_the_whole_work_gives(name, owned, monkeypatch):
    spec, live = CASES[name]
    ctx = PlanContext(1, SecretValues(), owned=owned)
    short = kind._update(spec, live, ctx)
    with monkeypatch.context() as m:
        m.setattr(kind, "_config_matches", lambda *a: False)
        whole = kind._update(spec, live, ctx)
    assert short == whole


def test_the_short_way_is_taken_only_for_a_match():
    assert kind._config_matches(SPEC.config, LIVE.overrides, LIVE.effective)
    assert kind._config_matches(SPEC.config, LIVE.overrides, LIVE.effective)  # remembered
    assert not kind._config_matches(freeze({"retention.ms": "86400000"}), LIVE.overrides, LIVE.effective)
    assert not kind._config_matches(freeze({"retention.ms": "1", "max.message.bytes": "2097152"}), LIVE.overrides,
                                    LIVE.effective)
