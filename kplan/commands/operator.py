"""`kplan operator` (docs/kubernetes.md): reconcile KafkaStack resources on a Kubernetes API server, one replica
at a time (a Lease elects the leader). SIGTERM stops it: the lease is released, a reconcile under way is finished
first (an apply is never cut in the middle by a clean stop)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

import click

from kplan.commands._output import DurationType
from kplan.commands.watch import AddressType


@click.command("operator")
@click.option("--kubeconfig", type=click.Path(exists=True, dir_okay=False), envvar="KUBECONFIG",
              help="The API server and a token to reach it (default: $KUBECONFIG, else the pod's service account).")
@click.option("-n", "--namespace", help="Reconcile the KafkaStacks of this namespace only (default: every namespace; "
                                        "needs the ClusterRole).")
@click.option("--identity", default=lambda: os.environ.get("POD_NAME") or socket.gethostname(), show_default="pod name",
              help="This replica's name in the lease (unique among the replicas).")
@click.option("--lease-namespace", help="The Lease's namespace (default: --namespace, else $POD_NAMESPACE).")
@click.option("--lease-name", default="kplan-operator", show_default=True, help="The Lease the replicas elect by.")
@click.option("--lease-duration", "lease_s", type=DurationType(), default="15s", show_default=True, metavar="DURATION",
              help="How long a leader that stopped renewing holds the lease before another replica takes it.")
@click.option("--resync", "resync_s", type=DurationType(), default="5m", show_default=True, metavar="DURATION",
              help="Plan every stack again this often (drift; what failed is retried).")
@click.option("--workdir", type=click.Path(file_okay=False), help="Where the stacks' files are written "
                                                                  "(default: $TMPDIR/kplan-operator).")
@click.option("--metrics-addr", type=AddressType(), default="127.0.0.1:9309", show_default=True, metavar="HOST:PORT",
              help="Where /metrics, /healthz and /readyz listen (port 0: any free port, printed).")
@click.option("--webhook-addr", type=AddressType(), metavar="HOST:PORT",
              help="Serve the KafkaStack and KafkaCluster admission webhook (HTTPS) there: a spec kplan refuses is "
                   "refused by the API server with kplan's message (deploy/kubernetes/kplan-webhook.yaml). Default: "
                   "not served.")
@click.option("--webhook-cert", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="The webhook's certificate (PEM; the CA the webhook configuration's caBundle names signed it).")
@click.option("--webhook-key", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="The webhook certificate's key (PEM).")
def operator_command(kubeconfig, namespace, identity, lease_namespace, lease_name, lease_s, resync_s, workdir,
                     metrics_addr, webhook_addr, webhook_cert, webhook_key):
    """Reconcile KafkaStack resources: plan each into its status, apply only the approved plan, destroy on delete."""
    from kplan.errors import KplanError
    from kplan.operator.controller import Controller
    from kplan.operator.kube import Kube, load_config
    from kplan.operator.lease import Elector
    from kplan.operator.reconcile import Reconciler, workdir_default
    from kplan.secrets import scrub

    lease_namespace = lease_namespace or namespace or os.environ.get("POD_NAMESPACE")
    if not lease_namespace:
        raise click.UsageError("the Lease needs a namespace: --lease-namespace NS (or --namespace, or $POD_NAMESPACE)")
    if lease_s < 1:
        raise click.UsageError("--lease-duration: at least 1s")
    if webhook_addr and not (webhook_cert and webhook_key):
        raise click.UsageError("--webhook-addr needs --webhook-cert and --webhook-key (the API server calls it over "
                               "HTTPS only)")

    def log(line: str) -> None:
        print(scrub(f"kplan operator: {line}"), file=sys.stderr, flush=True)

    kube = Kube(load_config(kubeconfig))
    try:
        kube.call("GET", "/version")
    except KplanError as e:
        raise KplanError(f"the Kubernetes API server cannot be reached: {e}") from None
    reconciler = Reconciler(kube, Path(workdir) if workdir else workdir_default(), identity, dict(os.environ), log)
    elector = Elector(kube, lease_namespace, lease_name, identity, lease_s, log)
    controller = Controller(kube, namespace, reconciler, elector, resync_s, log)
    server = _serve(controller, metrics_addr)
    log(f"metrics on http://{server.address}/metrics")
    webhook = None
    if webhook_addr:
        from kplan.operator.webhook import CLUSTER_PATH, PATH, serve

        webhook = serve(webhook_addr, (webhook_cert, webhook_key),
                        {PATH: reconciler.check, CLUSTER_PATH: reconciler.check_cluster}, log)
        log(f"admission webhook on https://{webhook.address}{PATH} (KafkaClusters: {CLUSTER_PATH})")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    log(f"{identity}: watching KafkaStacks in {namespace or 'every namespace'}; lease {lease_namespace}/{lease_name}")
    try:
        controller.run(stop)
    except KeyboardInterrupt:
        stop.set()
    elector.release()
    server.stop()
    if webhook is not None:
        webhook.stop()
    log("stopped")


def _serve(controller, address):
    """/metrics, /healthz and /readyz (ready once KafkaStacks are listed: a standby replica is ready too)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from kplan.operator.metrics import OperatorMetrics
    from kplan.transport.metrics_server import MetricsServer

    registry = CollectorRegistry()
    registry.register(OperatorMetrics(controller))
    return MetricsServer(address, lambda: generate_latest(registry), controller.listed.is_set).start()
