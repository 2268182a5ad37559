"""The command line of the local stack, `dev/stack` (which runs `python -m localstack` with dev/ on the path):

    up [--secured] [--oidc] [--forge] [--kubernetes] [--brokers 3] [--only SERVICES]
    | down [--wipe] | status | logs [-n N]
    | plugins | env | psql SQL | mysql SQL | node-stop N | node-start N   (a node of the 3-broker cluster)
    | runners   (install act and gitlab-ci-local, the CI examples' runners, into the build cache)

Launcher failures (LocalStackError) print one `[stack] error: ...` message and exit 1, without a traceback;
`status` exits 3 when something is not running or not healthy.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import (
    START_TIMEOUT_S,
    LocalStackError,
    cluster3,
    connect2,
    down,
    forge,
    kubernetes,
    logs,
    mysql,
    oidc,
    plugins,
    psql,
    runners,
    stack_env,
    status,
    up,
)
from . import __doc__ as _package_doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dev/stack", description=" ".join(_package_doc.split("\n\n")[0].split()))
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="start the stack (idempotent); prints its endpoints")
    u.add_argument("--secured", action="store_true",
                   help="also start the secured Connect worker (HTTPS, basic auth, Kafka over SASL_SSL)")
    u.add_argument("--connect2", action="store_true",
                   help="also start a second Connect worker on the same Kafka (KPLAN_STACK_CONNECT2_PORT, 18084)")
    u.add_argument("--oidc", action="store_true",
                   help="also start the OIDC provider (Keycloak) whose tokens the broker's OAUTHBEARER listener takes")
    u.add_argument("--forge", action="store_true",
                   help="also start the forge (Gitea, KPLAN_STACK_FORGE_PORT, 13000), built from its Go module on "
                        "first use (766 CPU-s, once per machine)")
    u.add_argument("--kubernetes", action="store_true",
                   help="also start a Kubernetes API server (kube-apiserver on kine, KPLAN_STACK_KUBE_PORT, 16443), "
                        "built from their Go modules on first use (once per machine)")
    u.add_argument("--brokers", type=int, choices=(1, 3), default=1,
                   help="3: also start the 3-broker KRaft cluster (racks rack-a/b/c) beside the single broker")
    u.add_argument("--only", metavar="SERVICES",
                   help="start only these services, comma-separated (registry, postgres, mariadb, kafka, connect, "
                        "keycloak)")
    u.add_argument("--kafka-version", metavar="X.Y.Z",
                   help="a bare broker + Connect worker at this Kafka version from Maven Central (the version matrix; "
                        "same as KPLAN_KAFKA_VERSION; use a KPLAN_STACK_DIR of its own)")
    for verb in ("stop", "start"):
        n = sub.add_parser(f"node-{verb}", help=f"{verb} one node of the 3-broker cluster")
        n.add_argument("node", type=int, choices=(1, 2, 3))
    d = sub.add_parser("down", help="stop the Connect workers, then the broker, then the databases, then the registry")
    d.add_argument("--wipe", action="store_true", help="also delete data and logs (a clean slate)")
    sub.add_parser("status", help="say what runs (exit 0 when healthy, 3 otherwise)")
    sub.add_parser("plugins", help="list Connect's connector plugins")
    lg = sub.add_parser("logs", help="show the tails of the logs")
    lg.add_argument("-n", type=int, default=40)
    sub.add_parser("env", help="print the endpoints as shell variables")
    sub.add_parser("runners", help="install act and gitlab-ci-local into the build cache (once per machine)")
    q = sub.add_parser("psql", help="run SQL on the PostgreSQL demo database")
    q.add_argument("sql")
    m = sub.add_parser("mysql", help="run SQL on the MariaDB demo database")
    m.add_argument("sql")
    args = p.parse_args(argv)
    if getattr(args, "kafka_version", None):
        os.environ["KPLAN_KAFKA_VERSION"] = args.kafka_version
    try:
        if args.cmd == "up":
            only = tuple(args.only.split(",")) if args.only else None
            # Keycloak is started by `--oidc`, or alone by `--only keycloak` (CI starts it beside the serial tests,
            # which restart the broker and Connect: an `up` of those then would race them)
            if only is not None and oidc.NAME in only:
                args.oidc, only = True, tuple(n for n in only if n != oidc.NAME)
            if only is not None and forge.NAME in only:  # nothing else of the stack needed, nor Java
                args.forge, only = True, tuple(n for n in only if n != forge.NAME)
            if only is not None and "kubernetes" in only:  # nor this: Go binaries only
                args.kubernetes, only = True, tuple(n for n in only if n != "kubernetes")
            if only != ():
                up(secured=args.secured, only=only)
            if args.brokers == 3:
                cluster3.up()
            if args.connect2:
                connect2.up(START_TIMEOUT_S)
            if args.oidc:
                oidc.up()
            if args.forge:
                forge.up()
            if args.kubernetes:
                kubernetes.up()
            return 0
        if args.cmd == "down":
            cluster3.down(wipe=args.wipe)
            down(wipe=args.wipe, first=(connect2.WORKER.service(), oidc.keycloak_service(),
                                        kubernetes.apiserver_service(), forge.forge_service()),
                 beside_broker=(kubernetes.kine_service(),))
            return 0
        if args.cmd == "status":
            healthy = status()
            if any(n.pid() is not None for n in cluster3.nodes()):
                healthy = cluster3.status() and healthy
            return 0 if healthy else 3
        if args.cmd == "node-stop":
            cluster3.stop_node(args.node)
            return 0
        if args.cmd == "node-start":
            cluster3.start_node(args.node)
            return 0
        if args.cmd == "plugins":
            for pl in plugins():
                print(f"{pl.get('type', ''):7} {pl.get('class')}  {pl.get('version', '')}")
            return 0
        if args.cmd == "logs":
            logs(args.n)
            return 0
        if args.cmd == "psql":
            print(psql(args.sql), end="")
            return 0
        if args.cmd == "mysql":
            print(mysql(args.sql), end="")
            return 0
        if args.cmd == "runners":
            print(f"act {runners.ACT_VERSION}: {runners.act_bin()}")
            print(f"gitlab-ci-local {runners.GITLAB_CI_LOCAL_VERSION}: {' '.join(runners.gitlab_ci_local())}")
            return 0
        if args.cmd == "env":
            print("\n".join(f"export {k}={v}" for k, v in stack_env().items()))
            return 0
    except LocalStackError as e:
        print(f"[stack] error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
