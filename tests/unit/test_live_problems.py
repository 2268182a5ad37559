"""Why a kind's live resources could not be read (kplan.model.live.Problem): the closed codes, read from a live-state
file, worded by each kind for its plan errors, and said as codes in `kplan import`'s notes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kplan.cluster.reader import cluster_rights_problem
from kplan.errors import KplanError
from kplan.importer import ImportOptions, build_import
from kplan.kinds.acl.kind import KIND as ACLS
from kplan.kinds.acl.kind import PROBLEMS as ACL_PROBLEMS
from kplan.kinds.subject.kind import KIND as SUBJECTS
from kplan.kinds.subject.kind import PROBLEMS as SUBJECT_PROBLEMS
from kplan.model.live import LiveState, Problem
from kplan.model.livejson import live_state_from_dict


def test_a_live_state_file_gives_the_codes_and_keeps_a_registry_line_as_is():
    live = live_state_from_dict({"acl_problem": "security-disabled", "user_problem": "not-authorized-alter",
                                 "quota_problem": "not-authorized", "subject_problem": "unreachable: no answer"})
    assert (live.acl_problem, live.user_problem, live.quota_problem) == (
        Problem.SECURITY_DISABLED, Problem.NOT_AUTHORIZED_ALTER, Problem.NOT_AUTHORIZED)
    assert (live.subject_problem, live.subject_problem_detail) == (Problem.UNREACHABLE, "unreachable: no answer")
    live = live_state_from_dict({"subject_problem": "no-registry", "acl_problem": None})
    assert (live.subject_problem, live.subject_problem_detail, live.acl_problem) == (Problem.NO_REGISTRY, None, None)


def test_a_problem_code_kplan_does_not_know_is_a_malformed_live_state():
    with pytest.raises(KplanError, match="malformed live state: ValueError: 'not-allowed' is not a valid Problem"):
        live_state_from_dict({"acl_problem": "not-allowed"})


def test_each_kind_words_its_problems_and_says_a_registry_line_as_the_reader_did():
    [acls] = ACLS.unreadable(Problem.NOT_AUTHORIZED, [], frozenset({"User:a"}), "ACLs", ACL_PROBLEMS)
    assert acls.message == f"the stack owns ACLs, but {ACL_PROBLEMS[Problem.NOT_AUTHORIZED]}"
    [subjects] = SUBJECTS.unreadable(Problem.UNREACHABLE, [], frozenset({"u"}), "schema registry subjects",
                                     SUBJECT_PROBLEMS, "unreachable: cannot reach the schema registry")
    assert subjects.message == ("the stack owns schema registry subjects, but unreachable: cannot reach the schema "
                                "registry")
    assert subjects.code == "subjects-unavailable"
    assert ACLS.unreadable(None, [], frozenset({"User:a"}), "ACLs", ACL_PROBLEMS) == []


def test_import_notes_name_the_problem_codes():
    live = LiveState("c1", 1, {}, {}, acl_problem=Problem.SECURITY_DISABLED, quota_problem=Problem.NOT_AUTHORIZED,
                     subject_problem=Problem.UNREACHABLE,
                     subject_problem_detail="the schema registry could not be read: no answer")
    notes = build_import(live, ImportOptions("s")).notes
    assert "ACLs not imported: security-disabled" in notes
    assert "client quotas not imported: not-authorized" in notes
    assert "schema registry subjects not imported: the schema registry could not be read: no answer" in notes
    notes = build_import(LiveState("c1", 1, {}, {}, subject_problem=Problem.NO_REGISTRY), ImportOptions("s")).notes
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
