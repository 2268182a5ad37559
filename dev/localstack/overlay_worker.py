"""A Kafka Connect worker whose config is the plain worker's (dev/conf/connect.properties: the same converters and
config providers) with keys laid over it: its own Connect cluster (group.id, storage topics) and REST port, and, for
the 3-broker cluster's worker, its own Kafka (bootstrap.servers) and plugins (`@DIST@` is the dist directory). The
second worker on the local Kafka (connect2.py) and the 3-broker cluster's worker (cluster3.py) are two of them. Lazy:
only its `up()` starts it. It counts as ready when `GET /health` answers 200; its config changed restarts it on the
next `up()`."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from .common import HOST, say, stack_dir
from .connect_secure import _overlay
from .dist import dist_dir, ensure_dist
from .kafka import config_changed, java_cmd, rendered, write_config
from .process import Service


class OverlayWorker:
    def __init__(self, name: str, port: int, overrides: str, heap: str = "1g") -> None:
        self.name, self.port, self.heap = name, port, heap
        self.url = f"http://{HOST}:{port}"
        self.config = f"{name}.properties"
        self._overrides = overrides

    def _expected(self) -> dict[str, str]:
        dist = dist_dir()  # `@DIST@` in the overrides too, as in the template
        overrides = self._overrides.replace("@DIST@", str(dist))
        return {self.config: _overlay(rendered("connect.properties", dist), overrides)}

    def http_get(self, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
        """GET on the worker's REST API: (status, body), status 0 when unreachable."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (OSError, urllib.error.URLError):
            return 0, b""

    def service(self) -> Service:
        def prepare(dist: Path) -> None:
            for name, text in self._expected().items():
                write_config(name, text)

        def command(dist: Path) -> list[str]:
            return java_cmd(dist, worker.marker, self.heap, "org.apache.kafka.connect.cli.ConnectDistributed",
                            str(stack_dir() / "conf" / self.config))

        worker = Service(self.name, (self.port,), lambda: self.http_get("/health")[0] == 200, command, prepare,
                         restart_on_new_dist=True, outdated=lambda: config_changed(self._expected()))
        return worker

    def up(self, timeout_s: float) -> bool:
        """Start the worker if it does not run (its Kafka must be up); True if it was started."""
        svc = self.service()
        if svc.pid() is not None and svc.restart_reason() is None:
            svc.wait_ready(timeout_s)
            return False
        if svc.pid() is not None:
            svc.stop()
        say(f"starting {self.name} (log: {svc.log_file})")
        svc.start(ensure_dist())
        svc.wait_ready(timeout_s)
        say(f"ready: Connect worker {self.name} {self.url}")
        return True

    def down(self) -> None:
        self.service().stop()
