"""Why a kind's live resources could not be read (kplan.model.live.Problem): the closed codes, read from a live-state
file, worded by each kind for its plan errors, and said as codes in `kplan import`'s notes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kplan.errors import KplanError
from kplan.importer.build import ImportOptions, build_import
from kplan.kinds.acl.kind import KIND as ACLS
from kplan.kinds.acl.kind import PROBLEMS as ACL_PROBLEMS
from kplan.kinds.livejson import live_state_from_dict
from kplan.kinds.subject.kind import KIND as SUBJECTS
from kplan.kinds.subject.kind import PROBLEMS as SUBJECT_PROBLEMS
from kplan.model.live import KindState, LiveState, Problem
from kplan.model.plan import ResourceType
from kplan.transport.acls import cluster_rights_problem

ACL, USER, QUOTA, SUBJECT = ResourceType.ACL, ResourceType.USER, ResourceType.QUOTA, ResourceType.SUBJECT


def _live(**kinds: KindState) -> LiveState:
    return LiveState("c1", 1, all_topic_names=frozenset(), kinds={ResourceType(k): s for k, s in kinds.items()})


def test_a_live_state_file_gives_the_codes_and_keeps_a_registry_line_as_is():
    live = live_state_from_dict({"acl_problem": "security-disabled", "user_problem": "not-authorized-alter",
                                 "quota_problem": "not-authorized", "subject_problem": "unreachable: no answer"})
    assert (live.of(ACL).problem, live.of(USER).problem, live.of(QUOTA).problem) == (
        Problem.SECURITY_DISABLED, Problem.NOT_AUTHORIZED_ALTER, Problem.NOT_AUTHORIZED)
    subjects = live.of(SUBJECT)
    assert (subjects.problem, subjects.problem_detail) == (Problem.UNREACHABLE, "unreachable: no answer")
    live = live_state_from_dict({"subject_problem": "no-registry", "acl_problem": None})
    assert (live.of(SUBJECT).problem, live.of(SUBJECT).problem_detail, live.of(ACL).problem) == (
        Problem.NO_REGISTRY, None, None)


def test_a_problem_code_kplan_does_not_know_is_a_malformed_live_state():
    with pytest.raises(KplanError, match="malformed live state: ValueError: 'not-allowed' is not a valid Problem"):
        live_state_from_dict({"acl_problem": "not-allowed"})


def test_each_kind_words_its_problems_and_says_a_registry_line_as_the_reader_did():
    live = _live(acl=KindState(owned=frozenset({"User:a"}), problem=Problem.NOT_AUTHORIZED),
                 subject=KindState(owned=frozenset({"u"}), problem=Problem.UNREACHABLE,
                                   problem_detail="unreachable: cannot reach the schema registry"))
    [acls] = ACLS.unreadable(live, [], "ACLs", ACL_PROBLEMS)
    assert acls.message == f"the stack owns ACLs, but {ACL_PROBLEMS[Problem.NOT_AUTHORIZED]}"
    [subjects] = SUBJECTS.unreadable(live, [], "schema registry subjects", SUBJECT_PROBLEMS)
    assert subjects.message == ("the stack owns schema registry subjects, but unreachable: cannot reach the schema "
                                "registry")
    assert subjects.code == "subjects-unavailable"
    assert ACLS.unreadable(_live(acl=KindState(owned=frozenset({"User:a"}))), [], "ACLs", ACL_PROBLEMS) == []


def test_import_notes_name_the_problem_codes():
    live = _live(acl=KindState(problem=Problem.SECURITY_DISABLED), quota=KindState(problem=Problem.NOT_AUTHORIZED),
                 subject=KindState(problem=Problem.UNREACHABLE,
                                   problem_detail="the schema registry could not be read: no answer"))
    notes = build_import(live, ImportOptions("s")).notes
    assert "ACLs not imported: security-disabled" in notes
    assert "client quotas not imported: not-authorized" in notes
    assert "schema registry subjects not imported: the schema registry could not be read: no answer" in notes
    notes = build_import(_live(subject=KindState(problem=Problem.NO_REGISTRY)), ImportOptions("s")).notes
    assert "schema registry subjects not imported: no-registry" in notes


@pytest.mark.parametrize("operations, problem", [
    (None, Problem.NOT_AUTHORIZED),
    (["DESCRIBE_CONFIGS"], Problem.NOT_AUTHORIZED),
    (["DESCRIBE"], Problem.NOT_AUTHORIZED_ALTER),
    (["DESCRIBE", "ALTER"], None),
    (["ALL"], None),
])
def test_the_rights_on_the_cluster_give_the_acl_and_user_problem(operations, problem):
    ops = None if operations is None else [SimpleNamespace(name=n) for n in operations]
    assert cluster_rights_problem(ops) is problem
