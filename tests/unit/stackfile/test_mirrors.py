"""`mirrors:` (issue 44): a mirror expands into MirrorMaker 2's connectors on the target cluster, the plan says the
flow in words, and the target's replicas and MirrorMaker's own topics are the mirror's (never orphans)."""

from __future__ import annotations

import textwrap

from builders import live_state, ltopic

from kplan.model.desired import MirrorSpec
from kplan.model.diagnostics import Severity
from kplan.model.plan import Action
from kplan.plan.planner import make_plan
from kplan.stackfile import validate_stack

STACK = """\
    stack: dr
    clusters:
      main: {bootstrap_servers: "main:9092"}
      dr: {bootstrap_servers: "dr:9092", connect_url: "http://connect-dr:8083"}
    claims: [{prefix: "main.", cluster: dr}]
    mirrors:
      - name: main-dr
        cluster: dr
        source: main
        topics: ['orders\\..*', payments]
        topics_exclude: ['orders\\.tmp']
        groups: [billing]
        checkpoint_interval: 5s
        owner: team-platform
    """


def _load(tmp_path, text=STACK):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(text))
    return validate_stack(path)


def _dr(stack):
    """The target cluster's part of the stack (an ordinary one-cluster stack)."""
    return next(m for m in stack.members if m.cluster_name == "dr")


def _errors(diags):
    return [d for d in diags if d.severity == Severity.ERROR]


def test_a_mirror_expands_into_the_three_mirrormaker_connectors_on_the_target(tmp_path):
    stack, diags = _load(tmp_path)
    assert stack is not None, _errors(diags)
    specs = {c.name: c for c in _dr(stack).of("connectors")}
    assert sorted(specs) == ["main-dr-checkpoint", "main-dr-heartbeat", "main-dr-source"]
    source = specs["main-dr-source"].config
    assert source["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    assert source["source.cluster.alias"] == "main" and source["target.cluster.alias"] == "dr"
    assert source["source.cluster.bootstrap.servers"] == "main:9092"
    assert source["target.cluster.bootstrap.servers"] == "dr:9092"
    assert source["topics"] == "orders\\..*,payments" and source["topics.exclude"] == "orders\\.tmp"
    assert source["value.converter"] == "org.apache.kafka.connect.converters.ByteArrayConverter"
    checkpoint = specs["main-dr-checkpoint"].config
    assert checkpoint["groups"] == "billing" and checkpoint["sync.group.offsets.interval.seconds"] == "5"
    assert all(s.mirror is not None and s.mirror.name == "main-dr" for s in specs.values())


def test_a_mirror_without_groups_or_heartbeats_has_only_its_source_connector(tmp_path):
    text = STACK.replace("        groups: [billing]\n", "        heartbeats: false\n")
    stack, diags = _load(tmp_path, text)
    assert stack is not None, _errors(diags)
    names = sorted(c.name for c in _dr(stack).of("connectors"))
    assert names == ["main-dr-source"]


def test_a_replication_factor_that_is_not_a_whole_number_leaves_mirrormakers_defaults(tmp_path):
    # YAML reads 3.0 as a float, which the schema's "integer" lets through; Connect refuses "3.0" for its INT settings
    for factor, expected in (("3", "3"), ("3.0", None)):
        text = STACK.replace("        owner:", f"        replication_factor: {factor}\n        owner:")
        stack, diags = _load(tmp_path, text)
        assert stack is not None, _errors(diags)
        for c in _dr(stack).of("connectors"):
            assert c.config.get("replication.factor") == expected, (factor, c.name)


def test_bad_mirrors_get_one_located_line_each(tmp_path):
    text = STACK.replace("source: main", "source: mian").replace("payments]", "'pay(']")
    _, diags = _load(tmp_path, text)
    messages = sorted((d.origin.line, d.message) for d in _errors(diags))
    assert any('source "mian" is not a cluster of `clusters:`' in m for _, m in messages), messages
    same = STACK.replace("        source: main\n", "        source: main\n        target_alias: main\n")
    _, diags = _load(tmp_path, same)
    assert any("a mirror copies between two clusters" in d.message for d in _errors(diags))


def test_the_mirror_names_replicas_and_owns_them_on_the_target():
    m = MirrorSpec("m", "main", "dr", ("orders\\..*", "payments"), ("orders\\.tmp",))
    assert m.replicates("orders.eu") and m.replicates("payments") and not m.replicates("orders.tmp")
    assert not m.replicates("paymentsX") and not m.replicates("mm2-offset-syncs.dr.internal")
    assert m.target_name("orders.eu") == "main.orders.eu"
    assert m.owns_on_target("main.orders.eu") and m.owns_on_target("heartbeats")
    assert m.owns_on_target("main.checkpoints.internal") and not m.owns_on_target("other.orders.eu")
    # a replica whose topic the patterns no longer match is still the mirror's: its name says so (issue 56 item 1)
    assert m.owns_on_target("main.returns") and m.may_own_subject("main.returns-value")
    assert m.is_replica("main.orders.eu") and not m.is_replica("main.returns") and not m.is_replica("orders.eu")
    assert not m.is_replica("main.heartbeats") and not m.is_replica("main.checkpoints.internal")
    identity = MirrorSpec("m", "main", "dr", ("orders\\..*",), policy="identity")
    assert identity.target_name("orders.eu") == "orders.eu" and identity.owns_on_target("orders.eu")
    # under identity the name cannot say: what its source connector copied (its offsets) can; not read: any may be
    assert not identity.owns_on_target("returns") and not identity.may_own_subject("returns-value")
    assert identity.owns_on_target("returns", frozenset({"returns"}))
    assert identity.may_own_subject("returns-value", frozenset({"returns"}))
    assert identity.owns_on_target("returns", None) and identity.is_replica("orders.eu")
    assert not identity.is_replica("returns")


def test_the_plan_says_the_flow_and_the_replicas_are_no_orphans(tmp_path):
    text = STACK.replace('claims: [{prefix: "main.", cluster: dr}]',
                         'claims: [{prefix: "main.", cluster: dr}, {prefix: "scratch.", cluster: dr}]')
    stack, diags = _load(tmp_path, text)
    assert stack is not None, _errors(diags)
    dr = _dr(stack)
    live = live_state("dr", 1, {t: ltopic(t, 1, 1) for t in ("main.orders.eu", "main.other", "main.heartbeats",
                                                              "scratch.x")}, {})
    plan = make_plan(dr, live)
    (flow,) = [d for d in plan.diagnostics if d.code == "mirror-flow"]
    assert ("mirror 'main-dr' replicates the topics of main matching orders\\..*, payments (except orders\\.tmp) to "
            "dr as main.<topic>") in flow.message
    assert "1 replica topic(s) on dr now: main.orders.eu" in flow.message
    assert sorted(c.action for c in plan.changes) == [Action.CREATE] * 3
    # under the claim `main.`: the replica, one of a topic the patterns do not match (a replica of main by its name:
    # one they matched before, issue 56 item 1) and MirrorMaker's own topic are the mirror's, never orphans
    assert [d.address for d in plan.diagnostics if d.code == "orphan"] == ["topic.scratch.x"]


def test_the_plan_lists_the_source_topics_a_change_adds_and_drops(tmp_path):
    from dataclasses import replace

    from builders import lconn

    from kplan.model.desired import freeze
    from kplan.model.mirror import MirrorRead

    stack, diags = _load(tmp_path)
    dr = _dr(stack)
    running = {"topics": "orders\\.eu,returns", "connector.class": "MirrorSourceConnector"}
    live = live_state("dr", 1, {}, {"main-dr-source": lconn("main-dr-source", running)})
    read = MirrorRead(("orders.eu", "orders.us", "orders.tmp", "payments", "returns", "__consumer_offsets"))
    plan = make_plan(dr, replace(live, mirror_sources=freeze({"main-dr": read})))
    (topics,) = [d for d in plan.diagnostics if d.code == "mirror-topics"]
    assert topics.message == ("mirror 'main-dr' replicates 3 topics of main: orders.eu, orders.us, payments; this "
                              "change adds orders.us, payments; it drops returns (their replicas on dr stay, no "
                              "longer updated)")
    problem = MirrorRead(problem="source main (main:9092) could not be read: x")
    unread = make_plan(dr, replace(live, mirror_sources=freeze({"main-dr": problem})))
    (warn,) = [d for d in unread.diagnostics if d.code == "mirror-source-unread"]
    assert warn.severity == Severity.WARNING and "cannot say which of its topics are replicated" in warn.message


def _read(**kw):
    """A mirror read: main's orders.eu (2 partitions: 70 + 50 records) and payments, their replicas on dr; billing
    committed at 40 and 50 on main, with checkpoints; audit committed without a checkpoint; late with a checkpoint
    past the replica's end."""
    from kplan.model.mirror import Checkpoint, MirrorRead

    doc = dict(source_topics=("orders.eu", "payments"),
               source_ends={("orders.eu", 0): 70, ("orders.eu", 1): 50, ("payments", 0): 6},
               target_ends={("main.orders.eu", 0): 70, ("main.orders.eu", 1): 38},
               committed={"billing": {("orders.eu", 0): 40, ("orders.eu", 1): 30}, "audit": {("orders.eu", 0): 65},
                          "late": {("orders.eu", 1): 41}},
               checkpoints=(Checkpoint("billing", "main.orders.eu", 0, 40, 36, 1_000),
                            Checkpoint("billing", "main.orders.eu", 1, 30, 30, 3_000),
                            Checkpoint("late", "main.orders.eu", 1, 41, 41, 2_000)),
               read_ms=9_000)
    return MirrorRead(**{**doc, **kw})


def test_the_replication_lag_checkpoint_age_and_drills_are_said_and_status_shows_them(tmp_path):
    from dataclasses import replace

    from kplan.model.desired import freeze
    from kplan.plan.status import build_status

    stack, _ = _load(tmp_path)
    dr = _dr(stack)
    live = replace(live_state("dr", 1, {"main.orders.eu": ltopic("main.orders.eu", 2, 1)}, {}),
                   mirror_sources=freeze({"main-dr": _read()}))
    plan = make_plan(dr, live)
    (lag,) = [d for d in plan.diagnostics if d.code == "mirror-lag"]
    assert lag.message.endswith(": main.orders.eu 12 records behind")
    (age,) = [d for d in plan.diagnostics if d.code == "mirror-checkpoint-age"]
    assert "its newest checkpoint on dr was written 6 s before this read" in age.message
    report = build_status(dr, live, plan)
    assert {"mirror-lag", "mirror-checkpoint-age", "mirror-failover"} <= {d.code for d in report.warnings}
    drills = {d.message.split(" to dr")[0].rsplit(" ", 1)[1]: d for d in plan.diagnostics
              if d.code == "mirror-failover"}
    # billing: partition 0 resumes at 36 (34 left there, 30 on main: 4 re-read), partition 1 at 30 (8 left there,
    # 20 on main: the replica lacks 12)
    assert drills["billing"].message == (
        "failover of consumer group billing to dr now: 42 records left to read there from its translated offsets, 50 "
        "on main: it would re-read 4 records and MISS 12 records; it would resume at main.orders.eu/0 at 36, "
        "main.orders.eu/1 at 30 (checkpoint 8 s old)")
    assert drills["billing"].severity == Severity.WARNING
    assert "no translated offsets there yet (no checkpoint)" in drills["audit"].message
    assert drills["late"].message.startswith("failover of consumer group late to dr now: 0 records left to read "
                                             "there from its translated offsets, 9 on main: it would MISS 9 records")


def test_a_failover_drill_without_the_source_still_says_where_groups_resume(tmp_path):
    from dataclasses import replace

    from kplan.model.desired import freeze

    stack, _ = _load(tmp_path)
    read = _read(source_topics=(), source_ends={}, committed={}, problem="source main (main:9092) could not be read: x")
    live = replace(live_state("dr", 1, {}, {}), mirror_sources=freeze({"main-dr": read}))
    diags = make_plan(_dr(stack), live).diagnostics
    assert [d.code for d in diags if d.code.startswith("mirror-") and d.code not in ("mirror-flow",
                                                                       "mirror-replication-factor")] == [
        "mirror-source-unread", "mirror-checkpoint-age", "mirror-failover", "mirror-failover"]
    billing = next(d for d in diags if d.code == "mirror-failover" and " billing " in d.message)
    assert billing.message == ("failover of consumer group billing to dr now: it would resume at main.orders.eu/0 at "
                               "36, main.orders.eu/1 at 30 (checkpoint 8 s old), 42 records left to read there; what "
                               "it would re-read or miss is not known: main was not read")


def test_checkpoint_records_decode_as_mirrormaker_writes_them():
    import struct

    from kplan.kinds.connector.io.mirrors import decode_checkpoint
    from kplan.model.mirror import Checkpoint

    def s(text):
        return struct.pack(">h", len(text)) + text.encode()

    key = s("billing") + s("main.orders") + struct.pack(">i", 1)
    value = struct.pack(">hqq", 0, 40, 36) + s("")
    assert decode_checkpoint(key, value, 5) == Checkpoint("billing", "main.orders", 1, 40, 36, 5)
    assert decode_checkpoint(key, struct.pack(">hqq", 1, 40, 36), 5) is None  # another version: not read
    assert decode_checkpoint(key[:5], value, 5) is None


def test_a_replica_that_would_land_in_another_stacks_topic_is_refused(tmp_path):
    from dataclasses import replace

    from kplan.model.desired import freeze
    from kplan.model.mirror import MirrorRead

    stack, _ = _load(tmp_path)
    live = replace(live_state("dr", 1, {}, {}), foreign_owners=freeze({"topic.main.payments": "billing-team"}),
                   mirror_sources=freeze({"main-dr": MirrorRead(("orders.eu", "payments"))}))
    (err,) = [d for d in make_plan(_dr(stack), live).diagnostics if d.code == "mirror-target-owned"]
    assert "main.payments on dr, which stack 'billing-team' owns" in err.message and err.severity == Severity.ERROR


def test_a_secured_clusters_client_settings_become_mirrormakers(tmp_path):
    text = STACK.replace('main: {bootstrap_servers: "main:9092"}', 'main: {bootstrap_servers: "main:9093", client: '
                         '{security.protocol: sasl_ssl, sasl.mechanisms: SCRAM-SHA-512, sasl.username: mm2, '
                         'sasl.password: "${secret:env:MM2_PW}", ssl.ca.location: /etc/ca.pem}}')
    stack, diags = _load(tmp_path, text)
    assert stack is not None, _errors(diags)
    config = {c.name: c for c in _dr(stack).of("connectors")}["main-dr-source"].config
    assert config["source.cluster.security.protocol"] == "SASL_SSL"
    assert config["source.cluster.sasl.jaas.config"] == ('org.apache.kafka.common.security.scram.ScramLoginModule '
                                                         'required username="mm2" password="${secret:env:MM2_PW}";')
    assert config["source.cluster.ssl.truststore.location"] == "/etc/ca.pem"
    assert "target.cluster.security.protocol" not in config  # the target is plaintext
    oauth = STACK.replace('main: {bootstrap_servers: "main:9092"}', 'main: {bootstrap_servers: "main:9093", client: '
                          '{security.protocol: SASL_SSL, sasl.mechanisms: OAUTHBEARER, ssl.keystore.location: /k}}')
    _, diags = _load(tmp_path, oauth)
    messages = [d.message for d in _errors(diags)]
    assert any("SASL mechanism OAUTHBEARER cannot be given to MirrorMaker" in m for m in messages), messages
    assert any("client setting ssl.keystore.location cannot be given to MirrorMaker" in m for m in messages)


def test_the_rights_mirrormaker_needs_follow_what_it_does():
    from kplan.model.mirror import needs

    m = MirrorSpec("m", "main", "dr", ("orders",), groups=("billing",))
    got = {(n.side, n.resource, n.name, n.operation, n.create) for n in needs(m, ["orders", "other"], [], ["billing"])}
    assert got == {("source", "topic", "orders", "READ", False),
                   ("source", "topic", "orders", "DESCRIBE_CONFIGS", False),
                   ("source", "topic", "mm2-offset-syncs.dr.internal", "CREATE", True),
                   ("source", "group", "billing", "DESCRIBE", False),
                   ("target", "topic", "main.orders", "CREATE", True),
                   ("target", "topic", "main.checkpoints.internal", "CREATE", True),
                   ("target", "topic", "heartbeats", "CREATE", True), ("target", "group", "billing", "READ", False)}
    there = {(n.side, n.name, n.operation) for n in needs(m, ["orders", "mm2-offset-syncs.dr.internal"],
                                                          ["main.orders", "main.checkpoints.internal", "heartbeats"],
                                                          [])}
    assert ("target", "main.orders", "ALTER_CONFIGS") in there and ("target", "main.orders", "READ") in there
    assert ("source", "mm2-offset-syncs.dr.internal", "WRITE") in there and ("target", "heartbeats", "CREATE") \
        not in there
    own = MirrorSpec("m", "main", "dr", ("orders",), own_logins=frozenset({"source"}))
    assert {n.side for n in needs(own, ["orders"], [], [])} == {"target"}  # its own login: not kplan's to ask


def test_the_rights_a_principal_lacks_are_named_per_side(tmp_path):
    from dataclasses import replace

    from kplan.model.desired import freeze
    from kplan.model.mirror import Need

    stack, _ = _load(tmp_path)
    lacking = (Need("source", "topic", "orders.eu", "READ", "no records are copied"),
               Need("target", "topic", "main.orders.eu", "ALTER_CONFIGS", "later config changes are not synced",
                    fatal=False))
    read = _read(missing=lacking, principals={"source": "User:mm2", "target": "User:ANONYMOUS"})
    live = replace(live_state("dr", 1, {}, {}), mirror_sources=freeze({"main-dr": read}))
    rights = [d for d in make_plan(_dr(stack), live).diagnostics if d.code == "mirror-rights"]
    assert [(d.severity, d.message.split(". Grant")[0]) for d in rights] == [
        (Severity.ERROR, "mirror 'main-dr': User:mm2, as whom MirrorMaker logs in to main (the source), lacks: READ on "
                         "topic orders.eu (no records are copied)"),
        (Severity.WARNING, "mirror 'main-dr': User:ANONYMOUS, as whom MirrorMaker logs in to dr (the target), lacks: "
                           "ALTER_CONFIGS on topic main.orders.eu (later config changes are not synced)")]


def test_a_login_given_in_the_mirrors_config_is_its_own():
    from kplan.stackfile.mirrors import _login_key

    assert _login_key("source.cluster.sasl.jaas.config", "source")
    assert _login_key("target.cluster.ssl.keystore.location", "target")
    assert not _login_key("source.cluster.bootstrap.servers", "source") and not _login_key("sasl.jaas.config", "source")


def test_an_identity_mirror_knows_the_replicas_it_made_by_its_source_connectors_offsets(tmp_path):
    """Issue 56 item 1 under the identity policy: a replica's name is its source topic's, so a topic the patterns
    no longer match is the mirror's when MirrorMaker's offsets say its source connector copied it; offsets that
    cannot be read leave every topic there the mirror's (a warning says so), never a pruned replica."""
    from dataclasses import replace

    from kplan.kinds.connector.mirrors import follow_up
    from kplan.model.desired import freeze
    from kplan.model.mirror import MirrorRead
    from kplan.model.plan import ResourceType

    text = (STACK.replace('claims: [{prefix: "main.", cluster: dr}]',
                          'claims: [{prefix: "re", cluster: dr, prune: true}]')
            .replace("        groups: [billing]\n", "        replication_policy: identity\n"))
    stack, diags = _load(tmp_path, text)
    assert stack is not None, _errors(diags)
    dr = _dr(stack)

    class Reader:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def mirror_sources(self, mirrors):
            return {m.name: MirrorRead(("orders.eu",)) for m in mirrors}

        def connector_offsets(self, names):
            assert list(names) == ["main-dr-source"]
            if self.fail:
                raise RuntimeError("Connect answered 500")
            return {"main-dr-source": [{"partition": {"cluster": "main", "topic": "returns", "partition": 0},
                                        "offset": {"offset": 3}}]}

    live = live_state("dr", 1, {t: ltopic(t, 1, 1) for t in ("returns", "rest")}, {})
    plan = make_plan(dr, follow_up(dr, live, False, Reader(False).mirror_sources, Reader(False).connector_offsets))
    assert [d.address for d in plan.diagnostics if d.code == "orphan"] == ["topic.rest"]
    assert [(c.name, c.action) for c in plan.changes if c.type.value == "topic"] == [("rest", Action.DELETE)]
    # the plan of the pattern change itself: Connect may not have stored the offsets of the last copies yet, and the
    # running source connector's patterns still match the topic
    from builders import lconn

    running = lconn("main-dr-source", {"topics": "orders\\..*,rest", "connector.class": "MirrorSourceConnector"})
    changing = replace(live, kinds=freeze({**live.kinds, ResourceType.CONNECTOR: replace(
        live.of(ResourceType.CONNECTOR), resources=freeze({"main-dr-source": running}))}))
    plan = make_plan(dr, follow_up(dr, changing, False, Reader(False).mirror_sources, Reader(False).connector_offsets))
    assert not [d for d in plan.diagnostics if d.code == "orphan"]
    unknown = make_plan(dr, follow_up(dr, live, False, Reader(True).mirror_sources, Reader(True).connector_offsets))
    assert not [d for d in unknown.diagnostics if d.code == "orphan"]
    assert not [c for c in unknown.changes if c.type.value == "topic"]
    (warned,) = [d for d in unknown.diagnostics if d.code == "mirror-replicas-unknown"]
    assert "its source connector's offsets could not be read: Connect answered 500" in warned.message


def test_the_mirrors_config_is_laid_over_every_connector_even_a_key_kplan_leaves_out(tmp_path):
    """docs/replication.md: `config` is laid over all three connectors; a `topics.exclude` given there (and no
    `topics_exclude`) reaches the source connector too (before 3dd095e its own default removal took it away)."""
    text = STACK.replace("        topics_exclude: ['orders\\.tmp']\n", "        config: {topics.exclude: 'x\\..*'}\n")
    stack, diags = _load(tmp_path, text)
    assert stack is not None, _errors(diags)
    specs = {c.name: c.config for c in _dr(stack).of("connectors")}
    assert {name: config.get("topics.exclude") for name, config in specs.items()} == {
        "main-dr-source": "x\\..*", "main-dr-checkpoint": "x\\..*", "main-dr-heartbeat": "x\\..*"}
