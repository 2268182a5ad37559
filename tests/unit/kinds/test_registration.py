"""Each kind registers once (`UNIT` in its unit.py), its stack section included; a section module registers nothing."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from kplan.kinds import ORDER, UNITS, claimable_sections, stack_sections, unit_module
from kplan.kinds.unit import module_of

KINDS_DIR = Path(__file__).resolve().parents[3] / "kplan" / "kinds"


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_a_units_section_is_its_kinds(unit):
    if unit.section is not None:
        assert unit.section.key == unit.kind.section
        if unit.section.build_ref is not None:
            assert callable(unit.section.build) and callable(unit.section.entry_word)
        for hooked in (unit.section.check_members, unit.section.digest_inputs, unit.section.load_checks):
            assert hooked is None or callable(hooked)


def _unit_tree(name: str) -> ast.Module:
    return ast.parse(KINDS_DIR.joinpath(*unit_module(name).split(".")).with_suffix(".py").read_text())


def _typing_only(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


@pytest.mark.parametrize("name", ORDER)
def test_a_unit_module_imports_only_the_registration(name):
    """Loading a stack imports the units: a unit.py that imported its kind would load the planning code. It names
    its kind's modules by import for mypy alone (under TYPE_CHECKING); at run time it imports the registration and
    its kind's declared model (which loading a stack imports anyway)."""
    package = f"kplan.kinds.{unit_module(name)}".rpartition(".")[0]
    imported = {n.module for top in _unit_tree(name).body if not _typing_only(top)
                for n in ast.walk(top) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"kplan.kinds.unit", "typing", f"{package}.model"}, imported


@pytest.mark.parametrize("name", ORDER)
def test_a_units_lazy_modules_are_the_ones_mypy_checks(name):
    """Each module a unit binds at run time (`lazy`) is the one its TYPE_CHECKING import binds to that name, so
    that what mypy checked is what runs."""
    module = importlib.import_module(f"kplan.kinds.{unit_module(name)}")
    (checked,) = [top for top in _unit_tree(name).body if _typing_only(top)]
    bound = {(a.asname or a.name): f"{n.module}.{a.name}" for n in checked.body if isinstance(n, ast.ImportFrom)
             for a in n.names}
    assert bound and {k: getattr(module, k).name for k in bound} == bound


def test_loading_the_units_imports_none_of_their_kinds_modules():
    """What `kplan validate` pays for the registrations: the units, not the modules their hooks name."""
    code = ("import sys; from kplan.kinds import UNITS; import kplan.kinds.unit as u; "
            "print(sorted(m for m in sys.modules if m.startswith('kplan.kinds.') and m.rpartition('.')[2] in "
            "('kind', 'steps', 'handlers', 'importer', 'io', 'read', 'live')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_every_hook_of_a_unit_resolves(unit):
    """A hook names its object by attribute (`lambda: kind.KIND`): mypy checks its type, this that it is there at
    run time, and `module_of` names the module it reads without importing it."""
    hooks = [getattr(part, f.name) for part in (unit, unit.io, unit.section) if part is not None
             for f in dataclasses.fields(part) if f.name.endswith("_ref")]
    for hook in filter(None, hooks):
        assert hook() is not None
    for hook in (unit.kind_ref, unit.handlers_ref, unit.io.read_ref, unit.io.validation_ref, unit.follow_up_ref):
        if hook is not None:
            assert importlib.import_module(module_of(hook)) is sys.modules[module_of(hook)]


def test_no_section_module_registers_by_convention():
    for path in KINDS_DIR.glob("*/section.py"):
        names = {t.id for n in ast.parse(path.read_text()).body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
        assert not names & {"SECTION", "NOUN", "CLAIMABLE", "BORROWS", "build_section"}, (path, names)


def test_the_registered_sections_in_the_kinds_order():
    assert list(stack_sections()) == ["consumer_groups", "share_groups", "delete_records", "acls", "streams_apps",
                                      "users", "quotas", "broker_configs", "group_configs", "subjects", "features"]
    assert claimable_sections() == ("topics", "connectors", "acls", "subjects")


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_a_units_policy_resolves_to_its_type(unit):
    """`policy_ref` checks a kind with a section."""
    from kplan.kinds.policy import PolicyPart

    if unit.policy is not None:
        assert isinstance(unit.policy, PolicyPart) and unit.section is not None


def test_the_runtime_is_the_connector_kinds_and_answers_its_protocol():
    """The one kind whose resources run on workers of their own (the connector kind) registers a Runtime; its tally
    counts its own resources, its keepers answer the topic kind's questions, and each of its reads and words is a
    method. The callers check for it and name no kind: a second registration needs no edit of them."""
    from kplan.model.status import StateTally

    runtimes = [u for u in UNITS if u.runtime is not None]
    assert [u.kind.type.value for u in runtimes] == ["connector"]
    runs = runtimes[0].runtime
    assert isinstance(runs.tally, StateTally) and runs.tally.type == runtimes[0].kind.type
    assert all(callable(getattr(runs.keepers, m)) for m in ("address", "history_owner", "live_history_owner",
                                                           "table_keeper"))
    assert all(callable(getattr(runs, m)) for m in ("run_secrets", "left_behind", "status_read", "status_with",
                                                    "metrics", "live_metrics", "healing"))
    # `kplan watch`'s restarts on the connectors' own policy are the runtime's (watch_heal names no kind)
    from kplan.commands.watch_heal import healing_parts

    assert healing_parts() == [runs.healing()]
    assert all(callable(getattr(runs.healing(), m)) for m in ("declares", "round", "restart", "track_of", "notes"))


def test_one_kind_rebalances_and_guards_consumers():
    """kplan.kinds.rebalancing and consumer_guard find the one kind registering each (the topic kind): a second
    registration would be an error, so there is none; each answers its Protocol's methods."""
    rebalancing = [u for u in UNITS if u.rebalance is not None]
    guards = [u for u in UNITS if u.consumer_guard is not None]
    assert [u.kind.type.value for u in rebalancing] == [u.kind.type.value for u in guards] == ["topic"]
    assert all(callable(getattr(rebalancing[0].rebalance, m)) for m in ("planned", "of_plan", "of_journal"))
    assert all(callable(getattr(guards[0].consumer_guard, m)) for m in ("disrupted", "attach"))
