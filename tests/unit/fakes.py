"""The unit tests' in-memory writer, shared by the executor and handler tests: `FakeWriter` implements every kind's
io its handlers call (`ctx.io(...)`), and `writers(fake)` hands it to the executor as
`kplan.transport.sessions.Writers` (tests/unit/apply/test_executor.py checks it against them)."""

from __future__ import annotations

import json

from kplan.errors import TakenMeanwhile, WriteError
from kplan.model.desired import ConnectorState
from kplan.model.results import BatchResults, ErrorReason
from kplan.transport.acls import acl_key
from kplan.transport.sessions import Writers


def _done(keys, results):
    results = BatchResults() if results is None else results
    for key in keys:
        results.record(key)
    return results


def _alter_keys(entities, changes):
    """Each entity's keys set (a value) or deleted (None), as Kafka alters client quotas and broker configs; an
    entity left without keys is gone."""
    for entity, values in changes:
        current = entities.setdefault(entity, {})
        for key, value in values.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        if not current:
            del entities[entity]


class FakeWriters:
    """The run's writers (`kplan.transport.sessions.Writers`) as `fake`: every system's writer and every kind's io."""

    admin = link = None  # no admin client, no link to watch

    def __init__(self, fake):
        self.kafka = self.wire = self.connect = fake

    def io(self, make):
        return self.kafka

    def close(self):
        pass


def writers(fake) -> Writers:
    """`fake` as every system's writer and every kind's io."""
    return FakeWriters(fake)  # type: ignore[return-value]


class FakeWriter:
    """Topics and connectors in memory; failures injected by name. One object implements every kind's io (the kinds
    share its state: a connector needs its topics); `writers(fake)` composes it as apply's `Writers`.
    tests/unit/apply/test_executor.py checks it against the kinds' io."""

    def __init__(self, topics=(), connectors=None, foreign=(), fail_wait_gone=False, refuse_delete=False,
                 lagging=(), partitions=None):
        self.topics = set(topics)
        self.lagging = set(lagging)  # created, but not in metadata yet
        self.connectors = dict(connectors or {})
        self.states: dict[str, ConnectorState] = {}
        self.foreign = set(foreign)  # topics someone else creates with another spec before our create lands
        self.fail_wait_gone = fail_wait_gone
        self.refuse_delete = refuse_delete
        self.cdc_login_fails = False  # the PostgreSQL login of a CDC drop fails (check_cdc_drop raises)
        self.partitions = dict(partitions or {})
        self.overrides: dict[str, dict[str, str]] = {}
        self.deleted: list[str] = []
        self.calls: list[str] = []
        self.signals: list[tuple] = []
        self.offsets: dict[str, list[dict]] = {}  # connector -> its offsets (kept after a deletion, as Connect does)
        self.acls: set[tuple] = set()  # (principal, AclBinding)
        self.users: dict[str, dict[str, int]] = {}  # user -> mechanism -> iterations
        self.passwords: dict[tuple[str, str], str] = {}  # (user, mechanism) -> the password last written
        self.quotas: dict = {}  # QuotaEntity -> {key: value}
        self.broker_configs: dict = {}  # entity ("<default>", "1") -> {key: value}
        self.group_configs: dict = {}  # group -> {key: value}
        self.failing_again: set[str] = set()  # connectors whose restarted tasks fail again
        # schema registry: subject -> version -> (schema key, live); soft-deleted versions keep their number
        self.schemas: dict[str, dict[int, tuple[tuple, bool]]] = {}
        self.levels: dict[str, str] = {}  # subject -> its own compatibility level
        self.incompatible: set[str] = set()  # subjects whose registration the registry refuses (409)
        # consumer group -> (topic, partition) -> offset
        self.group_offsets_: dict[str, dict[tuple[str, int], int]] = {}
        self.group_members_: dict[str, int] = {}  # consumer group -> live members
        # share group -> (topic, partition) -> start offset; share group -> live members
        self.share_offsets_: dict[str, dict[tuple[str, int], int]] = {}
        self.share_members_: dict[str, int] = {}
        self.migrated: set[str] = set()  # the new topics whose migration copy is done
        self.features: dict[str, int] = {}  # feature -> finalized level
        self.never_downgraded: set[str] = set()  # features whose downgrades the controller refuses
        self.lows: dict[tuple[str, int], int] = {}  # (topic, partition) -> its low watermark

    # -- topics

    def create_topics(self, specs, results=None):
        results = BatchResults() if results is None else results
        for spec in specs:
            if spec.name in self.foreign:
                self.topics.add(spec.name)
                results.record(spec.name, ErrorReason.ALREADY, "TOPIC_ALREADY_EXISTS")
                raise WriteError(f"topic {spec.name!r} already exists with a different spec")
            results.record(spec.name)
            if spec.name not in self.lagging:
                self.topics.add(spec.name)
        return results

    def delete_topics(self, names):
        if self.refuse_delete:
            raise WriteError("TOPIC_AUTHORIZATION_FAILED")
        self.deleted += list(names)
        self.pending_delete = list(names)  # the broker accepted; deletion completes later
        return _done(names, None)

    def alter_topic_configs(self, changes):
        for name, (sets, deletes) in changes.items():
            current = self.overrides.setdefault(name, {})
            current.update(sets)
            for key in deletes:
                current.pop(key, None)
        return _done(changes, None)

    def create_partitions(self, counts):
        self.calls.append("create_partitions")
        self.partitions.update(counts)
        return _done(counts, None)

    def topic_names(self):
        return set(self.topics)

    # -- a topic migration (kplan.kinds.topic.io.migrate): the copy done or not, by new topic

    def copy(self, old, new, partitions, groups, progress=None, cutover=None):
        self.calls.append("copy")
        self.migrated.add(new)
        return {}

    def late_records(self, old, partitions, ends):
        return 0

    def check_copied(self, old, new, partitions, ends):
        if new not in self.migrated:
            raise WriteError(f"the copy of {old} into {new} is not complete")

    def targets(self, old, new, partitions, new_partitions, groups):
        return {g: {q: 0 for q in range(new_partitions)} for g in groups}

    def live_members(self, groups):
        return {g: self.group_members_[g] for g in groups if self.group_members_.get(g)}

    def move_groups(self, new, targets):
        for g, offsets in targets.items():
            if self.group_members_.get(g):
                raise WriteError(f"could not move consumer group {g} to {new}")
            self.group_offsets_.setdefault(g, {}).update({(new, q): o for q, o in offsets.items()})

    def mark_done(self, old, new, partitions):
        self.calls.append("mark_done")

    def unmove_groups(self, new, partitions, groups):
        for g in groups:
            for key in [k for k in self.group_offsets_.get(g, {}) if k[0] == new]:
                del self.group_offsets_[g][key]

    def forget_copy(self, new):
        self.migrated.discard(new)

    def topic_partitions(self, name):
        return self.partitions.get(name, 1)

    def wait_topics(self, expected, timeout_s=None):
        pass

    def reassign_replicas(self, targets):
        self.calls.append("reassign_replicas")
        return _done([f"{t}-{p}" for t, a in targets.items() for p in range(len(a))], None)

    def wait_replicas(self, targets):
        pass

    def cancel_reassignments(self, topics):
        self.calls.append("cancel_reassignments")

    def replication_throttle(self, topics, rate, brokers):
        self.calls.append("set_replication_throttle" if rate else "clear_replication_throttle")

    def elect_preferred_leaders(self, partitions):
        self.calls.append("elect_preferred_leaders")

    def wait_topics_gone(self, names):
        if self.fail_wait_gone:
            raise WriteError("topics still listed after deletion")
        self.topics -= set(names)

    # -- ACLs

    def create_acls(self, acls, results=None):
        self.calls.append("create_acls")
        self.acls |= set(acls)
        return _done([acl_key(p, b) for p, b in acls], results)

    def delete_acls(self, acls, results=None):
        self.calls.append("delete_acls")
        self.acls -= set(acls)
        return _done([acl_key(p, b) for p, b in acls], results)

    # -- SCRAM users

    def alter_scram_credentials(self, upserts, removals):
        self.calls.append("alter_scram_credentials")
        results = BatchResults()
        for user, mechanism, iterations, password in upserts:
            self.users.setdefault(user, {})[mechanism] = iterations
            self.passwords[(user, mechanism)] = password
            results.record(user)
        for user, mechanism in removals:
            gone = mechanism not in self.users.get(user, {})
            self.users.get(user, {}).pop(mechanism, None)
            results.record(user, ErrorReason.ALREADY if gone else None)
        return results

    def scram_credentials(self, users):
        return {u: dict(self.users[u]) for u in users if self.users.get(u)}
    # -- client quotas

    def alter_quotas(self, changes):
        self.calls.append("alter_quotas")
        results = _done([entity.name for entity, _ in changes], None)
        _alter_keys(self.quotas, changes)
        return results

    # -- dynamic broker configs

    def alter_broker_configs(self, changes):
        self.calls.append("alter_broker_configs")
        results = _done([entity for entity, _ in changes], None)
        _alter_keys(self.broker_configs, changes)
        return results

    # -- group configs

    def alter_group_configs(self, changes):
        self.calls.append("alter_group_configs")
        results = _done([group for group, _ in changes], None)
        _alter_keys(self.group_configs, changes)
        return results

    # -- schema registry subjects

    def _schema_key(self, schema, schema_type, references):
        refs = tuple((r.name, r.subject, r.version if r.version is not None else max(self.subject_versions(r.subject)))
                     for r in references)
        return (schema, schema_type, refs)

    def register_schema(self, subject, schema, schema_type, references):
        self.calls.append(f"register_schema {subject}")
        if subject in self.incompatible:
            raise WriteError(f"registering a schema under subject {subject}: 409: incompatible")
        found = self.schema_version(subject, schema, schema_type, references)
        if found is not None:
            return found
        versions = self.schemas.setdefault(subject, {})
        version = max(versions, default=0) + 1
        versions[version] = (self._schema_key(schema, schema_type, references), True)
        return version

    def schema_version(self, subject, schema, schema_type, references):
        key = self._schema_key(schema, schema_type, references)
        return max((v for v, (k, live) in self.schemas.get(subject, {}).items() if live and k == key), default=None)

    def subject_versions(self, subject, deleted=False):
        return sorted(v for v, (_, live) in self.schemas.get(subject, {}).items() if live or deleted)

    def delete_schema_version(self, subject, version):
        self.calls.append(f"delete_schema_version {subject} {version}")
        # the subject stays listed (soft-deleted) when nothing is left, as Apicurio keeps it
        self.schemas.get(subject, {}).pop(version, None)  # gone already: a success, as the registry writer makes it

    def subject_listed(self, subject):
        return subject in self.schemas

    def own_level_answer(self, subject):
        return (self.levels.get(subject) or "NONE") if subject in self.schemas else None

    def subject_level(self, subject):
        return self.levels.get(subject)

    def set_subject_level(self, subject, level):
        self.calls.append(f"set_subject_level {subject} {level}")
        if level is None:
            self.levels.pop(subject, None)
        else:
            self.levels[subject] = level

    def delete_subjects(self, names, permanent):
        self.calls.append(f"delete_subjects {' '.join(names)} {permanent}")
        for name in names:
            if permanent:
                self.schemas.pop(name, None)
                self.levels.pop(name, None)
            else:
                self.schemas[name] = {v: (k, False) for v, (k, _) in self.schemas.get(name, {}).items()}

    # -- connectors

    def get_connector(self, name):
        return (self.connectors.get(name), None)

    def create_connector(self, name, config, state):
        if name in self.connectors:
            raise TakenMeanwhile(f"connector {name} was created by someone else meanwhile")
        self.connectors[name] = dict(config)
        self.states[name] = state

    def put_connector_config(self, name, config):
        self.calls.append(f"put_connector_config {name}")
        self.connectors[name] = dict(config)

    def delete_connector(self, name):
        self.connectors.pop(name, None)
        self.deleted.append(name)

    def set_connector_state(self, name, state):
        self.states[name] = state

    def bring_to_state(self, name, state):
        self.set_connector_state(name, state)
        self.wait_connector(name, state)

    def restart_connector(self, name):
        self.calls.append(f"restart_connector {name}")

    def check_cdc_drop(self, host, port, user, database, password, slot, publication):
        self.calls.append(f"check_cdc_drop {database} {slot} {publication}")
        if self.cdc_login_fails:
            raise WriteError(f"PostgreSQL {database} at {host}:{port} as {user}: password authentication failed")

    def drop_cdc_database_objects(self, host, port, user, database, password, slot, publication, before_drop):
        self.calls.append(f"drop_cdc_database_objects {database} {slot} {publication}")
        before_drop()

    def restart_failed(self, name):
        self.calls.append(f"restart_failed {name}")
        if name in self.failing_again:
            raise WriteError(f"connector {name} task 0 FAILED again after its restart: boom")

    def wait_connector_gone(self, name):
        pass

    def wait_connector(self, name, state):
        pass

    def wait_plugin_version(self, name, pin):
        self.calls.append(f"wait_plugin_version {name} {pin}")

    def connector_offsets(self, name):
        return [dict(o) for o in self.offsets.get(name, [])]

    def reset_connector_offsets(self, name):
        assert self.states.get(name) == ConnectorState.STOPPED, "Connect changes offsets of STOPPED connectors only"
        self.offsets[name] = []

    def alter_connector_offsets(self, name, offsets):
        assert self.states.get(name) == ConnectorState.STOPPED, "Connect changes offsets of STOPPED connectors only"
        merged = {json.dumps(o["partition"], sort_keys=True): dict(o) for o in self.offsets.get(name, [])}
        merged.update({json.dumps(o["partition"], sort_keys=True): dict(o) for o in offsets})  # PATCH: per partition
        self.offsets[name] = list(merged.values())

    # -- consumer groups

    def group_members(self, group):
        members = self.group_members_.get(group, 0)
        state = "Stable" if members else "Empty" if group in self.group_offsets_ else "Dead"
        return state, members

    def group_offsets(self, group):
        return tuple(sorted((t, p, o) for (t, p), o in self.group_offsets_.get(group, {}).items()))

    def alter_group_offsets(self, group, offsets):
        self.calls.append("alter_group_offsets")
        if self.group_members_.get(group):
            raise WriteError(f"consumer group {group} has live members")
        self.group_offsets_.setdefault(group, {}).update({(t, p): o for t, p, o in offsets})

    def delete_consumer_group(self, group):
        self.calls.append("delete_consumer_group")
        if self.group_members_.get(group):
            raise WriteError(f"consumer group {group} has live members")
        self.group_offsets_.pop(group, None)

    # -- a topic's low watermarks (kinds/records/io.py)

    def low_watermarks(self, topic, partitions):
        return {p: self.lows.get((topic, p), 0) for p in partitions}

    def delete_records(self, topic, offsets):
        self.calls.append("delete_records")
        for p, o in offsets:
            self.lows[(topic, p)] = max(self.lows.get((topic, p), 0), o)

    # -- finalized features (kinds/feature/io.py)

    def finalized_levels(self):
        return dict(self.features)

    def update_features(self, updates):
        for name, level, kind in updates:
            if level < self.features.get(name, 0) and (kind == "upgrade" or name in self.never_downgraded):
                raise WriteError(f"updating features {name}={level}: INVALID_UPDATE_VERSION")
        for name, level, _ in updates:
            self.features[name] = level
        self.calls.append("update_features")

    # -- share groups (their start offsets: share_offsets_, their members: share_members_)

    def share_groups_on(self):
        return self.features.get("share.version", 0) >= 1

    def share_group_members(self, group):
        members = self.share_members_.get(group, 0)
        return ("Stable" if members else "Empty" if group in self.share_offsets_ else "Dead"), members

    def share_group_offsets(self, group):
        return tuple(sorted((t, p, o) for (t, p), o in self.share_offsets_.get(group, {}).items()))

    def alter_share_group_offsets(self, group, offsets):
        self.calls.append("alter_share_group_offsets")
        if self.share_members_.get(group):
            raise WriteError(f"share group {group} has live members")
        self.share_offsets_.setdefault(group, {}).update({(t, p): o for t, p, o in offsets})

    def delete_share_group_offsets(self, group, topics):
        self.calls.append("delete_share_group_offsets")
        if self.share_members_.get(group):
            raise WriteError(f"share group {group} has live members")
        kept = {k: o for k, o in self.share_offsets_.get(group, {}).items() if k[0] not in topics}
        self.share_offsets_[group] = kept

    # -- CDC signals

    def send_snapshot_signal(self, connector, tables, topic, key, table_topic, signal_id):
        self.signals.append((connector, tuple(tables), topic, key, table_topic))
