"""The conformance kit (tests/integration/conformance.py) over every registered kind: the census (no stack), then
per kind the sequence of promises (converge, update, owner and labels, canary, import, orphan, what its resources
make, rights, a request set again, a saved request, destroy) and a sample of its kill trials. `make fault-sweep`
runs every kill trial of every kind (conformance_sweep.py)."""

from __future__ import annotations

import ast
import copy
import importlib.util
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import AdminClient
from conformance import (
    AFTER,
    BEFORE,
    BEFORE_EXCEPT_IRREVERSIBLE,
    CHECKS,
    NEITHER,
    Ctx,
    Elsewhere,
    KillTrial,
    KindFixture,
    NotApplicable,
    Rights,
    census,
    fixture,
    fixtures,
    learn,
    named_irreversible,
    run_kill,
    run_kind,
    verdict_of,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kplan_helpers import ROOT

from kplan.kinds import ORDER
from kplan.transport.kafka import dispose

ADMIN_VAR = "KIT_ADMIN_PASSWORD"


def test_census_every_kind_has_a_fixture_and_a_reason_for_each_promise_it_does_not_keep():
    found = fixtures()
    assert list(found) == list(ORDER)
    rows = []
    for name, fx in found.items():
        assert isinstance(fx, KindFixture) and fx.kind == name
        for value in (fx.secret, fx.imported, fx.orphan, fx.destroy_restores, fx.owner, fx.made, fx.rights, fx.again,
                      fx.saved):
            assert not isinstance(value, NotApplicable) or value.reason.strip(), f"{name}: a reason is empty"
            if isinstance(value, Elsewhere):
                kept_elsewhere(name, value)
        rows.append(name)
    print(census(found))


def kept_elsewhere(kind: str, value: Elsewhere) -> None:
    """A promise kept in another test: that test exists and calls the kit's function for the promise."""
    file, _, test = value.test.partition("::")
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == test]
    assert tests, f"{kind}: {value.test} does not exist"
    called = {n.func.id for n in ast.walk(tests[0]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert value.check.__name__ in called, f"{kind}: {value.test} does not call conformance.{value.check.__name__}"


def test_every_declared_irreversible_step_is_an_irreversible_step_type_with_parts():
    """A fixture's `irreversible` names step kinds that are irreversible (`kplan.kinds.step.step_types`) and, for each,
    at least one non-empty path: a typo would otherwise only show as NEITHER on the real stack."""
    import kplan.apply.steps  # noqa: F401 - every kind's builders, in the modules that define its step types
    from kplan.kinds.step import step_types

    kinds = step_types()
    for name, fx in fixtures().items():
        for kind, paths in fx.irreversible.items():
            assert kind in kinds and kinds[kind].irreversible, f"{name}: {kind!r} is not an irreversible step kind"
            assert paths and all(paths), f"{name}: {kind!r} declares no part of `read`"


def _states():
    """Three user-kind states as the kit reads them (normalized): before v2's apply, after it, and a rollback after
    its irreversible AlterUsers (the app user's credentials as v2 set them, the batch user CreateUsers made gone)."""
    before = {"kind": {"{P}-app": {"SCRAM-SHA-512": 4096}, "{P}-batch": {}}, "topics": {}}
    after = {"kind": {"{P}-app": {"SCRAM-SHA-256": 8192, "SCRAM-SHA-512": 8192},
                      "{P}-batch": {"SCRAM-SHA-512": 4096}}, "topics": {}}
    rolled = {"kind": {"{P}-app": after["kind"]["{P}-app"], "{P}-batch": {}}, "topics": {}}
    return before, after, rolled


def test_verdict_before_except_irreversible_only_when_named_declared_and_nothing_else_differs():
    before, after, rolled = _states()
    declared = {"alter-users": (("{P}-app",),)}
    assert verdict_of(before, before, after) == BEFORE
    assert verdict_of(after, before, after) == AFTER
    assert verdict_of(rolled, before, after, declared, ["alter-users"]) == BEFORE_EXCEPT_IRREVERSIBLE
    assert verdict_of(rolled, before, None, declared, ["alter-users"]) == BEFORE_EXCEPT_IRREVERSIBLE  # after unknown
    # the app user's part absent (deleted by the step) compares as masked too
    gone = {**rolled, "kind": {"{P}-batch": {}}}
    assert verdict_of(gone, before, None, {"alter-users": (("{P}-app",),)}, ["alter-users"]) == \
        BEFORE_EXCEPT_IRREVERSIBLE
    # ... but, with `after` known, the part must be as before or as after: not something else the step never writes
    odd = {**rolled, "kind": {"{P}-app": {"SCRAM-SHA-512": 8192}, "{P}-batch": {}}}
    assert verdict_of(odd, before, after, declared, ["alter-users"]) == NEITHER
    # nothing named by the rollback, or a named step the fixture does not declare: no excuse
    assert verdict_of(rolled, before, after, declared, []) == NEITHER
    assert verdict_of(rolled, before, after, {}, ["alter-users"]) == NEITHER
    assert verdict_of(rolled, before, after, declared, ["alter-users", "delete-topics"]) == NEITHER
    # anything else differing fails: the batch user left behind, a topic left, the wrong part declared
    left = {**before, "kind": {**before["kind"], "{P}-batch": {"SCRAM-SHA-512": 4096}}}
    assert verdict_of(left, before, after, declared, ["alter-users"]) == NEITHER
    left = {**rolled, "kind": {**rolled["kind"], "{P}-batch": {"SCRAM-SHA-256": 4096}}}
    assert verdict_of(left, before, after, declared, ["alter-users"]) == NEITHER
    assert verdict_of({**rolled, "topics": {"{P}.t": {"partitions": 1}}}, before, after, declared,
                      ["alter-users"]) == NEITHER
    assert verdict_of(rolled, before, after, {"alter-users": (("{P}-batch",),)}, ["alter-users"]) == NEITHER


def test_named_irreversible_needs_the_step_run_marked_and_listed_with_exit_3():
    entry = {"index": 1, "kind": "alter-users", "irreversible": True, "before": {"password": "unknown"},
             "args": {"upserts": [{"user": "p-app", "mechanism": "SCRAM-SHA-512", "iterations": 8192,
                                   "password": "${secret:env:X}"}], "removals": []}}
    ran = [{"index": 0, "status": "done"}, {**entry, "status": "done"}]
    marked = [{**entry, "status": "irreversible"}]
    text = ("Rolled back run r1: 1 step(s) undone, 1 irreversible.\nError: apply failed: interrupted\n"
            "Rolled back:\n  - create SCRAM user(s) p-batch\n"
            "Could NOT be rolled back (the cluster is not as before):\n"
            "  - set the credentials of SCRAM user(s) p-app: irreversible (cannot be undone)\n"
            "Check these resources by hand, then run `kplan plan` to see what differs from the stack.\n")
    assert named_irreversible(ran, marked, 3, text) == ["alter-users"]
    assert named_irreversible(ran, marked, 0, text) == []  # a rollback that says it is complete names nothing
    assert named_irreversible(ran, marked, 3, text.replace("p-app: irreversible", "p-app: undo failed")) == []
    assert named_irreversible(ran, marked, 3, text.replace("Could NOT", "Could")) == []
    assert named_irreversible(ran[:1], marked, 3, text) == []  # the killed apply never ran it
    assert named_irreversible([{**ran[1], "status": "pending"}], marked, 3, text) == []


# the marks of the kinds run on a cluster of their own: the 3-broker cluster's (its serial stage: they change broker
# configs), the features broker's (serial: it starts a broker)
MARKS = {"cluster3": [pytest.mark.serial, pytest.mark.cluster3], "features": [pytest.mark.serial]}


def _kinds(target: str = "stack") -> list:
    """The kinds with a fixture (the census test names those without) that run on `target`'s cluster: "cluster3",
    "features", or the local stack (its plain or secured side)."""
    out = []
    for name in ORDER:
        try:
            fx = fixture(name)
        except LookupError:
            continue
        if fx.target == target or (target == "stack" and fx.target not in MARKS):
            out.append(pytest.param(name, marks=MARKS[target]) if target in MARKS else name)
    return out


def _ctx(fx: KindFixture, prefix: str, tmp: Path, request, bootstrap: str, connect_url: str = "",
         registry_url: str = "") -> Ctx:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    request.addfinalizer(lambda: dispose(admin))
    cluster: dict = {"bootstrap_servers": bootstrap, "timeout": "20s"}
    if connect_url:
        cluster.update(connect_url=connect_url, schema_registry={"url": registry_url})
    config, secrets, secured = {"bootstrap.servers": bootstrap}, {}, None
    if fx.target == "secured" or isinstance(fx.rights, Rights):  # the rights promise plans as a user of its listener
        secured = request.getfixturevalue("secured")
    if fx.target == "secured":
        cluster = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s", "client": {
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + ADMIN_VAR + "}",
            "ssl.ca.location": secured.ca_file}}
        config = secured.kafka_config()
        secrets = {ADMIN_VAR: secured.admin_password}
    return Ctx(prefix, tmp, bootstrap, connect_url, registry_url, admin, cluster, config, secrets=secrets,
               secured=secured)


@pytest.fixture
def kit_ctx(request, stack, unique, tmp_path):
    """A Ctx maker on the local stack (the plain side, or the secured listener when the fixture asks): each call a
    stack name and directory of its own."""
    def make(fx: KindFixture) -> Ctx:
        prefix = unique(f"kit-{fx.kind.replace('_', '-')}")
        (tmp_path / prefix).mkdir()
        return _ctx(fx, prefix, tmp_path / prefix, request, stack.bootstrap_servers, stack.connect_url,
                    stack.schema_registry_url)
    return make


@pytest.fixture
def kit_ctx_features(request, features_cluster, unique, tmp_path):
    """The same on the broker of its own formatted with share.version off (features_broker.py)."""
    def make(fx: KindFixture) -> Ctx:
        prefix = unique(f"kit-{fx.kind.replace('_', '-')}")
        (tmp_path / prefix).mkdir()
        return _ctx(fx, prefix, tmp_path / prefix, request, features_cluster.bootstrap)
    return make


@pytest.fixture
def kit_ctx3(request, multibroker, unique, tmp_path):
    """The same on the 3-broker cluster (no Connect, no registry; never the main stack, which the serial tests
    beside these stop and restart)."""
    def make(fx: KindFixture) -> Ctx:
        prefix = unique(f"kit-{fx.kind.replace('_', '-')}")
        (tmp_path / prefix).mkdir()
        return _ctx(fx, prefix, tmp_path / prefix, request, multibroker.BOOTSTRAP)
    return make


def keeps_every_promise(kind: str, make) -> None:
    fx = fixture(kind)
    report = run_kind(fx, make(fx))
    print(kind, report.results)
    assert not report.failures, report.failures
    assert set(report.results) == set(CHECKS) - {"kills", "fuzz"}, report.results


def recovers_from_kills(kind: str, make) -> None:
    """The sample CI runs, one trial per kind, the kinds taking turns (`make fault-sweep` runs every trial): the
    apply of version 2 killed in the middle of its first step and rolled back (exactly before), or killed at the
    start of its first step and resumed (exactly after: an uninterrupted apply's state, learned first)."""
    fx = fixture(kind)
    version = fx.kill_versions[-1]
    if list(ORDER).index(kind) % 2 == 0:
        outcome = run_kill(fx, make(fx), KillTrial(kind, version, 1, "middle", "rollback"), None)
    else:
        learned = learn(fx, make(fx), version)
        assert learned.steps, f"{kind}: the apply of version {version} ran no step"
        outcome = run_kill(fx, make(fx), KillTrial(kind, version, 1, "start", "resume"), learned)
    assert outcome["ok"], outcome


@pytest.mark.parametrize("kind", _kinds())
def test_kind_keeps_every_promise(kind, kit_ctx):
    keeps_every_promise(kind, kit_ctx)


@pytest.mark.parametrize("kind", _kinds())
def test_kind_recovers_from_kills_in_its_steps(kind, kit_ctx):
    recovers_from_kills(kind, kit_ctx)


@pytest.mark.parametrize("kind", _kinds("cluster3"))
def test_cluster3_kind_keeps_every_promise(kind, kit_ctx3):
    keeps_every_promise(kind, kit_ctx3)


@pytest.mark.parametrize("kind", _kinds("cluster3"))
def test_cluster3_kind_recovers_from_kills_in_its_steps(kind, kit_ctx3):
    recovers_from_kills(kind, kit_ctx3)


@pytest.mark.parametrize("kind", _kinds("features"))
def test_features_kind_keeps_every_promise(kind, kit_ctx_features):
    keeps_every_promise(kind, kit_ctx_features)


@pytest.mark.parametrize("kind", _kinds("features"))
def test_features_kind_recovers_from_kills_in_its_steps(kind, kit_ctx_features):
    recovers_from_kills(kind, kit_ctx_features)


def _irreversible_kinds() -> list[str]:
    return [name for name in ORDER if fixture(name).irreversible and fixture(name).target not in MARKS]


@pytest.mark.parametrize("kind", _irreversible_kinds())
def test_kind_rollback_after_an_irreversible_step_is_before_except_named(kind, kit_ctx):
    """A kind whose fixture declares an irreversible step: its last apply killed in the middle of its first
    irreversible step (learned from the journal of an uninterrupted apply) and rolled back. `recover --rollback`
    exits 3 naming the step and the state is before except what the fixture declares the step changes. The same
    real states fail the verdict when the declaration is missing or names another part, and when anything else is
    left as the killed apply made it (what a rollback that forgot an undo would leave)."""
    fx = fixture(kind)
    version = fx.kill_versions[-1]
    learned = learn(fx, kit_ctx(fx), version)
    assert learned.irreversible, f"{kind}: the apply of version {version} ran no irreversible step"
    step = learned.irreversible[0]
    outcome = run_kill(fx, kit_ctx(fx), KillTrial(kind, version, step, "middle", "rollback"), learned)
    print(outcome)
    assert outcome["verdict"] == BEFORE_EXCEPT_IRREVERSIBLE and outcome["ok"], outcome
    named = outcome["irreversible"]["named"]
    final, before, after = outcome["states"]["final"], outcome["states"]["before"], learned.after
    assert verdict_of(final, before, after, fx.irreversible, named) == BEFORE_EXCEPT_IRREVERSIBLE
    assert verdict_of(final, before, after, {}, named) == NEITHER
    assert verdict_of(final, before, after, fx.irreversible, []) == NEITHER
    others = {k: (("{P}-no-such-part",),) for k in fx.irreversible}
    assert verdict_of(final, before, after, others, named) == NEITHER
    # what else the apply changed (in the part of `read` no irreversible step declares), left as it made it
    declared = {p[0] for paths in fx.irreversible.values() for p in paths}
    changed = [k for k in after["kind"] if k not in declared and after["kind"][k] != before["kind"].get(k)]
    assert changed, f"{kind}: version {version} changes nothing but its irreversible parts: nothing else to check"
    for k in changed:  # (a rollback's verdict must be BEFORE or BEFORE_EXCEPT_IRREVERSIBLE: AFTER fails it too)
        forgot = {**final, "kind": {**final["kind"], k: after["kind"][k]}}
        assert verdict_of(forgot, before, after, fx.irreversible, named) in (AFTER, NEITHER), k
        forgot = {**before, "kind": {**before["kind"], k: after["kind"][k]}}
        assert verdict_of(forgot, before, after, fx.irreversible, named) == NEITHER, k


def _fuzz_module():
    """tests/unit/stackfile/test_stack_fuzz.py: its mutations (values, paths) and its clean-run check."""
    path = Path(__file__).resolve().parents[1] / "unit" / "stackfile" / "test_stack_fuzz.py"
    spec = importlib.util.spec_from_file_location("kit_stack_fuzz", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ORDER)
def test_kind_section_fuzzed_never_crashes(kind, tmp_path):
    """The kit's fuzz promise, without a stack: the kind's section of version 1 mutated one to three times (a value
    replaced, a key deleted, a key added) gives `kplan validate` and `kplan plan --live-state` a clean run: no
    traceback, every error one line naming the stack file (and line). KPLAN_FUZZ_EXAMPLES=N raises the budget."""
    fuzz = _fuzz_module()
    fx = fixture(kind)
    ctx = Ctx("kit", tmp_path, "localhost:9092", "http://localhost:8083", "http://localhost:8081", None,
              {"bootstrap_servers": "localhost:9092", "connect_url": "http://localhost:8083",
               "schema_registry": {"url": "http://localhost:8081"}}, {})
    seed = {"stack": "kit", "cluster": ctx.cluster, **fx.sections(ctx, 1)}

    @st.composite
    def mutated(draw):
        doc = copy.deepcopy(seed)
        for _ in range(draw(st.integers(1, 3))):
            if fx.section not in doc:  # an earlier mutation deleted the whole section: nothing left to mutate
                break
            where = (fx.section, *draw(st.sampled_from(list(fuzz._paths(doc.get(fx.section))))))
            parent = doc
            for key in where[:-1]:
                parent = parent[key]
            key, how = where[-1], draw(st.sampled_from(["replace", "replace", "delete", "add"]))
            if how == "delete" and isinstance(parent, dict):
                parent.pop(key, None)
            elif how == "add" and isinstance(parent[key], dict):
                parent[key][draw(st.sampled_from(fuzz.KEYS + fuzz.NAMES))] = draw(fuzz.values)
            else:
                parent[key] = draw(fuzz.values)
        return doc

    @settings(max_examples=int(os.environ.get("KPLAN_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(mutated())
    def check(doc):
        with tempfile.TemporaryDirectory() as d:
            fuzz.check_stack(Path(d), yaml.safe_dump(doc, sort_keys=False))

    check()
