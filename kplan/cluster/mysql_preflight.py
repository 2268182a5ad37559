"""CDC preflight's reads on MariaDB/MySQL (PyMySQL): the binlog settings, the user's grants and the captured
databases' tables, in one session (kplan.cluster.mysql_session) bounded by the stack's timeout. Reads only; the
password is used to connect and never appears in a message. The connector kind judges what it read (the connector's
validation puts the two together, kplan.cluster.connect_validation)."""

from __future__ import annotations

from kplan.cluster.cdc_preflight import LoginRefused
from kplan.cluster.mysql_session import connect, error_text, where
from kplan.model.cdc_preflight import MyFacts

_SETTINGS = "SELECT CURRENT_USER(), @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image"
_TABLES = "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({})"


def read_mysql(config: dict, tables: tuple[str, ...], timeout_s: float) -> MyFacts:
    import pymysql

    host, port = config.get("database.hostname", ""), int(config.get("database.port") or 3306)
    user = config.get("database.user") or ""
    conn = connect(host, port, user, config.get("database.password") or "", timeout_s)
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
        raise LoginRefused(f"{where(host, port, user)}: a preflight query failed: {error_text(e)}") from None
    finally:
        conn.close()
