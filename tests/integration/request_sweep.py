"""Kill + `recover --resume` (or `--rollback`) of every one-time request kind: a consumer group's reset to earliest,
latest, a time, a duration ago or explicit offsets, its delete request, a connector's offsets request (reset,
set), and a delete-records request (before an offset, before a time), each killed at the start of its step and in
its middle, then recovered; the verdict is BEFORE, AFTER or NEITHER.

    PYTHONPATH=dev python tests/integration/request_sweep.py [--kinds K,...] [--points P,...] [--recoveries R,...]
                                                            [--repeat N]

prints the figures as JSON (trials, BEFORE, AFTER, NEITHER per kind and kill point). tests/integration/
test_request_resume.py runs one trial per kind and point.

A trial, on the real local stack, with a fresh stack name:
1. BASE: topic `.t` (1 partition) with records 0-4 written before an instant and 5-9 after it; for a group kind
   the group `<P>-g` committed at 3; for a connector kind a STOPPED FileStreamSink `<P>-sink` on `.t` whose
   offsets are set (through Connect) to 3; for a delete-records kind nothing more (its state: the low watermark, 0).
   Applied with `kplan apply`, then the offsets are set.
2. CHANGE = BASE + the request (token `r1`, no token recorded before). `kplan apply CHANGE` is SIGKILLed at a
   point of the request's step (POINTS): `start` right after the journal says the step started (nothing written
   yet); `middle` right after the step journaled what it found, before it writes (for a connector's request, also
   once the connector is stopped; for a delete-records request, once it journaled that DeleteRecords is about to be
   sent); `end` once its writes are done and the journal still says "started".
3. `kplan recover --resume|--rollback --force --auto-approve`.
4. The verdict: AFTER when the offsets (or the group's absence) are the request's target and `kplan plan
   --detailed-exitcode` exits 0 (the token is recorded); BEFORE when they are as in step 1 and the plan exits 2
   (the request is still to apply: not recorded as applied); else NEITHER (e.g. not moved but recorded: the request
   lost). A `--resume` must end AFTER, a `--rollback` BEFORE (or, once a group's or records' deletion was done,
   which is irreversible, AFTER: the rollback then exits 3 and must name it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kplan_helpers import Run, cleanup, forget_stack, killed_kplan, kplan, write_stack  # noqa: E402

INFRA = ("cannot reach Kafka", "answered 404 to GET /connectors", "Connection refused")  # as fault_sweep.py

START = "journal-written:2"  # the journal says the request's step (step 1) started; nothing is written yet
# kind -> (the request as declared, given the instant between the records; the target)
GROUP_KINDS = {
    "group-earliest": (lambda t, between: {"reset": "earliest"}, {0: 0}),
    "group-latest": (lambda t, between: {"reset": "latest"}, {0: 10}),
    "group-timestamp": (lambda t, between: {"reset": between}, {0: 5}),
    "group-duration": (lambda t, between: {"reset": "1d"}, {0: 0}),
    "group-offsets": (lambda t, between: {"reset": [{"topic": t, "partition": 0, "offset": 7}]}, {0: 7}),
    "group-delete": (None, None),  # the group deleted
}
CONNECTOR_KINDS = {
    "connector-reset": ({"reset": True}, {}),
    "connector-set": (lambda t: {"set": [{"topic": t, "partition": 0, "offset": 7}]}, {0: 7}),
}
# a delete-records request on `.t`: before an offset, or before the instant (records 0-4 deleted); the target is the
# partition's low watermark
RECORDS_KINDS = {
    "records-offsets": (lambda t, between: [{"partition": 0, "offset": 7}], {0: 7}),
    "records-time": (lambda t, between: between, {0: 5}),
}
KINDS = list(GROUP_KINDS) + list(CONNECTOR_KINDS) + list(RECORDS_KINDS)
# kind -> point name -> the kill point of the apply (faulty_kplan --kill-at)
POINTS = {k: {"start": START, "middle": "journal-written:3", "end": "in-step:1"}
          for k in (*GROUP_KINDS, *RECORDS_KINDS)}
for _k in CONNECTOR_KINDS:  # journaled: the state it had (before stopping), then its offsets (stopped)
    POINTS[_k] = {"start": START, "middle": "journal-written:3", "stopped": "journal-written:4", "end": "in-step:1"}
COMMITTED = 3


@dataclass
class Outcome:
    kind: str
    point: str
    recovery: str
    verdict: str = "ERROR"
    before: dict = field(default_factory=dict)
    target: dict | None = None
    final: dict | None = None
    plan_code: int | None = None
    token: str | None = None  # the request's token recorded once the run is over
    outputs: list[str] = field(default_factory=list)

    def detail(self) -> str:
        return "\n".join([f"{self.kind} killed at {self.point}, recover --{self.recovery}: {self.verdict} "
                          f"(before {self.before}, target {self.target}, final {self.final}, plan exit "
                          f"{self.plan_code}, token {self.token})", *self.outputs])


def _tail(r: Run, n: int = 1200) -> str:
    return f"exit {r.code}: " + r.text[-n:]


class RequestSweep:
    def __init__(self, bootstrap: str, connect_url: str, workdir: Path):
        from confluent_kafka.admin import AdminClient

        self.bootstrap, self.connect_url, self.workdir = bootstrap, connect_url, workdir
        self.env = {"KPLAN_STATE_DIR": str(workdir / "state"), "NO_COLOR": "1"}
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self.tag = uuid.uuid4().hex[:6]
        self.n = 0

    # -- reads --

    def committed(self, group: str) -> dict | None:
        """partition -> committed offset; None when the group does not exist."""
        from confluent_kafka import ConsumerGroupTopicPartitions

        state = self.admin.describe_consumer_groups([group])[group].result(timeout=30).state.name
        if state == "DEAD":
            return None
        answer = self.admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
        return {tp.partition: tp.offset for tp in answer.topic_partitions or () if tp.offset >= 0}

    def connector_offsets(self, name: str) -> dict:
        r = requests.get(f"{self.connect_url}/connectors/{name}/offsets", timeout=30)
        r.raise_for_status()
        return {o["partition"]["kafka_partition"]: o["offset"]["kafka_offset"] for o in r.json()["offsets"]}

    def connector_state(self, name: str) -> str:
        r = requests.get(f"{self.connect_url}/connectors/{name}/status", timeout=30)
        return r.json()["connector"]["state"] if r.status_code == 200 else f"HTTP {r.status_code}"

    # -- the stacks --

    def docs(self, kind: str, p: str, between: str) -> tuple[dict, dict]:
        topic = f"{p}.t"
        base = {"stack": p, "cluster": {"bootstrap_servers": self.bootstrap, "connect_url": self.connect_url,
                                        "timeout": "20s"},
                "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}]}
        if kind in CONNECTOR_KINDS:
            base["connectors"] = [{"name": f"{p}-sink", "class": "FileStreamSink", "tasks_max": 1,
                                   "state": "stopped",
                                   "config": {"topics": topic, "file": str(self.workdir / f"{p}.out")}}]
            change = json.loads(json.dumps(base))
            req, _ = CONNECTOR_KINDS[kind]
            change["connectors"][0]["offsets"] = {"request": "r1", **(req(topic) if callable(req) else req)}
            return base, change
        change = json.loads(json.dumps(base))
        if kind in RECORDS_KINDS:
            before = RECORDS_KINDS[kind][0](topic, between)
            change["delete_records"] = [{"topic": topic, "request": "r1", "before": before}]
            return base, change
        make, _ = GROUP_KINDS[kind]
        group = {"name": f"{p}-g"}
        group.update({"delete": {"request": "r1"}} if make is None else
                     {"offsets": {"request": "r1", **make(topic, between)}})
        change["consumer_groups"] = [group]
        return base, change

    def setup(self, kind: str, p: str) -> tuple[Path, dict]:
        """BASE applied, records written, the group or the connector at offset 3; (CHANGE's path, before)."""
        from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition

        d = self.workdir / p
        d.mkdir(parents=True, exist_ok=True)
        topic = f"{p}.t"
        base_doc, _ = self.docs(kind, p, "")
        base = write_stack(d / "base.yaml", base_doc)
        r = kplan("apply", str(base), "--auto-approve", env=self.env)
        if r.code != 0:
            raise RuntimeError(f"the base apply of {p} failed: {_tail(r)}")
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for i in range(5):
            producer.produce(topic, value=f"record-{i}".encode(), partition=0)
        producer.flush(30)
        time.sleep(1.5)
        between = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        time.sleep(1.5)
        for i in range(5, 10):
            producer.produce(topic, value=f"record-{i}".encode(), partition=0)
        producer.flush(30)
        if kind in CONNECTOR_KINDS:
            name = f"{p}-sink"
            r2 = requests.patch(f"{self.connect_url}/connectors/{name}/offsets", timeout=60, json={"offsets": [
                {"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": COMMITTED}}]})
            r2.raise_for_status()
            before = {"offsets": self.connector_offsets(name), "state": self.connector_state(name)}
        elif kind in RECORDS_KINDS:
            before = {"offsets": self.low_watermarks(topic)}
        else:
            group = f"{p}-g"
            self.admin.alter_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, COMMITTED)])])[group].result(30)
            before = {"offsets": self.committed(group)}
        _, change_doc = self.docs(kind, p, between)
        return write_stack(d / "change.yaml", change_doc), before

    def low_watermarks(self, topic: str) -> dict:
        """partition -> low watermark (the first offset left) of the 1-partition topic."""
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "kplanreq-unused"})
        try:
            return {0: consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)[0]}
        finally:
            consumer.close()

    def state(self, kind: str, p: str) -> dict:
        if kind in RECORDS_KINDS:
            return {"offsets": self.low_watermarks(f"{p}.t")}
        if kind in CONNECTOR_KINDS:
            return {"offsets": self.connector_offsets(f"{p}-sink"), "state": self.connector_state(f"{p}-sink")}
        return {"offsets": self.committed(f"{p}-g")}

    def target(self, kind: str, before: dict) -> dict:
        if kind in RECORDS_KINDS:
            return {"offsets": RECORDS_KINDS[kind][1]}
        if kind in CONNECTOR_KINDS:
            return {"offsets": CONNECTOR_KINDS[kind][1], "state": before["state"]}
        return {"offsets": GROUP_KINDS[kind][1]}

    def token(self, kind: str, p: str) -> str | None:
        """The request's token in the stack's ownership record (None: none recorded)."""
        from kplan_helpers import read_stack_ownership

        record = read_stack_ownership(self.admin, self.bootstrap, p)
        if kind in CONNECTOR_KINDS:
            return record.of("offsets").get(f"{p}-sink")
        if kind in RECORDS_KINDS:
            return record.of("delete_records").get(f"{p}.t")
        return record.of("consumer_groups").get(f"{p}-g")

    def judge(self, kind: str, p: str, change: Path, out: Outcome) -> None:
        """The verdict (the module's doc, step 4) once the run is over: `out.final`, `plan_code`, `token`,
        `verdict`."""
        out.final = self.state(kind, p)
        out.token = self.token(kind, p)
        plan = kplan("plan", str(change), "--detailed-exitcode", env=self.env)
        out.plan_code = plan.code
        out.outputs.append(f"plan: {_tail(plan, 800)}")
        if out.final == out.target and plan.code == 0:
            out.verdict = "AFTER"
        elif out.final == out.before and plan.code == 2:
            out.verdict = "BEFORE"
        else:
            out.verdict = "NEITHER"

    # -- one trial --

    def trial(self, kind: str, point: str, recovery: str = "resume", attempts: int = 3) -> Outcome:
        """One trial; re-run (on a new stack name) when the shared stack itself failed during it (fault_sweep's
        rule: an ERROR, or kplan saying it could not reach Kafka or Connect)."""
        for _ in range(attempts):
            out = self._trial(kind, point, recovery)
            if out.verdict != "ERROR" and not any(s in o for o in out.outputs for s in INFRA):
                return out
            print(f"re-running {kind} @{point} --{recovery}: the stack failed during it", file=sys.stderr)
            time.sleep(10)
        return out

    def next_name(self) -> str:
        """A fresh stack name (its topic, group and connector are named after it)."""
        self.n += 1
        return f"kplanreq-{self.tag}-{self.n:03d}"

    def _trial(self, kind: str, point: str, recovery: str) -> Outcome:
        p = self.next_name()
        out = Outcome(kind, point, recovery)
        try:
            change, out.before = self.setup(kind, p)
            out.target = self.target(kind, out.before)
            r = killed_kplan("apply", str(change), "--auto-approve", kill_at=POINTS[kind][point], env=self.env)
            out.outputs.append(f"apply killed at {POINTS[kind][point]}: {_tail(r, 600)}")
            if r.code != -9:
                out.verdict = "NOT-REACHED"
                return out
            r = kplan("recover", str(change), f"--{recovery}", "--force", "--auto-approve", env=self.env)
            out.outputs.append(f"recover --{recovery}: {_tail(r)}")
            # 3: a rollback that left an irreversible step (a delete requested), which it must name
            if r.code not in (0, 3) or (r.code == 3 and "irreversible" not in r.text):
                out.verdict = "NEITHER"
                return out
            self.judge(kind, p, change, out)
        except Exception as e:  # noqa: BLE001 - a trial that could not run is an ERROR
            out.outputs.append(f"{type(e).__name__}: {e}")
        finally:
            self.clean(p)
        return out

    def clean(self, p: str) -> None:
        try:
            cleanup(self.admin, self.connect_url, p)
            for group in (f"{p}-g", f"connect-{p}-sink"):
                try:
                    self.admin.delete_consumer_groups([group])[group].result(30)
                except Exception:  # noqa: BLE001 - absent (a delete request, a group-only trial): nothing to remove
                    pass
            forget_stack(self.admin, self.bootstrap, p)
        except Exception as e:  # noqa: BLE001 - best effort
            print(f"cleanup of {p} failed: {e}", file=sys.stderr)


def figures(outcomes: list[Outcome]) -> dict:
    out: dict = {}
    for o in outcomes:
        c = out.setdefault(f"{o.kind} @{o.point} --{o.recovery}",
                           {"trials": 0, "BEFORE": 0, "AFTER": 0, "NEITHER": 0, "other": 0})
        c["trials"] += 1
        c[o.verdict if o.verdict in ("BEFORE", "AFTER", "NEITHER") else "other"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    import tempfile

    ap = argparse.ArgumentParser(prog="request_sweep.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--points", default="start,middle,stopped,end")
    ap.add_argument("--recoveries", default="resume")
    ap.add_argument("--repeat", type=int, default=1)
    opts = ap.parse_args(argv)
    try:
        import localstack

        bootstrap, connect = localstack.BOOTSTRAP, localstack.CONNECT_URL
    except ImportError:
        bootstrap, connect = "127.0.0.1:19092", "http://127.0.0.1:18083"
    sweep = RequestSweep(bootstrap, connect, Path(tempfile.mkdtemp(prefix="kplan-requests-")))
    outcomes = []
    for _ in range(opts.repeat):
        for kind in opts.kinds.split(","):
            for point in [x for x in opts.points.split(",") if x in POINTS[kind]]:
                for rec in opts.recoveries.split(","):
                    o = sweep.trial(kind, point, rec)
                    print(f"{o.verdict:11s} {kind} @{point} --{rec}", file=sys.stderr, flush=True)
                    if o.verdict not in ("BEFORE", "AFTER"):
                        print(o.detail(), file=sys.stderr, flush=True)
                    outcomes.append(o)
    print(json.dumps(figures(outcomes), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
