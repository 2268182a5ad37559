"""The stack's JVMs share their classes through an archive per machine (dev/localstack/cds.py): recorded by the first
start of a classpath, put in place by the launcher's stop, mapped by every later start, from any stack directory."""

from __future__ import annotations

import shutil

import pytest

from localstack import cds

JAVA = shutil.which("java") or "/usr/bin/java"
MAIN = "kafka.Kafka"


@pytest.fixture
def dists(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_BUILD_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KPLAN_STACK_CDS", raising=False)
    kept = tmp_path / "kept" / "lib"
    kept.mkdir(parents=True)
    (kept / "kafka-clients-4.3.1.jar").write_bytes(b"jar")
    linked = tmp_path / "stack" / "dist" / "lib"
    shutil.copytree(kept, linked, copy_function=shutil.copy2)  # as buildcache.linked_copy across file systems
    return [f"{kept}/*"], [f"{linked}/*"]


def test_the_first_start_records_and_a_later_one_from_another_stack_directory_maps_it(dists, tmp_path):
    kept, linked = dists
    (record,) = cds.options(JAVA, "-Dkplan.stack=kafka@/a", MAIN, kept)
    assert record.startswith("-XX:ArchiveClassesAtExit=")
    written = record.split("=", 1)[1]
    (tmp_path / "cache" / "cds" / written.rsplit("/", 1)[1]).write_bytes(b"archive")  # as the JVM does at its exit
    # a JVM stopped with another marker settles nothing of this one's
    cds.settle("-Dkplan.stack=kafka@/b")
    assert cds.options(JAVA, "-Dkplan.stack=kafka@/b", MAIN, linked)[0].startswith("-XX:ArchiveClassesAtExit=")
    cds.settle("-Dkplan.stack=kafka@/a")
    (mapped,) = cds.options(JAVA, "-Dkplan.stack=kafka@/b", MAIN, linked)
    assert mapped.startswith("-XX:SharedArchiveFile=") and mapped.endswith(".jsa")
    assert open(mapped.split("=", 1)[1], "rb").read() == b"archive"


def test_a_later_recording_is_dropped_and_another_classpath_or_main_has_an_archive_of_its_own(dists, tmp_path):
    kept, _ = dists
    for marker in ("-Dkplan.stack=kafka@/a", "-Dkplan.stack=kafka@/b"):
        path = cds.options(JAVA, marker, MAIN, kept)[0].split("=", 1)[1]
        open(path, "wb").write(marker.encode())
    cds.settle("-Dkplan.stack=kafka@/a")
    cds.settle("-Dkplan.stack=kafka@/b")
    (archive,) = (tmp_path / "cache" / "cds").iterdir()
    assert archive.read_bytes() == b"-Dkplan.stack=kafka@/a"
    assert "ArchiveClassesAtExit" in cds.options(JAVA, "x", "org.apache.kafka.connect.cli.ConnectDistributed", kept)[0]
    (tmp_path / "kept" / "lib" / "kafka-clients-4.3.1.jar").write_bytes(b"another jar")
    assert "ArchiveClassesAtExit" in cds.options(JAVA, "x", MAIN, kept)[0]


def test_off_leaves_it_out(dists, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_CDS", "off")
    assert cds.options(JAVA, "x", MAIN, dists[0]) == ()
