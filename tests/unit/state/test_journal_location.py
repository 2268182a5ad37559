"""Where the journal's local copy lives: one stable, per-user place whatever directory kplan runs from
(`KPLAN_STATE_DIR`, else `$XDG_STATE_HOME/kplan`, else `~/.local/state/kplan`), and a copy an older version left
in `./.kplan/journal/` is still read. (The cluster copy, and recovery from another directory with no local copy
at all, run against the real stack in tests/integration/test_recover_elsewhere.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan.state.journal import (
    LEGACY_STATE_DIR,
    Journal,
    JournalStore,
    RunStatus,
    StepStatus,
    local_path,
    local_state_dir,
)


@pytest.mark.parametrize("environ, expected", [
    ({"KPLAN_STATE_DIR": "/srv/kplan-state", "XDG_STATE_HOME": "/x", "HOME": "/home/u"}, "/srv/kplan-state"),
    ({"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}, "/x/state/kplan"),
    ({"XDG_STATE_HOME": "relative/state", "HOME": "/home/u"}, "/home/u/.local/state/kplan"),  # XDG: ignored
    ({"XDG_STATE_HOME": "", "HOME": "/home/u"}, "/home/u/.local/state/kplan"),
    ({"HOME": "/home/u"}, "/home/u/.local/state/kplan"),
], ids=["override", "xdg", "relative-xdg-ignored", "empty-xdg", "home"])
def test_the_state_directory_comes_from_the_environment_never_from_the_working_directory(environ, expected):
    assert local_state_dir(environ) == Path(expected)


def _store(state_dir=None) -> JournalStore:
    """A store with no cluster (producer and consumer None): only the local copy is written and read."""
    return JournalStore(None, None, None, "shop", "cluster-1", 5.0, state_dir=state_dir)


def _journal(status=RunStatus.RUNNING, updated_at="2026-01-01T00:00:00Z", cluster_id="cluster-1") -> Journal:
    j = Journal("shop", None, cluster_id, "digest", status=status)
    j.steps = [{"index": 0, "kind": "create-topics", "args": {"topics": []}, "before": {"absent": []},
                "irreversible": False, "status": StepStatus.STARTED, "error": ""}]
    j.updated_at = updated_at
    return j


def test_the_local_copy_is_written_to_the_same_place_from_any_working_directory(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.delenv("KPLAN_STATE_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    expected = home / ".local" / "state" / "kplan" / "journal" / "shop@cluster-1.json"
    for cwd in (tmp_path / "repo-a", tmp_path / "elsewhere" / "b"):
        cwd.mkdir(parents=True)
        monkeypatch.chdir(cwd)
        store = _store()
        assert store.path == expected and local_path("shop", "cluster-1") == expected
        journal = _journal()
        store.write(journal)
        assert json.loads(expected.read_text())["run_id"] == journal.run_id
        assert not (cwd / ".kplan").exists()
        # read back from another working directory
        monkeypatch.chdir(tmp_path)
        assert _store().read().run_id == journal.run_id


def test_kplan_state_dir_overrides_the_place(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    store = _store()
    store.write(_journal())
    assert (tmp_path / "state" / "journal" / "shop@cluster-1.json").is_file()


def _legacy_copy(cwd: Path, journal: Journal) -> Path:
    """A local copy where versions before the per-user state directory wrote it: `./.kplan/journal/`."""
    path = cwd / local_path(journal.stack, journal.cluster_id, LEGACY_STATE_DIR)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(journal.to_json()))
    return path


def test_an_unfinished_run_an_older_version_journaled_in_the_working_directory_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))  # empty: this version never ran here
    monkeypatch.chdir(tmp_path)
    old = _journal()
    _legacy_copy(tmp_path, old)
    found = _store().read()
    assert found is not None and found.run_id == old.run_id and found.unfinished
    # recovering it writes the stable place, never the legacy file; the newer record wins from then on
    found.status = RunStatus.ROLLED_BACK
    _store().write(found)
    again = _store().read()
    assert again.status == RunStatus.ROLLED_BACK and not again.unfinished
    legacy = tmp_path / local_path("shop", "cluster-1", LEGACY_STATE_DIR)
    assert Journal.from_json(json.loads(legacy.read_text())).unfinished


def test_the_newer_of_the_stable_and_the_legacy_copy_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    legacy = _journal(status=RunStatus.RUNNING, updated_at="2026-01-01T00:00:00Z")
    _legacy_copy(tmp_path, legacy)
    newer = _journal(status=RunStatus.COMPLETE)
    _store().write(newer)  # stamps updated_at now: newer than the legacy copy
    assert _store().read().run_id == newer.run_id


def test_a_legacy_copy_of_another_cluster_is_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    foreign = _journal(cluster_id="other-cluster", updated_at="2999-01-01T00:00:00Z")
    path = _legacy_copy(tmp_path, foreign)
    # even under this cluster's file name (copied by hand), its cluster id keeps it out
    path.rename(tmp_path / local_path("shop", "cluster-1", LEGACY_STATE_DIR))
    assert _store().read() is None


def test_when_the_override_points_at_the_legacy_place_it_is_read_once(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STATE_DIR", ".kplan")
    monkeypatch.chdir(tmp_path)
    store = _store()
    store.write(_journal())
    assert store.local_paths() == [store.path]
