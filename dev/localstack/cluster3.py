"""A 3-broker KRaft cluster beside the stack (`dev/stack up --brokers 3`): three combined broker+controller
nodes with a 3-voter quorum, each in its own rack (`broker.rack` rack-a/b/c), plaintext on 127.0.0.1.

The single broker stays the default for speed; this cluster is what replication factors above 1,
`min.insync.replicas`, rack-aware placement, partition reassignment and a broker dying mid-apply need. It has
its own data (`<stack dir>/data/cluster3/node-N`), configs, logs and pid files (`kafka-N`), so it runs beside the
normal stack; ports come from `KPLAN_STACK_CLUSTER_PORT` (default 19100): node N listens on base+2(N-1) and
its controller on base+2(N-1)+1. A node counts as started when its controller port accepts connections (a
broker cannot serve before a quorum exists, so the nodes start one after another and are waited for together);
the cluster is ready when its metadata lists all three brokers.

Its Connect worker (`CONNECT`, REST on `KPLAN_STACK_CLUSTER_CONNECT_PORT`, default 19110) is started only by the
`multibroker_connect` fixture: the plain worker's config on this cluster, its storage topics with replication factor
3, and only the connect-file plugin on its plugin path (what its tests run; loading the Debezium plugins would cost
its every start). `down()` stops it before the nodes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .common import DEV, HOST, JIT, LocalStackError, new_cluster_id, quiet_logger, say, stack_dir
from .dist import ensure_dist
from .kafka import check_java, java_cmd, rendered, tiered_settings, write_config
from .overlay_worker import OverlayWorker
from .process import Service, stop_together

NODES = 3
BASE_PORT = int(os.environ.get("KPLAN_STACK_CLUSTER_PORT", "19100"))
RACKS = ("rack-a", "rack-b", "rack-c")


def node_port(node: int) -> int:
    return BASE_PORT + 2 * (node - 1)


def controller_port(node: int) -> int:
    return node_port(node) + 1


BOOTSTRAP = ",".join(f"{HOST}:{node_port(n)}" for n in range(1, NODES + 1))
CONNECT_PORT = int(os.environ.get("KPLAN_STACK_CLUSTER_CONNECT_PORT", "19110"))
CONNECT = OverlayWorker("connect-cluster3", CONNECT_PORT, f"""# the 3-broker cluster's Connect worker (cluster3.py)
bootstrap.servers={BOOTSTRAP}
group.id=kplan-dev-connect-cluster3
listeners=http://{HOST}:{CONNECT_PORT}
rest.advertised.port={CONNECT_PORT}
config.storage.replication.factor=3
offset.storage.replication.factor=3
status.storage.replication.factor=3
plugin.path=@DIST@/plugins/connect-file
""")


def _data(node: int) -> Path:
    return stack_dir() / "data" / "cluster3" / f"node-{node}"


def _config(node: int, dist: Path) -> str:
    voters = ",".join(f"{n}@{HOST}:{controller_port(n)}" for n in range(1, NODES + 1))
    return rendered("cluster-node.properties", dist, {
        "@NODE_ID@": str(node), "@RACK@": RACKS[node - 1], "@VOTERS@": voters, "@NODE_PORT@": str(node_port(node)),
        "@NODE_CONTROLLER_PORT@": str(controller_port(node)), "@NODE_DATA@": str(_data(node)),
        "@TIERED@": tiered_settings(dist, remote_store()),
    })


def remote_store() -> Path:
    """The cluster's "remote" tiered storage: LocalTieredStorage's directory, shared by the three nodes."""
    return stack_dir() / "data" / "cluster3" / "remote-storage"


def _cluster_id_file() -> Path:
    return stack_dir() / "data" / "cluster3" / "cluster-id"


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def node_service(node: int) -> Service:
    name = f"kafka-{node}"

    def prepare(dist: Path) -> None:
        config = write_config(f"cluster3-node-{node}.properties", _config(node, dist))
        if (_data(node) / "meta.properties").exists():
            return
        idf = _cluster_id_file()
        idf.parent.mkdir(parents=True, exist_ok=True)
        if not idf.exists():
            idf.write_text(new_cluster_id())
        proc = subprocess.run(
            [check_java(), *JIT, "-cp", str(dist / "lib" / "*"),
             f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}", "kafka.tools.StorageTool",
             "format", "-t", idf.read_text().strip(), "-c", str(config)],
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise LocalStackError(f"formatting {name}'s storage failed:\n{(proc.stdout + proc.stderr).strip()[-2000:]}")

    def command(dist: Path) -> list[str]:
        config = stack_dir() / "conf" / f"cluster3-node-{node}.properties"
        # 384 MiB holds what the tests create; a benchmark of tens of thousands of partitions needs more
        # (KPLAN_STACK_CLUSTER_HEAP=1g: a node died of OutOfMemoryError at 25,000 topics with 384 MiB).
        heap = os.environ.get("KPLAN_STACK_CLUSTER_HEAP", "384m")
        return java_cmd(dist, svc.marker, heap, "kafka.Kafka", str(config))

    svc = Service(name, (node_port(node), controller_port(node)), lambda: _port_open(controller_port(node)), command,
                  prepare)
    return svc


def nodes() -> list[Service]:
    return [node_service(n) for n in range(1, NODES + 1)]


def brokers_listed(bootstrap: str = BOOTSTRAP, timeout: float = 2.0) -> int:
    """How many brokers the cluster's metadata lists (0 when it cannot be asked)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 2000, "logger": quiet_logger()})
    try:
        return len(admin.list_topics(timeout=timeout).brokers)
    except Exception:  # noqa: BLE001 - not ready yet
        return 0
    finally:
        admin.__exit__(None, None, None)


def wait_brokers(count: int, timeout_s: float) -> None:
    """Until each broker, asked on its own listener, lists `count` brokers. Asking the cluster as a whole is not
    enough: a broker restarted soon after an unclean stop keeps its listener closed until its old registration
    expires (DUPLICATE_BROKER_REGISTRATION), while the others still list it by that old registration."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(brokers_listed(address) == count for address in BOOTSTRAP.split(",")):
            return
        time.sleep(0.5)
    raise LocalStackError(f"the 3-broker cluster did not list {count} brokers within {timeout_s:.0f}s "
                          f"(logs: {stack_dir() / 'logs'}/kafka-N.log)")


def up(timeout_s: float = 180.0) -> bool:
    """Start the nodes that are not running and wait for all three brokers; True if any was started."""
    svcs = nodes()
    if all(s.pid() is not None for s in svcs) and all(brokers_listed(a) == NODES for a in BOOTSTRAP.split(",")):
        return False
    check_java()
    dist = ensure_dist()
    started = False
    for svc in svcs:
        if svc.pid() is None:
            svc.pid_file.unlink(missing_ok=True)
            say(f"starting {svc.name} (log: {svc.log_file})")
            svc.start(dist)
            started = True
    for svc in svcs:
        svc.wait_ready(timeout_s)
    wait_brokers(NODES, timeout_s)
    say(f"3-broker cluster ready: bootstrap servers {BOOTSTRAP} (racks {', '.join(RACKS)})")
    return started


def stop_node(node: int) -> None:
    """Stop one node (SIGTERM, a clean shutdown): the others keep the quorum."""
    node_service(node).stop()


def start_node(node: int, timeout_s: float = 120.0) -> None:
    """Start one stopped node again and wait until the cluster lists all three brokers."""
    svc = node_service(node)
    if svc.pid() is None:
        svc.start(ensure_dist())
        svc.wait_ready(timeout_s)
    wait_brokers(NODES, timeout_s)


def down(wipe: bool = False) -> None:
    """Its Connect worker, then the three nodes at once: stopped one after another, the last one's clean shutdown
    waited for a quorum of controllers already gone and was killed after the launcher's 30 s grace period; together
    they stop cleanly in ~6 s."""
    CONNECT.down()
    stop_together(list(reversed(nodes())))
    if wipe:
        shutil.rmtree(stack_dir() / "data" / "cluster3", ignore_errors=True)


def status() -> bool:
    healthy = True
    for svc in nodes():
        pid = svc.pid()
        healthy = healthy and pid is not None
        print(f"{svc.name:14} " + (f"running (pid {pid})" if pid else "not running"))
    listed = brokers_listed() if healthy else 0
    print(f"3-broker cluster:  {BOOTSTRAP} ({listed} of {NODES} brokers listed)")
    return healthy and listed == NODES
