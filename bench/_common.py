"""Shared helpers for the benchmarks: the local stack's endpoints, timing of whole commands, bench resources."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

# The benchmarks measure what users run: the local broker with the JVM's default JIT, not the C1-only one CI's stack
# runs (a running C1-only broker is restarted; KPLAN_STACK_JIT=c1 keeps it). Set before the launcher is imported.
os.environ.setdefault("KPLAN_STACK_JIT", "default")

import localstack  # noqa: E402 - dev/localstack/: `make bench` puts dev/ on PYTHONPATH

ROOT = Path(__file__).resolve().parent.parent

BOOTSTRAP = os.environ.get("KPLAN_BOOTSTRAP", localstack.BOOTSTRAP)
# KPLAN_CONNECT_URL=none: no Connect worker (a topics-only benchmark against another cluster, e.g. the 3-broker one)
CONNECT = "" if os.environ.get("KPLAN_CONNECT_URL") == "none" else os.environ.get("KPLAN_CONNECT_URL",
                                                                                  localstack.CONNECT_URL)
# KPLAN_BOOTSTRAP set: the benchmarks use that cluster and start only the local services they still need (Connect,
# unless it is `none` or another worker)
EXTERNAL = "KPLAN_BOOTSTRAP" in os.environ


def stack_up(services: tuple[str, ...]) -> None:
    """Start (or reuse) the local stack's `services` this benchmark uses; against another cluster only those it still
    needs of them (none when KPLAN_CONNECT_URL names another worker or `none`)."""
    if EXTERNAL:
        services = tuple(s for s in services if s == "connect" and "KPLAN_CONNECT_URL" not in os.environ)
    if services:
        localstack.up(only=services)


def cluster_section(timeout: str = "60s") -> dict:
    """The generated stack files' `cluster`: the benchmark's broker, its Connect worker unless there is none."""
    return {"bootstrap_servers": BOOTSTRAP, **({"connect_url": CONNECT} if CONNECT else {}), "timeout": timeout}

# Runs a command in-process and prints its peak RSS (KiB) on the last stderr line, so memory is kplan's alone.
MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__') if not sys.argv[0].endswith('.py') else "
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as e:\n"
    "    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)\n"
    "me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write('\\nCPU_S=%.3f\\n' % (me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime))\n"
    "sys.stderr.write('\\nMAXRSS_KIB=%d\\n' % me.ru_maxrss)\n"
    "sys.exit(code)\n"
)


def _tree_rss_kib(pid: int) -> int:
    """The resident memory of a process and all its descendants now (KiB), from /proc; 0 once it is gone."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):  # children started by any of its threads
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def timed(argv: list[str], ok_codes=(0,), tree: bool = False, cpu: list[float] | None = None):
    """(seconds, peak RSS KiB, stdout) of one run of `python -m <module> args` or `python script args`; with
    `tree`, also the peak of the summed RSS of the process and its children (kplan's describe workers), sampled
    every 10 ms (at least the process's own peak). `cpu`, when given, receives the run's CPU seconds (user + system,
    its finished child processes included): on a shared, loaded machine they move far less than the wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", MEASURE, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    peak_tree = 0
    if tree:
        import threading

        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.wait(0.01):
                peak_tree = max(peak_tree, _tree_rss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    if tree:
        done.set()
        sampler.join()
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    rss = int(stderr.rsplit("MAXRSS_KIB=", 1)[1].split()[0])
    if cpu is not None:
        cpu.append(float(stderr.rsplit("CPU_S=", 1)[1].split()[0]))
    if tree:
        return elapsed, rss, stdout, max(peak_tree, rss)
    return elapsed, rss, stdout


def precompile() -> None:
    """kplan's bytecode written before timing, as `pip install` writes it: with PYTHONDONTWRITEBYTECODE set (as on
    some CI machines) every run would otherwise compile each module it imports from source, which no installed
    kplan does, and time the compiler instead of kplan."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "kplan"), quiet=1)


def interleaved_runs(commands: list[list[str]], runs: int, ok_codes=(0, 2)) -> list[dict]:
    """Each command once per round, `runs` rounds (so a busy moment of the machine hits all of them alike):
    min/median/max seconds and peak memory of each (`peak_rss_mib`: the process's own; `peak_tree_rss_mib`: with its
    worker processes, summed), and its CPU seconds (`cpu_s`). kplan runs from its precompiled bytecode
    (`precompile`)."""
    precompile()
    times: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    rss: list[list[int]] = [[] for _ in commands]
    tree_rss: list[list[int]] = [[] for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            t, m, _, tm = timed(argv, ok_codes, tree=True, cpu=cpus[i])
            times[i].append(t)
            rss[i].append(m)
            tree_rss[i].append(tm)
    return [{"min_s": round(min(ts), 3), "median_s": round(statistics.median(ts), 3), "max_s": round(max(ts), 3),
             "runs_s": [round(t, 3) for t in ts], "peak_rss_mib": round(max(ms) / 1024, 1),
             "peak_tree_rss_mib": round(max(tms) / 1024, 1),
             "cpu_s": {"min": round(min(cs), 3), "median": round(statistics.median(cs), 3), "max": round(max(cs), 3),
                       "runs": [round(c, 3) for c in cs]}}
            for ts, ms, tms, cs in zip(times, rss, tree_rss, cpus)]


def topic_names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-t-{i:05d}" for i in range(n)]


def ensure_topics(admin, names: list[str], config: dict[str, str], batch: int = 2000) -> int:
    from confluent_kafka.admin import NewTopic

    existing = set(admin.list_topics(timeout=30).topics)
    missing = [n for n in names if n not in existing]
    for i in range(0, len(missing), batch):
        futures = admin.create_topics([NewTopic(n, 1, 1, config=config) for n in missing[i:i + batch]],
                                      request_timeout=300)  # a broker busy making thousands of logs answers late
        for f in futures.values():
            f.result(320)
    return len(missing)


def ensure_connectors(names: list[str], topic: str, workers: int = 8) -> int:
    if not names:
        return 0
    existing = set(requests.get(f"{CONNECT}/connectors", timeout=30).json())
    missing = [n for n in names if n not in existing]

    def create(name: str) -> None:
        body = {"name": name, "initial_state": "STOPPED", "config": connector_config(topic)}
        for _ in range(20):
            r = requests.post(f"{CONNECT}/connectors", json=body, timeout=90)
            if r.status_code in (201, 409) and "rebalance" not in r.text.lower():
                return
            time.sleep(0.5)
        raise SystemExit(f"could not create connector {name}: {r.status_code} {r.text}")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, missing))
    return len(missing)


def connector_config(topic: str) -> dict[str, str]:
    return {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "1",
            "file": "/dev/null", "topic": topic}


def delete_prefix(admin, prefix: str, timeout_s: float = 600.0) -> None:
    """Delete every topic (and connector) with the prefix and wait until none is listed. A broker busy with
    thousands of partitions can time a delete request out (its topics then stay): those are asked again."""
    deadline = time.monotonic() + timeout_s
    while True:
        names = [n for n in admin.list_topics(timeout=60).topics if n.startswith(prefix + "-")]
        if not names or time.monotonic() > deadline:
            break
        for i in range(0, len(names), 2000):  # 2,000 records a request, far below the controller's 10,000
            for f in admin.delete_topics(names[i:i + 2000], request_timeout=300).values():
                try:
                    f.result(320)
                except Exception:  # noqa: BLE001 - gone already, or timed out: the next pass looks again
                    pass
        settle(admin, prefix, timeout_s=max(60.0, 0.02 * len(names)))
    if CONNECT:
        for name in requests.get(f"{CONNECT}/connectors", timeout=30).json():
            if name.startswith(prefix + "-"):
                requests.delete(f"{CONNECT}/connectors/{name}", timeout=90)


def settle(admin, prefix: str, timeout_s: float = 60.0) -> None:
    """Wait until no topic with the prefix is listed any more (deletions finish asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(n.startswith(prefix + "-") for n in admin.list_topics(timeout=60).topics):
            break
        time.sleep(0.5)  # each look is the whole cluster's metadata: at 25,000 topics not a small request
    time.sleep(1.0)


def broker_jit() -> str:
    """How the benchmark's broker compiles ("default", "C1 only"), read off its running JVM's command line; another
    cluster's is not known."""
    if EXTERNAL:
        return "unknown (another cluster: KPLAN_BOOTSTRAP)"
    from localstack.common import jit_of
    from localstack.kafka import broker_service
    from localstack.process import cmdline_of

    pid = broker_service().pid()
    return jit_of(cmdline_of(pid)) if pid is not None else "unknown (the local broker is not running)"


def emit(result: dict) -> None:
    print(json.dumps({**result, "broker_jit": broker_jit()}, indent=2))
