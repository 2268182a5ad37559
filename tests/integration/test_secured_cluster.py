"""kplan against the secured side of the local stack: Kafka through the SASL_SSL listener (SCRAM-SHA-512, the
launcher's own CA) and Kafka Connect behind HTTPS and basic authentication (`cluster.connect`). Plan, apply, plan
again (no changes) and destroy a topic and a connector; a wrong password, a missing CA, a wrong Kafka password
each give one clear line within the stack's timeout; no password ever appears in any output."""

from __future__ import annotations

import time

import by_hand
import pytest
import requests
from kplan_helpers import can_log_in, kplan, wait_for, write_stack

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
KAFKA_PW, CONNECT_PW = "KPLAN_TEST_KAFKA_PASSWORD", "KPLAN_TEST_CONNECT_PASSWORD"


def _doc(secured, name: str, tmp_path, *, ca: bool = True, connector: bool = True) -> dict:
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    connect = {"url": secured.connect_url,
               "auth": {"basic": {"username": secured.connect_user, "password": "${secret:env:%s}" % CONNECT_PW}}}
    if ca:
        connect["ca"] = secured.ca_file
    doc = {"stack": name,
           "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "10s", "connect": connect,
                       "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                  "sasl.username": secured.admin_user, "sasl.password": "${secret:env:%s}" % KAFKA_PW,
                                  "ssl.ca.location": secured.ca_file}},
           "topics": [{"name": f"{name}.lines", "partitions": 2, "replication_factor": 1,
                       "config": {"retention.ms": "1d"}}]}
    if connector:
        doc["connectors"] = [{"name": f"{name}-src", "class": FILE_SOURCE,
                              "config": {"file": str(source), "topic": f"{name}.lines"}}]
    return doc


@pytest.fixture
def env(secured):
    return {KAFKA_PW: secured.admin_password, CONNECT_PW: secured.connect_password}


@pytest.fixture
def name(secured, unique):
    n = unique("secured")
    yield n
    auth = (secured.connect_user, secured.connect_password)
    for c in requests.get(f"{secured.connect_url}/connectors", auth=auth, verify=secured.ca_file, timeout=30).json():
        if c.startswith(n):
            requests.delete(f"{secured.connect_url}/connectors/{c}", auth=auth, verify=secured.ca_file, timeout=60)


def _no_secret(run, secured) -> None:
    for secret in (secured.admin_password, secured.connect_password):
        assert secret not in run.text, run.text


def test_plan_apply_destroy_through_sasl_ssl_and_authenticated_https_connect(secured, env, name, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(secured, name, tmp_path))
    r = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert r.code == 2 and "Plan: 2 to add" in r.text, r.text
    _no_secret(r, secured)
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    _no_secret(r, secured)
    auth = (secured.connect_user, secured.connect_password)
    status = requests.get(f"{secured.connect_url}/connectors/{name}-src/status", auth=auth, verify=secured.ca_file,
                          timeout=30).json()
    assert status["connector"]["state"] == "RUNNING", status
    r = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes" in r.text, r.text
    r = kplan("status", str(path), env=env)
    assert r.code == 0 and "RUNNING" in r.text, r.text
    _no_secret(r, secured)
    r = kplan("destroy", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    _no_secret(r, secured)
    wait_for(lambda: f"{name}-src" not in requests.get(f"{secured.connect_url}/connectors", auth=auth,
                                                       verify=secured.ca_file, timeout=30).json(),
             timeout=30, what="connector deleted")


def test_a_wrong_connect_password_is_one_line_naming_the_401(secured, env, name, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(secured, name, tmp_path))
    started = time.monotonic()
    r = kplan("plan", str(path), env={**env, CONNECT_PW: "not-the-password"})
    assert r.code == 1, r.text
    assert time.monotonic() - started < 10 + 10, r.text
    (line,) = [x for x in r.text.splitlines() if x.strip()]
    assert "refused kplan's credentials (401" in line and "cluster.connect.auth" in line, r.text
    assert "not-the-password" not in r.text and "Traceback" not in r.text


def test_a_connect_certificate_from_an_unknown_ca_is_refused_in_words(secured, env, name, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(secured, name, tmp_path, ca=False))
    r = kplan("plan", str(path), env=env)
    assert r.code == 1, r.text
    (line,) = [x for x in r.text.splitlines() if x.strip()]
    assert "TLS with Kafka Connect at" in line and "set cluster.connect.ca" in line, r.text
    _no_secret(r, secured)


def test_a_wrong_kafka_password_is_one_line_blaming_the_credentials(secured, env, name, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(secured, name, tmp_path, connector=False))
    started = time.monotonic()
    r = kplan("plan", str(path), env={**env, KAFKA_PW: "not-the-password"})
    assert r.code == 1, r.text
    assert time.monotonic() - started < 10 + 10, r.text
    (line,) = [x for x in r.text.splitlines() if x.strip()]
    assert "authentication failed" in line and "credentials" in line, r.text
    assert "not-the-password" not in r.text


def test_a_kafka_certificate_from_an_unknown_ca_is_one_line_blaming_tls(secured, env, name, tmp_path):
    doc = _doc(secured, name, tmp_path, connector=False)
    doc["cluster"]["client"]["ssl.ca.location"] = "/etc/ssl/certs/ca-certificates.crt"  # not the launcher's CA
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path), env=env)
    assert r.code == 1, r.text
    (line,) = [x for x in r.text.splitlines() if x.strip()]
    assert "certificate verify failed" in line and "TLS handshake failed" in line, r.text
    _no_secret(r, secured)


@pytest.fixture
def powerless(secured, unique):
    """A SCRAM user the authorizer grants nothing (no ACLs, not a super user): (name, password)."""
    from confluent_kafka.admin import (
        AdminClient,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialDeletion,
        UserScramCredentialUpsertion,
    )

    from kplan.transport.kafka import dispose

    user, password = unique("nobody"), "powerless-pw-1"
    admin = AdminClient(secured.kafka_config())
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    for f in admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, info, password.encode())]).values():
        f.result(20)
    # a new credential refuses logins for a moment: the tests are about rights, not about that
    wait_for(lambda: can_log_in(secured, user, password), 30, f"the new SCRAM user {user} to be able to log in")
    yield user, password
    for f in admin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
        f.result(20)
    dispose(admin)


def test_a_missing_permission_is_named_with_the_principal_and_the_resource(secured, env, name, powerless, tmp_path):
    user, password = powerless
    doc = _doc(secured, name, tmp_path, connector=False)
    doc["cluster"]["client"]["sasl.username"] = user
    path = write_stack(tmp_path / "s.yaml", doc)
    run_env = {**env, KAFKA_PW: password}
    r = kplan("plan", str(path), env=run_env)
    assert r.code == 1, r.text
    assert (f"kplan's principal User:{user} may not create topic {name}.lines (TOPIC_AUTHORIZATION_FAILED): it "
            f"needs the CREATE permission on topic {name}.lines") in r.text, r.text
    r = kplan("apply", str(path), "--auto-approve", env=run_env)
    assert r.code == 1, r.text
    (line,) = [x for x in r.text.splitlines() if x.strip()]
    assert f"could not take the apply lock __kplan_lock.{name}: kplan's principal User:{user} may not create" in line
    assert "needs the CREATE permission" in line and password not in r.text, r.text


def test_a_topic_whose_configs_kplan_may_not_read_is_named_with_the_right(secured, env, name, powerless, tmp_path):
    """DESCRIBE on a topic lets kplan see it, but reading its configs needs DESCRIBE_CONFIGS: the plan names it."""
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )

    from kplan.transport.kafka import dispose

    user, password = powerless
    topic = f"{name}.lines"
    admin = AdminClient(secured.kafka_config())
    try:
        by_hand.create_topics(admin, [NewTopic(topic, 1, 1)])  # each returns once the broker shows it
        by_hand.create_acls(admin, [AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, f"User:{user}",
                                               "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
        doc = _doc(secured, name, tmp_path, connector=False)
        doc["cluster"]["client"]["sasl.username"] = user
        path = write_stack(tmp_path / "s.yaml", doc)
        expected = (f"kplan's principal User:{user} may not read the configs of topic {topic} "
                    f"(TOPIC_AUTHORIZATION_FAILED): it needs the DESCRIBE_CONFIGS permission on topic {topic}")
        def planned():  # the binding reaches the broker's authorizer within a moment
            run = kplan("plan", str(path), env={**env, KAFKA_PW: password})
            return run if expected in run.text else None

        r = wait_for(planned, 20, "the plan to name DESCRIBE_CONFIGS")
        assert r.code == 1 and "Traceback" not in r.text and password not in r.text, r.text
    finally:
        for f in admin.delete_topics([topic]).values():
            f.result(30)
        from confluent_kafka.admin import AclBindingFilter

        for f in admin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{user}",
                                                     None, AclOperation.ANY, AclPermissionType.ANY)]).values():
            f.result(30)
        dispose(admin)


def test_describe_workers_log_in_to_the_secured_cluster_like_the_reader(secured, sadmin, unique, monkeypatch):
    """The describe worker processes (kplan.kinds.topic.io.describe, used from thousands of topics on) get the client's
    SASL_SSL settings through their stdin pipe and read the same configs as the in-process read."""
    from confluent_kafka.admin import NewTopic

    import kplan.kinds.topic.io.describe as describe
    from kplan.model.desired import ClusterSpec, freeze
    from kplan.session.systems import StackReader

    names = [unique(f"secured-workers-{i}") for i in range(3)]
    for fut in sadmin.create_topics([NewTopic(n, 1, 1, config={"retention.ms": "60000"}) for n in names]).values():
        fut.result(30)
    try:
        spec = ClusterSpec(secured.bootstrap_servers, None, timeout_s=10, client_properties=freeze({
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": secured.admin_user,
            "sasl.password": secured.admin_password, "ssl.ca.location": secured.ca_file}))
        reader = StackReader(spec)
        wait_for(lambda: set(reader.describe_topic_configs(names)) == set(names), timeout=30, what="topics visible")
        here = reader.describe_topic_configs(names)
        monkeypatch.setattr(describe, "WORKER_THRESHOLD", 1)
        spawned = []
        real_popen = describe.subprocess.Popen
        monkeypatch.setattr(describe.subprocess, "Popen", lambda *a, **k: spawned.append(a) or real_popen(*a, **k))
        monkeypatch.setattr(describe, "describe_plain", None)  # this process may not read: the workers must
        in_workers = reader.describe_topic_configs(names)
        assert len(spawned) == 2
        assert {n: dict(c[0]) for n, c in in_workers.items()} == {n: dict(c[0]) for n, c in here.items()}
        assert all(dict(in_workers[n][0]) == {"retention.ms": "60000"} for n in names)
        reader.close()
    finally:
        sadmin.delete_topics(names)
