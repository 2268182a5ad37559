"""Reading the connector plugins a stack or a workers' file declares (kplan.stackfile.plugins): each problem one
located error, the stack's Connect cluster chosen by name, the repository defaulted to Maven Central."""

from __future__ import annotations

import pytest

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import SourceMap
from kplan.stackfile.plugins import MAVEN_CENTRAL, read_plugins
from kplan.stackfile.yamlsrc import parse_documents

SHA = "e330c491309d8f839f2abd7260c72a3687d6d82ecf2ba0f7699a46d41a46dcac"


def _read(text: str, connect: str | None = None, cluster: str | None = None):
    smap, diags = SourceMap(), Diagnostics()
    doc = parse_documents("f.yaml", text, smap, diags)[0]
    found = read_plugins(doc.root, doc.loc, smap, diags, connect, cluster)
    return found, [d.format() for d in diags.items]


def test_a_workers_file_gives_each_plugin_its_directory_and_url():
    found, errors = _read(f"plugins:\n  - maven: org.apache.kafka:connect-file:4.3.1\n    sha256: {SHA.upper()}\n"
                          "  - maven: io.debezium:debezium-connector-postgres:tar.gz:plugin:3.7.0.Final\n"
                          f"    sha512: {'ab' * 64}\n")
    assert errors == []
    jar, archive = found.plugins
    assert found.repository == MAVEN_CENTRAL
    assert (jar.directory, jar.digest, jar.coordinates) == ("connect-file-4.3.1", SHA,
                                                             "org.apache.kafka:connect-file:4.3.1")
    assert archive.directory == "debezium-connector-postgres-3.7.0.Final-plugin"
    assert archive.path_in("https://m.example/r/") == ("https://m.example/r/io/debezium/debezium-connector-postgres/"
                                                       "3.7.0.Final/debezium-connector-postgres-3.7.0.Final-plugin"
                                                       ".tar.gz")


def test_a_stack_names_its_connect_cluster_and_repository():
    text = ("stack: s\ncluster:\n  bootstrap_servers: k:9092\n  connect:\n    main: {url: 'http://c:8083'}\n"
            "    cdc:\n      url: http://d:8083\n      plugin_repository: https://m.example/r/\n"
            f"      plugins: [{{maven: 'a.b:c:1.0', sha256: '{SHA}'}}]\n")
    found, errors = _read(text)
    assert errors == [] and found.repository == "https://m.example/r"
    assert [p.coordinates for p in found.plugins] == ["a.b:c:1.0"]
    with pytest.raises(KplanError, match=r"name the Connect cluster .* --connect \(declaring plugins: cdc\)"):
        _read(text, connect="other")


@pytest.mark.parametrize("entry, error", [
    ("{maven: 'foo', sha256: '%s'}" % SHA,
     "Error: f.yaml:2:13: plugins[0].maven: 'foo' is not Maven coordinates: write group:artifact:version, or "
     "group:artifact:packaging[:classifier]:version"),
    ("{maven: 'a:b:pom:1', sha256: '%s'}" % SHA,
     "Error: f.yaml:2:13: plugins[0].maven: packaging 'pom' is not one a plugin path takes (jar, zip, tar.gz, tgz)"),
    ("{maven: 'a:b:1'}",
     "Error: f.yaml:2:5: plugins[0]: plugin a:b:1 needs exactly one checksum: sha256 or sha512 (the artifact's "
     "digest, as its publisher gives it; `sha256sum FILE`)"),
    ("{maven: 'a:b:1', sha256: 'abc'}",
     "Error: f.yaml:2:30: plugins[0].sha256: sha256 must be 64 hexadecimal digits (quote it)"),
    ("{maven: 'a:b:1', sha1: 'abc'}",
     "Error: f.yaml:2:22: plugins[0].sha1: unknown plugin key 'sha1': a plugin has maven and sha256 or sha512"),
])
def test_a_bad_plugin_is_one_located_error(entry, error):
    found, errors = _read(f"plugins:\n  - {entry}\n")
    assert errors == [error] and found.plugins == ()


def test_the_same_plugin_twice_is_an_error():
    _, errors = _read(f"plugins:\n  - {{maven: 'a:b:1', sha256: '{SHA}'}}\n  - {{maven: 'a:b:1', sha256: '{SHA}'}}\n")
    assert errors == ["Error: f.yaml:3:13: plugins[1].maven: plugin a:b:1 is declared twice (also at f.yaml:2); "
                      "keep one"]
