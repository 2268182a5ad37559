"""CDC health in the status report (docs/cdc-health.md): the pure judgement of a replication slot, the binlog lag,
how an unhealthy slot changes a connector's status and the exit code, the text and JSON, the stack's threshold."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

import pytest
from test_status_report import connector, lconn, live, report_of, stack

from kplan.kinds.connector.health import with_cdc_health
from kplan.kinds.connector.io.health import health_engine
from kplan.model.cdc_health import (
    DEFAULT_MAX_RETAINED_WAL,
    BinlogState,
    CdcHealth,
    SlotState,
    assess_slot,
    binlog_text,
    size_text,
    slot_problems,
)
from kplan.model.source import Origin
from kplan.model.status import Status
from kplan.render.status import render_status
from kplan.stackfile import validate_stack

MiB = 1024**2


def slot(**kw) -> SlotState:
    return SlotState(**{"slot": "s1", "exists": True, "active": True, "active_pid": 42, "retained_wal": 10,
                        "flush_lag": 5, **kw})


def test_a_healthy_slot_has_no_problem():
    assert slot_problems(slot(), True, MiB) == ()


def test_a_missing_slot_is_one_problem():
    assert slot_problems(SlotState("s1", False), True, MiB) == ("replication slot s1 does not exist",)


def test_an_inactive_slot_is_a_problem_only_while_the_connector_should_run():
    assert slot_problems(slot(active=False), True, MiB) == (
        "replication slot s1 is inactive while its connector should run",)
    assert slot_problems(slot(active=False), False, MiB) == ()


def test_retaining_more_wal_than_the_threshold_is_a_problem_at_the_threshold_not():
    assert slot_problems(slot(retained_wal=MiB), True, MiB) == ()
    assert slot_problems(slot(retained_wal=MiB + 1), True, MiB) == (
        "replication slot s1 retains 1.0 MiB of WAL, more than 1.0 MiB",)


def test_lost_wal_is_a_problem():
    assert "wal_status lost" in slot_problems(slot(wal_status="lost"), True, MiB)[0]


def test_the_default_threshold_is_1_gib():
    h = assess_slot(slot(retained_wal=DEFAULT_MAX_RETAINED_WAL + 1), True, None)
    assert DEFAULT_MAX_RETAINED_WAL == 1024**3 and h.max_retained_wal == 1024**3 and not h.healthy
    assert assess_slot(slot(retained_wal=2 * MiB), True, 3 * MiB).healthy


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * MiB, "3.0 MiB"),
                                         (5 * 1024**4, "5120.0 GiB")])
def test_size_text(n, text):
    assert size_text(n) == text


def test_binlog_lag_within_one_file_and_across_files():
    same = BinlogState("binlog.000003", 1500, "binlog.000003", 1000)
    assert (same.lag_files, same.lag_bytes) == (0, 500)
    assert binlog_text(same) == "binlog server binlog.000003:1500, connector binlog.000003:1000 (500 B behind)"
    other = BinlogState("binlog.000005", 10, "binlog.000003", 1000)
    assert (other.lag_files, other.lag_bytes) == (2, None)
    assert binlog_text(other).endswith("(2 binlog files behind)")
    unknown = BinlogState("binlog.000005", 10)
    assert (unknown.lag_files, unknown.lag_bytes) == (None, None)
    assert binlog_text(unknown) == "binlog server binlog.000005:10, connector none committed yet"


def _report(health: CdcHealth, state="running", live_state="RUNNING"):
    r = report_of(stack([], [connector(state=state)]), live([], [lconn(state=live_state, tasks=(live_state,))]))
    return with_cdc_health(r, {"sink": health})


def test_an_unhealthy_slot_makes_an_in_sync_connector_not_in_its_declared_state_and_exits_2():
    r = _report(assess_slot(slot(retained_wal=2 * MiB), True, MiB))
    c = r.resource("connector.sink")
    assert c.status is Status.WRONG_STATE and c.in_declared_state and r.exit_code == 2 and r.pending
    text = render_status(r, "text")
    assert "slot s1 active (pid 42), retains 2.0 MiB of WAL (max 1.0 MiB), confirmed flush 5 B behind" in text
    assert "! replication slot s1 retains 2.0 MiB of WAL, more than 1.0 MiB" in text
    doc = json.loads(render_status(r, "json"))["resources"][0]
    assert doc["status"] == "not_in_declared_state"
    assert doc["cdc_health"] == {
        "engine": "postgres", "healthy": False, "error": None,
        "problems": ["replication slot s1 retains 2.0 MiB of WAL, more than 1.0 MiB"],
        "slot": {"name": "s1", "exists": True, "active": True, "active_pid": 42, "retained_wal_bytes": 2 * MiB,
                 "confirmed_flush_lag_bytes": 5, "wal_status": None, "max_retained_wal_bytes": MiB}}


def test_a_healthy_slot_keeps_the_connector_in_sync():
    r = _report(assess_slot(slot(), True, MiB))
    assert r.resource("connector.sink").status is Status.IN_SYNC and r.exit_code == 0
    assert json.loads(render_status(r, "json"))["resources"][0]["cdc_health"]["healthy"] is True


def test_a_database_that_cannot_be_read_is_one_line_judges_nothing_and_is_not_healthy():
    r = _report(CdcHealth("postgres", error="PostgreSQL app at db:5432: connection refused"))
    assert r.resource("connector.sink").status is Status.IN_SYNC
    lines = [line for line in render_status(r, "text").splitlines() if "not read" in line]
    assert lines == ["      PostgreSQL not read: PostgreSQL app at db:5432: connection refused"]
    # unknown is not healthy (issue 41): one error, and status does not exit 0
    assert [d.code for d in r.diagnostics] == ["cdc-health-unread"] and r.exit_code == 2
    assert "1 error" in r.summary().line()
    assert "could not be read (PostgreSQL app at db:5432: connection refused)" in r.diagnostics[0].message


def test_a_mariadb_binlog_that_cannot_be_read_is_shown_only():
    """A binlog's health is shown, never judged (docs/cdc-health.md): not reading it changes no exit code."""
    r = _report(CdcHealth("mariadb", error="MariaDB app at db:3306: connection refused"))
    assert r.diagnostics == () and r.exit_code == 0


def test_without_health_the_json_has_no_cdc_health_key():
    r = report_of(stack([], [connector()]), live([], [lconn()]))
    assert "cdc_health" not in json.loads(render_status(with_cdc_health(r, {}), "json"))["resources"][0]


def test_a_connector_already_off_its_state_stays_so():
    r = _report(assess_slot(slot(active=False), True, MiB), live_state="PAUSED")
    c = r.resource("connector.sink")
    assert c.status is Status.WRONG_STATE and not c.in_declared_state and not c.cdc_health.healthy


def test_only_cdc_sources_of_known_engines_are_read():
    pg = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector"}
    assert health_engine(connector(config=pg)) is None  # declared by hand, not a cdc source
    src = Origin("stack.yaml", 3, cdc_source="src")
    assert health_engine(replace(connector(config=pg), origin=src)) == "postgres"
    maria = {"connector.class": "io.debezium.connector.mariadb.MariaDbConnector"}
    assert health_engine(replace(connector(config=maria), origin=src)) == "mariadb"
    assert health_engine(replace(connector(), origin=src)) is None


# -- the stack's threshold ------------------------------------------------------------------------------------------

HEAD = textwrap.dedent("""\
    stack: s
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults: {topic: {partitions: 1, replication_factor: 1}}
    cdc:
      - name: src
        engine: ENGINE
        connection: {host: db, user: u, password: '${secret:env:PW}', database: app}
        tables: [users]
    """)


def load(tmp_path, engine, extra):
    p = tmp_path / "stack.yaml"
    p.write_text(HEAD.replace("ENGINE", engine) + textwrap.indent(textwrap.dedent(extra), "    "))
    return validate_stack(p, None, {}, ())


def test_slot_health_sets_the_threshold(tmp_path):
    s, diags = load(tmp_path, "postgres", "slot_health: {max_retained_wal: 512MiB}\n")
    assert s is not None, [d.located() for d in diags]
    assert s.of("connectors")[0].max_retained_wal == 512 * MiB
    s, _ = load(tmp_path, "postgres", "slot_health: {max_retained_wal: 4096}\n")
    assert s.of("connectors")[0].max_retained_wal == 4096
    s, _ = load(tmp_path, "postgres", "")
    assert s.of("connectors")[0].max_retained_wal is None


@pytest.mark.parametrize(("engine", "value", "message"), [
    ("postgres", "1GB", "ambiguous size unit"),
    ("postgres", "lots", "invalid size"),
    ("mariadb", "1GiB", "slot_health applies to PostgreSQL sources only"),
])
def test_a_bad_threshold_is_one_located_error(tmp_path, engine, value, message):
    extra = f"slot_health: {{max_retained_wal: {value}}}\n"
    if engine == "mariadb":
        extra += "schema: app\n"
    s, diags = load(tmp_path, engine, extra)
    errors = [d for d in diags if d.severity == "error"]
    assert s is None and len(errors) == 1 and message in errors[0].message, [d.located() for d in diags]
    text = (tmp_path / "stack.yaml").read_text().splitlines()
    assert "slot_health" in text[errors[0].origin.line - 1]
