"""The conformance kit: every registered kind keeps kplan's promises, checked the same way for each on the real local
stack (Terraform's provider acceptance steps — create, plan empty, import and verify, destroy and check — and more).

Each kind supplies a `KindFixture` in tests/integration/conformance_kinds/<kind>.py (the census test fails for a
kind of `kplan.kinds.ORDER` without one): its stack sections at version 1 and 2, how to read its live state without
kplan (`read`), and, per promise that does not apply to it, the reason why (`NotApplicable`). The kit then runs, for
each kind, with a fresh stack name (the prefix of every name it creates):

- converge:  apply v1 → `plan --detailed-exitcode` exits 0 ("No changes"); `status` exits 0 (in sync)
- update:    v2 → plan exits 2 → apply → plan exits 0; the independent read differs from v1's
- owner:     every entry of the kind's section has an owner and labels: the plan JSON and `status --format json`
             show them on each of its resources
- canary:    the kind's secret field holds a canary (`${secret:env:KIT_CANARY}`): it is in no output, saved plan,
             HTML report, journal or ownership record
- import:    `kplan import` of what the stack made → validate → plan exits 0
- orphan:    a resource made out of band under the stack's claim is listed as an orphan by `status`
- made:      what a declared resource of the kind makes (a Streams application's internal topics, a mirror's
             replicas) is never an orphan: made out of band, under a pruning claim, the plan (JSON) neither lists it
             as an orphan nor deletes it, while a topic made by hand under the same claim is listed and deleted
             (`never_orphans`)
- rights:    a rights error is an error whatever the group's state: planned as a SCRAM user of the secured listener
             that lacks a right the plan needs, before a group commits and after, the plan names what it lacks — in
             an error, exit 1 (or, for the consumer guard, in its warning that it did not run) — and never says
             that something could not be read nor that no consumer group reads a topic (`named_whatever_the_group`)
- again:     a new request to the positions the cluster shows already, for a kind that sets them all the same, is
             a change (`plan --detailed-exitcode` exits 2) and apply sends it: the cluster writes the group's
             positions again (a record keyed by the group in the internal topic the fixture names) and the read is
             unchanged
- saved:     a saved plan's resolved request positions are what apply uses: `plan -out` of a new request, what the
             positions depend on moves (records arrive, a sink's offsets are committed), `apply PLANFILE` exits 0
             and the read is what the fixture says the plan resolved, not what a fresh plan would
- destroy:   `destroy` → the independent read is as before the first apply; no lock, an empty ownership record
- kills:     an apply (v1 from nothing, v2 over v1) paused at the start (journal says "started", nothing written) or
             in the middle (its writes done, the journal still says "started") of each of its steps and SIGKILLed
             from outside; then `recover --rollback` must leave exactly what was before (read independently) and
             `recover --resume` exactly what v1/v2 declares (the learned read of an uninterrupted apply), with
             `plan --detailed-exitcode` 0, no lock, and no unfinished run reported. One more verdict is accepted
             for a rollback, "before except irreversible, named": the killed apply had run an irreversible step
             (the journal says it started), `recover --rollback` exits 3 naming it as not rolled back, the journal
             marks it irreversible, and the state is exactly before except the parts of `read` the fixture declares
             that step changes (`KindFixture.irreversible`), each of which is as before or as after
             (`verdict_of`)
- fuzz:      the kind's section, mutated (tests/unit/stackfile/test_stack_fuzz.py's mutations), never crashes
             `kplan validate` / `plan --live-state`: every error is one line naming the file and line

A promise a kind keeps but that needs what the per-kind sequence does not have (the mirrors' second cluster) is
`Elsewhere`: the test that checks it, which calls the kit's function for it; the census shows it, and
test_conformance.py checks that the test exists and calls that function.

`run_kind` runs the checks in one sequence (one stack name) and returns a `KindReport`; `kill_trials` lists a
kind's kill trials (learned from an uninterrupted apply) and `run_kill` runs one. tests/integration/
test_conformance.py runs the sequence and a sample of kill trials per kind in CI; `make fault-sweep` runs every
kill trial of every kind (conformance_sweep.py) and writes the figures into docs/fault-sweep.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import by_hand  # noqa: E402
from kplan_helpers import (  # noqa: E402
    ROOT,
    Run,
    can_log_in,
    faulty_command,
    forget_stack,
    kplan,
    lock_exists,
    read_stack_ownership,
    run_env,
    snapshot,
    wait_for,
    write_stack,
)

CANARY_VAR = "KIT_CANARY"
CHECKS = ("converge", "update", "owner", "canary", "import", "orphan", "made", "rights", "again", "saved", "destroy",
          "kills", "fuzz")
RIGHTS_VAR = "KIT_RIGHTS_PASSWORD"
AGAIN, SAVED = 3, 4  # the `sections` versions of the `again` and `saved` promises' requests
PAUSED = "KPLAN-TEST-PAUSED"
NO_CHANGES = "No changes"
# a kill trial's verdicts: the state after the recovery is exactly the one before the killed apply, exactly the one
# an uninterrupted apply leaves, before except what irreversible steps the rollback named changed, or none of these
BEFORE, AFTER, BEFORE_EXCEPT_IRREVERSIBLE, NEITHER = "BEFORE", "AFTER", "BEFORE_EXCEPT_IRREVERSIBLE", "NEITHER"
VERDICTS = (BEFORE, AFTER, BEFORE_EXCEPT_IRREVERSIBLE, NEITHER)
NOT_ROLLED_BACK = "Could NOT be rolled back"  # kplan.session.run.report_failure's heading of what a rollback left


@dataclass(frozen=True)
class NotApplicable:
    """A promise that does not apply to a kind, and why (shown in the census)."""

    reason: str


@dataclass(frozen=True)
class Elsewhere:
    """A promise the kind keeps, checked by another test file's test (`test`: its node id) with the kit's function
    for it (`check`): what it needs, the mirrors' second cluster, is not the per-kind sequence's to start."""

    test: str
    check: Callable[..., Any]


@dataclass(frozen=True)
class Made:
    """The `made` promise's part of a fixture: `make` makes out of band what a declared resource of version 2 makes
    (ctx) -> its address; `drop` removes it again."""

    make: Callable[["Ctx"], str]
    drop: Callable[["Ctx"], None]


@dataclass(frozen=True)
class Rights:
    """The `rights` promise's part of a fixture. The kit plans, as the SCRAM user `rights_user(ctx)` of the secured
    listener, the stack `sections(ctx)` (stack name ctx.prefix), the user having `grants(ctx)` ((resource type, name,
    pattern type, operation), confluent-kafka's names) and no more; `commit(ctx)` makes the group `rights_user(ctx)`
    commit between its two plans; `named(ctx)`: what the plan must say it lacks, in one error (exit 1) or, `error`
    False, in one warning (exit 0: a check that did not run for want of the right)."""

    sections: Callable[["Ctx"], dict]
    grants: Callable[["Ctx"], list[tuple[str, str, str, str]]]
    commit: Callable[["Ctx"], None]
    named: Callable[["Ctx"], list[str]]
    error: bool = True


@dataclass(frozen=True)
class Again:
    """The `again` promise's part of a fixture: `sections(ctx, AGAIN)` asks a new request to the positions version 2
    left; the cluster keeps a group's positions in Kafka's internal topic `log`, whose records are keyed by the
    group `group(ctx)`: a new one is the write apply sent."""

    log: str
    group: Callable[["Ctx"], str]


@dataclass(frozen=True)
class Saved:
    """The `saved` promise's part of a fixture: `sections(ctx, SAVED)` asks a new request whose positions the plan
    resolves; `move` moves what they depend on (between `plan -out` and `apply PLANFILE`); `want`: the kind's read
    once the saved plan is applied (the positions resolved when it was made)."""

    move: Callable[["Ctx"], None]
    want: Callable[["Ctx"], Any]


@dataclass
class Ctx:
    """What a fixture's functions get: the stack name (= the prefix of every name), a directory of its own, the
    endpoints of the local stack it runs on and the canary value."""

    prefix: str
    tmp: Path
    bootstrap: str  # the plain listener of the stack's broker(s) (a secured stack's broker has one too)
    connect_url: str
    registry_url: str
    admin: Any  # a confluent_kafka AdminClient of `bootstrap` (kplan's own topics, the snapshot)
    cluster: dict  # the stack file's `cluster:` section
    kafka_config: dict  # the confluent-kafka config of the stack's listener (SASL/TLS when secured)
    canary: str = field(default_factory=lambda: f"Kit-Canary-{uuid.uuid4().hex[:10]}")
    secrets: dict = field(default_factory=dict)  # more environment for kplan (the secured cluster's password)
    extra: dict = field(default_factory=dict)  # whatever a fixture's setup hands its other functions
    secured: Any = None  # the local stack's secured listener (a SecuredStack), for the `rights` promise

    @property
    def env(self) -> dict:
        return {CANARY_VAR: self.canary, **self.secrets}


Sections = Callable[[Ctx, int], dict]


@dataclass(frozen=True)
class KindFixture:
    """A kind's part of the kit (tests/integration/conformance_kinds/<kind>.py, `FIXTURE`)."""

    kind: str  # its name in kplan.kinds.ORDER
    section: str  # its stack section (owner and labels go on every entry of it)
    sections: Sections  # (ctx, version 1 or 2) -> the stack file's sections (besides `stack` and `cluster`)
    read: Callable[[Ctx], Any]  # its live state under ctx.prefix, read without kplan (JSON-able, sorted)
    # the cluster it runs on: the local stack's "stack" (plain) or "secured" (SASL_SSL) side, "cluster3", or "features"
    # (a broker of its own with share.version off: features_broker.py)
    target: str = "stack"
    setup: Callable[[Ctx], None] = lambda ctx: None  # out-of-band preparation before version 1
    teardown: Callable[[Ctx], None] = lambda ctx: None  # best-effort removal of what setup or orphan made
    secret: str | NotApplicable = NotApplicable("the kind has no secret field")  # where v1/v2 put the canary
    imported: tuple[str, ...] | NotApplicable = ()  # sections `kplan import` writes for it (its own first)
    import_args: Callable[[Ctx], list[str]] = lambda ctx: []  # more `kplan import` options
    # an out-of-band resource named under the claim (ctx, name) -> the address status must list as an orphan
    orphan: Callable[[Ctx, str], str] | NotApplicable = NotApplicable("the kind is not claimable")
    drop_orphan: Callable[[Ctx, str], None] = lambda ctx, name: None  # removes it again
    destroy_restores: bool | NotApplicable = True  # destroy leaves `read` as before version 1
    owner: bool | NotApplicable = True  # its entries take owner and labels
    made: Made | Elsewhere | NotApplicable = NotApplicable(
        "its resources make nothing a claim covers (topics, connectors, ACL bindings, subjects) but themselves")
    rights: Rights | Elsewhere | NotApplicable = NotApplicable(
        "its plan reads no consumer or share group: none of the rights it needs depends on a group's state")
    again: Again | NotApplicable = NotApplicable("the kind has no request: it sets no position")
    saved: Saved | NotApplicable = NotApplicable("the kind has no request: its plan resolves no position")
    kill_versions: tuple[int, ...] = (1, 2)  # the applies whose steps are killed
    # Each irreversible step its applies run (its journal kind, e.g. "alter-users") -> the parts of `read` it changes
    # for good: key paths into `read`'s document, names as `normalized` writes them ("{P}-app"). A rollback of an
    # apply killed after such a step ran is judged on everything else (`verdict_of`).
    irreversible: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def fixture(name: str) -> KindFixture:
    """A kind's fixture; LookupError naming what to write when it has none."""
    try:
        module = import_module(f"conformance_kinds.{name}")
    except ModuleNotFoundError as e:
        raise LookupError(f"kind {name!r} has no conformance fixture (tests/integration/conformance_kinds/"
                          f"{name}.py defining FIXTURE)") from e
    return module.FIXTURE


def fixtures() -> dict[str, KindFixture]:
    """Every kind's fixture, in kplan.kinds.ORDER; a kind without one raises (the census test names it)."""
    from kplan.kinds import ORDER

    return {name: fixture(name) for name in ORDER}


# -- the report ------------------------------------------------------------------------------------------------

@dataclass
class KindReport:
    kind: str
    results: dict[str, str] = field(default_factory=dict)  # check -> "ok" | "n/a: why" | "FAILED: why"
    kills: list[dict] = field(default_factory=list)

    def ok(self, check: str) -> None:
        self.results[check] = "ok"

    def na(self, check: str, why: NotApplicable) -> None:
        self.results[check] = f"n/a: {why.reason}"

    @property
    def failures(self) -> dict[str, str]:
        return {c: r for c, r in self.results.items() if r.startswith("FAILED")}


class KitFailure(AssertionError):
    pass


def expect(condition: bool, what: str, run: Run | None = None) -> None:
    if not condition:
        detail = f"\n--- exit {run.code}\n{run.text[-3000:]}" if run is not None else ""
        raise KitFailure(what + detail)


# -- running kplan on a fixture's stack ------------------------------------------------------------------------------

def stack_file(fx: KindFixture, ctx: Ctx, version: int, *, extra: dict | None = None, name: str = "stack.yaml"
               ) -> Path:
    doc = {"stack": ctx.prefix, "cluster": ctx.cluster, **fx.sections(ctx, version), **(extra or {})}
    return write_stack(ctx.tmp / name, doc)


def run(ctx: Ctx, *args: str) -> Run:
    return kplan(*args, env=ctx.env)


def converged(ctx: Ctx, path: Path, what: str, env: dict | None = None) -> None:
    r = kplan("plan", str(path), "--detailed-exitcode", "--no-color", env={**ctx.env, **(env or {})})
    expect(r.code == 0 and NO_CHANGES in r.out, f"{what}: plan --detailed-exitcode must say No changes", r)


def applied(ctx: Ctx, path: Path, what: str) -> Run:
    r = run(ctx, "apply", str(path), "--auto-approve", "--no-color")
    expect(r.code == 0, f"{what}: apply failed", r)
    return r


def normalized(value: Any, ctx: Ctx) -> Any:
    """The state with this stack's names and canary replaced ({P}, {CANARY}): comparable across stack names."""
    text = json.dumps(value, sort_keys=True, default=str)
    return json.loads(text.replace(ctx.prefix, "{P}").replace(ctx.canary, "{CANARY}"))


# The states Connect reports for a connector between two steady ones: being (re)assigned to a worker or restarted
TRANSIENT = frozenset({None, "UNASSIGNED", "RESTARTING"})


def state(fx: KindFixture, ctx: Ctx, timeout: float = 30) -> dict:
    """The kind's independent read plus every topic and connector with the prefix (what its stack may also make),
    once no connector is between two steady states (read again for at most `timeout`, then the last read): right
    after an apply Connect may still report a connector it has just (re)started UNASSIGNED, and a state read then
    (the state an uninterrupted apply leaves, which a resumed one is compared with) matched no steady end (a
    mirror's kill trial: NEITHER, with nothing else different)."""
    deadline = time.monotonic() + timeout
    while True:
        snap = snapshot(ctx.admin, ctx.connect_url, ctx.prefix) if ctx.connect_url else {}
        moving = [c for c in (snap.get("connectors") or {}).values() if c.get("state") in TRANSIENT]
        if not moving or time.monotonic() > deadline:
            return normalized({"kind": fx.read(ctx), **snap}, ctx)
        time.sleep(0.5)


def lock_left(ctx: Ctx, timeout: float = 15) -> bool:
    """Whether the stack's lock topic is still there after `timeout`: kplan deletes it on release, and the broker
    deletes a topic asynchronously (its metadata may list it for a moment after the command ended)."""
    deadline = time.monotonic() + timeout
    while lock_exists(ctx.admin, ctx.prefix, {"bootstrap.servers": ctx.bootstrap}):
        if time.monotonic() > deadline:
            return True
        time.sleep(0.5)
    return False


def settled_state(fx: KindFixture, ctx: Ctx, want: dict | None, timeout: float = 30,
                  settled: Callable[[dict], bool] | None = None) -> dict:
    """The state, read again for a moment until it is `want` (or `settled` says it is what is wanted: Connect
    reports a connector's new state, and the authorizer a binding, a moment after the write was answered); the last
    read otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        now = state(fx, ctx)
        if (settled(now) if settled is not None else now == want) or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


# -- the sequence --------------------------------------------------------------------------------------------------

def with_owner(fx: KindFixture, doc: dict) -> dict:
    """Every entry of the kind's section owned by `team-kit` with the label `kit: conformance`."""
    for entry in doc.get(fx.section, []):
        entry.update(owner="team-kit", labels={"kit": "conformance"})
    return doc


def run_kind(fx: KindFixture, ctx: Ctx) -> KindReport:
    """Every check but the kills and the fuzz, in one sequence on one stack name; a failed check ends the sequence
    (the ones after it are not run) after a best-effort destroy."""
    report = KindReport(fx.kind)
    outputs: list[str] = []
    fx.setup(ctx)
    baseline = state(fx, ctx)
    path = ctx.tmp / "stack.yaml"
    check = "converge"
    try:
        # converge: v1 with owners and labels (checked below)
        sections = fx.sections(ctx, 1)
        if not isinstance(fx.owner, NotApplicable):
            with_owner(fx, sections)
        write_stack(path, {"stack": ctx.prefix, "cluster": ctx.cluster, **sections})
        planfile = ctx.tmp / "v1.plan"
        r = run(ctx, "plan", str(path), "-out", str(planfile), "--report", str(ctx.tmp / "v1.html"), "--no-color")
        outputs.append(r.text)
        expect(r.code == 0, "the plan of version 1 failed", r)
        plan_json = run(ctx, "show", str(planfile), "--format", "json")
        outputs.append(plan_json.text)
        outputs.append(applied(ctx, path, "version 1").text)
        converged(ctx, path, "after version 1")
        r = run(ctx, "status", str(path), "--format", "json")
        outputs.append(r.text)
        expect(r.code == 0, "status after version 1 must be in sync (exit 0)", r)
        v1 = state(fx, ctx)
        expect(v1 != baseline, f"version 1 made nothing the independent read sees ({v1})")
        report.ok("converge")

        check = "owner"
        if isinstance(fx.owner, NotApplicable):
            report.na("owner", fx.owner)
        else:
            changes = [c for c in json.loads(plan_json.out)["resource_changes"]
                       if c["type"] == kind_type(fx.kind)]
            expect(bool(changes), f"the plan JSON has no {fx.kind} change", plan_json)
            expect(all(c.get("owner") == "team-kit" and c.get("labels") == {"kit": "conformance"} for c in changes),
                   f"a {fx.kind} change lacks its owner or labels: {changes}")
            status = json.loads(r.out)
            mine = [res for res in status["resources"] if res["type"] == kind_type(fx.kind)]
            expect(bool(mine) and all(res.get("owner") == "team-kit" for res in mine),
                   f"status --format json lacks the owner of a {fx.kind}: {mine}")
            report.ok("owner")

        check = "update"
        stack_file(fx, ctx, 2)
        r = run(ctx, "plan", str(path), "--detailed-exitcode", "--no-color")
        outputs.append(r.text)
        expect(r.code == 2, "version 2 must plan changes (exit 2)", r)
        outputs.append(applied(ctx, path, "version 2").text)
        converged(ctx, path, "after version 2")
        v2 = state(fx, ctx)
        expect(v2 != v1, "version 2 changed nothing the independent read sees")
        report.ok("update")

        check = "again"
        if isinstance(fx.again, NotApplicable):
            report.na("again", fx.again)
        else:
            outputs += set_again(fx, ctx, path)
            report.ok("again")

        check = "saved"
        if isinstance(fx.saved, NotApplicable):
            report.na("saved", fx.saved)
        else:
            outputs += applied_as_saved(fx, ctx, path)
            report.ok("saved")

        check = "import"
        if isinstance(fx.imported, NotApplicable):
            report.na("import", fx.imported)
        else:
            out = ctx.tmp / "imported.yaml"
            r = run(ctx, "import", "--stack", ctx.prefix, "-o", str(out), "--prefix", ctx.prefix,
                    *import_source(ctx, path), *fx.import_args(ctx), *skipped_sections(fx.imported))
            outputs.append(r.text)
            expect(r.code == 0, "import failed", r)
            doc = yaml_load(out)
            expect(bool(doc.get(fx.imported[0])), f"import wrote no {fx.imported[0]}: {doc}")
            doc["cluster"] = ctx.cluster
            write_stack(out, doc)
            # import writes a secret as ${secret:env:NAME} (NAME printed); a fixture's secret fields hold the canary
            named = {v: ctx.canary for v in re.findall(r"\$\{secret:env:(\w+)\}", out.read_text())
                     if v not in ctx.env}
            r = kplan("validate", str(out), env={**ctx.env, **named})
            expect(r.code == 0, "the imported stack does not validate", r)
            converged(ctx, out, "the imported stack", named)
            report.ok("import")

        check = "orphan"
        if isinstance(fx.orphan, NotApplicable):
            report.na("orphan", fx.orphan)
        else:
            name = f"{ctx.prefix}.orphan"
            address = fx.orphan(ctx, name)
            try:
                claimed = stack_file(fx, ctx, 2, extra={"claims": [{"prefix": ctx.prefix}]}, name="claimed.yaml")
                r = run(ctx, "status", str(claimed), "--format", "json")
                expect(r.code == 0, "status with a claim failed", r)
                orphans = {o["address"] for o in json.loads(r.out).get("orphans", [])}
                expect(address in orphans, f"{address} is not listed as an orphan under the claim: {orphans}", r)
            finally:
                fx.drop_orphan(ctx, name)
            report.ok("orphan")

        check = "made"
        if isinstance(fx.made, (NotApplicable, Elsewhere)):
            not_run_here(report, "made", fx.made)
        else:
            outputs.append(made_kept(fx, fx.made, ctx))
            report.ok("made")

        check = "rights"
        if isinstance(fx.rights, (NotApplicable, Elsewhere)):
            not_run_here(report, "rights", fx.rights)
        else:
            outputs += [r.text for r in rights_named(fx.rights, ctx)]
            report.ok("rights")

        check = "destroy"
        r = run(ctx, "destroy", str(path), "--auto-approve", "--no-color")
        outputs.append(r.text)
        expect(r.code == 0, "destroy failed", r)
        expect(not lock_left(ctx), "destroy left the stack's lock")
        record = read_stack_ownership(ctx.admin, ctx.bootstrap, ctx.prefix)
        expect(record.run is None, "destroy left a run marker in the ownership record")
        expect(not (record.owned("topics") or record.owned("connectors") or any(record.kinds.values())),
               f"destroy left owned resources in the ownership record: {record}")
        if isinstance(fx.destroy_restores, NotApplicable):
            report.na("destroy", fx.destroy_restores)
        else:
            after = settled_state(fx, ctx, baseline)
            expect(after == baseline, f"destroy left something: {after} != {baseline}")
            report.ok("destroy")

        check = "canary"
        if isinstance(fx.secret, NotApplicable):
            report.na("canary", fx.secret)
        else:
            texts = outputs + [p.read_text(errors="replace") for p in ctx.tmp.rglob("*")
                               if p.is_file() and p.suffix in (".plan", ".html", ".json")]
            texts += journal_texts(ctx.prefix)
            reference = "${secret:env:" + CANARY_VAR + "}"
            expect(all(reference in json.dumps(fx.sections(ctx, v)) for v in (1, 2)),
                   f"the fixture names a secret field ({fx.secret}) but does not put {reference} in it")
            leaks = [t[:200] for t in texts if ctx.canary in t]
            expect(not leaks, f"the canary ({fx.secret}) leaked: {leaks}")
            report.ok("canary")
    except KitFailure as e:
        report.results[check] = f"FAILED: {e}"
    finally:
        if report.failures:
            run(ctx, "destroy", str(path), "--auto-approve")
        fx.teardown(ctx)
    return report


def not_run_here(report: KindReport, check: str, value: NotApplicable | Elsewhere) -> None:
    """A promise the kind does not keep (its reason), or keeps in another test (named)."""
    if isinstance(value, Elsewhere):
        report.results[check] = f"elsewhere: {value.test}"
    else:
        report.na(check, value)


# -- the promises of what a declared resource makes, of rights, and of requests -------------------------------------

ORPHAN = "orphan"  # the code of the plan's orphan diagnostics (kplan.plan.orphans.CODE)
ALL_CLEAR = "no consumer group reads it"  # the consumer guard's all-clear (kplan.render.common)
UNREAD = "could not be read"  # a read that failed, planned without (a warning)


def never_orphans(plan: Callable[[], Run], made: Sequence[str], stray: str) -> Run:
    """The `made` promise on a stack whose claims prune (`plan()`: its `plan --format json`): no address of `made`
    (what a declared resource made) is an orphan diagnostic or a deletion, while `stray`, made by hand under a claim,
    is both (so the claims do prune: the check can fail). Its run."""
    r = plan()
    expect(r.code == 0, "the plan with pruning claims failed", r)
    doc = json.loads(r.out)
    orphans = {d.get("address") for d in doc["diagnostics"] if d.get("code") == ORPHAN}
    deleted = {c["address"] for c in doc["resource_changes"] if "delete" in c.get("actions", ())}
    expect(stray in orphans and stray in deleted, f"{stray}, made by hand under the claim, is not a pruned orphan "
           f"(orphans {sorted(orphans)}, deletions {sorted(deleted)})", r)
    wrong = sorted(a for a in made if a in orphans | deleted)
    expect(not wrong, f"what a declared resource made is an orphan or deleted: {wrong}", r)
    return r


def made_kept(fx: KindFixture, made: Made, ctx: Ctx) -> str:
    """The `made` promise in the sequence: version 2 with a pruning claim on the stack's prefix, what its resources
    make made out of band, and a topic made by hand under the claim."""
    from confluent_kafka.admin import NewTopic

    stray = f"{ctx.prefix}.stray"
    address = made.make(ctx)
    try:
        by_hand.create_topics(ctx.admin, [NewTopic(stray, 1, 1)])
        pruned = stack_file(fx, ctx, 2, extra={"claims": [{"prefix": ctx.prefix, "prune": True}]}, name="pruned.yaml")
        return never_orphans(lambda: run(ctx, "plan", str(pruned), "--format", "json"), [address],
                             f"topic.{stray}").text
    finally:
        if stray in ctx.admin.list_topics(timeout=20).topics:
            by_hand.delete_topics(ctx.admin, [stray])
        made.drop(ctx)


def _chunks(text: str) -> list[tuple[str, str]]:
    """A plan's output cut into its diagnostics, (severity, its text with the lines joined)."""
    parts = re.split(r"(?m)^(Error|Warning|Info): ", text)
    return [(parts[i], " ".join(parts[i + 1].split())) for i in range(1, len(parts) - 1, 2)]


def named_whatever_the_group(plan: Callable[[], Run], named: Sequence[str], commit: Callable[[], None],
                             error: bool = True) -> list[Run]:
    """The `rights` promise on a plan run as a principal lacking rights it needs (`plan()`: its run), before
    `commit()` makes a group commit and after: each plan names every string of `named` in one error and exits 1
    (`error`; else in one warning, exit 0), and says neither that something could not be read nor that no consumer
    group reads a topic. Its two runs."""
    runs = []
    for moment in ("before the group committed", "after the group committed"):
        if runs:
            commit()
        r = plan()
        runs.append(r)
        severity = "Error" if error else "Warning"
        expect(r.code == (1 if error else 0), f"{moment}: the plan must exit {1 if error else 0}", r)
        expect(any(s == severity and all(" ".join(n.split()) in t for n in named) for s, t in _chunks(r.text)),
               f"{moment}: no {severity.lower()} names {list(named)}", r)
        expect(UNREAD not in r.text and ALL_CLEAR not in r.text,
               f"{moment}: the plan says '{UNREAD}' or '{ALL_CLEAR}'", r)
    return runs


def rights_user(ctx: Ctx) -> str:
    """The `rights` promise's SCRAM user (and the group that commits between its two plans)."""
    return f"{ctx.prefix}-rights"


def kplan_record(ctx: Ctx) -> list[tuple[str, str, str, str]]:
    """The rights user's grants to read kplan's record (its `__kplan` topics) and describe the stack's topics."""
    return [("TOPIC", name, "PREFIXED", op) for name in ("__kplan", ctx.prefix) for op in ("READ", "DESCRIBE")]


def lists_every_group(ctx: Ctx) -> list[tuple[str, str, str, str]]:
    """`kplan_record` and DESCRIBE on the cluster, so that Kafka lists the user every group: no right on one."""
    return [*kplan_record(ctx), ("BROKER", "kafka-cluster", "LITERAL", "DESCRIBE")]


def rights_named(rights: Rights, ctx: Ctx) -> list[Run]:
    """The `rights` promise in the sequence: the fixture's stack planned as `rights_user(ctx)`, a SCRAM user of the
    secured listener with the fixture's grants only (removed after, with its group)."""
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
        ScramMechanism,
        UserScramCredentialDeletion,
    )
    from kafka.admin import KafkaAdminClient

    from kplan.transport.acls import match_any
    from kplan.transport.kafka import dispose

    secured, user, password = ctx.secured, rights_user(ctx), f"kit-{uuid.uuid4().hex}"
    admin = AdminClient(secured.kafka_config())
    try:
        by_hand.upsert_scram(admin, {user: password})
        wait_for(lambda: can_log_in(secured, user, password), 30, f"the SCRAM user {user} to log in")
        by_hand.create_acls(admin, [AclBinding(ResourceType[t], name, ResourcePatternType[pattern], f"User:{user}", "*",
                                               AclOperation[op], AclPermissionType.ALLOW)
                                    for t, name, pattern, op in rights.grants(ctx)])
        cluster = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s", "client": {
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user,
            "sasl.password": "${secret:env:" + RIGHTS_VAR + "}", "ssl.ca.location": secured.ca_file}}
        path = write_stack(ctx.tmp / "rights.yaml", {"stack": ctx.prefix, "cluster": cluster, **rights.sections(ctx)})
        runs = named_whatever_the_group(
            lambda: kplan("plan", str(path), "--no-color", env={**ctx.env, RIGHTS_VAR: password}),
            rights.named(ctx), lambda: rights.commit(ctx), rights.error)
        expect(not any(password in r.text for r in runs), "the rights user's password is in the plan's output")
        return runs
    finally:
        by_hand.delete_acls(admin, [match_any(f"User:{user}")])
        admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)])
        dispose(admin)
        groups = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
        try:
            groups.delete_groups([user])
        except Exception:  # noqa: BLE001 - never committed (the plan failed first), or gone already
            pass
        finally:
            groups.close()


def commit_group(ctx: Ctx, group: str, topic: str, offset: int = 0) -> None:
    """A consumer group's committed offset on a topic's partition 0 (no member: the plain listener's admin)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    ctx.admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, offset)])])[group].result(30)


def log_ends(ctx: Ctx, log: str) -> dict[int, int]:
    """The end offset of each partition of one of Kafka's internal topics (`__consumer_offsets`, ...)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    partitions = ctx.admin.list_topics(log, timeout=20).topics[log].partitions
    asked = ctx.admin.list_offsets({TopicPartition(log, p): OffsetSpec.latest() for p in partitions})
    return {tp.partition: f.result(30).offset for tp, f in asked.items()}


def records_keyed(ctx: Ctx, log: str, key: str, since: Mapping[int, int]) -> int:
    """How many records of the internal topic `log` written since `since` (its ends then) are keyed by `key` (the
    group the record is about: Kafka's keys hold its name)."""
    from confluent_kafka import Consumer, TopicPartition

    ends = log_ends(ctx, log)
    moved = [TopicPartition(log, p, since.get(p, 0)) for p, end in ends.items() if end > since.get(p, 0)]
    if not moved:
        return 0
    consumer = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": f"{ctx.prefix}-kit-log",
                         "enable.auto.commit": False, "isolation.level": "read_uncommitted"})
    count, deadline, wanted = 0, time.monotonic() + 30, key.encode()
    try:
        consumer.assign(moved)
        while time.monotonic() < deadline:
            count += sum(1 for m in consumer.consume(500, 1.0) if not m.error() and wanted in (m.key() or b""))
            positions = consumer.position([TopicPartition(log, tp.partition) for tp in moved])
            if all(tp.offset >= ends[tp.partition] for tp in positions):
                return count
    finally:
        consumer.close()
    raise KitFailure(f"{log} could not be read to its end within 30 s")


def set_again(fx: KindFixture, ctx: Ctx, path: Path) -> list[str]:
    """The `again` promise: a new request to the positions the cluster shows is a change, and apply sends it."""
    assert isinstance(fx.again, Again)
    stack_file(fx, ctx, AGAIN)
    before, since = state(fx, ctx), log_ends(ctx, fx.again.log)
    planned = run(ctx, "plan", str(path), "--detailed-exitcode", "--no-color")
    expect(planned.code == 2, "a new request to the positions shown must plan a change (exit 2)", planned)
    done = applied(ctx, path, "the request to the positions shown")
    written = records_keyed(ctx, fx.again.log, fx.again.group(ctx), since)
    expect(written > 0, f"apply wrote nothing of group {fx.again.group(ctx)} to {fx.again.log}: the request was not "
           "sent", done)
    after = state(fx, ctx)
    expect(after == before, f"the request to the positions shown moved something: {after} != {before}")
    return [planned.text, done.text]


def applied_as_saved(fx: KindFixture, ctx: Ctx, path: Path) -> list[str]:
    """The `saved` promise: `plan -out`, what the positions depend on moves, `apply PLANFILE` sets the saved ones."""
    assert isinstance(fx.saved, Saved)
    stack_file(fx, ctx, SAVED)
    planfile = ctx.tmp / "saved.plan"
    planned = run(ctx, "plan", str(path), "-out", str(planfile), "--no-color")
    expect(planned.code == 0, "the plan of the saved request failed", planned)
    fx.saved.move(ctx)
    done = run(ctx, "apply", str(planfile), "--auto-approve", "--no-color")
    expect(done.code == 0, "apply of the saved plan failed", done)
    now, want = fx.read(ctx), fx.saved.want(ctx)
    expect(now == want, f"apply of the saved plan did not set the positions it resolved: {now} != {want}", done)
    return [planned.text, done.text]


def kind_type(kind: str) -> str:
    """The kind's resource type, the prefix of its addresses (`topic`, `acl`, ...)."""
    from kplan.kinds import unit_module

    return import_module(f"kplan.kinds.{unit_module(kind)}").UNIT.kind.type.value


def import_source(ctx: Ctx, stack: Path) -> list[str]:
    """Where `kplan import` reads: the stack's own cluster settings when secured, else the plain endpoints."""
    if "client" in ctx.cluster:
        return ["--cluster-from", str(stack)]
    return ["--bootstrap-servers", ctx.bootstrap, "--connect-url", ctx.connect_url]


def skipped_sections(imported: tuple[str, ...]) -> list[str]:
    """`--no-<section>` for every section `kplan import` can write that the fixture does not import."""
    from kplan.kinds import UNITS

    sections = ["topics", "connectors"] + [u.kind.section for u in UNITS if u.importer is not None
                                           and u.importer.skip_help and u.kind.section not in ("topics", "connectors")]
    return [f"--no-{s}" for s in dict.fromkeys(sections) if s not in imported]


def yaml_load(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def journal_texts(stack_name: str) -> list[str]:
    """The local journal copies of this stack (kplan keeps them under the directory it runs in)."""
    from kplan.state.journal import local_state_dir

    with_cwd = Path(ROOT) / local_state_dir() / "journal"
    return [p.read_text(errors="replace") for p in with_cwd.glob(f"*{stack_name}*")] if with_cwd.is_dir() else []


# -- the kills -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KillTrial:
    kind: str
    version: int  # the apply killed: 1 (from nothing) or 2 (over version 1)
    step: int  # 1-based
    point: str  # "start" | "middle"
    recovery: str  # "rollback" | "resume"

    @property
    def id(self) -> str:
        return f"{self.kind}/v{self.version}/step{self.step}@{self.point}/{self.recovery}"

    @property
    def pause_at(self) -> str:
        return f"{'step-start' if self.point == 'start' else 'in-step'}:{self.step}"


@dataclass
class Learned:
    """An uninterrupted apply of a version: how many steps it runs, the state it ends in (normalized), and which of
    its steps (1-based) are irreversible, as its journal says."""

    steps: int
    after: dict
    before: dict
    irreversible: tuple[int, ...] = ()


def learn(fx: KindFixture, ctx: Ctx, version: int) -> Learned:
    fx.setup(ctx)
    try:
        if version == 2:
            applied(ctx, stack_file(fx, ctx, 1), "version 1 (learning)")
        before = state(fx, ctx)
        r = applied(ctx, stack_file(fx, ctx, version), f"version {version} (learning)")
        steps = max((int(m.group(2)) for m in re.finditer(r"^\[(\d+)/(\d+)\] ", r.out, re.M)), default=0)
        kept = tuple(e["index"] + 1 for e in journal_steps(stack_name(ctx)) if e.get("irreversible"))
        return Learned(steps, state(fx, ctx), before, kept)
    finally:
        run(ctx, "destroy", str(ctx.tmp / "stack.yaml"), "--auto-approve")
        fx.teardown(ctx)


def kill_trials(fx: KindFixture, learned: dict[int, Learned]) -> list[KillTrial]:
    """Start and middle of each step of each learned apply, each recovered both ways."""
    return [KillTrial(fx.kind, v, n, point, recovery)
            for v in sorted(learned) for n in range(1, learned[v].steps + 1)
            for point in ("start", "middle") for recovery in ("rollback", "resume")]


def killed_from_outside(ctx: Ctx, args: list[str], pause_at: str, timeout: float = 120) -> tuple[bool, str]:
    """Run kplan paused at `pause_at`; SIGKILL it from here once it says it paused. (paused?, its output)."""
    cmd = faulty_command(*args, pause_at=pause_at, pause_s=timeout)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            env=run_env(ctx.env), stdin=subprocess.DEVNULL)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(PAUSED):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout)
    return any(line.startswith(PAUSED) for line in lines), "".join(lines)


_MISSING = "<absent>"  # what `part` gives for a path the state does not have


def part(state: dict, path: Sequence[str]) -> Any:
    """The value at `path` in the kind's read of a state (`state["kind"]`), `_MISSING` where there is none."""
    value: Any = state.get("kind")
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def without(state: dict, paths: Sequence[Sequence[str]]) -> dict:
    """A copy of the state without the value at each path of its kind's read (absent and present compare equal)."""
    out = json.loads(json.dumps(state))
    for path in paths:
        parent = part(out, path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return out


def verdict_of(final: dict, before: dict, after: dict | None,
               declared: Mapping[str, Sequence[Sequence[str]]] | None = None, named: Sequence[str] = ()) -> str:
    """A kill trial's verdict on the state after its recovery. BEFORE / AFTER: exactly the state before the killed
    apply / the one an uninterrupted apply leaves (`after`; None: not known). BEFORE_EXCEPT_IRREVERSIBLE (rollback
    only): the rollback `named` irreversible steps (journal kinds, see `named_irreversible`), every one of them
    declared by the fixture (`declared`: KindFixture.irreversible), and the state is exactly `before` in everything
    but the parts they declare, each of those as before or (when known) as after: what the step wrote, nothing
    else. NEITHER otherwise (anything else differing, an irreversible step the fixture does not declare, or none
    named)."""
    if final == before:
        return BEFORE
    if after is not None and final == after:
        return AFTER
    declared = declared or {}
    if not named or any(kind not in declared for kind in named):
        return NEITHER
    paths = [tuple(p) for kind in dict.fromkeys(named) for p in declared[kind]]
    if without(final, paths) != without(before, paths):
        return NEITHER
    if after is not None and any(part(final, p) not in (part(before, p), part(after, p)) for p in paths):
        return NEITHER
    return BEFORE_EXCEPT_IRREVERSIBLE


def stack_name(ctx: Ctx) -> str:
    """The name of the stack the kit applies (ctx.prefix, unless the fixture's sections name it otherwise)."""
    return yaml_load(ctx.tmp / "stack.yaml").get("stack") or ctx.prefix


def journal_steps(stack: str) -> list[dict]:
    """The steps of the stack's latest run as its local journal copy has them (kplan writes that copy first, always;
    the kit's stacks have one cluster, so one copy)."""
    from kplan.state.journal import local_state_dir

    paths = sorted((Path(ROOT) / local_state_dir() / "journal").glob(f"{stack}@*.json"),
                   key=lambda p: p.stat().st_mtime)
    return list(json.loads(paths[-1].read_text()).get("steps") or []) if paths else []


def not_rolled_back(text: str) -> list[str]:
    """The items a recovery's output lists under "Could NOT be rolled back" (kplan.session.run.report_failure)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(NOT_ROLLED_BACK)), None)
    if start is None:
        return []
    items = []
    for line in lines[start + 1:]:
        if not line.startswith("  - "):
            break
        items.append(line[4:])
    return items


def named_irreversible(ran: Sequence[dict], marked: Sequence[dict], code: int, text: str) -> list[str]:
    """The journal kinds of the irreversible steps a rollback named: each step its journal marks "irreversible"
    after the rollback (`marked`) that the killed apply had run (`ran`, the journal before the rollback: started,
    done or failed) and that the rollback, exiting 3, lists as not rolled back because irreversible. A step lacking
    any of that is not named (the trial then fails a check)."""
    from kplan.apply.steps import Step

    if code != 3:
        return []
    listed = not_rolled_back(text)
    started = {e["index"] for e in ran if e.get("status") in ("started", "done", "failed")}
    return [e["kind"] for e in marked if e["index"] in started and e.get("irreversible")
            and any(i.startswith(f"{Step.from_json(e).describe()}: irreversible") for i in listed)]


def run_kill(fx: KindFixture, ctx: Ctx, trial: KillTrial, learned: Learned | None) -> dict:
    """One kill trial; its outcome: its verdict (`verdict_of`) and what was checked. A rollback trial needs nothing
    learned (its verdict is against the state read before the run); a resume trial needs the state an uninterrupted
    apply leaves (`learned`). A rollback's verdict is BEFORE with exit 0, or BEFORE_EXCEPT_IRREVERSIBLE with exit 3
    and every step the journal marks irreversible named (and no unfinished run reported by a `plan` after it)."""
    assert learned is not None or trial.recovery == "rollback", "a resume trial needs the learned state after"
    outcome: dict[str, Any] = {"trial": trial.id, "verdict": NEITHER}
    fx.setup(ctx)
    path = ctx.tmp / "stack.yaml"
    try:
        if trial.version == 2:
            applied(ctx, stack_file(fx, ctx, 1), "version 1")
        before = state(fx, ctx)
        stack_file(fx, ctx, trial.version)
        paused, out = killed_from_outside(ctx, ["apply", str(path), "--auto-approve", "--no-color"], trial.pause_at)
        expect(paused, f"the apply never reached {trial.pause_at}:\n{out[-2000:]}")
        ran = journal_steps(stack_name(ctx))
        r = run(ctx, "plan", str(path), "--no-color")
        outcome["unfinished_reported"] = r.code == 1 and "did not finish" in r.text
        r = run(ctx, "recover", str(path), f"--{trial.recovery}", "--force", "--auto-approve", "--no-color")
        outcome["recover_exit"] = r.code
        after = learned.after if learned is not None else None
        named: list[str] = []
        if trial.recovery == "rollback":
            marked = [e for e in journal_steps(stack_name(ctx)) if e.get("status") == "irreversible"]
            named = named_irreversible(ran, marked, r.code, r.text)
            if marked:
                outcome["irreversible"] = {"marked": [e["kind"] for e in marked], "named": named}
            final = settled_state(fx, ctx, None, settled=lambda now: verdict_of(
                now, before, after, fx.irreversible, named) in (BEFORE, BEFORE_EXCEPT_IRREVERSIBLE))
        else:
            final = settled_state(fx, ctx, after)
        outcome["verdict"] = verdict = verdict_of(final, before, after, fx.irreversible, named)
        if verdict == NEITHER:
            outcome["diff"] = {"final": final, "before": before, "after": after}
        elif verdict == BEFORE_EXCEPT_IRREVERSIBLE:  # what the rollback left changed, and the states it was judged on
            paths = [p for kind in named for p in fx.irreversible[kind]]
            outcome["kept"] = {".".join(p): {"before": part(before, p), "final": part(final, p)} for p in paths}
            outcome["states"] = {"final": final, "before": before}
        if trial.recovery == "resume":
            p = run(ctx, "plan", str(path), "--detailed-exitcode", "--no-color")
            outcome["plan_exit"] = p.code
        elif verdict == BEFORE_EXCEPT_IRREVERSIBLE:  # the run is over: no plan reports it unfinished
            p = run(ctx, "plan", str(path), "--no-color")
            outcome["unfinished_after"] = "did not finish" in p.text
        outcome["lock_left"] = lock_left(ctx)
        outcome["recover_output"] = r.text[-1500:] if r.code not in (0,) else ""
        if trial.recovery == "resume":
            recovered = verdict == AFTER and r.code == 0 and outcome["plan_exit"] == 0
        else:
            recovered = (verdict == BEFORE and r.code == 0) or (
                verdict == BEFORE_EXCEPT_IRREVERSIBLE and r.code == 3
                and len(named) == len(outcome["irreversible"]["marked"]) and not outcome["unfinished_after"])
        outcome["ok"] = recovered and not outcome["lock_left"] and outcome["unfinished_reported"]
        return outcome
    except KitFailure as e:
        outcome["error"] = str(e)
        outcome["ok"] = False
        return outcome
    finally:
        run(ctx, "recover", str(path), "--rollback", "--force", "--auto-approve")
        run(ctx, "destroy", str(path), "--auto-approve")
        forget_stack(ctx.admin, ctx.bootstrap, ctx.prefix)
        fx.teardown(ctx)


def census(found: dict[str, KindFixture]) -> str:
    """Every kind and what the kit checks of it: `kit` (run by test_conformance.py and conformance_sweep.py), or
    `n/a` and the fixture's reason. A Markdown table (docs/architecture.md shows the current one)."""
    def cell(value: Any) -> str:
        if isinstance(value, Elsewhere):
            return f"kit, in {value.test}"
        return f"n/a: {value.reason}" if isinstance(value, NotApplicable) else "kit"

    head = ["kind", "target", *CHECKS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, fx in found.items():
        kills = "kit: v" + ", v".join(str(v) for v in fx.kill_versions)
        if fx.irreversible:  # what a rollback after each irreversible step may leave changed
            kills += "; rolled back after " + "; ".join(
                f"{kind}: before except {', '.join('.'.join(p) for p in paths)}"
                for kind, paths in fx.irreversible.items())
        cells = {"converge": "kit", "update": "kit", "owner": cell(fx.owner), "canary": cell(fx.secret),
                 "import": cell(fx.imported), "orphan": cell(fx.orphan), "made": cell(fx.made),
                 "rights": cell(fx.rights), "again": cell(fx.again), "saved": cell(fx.saved),
                 "destroy": cell(fx.destroy_restores), "kills": kills, "fuzz": "kit"}
        lines.append("| " + " | ".join([name, fx.target, *(cells[c] for c in CHECKS)]) + " |")
    return "\n".join(lines) + "\n"

