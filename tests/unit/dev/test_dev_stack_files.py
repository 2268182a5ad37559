"""docker-compose.yml must describe the same stack as dev/stack: same pinned versions, same host ports."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

import localstack

ROOT = Path(__file__).resolve().parents[3]


def _pom_versions() -> dict[str, str]:
    text = (ROOT / "dev" / "pom.xml").read_text()
    return dict(re.findall(r"<(kafka|debezium|apicurio)\.version>([^<]+)</", text))


def test_compose_uses_the_pinned_kafka_version_and_the_same_ports():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    kafka = _pom_versions()["kafka"]
    services = compose["services"]
    assert services["kafka"]["image"] == f"apache/kafka:{kafka}"
    assert services["connect"]["image"] == f"apache/kafka:{kafka}"
    assert "127.0.0.1:19092:19092" in services["kafka"]["ports"]
    assert "127.0.0.1:18083:18083" in services["connect"]["ports"]
    # the plugins come from the same pom, so Debezium's version is the pinned one by construction
    assert "/src/dev/pom.xml" in services["plugins"]["command"]


def _defaults() -> dict[str, str]:
    """The launcher's endpoints as a fresh interpreter sees them without this run's KPLAN_STACK_*_PORT overrides
    (a test session on ports of its own still checks the documented defaults)."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("KPLAN_STACK_") and k.endswith("_PORT"))}
    env["PYTHONPATH"] = str(ROOT / "dev")
    code = "import json, localstack as s; print(json.dumps({n: str(getattr(s, n)) for n in %r}))" % (
        ["BOOTSTRAP", "CONNECT_URL", "REGISTRY_URL", "PG_PORT", "MY_PORT"],)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_launcher_defaults_match_the_documented_ports():
    d = _defaults()
    assert d["BOOTSTRAP"] == "127.0.0.1:19092"
    assert d["CONNECT_URL"] == "http://127.0.0.1:18083"
    assert d["REGISTRY_URL"] == "http://127.0.0.1:18081/apis/ccompat/v7"
    assert localstack.pom_versions()["kafka"] == _pom_versions()["kafka"]
    assert localstack.pom_versions()["apicurio"] == _pom_versions()["apicurio"]


def test_compose_registry_matches_the_local_one():
    """The same Apicurio release as the pom pins, on the same host port, with BACKWARD set as dev/stack sets it."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["registry"]["image"] == f"apicurio/apicurio-registry:{_pom_versions()['apicurio']}"
    assert "127.0.0.1:18081:8080" in services["registry"]["ports"]
    put = " ".join(services["registry-config"]["command"])
    assert '{"compatibility":"BACKWARD"}' in put and "/apis/ccompat/v7/config" in put


def test_the_pom_lays_out_the_registry_and_the_converter_plugin():
    """The registry's runnable jar is where registry.py starts it, and the converter plugin carries no Kafka jars
    (Connect's own must be the ones it sees)."""
    pom = (ROOT / "dev" / "pom.xml").read_text()
    assert "<outputDirectory>${stack.dist}/registry</outputDirectory>" in pom
    assert "<artifactId>apicurio-registry-app</artifactId>" in pom
    assert "<artifactId>apicurio-registry-utils-converter</artifactId>" in pom
    converter = pom[pom.index("<id>apicurio-converter-dependencies</id>"):]
    converter = converter[:converter.index("</execution>")]
    assert "org.apache.kafka" not in converter and "org.slf4j" not in converter


def test_the_pom_lays_out_mirrormaker_2_at_the_brokers_version():
    """MirrorMaker 2's connectors (issue 44: `mirrors:`) run on the stack's Connect from their own plugin directory,
    at the broker's version: connect-mirror with connect-mirror-client (its replication policies), nothing else."""
    pom = (ROOT / "dev" / "pom.xml").read_text()
    mirror = pom[pom.index("<id>connect-mirror</id>"):]
    mirror = mirror[:mirror.index("</execution>")]
    assert "<outputDirectory>${stack.dist}/plugins/connect-mirror</outputDirectory>" in mirror
    items = re.findall(r"<groupId>([^<]+)</groupId>\s*<artifactId>([^<]+)</artifactId>\s*<version>([^<]+)</version>",
                       mirror)
    assert items == [("org.apache.kafka", "connect-mirror", "${kafka.version}"),
                     ("org.apache.kafka", "connect-mirror-client", "${kafka.version}")]

def test_debezium_release_is_built_for_the_pinned_kafka():
    # Debezium 3.7.x is built against Kafka 4.3.1; keep the pair together when bumping either.
    pairs = {"3.7": "4.3.1", "3.6": "4.3.0", "3.4": "4.1"}
    v = _pom_versions()
    expected = pairs[".".join(v["debezium"].split(".")[:2])]
    assert v["kafka"].startswith(expected)


def test_compose_mariadb_matches_the_local_one():
    """Same host port, the same MariaDB family as Debian 12's mariadb-server, the binlog Debezium needs and the
    same demo database and Debezium account (one SQL file for both)."""
    mariadb = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["mariadb"]
    assert mariadb["image"] == "mariadb:10.11"
    assert f"127.0.0.1:{_defaults()['MY_PORT']}:3306" in mariadb["ports"]
    assert {"--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1"} <= set(mariadb["command"])
    assert any(c.startswith("--log-bin") for c in mariadb["command"])
    assert mariadb["environment"]["MARIADB_ROOT_PASSWORD"] == localstack.MY_PASSWORD
    assert any(v.startswith("./dev/conf/mariadb-demo.sql:/docker-entrypoint-initdb.d/") for v in mariadb["volumes"])


def test_mariadb_demo_sql_creates_the_debezium_account_the_launcher_documents():
    sql = (ROOT / "dev" / "conf" / "mariadb-demo.sql").read_text()
    assert f"'{localstack.MY_USER}'@'%' IDENTIFIED BY '{localstack.MY_PASSWORD}'" in sql
    grant = re.search(r"GRANT (.+) ON \*\.\* TO 'debezium'@'%'", sql).group(1)
    assert {g.strip() for g in grant.split(",")} == {
        "SELECT", "RELOAD", "SHOW DATABASES", "LOCK TABLES", "REPLICATION SLAVE", "REPLICATION CLIENT"}
    for table in ("users", "orders", "products", "customers", "invoices"):
        assert f"CREATE TABLE {table} (" in sql


def test_the_pom_lays_out_a_debezium_plugin_per_engine_template():
    pom = (ROOT / "dev" / "pom.xml").read_text()
    found = re.findall(r"<artifactId>(debezium-connector-\w+)</artifactId>\s*<version>\$\{([^}]+)\}</version>", pom)
    # the PostgreSQL plugin's older release, in a directory of its own: two versions of one connector (KIP-891)
    assert ("debezium-connector-postgres", "debezium.previous.version") in found
    items = dict(item for item in found if item[1] != "debezium.previous.version")
    assert items == {"debezium-connector-postgres": "debezium.version",
                     "debezium-connector-mariadb": "debezium.mariadb.version",
                     "debezium-connector-mysql": "debezium.validate.version",
                     "debezium-connector-sqlserver": "debezium.validate.version",
                     "debezium-connector-oracle": "debezium.validate.version"}
    # one plugin per built-in engine template (tests/integration/test_engine_templates.py validates each)
    templates = {p.stem for p in (ROOT / "kplan" / "templates").glob("*.j2")}
    assert {f"debezium-connector-{t}" for t in templates} == set(items)
    # plugins pinned on their own only while Debezium's matching release is missing from Maven Central
    # (see the pom): never newer than the rest of Debezium
    as_tuple = lambda v: tuple(int(x) for x in v.split(".")[:3])  # noqa: E731 - a one-line local helper
    for prop in ("debezium.mariadb", "debezium.validate", "debezium.previous"):
        pinned = re.search(rf"<{re.escape(prop)}\.version>([^<]+)</", pom).group(1)
        if pinned != "${debezium.version}":
            assert as_tuple(pinned) <= as_tuple(_pom_versions()["debezium"])


def test_launcher_database_ports():
    d = _defaults()
    assert (d["PG_PORT"], d["MY_PORT"]) == ("15432", "13306")
    # the registry first: it depends on nothing and starts in the background while the others start
    assert [s.name for s in localstack.services()] == ["registry", "postgres", "mariadb", "kafka", "connect"]


def test_compose_has_postgres_for_cdc_on_the_same_port():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    pg = compose["services"]["postgres"]
    assert "127.0.0.1:15432:5432" in pg["ports"]
    assert "wal_level=logical" in pg["command"]
    assert any("dev/conf/demo.sql" in v for v in pg["volumes"])
