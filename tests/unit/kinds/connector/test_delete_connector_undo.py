"""The undo of a connector deletion from the journal alone (`kplan recover --rollback`, issue 26 defect 3): the
journal holds the connector's secret values masked, so they are taken from the stack's declaration again, its
`${secret:...}` references resolved now — only when the stack declares the connector exactly as the journal saw it;
otherwise the undo is reported, naming the connector and the key, never a value. On the real stack:
tests/integration/test_cdc_destroy_undo.py."""

from __future__ import annotations

import io
import json

from executor_runs import FakeStore
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.steps import ConnectorImage, DeleteConnector
from kplan.kinds.step import frozen
from kplan.model.desired import ClusterSpec, ConnectorState, Stack, freeze
from kplan.secrets import SecretValues, mask_config
from kplan.state.journal import Journal, RunStatus

REF = "${secret:env:DB_PW}"
LIVE = {"connector.class": "X", "topic.prefix": "p", "database.password": "db-secret-pw"}
DECLARED = {**LIVE, "database.password": REF}


def _recover(w, declared: dict | None, secrets=SecretValues({REF: "db-secret-pw"})):
    """Roll back, from its journal alone, a run that deleted connector c."""
    step = DeleteConnector("c", ConnectorImage(frozen(mask_config(LIVE, {"database.password"})), "running"))
    journal = Journal("s", None, "c", "d")
    journal.steps = [{"index": 0, **step.to_json(), "status": "done", "error": ""}]
    journal = Journal.from_json(json.loads(json.dumps(journal.to_json())))
    connectors = (ConnectorSpec("c", frozen(declared)),) if declared is not None else ()
    out = io.StringIO()
    ex = Executor(writers(w), FakeStore(), secrets, Progress(out), lambda record: None,
                  stack=Stack("s", None, ClusterSpec("b:1"), freeze({"connectors": connectors} if connectors else {})))
    return ex.rollback(journal, None, "interrupted"), out.getvalue()


def test_the_connector_is_created_again_with_its_secrets_resolved_from_the_stack():
    w = FakeWriter()
    result, out = _recover(w, DECLARED)
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert w.connectors["c"] == LIVE and w.states["c"] == ConnectorState.RUNNING
    assert "db-secret-pw" not in out


def test_a_reference_that_cannot_be_resolved_now_is_reported_with_the_key_not_the_value():
    w = FakeWriter()
    result, _ = _recover(w, DECLARED, SecretValues({}, {REF: "environment variable DB_PW is not set"}))
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and "c" not in w.connectors
    [why] = result.not_rolled_back
    assert "connector c's previous value of database.password is a secret" in why and "DB_PW is not set" in why


def test_a_stack_that_declares_the_connector_differently_is_not_taken_for_what_was_applied():
    w = FakeWriter()
    result, _ = _recover(w, {**DECLARED, "topic.prefix": "other"})
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and "c" not in w.connectors
    assert "declares the connector differently from the one deleted (topic.prefix)" in result.not_rolled_back[0]


def test_a_stack_without_the_connector_leaves_it_reported():
    w = FakeWriter()
    result, _ = _recover(w, None)
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and "c" not in w.connectors
    assert "the stack does not declare connector c" in result.not_rolled_back[0]
