"""A judged health check that could not be made is not "in sync" (issue 41, defect 2), on the real stack: a
PostgreSQL CDC source reaches its database through a TCP proxy; once status is clean (exit 0), the proxy stops
accepting connections (the connector keeps the one it has). Status then shows the slot as not read and exits 2 with
one error naming the source, where it used to exit 0 as if the slot were healthy."""

from __future__ import annotations

import socket

from kplan_helpers import kplan, wait_for, write_stack
from test_cdc_health import PG_ENV, _pg_stack, _slot_row, pg  # noqa: F401 - pg is the fixture


def test_a_slot_whose_health_cannot_be_read_keeps_status_from_exit_0(stack, pg, tmp_path):  # noqa: F811
    prefix, source, table, proxy = pg
    slot = source.replace("-", "_")
    path = write_stack(tmp_path / "cdc.yaml", _pg_stack(stack, prefix, source, table, proxy.port))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    wait_for(lambda: (row := _slot_row(slot)) and row[0] == "t", timeout=90, what=f"slot {slot} active")
    wait_for(lambda: kplan("status", str(path), env=PG_ENV).code == 0, timeout=90, what="status exit 0")

    # new connections are refused; the connector's own stays open (shutdown first: a close alone leaves the socket
    # listening while the proxy's thread waits in accept)
    proxy.server.shutdown(socket.SHUT_RDWR)
    proxy.close()
    assert socket.socket().connect_ex(("127.0.0.1", proxy.port)) != 0
    r = kplan("status", str(path), env=PG_ENV)
    assert r.code == 2, r.text
    assert sum("PostgreSQL not read" in line for line in r.out.splitlines()) == 1, r.out
    errors = [line for line in r.text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"cdc source {source}: the health of its replication slot could not be read" \
        in errors[0], r.text
    assert "1 error" in r.out.splitlines()[-1], r.out
