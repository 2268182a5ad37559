"""The apply lock: two applies of one stack against one cluster must not interleave.

Atomic on the cluster: acquiring is creating the topic `__kplan_lock.<stack>` (topic creation is atomic at the
controller: exactly one creator wins, the others get TOPIC_ALREADY_EXISTS). The winner then writes who holds it
(host, pid, run id, since) into that topic; releasing is writing the holder again marked released, then deleting
the topic. `kplan unlock` removes a dead holder's lock after confirmation.

A creator can be told TOPIC_ALREADY_EXISTS by its own request: the client, or the broker forwarding it to the
controller, sends a CreateTopics again when the answer to the first was lost (a controller failover, a dropped
connection), and the first had created the topic. So the run creates the topic with a mark of its own (`MARK`,
`creation_mark`), and an empty lock topic that bears its mark is its own lock, not another run's.

Released, not waited for: the deletion completes at the controller, and each broker's metadata drops the topic a
moment later (seconds behind a bulk create of thousands of partitions). A reader that still sees the topic listed
reads its holder and trusts the released mark (`read_holder`), so neither a plan nor the next apply waits for the
metadata, and this run's release does not either (docs/systems-facts.md, The apply lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from kplan.errors import KplanError
from kplan.state import faults, records
from kplan.state.records import RecordRefused, catch_up_window, create_topic, wait_visible
from kplan.transport.permissions import denied, principal
from kplan.transport.reach import ClusterUnreachable, kafka_error_name, link_of, no_answer

LOCK_PREFIX = "__kplan_lock."
_GONE = frozenset({"UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION"})
# The refusals of a write to a topic that exists but that the partition's leader (or the producer) has not applied yet
NOT_THERE_YET = _GONE | {"LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION", "NOT_LEADER_OR_FOLLOWER"}


# The config that marks which run created a lock topic: on a topic of one small partition, segment.jitter.ms only
# moves its one segment's roll earlier within segment.ms (Kafka draws the jitter below both), so any value is harmless.
MARK = "segment.jitter.ms"


def lock_topic(stack: str) -> str:
    return LOCK_PREFIX + stack


def creation_mark(run_id: str) -> str:
    """The value of MARK that the run `run_id` creates its lock topic with (the same for the same run id: a pull
    request's runs share one)."""
    return str(int(hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:8], 16) + 1)


def process_identity(pid: int) -> str:
    """What tells a process apart from a later one that reuses its pid: the boot and the process's start time
    (Linux /proc); "" where that cannot be read."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        with open(f"/proc/{pid}/stat") as f:
            started = f.read().rsplit(")", 1)[1].split()[19]
        return f"{boot}:{started}"
    except (OSError, IndexError):
        return ""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    run_id: str
    since: str
    process: str = ""  # process_identity(pid) when the lock was taken ("" from older versions)
    released: bool = False  # written by the holder's release just before it deletes the topic

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}, run {self.run_id}, since {self.since}"

    def provably_dead(self) -> bool:
        """True only when this machine can tell: the holder ran here, and its pid is gone (or is now another
        process). A holder on another host may be alive: False."""
        return self._runs_here() is False

    def alive_here(self) -> bool:
        """True only when this machine can tell the holder is still running: it ran here and its pid is the same
        process (by its identity, when the lock recorded one)."""
        return self._runs_here() is True

    def _runs_here(self) -> bool | None:
        """Whether the holder's process runs on this machine: True, False (its pid is gone, or another process has
        it now), None when this machine cannot tell (another host, or the process's identity unreadable)."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # a process of another user has the pid: tell by its identity
        if not self.process:
            return True
        identity = process_identity(self.pid)
        return None if identity == "" else identity == self.process

    @classmethod
    def from_json(cls, doc: dict) -> "Holder":
        return cls(str(doc.get("host", "")), int(doc.get("pid", 0)), str(doc.get("run_id", "")),
                   str(doc.get("since", "")), str(doc.get("process", "")), bool(doc.get("released", False)))


def read_holder(consumer_conf: dict[str, Any], topic: str, timeout_s: float) -> tuple[bool, Holder | None]:
    """(held, holder) of a lock topic the metadata lists: not held once its holder marked it released or the topic
    is gone at its leader (a deletion the listing has not caught up with); held with no holder while its taker has
    not named itself yet. A read that fails otherwise counts as held: a warning too many, never one missed."""
    from confluent_kafka import KafkaException

    try:
        value = records.read_compacted(consumer_conf, topic, min(5.0, timeout_s)).get(b"holder")
    except KafkaException as e:
        return kafka_error_name(e) not in _GONE, None
    except KplanError:
        return True, None
    holder = Holder.from_json(json.loads(value)) if value else None
    return holder is None or not holder.released, holder


class LockHeld(KplanError):
    """The stack's lock is held by another run (`holder`, None when it has not written who it is yet)."""

    def __init__(self, message: str, holder: Holder | None):
        super().__init__(message)
        self.holder = holder


class StackLock:
    topic_config: dict[str, str] = {}  # the lock topic's own config: Kafka's defaults (an apply holds it briefly)
    what = "apply lock"  # its name in messages

    def __init__(self, admin, producer, consumer_conf: dict[str, Any], stack: str,
                 broker_count: int, timeout_s: float):
        self.admin, self.producer, self.consumer_conf = admin, producer, consumer_conf
        self.stack, self.broker_count, self.timeout_s = stack, broker_count, timeout_s
        self.topic = lock_topic(stack)
        self.held = False
        self.mine: Holder | None = None  # the holder this run wrote

    def acquire(self, run_id: str) -> None:
        deadline = time.monotonic() + max(10.0, self.timeout_s)
        config = {**self.topic_config, MARK: creation_mark(run_id)}
        while True:
            try:
                if create_topic(self.admin, self.topic, self.broker_count, self.timeout_s, config):
                    break
            except Exception as e:  # noqa: BLE001 - re-raised as a KplanError
                who = principal(self.consumer_conf or {})
                why = denied(e, "create", f"topic {self.topic} (kplan's {self.what})", who) or str(e)
                raise KplanError(f"could not take the {self.what} {self.topic}: {why}") from e
            holder = self.holder()
            if holder is not None and not holder.released:
                raise LockHeld(f"stack {self.stack!r} is locked by another run ({holder.describe()})", holder)
            if holder is None and self._created_by(run_id):
                break  # this run's own create, sent again and answered "exists": the lock is this run's
            # Created a moment ago (holder not written yet) or released and being deleted: look again briefly.
            if time.monotonic() > deadline:
                if holder is not None:
                    raise LockHeld(f"stack {self.stack!r}: the lock {self.topic} was released ({holder.describe()}) "
                                   "but its topic is still there (the run was stopped while deleting it): "
                                   "`kplan unlock` removes it", holder)
                raise LockHeld(f"stack {self.stack!r} is locked by another run (holder unknown)", None)
            time.sleep(0.5)
        self.held = True
        try:
            # One bound for both: the topic listed, then the holder's record taken by its leader.
            window = catch_up_window(self.timeout_s)
            deadline = time.monotonic() + window
            wait_visible(self.admin, self.topic, self.timeout_s, f"the {self.what}", window=window)
            self.mine = Holder(socket.gethostname(), os.getpid(), run_id,
                               time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), process_identity(os.getpid()))
            self._write_holder(self.mine, deadline)
        except BaseException:
            self.release()  # never leave a lock nobody can name
            raise
        faults.at("lock-taken")

    def _created_by(self, run_id: str) -> bool:
        """Whether the lock topic bears the mark `run_id` creates it with; False when that cannot be read."""
        from confluent_kafka.admin import ConfigResource

        resource = ConfigResource(ConfigResource.Type.TOPIC, self.topic)
        try:
            (future,) = self.admin.describe_configs([resource], request_timeout=self.timeout_s).values()
            entry = future.result(self.timeout_s + 2).get(MARK)
        except Exception:  # noqa: BLE001 - not listed yet at the broker asked, or not readable: not known to be ours
            return False
        return entry is not None and entry.value == creation_mark(run_id)

    def _write_holder(self, holder: Holder, deadline: float, clock: Callable[[], float] = time.monotonic,
                      sleep: Callable[[float], None] = time.sleep) -> None:
        """Write who holds the lock, asked again until `deadline` while the partition's leader does not have the
        new topic yet. The metadata lists a topic before every broker has applied it (the leader makes its log after
        publishing the metadata, and behind a bulk create of thousands of partitions another broker may list it
        later still), so the first write can be refused with "unknown topic" or "not the leader" although the
        topic is there; and with no acknowledgement at all within the timeout while the brokers are busy applying a
        bulk change. Writing the holder again is harmless: one key of a compacted topic. Any other refusal, and these
        at the deadline, is one line (the caller then releases the lock).

        A broker that has not yet applied the deletion of the lock a run released a moment ago still takes records
        into that old topic, where they vanish with it: the holder is first in the topic this run created, so a
        holder acknowledged at a later offset is written again (once the broker has caught up) unless the topic's
        first record is this run's."""
        from confluent_kafka import KafkaException

        value = json.dumps(holder.__dict__).encode()
        delay = 0.1
        while True:
            try:
                offset = records.write_record(self.producer, self.topic, b"holder", value, self.timeout_s,
                                              "the lock holder")
                first = (records.first_record(self.consumer_conf, self.topic, min(5.0, self.timeout_s)) if offset
                         else None)
                if not offset or (first is not None and Holder.from_json(json.loads(first)).run_id == holder.run_id):
                    return
                if clock() >= deadline:
                    raise KplanError(f"could not write the lock holder to {self.topic}: the broker still has the lock "
                                     "a run released before this one took it")
            except RecordRefused as e:
                if e.name not in NOT_THERE_YET or clock() >= deadline:
                    raise
            except ClusterUnreachable:
                # No acknowledgement within the timeout from a cluster that has just created the topic: its brokers
                # are busy (a bulk create or delete still being applied), asked again within the same bound.
                if clock() >= deadline:
                    raise
            except KafkaException as e:  # produce() itself refuses a topic the producer's metadata says is unknown
                if kafka_error_name(e) not in NOT_THERE_YET or clock() >= deadline:
                    raise KplanError(f"could not write the lock holder to {self.topic}: {e.args[0]}") from None
            sleep(delay)
            delay = min(1.0, delay * 2)

    def holder(self) -> Holder | None:
        """Who holds the lock (marked `released` once its holder let it go), None when it is not listed or its
        taker has not named itself yet."""
        try:
            if not self.exists():
                return None
        except Exception:  # noqa: BLE001 - unreadable: not known
            return None
        return read_holder(self.consumer_conf, self.topic, self.timeout_s)[1]

    def exists(self) -> bool:
        md = self.admin.list_topics(self.topic, timeout=self.timeout_s)
        return self.topic in md.topics and md.topics[self.topic].error is None

    def release(self) -> None:
        """Mark the lock released, then delete its topic; nothing waits for the brokers' metadata to drop it (see
        the module's docstring). An apply that starts before the deletion completes at the controller sees
        TOPIC_ALREADY_EXISTS with a released holder and asks again briefly (see acquire)."""
        faults.at("lock-releasing")
        if self.producer is not None:  # (a dead run's lock, released by unlock or recover, is marked without a name)
            released = json.dumps({**(self.mine.__dict__ if self.mine else {}), "released": True}).encode()
            try:
                records.write_record(self.producer, self.topic, b"holder", released, self.timeout_s,
                                     "the lock's release", link=link_of(self.admin))
            except Exception:  # noqa: BLE001 - the deletion below decides; a reader then warns while it is listed
                pass
        # At most the stack's timeout (and at once while Kafka is known to be unreachable: the admin client is the
        # writer's, see kplan.transport.reach); a request that got no answer marks Kafka down for the rest of the run.
        try:
            futures = self.admin.delete_topics([self.topic], request_timeout=self.timeout_s)
            futures[self.topic].result(self.timeout_s + 2)
        except Exception as e:  # noqa: BLE001 - all but UNKNOWN_TOPIC_OR_PART is re-raised as a KplanError
            if kafka_error_name(e) != "UNKNOWN_TOPIC_OR_PART":
                link = link_of(self.admin)
                if link is not None and no_answer(e):
                    link.down(f"releasing the {self.what}: {e}")
                raise KplanError(f"could not release the {self.what} {self.topic}: {e}") from e
        self.held = False


def release_or_report(lock) -> None:
    """Release a held lock without masking the run's own outcome (or a Ctrl-C): a failure is reported with what to
    do (`kplan unlock` cleans up), never raised."""
    if not lock.held:
        return
    try:
        lock.release()
    except Exception as e:  # noqa: BLE001
        print(f"Warning: could not release the apply lock ({e}); run `kplan unlock` once the cluster is reachable",
              file=sys.stderr)
