"""Every kill trial of every kind (the conformance kit, tests/integration/conformance.py): for each kind, the apply
of version 1 (from nothing) and of version 2 (over version 1) paused at the start and in the middle of each of its
steps, SIGKILLed from outside, then recovered with `--rollback` (must be exactly before, or, after an irreversible
step the rollback names, before except what the fixture declares that step changes) and `--resume` (must be exactly
after).

    PYTHONPATH=dev python tests/integration/conformance_sweep.py [--kinds K,...] [--workers N] [--json FILE]
                                                                [--markdown FILE] [--docs docs/fault-sweep.md]

(`make fault-sweep` runs it after fault_sweep.py.) It prints the figures as JSON: per kind, the trials and how many
ended BEFORE, AFTER, BEFORE_EXCEPT_IRREVERSIBLE (a rollback after an irreversible step: exit 3 naming it, the state
before but for the parts the fixture declares it changes; conformance.verdict_of) or NEITHER, how many failed a check
(a lock left, the unfinished run not reported by `plan`, a recovery that did not exit 0 — or 3 with every
irreversible step named —, a resume after which `plan --detailed-exitcode` was not 0), with each failure's trial,
and each trial's seconds (min / median / max). NEITHER must stay 0; the irreversible verdict is counted apart.
`--markdown FILE` writes the figures as a Markdown table; `--docs FILE` puts them between the kit's markers in FILE
(`make fault-sweep`: docs/fault-sweep.md): a run of every kind replaces the table there, a run of some kinds only
their rows (tests/integration/kit_figures.py).

The kinds on the 3-broker cluster (broker_config) need it running (`dev/stack up --brokers 3`); the feature kind
runs on a broker of its own (features_broker.py), started when its trials start and stopped when the sweep ends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from conformance import VERDICTS, Ctx, KindFixture, fixture, fixtures, kill_trials, learn, run_kill  # noqa: E402
from features_broker import FEATURES  # noqa: E402
from kit_figures import table, write_into  # noqa: E402

ADMIN_VAR = "KIT_ADMIN_PASSWORD"


def make_ctx(fx: KindFixture, tmp: Path) -> Ctx:
    """A Ctx on the running local stack (what tests/integration/test_conformance.py's kit_ctx gives a test)."""
    from confluent_kafka.admin import AdminClient

    import localstack

    prefix = f"kplantest-kit-{fx.kind.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    d = tmp / prefix
    d.mkdir(parents=True)
    if fx.target in ("cluster3", "features"):
        from localstack import cluster3

        bootstrap = cluster3.BOOTSTRAP if fx.target == "cluster3" else FEATURES.get().bootstrap
        return Ctx(prefix, d, bootstrap, "", "", AdminClient({"bootstrap.servers": bootstrap}),
                   {"bootstrap_servers": bootstrap, "timeout": "20s"}, {"bootstrap.servers": bootstrap})
    admin = AdminClient({"bootstrap.servers": localstack.BOOTSTRAP})
    cluster = {"bootstrap_servers": localstack.BOOTSTRAP, "connect_url": localstack.CONNECT_URL,
               "schema_registry": {"url": localstack.REGISTRY_URL}, "timeout": "20s"}
    config = {"bootstrap.servers": localstack.BOOTSTRAP}
    secrets = {}
    if fx.target == "secured":
        cluster = {"bootstrap_servers": localstack.SASL_BOOTSTRAP, "timeout": "20s", "client": {
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": localstack.ADMIN_USER, "sasl.password": "${secret:env:" + ADMIN_VAR + "}",
            "ssl.ca.location": str(localstack.ca_file())}}
        config = localstack.sasl_client_config()
        secrets = {ADMIN_VAR: localstack.ADMIN_PASSWORD}
    return Ctx(prefix, d, localstack.BOOTSTRAP, localstack.CONNECT_URL, localstack.REGISTRY_URL, admin, cluster,
               config, secrets=secrets)


def sweep_kind(fx: KindFixture, tmp: Path, workers: int) -> dict:
    t0 = time.monotonic()
    learned = {v: learn(fx, make_ctx(fx, tmp), v) for v in fx.kill_versions}
    trials = kill_trials(fx, learned)

    def one(trial):
        t = time.monotonic()
        outcome = run_kill(fx, make_ctx(fx, tmp), trial, learned[trial.version])
        outcome["seconds"] = round(time.monotonic() - t, 1)
        return outcome

    with ThreadPoolExecutor(workers) as pool:
        outcomes = list(pool.map(one, trials))
    verdicts = {v: sum(o["verdict"] == v for o in outcomes) for v in VERDICTS}
    seconds = [o["seconds"] for o in outcomes] or [0]
    return {"kind": fx.kind, "steps": {f"v{v}": learned[v].steps for v in fx.kill_versions},
            "irreversible_steps": {f"v{v}": list(learned[v].irreversible) for v in fx.kill_versions
                                   if learned[v].irreversible},
            "trials": len(outcomes), **verdicts, "failed": sum(not o["ok"] for o in outcomes),
            "min_trial_s": min(seconds), "median_trial_s": round(statistics.median(seconds), 1),
            "max_trial_s": max(seconds), "seconds": round(time.monotonic() - t0, 1),
            "verdicts": {o["trial"]: [o["verdict"], o["seconds"]] for o in outcomes},  # each trial: verdict, s
            "failures": [o for o in outcomes if not o["ok"]]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conformance_sweep.py")
    parser.add_argument("--kinds", help="comma-separated kinds (default: every kind)")
    parser.add_argument("--workers", type=int, default=2, help="trials of a kind run at once (default 2)")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--markdown", metavar="FILE")
    parser.add_argument("--docs", metavar="FILE", help="replace the figures between the kit's markers in FILE "
                                                       "(docs/fault-sweep.md)")
    opts = parser.parse_args(argv)
    # --kinds loads only those kinds' fixtures (one being written elsewhere does not stop the others' sweep)
    found = {k: fixture(k) for k in opts.kinds.split(",")} if opts.kinds else fixtures()
    kinds = list(found)
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="kplan-kit-") as d:
            figures = [sweep_kind(found[k], Path(d), opts.workers) for k in kinds]
    finally:
        FEATURES.close()
    seconds = time.monotonic() - t0
    text = json.dumps(figures, indent=1)
    print(text)
    if opts.json:
        Path(opts.json).write_text(text)
    from kplan.kinds import ORDER

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    date = time.strftime("%Y-%m-%d", time.gmtime())
    if opts.markdown:
        Path(opts.markdown).write_text(table(figures, commit, date, seconds, every=set(ORDER) <= set(kinds)))
    if opts.docs:
        doc = Path(opts.docs)
        doc.write_text(write_into(doc.read_text(), figures, commit, date, seconds, ORDER))
    return 0 if all(f["failed"] == 0 and f["NEITHER"] == 0 for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
