"""Test scaffolding: a logical replication client that holds a PostgreSQL replication slot without ever moving it.

`pg_recvlogical` cannot do that: it confirms the WAL end of every keepalive it answers (and every change it
receives), so a slot it holds advances past the position a deleted connector's restored offset points at, and
Debezium then refuses the re-created connector ("trying to read change stream starting at ... no longer
available"). This client answers with position 0 (InvalidXLogRecPtr), which PostgreSQL's walsender takes as a
sign of life and never as a confirmation, so the slot stays where its last reader left it.

Run: python slot_holder.py <socket dir> <port> <user> <database> <slot> <publication>; it prints "holding" once
PostgreSQL streams to it, then holds until killed (SIGKILL: it has nothing to confirm on the way out)."""

from __future__ import annotations

import select
import struct
import sys
import time

from psycopg import pq

APPLICATION_NAME = "kplan-test-slot-holder"
_PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds: the replication protocol's clock starts there


def _status_update() -> bytes:
    """A standby status update ('r'): written, flushed and applied all 0 (nothing confirmed), no reply asked."""
    now_us = int((time.time() - _PG_EPOCH) * 1_000_000)
    return struct.pack(">cqqqqB", b"r", 0, 0, 0, now_us, 0)


def hold(socket_dir: str, port: str, user: str, database: str, slot: str, publication: str) -> int:
    conninfo = (f"host={socket_dir} port={port} user={user} dbname={database} replication=database "
                f"application_name={APPLICATION_NAME}")
    conn = pq.PGconn.connect(conninfo.encode())
    if conn.status != pq.ConnStatus.OK:
        print(f"cannot connect: {conn.error_message.decode().strip()}", file=sys.stderr)
        return 1
    result = conn.exec_(f"START_REPLICATION SLOT {slot} LOGICAL 0/0 (proto_version '1', "
                        f"publication_names '{publication}')".encode())
    if result.status != pq.ExecStatus.COPY_BOTH:
        print(f"START_REPLICATION refused: {conn.error_message.decode().strip()}", file=sys.stderr)
        return 1
    print("holding", flush=True)
    # a status update every 5 s keeps the walsender from ending this client (wal_sender_timeout: 60 s here); not one
    # per message: the walsender answers each with a keepalive (its client has confirmed nothing), a ping-pong
    next_update = time.monotonic()
    while True:
        select.select([conn.socket], [], [], max(0.0, next_update - time.monotonic()))
        conn.consume_input()
        while True:
            size, _data = conn.get_copy_data(1)  # changes and keepalives alike: read and dropped
            if size == 0:
                break
            if size < 0:
                print(f"the stream ended: {conn.error_message.decode().strip()}", file=sys.stderr)
                return 1
        if time.monotonic() >= next_update:
            conn.put_copy_data(_status_update())
            conn.flush()
            next_update = time.monotonic() + 5


if __name__ == "__main__":
    sys.exit(hold(*sys.argv[1:7]))
