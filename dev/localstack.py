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
    return {k: v for k, v in re.findall(r"<(kafka|debezium|debezium\.mariadb|log4j)\.version>([^<]+)</", text)}


def dist_dir() -> Path:
    return stack_dir() / "dist"


def pom_digest() -> str:
    return hashlib.sha256((DEV / "pom.xml").read_bytes()).hexdigest()


def dist_current() -> bool:
    """True when the laid-out jars and plugins are the ones dev/pom.xml describes."""
    dist = dist_dir()
    stamp = dist / ".pom.sha256"
    return stamp.exists() and stamp.read_text().strip() == pom_digest() and (dist / "lib").is_dir()


def ensure_dist() -> Path:
    """Lay out the jars and plugins with Maven (downloads into ~/.m2 on first use; later runs reuse it).

    A changed pom is laid out beside the old dist and swapped in by two renames, so processes running from the old
    one (a broker, a Connect worker) never see a half-empty directory; concurrent launchers take turns."""
    dist = dist_dir()
    if dist_current():
        return dist
    dist.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dist.parent / ".dist.lock"):
        if dist_current():  # another launcher did it while we waited
            return dist
        digest = pom_digest()
        mvn = check_maven()
        v = pom_versions()
        _say(f"assembling Kafka {v.get('kafka')} + Debezium {v.get('debezium')} with Maven")
        fresh = dist.parent / "dist.new"
        old = dist.parent / "dist.old"
        for leftover in (fresh, old):
            shutil.rmtree(leftover, ignore_errors=True)
        proc = subprocess.run(
            [mvn, "-B", "-q", "-f", str(DEV / "pom.xml"), "package", f"-Dstack.dist={fresh}"],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            shutil.rmtree(fresh, ignore_errors=True)
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise StackError(
                "Maven could not fetch the stack's artifacts (is Maven Central reachable? see ~/.m2/settings.xml "
                f"for proxies):\n{tail}"
            )
        (fresh / ".pom.sha256").write_text(digest + "\n")
        if dist.exists():
            dist.rename(old)
        fresh.rename(dist)
        shutil.rmtree(old, ignore_errors=True)
    return dist


class _file_lock:
    """An exclusive advisory lock on a file, held for a `with` block."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the lock


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
    # Restart it when dev/pom.xml changed since it started (Connect loads its plugins only on start).
    restart_on_new_dist: bool = False

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

    @property
    def dist_file(self) -> Path:
        """The pom digest of the dist the running process was started from."""
        return stack_dir() / "run" / f"{self.name}.dist"

    def runs_old_dist(self) -> bool:
        if not self.restart_on_new_dist:
            return False
        try:
            return self.dist_file.read_text().strip() != pom_digest()
        except OSError:
            return True  # started before its dist was recorded: assume it is older

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
        self.dist_file.write_text(pom_digest() + "\n")
        self._proc = proc

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        proc = getattr(self, "_proc", None)
        while time.monotonic() < deadline:
            # A process this launcher just started is judged by whether it exited: for an instant after exec its
            # command line can read empty, and pid() would take it for a stranger that reused the pid.
            if (proc.poll() is not None) if proc is not None else (self.pid() is None):
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
        self.dist_file.unlink(missing_ok=True)
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

    connect = Service("connect", (CONNECT_PORT,), _connect_ready, command, prepare, restart_on_new_dist=True)
    return connect


def services() -> list[Service]:
    """In start order; stopped in reverse (Connect, then the broker, then MariaDB, then PostgreSQL)."""
    return [_postgres_service(), _mariadb_service(), _broker_service(), _connect_service()]


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
    if _apt_install("postgresql", "PostgreSQL"):
        return _pg_bin()
    raise StackError("PostgreSQL is not installed: install Debian's `postgresql` package (apt-get install postgresql)")


def _apt_install(package: str, what: str) -> bool:
    """Install a Debian package (as root, with apt-get); False when this machine cannot (not root, no apt-get)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    _say(f"installing {what} from Debian's packages (apt-get install {package})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _file_lock(Path("/var/tmp/kplan-stack-apt.lock")):  # two launchers must not run apt-get at once
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise StackError(f"`{' '.join(cmd)}` failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    return True


def _pg_data() -> Path:
    """Under the stack directory — unless the unprivileged `postgres` user cannot reach it (a checkout under
    /root, say), in which case a directory named after the stack directory under /var/tmp (wiped with it)."""
    return _service_data_dir("postgres", "postgres", "pg")


def _service_data_dir(subdir: str, user: str, short: str) -> Path:
    """A database's data directory: under the stack directory — unless, running as root, the unprivileged user the
    server runs as cannot reach it (a checkout under /root, say); then a directory named after the stack directory
    under /var/tmp (wiped with it)."""
    inside = stack_dir() / "data" / subdir
    if os.geteuid() != 0 or _user_can_reach(user, stack_dir()):
        return inside
    return Path("/var/tmp") / f"kplan-stack-{short}-{hashlib.sha256(str(stack_dir()).encode()).hexdigest()[:12]}"


def _user_can_reach(user: str, path: Path) -> bool:
    import pwd

    try:
        pw = pwd.getpwnam(user)
        uid, gid = pw.pw_uid, pw.pw_gid
    except KeyError:
        # not created yet (the package install creates it, owning nothing here): only what others may do counts,
        # so the answer is the same before and after the install
        uid = gid = -1
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        mode = st.st_mode
        can = (mode & 0o001) or (st.st_uid == uid and mode & 0o100) or (st.st_gid == gid and mode & 0o010)
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


# -------------------------------------------------------------------------------------------------- MariaDB

MY_PORT = int(os.environ.get("KPLAN_STACK_MARIADB_PORT", "13306"))
MY_USER = "debezium"  # what CDC connectors log in as, over TCP (REPLICATION SLAVE/CLIENT, SELECT, RELOAD, ...)
MY_PASSWORD = "kplan-dev"  # the local demo database's password; tests and the demo pass it by env var
MY_DATABASE = "demo"
MY_SERVER_ID = 1  # the server's own id; each Debezium connector needs another one (database.server.id)


def _my_tool(*names: str) -> str | None:
    """A MariaDB program by its current or its older name; the server lives in /usr/sbin, off most users' PATH."""
    for name in names:
        for found in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
            if found and os.access(found, os.X_OK):
                return found
    return None


def _my_bins(install: bool = True) -> dict[str, str]:
    """The server, mariadb-install-db and the client, from Debian's `mariadb-server` package — installed on first
    use when missing (as root)."""
    bins = {"server": _my_tool("mariadbd", "mysqld"), "install_db": _my_tool("mariadb-install-db", "mysql_install_db"),
            "client": _my_tool("mariadb", "mysql")}
    if all(bins.values()):
        return bins  # type: ignore[return-value]
    if install and _apt_install("mariadb-server", "MariaDB"):
        return _my_bins(install=False)
    missing = ", ".join(k for k, v in bins.items() if not v)
    raise StackError(f"MariaDB is not installed (no {missing}): install Debian's `mariadb-server` package "
                     "(apt-get install mariadb-server)")


def _my_data() -> Path:
    return _service_data_dir("mariadb", "mysql", "mariadb")


def _my_socket() -> Path:
    return _my_data() / "mysqld.sock"


def _my_admin() -> str:
    """The administrative account mariadb-install-db creates for the OS user running it, authenticated by the unix
    socket (no password): root when we are root, else the current user."""
    import pwd

    return "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _my_prepare(dist: Path) -> None:
    """Create the server's own data directory on first use (a half-initialized one from a crashed run is redone)."""
    data = _my_data()
    done = data / "kplan-initialized"
    if done.exists():
        return
    bins = _my_bins()
    if data.exists():
        _say(f"{data} holds an unfinished MariaDB initialization; starting it over")
        shutil.rmtree(data)
    data.mkdir(parents=True)
    cmd = [bins["install_db"], "--no-defaults", f"--datadir={data}", "--skip-test-db", "--skip-name-resolve",
           "--auth-root-authentication-method=socket"]
    if os.geteuid() == 0:
        # mariadbd refuses to run as root: like initdb, run it as the package's unprivileged `mysql` user
        shutil.chown(data, "mysql", "mysql")
        cmd = ["runuser", "-u", "mysql", "--", *cmd, "--user=mysql"]
    else:
        cmd = [*cmd, f"--user={_my_admin()}"]
    _say(f"initializing MariaDB in {data}")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise StackError(f"mariadb-install-db failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    done.write_text("mariadb-install-db done\n")


def _my_client(database: str | None = None) -> list[str]:
    cmd = [_my_bins(install=False)["client"], "--no-defaults", f"--socket={_my_socket()}", "-u", _my_admin(),
           "-N", "-B"]
    return [*cmd, "-D", database] if database else cmd


def mysql(sql: str, database: str = MY_DATABASE, check: bool = True) -> str:
    """Run SQL on the local MariaDB (over its unix socket, as the administrator); returns the client's output,
    tab-separated, without column names."""
    proc = subprocess.run([*_my_client(database), "-e", sql], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise StackError(f"mariadb failed: {proc.stderr.strip()}")
    return proc.stdout


def _my_ready() -> bool:
    try:
        return mysql("SELECT 1", database="mysql", check=False).strip() == "1"
    except StackError:  # not installed: not ready
        return False


def _my_seed() -> None:
    """Create the demo database and the Debezium user on first use (redone from scratch if a run died midway)."""
    done = _my_data() / "kplan-seeded"
    if done.exists():
        return
    _say(f"creating the MariaDB demo database {MY_DATABASE!r} (users, orders, products, customers, invoices) "
         f"and the user {MY_USER!r}")
    script = f"DROP DATABASE IF EXISTS {MY_DATABASE};\n" + (DEV / "conf" / "mariadb-demo.sql").read_text()
    proc = subprocess.run(_my_client(), input=script, capture_output=True, text=True)
    if proc.returncode != 0:
        raise StackError(f"seeding the MariaDB demo database failed: {proc.stderr.strip()}")
    done.write_text("dev/conf/mariadb-demo.sql done\n")


def _mariadb_service() -> Service:
    def command(dist: Path) -> list[str]:
        bins = _my_bins()
        data = _my_data()
        cmd = [
            bins["server"], "--no-defaults", f"--datadir={data}",
            f"--port={MY_PORT}", f"--bind-address={HOST}", "--skip-networking=0", f"--socket={_my_socket()}",
            f"--pid-file={data / 'mysqld.pid'}", "--skip-name-resolve",
            # what Debezium needs: the binlog, row-based, with full row images
            "--log-bin=binlog", "--binlog-format=ROW", "--binlog-row-image=FULL", f"--server-id={MY_SERVER_ID}",
            "--expire-logs-days=7", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
            # a small, fast, throwaway instance
            "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2",
            "--sync-binlog=0", "--performance-schema=OFF",
        ]
        if os.geteuid() == 0:
            # mariadbd drops to the `mysql` user itself. Not through runuser, as PostgreSQL is: runuser SIGKILLs its
            # child two seconds after forwarding a signal, which would cut a clean shutdown short.
            cmd.append("--user=mysql")
        return cmd

    # SIGTERM is mariadbd's clean shutdown. The data directory on the command line tells our server apart.
    return Service("mariadb", (MY_PORT,), _my_ready, command, _my_prepare, after_start=_my_seed,
                   stop_signal=signal.SIGTERM, marker_text=f"--datadir={_my_data()} ")


def mariadb_endpoint() -> dict[str, str | int]:
    return {"host": HOST, "port": MY_PORT, "user": MY_USER, "password": MY_PASSWORD, "database": MY_DATABASE}


# ------------------------------------------------------------------------------------------------- commands


def endpoints() -> dict[str, str]:
    return {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT_URL}


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start what is not running; return True if anything was started. Idempotent on a healthy stack."""
    svcs = services()
    if dist_current() and all(s.pid() is not None and s.ready() and not s.runs_old_dist() for s in svcs):
        _say("already running and healthy")
        return False
    check_java()
    dist = ensure_dist()
    started = False
    for i, svc in enumerate(svcs):
        pid = svc.pid()
        if pid is not None and svc.runs_old_dist():
            _say(f"{svc.name} (pid {pid}) runs from an older dev/pom.xml; restarting it to load the new plugins")
            for dependent in reversed(svcs[i:]):
                dependent.stop()
            pid = None
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
    _say(f"ready: bootstrap servers {BOOTSTRAP}, Connect {CONNECT_URL}, PostgreSQL {HOST}:{PG_PORT}/{PG_DATABASE}, "
         f"MariaDB {HOST}:{MY_PORT}/{MY_DATABASE}")
    return started


def down(wipe: bool = False) -> None:
    for svc in reversed(services()):
        svc.stop()
    if wipe:
        shutil.rmtree(_pg_data(), ignore_errors=True)
        shutil.rmtree(_my_data(), ignore_errors=True)
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
    print(f"mariadb:           {HOST}:{MY_PORT} database {MY_DATABASE!r} (user {MY_USER})")
    print("versions:          " + ", ".join(f"{k} {v}" for k, v in sorted(pom_versions().items())))
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
    d = sub.add_parser("down", help="stop Connect, then the broker, then the databases")
    d.add_argument("--wipe", action="store_true", help="also delete data and logs (a clean slate)")
    sub.add_parser("status", help="say what runs (exit 0 when healthy, 3 otherwise)")
    sub.add_parser("plugins", help="list Connect's connector plugins")
    lg = sub.add_parser("logs", help="show the tails of the logs")
    lg.add_argument("-n", type=int, default=40)
    sub.add_parser("env", help="print the endpoints as shell variables")
    q = sub.add_parser("psql", help="run SQL on the PostgreSQL demo database")
    q.add_argument("sql")
    m = sub.add_parser("mysql", help="run SQL on the MariaDB demo database")
    m.add_argument("sql")
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
        if args.cmd == "mysql":
            print(mysql(args.sql), end="")
            return 0
        if args.cmd == "env":
            print(f"export KPLAN_BOOTSTRAP={BOOTSTRAP}\nexport KPLAN_CONNECT_URL={CONNECT_URL}\n"
                  f"export KPLAN_PG_HOST={HOST}\nexport KPLAN_PG_PORT={PG_PORT}\n"
                  f"export KPLAN_PG_PASSWORD={PG_PASSWORD}\n"
                  f"export KPLAN_MARIADB_HOST={HOST}\nexport KPLAN_MARIADB_PORT={MY_PORT}\n"
                  f"export KPLAN_MARIADB_PASSWORD={MY_PASSWORD}")
            return 0
    except StackError as e:
        print(f"[stack] error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
