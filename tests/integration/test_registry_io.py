"""kplan's schema registry I/O against the real registry of the local stack (Apicurio Registry 3.0.9, its
Confluent-compatible API): the writer's seven methods, each checked by reading the registry back with plain HTTP
(not through kplan's client) — a registration with a reference to `latest`, the lookup, a version deleted and gone,
a subject's own level set and removed, soft and permanent subject deletes —, `read_subjects`, the subject
handlers' run and undo, and the plan-time compatibility check: an incompatible change is an error at the schema's
line, a compatible one passes, a plan that also changes the level gets a warning instead."""

from __future__ import annotations

import pytest
import requests

from kplan.apply.executor import StepContext, handler_for
from kplan.errors import WriteError
from kplan.kinds.subject.io.client import registry_client
from kplan.kinds.subject.io.compat import INCOMPATIBLE, UNCHECKED, check_subjects
from kplan.kinds.subject.io.read import RegistryRead
from kplan.kinds.subject.io.write import SubjectWrites
from kplan.kinds.subject.kind import live_repr
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.kinds.subject.steps import PutSubject
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.plan import Action, AttributeChange, AttrKind, Plan, ResourceChange, ResourceType
from kplan.model.source import Origin
from kplan.secrets import SecretValues
from kplan.transport.sessions import Writers

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
ADDRESS = ('{"type":"record","name":"Address","namespace":"t","fields":[{"name":"street","type":"string"}]}')
USER_V1 = '{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"}]}'
# compatible under BACKWARD: the new field has a default
USER_V2 = ('{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"},'
           '{"name":"email","type":"string","default":""}]}')
# incompatible under BACKWARD: a new field without a default
USER_BAD = ('{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"},'
            '{"name":"email","type":"string"}]}')
WITH_ADDRESS = ('{"type":"record","name":"Customer","namespace":"t","fields":[{"name":"address",'
                '"type":"t.Address"}]}')


@pytest.fixture
def reg(stack):
    return stack.schema_registry_url


@pytest.fixture
def subjects(reg, unique):
    """A factory of unique subject names, permanently deleted after the test."""
    made: list[str] = []

    def make(what: str) -> str:
        made.append(unique(f"registry-io-{what}"))
        return made[-1]

    yield make
    for name in reversed(made):  # referencing subjects first: a referenced one cannot be deleted before
        requests.delete(f"{reg}/subjects/{name}", timeout=10)
        requests.delete(f"{reg}/subjects/{name}", params={"permanent": "true"}, timeout=10)
        requests.delete(f"{reg}/config/{name}", timeout=10)


@pytest.fixture
def writers(stack):
    # the subject handlers write to the registry alone: no other system's writer is opened
    w = Writers(ClusterSpec(stack.bootstrap_servers, timeout_s=10, schema_registry_url=stack.schema_registry_url),
                SecretValues(), None, None)
    yield w
    w.close()


@pytest.fixture
def writer(writers):
    return writers.io(SubjectWrites)


def post(reg: str, subject: str, schema: str, refs=()) -> int:
    r = requests.post(f"{reg}/subjects/{subject}/versions", json={"schema": schema, "references": list(refs)},
                      headers=CT, timeout=10)
    assert r.status_code == 200, r.text
    return requests.get(f"{reg}/subjects/{subject}/versions/latest", timeout=10).json()["version"]


def versions(reg: str, subject: str, deleted: bool = False) -> list[int]:
    r = requests.get(f"{reg}/subjects/{subject}/versions", params={"deleted": "true"} if deleted else None, timeout=10)
    return r.json() if r.status_code == 200 else []


def own_level(reg: str, subject: str) -> str | None:
    plain = requests.get(f"{reg}/config/{subject}", timeout=10)
    if plain.status_code == 404:
        return None
    level = plain.json().get("compatibilityLevel") or plain.json().get("compatibility")
    effective = requests.get(f"{reg}/config/{subject}", params={"defaultToGlobal": "true"}, timeout=10).json()
    return None if level == "NONE" and effective.get("compatibilityLevel") != "NONE" else level


def listed(reg: str, deleted: bool = False) -> set[str]:
    return set(requests.get(f"{reg}/subjects", params={"deleted": "true"} if deleted else None, timeout=10).json())


# -- the writer --------------------------------------------------------------------------------------------------


def test_a_registration_with_a_reference_to_latest_gets_the_referenced_subjects_latest_version(writer, reg, subjects):
    address, customer = subjects("address"), subjects("customer")
    post(reg, address, ADDRESS)
    post(reg, address, ADDRESS.replace('"type":"string"}', '"type":"string"},{"name":"zip","type":"string",'
                                                           '"default":""}'))
    ref = (SchemaReference("t.Address", address),)
    version = writer.register_schema(customer, WITH_ADDRESS, "AVRO", ref)
    latest = requests.get(f"{reg}/subjects/{customer}/versions/latest", timeout=10).json()
    assert version == latest["version"] == 1
    assert latest["references"] == [{"name": "t.Address", "subject": address, "version": 2}]
    assert writer.schema_version(customer, WITH_ADDRESS, "AVRO", ref) == 1
    assert writer.schema_version(customer, USER_V1, "AVRO", ()) is None
    # the same schema again: no new version, its version is returned (Apicurio 3.0 does not normalize a schema
    # with references: other whitespace would be a new version)
    assert writer.register_schema(customer, WITH_ADDRESS, "AVRO", ref) == 1
    assert versions(reg, customer) == [1]


def test_the_version_holding_a_registrations_id_is_found_by_that_id(writer, reg, subjects):
    """What the writer falls back to when the registry's lookup misses a version it holds (docs/systems-facts.md,
    Apicurio): the id a registration answers is the `id` of the version listed under the subject."""
    users = subjects("users")
    post(reg, users, USER_V1)
    r = requests.post(f"{reg}/subjects/{users}/versions", json={"schema": USER_V2}, headers=CT, timeout=10)
    assert r.status_code == 200, r.text
    assert writer._version_with_id(users, r.json()["id"]) == 2
    first = requests.get(f"{reg}/subjects/{users}/versions/1", timeout=10).json()["id"]
    assert writer._version_with_id(users, first) == 1
    assert writer._version_with_id(users, max(first, r.json()["id"]) + 10_000) is None


def test_the_version_holding_a_schema_is_found_by_reading_the_versions(writer, reg, subjects):
    """What `schema_version` falls back to when the registry's lookup misses (a killed run's registration found
    for its undo): the newest live version whose schema is the same in kplan's canonical form, of the same type and
    references, read from the real registry's answers."""
    users, address, customer = subjects("users"), subjects("address"), subjects("customer")
    post(reg, users, USER_V1)
    post(reg, users, USER_V2)
    spaced = USER_V2.replace(",", ", ")
    assert writer._version_holding(users, writer._body(users, spaced, "AVRO", ())) == 2
    assert writer._version_holding(users, writer._body(users, USER_V1, "AVRO", ())) == 1
    assert writer._version_holding(users, writer._body(users, USER_BAD, "AVRO", ())) is None
    post(reg, address, ADDRESS)
    ref = (SchemaReference("t.Address", address),)
    writer.register_schema(customer, WITH_ADDRESS, "AVRO", ref)
    assert writer._version_holding(customer, writer._body(customer, WITH_ADDRESS, "AVRO", ref)) == 1
    other = (SchemaReference("t.Address", users),)  # the same text with another reference is not held
    assert writer._version_holding(customer, writer._body(customer, WITH_ADDRESS, "AVRO", other)) is None


def test_an_incompatible_registration_is_refused_with_the_registrys_reason(writer, reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    with pytest.raises(WriteError) as e:
        writer.register_schema(users, USER_BAD, "AVRO", ())
    assert "answered 409" in str(e.value) and "Incompatible artifact" in str(e.value)
    assert "\n" not in str(e.value) and "Exception:" not in str(e.value)
    assert versions(reg, users) == [1]


def test_a_deleted_version_is_gone_and_the_subject_versions_say_so(writer, reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    v2 = writer.register_schema(users, USER_V2, "AVRO", ())
    assert v2 == 2 and writer.subject_versions(users) == [1, 2]
    writer.delete_schema_version(users, 2)
    assert versions(reg, users) == [1] and writer.subject_versions(users) == [1]
    writer.delete_schema_version(users, 2)  # again: already gone is done
    assert writer.subject_versions(subjects("never")) == []


def test_a_subjects_own_level_is_set_and_removed(writer, reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    assert writer.subject_level(users) is None and own_level(reg, users) is None
    writer.set_subject_level(users, "FORWARD")
    assert own_level(reg, users) == "FORWARD" and writer.subject_level(users) == "FORWARD"
    writer.set_subject_level(users, None)
    assert own_level(reg, users) is None and writer.subject_level(users) is None
    writer.set_subject_level(users, None)  # again: nothing to remove is done


def test_subjects_are_soft_then_permanently_deleted(writer, reg, subjects):
    a, b = subjects("a"), subjects("b")
    post(reg, a, USER_V1)
    post(reg, b, USER_V1)
    writer.delete_subjects([a, b], permanent=False)
    assert not {a, b} & listed(reg) and {a, b} <= listed(reg, deleted=True)
    writer.delete_subjects([a], permanent=True)
    assert a not in listed(reg, deleted=True) and b in listed(reg, deleted=True)
    writer.delete_subjects([a, subjects("never")], permanent=True)  # absent ones: done


# -- reading -----------------------------------------------------------------------------------------------------


def test_read_subjects_reads_only_what_is_asked_and_tells_own_levels_from_the_global_one(reg, subjects):
    address, customer, users, missing = subjects("address"), subjects("customer"), subjects("users"), subjects("x")
    post(reg, address, ADDRESS)
    post(reg, customer, WITH_ADDRESS, [{"name": "t.Address", "subject": address, "version": 1}])
    post(reg, users, USER_V1)
    post(reg, users, USER_V2)
    requests.put(f"{reg}/config/{users}", json={"compatibility": "FULL"}, headers=CT, timeout=10)
    reader = RegistryRead(registry_client(ClusterSpec("b:1", schema_registry_url=reg)))
    found, level, problem = reader.read_subjects([users, customer, missing])
    assert problem is None and level == "BACKWARD"  # the launcher's global level
    assert set(found) == {users, customer}
    u, c = found[users], found[customer]
    assert (u.version, u.versions, u.compatibility, u.effective_compatibility) == (2, (1, 2), "FULL", "FULL")
    assert u.schema_type == "AVRO" and '"email"' in u.schema and u.schema_id is not None
    assert (c.compatibility, c.effective_compatibility) == (None, "BACKWARD")
    assert c.references == (SchemaReference("t.Address", address, 1),)


def test_a_registry_that_does_not_answer_is_one_problem_line(unused_port):
    url = f"http://127.0.0.1:{unused_port}/apis/ccompat/v7"
    reader = RegistryRead(registry_client(ClusterSpec("b:1", timeout_s=2, schema_registry_url=url)))
    found, level, problem = reader.read_subjects(["a"])
    assert found == {} and level is None
    assert problem == (f"unreachable: cannot reach the schema registry at {url}: connection refused (is the "
                       "registry running and cluster.schema_registry.url right?)")


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the handlers ------------------------------------------------------------------------------------------------


def _ctx(writers, outcomes) -> StepContext:
    return StepContext(0, writers, SecretValues(), lambda o: None, None, None, outcomes, lambda: None)


def test_a_put_subject_run_is_undone_exactly_and_twice_is_harmless(writers, reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    step = PutSubject(users, USER_V2, "AVRO", (), "FULL", True, before_version=1, before_level=None)
    outcomes: dict = {}
    handler_for(step).run(step, _ctx(writers, outcomes))
    assert outcomes[0] == {"level_set": True, "version": 2, "new": True}
    assert versions(reg, users) == [1, 2] and own_level(reg, users) == "FULL"
    for _ in range(2):
        handler_for(step).undo(step, _ctx(writers, outcomes))
    assert versions(reg, users) == [1] and own_level(reg, users) is None


def test_an_undo_after_a_crash_finds_the_version_the_run_registered(writers, reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    step = PutSubject(users, USER_V2, "AVRO", (), before_version=1)
    post(reg, users, USER_V2)  # registered, then the run died before journaling it
    handler_for(step).undo(step, _ctx(writers, {}))
    assert versions(reg, users) == [1]


def test_a_new_subject_undone_has_no_live_version_left(writers, reg, subjects):
    fresh = subjects("fresh")
    step = PutSubject(fresh, USER_V1, "AVRO", (), "FORWARD", True)
    outcomes: dict = {}
    handler_for(step).run(step, _ctx(writers, outcomes))
    assert versions(reg, fresh) == [1] and own_level(reg, fresh) == "FORWARD"
    handler_for(step).undo(step, _ctx(writers, outcomes))
    assert versions(reg, fresh) == [] and fresh not in listed(reg)


# -- plan-time compatibility -------------------------------------------------------------------------------------


def _plan_and_stack(reg: str, subject: str, schema: str, level: str | None = None, level_changes: bool = False,
                    refs=()) -> tuple[Stack, Plan]:
    origin, schema_origin = Origin("stack.yaml", 10, 5), Origin("stack.yaml", 12, 13)
    spec = SubjectSpec(subject, schema, references=tuple(refs), compatibility=level, origin=origin,
                       schema_origin=schema_origin)
    attrs = [AttributeChange(("schema",), AttrKind.UPDATE, "(live)", "(declared)")]
    if level_changes:
        attrs.append(AttributeChange(("compatibility",), AttrKind.UPDATE, None, level))
    cluster = ClusterSpec("b:1", schema_registry_url=reg)
    reader = RegistryRead(registry_client(cluster))
    live, _, _ = reader.read_subjects([subject])  # the live side, as a real plan holds it
    # (a registry that cannot be read: the live side the plan read before it went away)
    current = live.get(subject) or LiveSubject(subject, 1, schema, effective_compatibility="BACKWARD")
    change = ResourceChange(f"subject.{subject}", ResourceType.SUBJECT, subject, Action.UPDATE,
                            before=live_repr(current),
                            attributes=tuple(attrs), origin=origin)
    stack = Stack("s", None, cluster, kinds={"subjects": (spec,)})
    return stack, Plan("s", None, "c", changes=(change,))


def test_an_incompatible_schema_is_a_plan_error_at_the_schemas_line(reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    post(reg, users, USER_V2)
    http = registry_client(ClusterSpec("b:1", schema_registry_url=reg))
    stack, plan = _plan_and_stack(reg, users, USER_V2.replace('"default":""', '"default":"x"}, {"name":"age",'
                                                               '"type":"int"'))
    [d] = check_subjects(http, stack, plan)
    assert d.is_error and d.code == INCOMPATIBLE and d.address == f"subject.{users}"
    assert (d.origin.file, d.origin.line) == ("stack.yaml", 12)
    assert d.message.startswith("the registry judges the new schema incompatible with version 2 "
                                "under BACKWARD (what the plan leaves in place); consumers that move to the new "
                                "schema could not read what was written with version 2")
    # a compatible change passes
    stack, plan = _plan_and_stack(reg, users, USER_V2.replace('"default":""}', '"default":""},{"name":"age",'
                                                              '"type":"int","default":0}'))
    assert check_subjects(http, stack, plan) == []


def test_a_plan_that_changes_the_level_gets_a_warning_not_a_judgement_under_the_old_level(reg, subjects):
    users = subjects("users")
    post(reg, users, USER_V1)
    http = registry_client(ClusterSpec("b:1", schema_registry_url=reg))
    stack, plan = _plan_and_stack(reg, users, USER_BAD, level="FORWARD", level_changes=True)
    [d] = check_subjects(http, stack, plan)
    assert not d.is_error and d.code == UNCHECKED
    assert "the plan changes the level from BACKWARD to FORWARD" in d.message
    # the new level is the one in effect: judged; NONE: nothing to judge
    stack, plan = _plan_and_stack(reg, users, USER_BAD, level="BACKWARD", level_changes=True)
    assert [d.code for d in check_subjects(http, stack, plan)] == [INCOMPATIBLE]
    stack, plan = _plan_and_stack(reg, users, USER_BAD, level="NONE", level_changes=True)
    assert check_subjects(http, stack, plan) == []


def test_a_schema_with_references_the_registry_cannot_judge_gets_a_warning(reg, subjects):
    address, customer = subjects("address"), subjects("customer")
    post(reg, address, ADDRESS)
    post(reg, customer, WITH_ADDRESS, [{"name": "t.Address", "subject": address, "version": 1}])
    http = registry_client(ClusterSpec("b:1", schema_registry_url=reg))
    changed = WITH_ADDRESS.replace('"t.Address"}', '"t.Address"},{"name":"n","type":"int","default":0}')
    stack, plan = _plan_and_stack(reg, customer, changed, refs=[SchemaReference("t.Address", address)])
    [d] = check_subjects(http, stack, plan)
    assert d.code == UNCHECKED and not d.is_error and "references" in d.message


def test_an_unreachable_registry_is_one_error_line(unused_port, reg, subjects):
    url = f"http://127.0.0.1:{unused_port}/apis/ccompat/v7"
    http = registry_client(ClusterSpec("b:1", timeout_s=2, schema_registry_url=url))
    stack, plan = _plan_and_stack(url, "a", USER_V1)
    stack2, plan2 = _plan_and_stack(url, "b", USER_V1)
    both = Plan("s", None, "c", changes=plan.changes + plan2.changes)
    both_stacks = Stack("s", None, stack.cluster, kinds={"subjects": stack.of("subjects") + stack2.of("subjects")})
    diags = check_subjects(http, both_stacks, both)
    assert len(diags) == 1 and diags[0].is_error and "cannot reach the schema registry" in diags[0].message
