"""A second, separate broker (and Connect worker) started by the local stack's own launcher (`python -m localstack
up --only kafka` / `--only connect`, the code behind `dev/stack`) on ports of its own, with a data directory of its
own under the checkout (its jars are the session stack's: the dist directory is linked). Used by the
`--wait-for-cluster` tests and the several-cluster tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from confluent_kafka.admin import AdminClient
from kplan_helpers import ROOT

import localstack
from kplan.transport.kafka import dispose

STACK_PORT_VARS = ("KPLAN_STACK_BROKER_PORT", "KPLAN_STACK_CONTROLLER_PORT", "KPLAN_STACK_CONNECT_PORT",
                   "KPLAN_STACK_PG_PORT", "KPLAN_STACK_MARIADB_PORT", "KPLAN_STACK_SASL_PORT",
                   "KPLAN_STACK_CONNECT_SECURE_PORT")


def free_ports(count: int, first: int = 31150, last: int = 31199) -> list[int]:
    """Ports in first..last (below the ephemeral range) that nothing listens on and no stack of this session uses."""
    taken = {int(os.environ[v]) for v in STACK_PORT_VARS if os.environ.get(v, "").isdigit()}
    taken |= {localstack.BROKER_PORT, localstack.CONTROLLER_PORT, localstack.CONNECT_PORT, localstack.SASL_PORT,
              localstack.oidc.OIDC_PORT, localstack.msk_local.MSK_PORT}
    found = []
    for port in range(first, last + 1):
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"no free ports in {first}-{last} for a second broker")


class SecondStack:
    """A broker (and Connect worker) of its own, started and stopped by the launcher in a subprocess."""

    def __init__(self, directory: Path, ports: list[int]):
        self.dir = directory
        broker, controller, sasl, connect, oidc, msk = ports  # the broker's OIDC and MSK listeners too
        self.bootstrap = f"127.0.0.1:{broker}"
        self.connect_url = f"http://127.0.0.1:{connect}"
        self.registry_url = ""  # set by whoever starts its registry (on a port of their own)
        self.env = {**os.environ, "KPLAN_STACK_DIR": str(directory), "KPLAN_STACK_BROKER_PORT": str(broker),
                    "KPLAN_STACK_CONTROLLER_PORT": str(controller), "KPLAN_STACK_SASL_PORT": str(sasl),
                    "KPLAN_STACK_CONNECT_PORT": str(connect), "KPLAN_STACK_OIDC_PORT": str(oidc),
                    "KPLAN_STACK_MSK_PORT": str(msk),
                    "PYTHONPATH": os.pathsep.join([str(ROOT / "dev"), str(ROOT)])}

    def launcher(self, *args: str) -> float:
        """Runs `python -m localstack ARGS` (what dev/stack runs) for this stack; returns when it ended."""
        proc = subprocess.run([sys.executable, "-m", "localstack", *args], env=self.env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return time.monotonic()


@contextmanager
def second_stack(name: str, ports: list[int]) -> Iterator[SecondStack]:
    """A SecondStack in `.stack-<name>-<pid>` under the checkout, nothing started yet; afterwards it is stopped and
    its directory removed."""
    directory = ROOT / f".stack-{name}-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    (directory / "dist").symlink_to(localstack.dist_dir(), target_is_directory=True)  # the session stack's jars
    s = SecondStack(directory, ports)
    try:
        yield s
    finally:
        subprocess.run([sys.executable, "-m", "localstack", "down", "--wipe"], env=s.env, capture_output=True,
                       timeout=120, stdin=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)


class SharedSecond:
    """One second cluster per test process for the files that only need "another cluster" (a broker, its Connect
    worker, its registry), started a service at a time on first use and stopped at the session's end
    (tests/integration/conftest.py, `second_cluster`). tests/conftest.py's scheduler runs those files in one work
    unit, one after the other: one broker, worker and registry started instead of four brokers, three workers and a
    registry (each start 30-37 s of a loaded CI run). Their tests name everything they create with their own prefix,
    so they share it as they share the main stack."""

    SERVICES = ("kafka", "connect", "registry")

    def __init__(self) -> None:
        self._context = None
        self._stack: SecondStack | None = None
        self._up: set[str] = set()

    def get(self, *services: str) -> SecondStack:
        """The cluster with at least `services` running."""
        if self._stack is None:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
            first = 31300 + 20 * (int(worker) % 8 if worker.isdigit() else 0)  # a range per worker: 31300-31459
            ports = free_ports(7, first, first + 19)
            self._context = second_stack("second", ports[:6])
            self._stack = self._context.__enter__()
            self._stack.env["KPLAN_STACK_REGISTRY_PORT"] = str(ports[6])
            self._stack.registry_url = f"http://127.0.0.1:{ports[6]}/apis/ccompat/v7"
        for service in self.SERVICES:
            if service in services and service not in self._up:
                self._stack.launcher("up", "--only", service)
                self._up.add(service)
        return self._stack

    def close(self) -> None:
        """Stop and remove the cluster (a later `get` starts a new one)."""
        self._up = set()
        if self._context is not None:
            context, self._context, self._stack = self._context, None, None
            context.__exit__(None, None, None)


def topic_names(bootstrap: str) -> set[str]:
    """The topics a (plaintext) cluster lists."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        return set(admin.list_topics(timeout=10).topics)
    finally:
        dispose(admin)
