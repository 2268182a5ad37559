"""Releases (dev/release.py, `make release VERSION=X.Y.Z`; docs/releasing.md): the changelog's Unreleased section
becomes the release's, the pins the docs and CI examples show are the version, and a release made in a clean clone
gives a wheel that a fresh virtualenv installs and whose `kplan --version` is the stamped version, an sdist, the
image's build context, the tag's notes and a local annotated tag."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import release

import kplan

ROOT = Path(__file__).resolve().parents[2]

LOG = """# Changelog

Intro.

## Unreleased

- **Plan**: a new thing.

## 0.1.0 (2026-11-28)

- The first.
"""


def test_the_unreleased_section_becomes_the_versions_under_a_new_empty_one():
    stamped = release.stamp_changelog(LOG, "0.2.0", "2026-12-01")
    assert stamped == LOG.replace("## Unreleased\n", "## Unreleased\n\n## 0.2.0 (2026-12-01)\n")
    assert release.notes_of(stamped, "0.2.0") == "- **Plan**: a new thing.\n"
    assert release.notes_of(stamped, "0.1.0") == "- The first.\n"
    assert release.stamp_changelog(stamped, "0.2.0", "2026-12-02") == stamped  # stamped already: unchanged


def test_an_empty_unreleased_section_is_refused():
    empty = LOG.replace("- **Plan**: a new thing.\n", "")
    with pytest.raises(release.Refused, match="Unreleased section is empty"):
        release.stamp_changelog(empty, "0.2.0", "2026-12-01")


def test_the_changelog_has_this_versions_section_and_an_unreleased_one_the_next_release_can_take():
    """Between releases the Unreleased section gathers the next release's lines (each user-visible commit adds one),
    while the code still says the last released version."""
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased\n" in text
    assert release.notes_of(text, kplan.__version__).strip()
    major, minor, _ = kplan.__version__.split(".")
    unreleased = text.partition("## Unreleased\n")[2].partition("\n## ")[0]
    if unreleased.strip():
        nxt = f"{major}.{int(minor) + 1}.0"
        assert f"## {nxt} (2026-12-01)" in release.stamp_changelog(text, nxt, "2026-12-01")


def test_an_unreleased_line_beside_a_stamped_version_is_the_next_releases():
    with pytest.raises(release.Refused, match="a 0.1.0 section and an Unreleased one"):
        release.stamp_changelog(LOG, "0.1.0", "2026-12-01")  # `make release` of a version made already
    assert "## 0.2.0 (2026-12-01)\n\n- **Plan**: a new thing." in release.stamp_changelog(LOG, "0.2.0", "2026-12-01")


def test_every_pin_is_this_version():
    for name, pattern in release.PINS.items():
        found = re.findall(pattern, (ROOT / name).read_text())
        assert found and set(found) == {kplan.__version__}, (name, found)


# A kplan version as users copy it: a pre-commit hook's rev, a tag in a pip URL of kplan (not another module's @v),
# a wheel's name, an image's tag, a pip requirement.
PIN_FORMS = re.compile(r"rev: v(\d+\.\d+\.\d+)|kplan repository>@v(\d+\.\d+\.\d+)|\bkplan-(\d+\.\d+\.\d+)"
                       r"|\bkplan:(\d+\.\d+\.\d+)|\bkplan==(\d+\.\d+\.\d+)")
# Pages that name a version as an example of a release to make (docs/releasing.md: `make release VERSION=0.2.0`),
# not one to install.
NOT_PINS = {"docs/releasing.md"}


def copied_pins(root: Path) -> list[tuple[str, str]]:
    """(file, version) of every kplan version pinned where users copy from: the README, the pages (not the generated
    reference), the CI examples, the deployment examples and the pre-commit hook's declaration."""
    paths = [root / "README.md", root / ".pre-commit-hooks.yaml",
             *(p for p in (root / "docs").rglob("*.md") if "reference" not in p.relative_to(root / "docs").parts),
             *(p for d in ("examples", "deploy") for p in (root / d).rglob("*") if p.is_file())]
    found = []
    for path in sorted(paths):
        name = str(path.relative_to(root))
        if name in NOT_PINS or not path.is_file():
            continue
        for match in PIN_FORMS.finditer(path.read_text(encoding="utf-8")):
            found.append((name, next(g for g in match.groups() if g)))
    return found


def test_every_version_users_copy_is_this_version_and_stamped_by_a_release():
    """A pin outside release.PINS would not be stamped by `make release` and would go stale at the next one."""
    found = copied_pins(ROOT)
    assert {name for name, _ in found} >= {"docs/ci.md", "examples/github/README.md",
                                           "deploy/kubernetes/kplan-watch.yaml"}
    assert [(name, v) for name, v in found if name not in release.PINS or v != kplan.__version__] == []


def test_a_pin_release_does_not_stamp_or_of_another_version_is_found(tmp_path):
    for name in ("README.md", "docs/ci.md", "examples/gitea/kplan-plan.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "deploy").mkdir()
    assert all(v == kplan.__version__ for _, v in copied_pins(tmp_path))
    with (tmp_path / "examples/gitea/kplan-plan.yml").open("a") as f:
        f.write("# pip install kplan==0.0.9\n")
    ci = tmp_path / "docs/ci.md"
    ci.write_text(ci.read_text().replace(f"rev: v{kplan.__version__}", "rev: v0.0.8"))
    wrong = [(name, v) for name, v in copied_pins(tmp_path) if name not in release.PINS or v != kplan.__version__]
    assert wrong == [("docs/ci.md", "0.0.8"), ("examples/gitea/kplan-plan.yml", "0.0.9")]


def test_a_pin_is_stamped(tmp_path):
    for name in release.PINS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text())
    assert sorted(release.stamp_pins(tmp_path, "7.8.9")) == sorted(release.PINS)
    assert "rev: v7.8.9" in (tmp_path / "docs/ci.md").read_text()
    assert release.stamp_pins(tmp_path, "7.8.9") == []


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _release(clone: Path, version: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([sys.executable, "dev/release.py", version], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.tools  # builds in an isolated environment and installs into a fresh virtualenv from the package index
def test_a_release_in_a_clean_clone_installs_and_says_its_version(tmp_path):
    clone = tmp_path / "clone"
    _git("clone", "-q", str(ROOT), str(clone), cwd=tmp_path)
    _git("config", "user.email", "release@test", cwd=clone)
    _git("config", "user.name", "release test", cwd=clone)
    major, minor, patch = (int(p) for p in kplan.__version__.split("."))
    version = f"{major}.{minor}.{patch + 1}"
    log = clone / "CHANGELOG.md"
    log.write_text(log.read_text().replace("## Unreleased\n", "## Unreleased\n\n- **Test**: a release's entry.\n", 1))
    _git("commit", "-qam", "an entry", cwd=clone)

    made = _release(clone, version)
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"Made the annotated tag v{version} here" in made.stdout
    assert _git("log", "-1", "--format=%s", cwd=clone).strip() == f"Release {version}"
    assert _git("status", "--porcelain", cwd=clone) == ""
    assert _git("cat-file", "-t", f"v{version}", cwd=clone).strip() == "tag"  # annotated
    notes = (clone / "dist" / f"kplan-{version}-notes.md").read_text()
    assert notes.startswith(f"kplan {version}\n\n- **Test**: a release's entry.\n")
    assert _git("tag", "-l", "--format=%(contents)", f"v{version}", cwd=clone).strip() == notes.strip()
    assert f"rev: v{version}" in (clone / "docs/ci.md").read_text()
    dist = clone / "dist"
    assert sorted(p.name for p in dist.iterdir()) == sorted([
        f"kplan-{version}-py3-none-any.whl", f"kplan-{version}.tar.gz", f"kplan-{version}-image-context.tar.gz",
        f"kplan-{version}-notes.md"])
    with tarfile.open(dist / f"kplan-{version}-image-context.tar.gz") as t:
        names = t.getnames()
        stamped = t.extractfile("kplan/__init__.py").read().decode()
    assert {"Dockerfile", ".dockerignore", "pyproject.toml", "README.md"} <= set(names)
    assert f'__version__ = "{version}"' in stamped

    again = _release(clone, version)
    assert (again.returncode, again.stderr) == (1, f"release refused: the tag v{version} exists already: choose the "
                                                   f"next version\n")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(dist / f"kplan-{version}-py3-none-any.whl")], check=True, cwd=tmp_path, timeout=900)
    shown = subprocess.run([str(venv / "bin" / "kplan"), "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert (shown.returncode, shown.stdout) == (0, f"kplan, version {version}\n")


def test_a_release_is_refused_with_uncommitted_changes_or_a_bad_version(tmp_path):
    clone = tmp_path / "clone"
    _git("clone", "-q", "--depth", "1", f"file://{ROOT}", str(clone), cwd=tmp_path)
    bad = _release(clone, "1.2")
    assert (bad.returncode, bad.stderr) == (
        1, "release refused: VERSION='1.2' is not MAJOR.MINOR.PATCH (e.g. make release VERSION=0.2.0)\n")
    (clone / "README.md").write_text("changed\n")
    dirty = _release(clone, "9.0.0")
    assert (dirty.returncode, dirty.stderr) == (
        1, "release refused: the checkout has uncommitted changes: a release is made from a commit (git status)\n")
