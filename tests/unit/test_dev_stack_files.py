"""docker-compose.yml must describe the same stack as dev/stack: same pinned versions, same host ports."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pom_versions() -> dict[str, str]:
    text = (ROOT / "dev" / "pom.xml").read_text()
    return dict(re.findall(r"<(kafka|debezium)\.version>([^<]+)</", text))


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


def test_launcher_defaults_match_the_documented_ports():
    import sys

    sys.path.insert(0, str(ROOT / "dev"))
    import localstack

    assert localstack.BOOTSTRAP == "127.0.0.1:19092"
    assert localstack.CONNECT_URL == "http://127.0.0.1:18083"
    assert localstack.pom_versions()["kafka"] == _pom_versions()["kafka"]


def test_debezium_release_is_built_for_the_pinned_kafka():
    # Debezium 3.7.x is built against Kafka 4.3.1; keep the pair together when bumping either.
    pairs = {"3.7": "4.3.1", "3.6": "4.3.0", "3.4": "4.1"}
    v = _pom_versions()
    expected = pairs[".".join(v["debezium"].split(".")[:2])]
    assert v["kafka"].startswith(expected)
