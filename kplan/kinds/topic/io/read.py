"""The batched read's topic part (a primary read, the topic UNIT's `io`, tabled by `kplan.cluster.kind_io`): the
configs of the topics a plan can touch, joined with the reader's one metadata request into each topic's live state.

The costly config read of the declared topics starts first, beside the metadata request, through the wire client
(`describe.py`); what it could not answer is described once the metadata is in. The topics only the stack's
ownership record names (usually none) are described after the record is read, and a listed topic describe_configs
does not know yet is read again until it is described or no longer listed (`settle.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from kplan.errors import KplanError
from kplan.kinds.topic.io.describe import (
    Configs,
    TopicConfigConverter,
    describe_in_workers,
    describe_plain,
    describe_wire,
    freeze_configs,
    worker_count,
)
from kplan.kinds.topic.io.settle import TopicReads, settled_configs
from kplan.model.live import LiveTopic, Problem, live_topic
from kplan.transport.kafka import client_config
from kplan.transport.permissions import principal

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor, Future

    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues
    from kplan.transport.reads import Metadata, PrimaryContext


def describe_configs(reader: TopicReads, names: list[str]) -> dict[str, Configs]:
    """name -> (overrides, effective, sensitive keys), read-only (`describe.py`: thousands of topics are read by
    worker processes, on the other cores). The reader's `describe_topic_configs` (the topic UNIT's
    `io.describe_ref`), which the read and its follow-ups (settle, claimed, prefetch) ask through."""
    cluster = reader.cluster
    who = principal(cluster.client_properties)
    workers = worker_count(len(names))
    plain = None
    if workers:
        plain = describe_in_workers(client_config(cluster, reader.secrets), names, cluster.timeout_s, who, workers)
    if plain is None:
        try:
            plain = describe_plain(reader.admin, names, cluster.timeout_s, who,
                                   conf=client_config(cluster, reader.secrets))
        except KplanError:
            raise
        except Exception as e:  # noqa: BLE001
            raise reader.unreachable_error(e) from e
    return freeze_configs(plain)


def describe_early(pool: "Executor", cluster: "ClusterSpec", secrets: "SecretValues",
                   names: Iterable[str] | None) -> "Future | None":
    """The configs of the declared topics through the wire client (`describe.py`), asked beside the
    metadata request instead of after it: a name the cluster does not have is simply left out of the answer.
    None when the wire client does not speak these settings or worker processes will read the names; nothing
    of the answer is used before the metadata (and the cluster pin) is in."""
    from kplan.transport.wire.connection import spoken

    if names is None:
        return None
    wanted = sorted({t for t in names if not t.startswith("__")})
    conf = client_config(cluster, secrets)
    if not wanted or worker_count(len(wanted)) or spoken(conf, cluster.timeout_s) is None:
        return None
    return pool.submit(describe_wire, conf, wanted, cluster.timeout_s, TopicConfigConverter().share)


class TopicRead:
    """The live state of the topics a plan can touch (`kplan.transport.reads.PrimaryRead`): those named to the read
    (all non-internal ones when none are) and those the stack's record owns."""

    def __init__(self, ctx: "PrimaryContext"):
        self.reader = ctx.reader
        self.names = None if ctx.names is None else list(ctx.names)
        self.early = describe_early(ctx.pool, ctx.reader.cluster, ctx.reader.secrets, self.names)
        self.wanted: set[str] = set()
        self.configs: dict[str, Configs] = {}
        self.metadata: Metadata = {}

    def after_pin(self, metadata: "Metadata") -> None:
        """The configs of the named topics the metadata lists: the early answer's, or described now."""
        self.wanted = {t for t in (metadata if self.names is None else self.names)
                       if t in metadata and not t.startswith("__")}
        configs = self._early_configs()
        self.configs = self.reader.describe_topic_configs(sorted(self.wanted)) if configs is None else configs

    def owned(self, names: Iterable[str], metadata: "Metadata") -> "Metadata":
        """Described too: the listed topics the record owns beyond those named; then every wanted listed topic
        described, or dropped from the metadata if no longer listed (`settle.py`)."""
        extra = {t for t in names if t in metadata and not t.startswith("__")} - self.wanted
        if extra:
            self.configs.update(self.reader.describe_topic_configs(sorted(extra)))
            self.wanted |= extra
        self.metadata, self.configs = settled_configs(self.reader, metadata, self.configs, self.wanted,
                                                      self.reader.cluster.timeout_s)
        return self.metadata

    def result(self) -> tuple[dict[str, LiveTopic], Problem | None]:
        return {name: live_topic(name, meta, self.configs[name]) for name, meta in self.metadata.items()
                if name in self.wanted}, None

    def for_stack(self, names: Iterable[str] | None, owned: Iterable[str],
                  metadata: "Metadata") -> tuple[dict[str, LiveTopic], Problem | None]:
        """One stack's part of a read made for several (kplan.cluster.reader.read_many): the topics it named (all
        when None) and those its record owns, as a read of its own would have answered."""
        mine = set(metadata if names is None else names) | set(owned)
        return {name: live_topic(name, self.metadata[name], self.configs[name]) for name in mine
                if name in self.wanted and name in self.metadata}, None

    def _early_configs(self) -> dict[str, Configs] | None:
        """The early answer for the wanted topics (a topic it missed, created meanwhile, is described now), or
        None."""
        plain = self.early.result() if self.early is not None else None
        if plain is None:
            return None
        configs = freeze_configs({name: plain[name] for name in self.wanted if name in plain})
        missed = sorted(self.wanted - configs.keys())
        if missed:
            configs.update(self.reader.describe_topic_configs(missed))
        return configs
