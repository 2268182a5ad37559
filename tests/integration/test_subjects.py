"""Schema registry subjects end to end through `kplan`, against the local stack's real registry (Apicurio 3.0.9,
Confluent-compatible API): create, canonical no-diff, compatible evolution, an incompatible change refused at plan
time (text, Markdown, JSON, at the schema's line), compatibility changes, rollback after an injected failure,
references, a version registered by hand, destroy, and subjects the stack does not own left alone."""

from __future__ import annotations

import json

import pytest
import requests
from kplan_helpers import faulty_kplan, killed_kplan, kplan, stack_doc, write_stack
from registry_reads import config_answer, registry_state

import localstack

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def reg(method: str, path: str, body=None):
    r = requests.request(method, localstack.REGISTRY_URL + path, json=body, headers=CT, timeout=30)
    return r.status_code, (r.json() if r.content else None)


def latest(subject: str) -> dict | None:
    code, body = reg("GET", f"/subjects/{subject}/versions/latest")
    return body if code == 200 else None


def versions(subject: str) -> list[int]:
    code, body = reg("GET", f"/subjects/{subject}/versions")
    return body if code == 200 else []


def level(subject: str) -> str | None:
    code, body = reg("GET", f"/config/{subject}")
    return (body.get("compatibilityLevel") or body.get("compatibility")) if code == 200 else None


def subjects() -> list[str]:
    return reg("GET", "/subjects")[1]


def record(name: str, *fields: dict) -> dict:
    return {"type": "record", "name": name, "namespace": "kplan.test", "fields": list(fields)}


ID = {"name": "id", "type": "long"}
EMAIL = {"name": "email", "type": ["null", "string"], "default": None}
PHONE = {"name": "phone", "type": "string"}  # no default: not BACKWARD compatible


@pytest.fixture
def registry_stack(stack, prefix, tmp_path):
    """A stack writer: a topic `<prefix>.orders` whose value schema is schemas/order.avsc, plus extra subjects."""

    def write(schema: dict | str, *, subjects_: list | None = None, compatibility: str | None = "BACKWARD",
              topics: bool = True) -> str:
        (tmp_path / "schemas").mkdir(exist_ok=True)
        text = schema if isinstance(schema, str) else json.dumps(schema, indent=2)
        (tmp_path / "schemas" / "order.avsc").write_text(text)
        value = {"schema_file": "schemas/order.avsc"}
        if compatibility:
            value["compatibility"] = compatibility
        doc = stack_doc(stack, prefix, [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1,
                                         "value_schema": value}] if topics else [])
        doc["cluster"]["schema_registry"] = {"url": localstack.REGISTRY_URL}
        if subjects_:
            doc["subjects"] = subjects_
        return str(write_stack(tmp_path / "s.yaml", doc))

    yield write
    for s in [s for s in subjects() if s.startswith(prefix)]:
        reg("DELETE", f"/subjects/{s}")


def test_create_then_evolve_compatibly_and_an_incompatible_change_fails_the_plan_at_its_line(registry_stack, prefix):
    subject = f"{prefix}.orders-value"
    path = registry_stack(record("Order", ID))
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 0, r.text
    assert json.loads(latest(subject)["schema"]) == record("Order", ID) and level(subject) == "BACKWARD"
    assert "No changes." in kplan("plan", path).out

    # the same schema written differently (key order, whitespace, {"type": "long"}): no change
    same = ('{"namespace": "kplan.test",   "fields": [ {"type": {"type": "long"}, "name": "id"} ],\n'
            '  "name": "Order", "type": "record"}')
    r = kplan("plan", registry_stack(same))
    assert r.code == 0 and "No changes." in r.out, r.text

    # a compatible change: shown field by field, applied, then no changes
    path = registry_stack(record("Order", ID, EMAIL))
    r = kplan("plan", path)
    assert r.code == 0, r.text
    assert f'~ subject "{subject}" {{' in r.out
    assert '+ schema["fields"]["email"] = {"default":null,"type":["null","string"]}' in r.out, r.out
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 0, r.text
    assert versions(subject) == [1, 2] and json.loads(latest(subject)["schema"]) == record("Order", ID, EMAIL)
    assert "No changes." in kplan("plan", path).out

    # an incompatible change: a plan error at the schema's line (schema_file), in every format; nothing applied
    path = registry_stack(record("Order", ID, EMAIL, PHONE))
    line = next(i for i, text in enumerate(open(path).read().splitlines(), 1) if "schema_file:" in text)
    r = kplan("plan", path, "--no-color")
    assert r.code == 1, r.text
    error = next(x for x in r.out.splitlines() if x.startswith("Error:"))
    assert error.startswith(f"Error: {path}:{line}:") and f"subject.{subject}" in error, r.out
    assert "incompatible" in error and "BACKWARD" in error, error
    assert "Plan failed: 1 error; nothing can be applied." in r.out
    md = kplan("plan", path, "--format", "markdown")
    assert md.code == 1 and "### Errors" in md.out and f"**Error:** {path}:{line}:" in md.out, md.out
    doc = json.loads(kplan("plan", path, "--format", "json").out)
    [diag] = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert diag["code"] == "schema-incompatible" and diag["address"] == f"subject.{subject}"
    assert diag["origin"]["line"] == line
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 1, r.text
    assert versions(subject) == [1, 2]


def test_compatibility_change_and_rollback_of_what_the_run_registered(registry_stack, prefix):
    subject, extra = f"{prefix}.orders-value", f"{prefix}.extra"
    path = registry_stack(record("Order", ID))
    assert kplan("apply", path, "--auto-approve").code == 0

    path = registry_stack(record("Order", ID), compatibility="FULL")
    r = kplan("plan", path)
    assert "~ compatibility = BACKWARD -> FULL" in r.out, r.out
    assert kplan("apply", path, "--auto-approve").code == 0
    assert level(subject) == "FULL"
    assert "No changes." in kplan("plan", path).out

    # one run: a level change, a new version and a new subject; the last step fails -> all of it undone
    new = {"name": extra, "schema": json.dumps(record("Extra", ID)), "compatibility": "FORWARD"}
    path = registry_stack(record("Order", ID, EMAIL), compatibility="BACKWARD", subjects_=[new])
    # steps: put-subject extra, put-subject orders-value, record-ownership; the third fails after its write
    r = faulty_kplan("apply", path, "--auto-approve", fail_at="step:3")
    assert r.code != 0, r.text
    assert "rolled back" in r.text.lower(), r.text
    assert versions(subject) == [1] and json.loads(latest(subject)["schema"]) == record("Order", ID)
    assert level(subject) == "FULL"
    assert extra not in subjects()
    # and the same run applies cleanly afterwards
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 0, r.text
    assert level(subject) == "BACKWARD" and json.loads(latest(subject)["schema"]) == record("Order", ID, EMAIL)
    assert extra in subjects() and level(extra) == "FORWARD"


def test_a_killed_registration_rolled_back_leaves_every_registry_read_as_before(registry_stack, prefix):
    """Issue 26, defect 7: a run that registers a new version of an existing subject and creates a subject with a
    level, killed once both are registered, then `recover --rollback`: the version and the subject it created are
    gone for good (not soft-deleted), the level it set with them, and the next apply registers version 2."""
    subject, extra = f"{prefix}.orders-value", f"{prefix}.extra"
    path = registry_stack(record("Order", ID))
    assert kplan("apply", path, "--auto-approve").code == 0
    before = registry_state(localstack.REGISTRY_URL, prefix)
    assert before["versions"][subject] == [200, [1]] and extra not in before["subjects"], before
    extra_config_before = config_answer(localstack.REGISTRY_URL, extra)
    assert extra_config_before[0] == 404, extra_config_before

    new = {"name": extra, "schema": json.dumps(record("Extra", ID)), "compatibility": "FORWARD"}
    path = registry_stack(record("Order", ID, EMAIL), subjects_=[new])
    # steps: put-subject extra, put-subject orders-value, record-ownership; killed once the second one ran
    r = killed_kplan("apply", path, "--auto-approve", kill_at="in-step:2")
    assert r.code == -9, r.text
    assert versions(subject) == [1, 2] and extra in subjects() and level(extra) == "FORWARD"
    r = kplan("recover", path, "--rollback", "--force", "--auto-approve")
    assert r.code == 0, r.text
    assert registry_state(localstack.REGISTRY_URL, prefix) == before
    assert config_answer(localstack.REGISTRY_URL, extra) == extra_config_before
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 0, r.text
    assert reg("GET", f"/subjects/{subject}/versions?deleted=true")[1] == [1, 2]
    assert latest(subject)["version"] == 2 and level(extra) == "FORWARD"


def test_references_a_hand_registered_version_destroy_and_subjects_not_owned(registry_stack, prefix):
    address, customer, foreign = f"{prefix}.address", f"{prefix}.customer", f"{prefix}.foreign"
    addr = record("Address", {"name": "city", "type": "string"})
    cust = record("Customer", ID, {"name": "address", "type": "kplan.test.Address"})
    subs = [{"name": address, "schema": json.dumps(addr)},
            {"name": customer, "schema": json.dumps(cust),
             "references": [{"name": "kplan.test.Address", "subject": address, "version": "latest"}]}]
    assert reg("POST", f"/subjects/{foreign}/versions", {"schema": json.dumps(record("F", ID))})[0] == 200
    path = registry_stack(record("Order", ID), subjects_=subs)
    r = kplan("apply", path, "--auto-approve")
    assert r.code == 0, r.text
    assert latest(customer)["references"] == [{"name": "kplan.test.Address", "subject": address, "version": 1}]
    assert "No changes." in kplan("plan", path).out

    # a version registered by hand under an owned subject: a warning and drift. The declared schema is version 1,
    # which registries do not register again, so the plan changes nothing and says how to put it back
    by_hand = record("Address", {"name": "city", "type": "string"}, {"name": "zip", "type": "string", "default": ""})
    assert reg("POST", f"/subjects/{address}/versions", {"schema": json.dumps(by_hand)})[0] == 200
    r = kplan("plan", path, "--no-color")
    assert r.code == 0, r.text
    assert "the latest version (2) was registered outside kplan" in r.out, r.out
    assert "the declared schema is version 1 there" in r.out and f"DELETE /subjects/{address}/versions/2" in r.out
    assert "# drift: version = 2" in r.out and "No changes." in r.out, r.out
    # a compatible change by hand that the stack then declares: registered once, no second version
    reg("DELETE", f"/subjects/{address}/versions/2")
    assert "No changes." in kplan("plan", path).out
    assert reg("POST", f"/subjects/{address}/versions", {"schema": json.dumps(by_hand)})[0] == 200
    subs[0]["schema"] = json.dumps(by_hand, indent=4)  # the same schema, written differently
    path = registry_stack(record("Order", ID), subjects_=subs)
    r = kplan("plan", path, "--no-color")
    assert "registered outside kplan" in r.out and "it matches the stack; the next apply records it" in r.out, r.out
    assert kplan("apply", path, "--auto-approve").code == 0
    r = kplan("plan", path, "--no-color")
    assert "No changes." in r.out and "outside kplan" not in r.out, r.out
    assert versions(address) == [1, 3]

    # destroy, soft (issue 26, defect 5): the referrer first, then the subject it references — Apicurio refuses that
    # subject's delete while the soft-deleted referrer counts, so its versions go one by one. The foreign subject
    # stays; everything stays restorable (soft-deleted, listed with deleted=true).
    r = kplan("destroy", path, "--auto-approve", "--no-color")
    assert r.code == 0, r.text
    live, deleted = subjects(), reg("GET", "/subjects?deleted=true")[1]
    assert address not in live and customer not in live and f"{prefix}.orders-value" not in live
    assert {address, customer} <= set(deleted) and foreign in live
    assert reg("GET", f"/subjects/{address}/versions?deleted=true")[1] == [1, 2, 3]  # 2: deleted by hand above
    r = kplan("plan", path, "--destroy", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def test_a_referenced_subject_is_not_deleted_while_a_live_subject_references_it(registry_stack, prefix):
    """A subject the stack declares no more, referenced by a subject the stack does not own: the registry (Apicurio
    deletes versions one by one without checking references) must not be talked into it — the destroy stops."""
    address, foreign = f"{prefix}.address", f"{prefix}.foreign"
    addr = record("Address", {"name": "city", "type": "string"})
    path = registry_stack(record("Order", ID), subjects_=[{"name": address, "schema": json.dumps(addr)}])
    assert kplan("apply", path, "--auto-approve").code == 0
    body = {"schema": json.dumps(record("F", {"name": "a", "type": "kplan.test.Address"})),
            "references": [{"name": "kplan.test.Address", "subject": address, "version": 1}]}
    assert reg("POST", f"/subjects/{foreign}/versions", body)[0] == 200
    r = kplan("destroy", path, "--auto-approve", "--no-color")
    assert r.code != 0, r.text
    assert f"deleting subject {address}: the registry refuses it, subject(s) {foreign} reference it" in r.text, r.text
    assert versions(address) == [1]


def test_a_transitive_level_is_judged_against_every_version(registry_stack, prefix):
    """v3 reads v2's data but not v1's: BACKWARD lets it through, BACKWARD_TRANSITIVE refuses it at plan time."""
    a, b = {"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": "x"}
    b_required = {"name": "b", "type": "string"}
    for schema in (record("Order", a), record("Order", a, b)):
        assert kplan("apply", registry_stack(schema, compatibility="BACKWARD_TRANSITIVE"), "--auto-approve").code == 0
    r = kplan("plan", registry_stack(record("Order", b_required), compatibility="BACKWARD_TRANSITIVE"))
    assert r.code == 1, r.text
    assert "incompatible with its versions up to 2 under BACKWARD_TRANSITIVE" in r.out, r.out
    r = kplan("plan", registry_stack(record("Order", b_required), compatibility=None))  # level unchanged: judged
    assert r.code == 1 and "BACKWARD_TRANSITIVE" in r.out, r.text
