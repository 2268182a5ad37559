"""The real live-state reader: Kafka admin API + Connect REST, batched.

One metadata request for every topic (partitions, replication factor, replicas; it checks the cluster pin), one
describe_cluster, and one read of every stack's ownership record. Beside them, the reads each kind registers by its
section (kplan.cluster.kind_io): `PRIMARY_READS`, driven through the whole read (the config read of the topics a plan
can touch, started beside the metadata request; every Connect cluster's connectors, plugins and version),
`ADMIN_READS` on this admin client, `OWN_READS` with a client of their own; each kind makes its slice from its answer
(`kind_slices`). Every call is bounded by the stack's `cluster.timeout`; failures become one clear error line.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Protocol, TypeVar

from kplan.cluster.kind_io import ADMIN_READS, DESCRIBE, OWN_READS, PRIMARY_READS
from kplan.cluster.pin import check_pin
from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, freeze
from kplan.model.live import KindState, LiveState
from kplan.model.ownership import Ownership
from kplan.model.plan import ResourceType
from kplan.secrets import SecretValues
from kplan.transport.connect import ConnectClients
from kplan.transport.kafka import admin_client, client_config, dispose, unreachable
from kplan.transport.permissions import principal
from kplan.transport.reads import AdminContext, Metadata, PrimaryContext

T = TypeVar("T")


class KplanRecords(Protocol):
    """kplan's own records in the cluster, as the batched read needs them (kplan.state.ownership.RECORDS): the
    ownership topic, every stack's ownership record read at once, the name of a stack's lock topic and whether a
    listed lock is held. The reader reads them beside the cluster's own requests; the state package owns what they
    are."""

    ownership_topic: str

    def read_all(self, conf: dict, timeout_s: float) -> Mapping[str, Ownership]:
        ...

    def lock_topic(self, stack_name: str) -> str:
        ...

    def lock_held(self, conf: dict, stack_name: str, timeout_s: float) -> bool:
        ...


class KafkaReader:
    """Read-only access to one cluster's topics and its Connect worker."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None, *, records: KplanRecords):
        self.cluster = cluster
        self.secrets = SecretValues() if secrets is None else secrets
        self.records = records
        self._admin = None
        self._client_errors: list = []  # what librdkafka reported on its own (a refused login: see unreachable)
        self.last_metadata: Metadata = {}  # the last read's topic metadata (see topic_metadata)
        # connect_url may hold a ${secret:...} reference (its password): resolved here, at the edge of the I/O
        self.connects = ConnectClients(cluster, self.secrets)  # every Connect cluster, by name
        self._ios: dict[Callable[[KafkaReader], Any], Any] = {}

    def io(self, make: Callable[[KafkaReader], T]) -> T:
        """A kind's reads over a session of its own (`make(reader)`: its class, e.g. the subject kind's registry
        session), made on first use and kept until `close`: its follow-up read and plan-time check share it."""
        if make not in self._ios:
            self._ios[make] = make(self)
        return self._ios[make]

    @property
    def admin(self):
        if self._admin is None:
            self._admin = admin_client(self.cluster, self.secrets, self._client_errors)
        return self._admin

    def unreachable_error(self, exc: BaseException) -> KplanError:
        """The one error line for a failed request; the client's own reports are served first (an admin client
        hands them to error_cb only when polled)."""
        if self._admin is not None:
            try:
                self._admin.poll(0)
            except Exception:  # noqa: BLE001 - nothing more to learn
                pass
        return unreachable(self.cluster, exc, self._client_errors)

    # -- the read planning makes -------------------------------------------------------------------------

    def read(self, stack_name: str, topic_names: Iterable[str] | None = None,
             sections: frozenset[str] = frozenset()) -> LiveState:
        """Live state for planning. `topic_names` limits the (costly) config reads to the topics the plan can
        touch — the stack's own and those it owns; None describes every non-internal topic. A kind read with a
        client of its own (`OWN_READS`) is read only when the stack declares its section (`sections`) or the
        stack's record owns some of it."""
        return self.read_many({stack_name: (topic_names, sections)})[stack_name]

    def read_many(self, requests: Mapping[str, tuple[Iterable[str] | None, frozenset[str]]]) -> dict[str, LiveState]:
        """Each stack's live state (stack name -> (topic names, sections) as `read` takes them) from ONE batched
        read of the union of what they need (a repository of stacks on one cluster, kplan.session.many): one
        metadata request, one config read of every stack's topics, one read of the records; each stack's state is
        then what a read of its own would have answered (its topics, its record, the others' as foreign owners)."""
        wanted_names = [None if names is None else list(names) for names, _ in requests.values()]
        union_names = None if any(n is None for n in wanted_names) else sorted({t for n in wanted_names
                                                                                 for t in n or ()})
        union_sections = frozenset().union(*(s for _, s in requests.values()))
        with ThreadPoolExecutor(max_workers=5) as pool:
            # Independent reads overlap: the primary reads' first requests (Connect; the config read of the named
            # topics), the ownership records, and the cluster's own requests. What needs the metadata is asked
            # as soon as it is in; what only the ownership record names (usually nothing) after it.
            primary = {s: read(PrimaryContext(self, pool, union_names)) for s, read in PRIMARY_READS.items()}
            # with the operations kplan's principal may do on the cluster, which the kinds' reads on the admin
            # client judge their rights by (ADMIN_READS: their first requests go out now, beside it)
            cluster_future = self.admin.describe_cluster(request_timeout=self.cluster.timeout_s,
                                                         include_authorized_operations=True)
            shared = AdminContext(self.admin, self.cluster, cluster_future)
            admin_reads = {s: read(shared) for s, read in ADMIN_READS.items()}
            # each read's module imported here, not on the pool's threads: two of them importing modules of one
            # package at once can deadlock, which Python breaks by handing one a module half made (the
            # dynamic-config family's three reads share their io package)
            own = {s: pool.submit(read(), self.cluster, self.secrets) for s, read in OWN_READS.items()
                   if s in union_sections}
            # checks the pin (cluster.id) before anything else is read or used: the answers of the requests
            # already in flight beside it are then never looked at
            metadata = self.last_metadata = self.topic_metadata()
            for admin_read in admin_reads.values():  # (what they wait for is answered by now, as a rule)
                admin_read.after_pin()
            records_future = (pool.submit(self.records.read_all, client_config(self.cluster, self.secrets),
                                          self.cluster.timeout_s)
                              if self.records.ownership_topic in metadata else None)
            for part in primary.values():
                part.after_pin(metadata)
            records = records_future.result() if records_future is not None else {}
            ownerships = {name: records.get(name) for name in requests}
            for s, part in primary.items():
                metadata = part.owned(sorted({n for o in ownerships.values() if o for n in o.owned(s)}), metadata)
            cluster_id, broker_count = self._cluster_result(cluster_future)
            answers = {s: part.result() for s, part in primary.items()}
            answers.update({s: admin_read.result() for s, admin_read in admin_reads.items()})
            own.update({s: pool.submit(read(), self.cluster, self.secrets) for s, read in OWN_READS.items()
                        if s not in own and any(o is not None and o.owned(s) for o in ownerships.values())})
            answers.update({s: f.result() for s, f in own.items()})
        racks = MappingProxyType({n.id: n.rack for n in getattr(cluster_future.result(), "nodes", ())})
        owners = OwnerIndex(records)
        out = {}
        for (name, (_, sections)), names in zip(requests.items(), wanted_names):
            ownership = ownerships[name]
            record = ownership if ownership is not None else Ownership()
            run = record.run  # an apply of this stack under way, or one that died unfinished
            mine = dict(answers) if len(requests) == 1 else own_answers(
                answers, primary, names, record, metadata, frozenset(s for s in OWN_READS
                                                                     if s not in sections and not record.owned(s)))
            out[name] = LiveState(
                cluster_id=cluster_id,
                broker_count=broker_count,
                all_topic_names=frozenset(metadata),
                unfinished_run=(f"run {run.get('run_id')} started {run.get('started_at')} on {run.get('host')} (pid "
                                f"{run.get('pid')}); its journal has the details" if run else None),
                locked=self.records.lock_topic(name) in metadata,
                foreign_owners=owners.foreign(name),
                metadata=freeze(dict(ownership.metadata)) if ownership else freeze({}),
                broker_racks=racks,
                kinds=freeze(kind_slices(mine, record)),
            )
        return out

    # -- Kafka -------------------------------------------------------------------------------------------

    def _cluster_result(self, future) -> tuple[str, int]:
        try:
            desc = future.result(timeout=self.cluster.timeout_s + 1)
        except Exception as e:  # noqa: BLE001 - KafkaException, timeouts: all mean "cannot reach"
            raise self.unreachable_error(e) from e
        check_pin(self.cluster, desc.cluster_id)
        return desc.cluster_id, len(desc.nodes)

    def lock_held(self, stack_name: str) -> bool:
        """Whether the stack's lock, which the read found listed (`LiveState.locked`), is held: not once its holder
        marked it released (the metadata lists a deleted topic for a moment, kplan.state.lock)."""
        return self.records.lock_held(client_config(self.cluster, self.secrets), stack_name, self.cluster.timeout_s)

    def describe_cluster(self) -> tuple[str, int]:
        try:
            future = self.admin.describe_cluster(request_timeout=self.cluster.timeout_s)
        except KplanError:
            raise
        except Exception as e:  # noqa: BLE001 - as the answer's: all mean "cannot reach"
            raise self.unreachable_error(e) from e
        return self._cluster_result(future)

    def topic_metadata(self) -> Metadata:
        """name -> (partitions, replication factor, replica ids of each partition), from ONE metadata request for
        all topics."""
        try:
            md = self.admin.list_topics(timeout=self.cluster.timeout_s)
        except Exception as e:  # noqa: BLE001
            raise self.unreachable_error(e) from e
        check_pin(self.cluster, md.cluster_id)  # the pin (cluster.id), from the answer's own cluster id
        out: Metadata = {}
        for name, t in md.topics.items():
            if t.error is not None and not t.partitions:
                continue  # e.g. a topic being deleted
            rf = max((len(p.replicas) for p in t.partitions.values()), default=0)
            out[name] = (len(t.partitions), rf, tuple(tuple(p.replicas) for _, p in sorted(t.partitions.items())))
        return out

    def describe_topic_configs(self, names: list[str]) -> dict[str, tuple[Mapping, Mapping, frozenset]]:
        """name -> (overrides, effective, sensitive keys), read-only: the primary read's and the follow-up reads'
        (settle, claimed, prefetch) config requests (the topic kind's describe, kplan.cluster.kind_io.DESCRIBE)."""
        return DESCRIBE(self, names)

    def read_consumers(self, topics: Mapping[str, int], retention_cuts: Mapping[str, int]):
        """The consumer groups on the topics a plan disrupts, and the topics' positions (kplan.cluster.consumers:
        the model's ConsumerReads, asked after planning and only when a topic needs it)."""
        from kplan.cluster.consumers import group_offsets, read_consumers, share_readers

        return read_consumers(self.admin, client_config(self.cluster, self.secrets), topics, retention_cuts,
                              self.cluster.timeout_s, share=lambda t: share_readers(self.cluster, self.secrets, t),
                              offsets=lambda g, t: group_offsets(self.cluster, self.secrets, g, t))

    def close(self) -> None:
        for io in self._ios.values():
            io.close()
        self._ios.clear()
        self.connects.close()
        dispose(self._admin)
        self._admin = None


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


def own_answers(answers: Mapping[str, tuple], primary: Mapping[str, Any], names: list[str] | None,
                record: Ownership, metadata: Metadata, unread: frozenset[str]) -> dict[str, tuple]:
    """One stack's answers out of a read made for several (`KafkaReader.read_many`): a primary read that read by
    name answers for the names this stack asked for and its record owns (`for_stack`); a kind read with a client of
    its own that this stack neither declares nor owns is left out, as a read of its own would not have read it."""
    out = {}
    for s, answer in answers.items():
        if s in unread:
            continue
        part = primary.get(s)
        for_stack = getattr(part, "for_stack", None)
        out[s] = for_stack(names, record.owned(s), metadata) if for_stack is not None else answer
    return out


class OwnerIndex:
    """Every stack's owned addresses, indexed once (a read made for several stacks asks `foreign` of each without
    walking every record again)."""

    def __init__(self, records: Mapping[str, Ownership]):
        from kplan.cluster.prefetch import kinds_loaded

        kinds_loaded()
        from kplan.kinds import KINDS

        owned_on_its_own = {kind.section: kind for kind in KINDS if kind.owned_on_its_own}
        self.owners: dict[str, list[str]] = {}  # address -> its owners, in stack-name order
        for stack, record in sorted(records.items()):
            # the parts a record has (most records, those of destroyed stacks, own nothing), not every kind
            for word in {*record.names, *record.kinds}:
                kind = owned_on_its_own.get(word)
                if kind is None:
                    continue
                for n in record.owned(word):
                    self.owners.setdefault(kind.address(n), []).append(stack)
        self.last = {a: owners[-1] for a, owners in sorted(self.owners.items())}

    def foreign(self, name: str) -> Mapping[str, str]:
        """address -> its owner among the stacks but `name` (the last in name order), in address order."""
        out = {}
        for address, owner in self.last.items():
            if owner != name:
                out[address] = owner
                continue
            others = [s for s in self.owners[address] if s != name]
            if others:
                out[address] = others[-1]
        return MappingProxyType(out)


def plan_validator(reader: KafkaReader, secrets: SecretValues):
    """The plan-time validator sharing `reader`'s clients, substituting from `secrets` (the whole stack's)."""
    from kplan.cluster.validator import RealValidator

    return RealValidator(reader.admin, reader.connects.default, reader.cluster.timeout_s, secrets,
                         principal(reader.cluster.client_properties), reader.connects.clients,
                         cluster=reader.cluster, reader=reader)
