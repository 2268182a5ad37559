"""kplan.operator.decide: what a KafkaStack's annotations ask, the plan's fingerprint, when to apply, and what a
deleted stack leaves (pure; the operator on a real API server: tests/integration/test_kubernetes_operator.py)."""

from __future__ import annotations

from kplan.operator.decide import Wishes, condition, key_of, plan_fingerprint, protected_removed, should_apply

SECTIONS = {"topics": "topic", "connectors": "connector"}


def resource(annotations: dict, generation: int = 1) -> dict:
    return {"metadata": {"annotations": annotations, "generation": generation}, "spec": {}}


def test_the_annotations_are_read_as_wishes():
    w = Wishes.of(resource({"kplan.dev/approve": " sha256:ab ", "kplan.dev/auto-apply": "True",
                            "kplan.dev/secrets": "a, b,,", "kplan.dev/environment": "prod"}))
    assert w == Wishes("sha256:ab", True, ("a", "b"), "prod")
    assert Wishes.of({"metadata": {}}) == Wishes("", False, (), None)
    assert Wishes.of(resource({"kplan.dev/auto-apply": "yes"})).auto_apply is False  # "true" only


def test_the_fingerprint_is_the_plan_not_where_it_was_read_from():
    doc = {"stack": "s", "resource_changes": [{"address": "topic.a", "origin": {"file": "/tmp/x/stack.yaml"}}]}
    moved = {"stack": "s", "resource_changes": [{"address": "topic.a", "origin": {"file": "/other/stack.yaml"}}]}
    other = {"stack": "s", "resource_changes": [{"address": "topic.b", "origin": {"file": "/tmp/x/stack.yaml"}}]}
    assert plan_fingerprint(doc) == plan_fingerprint(moved) != plan_fingerprint(other)
    assert plan_fingerprint(doc).startswith("sha256:") and len(plan_fingerprint(doc)) == 7 + 64


def test_only_the_approved_plan_or_auto_apply_applies():
    approving = Wishes("sha256:1", False, (), None)
    assert should_apply(approving, "sha256:1", has_changes=True, has_errors=False)
    assert not should_apply(approving, "sha256:2", has_changes=True, has_errors=False)  # another plan
    assert not should_apply(approving, "sha256:1", has_changes=True, has_errors=True)
    assert not should_apply(approving, "sha256:1", has_changes=False, has_errors=False)
    assert should_apply(Wishes("", True, (), None), "sha256:9", has_changes=True, has_errors=False)


def test_a_status_write_alone_asks_no_reconcile():
    r = resource({"kplan.dev/approve": "sha256:1"})
    with_status = {**r, "status": {"plan": {}}, "metadata": {**r["metadata"], "resourceVersion": "9",
                                                             "finalizers": ["kplan.dev/destroy"]}}
    assert key_of(r) == key_of(with_status)
    assert key_of(r) != key_of(resource({"kplan.dev/approve": "sha256:2"}))
    assert key_of(r) != key_of(resource({"kplan.dev/approve": "sha256:1"}, generation=2))


def test_a_condition_keeps_its_transition_time_while_its_status_holds():
    before = [condition("Ready", False, "AwaitingApproval", "m", 1, "T1")]
    assert condition("Ready", False, "AwaitingApproval", "n", 2, "T2", before)["lastTransitionTime"] == "T1"
    assert condition("Ready", True, "InSync", "n", 2, "T2", before)["lastTransitionTime"] == "T2"


def test_a_deleted_stack_forgets_its_protected_topics_and_connectors():
    spec = {"stack": "s", "topics": [{"name": "a"}, {"name": "b", "protect": True}],
            "connectors": [{"name": "c", "protect": True}], "forget": [{"address": "topic.old"}]}
    out, forgotten = protected_removed(spec, SECTIONS)
    assert forgotten == ["topic.b", "connector.c"]
    assert out["topics"] == [{"name": "a"}] and out["connectors"] == []
    assert out["forget"] == [{"address": "topic.old"}, {"address": "topic.b"}, {"address": "connector.c"}]
    plain = {"stack": "s", "topics": [{"name": "a"}]}
    assert protected_removed(plain, SECTIONS) == (plain, [])


def test_the_sections_are_the_kinds_own():
    from kplan.kinds import UNITS

    sections = {u.section.key: u.kind_ref().type.value for u in UNITS if u.section is not None}
    assert {k: sections[k] for k in SECTIONS} == SECTIONS


def test_a_dead_leaders_run_is_resumed_only_while_its_plan_is_still_approved_for_the_same_spec():
    from kplan.operator.decide import resumes

    applying = {"fingerprint": "sha256:a", "generation": 3}
    assert resumes(Wishes("sha256:a", False, (), None), applying, 3)
    assert resumes(Wishes("", True, (), None), applying, 3)  # auto-apply
    assert not resumes(Wishes("", False, (), None), applying, 3)  # the approval withdrawn
    assert not resumes(Wishes("sha256:b", False, (), None), applying, 3)  # another plan approved
    assert not resumes(Wishes("sha256:a", False, (), None), applying, 4)  # the spec changed since
    assert not resumes(Wishes("", True, (), None), {}, 3)  # not known what it applied


def test_drift_is_changes_after_an_in_sync_plan_of_the_same_spec_and_inputs():
    from kplan.operator.decide import drifted

    in_sync = {"observedGeneration": 3, "plan": {"hasChanges": False, "errors": 0, "inputs": "d1"},
               "conditions": [{"type": "Ready", "reason": "InSync"}]}
    assert drifted(in_sync, 3, "d1", True, False)
    assert not drifted(in_sync, 3, "d1", False, False)  # still in sync
    assert not drifted(in_sync, 3, "d1", True, True)  # a plan with errors is no drift to correct
    assert not drifted(in_sync, 4, "d1", True, False)  # a new spec
    assert not drifted(in_sync, 3, "d2", True, False)  # new inputs: a ConfigMap, a KafkaCluster changed
    assert not drifted({**in_sync, "plan": {"hasChanges": True, "errors": 0, "inputs": "d1"}}, 3, "d1", True, False)
    still = {"observedGeneration": 3, "plan": {"hasChanges": True, "errors": 0, "inputs": "d1"},
             "conditions": [{"type": "Ready", "reason": "Drifted"}]}
    assert drifted(still, 3, "d1", True, False)  # drifted already: still drift at the next resync
    assert not drifted({}, 1, "d1", True, False) and not drifted(in_sync, 3, None, True, False)
