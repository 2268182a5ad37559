"""`kplan watch`: keep stacks under watch (docs/operations.md). A long-running process that, on an interval (with
±10 % jitter), finds the stacks (the PATHs, every stack under each `--tree`: new and changed files are read
anew each round), plans them as `kplan plan --tree` does — one read per cluster, shared by the stacks that target
it (kplan.session.many) — and exports each stack's state as Prometheus metrics (kplan.render.metrics,
kplan.transport.metrics_server). It never applies anything; it only restarts the FAILED instances of the connectors
whose stack asks for it (`auto_restart`, kplan.commands.watch_heal). SIGTERM stops it at once with exit 0, also in
the middle of a read: a watcher holds no lock and writes only those restarts and their records, so nothing is left
half-done."""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import click

from kplan.commands._output import TEMPLATE_DIR_OPTION, DurationType
from kplan.errors import KplanError
from kplan.secrets import scrub


class AddressType(click.ParamType):
    """Where the endpoint listens, `HOST:PORT` (port 0: any free one), as (host, port); a bad one is the command
    line's mistake, refused as a bad option value before anything starts."""

    name = "HOST:PORT"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        host, _, port = value.rpartition(":")
        if not port.isdigit() or not host:
            self.fail(f"give HOST:PORT, e.g. 127.0.0.1:9308 (got {value!r})", param, ctx)
        if int(port) > 65535:
            self.fail(f"the port must be 0-65535 (0: any free port), got {port}", param, ctx)
        return host, int(port)


@click.command("watch")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--tree", "trees", multiple=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Watch every stack under DIR (repeatable), found anew each round.")
@click.option("-e", "--env", "--environment", "environment", help="Environment overlay to select.")
@click.option("--interval", "interval_s", type=DurationType(), default="60s", show_default=True, metavar="DURATION",
              help="Time between two rounds (±10 % jitter).")
@click.option("--metrics-addr", type=AddressType(), default="127.0.0.1:9308", show_default=True, metavar="HOST:PORT",
              help="Where /metrics, /healthz and /readyz listen (port 0: any free port, printed).")
@click.option("--metrics-token-env", metavar="VAR",
              help="Require `Authorization: Bearer <token>` on /metrics, the token read from this environment "
                   "variable.")
@click.option("--metrics-tls-cert", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS: certificate.")
@click.option("--metrics-tls-key", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS: private key.")
@click.option("--audit-topic", envvar="KPLAN_AUDIT_TOPIC", metavar="TOPIC",
              help="Write one event to this topic of a stack's cluster when resources of the stack are newly found "
                   "not in sync (once per new drift, not every round; also KPLAN_AUDIT_TOPIC).")
@TEMPLATE_DIR_OPTION
def watch_command(paths, trees, environment, interval_s, metrics_addr, metrics_token_env, metrics_tls_cert,
                  metrics_tls_key, audit_topic, template_dirs):
    """Plan every stack on an interval and export what drifted as Prometheus metrics; never applies anything."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.platform_collector import PlatformCollector
    from prometheus_client.process_collector import ProcessCollector

    from kplan.transport.metrics_server import MetricsServer

    if not paths and not trees:
        raise click.UsageError("name the stacks to watch: PATH... or --tree DIR")
    if bool(metrics_tls_cert) != bool(metrics_tls_key):
        raise click.UsageError("--metrics-tls-cert and --metrics-tls-key go together")
    token = None
    if metrics_token_env:
        token = os.environ.get(metrics_token_env)
        if not token:
            raise KplanError(f"--metrics-token-env {metrics_token_env}: that environment variable is empty or unset")
    state = WatchState(audit_topic)
    registry = CollectorRegistry()
    registry.register(state)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    server = MetricsServer(metrics_addr, lambda: generate_latest(registry), lambda: state.rounds > 0, token,
                           (metrics_tls_cert, metrics_tls_key) if metrics_tls_cert else None).start()
    click.echo(f"kplan watch: metrics on {'https' if metrics_tls_cert else 'http'}://{server.address}/metrics, "
               f"every {interval_s:g} s; SIGTERM stops it", err=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    worker = threading.Thread(target=_rounds, args=(state, stop, paths, trees, environment, interval_s, template_dirs),
                              name="kplan-watch", daemon=True)
    worker.start()
    while not stop.wait(0.5):
        if not worker.is_alive():
            break
    server.stop()
    if state.fatal is not None:
        raise state.fatal
    click.echo("kplan watch: stopped", err=True)
    if worker.is_alive():  # in the middle of a read: nothing to finish (no lock, no write); the clients go with us
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _rounds(state: "WatchState", stop: threading.Event, paths, trees, environment, interval_s: float,
            template_dirs) -> None:
    """Round after round until stopped; one that fails as a whole (a bug, not a stack's problem) ends the watch."""
    from kplan.commands.plan_many import select_stacks
    from kplan.session.many import plan_many

    try:
        while not stop.is_set():
            started = time.monotonic()
            chosen = select_stacks(paths, trees, None)
            # read rights only: no plan-time validation (a validate-only create asks for the right to create)
            results = plan_many(chosen, environment, environ=os.environ, template_dirs=template_dirs, validate=False)
            extra = _kinds_samples(results)
            state.healer.round(results)
            state.record(results, time.monotonic() - started, time.time(), extra)
            stop.wait(interval_s * random.uniform(0.9, 1.1))
    except Exception as e:  # noqa: BLE001 - told by the command's thread, as one line
        state.fatal = e if isinstance(e, KplanError) else KplanError(f"kplan watch stopped: {type(e).__name__}: {e}")
        stop.set()


def _kinds_samples(results) -> dict[str, list]:
    """Each kind's own samples of a stack planned this round (stack -> samples): what its Runtime's `live_metrics`
    makes of the live state the plan was made on (a connector's and its tasks' states), and of what its
    `status_read` reads for status alone, as its `metrics` makes them (a CDC source's slot at its database); what
    its `io.metrics_read_ref` reads (a declared consumer group's lag). A session of the stack's
    cluster is opened only when a read asks for it (a stack of plain connectors opens none); a failed read is said
    on stderr and the round goes on."""
    from kplan.kinds import UNITS

    reading = [u for u in UNITS if u.runtime is not None or u.metrics_read is not None]
    from_live = [runs for u in UNITS if (runs := u.runtime) is not None]
    out: dict[str, list] = {}
    for planned in results:
        plan = planned.plan
        if plan is None or not plan.standing_known or planned.stack is None:
            continue
        samples: list = [s for runs in from_live for live in planned.lives.values()
                         for s in runs.live_metrics(live, plan)]
        out[planned.name or planned.path] = samples
        wanted = [u for u in reading if any(c.type == u.kind.type for c in plan.changes)]
        for member in (planned.stack.members or (planned.stack,)) if wanted else ():
            opened: list = []  # the member's session, once a read asks for it
            secrets, reader = _Deferred(opened, member, "secrets"), _Deferred(opened, member, "reader")
            try:
                for u in wanted:
                    declared = u.kind.declared(member)
                    if not declared:
                        continue
                    args = (declared, secrets, reader, member.cluster.timeout_s)
                    if u.metrics_read is not None:
                        samples += u.metrics_read(*args)
                    if (runs := u.runtime) is not None:
                        samples += runs.metrics(runs.status_read(*args))
            except Exception as e:  # noqa: BLE001 - the round goes on; the stack's other metrics stand
                click.echo(scrub(f"Warning: stack {planned.name}: its status reads failed: {e}"), err=True)
            finally:
                for session in opened:
                    session.close()
    return out


class _Deferred:
    """Stands for one part (`what`) of a stack's session (kplan.session.open) until something of it is asked for;
    the session is opened then, once for all its parts (`opened`, shared by them)."""

    def __init__(self, opened: list, stack, what: str) -> None:
        self._opened, self._stack, self._what = opened, stack, what

    def __getattr__(self, name: str):
        if not self._opened:
            from kplan.session.open import open_session

            self._opened.append(open_session(self._stack, environ=os.environ))
        return getattr(getattr(self._opened[0], self._what), name)


class WatchState:
    """The last round's samples, as a Prometheus collector (prometheus-client's custom collector protocol)."""

    def __init__(self, audit_topic: str | None = None) -> None:
        from kplan.commands.watch_heal import Healer

        self.audit_topic = audit_topic
        self.healer = Healer(audit_topic)
        self.lock = threading.Lock()
        self.samples: dict = {}  # stack -> kplan.render.metrics.StackSample
        self.last_success: dict[str, float] = {}
        self.errors: dict[tuple[str, str], int] = {}
        self.rounds = 0
        self.round_seconds = 0.0
        self.kind_samples: dict[str, list] = {}  # stack -> the kinds' own samples (_kinds_samples)
        self.fatal: Exception | None = None

    def record(self, results, seconds: float, now: float, extra: dict[str, list] | None = None) -> None:
        from kplan.render.metrics import sample_of

        with self.lock:
            samples = {}
            for planned in results:
                sample = sample_of(planned, self.samples.get(planned.name or planned.path))
                samples[sample.stack] = sample
                if sample.up:
                    self.last_success[sample.stack] = now
                else:
                    key = (sample.stack, sample.cause or "unknown")
                    self.errors[key] = self.errors.get(key, 0) + 1
            previous = self.samples
            self.samples = samples
            self.kind_samples = dict(extra or {})
            self.rounds += 1
            self.round_seconds = seconds
        for planned in results:
            sample = samples[planned.name or planned.path]
            before = previous.get(sample.stack)
            new = sample.differing - (before.differing if before is not None else frozenset())
            if not (sample.up and new):
                continue
            for address in sorted({a for a, _ in new} & set(sample.reasons)):  # said once, as the audit feed is
                click.echo(scrub(f"Warning: stack {sample.stack}: {address} differs in a way apply cannot undo: "
                                 f"{sample.reasons[address]}"), err=True)
            if self.audit_topic:
                self._drift_event(self.audit_topic, planned, new)

    def _drift_event(self, topic: str, planned, new) -> None:
        """One audit event for resources newly not in sync (kplan.state.audit), on the stack's own cluster (each of
        them, as the round loaded it); a failure to write it is said and the watch goes on."""
        from kplan.session.cluster import Cluster
        from kplan.state.audit import event, now, write

        try:
            for member in planned.stack.members or (planned.stack,):
                cluster = Cluster.open(member, os.environ)
                try:
                    when = now()
                    write(cluster, topic, event("watch", member, cluster.cluster_id, None, "drift",
                                                           started=when, ended=when, drift=new))
                finally:
                    cluster.close()
        except Exception as e:  # noqa: BLE001 - the watch goes on; the metrics still say it
            click.echo(scrub(f"Warning: stack {planned.name}: the drift event was not written to {topic}: {e}"),
                       err=True)

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self.lock:
            up = GaugeMetricFamily("kplan_stack_up", "1 when the last round read and planned the stack, else 0",
                                   labels=["stack"])
            resources = GaugeMetricFamily("kplan_resources", "The stack's resources by kind and state in its last "
                                          "plan (unknown: the stack could not be read)",
                                          labels=["stack", "kind", "state"])
            success = GaugeMetricFamily("kplan_stack_last_success_timestamp_seconds", "When the stack was last read "
                                        "and planned (Unix time)", labels=["stack"])
            errors = CounterMetricFamily("kplan_stack_errors", "Rounds that could not plan the stack, by cause "
                                         "(stack: its files; cluster: a system it needs; plan: plan errors)",
                                         labels=["stack", "cause"])
            for name, sample in sorted(self.samples.items()):
                up.add_metric([name], 1.0 if sample.up else 0.0)
                for (kind, state), n in sorted(sample.resources.items()):
                    resources.add_metric([name, kind, state], float(n))
            for name, when in sorted(self.last_success.items()):
                success.add_metric([name], when)
            for (name, cause), n in sorted(self.errors.items()):
                errors.add_metric([name, cause], float(n))
            kinds: dict[str, GaugeMetricFamily] = {}
            for name, samples in sorted(self.kind_samples.items()):
                for metric, help_text, labels, value in samples:
                    family = kinds.get(metric)
                    if family is None:
                        family = kinds[metric] = GaugeMetricFamily(metric, help_text,
                                                                   labels=["stack", *sorted(labels)])
                    family.add_metric([name, *(labels[k] for k in sorted(labels))], value)
            restarts = CounterMetricFamily("kplan_connector_restarts", "Restarts of the connector's failed instances "
                                           "kplan watch made (auto_restart)", labels=["stack", "connector"])
            attempts = GaugeMetricFamily("kplan_connector_auto_restart_attempts", "auto_restart's restarts of the "
                                         "connector since its attempts were last given back", labels=["stack",
                                                                                                      "connector"])
            most = GaugeMetricFamily("kplan_connector_auto_restart_max_attempts", "auto_restart's max_restarts",
                                     labels=["stack", "connector"])
            exhausted = GaugeMetricFamily("kplan_connector_auto_restart_exhausted", "1 when the connector failed again "
                                          "with auto_restart's attempts spent (it stays FAILED), else 0",
                                          labels=["stack", "connector"])
            for name, key, made, tried, limit, spent in self.healer.samples():
                restarts.add_metric([name, key], float(made))
                attempts.add_metric([name, key], float(tried))
                most.add_metric([name, key], float(limit))
                exhausted.add_metric([name, key], 1.0 if spent else 0.0)
            rounds = CounterMetricFamily("kplan_watch_rounds", "Rounds finished", value=float(self.rounds))
            seconds = GaugeMetricFamily("kplan_watch_round_duration_seconds", "How long the last round took (all "
                                        "stacks, reads included)", value=self.round_seconds)
        yield from (up, resources, success, errors, rounds, seconds, restarts, attempts, most, exhausted,
                    *kinds.values())
