"""CDC preflight's reads on MariaDB/MySQL (PyMySQL): the binlog settings, the user's grants and the captured
databases' tables, in one session bounded by the stack's timeout. Reads only; the password is used to connect and
never appears in a message. The checks themselves: kplan.kinds.connector.preflight.check_mysql."""

from __future__ import annotations

from kplan.cluster.cdc_preflight import LoginRefused, Unreachable
from kplan.kinds.connector.preflight import Finding, MyFacts, check_mysql

_SETTINGS = "SELECT CURRENT_USER(), @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image"
_TABLES = "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({})"
_REFUSED = (1044, 1045, 1049, 1698)  # access denied to a database / for the user, unknown database


def read_mysql(config: dict, tables: tuple[str, ...], timeout_s: float) -> MyFacts:
    import pymysql

    host, port = config.get("database.hostname", ""), int(config.get("database.port") or 3306)
    user = config.get("database.user") or ""
    where = f"MariaDB/MySQL at {host}:{port} as {user}"
    wait = max(2, int(timeout_s))
    try:
        conn = pymysql.connect(host=host, port=port, user=user, password=config.get("database.password") or "",
                               connect_timeout=wait, read_timeout=wait, write_timeout=wait)
    except pymysql.err.OperationalError as e:
        code = e.args[0] if e.args else 0
        msg = str(e.args[1]) if len(e.args) > 1 else str(e)
        raise (LoginRefused(f"{where} refused the login: {msg}") if code in _REFUSED
               else Unreachable(f"{where}: {msg}")) from None
    except pymysql.Error as e:
        raise Unreachable(f"{where}: {e}") from None
    try:
        with conn.cursor() as cur:
            cur.execute(_SETTINGS)
            row = cur.fetchone()
            assert row is not None
            cur.execute("SHOW GRANTS FOR CURRENT_USER")
            grants = tuple(str(r[0]) for r in cur.fetchall())
            dbs = sorted({t.split(".", 1)[0] for t in tables})
            cur.execute(_TABLES.format(", ".join(["%s"] * len(dbs))), dbs)
            found = frozenset(str(r[0]) for r in cur.fetchall())
        return MyFacts(str(row[0]).split("@", 1)[0], str(row[1]) in ("1", "ON"), str(row[2]), str(row[3]), grants,
                       found)
    except pymysql.Error as e:
        raise LoginRefused(f"{where}: a preflight query failed: {e.args[1] if len(e.args) > 1 else e}") from None
    finally:
        conn.close()


def mysql_findings(config: dict, tables: tuple[str, ...], timeout_s: float) -> list[Finding]:
    return check_mysql(read_mysql(config, tables, timeout_s), tables)
