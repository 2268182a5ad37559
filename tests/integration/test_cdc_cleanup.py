"""Destroying a PostgreSQL CDC source on the real stack: with `on_destroy` kplan drops the source's replication slot
and publication after deleting its connector (checked in pg_replication_slots / pg_publication); without it, they
stay and destroy prints the exact SQL to drop them, which works when run."""

from __future__ import annotations

import pytest
from kplan_helpers import base_stack, cleanup_pg_source, kplan, wait_for, write_stack

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


def _objects(slot: str, publication: str) -> tuple[bool, bool]:
    s = localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    p = localstack.psql(f"SELECT count(*) FROM pg_publication WHERE pubname = '{publication}'").strip()
    return s == "1", p == "1"


@pytest.fixture
def source(stack, admin, unique):
    prefix = unique("cdcdrop").replace("-", "_")
    name = f"{prefix}-pg".replace("_", "-")
    yield prefix, name
    cleanup_pg_source(admin, stack.connect_url, prefix, name)


def _stack(stack, prefix, name, **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": name, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "tables": ["users"], **extra}]
    return doc


def _created(stack, path, slot, publication):
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    wait_for(lambda: _objects(slot, publication) == (True, True), 60, "Debezium's slot and publication")


@pytest.mark.parametrize("opt_in", [True, False], ids=["on_destroy", "without"])
def test_destroy_drops_the_slot_and_publication_only_when_the_source_says_so(stack, source, tmp_path, opt_in):
    prefix, name = source
    slot, publication = name.replace("-", "_"), name.replace("-", "_") + "_pub"
    extra = {"on_destroy": {"drop_replication_slot": True, "drop_publication": True}} if opt_in else {}
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, name, **extra))
    _created(stack, path, slot, publication)

    r = kplan("plan", str(path), "--destroy", "--format", "markdown", env=PG_ENV)
    assert r.code == 0, r.text
    sql = f"SELECT pg_drop_replication_slot('{slot}'); DROP PUBLICATION \"{publication}\";"
    if opt_in:
        assert f"apply drops its replication slot '{slot}' and publication \"{publication}\"" in r.out, r.out
        assert sql not in r.out
    else:
        assert sql in r.out, r.out

    r = kplan("destroy", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    assert "Destroy complete!" in r.out, r.out
    if opt_in:
        assert (f"drop replication slot {slot} and publication {publication} of connector {name} (PostgreSQL "
                f"{localstack.PG_DATABASE} at 127.0.0.1:{localstack.PG_PORT}) ... done" in r.out), r.out
        assert _objects(slot, publication) == (False, False)
        assert localstack.PG_PASSWORD not in r.text
    else:
        # printed with the plan and again as the last words, and left in place
        assert r.out.count(sql) == 2, r.out
        assert r.out.rstrip().endswith(sql), r.out
        wait_for(lambda: localstack.psql(
            f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'").strip() == "f", 30,
            "the slot to be released")
        assert _objects(slot, publication) == (True, True)
        localstack.psql(sql)  # the printed SQL is exactly what drops them
        assert _objects(slot, publication) == (False, False)
