"""The real live-state reader: Kafka admin API + Connect REST, batched.

One metadata request for every topic (partitions, replication factor), `describe_configs` in chunks run
concurrently, one `GET /connectors?expand=info&expand=status`, one `GET /connector-plugins`, and one read of the
ownership record. Every call is bounded by the stack's `cluster.timeout`; failures become one clear error line.
Beside them, the reads every other kind registers by its section (kplan.cluster.kind_io: `ADMIN_READS` on this
admin client, `OWN_READS` with a client of their own); each kind makes its slice from its answer (`kind_slices`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import Iterable, Mapping, Protocol

from kplan.cluster.clients import connect_client
from kplan.cluster.connects import ConnectClients
from kplan.cluster.kind_io import ADMIN_READS, OWN_READS, AdminContext
from kplan.cluster.pin import check_pin
from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, freeze
from kplan.model.live import KindState, LiveConnector, LiveState, LiveTask, LiveTopic
from kplan.model.ownership import Ownership
from kplan.model.plan import ResourceType
from kplan.secrets import SecretValues
from kplan.transport.kafka import admin_client, client_config, dispose, unreachable
from kplan.transport.permissions import principal


class KplanRecords(Protocol):
    """kplan's own records in the cluster, as the batched read needs them (kplan.state.ownership.RECORDS): the
    ownership topic, every stack's ownership record read at once, and the name of a stack's lock topic. The
    reader reads them beside the cluster's own requests; the state package owns what they are."""

    ownership_topic: str

    def read_all(self, conf: dict, timeout_s: float) -> Mapping[str, Ownership]:
        ...

    def lock_topic(self, stack_name: str) -> str:
        ...


class KafkaReader:
    """Read-only access to one cluster's topics and its Connect worker (implements LiveStateReader)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None, records: KplanRecords | None = None):
        self.cluster = cluster
        self.secrets = SecretValues() if secrets is None else secrets
        self.records = records  # None: no stack's records are read (nothing is owned, no lock is seen)
        self._admin = None
        self._client_errors: list = []  # what librdkafka reported on its own (a refused login: see unreachable)
        self.last_metadata: dict[str, tuple] = {}  # the last read's topic metadata (see topic_metadata)
        # connect_url may hold a ${secret:...} reference (its password): resolved here, at the edge of the I/O
        self._connect = connect_client(cluster, self.secrets)
        self.connects = ConnectClients(cluster, self.secrets, self._connect)  # every Connect cluster, by name

    @property
    def admin(self):
        if self._admin is None:
            self._admin = admin_client(self.cluster, self.secrets, self._client_errors)
        return self._admin

    def _unreachable(self, exc: BaseException) -> KplanError:
        """The one error line for a failed request; the client's own reports are served first (an admin client
        hands them to error_cb only when polled)."""
        if self._admin is not None:
            try:
                self._admin.poll(0)
            except Exception:  # noqa: BLE001 - nothing more to learn
                pass
        return unreachable(self.cluster, exc, self._client_errors)

    # -- the LiveStateReader interface -------------------------------------------------------------------

    def read(self, stack_name: str, topic_names: Iterable[str] | None = None,
             sections: frozenset[str] = frozenset()) -> LiveState:
        """Live state for planning. `topic_names` limits the (costly) config reads to the topics the plan can
        touch — the stack's own and those it owns; None describes every non-internal topic. A kind read with a
        client of its own (`OWN_READS`) is read only when the stack declares its section (`sections`) or the
        stack's record owns some of it."""
        with ThreadPoolExecutor(max_workers=5) as pool:
            # Independent reads overlap: Connect, the ownership records, and the cluster's own requests. The
            # costly config read of the declared topics starts as soon as the metadata is in; topics only the
            # ownership record names (usually none) are read after it.
            connect_future = pool.submit(self._read_connect)
            # with the operations kplan's principal may do on the cluster, which the kinds' reads on the admin
            # client judge their rights by (ADMIN_READS: their first requests go out now, beside it)
            cluster_future = self.admin.describe_cluster(request_timeout=self.cluster.timeout_s,
                                                         include_authorized_operations=True)
            shared = AdminContext(self.admin, self.cluster, cluster_future)
            admin_reads = {s: read(shared) for s, read in ADMIN_READS.items()}
            early = self._describe_early(pool, topic_names)
            own = {s: pool.submit(read, self.cluster, self.secrets) for s, read in OWN_READS.items() if s in sections}
            # checks the pin (cluster.id) before anything else is read or used: the answers of the requests
            # already in flight beside it are then never looked at
            metadata = self.last_metadata = self.topic_metadata()
            for admin_read in admin_reads.values():  # (what they wait for is answered by now, as a rule)
                admin_read.after_pin()
            records_future = (pool.submit(self.records.read_all, client_config(self.cluster, self.secrets),
                                          self.cluster.timeout_s)
                              if self.records is not None and self.records.ownership_topic in metadata else None)
            wanted = {t for t in (metadata if topic_names is None else topic_names)
                      if t in metadata and not t.startswith("__")}
            configs = self._early_configs(early, wanted)
            if configs is None:
                configs = self.describe_topic_configs(sorted(wanted))
            records = records_future.result() if records_future is not None else {}
            ownership = records.get(stack_name)
            extra = {t for t in (ownership.owned("topics") if ownership else ())
                     if t in metadata and not t.startswith("__")} - wanted
            if extra:
                configs.update(self.describe_topic_configs(sorted(extra)))
                wanted |= extra
            metadata, configs = self._settled_configs(metadata, configs, wanted)
            cluster_id, broker_count = self._cluster_result(cluster_future)
            connectors, plugins, connect_problems, connect_versions = connect_future.result()
            answers = {s: admin_read.result() for s, admin_read in admin_reads.items()}
            own.update({s: pool.submit(read, self.cluster, self.secrets) for s, read in OWN_READS.items()
                        if s not in own and ownership is not None and ownership.owned(s)})
            answers.update({s: f.result() for s, f in own.items()})
        answers["topics"] = ({name: live_topic(name, meta, configs[name]) for name, meta in metadata.items()
                              if name in wanted}, None)
        answers["connectors"] = (connectors, None)
        record = ownership if ownership is not None else Ownership()
        return LiveState(
            cluster_id=cluster_id,
            broker_count=broker_count,
            connector_plugins=plugins,
            connect_problems=freeze(connect_problems),
            connect_versions=freeze(connect_versions),
            all_topic_names=frozenset(metadata),
            unfinished_run=describe_run(ownership.run) if ownership is not None and ownership.run else None,
            locked=self.records is not None and self.records.lock_topic(stack_name) in metadata,
            foreign_owners=freeze(foreign_owners(records, stack_name)),
            metadata=freeze(dict(ownership.metadata)) if ownership else freeze({}),
            broker_racks=MappingProxyType({n.id: n.rack for n in getattr(cluster_future.result(), "nodes", ())}),
            kinds=freeze(kind_slices(answers, record)),
        )

    # -- Kafka -------------------------------------------------------------------------------------------

    def _cluster_result(self, future) -> tuple[str, int]:
        try:
            desc = future.result(timeout=self.cluster.timeout_s + 1)
        except Exception as e:  # noqa: BLE001
            raise self._unreachable(e) from e
        check_pin(self.cluster, desc.cluster_id)
        return desc.cluster_id, len(desc.nodes)

    def describe_cluster(self) -> tuple[str, int]:
        try:
            desc = self.admin.describe_cluster(request_timeout=self.cluster.timeout_s).result(
                timeout=self.cluster.timeout_s + 1)
        except KplanError:
            raise
        except Exception as e:  # noqa: BLE001 - KafkaException, timeouts: all mean "cannot reach"
            raise self._unreachable(e) from e
        check_pin(self.cluster, desc.cluster_id)
        return desc.cluster_id, len(desc.nodes)

    def _settled_configs(self, metadata: dict, configs: dict, wanted: set[str]) -> tuple[dict, dict]:
        """Every wanted listed topic described, or dropped if no longer listed (kplan.cluster.settle)."""
        from kplan.cluster.settle import settled_configs

        return settled_configs(self, metadata, configs, wanted, self.cluster.timeout_s)

    def topic_metadata(self) -> dict[str, tuple]:
        """name -> (partitions, replication factor, replica ids of each partition), from ONE metadata request for
        all topics."""
        try:
            md = self.admin.list_topics(timeout=self.cluster.timeout_s)
        except Exception as e:  # noqa: BLE001
            raise self._unreachable(e) from e
        check_pin(self.cluster, md.cluster_id)  # the pin (cluster.id), from the answer's own cluster id
        out: dict[str, tuple] = {}
        for name, t in md.topics.items():
            if t.error is not None and not t.partitions:
                continue  # e.g. a topic being deleted
            rf = max((len(p.replicas) for p in t.partitions.values()), default=0)
            out[name] = (len(t.partitions), rf, tuple(tuple(p.replicas) for _, p in sorted(t.partitions.items())))
        return out

    def _describe_early(self, pool, topic_names: Iterable[str] | None):
        """The configs of the declared topics through the wire client (kplan.cluster.describe), asked beside the
        metadata request instead of after it: a name the cluster does not have is simply left out of the answer.
        None when the wire client does not speak these settings or worker processes will read the names; nothing
        of the answer is used before the metadata (and the cluster pin) is in."""
        from kplan.cluster.describe import TopicConfigConverter, describe_wire, worker_count
        from kplan.transport.wire.connection import settings_of

        if topic_names is None:
            return None
        names = sorted({t for t in topic_names if not t.startswith("__")})
        conf = client_config(self.cluster, self.secrets)
        if not names or worker_count(len(names)) or settings_of(conf, self.cluster.timeout_s) is None:
            return None
        return pool.submit(describe_wire, conf, names, self.cluster.timeout_s, TopicConfigConverter().share)

    def _early_configs(self, early, wanted: set[str]) -> dict | None:
        """The early answer for `wanted` (a topic it missed, created meanwhile, is described now), or None."""
        from kplan.cluster.describe import freeze_configs

        plain = early.result() if early is not None else None
        if plain is None:
            return None
        configs = freeze_configs({name: plain[name] for name in wanted if name in plain})
        missed = sorted(wanted - configs.keys())
        if missed:
            configs.update(self.describe_topic_configs(missed))
        return configs

    def describe_topic_configs(self, names: list[str]) -> dict[str, tuple[Mapping, Mapping, frozenset]]:
        """name -> (overrides, effective, sensitive keys), read-only (kplan.cluster.describe: thousands of topics
        are read by worker processes, on the other cores)."""
        from kplan.cluster.describe import describe_in_workers, describe_plain, freeze_configs, worker_count

        who = principal(self.cluster.client_properties)
        workers = worker_count(len(names))
        plain = None
        if workers:
            plain = describe_in_workers(client_config(self.cluster, self.secrets), names, self.cluster.timeout_s,
                                        who, workers)
        if plain is None:
            try:
                plain = describe_plain(self.admin, names, self.cluster.timeout_s, who,
                                       conf=client_config(self.cluster, self.secrets))
            except KplanError:
                raise
            except Exception as e:  # noqa: BLE001
                raise self._unreachable(e) from e
        return freeze_configs(plain)

    # -- Connect -----------------------------------------------------------------------------------------

    def _read_connect(self) -> tuple[dict[str, LiveConnector], frozenset[str] | None, dict[str, str],
                                     dict[str, str]]:
        """The connectors, the plugins, the Connect clusters that could not be read, and each worker's version
        (`GET /`: what the plan's version checks read, kplan.plan.connect_version)."""
        return self.connects.read(parse_connectors)

    def connector_offsets(self, names: Iterable[str]) -> dict[str, list[dict]]:
        """The offsets of the named connectors (one GET each: only those with a pending offsets request)."""
        return self.connects.offsets(names)

    def consumer_groups(self, queries: Mapping) -> dict[str, dict]:
        """What the plan shows of the groups with a pending request (kplan.cluster.groups.read_groups): only those."""
        from kplan.cluster.groups import read_groups

        partitions = {t: meta[0] for t, meta in self.last_metadata.items()}
        return read_groups(self.admin, queries, partitions, self.cluster.timeout_s,
                           principal(self.cluster.client_properties))

    def read_consumers(self, topics: Mapping[str, int], retention_cuts: Mapping[str, int]):
        """The consumer groups on the topics a plan disrupts, and the topics' positions (kplan.cluster.consumers:
        the model's ConsumerReads, asked after planning and only when a topic needs it)."""
        from kplan.cluster.consumers import read_consumers

        return read_consumers(self.admin, client_config(self.cluster, self.secrets), topics, retention_cuts,
                              self.cluster.timeout_s)

    def close(self) -> None:
        self.connects.close()
        if self._connect is not None:
            self._connect.close()
        dispose(self._admin)
        self._admin = None


def live_topic(name: str, metadata: tuple, configs: tuple[Mapping, Mapping, frozenset]) -> LiveTopic:
    """One topic's live state from its metadata (topic_metadata) and configs (describe_topic_configs, frozen)."""
    parts, rf, *assignment = metadata
    overrides, effective, sensitive = configs
    return LiveTopic(name, parts, rf, overrides, effective, sensitive, assignment[0] if assignment else ())


def kind_slices(answers: Mapping[str, tuple], record: Ownership) -> dict[ResourceType, KindState]:
    """Every kind's slice of the live state: made by the kind (its live module's
    `kind_state`) from what the read answered for its section (nothing, for a section not read or read later by
    its follow-up) and its part of the stack's ownership record."""
    from kplan.cluster.prefetch import kinds_loaded

    kinds_loaded()  # a read started early waits here while the loading thread still imports the kinds
    from kplan.kinds import UNITS

    out = {}
    for unit in UNITS:
        if unit.kind_state is not None:
            found, problem = answers.get(unit.kind.section, ({}, None))
            out[unit.kind.type] = unit.kind_state(found, record.part(unit.kind.section), problem)
    return out


def describe_run(run: Mapping) -> str:
    return (f"run {run.get('run_id')} started {run.get('started_at')} on {run.get('host')} (pid {run.get('pid')}); "
            "its journal has the details")


def foreign_owners(records: Mapping, stack_name: str) -> dict[str, str]:
    from kplan.cluster.prefetch import kinds_loaded

    kinds_loaded()
    from kplan.kinds import KINDS

    out: dict[str, str] = {}
    for stack, record in sorted(records.items()):
        if stack == stack_name:
            continue
        for kind in KINDS:
            if kind.owned_on_its_own:
                out.update({kind.address(n): stack for n in record.owned(kind.section)})
    return out


def parse_connectors(body: Mapping) -> dict[str, LiveConnector]:
    """Parse the expanded /connectors answer; status or info may be missing right after a create."""
    out: dict[str, LiveConnector] = {}
    for name, entry in (body or {}).items():
        info = (entry or {}).get("info") or {}
        status = (entry or {}).get("status") or {}
        conn_status = status.get("connector") or {}
        tasks = tuple(
            LiveTask(int(t.get("id", i)), str(t.get("state", "")), str(t.get("worker_id", "")), str(t.get("trace", "")))
            for i, t in enumerate(status.get("tasks") or [])
        )
        out[name] = LiveConnector(
            name=name,
            config=freeze({k: str(v) for k, v in (info.get("config") or {}).items()}),
            state=conn_status.get("state"),
            tasks=tasks,
            type=info.get("type") or status.get("type"),
            trace=str(conn_status.get("trace", "")),
        )
    return out


def plan_validator(reader: KafkaReader, secrets: SecretValues):
    """The plan-time validator sharing `reader`'s clients, substituting from `secrets` (the whole stack's)."""
    from kplan.cluster.validator import RealValidator

    return RealValidator(reader.admin, reader._connect, reader.cluster.timeout_s, secrets,
                         principal(reader.cluster.client_properties), reader.connects.clients,
                         cluster=reader.cluster)
