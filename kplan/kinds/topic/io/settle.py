"""Consistent reads: a plan is built only on a read where the broker's metadata and the controller agree.

Right after a bulk create (several create requests at once) a broker lists the new topics batch by batch, seconds
apart — measured on the local stack: 10,000 topics in ten requests of 1,000 all listed only 104 s after the
creates returned, and `describe_configs` answers UNKNOWN_TOPIC_OR_PART for the unlisted ones just the same. The
controller knows at once: a (validate-only) create answers TOPIC_ALREADY_EXISTS. So:

- the plan's topic creates are checked by the controller anyway (plan-time validation's validate-only create,
  `validation.py`): one it says exists is a topic the metadata has not listed yet (diagnostic code
  NOT_LISTED). `settled` then waits for the metadata to list those topics (re-read with back-off) and reads and
  plans again, until no create is of an existing topic or the stack's `cluster.timeout` passes, which is an error
  saying the metadata has not settled — never a plan that creates an existing topic. A plan with nothing to create
  pays nothing; one with creates pays no extra request either (the validator's). An unvalidated plan (`kplan
  status`) asks the controller itself, only when it has creates;
- a listed topic `describe_configs` does not know (another broker behind, or a deletion in flight) is re-read
  until it is described or no longer listed, within the same deadline (`settled_configs`, called by the reader).

`clock`/`sleep` are parameters so the unit tests run the loops without waiting.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Collection, Mapping, Protocol

from kplan.errors import KplanError
from kplan.kinds.step import name_list
from kplan.rules.batching import packed
from kplan.transport.reach import kafka_error_name
from kplan.transport.request_limit import records_per_request

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

EXISTS = "TOPIC_ALREADY_EXISTS"
NOT_LISTED = "topic-not-yet-listed"  # the diagnostic code of a create the controller refuses: exists
# per-topic answers that say the request itself did not get through: the cluster could not be asked
_NO_ANSWER = frozenset({"_TRANSPORT", "_TIMED_OUT", "_ALL_BROKERS_DOWN", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION",
                        "_DESTROY", "NOT_CONTROLLER", "BROKER_NOT_AVAILABLE"})
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 1.0


class TopicReads(Protocol):
    """What the topic reads and their settling need of a reader (kplan.cluster.reader.KafkaReader has it)."""

    cluster: "ClusterSpec"
    secrets: "SecretValues"

    @property
    def admin(self) -> Any: ...

    def unreachable_error(self, exc: BaseException) -> KplanError: ...

    def topic_metadata(self) -> dict[str, tuple[int, int]]: ...

    def describe_topic_configs(self, names: list[str]) -> dict[str, tuple[Mapping, Mapping, frozenset]]: ...


class NotSettled(KplanError):
    """The cluster's metadata did not settle before the deadline."""


def in_batches(items: list, records: Callable[[Any], int], send: Callable[[list], Mapping]) -> dict:
    """`send(batch)` for each batch of `items` apply would send (within the controller's per-request limit, each its
    own request, all in flight together): their answers' futures in one map."""
    futures: dict = {}
    for batch in packed(items, records, records_per_request()):
        futures.update(send(batch))
    return futures


def existing_topics(admin, names: Collection[str], timeout_s: float) -> set[str]:
    """The names the controller says exist (validate-only creates of one partition with the broker's default
    replication factor: nothing is created; two metadata records each, in batches within the controller's
    per-request limit, all in flight together). Any other refusal (not allowed to create, a policy, a '.'/'_'
    collision) proves nothing either way and counts as absent: plan-time validation reports it."""
    from confluent_kafka.admin import NewTopic

    futures = in_batches(list(names), lambda n: 2, lambda batch: admin.create_topics(
        [NewTopic(n, 1) for n in batch], validate_only=True, request_timeout=timeout_s))
    found = set()
    for name, fut in futures.items():
        try:
            fut.result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001 - judged by the error's code below
            code = kafka_error_name(e)
            if code == EXISTS:
                found.add(name)
            elif code in _NO_ANSWER or not code:
                raise
    return found


def settled(plan_once: Callable[[], tuple[Any, Any]], reader: TopicReads, timeout_s: float, *, validated: bool,
            clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep) -> tuple[Any, Any]:
    """(live, plan) from `plan_once` (read, plan, validate if `validated`), once none of its topic creates is of a
    topic the controller says exists; until then, wait for the metadata to list those and plan again."""
    deadline = clock() + timeout_s
    while True:
        live, plan = plan_once()
        lagging = lagging_creates(plan, reader, timeout_s, validated)
        if not lagging:
            return live, plan
        wait_listed(reader, lagging, timeout_s, deadline, clock=clock, sleep=sleep)


def lagging_creates(plan, reader: TopicReads, timeout_s: float, validated: bool) -> set[str]:
    """The topics `plan` creates that the controller says exist: from plan-time validation's answers, or asked
    here (one validate-only create) when the plan was not validated and has creates."""
    from kplan.model.plan import Action, ResourceType

    if validated:
        return {d.address.removeprefix("topic.") for d in plan.diagnostics if d.code == NOT_LISTED and d.address}
    creates = [c.name for c in plan.changes if c.type == ResourceType.TOPIC and c.action == Action.CREATE]
    admin = getattr(reader, "admin", None)  # None: a live-state file, not a cluster
    return _ask(reader, creates, timeout_s) if creates and admin is not None else set()


def wait_listed(reader: TopicReads, names: Collection[str], timeout_s: float, deadline: float, *,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
    """Re-read the metadata (with back-off) until it lists `names`; a name the controller no longer has (deleted
    meanwhile) is not waited for. NotSettled at `deadline`."""
    lagging = set(names)
    delay = FIRST_DELAY_S
    while lagging:
        if clock() >= deadline:
            raise NotSettled(not_settled(sorted(lagging), "exist (the controller says so) but the "
                                         "broker's metadata does not list them yet", timeout_s,
                                         hint=" (a principal without DESCRIBE on a topic never sees it listed)"))
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(MAX_DELAY_S, delay * 2)
        metadata = reader.topic_metadata()
        still = sorted(n for n in lagging if n not in metadata)
        lagging = _ask(reader, still, timeout_s) if still else set()


def _ask(reader: TopicReads, names: Collection[str], timeout_s: float) -> set[str]:
    """existing_topics, its failure one error line."""
    from kplan.transport.kafka import describe_kafka_error

    try:
        return existing_topics(reader.admin, names, timeout_s)
    except Exception as e:  # noqa: BLE001 - no answer: say so, never a traceback
        raise KplanError(f"cannot ask the cluster which of {len(names)} topic(s) exist: "
                         f"{describe_kafka_error(e)}") from None


def settled_configs(reader: TopicReads, metadata: dict[str, tuple[int, int]],
                    configs: dict[str, tuple[Mapping, Mapping, frozenset]], wanted: Collection[str],
                    timeout_s: float, *,
                    clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> tuple[dict, dict]:
    """(metadata, configs) where every wanted listed topic is described: a listed topic that describe_configs
    does not know yet is read again until it is described (configs filled in) or no longer listed (dropped from
    the metadata: a deletion the listing had not caught up with)."""
    missing = sorted(n for n in wanted if n in metadata and n not in configs)
    if not missing:
        return metadata, configs
    metadata, configs = dict(metadata), dict(configs)
    deadline = clock() + timeout_s
    delay = FIRST_DELAY_S
    while missing:
        if clock() >= deadline:
            raise NotSettled(not_settled(missing, "are listed by the broker's metadata but their "
                                         "configs cannot be read yet", timeout_s))
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(MAX_DELAY_S, delay * 2)
        now = reader.topic_metadata()
        for name in missing:
            if name not in now:
                del metadata[name]
        listed = [n for n in missing if n in now]
        configs.update(reader.describe_topic_configs(listed) if listed else {})
        missing = [n for n in listed if n not in configs]
    return metadata, configs


def not_settled(names: list[str], what: str, timeout_s: float, hint: str = "") -> str:
    return (f"the cluster's metadata has not settled: {len(names)} topic(s) {what} ({name_list(names)}), still after "
            f"{timeout_s:g} s (cluster.timeout); a bulk change can take tens of seconds to reach every broker: "
            f"retry in a moment (or raise cluster.timeout){hint}")
