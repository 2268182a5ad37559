"""Feature versions, the pure parts: what a plan does with a declared level against the finalized one and the
brokers' range, the step it builds, and its rollback (on the real broker: tests/integration/test_features.py)."""

from __future__ import annotations

import io

import pytest
from builders import stack as make_stack
from executor_runs import FakeStore
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.kinds.base import PlanContext
from kplan.kinds.feature.kind import KIND, FeaturePlanned
from kplan.kinds.feature.live import LiveFeature, live_from_json
from kplan.kinds.feature.model import FeatureSpec
from kplan.kinds.feature.steps import FeatureUpdate, UpdateFeatures, build_feature_steps
from kplan.kinds.group_request.kind import share_declared
from kplan.model.plan import Action, Plan, Severity
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, RunStatus, StepStatus

SHARE_OFF = LiveFeature("share.version", 0, 0, 1)


def plan(spec: FeatureSpec, live: LiveFeature | None = SHARE_OFF):
    return KIND.plan(spec, live, PlanContext(1, SecretValues()))


def test_a_higher_level_is_an_upgrade_undone_by_a_safe_downgrade():
    change, diags = plan(FeatureSpec("share.version", 1))
    assert change.action == Action.UPDATE and diags == []
    assert [(a.path, a.before, a.after) for a in change.attributes] == [(("level",), 0, 1)]
    assert change.planned == FeaturePlanned(1, 0, "upgrade")


def test_the_status_json_shows_the_finalized_and_the_declared_level_and_each_difference():
    change, _ = plan(FeatureSpec("share.version", 1))
    drifted = KIND.status(FeatureSpec("share.version", 1), SHARE_OFF, change, str)
    assert KIND.status_fields(drifted, lambda trace: None) == {
        "level": 0, "declared": {"level": 1}, "differences": [{"path": ["level"], "live": 0, "declared": 1}]}
    missing = KIND.status(FeatureSpec("share.version", "latest"), None, None, str)
    assert KIND.status_fields(missing, lambda trace: None) == {"level": None, "declared": {"level": "latest"},
                                                               "differences": []}


def test_latest_is_the_highest_level_every_broker_supports():
    change, _ = plan(FeatureSpec("share.version", "latest"), LiveFeature("share.version", 0, 0, 2))
    assert change.planned == FeaturePlanned(2, 0, "upgrade")
    same, diags = plan(FeatureSpec("share.version", "latest"), LiveFeature("share.version", 2, 0, 2))
    assert same.action == Action.NOOP and diags == []


def test_a_level_outside_the_brokers_range_or_an_unknown_feature_is_refused():
    change, [d] = plan(FeatureSpec("share.version", 2))
    assert change.action == Action.NOOP and d.severity == Severity.ERROR and d.code == "feature-unsupported"
    assert "level 2 is not supported by every broker (they support 0 to 1)" in d.message
    _, [d] = plan(FeatureSpec("share.version", 1), LiveFeature("share.version", 0, 1, 0))  # no level in common
    assert "(they support no level in common)" in d.message
    _, [d] = plan(FeatureSpec("nosuch.version", 1), None)
    assert d.code == "feature-unknown" and "no broker of the cluster knows feature 'nosuch.version'" in d.message


def test_a_downgrade_is_refused_unless_the_entry_declares_it():
    on = LiveFeature("share.version", 1, 0, 1)
    change, [d] = plan(FeatureSpec("share.version", 0), on)
    assert change.action == Action.NOOP and d.severity == Severity.ERROR and d.code == "feature-downgrade"
    assert d.message.startswith("feature share.version would be downgraded from 1 to 0: refused; declare "
                                "`downgrade: safe`")
    change, diags = plan(FeatureSpec("share.version", 0, "safe"), on)
    assert change.planned == FeaturePlanned(0, 1, "safe") and diags == []
    change, [w] = plan(FeatureSpec("share.version", 0, "unsafe"), on)
    assert change.planned == FeaturePlanned(0, 1, "unsafe") and w.severity == Severity.WARNING
    assert w.code == "feature-unsafe-downgrade"


def test_an_upgrade_of_metadata_version_says_it_is_not_undoable():
    change, [w] = plan(FeatureSpec("metadata.version", 30), LiveFeature("metadata.version", 29, 7, 30))
    assert change.action == Action.UPDATE and w.severity == Severity.WARNING and w.code == "feature-one-way"
    assert "is not undoable: Kafka never downgrades metadata.version" in w.message


def test_one_step_for_every_feature_changed_and_none_without():
    up, _ = plan(FeatureSpec("share.version", 1))
    same, _ = plan(FeatureSpec("group.version", 1), LiveFeature("group.version", 1, 0, 1))
    [planned] = build_feature_steps(Plan("s", None, "c", (up, same)), make_stack(), None)
    assert planned.step == UpdateFeatures((FeatureUpdate("share.version", 1, 0, "upgrade"),))
    assert build_feature_steps(Plan("s", None, "c", (same,)), make_stack(), None) == []


def test_the_live_state_document_reads_each_feature():
    state = live_from_json({"features": {"share.version": {"level": 0, "min": 0, "max": 1}}})
    assert dict(state.resources) == {"share.version": SHARE_OFF}


@pytest.mark.parametrize(("levels", "declared"), [((), None), ((1,), True), (("latest",), True), ((0,), False)])
def test_share_groups_plan_against_the_declared_share_version(levels, declared):
    stack = make_stack(kinds={"features": tuple(FeatureSpec("share.version", lv) for lv in levels)})
    assert share_declared(stack) is declared


def _rollback(w: FakeWriter, step: UpdateFeatures):
    journal = Journal("s", None, "c", "d")
    journal.steps = [{"index": 0, **step.to_json(), "status": StepStatus.DONE, "error": ""}]
    ex = Executor(writers(w), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    return ex.rollback(journal, None, "interrupted")


def test_a_rollback_sets_an_upgraded_feature_back_by_a_safe_downgrade():
    w = FakeWriter()
    w.features = {"share.version": 1}
    result = _rollback(w, UpdateFeatures((FeatureUpdate("share.version", 1, 0, "upgrade"),)))
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert w.features == {"share.version": 0}


def test_a_rollback_of_a_feature_kafka_never_downgrades_says_so():
    w = FakeWriter()
    w.features = {"metadata.version": 30}
    w.never_downgraded = {"metadata.version"}
    result = _rollback(w, UpdateFeatures((FeatureUpdate("metadata.version", 30, 29, "upgrade"),)))
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    [why] = result.not_rolled_back
    assert "feature metadata.version stays at 30: Kafka never downgrades it" in why
    assert w.features == {"metadata.version": 30}
