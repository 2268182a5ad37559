"""One PyMySQL session to a CDC source's MariaDB/MySQL, opened the same way for the plan's preflight
(kplan.cluster.mysql_preflight) and status's health read (kplan.cluster.cdc_health): the connector's own host,
port, user and resolved password, without TLS (the connector's `database.ssl.*` settings are not read), connect,
read and write each bounded by the stack's timeout. No command-line client is needed (the shipped image has none).
The password is only used to log in; PyMySQL's messages never quote it."""

from __future__ import annotations

from kplan.cluster.cdc_preflight import LoginRefused, Unreachable

_REFUSED = (1044, 1045, 1049, 1698)  # access denied to a database / for the user, unknown database


def where(host: str, port: int, user: str) -> str:
    return f"MariaDB/MySQL at {host}:{port} as {user}"


def error_text(e: Exception) -> str:
    """PyMySQL's message without its error code: `(1045, "Access denied ...")` -> `Access denied ...`."""
    return str(e.args[1]) if len(e.args) > 1 else str(e) or type(e).__name__


def error_code(e: Exception) -> int:
    return e.args[0] if e.args and isinstance(e.args[0], int) else 0


def connect(host: str, port: int, user: str, password: str, timeout_s: float):
    """An open connection (the caller closes it); LoginRefused when the server refused the login, Unreachable when
    it did not answer."""
    import pymysql

    wait = max(2, int(timeout_s))
    try:
        return pymysql.connect(host=host, port=port, user=user, password=password, connect_timeout=wait,
                               read_timeout=wait, write_timeout=wait)
    except pymysql.err.OperationalError as e:
        raise (LoginRefused(f"{where(host, port, user)} refused the login: {error_text(e)}")
               if error_code(e) in _REFUSED else Unreachable(f"{where(host, port, user)}: {error_text(e)}")) from None
    except pymysql.Error as e:
        raise Unreachable(f"{where(host, port, user)}: {e}") from None
