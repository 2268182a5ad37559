"""MariaDB for the CDC demo: its own server (mariadb-install-db) with the binlog Debezium needs, the seeded `demo`
database and the `debezium` account.

Debian's `mariadb-server` package (installed on first use when missing and running as root) provides the programs;
the server is run directly with everything on its command line (`--no-defaults`): row-based binlog with full row
images, server id 1, loopback only, small and throwaway. mysql() talks to it over its unix socket as the
administrator the socket authenticates; Debezium and the tests log in over TCP as `debezium`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .common import DEV, HOST, LocalStackError, apt_install, say, service_data_dir
from .process import Service

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


def my_bins(install: bool = True) -> dict[str, str]:
    """The server, mariadb-install-db and the client, from Debian's `mariadb-server` package — installed on first
    use when missing (as root)."""
    bins = {"server": _my_tool("mariadbd", "mysqld"), "install_db": _my_tool("mariadb-install-db", "mysql_install_db"),
            "client": _my_tool("mariadb", "mysql")}
    if all(bins.values()):
        return bins  # type: ignore[return-value]
    if install and apt_install("mariadb-server", "MariaDB"):
        return my_bins(install=False)
    missing = ", ".join(k for k, v in bins.items() if not v)
    raise LocalStackError(f"MariaDB is not installed (no {missing}): install Debian's `mariadb-server` package "
                          "(apt-get install mariadb-server)")


def my_data() -> Path:
    return service_data_dir("mariadb", "mysql", "mariadb")


def _my_socket() -> Path:
    return my_data() / "mysqld.sock"


def _my_admin() -> str:
    """The administrative account mariadb-install-db creates for the OS user running it, authenticated by the unix
    socket (no password): root when we are root, else the current user."""
    import pwd

    return "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _my_prepare(dist: Path) -> None:
    """Create the server's own data directory on first use (a half-initialized one from a crashed run is redone)."""
    data = my_data()
    done = data / "kplan-initialized"
    if done.exists():
        return
    bins = my_bins()
    if data.exists():
        say(f"{data} holds an unfinished MariaDB initialization; starting it over")
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
    say(f"initializing MariaDB in {data}")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LocalStackError(f"mariadb-install-db failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    done.write_text("mariadb-install-db done\n")


def _my_client(database: str | None = None) -> list[str]:
    cmd = [my_bins(install=False)["client"], "--no-defaults", f"--socket={_my_socket()}", "-u", _my_admin(),
           "-N", "-B"]
    return [*cmd, "-D", database] if database else cmd


def mysql(sql: str, database: str = MY_DATABASE, check: bool = True) -> str:
    """Run SQL on the local MariaDB (over its unix socket, as the administrator); returns the client's output,
    tab-separated, without column names."""
    proc = subprocess.run([*_my_client(database), "-e", sql], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise LocalStackError(f"mariadb failed: {proc.stderr.strip()}")
    return proc.stdout


def _my_ready() -> bool:
    try:
        return mysql("SELECT 1", database="mysql", check=False).strip() == "1"
    except LocalStackError:  # not installed: not ready
        return False


def _my_seed() -> None:
    """Create the demo database and the Debezium user on first use (redone from scratch if a run died midway)."""
    done = my_data() / "kplan-seeded"
    if done.exists():
        return
    say(f"creating the MariaDB demo database {MY_DATABASE!r} (users, orders, products, customers, invoices) "
        f"and the user {MY_USER!r}")
    script = f"DROP DATABASE IF EXISTS {MY_DATABASE};\n" + (DEV / "conf" / "mariadb-demo.sql").read_text()
    proc = subprocess.run(_my_client(), input=script, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LocalStackError(f"seeding the MariaDB demo database failed: {proc.stderr.strip()}")
    done.write_text("dev/conf/mariadb-demo.sql done\n")


def mariadb_service() -> Service:
    def command(dist: Path) -> list[str]:
        bins = my_bins()
        data = my_data()
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
                   stop_signal=signal.SIGTERM, marker_text=f"--datadir={my_data()} ")


def mariadb_endpoint() -> dict[str, str | int]:
    return {"host": HOST, "port": MY_PORT, "user": MY_USER, "password": MY_PASSWORD, "database": MY_DATABASE}
