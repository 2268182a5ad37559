"""Client quotas as a resource kind, on the real broker: plan → apply → plan is clean and the broker reports the
quotas (read here with kafka-python's own protocol request, not through kplan's client); a value changes in
place; a key set by hand on a declared entity is drift, kept; an entity set by hand and not declared is named and
never touched; removing an entity from the stack removes only the keys kplan set; a failed run restores every value
exactly (a key that was absent is absent again); and over the secured SASL_SSL listener: plan/apply/destroy, and a
principal without the right to read quotas gets one line naming it."""

from __future__ import annotations

import pytest
import yaml
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest
from kplan_helpers import acls_in_effect, faulty_kplan, kplan, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

SECRET_VAR = "KPLAN_TEST_QUOTA_ADMIN_PASSWORD"
USER_PASSWORD = "quota-test-user-password"
MiB = 1024 * 1024


def _admin(config: dict) -> KafkaAdminClient:
    return KafkaAdminClient(**config)


def broker_quotas(admin: KafkaAdminClient, user: str) -> dict[str, float]:
    """The user's quotas as the broker reports them (one exact-match DescribeClientQuotas)."""
    request = DescribeClientQuotasRequest(components=[DescribeClientQuotasRequest.ComponentData(
        entity_type="user", match_type=0, match=user)], strict=True)

    async def call():
        return await admin._manager.send(request)

    response = admin._manager.run(call)
    assert response.error_code == 0, response
    return {v.key: v.value for e in response.entries or () for v in e.values}


def set_by_hand(admin: KafkaAdminClient, user: str, values: dict[str, float | None]) -> None:
    Entry = AlterClientQuotasRequest.EntryData
    request = AlterClientQuotasRequest(entries=[Entry(
        entity=[Entry.EntityData(entity_type="user", entity_name=user)],
        ops=[Entry.OpData(key=k, value=v or 0.0, remove=v is None) for k, v in values.items()])],
        validate_only=False)

    async def call():
        return await admin._manager.send(request)

    response = admin._manager.run(call)
    assert all(e.error_code == 0 for e in response.entries), response
    # the broker describes a change once it has applied the controller's record: under load, a plan or an import
    # run at once read the old quotas (two clean-clone CI runs), so this returns once the broker shows the change
    def shown() -> bool:
        now = broker_quotas(admin, user)
        return all(now.get(k) == v for k, v in values.items())
    wait_for(shown, 30, f"the broker to describe the quotas set by hand on user {user}")


@pytest.fixture
def qadmin(stack):
    client = _admin({"bootstrap_servers": stack.bootstrap_servers})
    yield client
    client.close()


@pytest.fixture
def users(qadmin, unique):
    """Two user names for quota entities; every quota left on them is removed afterwards."""
    names = [unique("q-app"), unique("q-hand")]
    yield names
    for n in names:
        left = broker_quotas(qadmin, n)
        if left:
            set_by_hand(qadmin, n, {k: None for k in left})


def plain_stack(stack, name: str, quotas: list[dict]) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"},
            "quotas": quotas}


def test_a_cold_plan_reads_quotas_and_broker_configs_at_once(stack, users, unique, tmp_path):
    """The reader reads the quotas and the broker configs in two threads at once, each the first of its process to
    import kafka-python's messages (kplan's own Kafka client imports them only when these requests are made): two
    threads entering one package's import at once must not fail (seen: `_DeadlockError: deadlock detected by
    _ModuleLock('kafka.protocol.metadata')` in every cold run). A fresh interpreter, not the tests' warm zygote,
    which has every module imported already."""
    import subprocess
    import sys

    from kplan_helpers import ROOT, run_env

    doc = plain_stack(stack, unique("q-cold"), [{"user": users[0], "producer_byte_rate": "1MiB"}])
    doc["broker_configs"] = [{"broker": "<default>", "configs": {"log.cleaner.backoff.ms": "15001"}}]
    path = write_stack(tmp_path / "s.yaml", doc)
    for _ in range(3):
        r = subprocess.run([sys.executable, "-m", "kplan", "plan", str(path), "--no-color"], capture_output=True,
                           text=True, env=run_env(None), cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"quota.user={users[0]}" in r.stdout and "broker_config.<default>" in r.stdout, r.stdout


def test_apply_update_drift_undeclared_entities_and_removal(stack, qadmin, users, unique, tmp_path):
    app, hand = users
    set_by_hand(qadmin, hand, {"consumer_byte_rate": 4096.0})  # set outside kplan, never declared
    path = write_stack(tmp_path / "s.yaml", plain_stack(stack, unique("q-stack"), [
        {"user": app, "producer_byte_rate": "1MiB", "consumer_byte_rate": "2MiB", "request_percentage": 50}]))
    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert f'+ quota "user={app}"' in r.out and "+ producer_byte_rate = 1048576 (1 MiB/s)" in r.out, r.out
    assert f"client quota user={hand} (consumer_byte_rate 4096) is set on the cluster but not declared" in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {"producer_byte_rate": MiB, "consumer_byte_rate": 2 * MiB,
                                          "request_percentage": 50.0}
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    # a change in place; a key set by hand on the declared entity is drift, shown and left alone
    set_by_hand(qadmin, app, {"controller_mutation_rate": 10.0})
    write_stack(path, plain_stack(stack, _name(path), [
        {"user": app, "producer_byte_rate": "3MiB", "consumer_byte_rate": "2MiB", "request_percentage": 50}]))
    r = kplan("plan", str(path))
    assert "~ producer_byte_rate = 1048576 (1 MiB/s) -> 3145728 (3 MiB/s)" in words(r.out), r.text
    assert "# drift: controller_mutation_rate = 10" in r.out, r.text
    r = kplan("status", str(path))
    assert "controller_mutation_rate = 10: on the cluster, not declared (left alone)" in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {"producer_byte_rate": 3 * MiB, "consumer_byte_rate": 2 * MiB,
                                          "request_percentage": 50.0, "controller_mutation_rate": 10.0}

    # a key no longer declared that kplan set is removed; then the entity leaves the stack: only kplan's keys go
    write_stack(path, plain_stack(stack, _name(path), [{"user": app, "producer_byte_rate": "3MiB"}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {"producer_byte_rate": 3 * MiB, "controller_mutation_rate": 10.0}
    write_stack(path, plain_stack(stack, _name(path), []))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {"controller_mutation_rate": 10.0}
    assert broker_quotas(qadmin, hand) == {"consumer_byte_rate": 4096.0}


def words(text: str) -> str:
    """The text with runs of spaces made one (plans align the `=` of a block)."""
    return " ".join(text.split())


def _name(path) -> str:
    import yaml

    return yaml.safe_load(path.read_text())["stack"]


def test_a_declared_controller_mutation_rate_is_applied_and_imported(stack, qadmin, users, unique, tmp_path):
    """KIP-599's controller_mutation_rate, one row of the quotas' table: planned, applied as the broker reports it,
    clean after, lifted when no longer declared; one set by hand is imported as an entry writes it."""
    app, hand = users
    path = write_stack(tmp_path / "s.yaml", plain_stack(stack, unique("q-stack"), [
        {"user": app, "controller_mutation_rate": 2.5}]))
    r = kplan("plan", str(path))
    assert r.code == 0 and "+ controller_mutation_rate = 2.5" in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {"controller_mutation_rate": 2.5}
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    write_stack(path, plain_stack(stack, _name(path), []))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert broker_quotas(qadmin, app) == {}

    set_by_hand(qadmin, hand, {"controller_mutation_rate": 4.0})
    out = tmp_path / "imported.yaml"
    r = kplan("import", "--stack", "q", "--bootstrap-servers", stack.bootstrap_servers, "--no-topics", "--no-acls",
              "--no-connectors", "--no-streams_apps", "-o", str(out))  # the dynamic-config family's three at once
    assert r.code == 0, r.text
    imported = [q for q in yaml.safe_load(out.read_text())["quotas"] if q.get("user") == hand]
    assert imported == [{"user": hand, "controller_mutation_rate": 4}], out.read_text()


def test_a_failed_run_restores_every_value_exactly(stack, qadmin, users, unique, tmp_path):
    app, _ = users
    set_by_hand(qadmin, app, {"producer_byte_rate": 12345.0, "request_percentage": 7.5})  # adopted by the stack
    path = write_stack(tmp_path / "s.yaml", plain_stack(stack, unique("q-rb"), [
        {"user": app, "producer_byte_rate": "1MiB", "consumer_byte_rate": "2MiB", "request_percentage": 50}]))
    # steps: alter quotas (1), record ownership (2): fail the last one after its writes
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
    assert r.code != 0, r.text
    assert "rolled back" in r.text.lower(), r.text
    # the values before, exactly; consumer_byte_rate was absent and is absent again
    assert broker_quotas(qadmin, app) == {"producer_byte_rate": 12345.0, "request_percentage": 7.5}
    r = kplan("plan", str(path))
    assert r.code == 0 and "~ producer_byte_rate = 12345 (≈12.1 KiB/s) -> 1048576 (1 MiB/s)" in words(r.out), r.text


# -- the secured listener ---------------------------------------------------------------------------------------


@pytest.fixture
def squotas(secured):
    client = _admin({"bootstrap_servers": secured.bootstrap_servers, "security_protocol": "SASL_SSL",
                     "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": secured.admin_user,
                     "sasl_plain_password": secured.admin_password, "ssl_cafile": secured.ca_file})
    yield client
    client.close()


def secured_stack(secured, name: str, quotas: list[dict], user: str | None = None) -> dict:
    return {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": user or secured.admin_user, "sasl.password": "${secret:env:" + SECRET_VAR + "}",
                   "ssl.ca.location": secured.ca_file}},
        "quotas": quotas}


def test_plan_apply_destroy_over_sasl_ssl(secured, squotas, unique, tmp_path):
    app = unique("q-sec")
    env = {SECRET_VAR: secured.admin_password}
    path = write_stack(tmp_path / "s.yaml", secured_stack(secured, unique("q-sec-stack"), [
        {"user": app, "client_id": "batch", "consumer_byte_rate": "1MiB"},
        {"user": app, "producer_byte_rate": "512KiB"}]))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert secured.admin_password not in r.text
        assert broker_quotas(squotas, app) == {"producer_byte_rate": 512 * 1024.0}
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out, r.text
        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert broker_quotas(squotas, app) == {}
        r = kplan("plan", str(path), env=env)
        assert f'+ quota "user={app},client-id=batch"' in r.out, r.text
    finally:
        set_by_hand(squotas, app, {"producer_byte_rate": None})


def test_a_principal_that_may_not_read_quotas_gets_one_line_naming_the_right(secured, sadmin, unique, tmp_path):
    user = unique("q-denied")
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    for f in sadmin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, info, USER_PASSWORD.encode())]).values():
        f.result(30)
    # enough to plan everything else (topics, ACLs), but not quotas
    grant = AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, f"User:{user}", "*",
                       AclOperation.DESCRIBE, AclPermissionType.ALLOW)
    for f in sadmin.create_acls([grant]).values():
        f.result(30)
    acls_in_effect(sadmin, f"User:{user}", [grant])
    try:
        path = write_stack(tmp_path / "s.yaml", secured_stack(secured, unique("q-denied-stack"), [
            {"user": "someone", "producer_byte_rate": 1024}], user=user))
        r = kplan("plan", str(path), env={SECRET_VAR: USER_PASSWORD})
        assert r.code != 0
        assert "kplan's principal may not read client quotas (needs DESCRIBE_CONFIGS on the cluster" in r.text, r.text
        assert "Traceback" not in r.text and USER_PASSWORD not in r.text
    finally:
        for f in sadmin.delete_acls([AclBindingFilter(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL,
                                                      f"User:{user}", "*", AclOperation.DESCRIBE,
                                                      AclPermissionType.ALLOW)]).values():
            f.result(30)
        for f in sadmin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
            f.result(30)
