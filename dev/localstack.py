"""The local stack: a real Kafka broker (KRaft combined mode) and a real Kafka Connect worker, from Maven Central.

No Docker: the jars come from `dev/pom.xml` (the one place versions are pinned) through Maven into
`.stack/dist/`, and the processes run from there on 127.0.0.1. Everything the stack writes (data, logs, pid files,
rendered configs) lives under one directory, `.stack/` by default (`KPLAN_STACK_DIR` overrides it).

Used by `dev/stack` (the command line) and by the pytest fixture (tests/conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DEV = Path(__file__).resolve().parent
ROOT = DEV.parent
HOST = "127.0.0.1"
BROKER_PORT = int(os.environ.get("KPLAN_STACK_BROKER_PORT", "19092"))
CONTROLLER_PORT = int(os.environ.get("KPLAN_STACK_CONTROLLER_PORT", "19093"))
CONNECT_PORT = int(os.environ.get("KPLAN_STACK_CONNECT_PORT", "18083"))
BOOTSTRAP = f"{HOST}:{BROKER_PORT}"
CONNECT_URL = f"http://{HOST}:{CONNECT_PORT}"
START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_START_TIMEOUT", "180"))
STOP_TIMEOUT_S = 30.0
MIN_JAVA = 17


class StackError(Exception):
    """A launcher failure with a message meant for the user (no traceback)."""


def stack_dir() -> Path:
    return Path(os.environ.get("KPLAN_STACK_DIR", ROOT / ".stack")).resolve()


def _say(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- prerequisites


def check_java() -> str:
    java = shutil.which("java")
    if not java:
        raise StackError(
            "Java is not installed (need Java 17 or newer): install a JDK, e.g. `apt-get install openjdk-17-jdk-headless`"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(m.group(1)) if m else 0
    if major == 1 and m and m.group(2):
        major = int(m.group(2))
    if major < MIN_JAVA:
        raise StackError(f"Java {MIN_JAVA}+ is required, found {major or 'an unknown version'} at {java}")
    return java


def check_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError("Maven is not installed: install it, e.g. `apt-get install maven` (it fetches the Kafka jars)")
    return mvn


def pom_versions() -> dict[str, str]:
    """The pinned versions, read from dev/pom.xml (the single place they are written)."""
    text = (DEV / "pom.xml").read_text()
    return {k: v for k, v in re.findall(r"<(kafka|debezium|log4j)\.version>([^<]+)</", text)}


def dist_dir() -> Path:
    return stack_dir() / "dist"


def ensure_dist() -> Path:
    """Lay out the jars and plugins with Maven (downloads into ~/.m2 on first use; later runs reuse it)."""
    dist = dist_dir()
    digest = hashlib.sha256((DEV / "pom.xml").read_bytes()).hexdigest()
    stamp = dist / ".pom.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest and (dist / "lib").is_dir():
        return dist
    mvn = check_maven()
    _say(f"assembling Kafka {pom_versions().get('kafka')} + Debezium {pom_versions().get('debezium')} with Maven")
    if dist.exists():
        shutil.rmtree(dist)
    proc = subprocess.run(
        [mvn, "-B", "-q", "-f", str(DEV / "pom.xml"), "package", f"-Dstack.dist={dist}"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise StackError(
            "Maven could not fetch the stack's artifacts (is Maven Central reachable? see ~/.m2/settings.xml "
            f"for proxies):\n{tail}"
        )
    stamp.write_text(digest + "\n")
    return dist


# ----------------------------------------------------------------------------------------------- processes


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not reaped) is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Service:
    """One background process of the stack."""

    name: str
    ports: tuple[int, ...]
    ready: Callable[[], bool]
    command: Callable[[Path], list[str]]
    prepare: Callable[[Path], None] = lambda dist: None
    # Runs once the service is ready after a start (e.g. seeding the demo database on first use).
    after_start: Callable[[], None] = lambda: None
    stop_signal: int = signal.SIGTERM
    # Text on the process's command line that tells it apart from an unrelated process that reused its pid;
    # defaults to a -D marker put on the java command line.
    marker_text: str | None = None

    @property
    def marker(self) -> str:
        return self.marker_text or f"-Dkplan.stack={self.name}@{stack_dir()}"

    @property
    def pid_file(self) -> Path:
        return stack_dir() / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return stack_dir() / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        """The recorded pid if that process is alive and really ours, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if _pid_alive(pid) and self.marker in _cmdline(pid):
            return pid
        return None

    def has_stale_pid_file(self) -> bool:
        return self.pid_file.exists() and self.pid() is None

    def start(self, dist: Path) -> None:
        for port in self.ports:
            if not _port_free(port):
                raise StackError(
                    f"port {HOST}:{port} is already taken by another process; {self.name} needs it "
                    f"(find it with `ss -ltnp 'sport = :{port}'`, stop it, or change the port)"
                )
        self.prepare(dist)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name} ====\n".encode())
            log.flush()
            proc = subprocess.Popen(
                self.command(dist),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=stack_dir(),
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        self._proc = proc

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                proc = getattr(self, "_proc", None)
                if proc is not None:
                    try:  # let it finish writing its last words before we read the log
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                raise StackError(
                    f"{self.name} died on start; last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            if self.ready():
                return
            time.sleep(0.5)
        raise StackError(
            f"{self.name} did not become ready within {timeout_s:.0f}s; last lines of {self.log_file}:\n"
            f"{_tail(self.log_file)}"
        )

    def stop(self) -> bool:
        """SIGTERM the process group, then SIGKILL after a grace period. True if something was stopped."""
        pid = self.pid()
        stopped = False
        if pid is not None:
            _say(f"stopping {self.name} (pid {pid})")
            _signal_group(pid, self.stop_signal)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _pid_alive(pid):
                _say(f"{self.name} ignored {signal.Signals(self.stop_signal).name} for {STOP_TIMEOUT_S:.0f}s; killing it")
                _signal_group(pid, signal.SIGKILL)
                while _pid_alive(pid):
                    time.sleep(0.1)
            stopped = True
        self.pid_file.unlink(missing_ok=True)
        return stopped


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------------------------- the services


def _render(template: str, dest: Path, dist: Path) -> Path:
    text = (DEV / "conf" / template).read_text()
    values = {
        "@DATA@": str(stack_dir() / "data"),
        "@DIST@": str(dist),
        "@BROKER_PORT@": str(BROKER_PORT),
        "@CONTROLLER_PORT@": str(CONTROLLER_PORT),
        "@CONNECT_PORT@": str(CONNECT_PORT),
    }
    for k, v in values.items():
        text = text.replace(k, v)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)
    return dest


def _java_cmd(dist: Path, marker: str, heap: str, main: str, *args: str) -> list[str]:
    return [
        check_java(),
        marker,
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
        "-cp",
        str(dist / "lib" / "*"),
        main,
        *args,
    ]


def _broker_config(dist: Path) -> Path:
    return _render("broker.properties", stack_dir() / "conf" / "broker.properties", dist)


def _format_storage(dist: Path) -> None:
    """Format KRaft storage on first use (meta.properties marks a formatted log dir)."""
    config = _broker_config(dist)
    if (stack_dir() / "data" / "kafka" / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    _say(f"formatting broker storage (cluster id {cluster_id})")
    proc = subprocess.run(
        [check_java(), "-cp", str(dist / "lib" / "*"), f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
         "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise StackError(f"formatting Kafka storage failed:\n{(proc.stdout + proc.stderr).strip()[-2000:]}")


def _broker_ready() -> bool:
    """Ready when an admin metadata request succeeds (not merely when the port accepts connections)."""
    try:
        from confluent_kafka.admin import AdminClient
    except ImportError as e:  # the launcher runs in the project's virtualenv
        raise StackError("confluent-kafka is not installed: run `make venv` (or use `make stack-up`)") from e
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 2000, "logger": _quiet_logger()})
    try:
        md = admin.list_topics(timeout=2)
        return bool(md.brokers)
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False


def _quiet_logger():
    """librdkafka logs connection refusals while the broker starts; readiness polling expects them."""
    import logging

    log = logging.getLogger("kplan.stack.readiness")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


def _http_get(path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(CONNECT_URL + path, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def _connect_ready() -> bool:
    return _http_get("/health")[0] == 200


def _broker_service() -> Service:
    def command(dist: Path) -> list[str]:
        return _java_cmd(dist, broker.marker, "1g", "kafka.Kafka", str(stack_dir() / "conf" / "broker.properties"))

    broker = Service("kafka", (BROKER_PORT, CONTROLLER_PORT), _broker_ready, command, _format_storage)
    return broker


def _connect_service() -> Service:
    def prepare(dist: Path) -> None:
        _render("connect.properties", stack_dir() / "conf" / "connect.properties", dist)

    def command(dist: Path) -> list[str]:
        return _java_cmd(dist, connect.marker, "1g", "org.apache.kafka.connect.cli.ConnectDistributed",
                         str(stack_dir() / "conf" / "connect.properties"))

    connect = Service("connect", (CONNECT_PORT,), _connect_ready, command, prepare)
    return connect


def services() -> list[Service]:
    """In start order; stopped in reverse (Connect, then the broker, then PostgreSQL)."""
    return [_postgres_service(), _broker_service(), _connect_service()]


# ----------------------------------------------------------------------------------------------- PostgreSQL

PG_PORT = int(os.environ.get("KPLAN_STACK_PG_PORT", "15432"))
PG_USER = "postgres"
PG_PASSWORD = "kplan-dev"  # the local demo database's password; tests and the demo pass it by env var
PG_DATABASE = "demo"


def _pg_bin() -> Path:
    """Debian's server binaries live under /usr/lib/postgresql/<major>/bin, not on PATH. Installed on first use
    when missing (as root, from Debian's packages)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _say("installing PostgreSQL from Debian's packages (apt-get install postgresql)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise StackError(f"`{' '.join(cmd)}` failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
        return _pg_bin()
    raise StackError("PostgreSQL is not installed: install Debian's `postgresql` package (apt-get install postgresql)")


def _pg_data() -> Path:
    """Under the stack directory — unless the unprivileged `postgres` user cannot reach it (a checkout under
    /root, say), in which case a directory named after the stack directory under /var/tmp (wiped with it)."""
    inside = stack_dir() / "data" / "postgres"
    if os.geteuid() != 0 or _postgres_user_can_reach(stack_dir()):
        return inside
    return Path("/var/tmp") / f"kplan-stack-pg-{hashlib.sha256(str(stack_dir()).encode()).hexdigest()[:12]}"


def _postgres_user_can_reach(path: Path) -> bool:
    import pwd

    try:
        pg = pwd.getpwnam("postgres")
    except KeyError:
        return True  # no such user yet: the package install creates it with the default home
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        mode = st.st_mode
        can = (mode & 0o001) or (st.st_uid == pg.pw_uid and mode & 0o100) or (st.st_gid == pg.pw_gid and mode & 0o010)
        if not can:
            return False
    return True


def _as_pg_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the package's `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_prepare(dist: Path) -> None:
    data = _pg_data()
    if (data / "PG_VERSION").exists():
        return
    bin_dir = _pg_bin()
    data.mkdir(parents=True, exist_ok=True)
    pwfile = data.parent / f".{data.name}.pw"
    pwfile.parent.mkdir(parents=True, exist_ok=True)
    pwfile.write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    _say(f"initializing PostgreSQL in {data}")
    proc = subprocess.run(
        _as_pg_user([str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={pwfile}",
                     "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]),
        capture_output=True, text=True,
    )
    pwfile.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise StackError(f"initdb failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# kplan local stack: loopback only, logical decoding for Debezium\n"
            f"listen_addresses = '{HOST}'\nport = {PG_PORT}\nunix_socket_directories = '{data}'\n"
            "wal_level = logical\nmax_wal_senders = 20\nmax_replication_slots = 20\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )


def psql(sql: str, database: str = PG_DATABASE, check: bool = True) -> str:
    """Run SQL on the local PostgreSQL (over its unix socket, as the superuser); returns psql's output."""
    bin_dir = _pg_bin()
    proc = subprocess.run(
        [str(bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(_pg_data()),
         "-p", str(PG_PORT), "-U", PG_USER, "-d", database, "-c", sql],
        capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        raise StackError(f"psql failed: {proc.stderr.strip()}")
    return proc.stdout


def _pg_ready() -> bool:
    try:
        return psql("SELECT 1", database="postgres", check=False).strip() == "1"
    except StackError:
        return False


def _pg_seed() -> None:
    """Create the demo database on first use."""
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'", database="postgres").strip() == "1":
        return
    _say(f"creating the demo database {PG_DATABASE!r} (users, orders, products, customers, invoices)")
    psql(f"CREATE DATABASE {PG_DATABASE}", database="postgres")
    bin_dir = _pg_bin()
    proc = subprocess.run(
        [str(bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(_pg_data()), "-p", str(PG_PORT),
         "-U", PG_USER, "-d", PG_DATABASE, "-f", str(DEV / "conf" / "demo.sql")],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise StackError(f"seeding the demo database failed: {proc.stderr.strip()}")


def _postgres_service() -> Service:
    def command(dist: Path) -> list[str]:
        return _as_pg_user([str(_pg_bin() / "postgres"), "-D", str(_pg_data())])

    # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for Debezium's replication connection to end).
    return Service("postgres", (PG_PORT,), _pg_ready, command, _pg_prepare, after_start=_pg_seed,
                   stop_signal=signal.SIGINT, marker_text=f"-D {_pg_data()}")


def pg_endpoint() -> dict[str, str | int]:
    return {"host": HOST, "port": PG_PORT, "user": PG_USER, "password": PG_PASSWORD, "database": PG_DATABASE}


# ------------------------------------------------------------------------------------------------- commands


def endpoints() -> dict[str, str]:
    return {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT_URL}


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start what is not running; return True if anything was started. Idempotent on a healthy stack."""
    svcs = services()
    if all(s.pid() is not None and s.ready() for s in svcs):
        _say("already running and healthy")
        return False
    check_java()
    dist = ensure_dist()
    started = False
    for i, svc in enumerate(svcs):
        pid = svc.pid()
        if pid is not None:
            try:
                svc.wait_ready(min(timeout_s, 60.0))
                continue
            except StackError:
                _say(f"{svc.name} (pid {pid}) is running but not healthy; restarting it and what depends on it")
                for dependent in reversed(svcs[i:]):
                    dependent.stop()
        elif svc.has_stale_pid_file():
            _say(f"{svc.name} was left behind by a crashed run (stale pid file); restarting it cleanly")
            svc.pid_file.unlink(missing_ok=True)
            # what depends on a restarted service is restarted too, so it reconnects cleanly
            for dependent in reversed(svcs[i + 1:]):
                dependent.stop()
        _say(f"starting {svc.name} (log: {svc.log_file})")
        svc.start(dist)
        svc.wait_ready(timeout_s)
        svc.after_start()
        started = True
    _say(f"ready: bootstrap servers {BOOTSTRAP}, Connect {CONNECT_URL}, PostgreSQL {HOST}:{PG_PORT}/{PG_DATABASE}")
    return started


def down(wipe: bool = False) -> None:
    for svc in reversed(services()):
        svc.stop()
    if wipe:
        shutil.rmtree(_pg_data(), ignore_errors=True)
        for sub in ("data", "logs", "run", "conf"):
            shutil.rmtree(stack_dir() / sub, ignore_errors=True)
        _say(f"wiped data and logs under {stack_dir()} (the jars in {dist_dir()} are kept)")
    _say("stopped")


def status() -> bool:
    """Print what runs; True when every service is running and healthy."""
    healthy = True
    for svc in services():
        pid = svc.pid()
        if pid is None:
            state = "not running" + (" (stale pid file from a crashed run)" if svc.has_stale_pid_file() else "")
            healthy = False
        elif svc.ready():
            state = f"running (pid {pid}), healthy"
        else:
            state = f"running (pid {pid}), NOT ready"
            healthy = False
        print(f"{svc.name:8} {state}")
    print(f"bootstrap servers: {BOOTSTRAP}")
    print(f"connect url:       {CONNECT_URL}")
    print(f"postgresql:        {HOST}:{PG_PORT} database {PG_DATABASE!r} (user {PG_USER})")
    print(f"versions:          " + ", ".join(f"{k} {v}" for k, v in sorted(pom_versions().items())))
    print(f"data and logs:     {stack_dir()}")
    return healthy


def plugins() -> list[dict]:
    code, body = _http_get("/connector-plugins", timeout=10)
    if code != 200:
        raise StackError(f"Connect at {CONNECT_URL} did not list its plugins (HTTP {code or 'unreachable'})")
    return json.loads(body)


def logs(lines: int = 40) -> None:
    for svc in services():
        print(f"==> {svc.log_file} <==")
        print(_tail(svc.log_file, lines))


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="dev/stack", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="start the stack (idempotent); prints its endpoints")
    d = sub.add_parser("down", help="stop Connect, then the broker")
    d.add_argument("--wipe", action="store_true", help="also delete data and logs (a clean slate)")
    sub.add_parser("status", help="say what runs (exit 0 when healthy, 3 otherwise)")
    sub.add_parser("plugins", help="list Connect's connector plugins")
    lg = sub.add_parser("logs", help="show the tails of the logs")
    lg.add_argument("-n", type=int, default=40)
    sub.add_parser("env", help="print the endpoints as shell variables")
    q = sub.add_parser("psql", help="run SQL on the demo database")
    q.add_argument("sql")
    args = p.parse_args(argv)
    try:
        if args.cmd == "up":
            up()
            return 0
        if args.cmd == "down":
            down(wipe=args.wipe)
            return 0
        if args.cmd == "status":
            return 0 if status() else 3
        if args.cmd == "plugins":
            for pl in plugins():
                print(f"{pl.get('type', ''):7} {pl.get('class')}  {pl.get('version', '')}")
            return 0
        if args.cmd == "logs":
            logs(args.n)
            return 0
        if args.cmd == "psql":
            print(psql(args.sql), end="")
            return 0
        if args.cmd == "env":
            print(f"export KPLAN_BOOTSTRAP={BOOTSTRAP}\nexport KPLAN_CONNECT_URL={CONNECT_URL}\n"
                  f"export KPLAN_PG_HOST={HOST}\nexport KPLAN_PG_PORT={PG_PORT}\nexport KPLAN_PG_PASSWORD={PG_PASSWORD}")
            return 0
    except StackError as e:
        print(f"[stack] error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
