"""kplan.state.audit: an audit event holds who, what (addresses and actions), when and how a run ended, matches
schemas/audit-event.schema.json, and carries no config value or secret."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import jsonschema

from kplan.model.plan import Action
from kplan.state.audit import event, principal_of

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "audit-event.schema.json").read_text())
T0 = datetime(2026, 11, 27, 7, 0, tzinfo=timezone.utc)


def _stack(client):
    return SimpleNamespace(name="shop", environment="prod", cluster=SimpleNamespace(client_properties=client))


def test_an_event_names_the_changes_and_matches_its_schema():
    plan = SimpleNamespace(changes=[SimpleNamespace(address="topic.orders", action=Action.CREATE),
                                    SimpleNamespace(address="topic.audit", action=Action.NOOP)],
                           fingerprints={"topic.orders": "absent"})
    doc = event("apply", _stack({"sasl.username": "kplan", "sasl.password": "s3cret-canary"}), "c1", plan,
                "applied", started=T0, ended=T0, run_id="r1")
    jsonschema.validate(doc, SCHEMA)
    assert doc["changes"] == [{"address": "topic.orders", "action": "create"}]
    assert doc["who"]["principal"] == "User:kplan" and doc["plan_fingerprint"].startswith("sha256:")
    assert "s3cret-canary" not in json.dumps(doc)
    failed = event("recover --rollback", _stack({}), "c1", None, "error", started=T0, ended=T0, error="no lock")
    jsonschema.validate(failed, SCHEMA)
    assert failed["changes"] == [] and failed["plan_fingerprint"] == ""


def test_the_principal_never_resolves_a_reference():
    assert principal_of({"sasl.username": "${secret:env:KAFKA_USER}"}) == "User:(a secret reference)"
    assert principal_of({"sasl.mechanism": "OAUTHBEARER"}) == "OAUTHBEARER"
    assert principal_of({"aws_msk_iam": {"region": "eu-west-1"}}) == "AWS_MSK_IAM"
    assert principal_of({}) == "ANONYMOUS"


def test_a_drift_event_lists_what_is_newly_not_in_sync():
    doc = event("watch", _stack({}), "c1", None, "drift", started=T0, ended=T0,
                drift=frozenset({("topic.b", "drifted"), ("topic.a", "missing")}))
    jsonschema.validate(doc, SCHEMA)
    assert doc["drift"] == [{"address": "topic.a", "state": "missing"}, {"address": "topic.b", "state": "drifted"}]
