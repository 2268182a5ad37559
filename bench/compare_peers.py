"""Benchmark: kplan against its peers — topicctl and Terraform with the Mongey Kafka provider — and the raw floor.

On the local stack, at N topics (default 1,000; each 1 partition, RF 1, two config overrides), every tool runs the
same three operations, each a whole fresh process, timed from start to exit:

  create  N topics from nothing               kplan apply | floor_create.py  | topicctl apply | terraform apply
  plan    a no-change plan against that state kplan plan  | floor_reads.py   | topicctl check | terraform plan
  change  one config of one topic, applied    kplan apply | floor_alter.py   | topicctl apply | terraform apply

then its topics are deleted (not timed) and the broker is left to finish the deletion before the next tool. Runs are
interleaved round by round (round r: every tool once, the order rotated each round), R rounds (default 5). Each
operation's result is checked outside the timing (all N topics listed with their configs, the plan reporting no
change, the changed config read back), so no tool is timed for doing less. Prints one JSON: min/median/max per
tool per operation, the ratios tool/floor and tool/kplan, and for each peer whether it ran and, if not, why.

The peers are the binaries `make bench-peers` builds into .bench-peers/bin (bench/peers/build.sh, pinned versions)
and the Terraform CLI on PATH; the provider is found through a generated Terraform CLI config (dev_overrides), so
nothing is downloaded from a registry. See bench/README.md.

    PYTHONPATH=dev .venv/bin/python bench/compare_peers.py [--topics N] [--runs R] [--peers topicctl,terraform]
        [--peer-max-topics [PEER=]N] [--topicctl-sleep 5ms] [--terraform-parallelism 10] [--peers-bin DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml
from _common import (
    BOOTSTRAP,
    CONNECT,
    ROOT,
    cluster_section,
    delete_prefix,
    emit,
    precompile,
    settle,
    stack_up,
    timed,
    topic_names,
)
from _summary import per_operation, ratios, rotated
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic
from floor_create import CONFIG  # the floor creates exactly these overrides; every tool declares the same

TOPICCTL_VERSION = "v1.23.1"  # keep in step with bench/peers/build.sh
PROVIDER_VERSION = "v0.13.1"
OPERATIONS = ("create", "plan", "change")
CHANGED = ("retention.ms", "172800000")  # the one config of the first topic the change operation sets
HERE = Path(__file__).resolve().parent


class RunFailed(Exception):
    """A tool's command failed or its result did not check out: recorded in the JSON, the round goes on."""


class Round:
    """One tool's topics in one round: their names and a private working directory."""

    def __init__(self, tool: str, n: int, workdir: Path) -> None:
        self.prefix = f"kplancmp-{tool}-{uuid.uuid4().hex[:6]}"
        self.names = topic_names(self.prefix, n)
        self.workdir = workdir / self.prefix
        self.workdir.mkdir(parents=True)

    def configs(self, changed: bool) -> list[dict[str, str]]:
        """Each topic's declared overrides; with `changed`, the first topic's CHANGED config is set."""
        out = [dict(CONFIG) for _ in self.names]
        if changed:
            out[0][CHANGED[0]] = CHANGED[1]
        return out


def run_measured(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> tuple[float, int, str]:
    """(seconds, peak RSS KiB of the process tree, output tail) of one run of a peer's binary; raises RunFailed on a
    non-zero exit or after timeout_s. The exit code is the caller's to judge, so it is returned in the message."""
    log = cwd / f"{Path(argv[0]).name}-{uuid.uuid4().hex[:4]}.log"
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        timer = threading.Timer(timeout_s, kill_group, (proc.pid,))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # usage covers the process and the children it waited for
        elapsed = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    tail = log.read_text(errors="replace")[-3000:]
    if proc.returncode != 0:
        raise RunFailed(f"{' '.join(argv[:3])} exited {proc.returncode}"
                        f"{' (killed after %ds)' % timeout_s if proc.returncode == -9 else ''}: {tail[-1500:]}")
    return elapsed, usage.ru_maxrss, tail


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except ProcessLookupError:  # it ended just as the timeout struck
        pass


CPU_S: list[float] = []  # each run_python's CPU seconds (user + system), the last one last


def run_python(argv: list[str], must_say: str | None = None, ok_codes=(0,)) -> tuple[float, int, str]:
    """kplan or a floor script, timed by _common.timed (a fresh interpreter, peak RSS of that process)."""
    try:
        elapsed, rss, out = timed(argv, ok_codes, cpu=CPU_S)
    except SystemExit as e:  # timed() reports a failed command as SystemExit with its output
        raise RunFailed(str(e)[-1500:]) from None
    if must_say is not None and must_say not in out:
        raise RunFailed(f"{' '.join(argv[:2])} did not say {must_say!r}: {out[-1500:]}")
    return elapsed, rss, out


class Kplan:
    name = "kplan"

    def write(self, rnd: Round, changed: bool = False) -> Path:
        doc = {"stack": rnd.prefix,
               "cluster": cluster_section(),
               "topics": [{"name": n, "partitions": 1, "replication_factor": 1, "config": c}
                          for n, c in zip(rnd.names, rnd.configs(changed), strict=True)]}
        path = rnd.workdir / "stack.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def create(self, rnd: Round):
        return run_python(["kplan.cli", "apply", str(self.write(rnd)), "--auto-approve", "--no-color"],
                          must_say=f"{len(rnd.names)} added")

    def plan(self, rnd: Round):
        # --detailed-exitcode: 0 is "no changes", 2 would be a plan with changes (a failure here)
        return run_python(["kplan.cli", "plan", str(rnd.workdir / "stack.yaml"), "--detailed-exitcode",
                           "--no-color"], must_say="No changes")

    def change(self, rnd: Round):
        return run_python(["kplan.cli", "apply", str(self.write(rnd, changed=True)), "--auto-approve",
                           "--no-color"], must_say="1 changed")

    def cleanup(self, rnd: Round, admin) -> None:
        # through kplan, so its ownership record of the stack is removed as well
        try:
            run_python(["kplan.cli", "destroy", str(rnd.workdir / "stack.yaml"), "--auto-approve", "--no-color"])
        finally:
            delete_prefix(admin, rnd.prefix)


class Floor:
    """The minimal raw protocol calls for each operation (bench/floor_*.py). With `visible` (--floor-visible), its
    create also waits until the cluster lists every topic with a leader, as kplan's claim "created" needs
    (floor_create.py's `visible`); it then reports, per round, when its create requests were answered and when the
    topics were listed, so one run gives both floors."""

    name = "floor"

    def __init__(self, visible: bool = False) -> None:
        self.visible = visible
        self.phases: list[dict] = []

    def create(self, rnd: Round):
        result = run_python([str(HERE / "floor_create.py"), BOOTSTRAP, rnd.prefix, str(len(rnd.names)),
                             *(["visible"] if self.visible else [])])
        if self.visible:
            self.phases.append({"topics": rnd.prefix, **json.loads(result[2])})
        return result

    def plan(self, rnd: Round):
        result = run_python([str(HERE / "floor_reads.py"), BOOTSTRAP, CONNECT, rnd.prefix])
        if result[2].split()[:1] != [str(len(rnd.names))]:  # it prints: topics, config entries, connectors
            raise RunFailed(f"floor_reads.py read {result[2].strip()!r}, expected {len(rnd.names)} topics")
        return result

    def change(self, rnd: Round):
        return run_python([str(HERE / "floor_alter.py"), BOOTSTRAP, rnd.names[0], *CHANGED])

    def cleanup(self, rnd: Round, admin) -> None:
        delete_prefix(admin, rnd.prefix)


class Topicctl:
    name = "topicctl"

    def __init__(self, binary: Path, sleep: str, timeout_s: float) -> None:
        self.binary, self.sleep, self.timeout_s = binary, sleep, timeout_s

    def flags(self) -> list[str]:
        # apply sleeps --sleep-loop-duration/5 after creating each topic (default 10s, so 2 s a topic)
        return ["--skip-confirm", "--sleep-loop-duration", sleep_loop(self.sleep), "--no-spinner"]

    def write(self, rnd: Round, changed: bool = False) -> None:
        meta = {"cluster": "kplanbench", "environment": "bench", "region": "local", "description": "kplan bench"}
        (rnd.workdir / "cluster.yaml").write_text(yaml.safe_dump(
            {"meta": {"name": "kplanbench", "environment": "bench", "region": "local", "description": "kplan bench"},
             "spec": {"bootstrapAddrs": [BOOTSTRAP]}}, sort_keys=False))
        # min.insync.replicas: Kafka 4.1+ reports it on every topic (as a dynamic broker default), and topicctl
        # counts any reported value its file does not declare as a difference, so `check` fails without it
        docs = [{"meta": {"name": n, **meta},
                 "spec": {"partitions": 1, "replicationFactor": 1, "placement": {"strategy": "any"},
                          "settings": {**c, "min.insync.replicas": 1}}}
                for n, c in zip(rnd.names, rnd.configs(changed), strict=True)]
        (rnd.workdir / "topics.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))

    def run(self, rnd: Round, *args: str):
        return run_measured([str(self.binary), *args, "--cluster-config", "cluster.yaml", "topics.yaml"],
                            rnd.workdir, dict(os.environ), self.timeout_s)

    def create(self, rnd: Round):
        self.write(rnd)
        return self.run(rnd, "apply", *self.flags())

    def plan(self, rnd: Round):
        return self.run(rnd, "check", "--no-spinner")  # exit 0 only if every topic matches (it stops at the first)

    def change(self, rnd: Round):
        self.write(rnd, changed=True)
        return self.run(rnd, "apply", *self.flags())

    def cleanup(self, rnd: Round, admin) -> None:
        delete_prefix(admin, rnd.prefix)


class Terraform:
    name = "terraform"

    def __init__(self, cli: str, provider_dir: Path, parallelism: int, timeout_s: float) -> None:
        self.cli, self.provider_dir, self.timeout_s = cli, provider_dir, timeout_s
        self.parallelism = parallelism

    def env(self, rnd: Round) -> dict[str, str]:
        # dev_overrides alone: the provider comes from the built binary, and no other source (no registry) is allowed
        rc = rnd.workdir / "terraformrc"
        rc.write_text('provider_installation {\n  dev_overrides {\n    "Mongey/kafka" = %s\n  }\n}\n'
                      % json.dumps(str(self.provider_dir)))
        return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def write(self, rnd: Round, changed: bool = False) -> None:
        doc = {"terraform": {"required_providers": {"kafka": {"source": "Mongey/kafka"}}},
               "provider": {"kafka": {"bootstrap_servers": [BOOTSTRAP], "tls_enabled": False}},
               "resource": {"kafka_topic": {
                   f"t{i:05d}": {"name": n, "partitions": 1, "replication_factor": 1, "config": c}
                   for i, (n, c) in enumerate(zip(rnd.names, rnd.configs(changed), strict=True))}}}
        (rnd.workdir / "main.tf.json").write_text(json.dumps(doc, indent=1))

    def run(self, rnd: Round, *args: str):
        return run_measured([self.cli, *args, "-input=false", "-no-color", f"-parallelism={self.parallelism}"],
                            rnd.workdir, self.env(rnd), self.timeout_s)

    def create(self, rnd: Round):
        self.write(rnd)
        result = self.run(rnd, "apply", "-auto-approve")
        if f"{len(rnd.names)} added" not in result[2]:
            raise RunFailed(f"terraform apply did not report {len(rnd.names)} added: {result[2][-1500:]}")
        return result

    def plan(self, rnd: Round):
        return self.run(rnd, "plan", "-detailed-exitcode")  # exit 2 (changes) is a failure here

    def change(self, rnd: Round):
        self.write(rnd, changed=True)
        result = self.run(rnd, "apply", "-auto-approve")
        if "0 added, 1 changed, 0 destroyed" not in result[2]:
            raise RunFailed(f"terraform apply did not report 1 changed: {result[2][-1500:]}")
        return result

    def cleanup(self, rnd: Round, admin) -> None:
        delete_prefix(admin, rnd.prefix)  # faster than terraform destroy, and the state is thrown away


def sleep_loop(sleep: str) -> str:
    """topicctl's --sleep-loop-duration for a wanted sleep after each created topic (it sleeps a fifth of it)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", sleep)
    if match is None:
        raise argparse.ArgumentTypeError(f"{sleep!r} is not a duration like 5ms or 2s")
    return f"{float(match[1]) * 5:g}{match[2]}"


def sleep_arg(sleep: str) -> str:
    sleep_loop(sleep)  # refuses a bad duration before anything runs
    return sleep


def available_topicctl(binary: Path) -> dict:
    if not os.access(binary, os.X_OK):
        return {"available": False, "why": f"{binary} not found: build it with `make bench-peers`"}
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        return {"available": False, "why": f"{binary} --version failed: {e}"}
    return {"available": True, "version": out.stdout.strip(), "binary": str(binary)}


def available_terraform(cli: str | None, provider: Path) -> dict:
    if cli is None:
        return {"available": False, "why": "no Terraform CLI (`terraform`) on PATH and no --terraform given"}
    try:
        out = subprocess.run([cli, "version", "-json"], capture_output=True, text=True, timeout=60, check=True)
        version = json.loads(out.stdout)["terraform_version"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        return {"available": False, "why": f"`{cli} version -json` failed: {e}"}
    if not os.access(provider, os.X_OK):
        return {"available": False, "why": f"{provider} not found: build it with `make bench-peers`"}
    return {"available": True, "version": f"terraform {version}, terraform-provider-kafka {PROVIDER_VERSION}",
            "binary": str(provider)}


def listed(admin, rnd: Round, timeout_s: float | None = None) -> None:
    """Wait until the broker lists all of the round's topics (metadata lags a bulk create), or fail: after 120 s, or
    50 ms a topic if longer (the single local broker took 195-250 s to list 10,000 new topics, 2026-11-26)."""
    timeout_s = timeout_s if timeout_s is not None else max(120.0, 0.05 * len(rnd.names))
    deadline = time.monotonic() + timeout_s
    while True:
        seen = sum(1 for n in admin.list_topics(timeout=30).topics if n.startswith(rnd.prefix + "-"))
        if seen == len(rnd.names):
            return
        if time.monotonic() > deadline:
            raise RunFailed(f"{seen} of {len(rnd.names)} topics listed {timeout_s:.0f} s after the create")
        time.sleep(0.5)


def check_configs(admin, rnd: Round, changed: bool, timeout_s: float = 60.0) -> float:
    """Wait until the first and the last topic carry the declared overrides (the first one changed after `change`);
    return how long that took. An altered config can take seconds to show in describe_configs (measured ~5 s right
    after a bulk create of 1,000 topics), so a tool that exits without waiting for it is not failed for that."""
    want = rnd.configs(changed)
    start = time.monotonic()
    while True:
        wrong = {}
        for i in {0, len(rnd.names) - 1}:
            res = ConfigResource(ConfigResource.Type.TOPIC, rnd.names[i])
            try:
                live = {k: e.value for k, e in admin.describe_configs([res])[res].result(60).items()}
            except KafkaException as e:  # the broker asked has not applied the topic yet (another one listed it)
                live = {"error": str(e.args[0])}
            if any(live.get(k) != v for k, v in want[i].items()):
                wrong[rnd.names[i]] = {k: live.get(k) for k in want[i]} | ({"error": live["error"]} if "error" in live
                                                                            else {})
        waited = time.monotonic() - start
        if not wrong:
            return waited
        if waited > timeout_s:
            raise RunFailed(f"{timeout_s:.0f} s after the tool exited, {wrong} (expected {want[0]} on the first)")
        time.sleep(0.1)


def quiesce(admin, timeout_s: float = 120.0) -> float:
    """Wait until the broker has applied every metadata change made so far; return how long that took.

    A broker applies the metadata log in order, and after a bulk create it is busy creating the partitions' logs:
    a config altered then shows seconds later (~5-10 s at 1,000 topics). So the benchmark alters a probe topic's
    config to a new value and waits until it shows: the creates before it have then been applied too. Without this,
    a tool that creates topics one at a time (and so runs long enough for the broker to catch up) would meet a
    settled broker in `plan` and `change`, and one that creates them in one batch a busy one."""
    probe = "kplancmp-probe"
    if probe not in admin.list_topics(timeout=30).topics:
        try:
            admin.create_topics([NewTopic(probe, 1, 1)])[probe].result(60)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise RunFailed(f"could not create the probe topic {probe}: {e}") from None
    value = str(3_600_000 + int(time.time() * 1000) % 3_600_000)  # a retention.ms not set before
    res = ConfigResource(ConfigResource.Type.TOPIC, probe,
                         incremental_configs=[ConfigEntry("retention.ms", value,
                                                          incremental_operation=AlterConfigOpType.SET)])
    read = ConfigResource(ConfigResource.Type.TOPIC, probe)
    start, altered = time.monotonic(), False
    while True:  # right after its creation the probe may be unknown for a moment: retry the alter and the read
        try:
            if not altered:
                admin.incremental_alter_configs([res])[res].result(60)
                altered = True
            if admin.describe_configs([read])[read].result(60)["retention.ms"].value == value:
                break
        except KafkaException:
            pass
        if time.monotonic() - start > timeout_s:
            raise RunFailed(f"the broker did not apply a config change within {timeout_s:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def one_round(tool, n: int, workdir: Path, admin, results: dict, errors: list, r: int) -> None:
    """Create, plan and change with one tool, each checked outside its timing (a run that fails its check is not
    counted); then clean up."""
    rnd = Round(tool.name, n, workdir)
    mine = results[tool.name]
    try:
        for op in getattr(tool, "operations", OPERATIONS):
            CPU_S.clear()
            elapsed, kib, _ = getattr(tool, op)(rnd)
            if CPU_S:  # kplan's and the floor's (the peers are not Python): CPU seconds, beside the wall time
                mine.setdefault("cpu_s", {o: [None] * len(mine["runs"][o]) for o in OPERATIONS})[op][r] = CPU_S[-1]
            if op == "create":
                listed(admin, rnd)
                mine["visible_after_exit_s"][op][r] = round(check_configs(admin, rnd, changed=False), 2)
                mine["settled_after_create_s"][r] = round(quiesce(admin), 2)
            elif op == "change":
                mine["visible_after_exit_s"][op][r] = round(check_configs(admin, rnd, changed=True), 2)
            mine["runs"][op][r] = elapsed
            print(f"[compare] round {r + 1}: {tool.name} {op} {elapsed:.2f} s"
                  + (f", CPU {CPU_S[-1]:.2f} s" if CPU_S else ""), file=sys.stderr, flush=True)
            mine["rss"][op] = max(mine["rss"][op], kib)
    except RunFailed as e:
        errors.append({"tool": tool.name, "round": r + 1, "error": str(e)})
    except Exception as e:  # noqa: BLE001 - a check that broke (a busy broker's answer) costs its round, not the run
        errors.append({"tool": tool.name, "round": r + 1, "error": f"the check failed: {type(e).__name__}: {e}"})
    finally:
        try:
            tool.cleanup(rnd, admin)
        except RunFailed as e:
            errors.append({"tool": tool.name, "round": r + 1, "cleanup": str(e)})
        settle(admin, rnd.prefix)
        shutil.rmtree(rnd.workdir, ignore_errors=True)


def peer_limits(values: list[str], peers: list[str]) -> dict[str, int]:
    """--peer-max-topics N (every peer) or PEER=N (one peer)."""
    limits: dict[str, int] = {}
    for v in values:
        name, _, limit = v.rpartition("=")
        for p in ([name] if name else peers):
            limits[p] = int(limit)
    return limits


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip() or "unknown"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5, help="rounds; each runs every tool once (default 5)")
    p.add_argument("--peers", default="topicctl,terraform", help="peers to run, comma-separated ('' for none)")
    p.add_argument("--peer-max-topics", action="append", default=[], metavar="[PEER=]N",
                   help="skip a peer (or every peer) above N topics, e.g. terraform=2000; repeatable")
    p.add_argument("--peers-bin", type=Path, default=ROOT / ".bench-peers" / "bin",
                   help="where `make bench-peers` put the peers (default .bench-peers/bin)")
    p.add_argument("--terraform", default=shutil.which("terraform"), help="the Terraform CLI (default: on PATH)")
    p.add_argument("--topicctl-sleep", default="5ms", type=sleep_arg,
                   help="topicctl's sleep after each created topic (default 5ms; topicctl's own default is 2s)")
    p.add_argument("--terraform-parallelism", type=int, default=10, help="terraform -parallelism (its default, 10)")
    p.add_argument("--command-timeout", type=float, default=3600.0, help="seconds before a peer's run is killed")
    p.add_argument("--floor-visible", action="store_true",
                   help="the floor's create also waits until the cluster lists every topic (and says when its "
                        "requests were answered)")
    p.add_argument("--create-only", action="store_true",
                   help="only the create operation (with its checks and clean-up): the 10,000-topic create "
                        "comparison in a third of the time")
    args = p.parse_args()

    stack_up(("kafka", "connect"))  # what it uses: the other services would only load the machine
    precompile()
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    wanted = [x for x in args.peers.split(",") if x]
    limits = peer_limits(args.peer_max_topics, wanted)
    floor = Floor(visible=args.floor_visible)
    tools: list = [Kplan(), floor]
    tool_info: dict = {"kplan": {"available": True, "version": git_commit()},
                       "floor": {"available": True, "what": "bench/floor_create.py, floor_reads.py, floor_alter.py"
                                 + ("; create waits until every topic is listed (visible)" if floor.visible else "")}}
    for peer in ("topicctl", "terraform"):
        if peer not in wanted:
            tool_info[peer] = {"available": False, "why": "not asked for (--peers)"}
            continue
        if peer == "topicctl":
            info = available_topicctl(args.peers_bin / "topicctl")
            tool = Topicctl(args.peers_bin / "topicctl", args.topicctl_sleep, args.command_timeout)
            flags = tool.flags()
        else:
            info = available_terraform(args.terraform, args.peers_bin / f"terraform-provider-kafka_{PROVIDER_VERSION}")
            tool = Terraform(args.terraform or "", args.peers_bin, args.terraform_parallelism, args.command_timeout)
            flags = [f"-parallelism={args.terraform_parallelism}"]
        if info["available"]:
            info["flags"] = flags
        if info["available"] and peer in limits and args.topics > limits[peer]:
            info |= {"ran": False, "skipped": f"{args.topics} topics is above --peer-max-topics {limits[peer]}"}
        elif info["available"]:
            tools.append(tool)
        tool_info[peer] = info

    if args.create_only:
        for tool in tools:
            tool.operations = ("create",)  # one_round runs these
    names = [t.name for t in tools]
    results = {t: {"runs": {op: [None] * args.runs for op in OPERATIONS}, "rss": dict.fromkeys(OPERATIONS, 0),
                   "visible_after_exit_s": {op: [None] * args.runs for op in ("create", "change")},
                   "settled_after_create_s": [None] * args.runs}
               for t in names}
    errors: list = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kplan-compare-") as tmp:
        for r in range(args.runs):
            for name in rotated(names, r):
                tool = next(t for t in tools if t.name == name)
                print(f"[compare] round {r + 1}/{args.runs}: {name}", file=sys.stderr, flush=True)
                one_round(tool, args.topics, Path(tmp), admin, results, errors, r)
    admin.delete_topics(["kplancmp-probe"])["kplancmp-probe"].result(60)

    for name in names:
        tool_info[name]["operations"] = {
            op: per_operation(results[name]["runs"][op]) | {"peak_rss_mib": round(results[name]["rss"][op] / 1024, 1)}
            for op in OPERATIONS}
        tool_info[name]["visible_after_exit_s"] = results[name]["visible_after_exit_s"]
        tool_info[name]["settled_after_create_s"] = results[name]["settled_after_create_s"]
        if "cpu_s" in results[name]:
            tool_info[name]["cpu_s"] = results[name]["cpu_s"]
    if floor.visible:  # in-process seconds from the floor's start: its requests answered, its topics listed
        tool_info["floor"]["create_phases_s"] = floor.phases
    emit({
        "benchmark": "compare_peers",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "topics": args.topics,
        "runs": args.runs,
        "bootstrap": BOOTSTRAP,
        "each_topic": {"partitions": 1, "replication_factor": 1, "config": CONFIG},
        "change": {"topic": "the first", "config": dict([CHANGED])},
        "order": "round by round, every tool once per round, the order rotated by one each round",
        "operations": {"create": "N topics from nothing", "plan": "no-change plan / topicctl check / terraform plan",
                       "change": "one config of one topic, applied"},
        "tools": tool_info,
        "ratios": ratios({t: results[t]["runs"] for t in names}, OPERATIONS),
        "errors": errors,
        "wall_s": round(time.monotonic() - started, 1),
    })
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
