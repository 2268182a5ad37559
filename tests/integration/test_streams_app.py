"""A Kafka Streams application as a kind, on the real secured stack (SASL_SSL, StandardAuthorizer: no ACL means no
access), with a real application (streams_app/UpperApp.java, kafka-streams from Maven Central) logged in as a
SCRAM user made for the test whose only rights are the bindings kplan generates for it, exactly once on:
* it processes records end to end (and creates its own repartition and changelog topics);
* its internal topics are neither orphans under the stack's claim nor imported as topics of their own;
* a generated binding deleted by hand stops it with an authorization error, the next apply puts it back and it
  processes again;
* destroy deletes the bindings and leaves the internal topics (saying so); destroy with
  `delete_internal_topics_on_destroy: true` deletes them."""

from __future__ import annotations

import by_hand
import pytest
import yaml
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ConfigResource,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
)
from kplan_helpers import acls_in_effect, can_log_in, kplan, wait_for, write_stack
from streams_app_runner import App, wait
from test_acls import _principal_filter, bindings

import localstack

ADMIN_PW = "KPLAN_TEST_SA_ADMIN_PW"
USER_PASSWORD = "streams-app-test-password"


@pytest.fixture
def names(secured, sadmin, unique):
    """(base, user): the application is `<base>-app`, its topics `<base>-in` / `<base>-out`. Afterwards the user,
    its bindings and every topic under `base` go."""
    base, user = unique("streams"), unique("streams-user")
    by_hand.upsert_scram(sadmin, {user: USER_PASSWORD})
    wait_for(lambda: can_log_in(secured, user, USER_PASSWORD), 30, f"the new SCRAM user {user} to log in")
    yield base, user
    for f in sadmin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
        f.result(30)
    for f in sadmin.delete_acls([_principal_filter(f"User:{user}")]).values():
        f.result(30)
    topics = [t for t in sadmin.list_topics(timeout=20).topics if t.startswith(base)]
    for f in (sadmin.delete_topics(topics).values() if topics else ()):
        try:
            f.result(30)
        except Exception:  # noqa: BLE001 - already gone
            pass


def stack_doc(secured, base: str, user: str, delete_internal: bool = False) -> dict:
    """The application; with `delete_internal`, it also has a managed internal topic and destroy deletes them."""
    app: dict = {"application_id": f"{base}-app", "principal": f"User:{user}", "inputs": [f"{base}-in"],
                 "outputs": [f"{base}-out"], "exactly_once": True}
    if delete_internal:
        app["delete_internal_topics_on_destroy"] = True
        app["internal_topics"] = "managed"
        app["topics"] = [{"name": f"{base}-app-managed-changelog", "partitions": 2, "replication_factor": 1,
                          "config": {"cleanup.policy": "compact"}}]
    return {"stack": base, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:%s}" % ADMIN_PW,
                   "ssl.ca.location": secured.ca_file}},
        "claims": [{"prefix": base}],
        "topics": [{"name": f"{base}-in", "partitions": 1, "replication_factor": 1},
                   {"name": f"{base}-out", "partitions": 1, "replication_factor": 1}],
        "streams_apps": [app]}


def app_properties(secured, tmp_path, base: str, user: str):
    path = tmp_path / "app.properties"
    tls = secured.tls_dir
    path.write_text("\n".join([
        f"application.id={base}-app", f"bootstrap.servers={secured.bootstrap_servers}",
        "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{USER_PASSWORD}";',
        "ssl.truststore.type=PKCS12", f"ssl.truststore.location={tls}/truststore.p12",
        f"ssl.truststore.password={localstack.TLS_PASSWORD}",
        "processing.guarantee=exactly_once_v2", "replication.factor=1", "commit.interval.ms=200",
        "statestore.cache.max.bytes=0", f"state.dir={tmp_path}/state",
        # static membership: a restarted instance takes its stopped predecessor's place at once (a Streams client
        # does not leave its group when it stops)
        f"group.instance.id={base}-instance", "session.timeout.ms=6000", "heartbeat.interval.ms=1000",
        f"app.input={base}-in", f"app.output={base}-out", ""]))
    return path


def produce(secured, topic: str, value: str) -> None:
    p = Producer(secured.kafka_config())
    p.produce(topic, key=value.encode(), value=value.encode())
    assert p.flush(20) == 0


class Output:
    """The output topic read as the admin, committed records only (the application writes in transactions)."""

    def __init__(self, secured, topic: str) -> None:
        self.values: list[str] = []
        self.consumer = Consumer({**secured.kafka_config(), "group.id": f"{topic}-reader",
                                  "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False})
        self.consumer.assign([TopicPartition(topic, 0, 0)])

    def has(self, value: str) -> bool:
        for msg in self.consumer.consume(100, timeout=0.5):
            if msg.error() is None and msg.value() is not None:
                self.values.append(msg.value().decode())
        return value in self.values


def test_streams_app_runs_on_its_generated_acls_alone(secured, sadmin, names, tmp_path):
    base, user = names
    app_id, principal = f"{base}-app", f"User:{user}"
    env = {ADMIN_PW: secured.admin_password}
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, base, user))
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    assert f'+ streams_app "{app_id}"' in r.out, r.out
    prefix = f"{app_id}-"
    assert bindings(sadmin, principal) == {
        ("TOPIC", f"{base}-in", "LITERAL", "READ"), ("TOPIC", f"{base}-in", "LITERAL", "DESCRIBE"),
        ("TOPIC", f"{base}-out", "LITERAL", "WRITE"), ("TOPIC", f"{base}-out", "LITERAL", "DESCRIBE"),
        ("GROUP", app_id, "LITERAL", "READ"),
        *{("TOPIC", prefix, "PREFIXED", op) for op in ("CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ",
                                                       "WRITE")},
        ("TRANSACTIONAL_ID", prefix, "PREFIXED", "WRITE"), ("TRANSACTIONAL_ID", prefix, "PREFIXED", "DESCRIBE")}

    out = Output(secured, f"{base}-out")
    app = App(app_properties(secured, tmp_path, base, user))
    try:
        wait(lambda: app.saw("STATE RUNNING"), 90, "the application RUNNING", app)
        produce(secured, f"{base}-in", "first")
        wait(lambda: out.has("FIRST") and out.has("count=1"), 60, "FIRST and its count on the output", app)
        internal = sorted(t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix))
        assert any(t.endswith("-changelog") for t in internal) and any(t.endswith("-repartition")
                                                                       for t in internal), internal

        # the internal topics are the application's: no change, no orphan, not imported as topics
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out, r.text
        assert "orphan" not in r.text and "claimed prefix" not in r.text, r.text
        r = kplan("import", "--stack", base, "--cluster-from", str(path), "--prefix", base, "-o",
                  str(tmp_path / "imported.yaml"), env=env)
        assert r.code == 0, r.text
        imported = yaml.safe_load((tmp_path / "imported.yaml").read_text())
        assert sorted(t["name"] for t in imported.get("topics", ())) == [f"{base}-in", f"{base}-out"], imported
        assert imported["streams_apps"] == [{"application_id": app_id, "principal": principal,
                                             "inputs": [f"{base}-in"], "outputs": [f"{base}-out"],
                                             "exactly_once": True}], imported

        # without its generated WRITE on the output the application stops, and writes nothing more
        before = set(sadmin.describe_acls(_principal_filter(principal)).result(30))
        deleted = set()
        for f in sadmin.delete_acls([AclBindingFilter(ResourceType.TOPIC, f"{base}-out", ResourcePatternType.LITERAL,
                                                      principal, "*", AclOperation.WRITE,
                                                      AclPermissionType.ALLOW)]).values():
            found = f.result(30)
            assert len(found) == 1
            deleted |= set(found)
        # the broker's authorizer applies the deletion a moment after the answer (a fixed 1.5 s was too short in a
        # loaded clean-clone CI run: the application wrote SECOND and never stopped)
        acls_in_effect(sadmin, principal, before - deleted, timeout=60)
        produce(secured, f"{base}-in", "second")
        wait(lambda: app.proc.poll() is not None, 90, "the application to stop", app)
        assert app.saw("FATAL") and app.saw("TopicAuthorizationException"), app.output
        assert not out.has("SECOND"), out.values

        # the next plan shows the missing binding under the application, the apply puts it back
        r = kplan("plan", str(path), env=env)
        assert r.code == 0 and f'+ {principal}["topic"]["{base}-out"]["WRITE"]' in r.out, r.text
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert ("TOPIC", f"{base}-out", "LITERAL", "WRITE") in bindings(sadmin, principal)
    finally:
        app.stop()
    app = App(app_properties(secured, tmp_path, base, user))
    try:
        wait(lambda: out.has("SECOND"), 90, "SECOND on the output after the apply", app)
    finally:
        app.stop()
        out.consumer.close()

    # destroy: the bindings go, the internal topics stay (and the plan says so). A Kafka Streams client does not
    # leave its group on close, so the group keeps its member until the session times out: it is the application's
    # group, and destroy removes the application first, so the guard lets the input topic go (issue 41)
    r = kplan("destroy", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    assert "delete_internal_topics_on_destroy" in r.out and "stay" in r.out, r.out
    assert bindings(sadmin, principal) == set()
    assert {t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix)} == set(internal)

    # managed: apply creates the declared internal topic; asked to, destroy deletes every internal topic
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, base, user, delete_internal=True))
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    managed = f"{prefix}managed-changelog"
    assert len(sadmin.list_topics(timeout=20).topics[managed].partitions) == 2
    resource = ConfigResource(ConfigResource.Type.TOPIC, managed)
    assert sadmin.describe_configs([resource])[resource].result(30)["cleanup.policy"].value == "compact"
    r = kplan("destroy", str(path), "--auto-approve", "--allow-active-consumers", env=env)
    assert r.code == 0, r.text
    wait_for(lambda: not any(t.startswith(prefix) for t in sadmin.list_topics(timeout=20).topics), 30,
             "the internal topics deleted")
    assert bindings(sadmin, principal) == set()
