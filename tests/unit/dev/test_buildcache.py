"""What the stack builds once per machine (dev/localstack/buildcache.py) is made whole or not at all, once; the CI
examples' `actions/*` all have a local stand-in for act (dev/localstack/runners.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localstack import LocalStackError, buildcache, runners

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_BUILD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path / "stack"))
    return tmp_path / "cache"


def test_a_build_is_made_once_and_kept(cache):
    calls = []

    def make(out: Path) -> None:
        calls.append(out)
        (out / "bin").mkdir()
        (out / "bin" / "tool").write_text("built")

    first = buildcache.cached("tool-1.0", "bin/tool", make)
    again = buildcache.cached("tool-1.0", "bin/tool", make)
    assert first == again == cache / "tool-1.0"
    assert (first / "bin" / "tool").read_text() == "built" and len(calls) == 1
    assert sorted(p.name for p in cache.iterdir()) == [".tool-1.0.lock", "tool-1.0"]


def test_a_dist_is_laid_out_once_a_machine_and_linked_into_each_stack_directory(cache, tmp_path):
    calls = []

    def assemble(out: Path) -> None:  # what Maven does: jars copied out of ~/.m2
        calls.append(out)
        (out / "lib").mkdir()
        (out / "lib" / "kafka.jar").write_bytes(b"jar")

    for stack in ("one", "two"):
        kept = buildcache.kept_dist("dist", "ab" * 32, assemble)
        buildcache.linked_copy(kept, tmp_path / stack / "dist")
    assert len(calls) == 1 and kept == cache / f"dist-{'ab' * 8}"
    for stack in ("one", "two"):
        laid = tmp_path / stack / "dist"
        assert (laid / ".pom.sha256").read_text() == "ab" * 32 + "\n"  # the stamp dist_current() reads
        assert (laid / "lib" / "kafka.jar").stat().st_ino == (kept / "lib" / "kafka.jar").stat().st_ino


@pytest.mark.parametrize("make", [
    lambda out: (_ for _ in ()).throw(LocalStackError("the compiler said no")),
    lambda out: (out / "something-else").write_text("x"),
], ids=["fails", "leaves-no-proof"])
def test_a_failed_build_leaves_nothing_behind(cache, make):
    with pytest.raises(LocalStackError):
        buildcache.cached("tool-1.0", "bin/tool", make)
    assert [p.name for p in cache.iterdir()] == [".tool-1.0.lock"]


def test_an_incomplete_leftover_is_built_again(cache):
    (cache / "tool-1.0").mkdir(parents=True)  # e.g. a copy made by hand, without the binary
    built = buildcache.cached("tool-1.0", "tool", lambda out: (out / "tool").write_text("built"))
    assert (built / "tool").read_text() == "built"


def test_a_missing_toolchain_says_what_to_install(cache, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LocalStackError, match=r"^go is not installed \(act is built from its Go module\): install Go"):
        runners.act_bin()
    with pytest.raises(LocalStackError, match=r"^npm is not installed \(.*\): install Node.js and npm"):
        runners.gitlab_ci_local()


def test_a_failed_build_step_shows_its_log(tmp_path):
    log = tmp_path / "build.log"
    with pytest.raises(LocalStackError, match=r"^building thing failed \(exit 3\); last lines of .*:\n(.*\n)*boom$"):
        buildcache.run_build("thing", ["sh", "-c", "echo boom; exit 3"], log)
    assert "boom" in log.read_text()


def test_every_action_the_github_examples_use_has_a_stand_in():
    for workflow in sorted((ROOT / "examples" / "github").glob("*.yml")):
        uses = {line.split("uses:", 1)[1].split("#")[0].strip() for line in workflow.read_text().splitlines()
                if "uses:" in line}
        assert uses, workflow
        assert set(runners.stand_ins(workflow)) == uses, workflow.name
        assert all((d / "action.yml").is_file() for d in runners.stand_ins(workflow).values())
