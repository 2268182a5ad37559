"""Every built-in engine template checked by the real Debezium plugin: a representative `cdc:` source per engine is
rendered by kplan's own loader and its connector config run through Connect's
`PUT /connector-plugins/<class>/config/validate` on the local worker (dev/pom.xml installs the PostgreSQL, MariaDB,
MySQL, SQL Server and Oracle plugins).

First with the database unreachable (the host is 127.0.0.1 on a closed port), for every engine: the one error
allowed is the plugin's own "cannot reach the database" message on database.hostname, matched per engine below;
any other error (a renamed property, a value the plugin refuses, a snapshot mode it no longer has) fails the test.
Every key the template renders must also be one the plugin declares (Connect ignores unknown keys silently, so a
renamed property would otherwise pass), except the prefixes Debezium hands to another component, listed in
PASS_THROUGH. Then against the local stack's real databases, where the plugins' connection-time checks run (_live).
"""

from __future__ import annotations

import re

import pytest
import requests
from kplan_helpers import write_stack

import localstack
from kplan.stackfile import load_stack
from kplan.stackfile.engines import BUILTIN_DIR

CLOSED_PORT = 1  # nothing listens on 127.0.0.1:1: every driver gets "connection refused" at once

# The messages each plugin gives when the database is not there (Debezium 3.7.0 PostgreSQL, 3.5.0 MariaDB,
# 3.6.1 MySQL / SQL Server / Oracle), reported on database.hostname.
UNREACHABLE = {
    "postgres": r"^Error while validating connector config: Connection to 127\.0\.0\.1:1 refused\.",
    "mariadb": r"^Unable to connect: Socket fail to connect to 127\.0\.0\.1:1\. Connection refused$",
    "mysql": r"^Error during connection validation: io\.debezium\.DebeziumException: "
             r"Failed to establish connection with the database: ",
    "sqlserver": r"^Unable to connect\. .*The TCP/IP connection to the host 127\.0\.0\.1, port 1 has failed\. "
                 r"Error: \"Connection refused\.",
    "oracle": r"^Unable to connect \(primary\): Failed to resolve Oracle database version$",
}

# Keys Debezium does not declare itself but passes on: to the Kafka schema history, the Kafka signal channel,
# the JDBC driver.
PASS_THROUGH = ("schema.history.internal.kafka.", "signal.kafka.", "driver.")

_CONNECTION = {"host": "127.0.0.1", "port": CLOSED_PORT, "user": "debezium", "password": "not-a-real-password"}

# One representative source per engine, using what the template reads (schemas, several tables, server ids,
# a PDB, a signal topic); SQL Server's driver gives up after 1 s instead of retrying for 30.
SOURCES = {
    "postgres": {"connection": {**_CONNECTION, "database": "shop"}, "tables": ["users", "billing.invoices"],
                 "snapshot_new_tables": True},
    "mariadb": {"connection": {**_CONNECTION, "database": "shop", "server_id": 5400},
                "tables": ["orders", "audit.events"]},
    "mysql": {"connection": {**_CONNECTION, "database": "shop", "server_id": 5401},
              "tables": ["orders", "audit.events"], "snapshot_new_tables": True,
              "signal": {"data_collection": "shop.debezium_signal"}},
    "sqlserver": {"connection": {**_CONNECTION, "database": "erp"}, "tables": ["customers", "finance.ledger"],
                  "connector": {"config": {"driver.loginTimeout": 1}}},
    "oracle": {"connection": {**_CONNECTION, "database": "ORCLCDB", "pdb": "ORCLPDB1"}, "schema": "INVENTORY",
               "tables": ["CUSTOMERS", "PRODUCTS"]},
}


def test_every_builtin_template_has_a_case():
    assert sorted(p.stem for p in BUILTIN_DIR.glob("*.j2")) == sorted(SOURCES)


def _render(tmp_path, stack, engine: str, **extra) -> dict[str, str]:
    """The connector config kplan renders for the engine's representative source (through the stack loader)."""
    source = {"name": f"tmpl-{engine}", "engine": engine, "topic_prefix": f"tmpl_{engine}", **SOURCES[engine],
              **extra}
    doc = {"stack": f"tmpl-{engine}",
           "cluster": {"bootstrap_servers": stack.bootstrap_servers, "connect_url": stack.connect_url},
           "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
           "cdc": [source]}
    loaded = load_stack(write_stack(tmp_path / "stack.yaml", doc))
    (connector,) = [c for c in loaded.of("connectors") if c.name == source["name"]]
    return {**connector.config, "name": connector.name}


def _validate(stack, config: dict[str, str]) -> tuple[dict[str, list[str]], set[str]]:
    """Connect's config/validate: the errors by key, and the keys the plugin (and Connect) declare."""
    r = requests.put(f"{stack.connect_url}/connector-plugins/{config['connector.class']}/config/validate",
                     json=config, timeout=90)
    assert r.status_code == 200, r.text
    configs = r.json()["configs"]
    errors = {i["value"]["name"]: i["value"]["errors"] for i in configs if (i.get("value") or {}).get("errors")}
    declared = {i["definition"]["name"] for i in configs if i.get("definition")}
    return errors, declared


def _assert_only_unreachable(engine: str, errors: dict[str, list[str]]):
    assert set(errors) == {"database.hostname"}, errors
    (message,) = errors["database.hostname"]
    assert re.search(UNREACHABLE[engine], message), message


@pytest.mark.parametrize("engine", sorted(SOURCES))
def test_template_config_passes_the_real_plugins_validate(tmp_path, stack, engine):
    config = _render(tmp_path, stack, engine)
    errors, declared = _validate(stack, config)
    _assert_only_unreachable(engine, errors)
    unknown = sorted(k for k in config if k not in declared and not k.startswith(PASS_THROUGH))
    assert unknown == [], f"the {engine} plugin does not declare {unknown} (renamed or removed?)"


def _template_modes(engine: str) -> list[str]:
    src = (BUILTIN_DIR / f"{engine}.j2").read_text()
    return re.findall(r'"([a-z_]+)"', re.search(r"\{% set modes = \[(.*)\] %\}", src).group(1))


@pytest.mark.parametrize("engine", sorted(SOURCES))
def test_every_snapshot_mode_the_template_accepts_the_plugin_accepts(tmp_path, stack, engine):
    modes = _template_modes(engine)
    assert "no_data" in modes and "schema_only" not in modes
    for mode in modes:
        extra = {"snapshot_mode": mode}
        if mode == "custom":  # the custom snapshotter's name comes from the source's connector config
            extra["connector"] = {"config": {**SOURCES[engine].get("connector", {}).get("config", {}),
                                             "snapshot.mode.custom.name": "kplan-test"}}
        config = _render(tmp_path, stack, engine, **extra)
        assert config["snapshot.mode"] == mode
        errors, _ = _validate(stack, config)
        _assert_only_unreachable(engine, errors)


@pytest.mark.parametrize("engine", sorted(SOURCES))
def test_the_check_sees_a_value_the_plugin_refuses(tmp_path, stack, engine):
    """The same path reports a plugin-side error besides the unreachable database: the check above can fail."""
    config = _render(tmp_path, stack, engine)
    config["snapshot.mode"] = "schema_only"  # removed in Debezium 3: every plugin here refuses it
    errors, _ = _validate(stack, config)
    assert "must be one of" in " ".join(errors.get("snapshot.mode", [])), errors


# The same templates against the local stack's real databases, so that the plugins' connection-time checks run:
# PostgreSQL and MariaDB pass them. No MySQL server runs here (Debian 12 packages none): the MySQL plugin, given
# the local MariaDB, logs in and then refuses the server (Debezium's MySQL connector takes a MariaDB 10.11 for a
# MySQL 8.4+ and asks it for SHOW BINARY LOG STATUS), so the MySQL template is checked up to and including the login.
# SQL Server and Oracle stay checked only up to "cannot reach the database" (above). See docs/stack-format.md.
def _live(engine: str, password: str | None = None) -> dict:
    if engine == "postgres":
        connection = {"host": localstack.HOST, "port": localstack.PG_PORT, "user": localstack.PG_USER,
                      "password": password or localstack.PG_PASSWORD, "database": localstack.PG_DATABASE}
        return {"connection": connection, "tables": ["users", "orders"]}
    connection = {"host": localstack.HOST, "port": localstack.MY_PORT, "user": localstack.MY_USER,
                  "password": password or localstack.MY_PASSWORD, "database": localstack.MY_DATABASE,
                  "server_id": 5410 if engine == "mysql" else 5411}
    return {"connection": connection, "tables": ["users", "orders"]}


MYSQL_ON_MARIADB = (r"^Error during connection validation: io\.debezium\.DebeziumException: MySQL version "
                    r"\S+-MariaDB\S* should support SHOW BINARY LOG STATUS but it failed\.")
ACCESS_DENIED = {
    "postgres": r"password authentication failed for user \"postgres\"",
    "mariadb": r"Access denied for user 'debezium'@'127\.0\.0\.1'",
    "mysql": r"Access denied for user 'debezium'@'127\.0\.0\.1'",
}


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_template_passes_the_plugins_connection_checks_on_the_local_database(tmp_path, stack, engine):
    config = _render(tmp_path, stack, engine, **_live(engine))
    errors, _ = _validate(stack, config)
    assert errors == {}


def test_mysql_template_passes_the_mysql_plugins_login_on_mariadb_and_only_the_server_kind_is_refused(tmp_path, stack):
    config = _render(tmp_path, stack, "mysql", **_live("mysql"))
    errors, _ = _validate(stack, config)
    assert set(errors) == {"database.hostname"}, errors
    (message,) = errors["database.hostname"]
    assert re.search(MYSQL_ON_MARIADB, message), message


@pytest.mark.parametrize("engine", sorted(ACCESS_DENIED))
def test_the_connection_checks_see_a_wrong_password(tmp_path, stack, engine):
    """The checks above can fail: with another password each plugin reports the server's refused login."""
    config = _render(tmp_path, stack, engine, **_live(engine, password="not-the-password"))
    errors, _ = _validate(stack, config)
    assert set(errors) == {"database.hostname"}, errors
    assert re.search(ACCESS_DENIED[engine], errors["database.hostname"][0]), errors
