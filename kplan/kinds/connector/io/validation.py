"""Connectors' plan-time validation by Connect and their databases (registered in `kplan.cluster.kind_io`):

- connectors to create or update: Connect's `PUT /connector-plugins/{class}/config/validate`, concurrently,
  each key's errors reported at the stack file's line;
- connectors to create: whether Connect can address the name in its REST paths at all (`GET
  /connectors/{name}`: Kafka Connect 4's web server refuses an encoded `%` as ambiguous, so such a connector
  could be created but never read, changed or deleted);
- CDC sources whose connector is created or changed: their database checked for what Debezium needs
  (kplan.kinds.connector.io.preflight, docs/cdc-preflight.md);
- destroyed PostgreSQL sources with `on_destroy`: that the drop could connect and has the right to drop the slot
  and publication (kplan.kinds.connector.io.postgres.check_drop) — the drop runs after everything else is deleted.
Nothing here writes. Secret values are resolved only to send them for validation and scrubbed from messages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

from kplan.errors import KplanError
from kplan.kinds.connector.io.postgres import DatabaseError, check_drop
from kplan.kinds.connector.io.preflight import preflight
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.steps import DropCdcDatabaseObjects, build_cdc_cleanup_steps
from kplan.model.desired import Stack
from kplan.model.plan import Action, Plan, PlanDiagnostic, ResourceType, error
from kplan.rules.smt import declared_near
from kplan.secrets import secret_keys
from kplan.transport.http import RestClient, RestUnavailable, error_message, is_json, rest_path

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.reads import Systems

_CONNECT_VALIDATE_WORKERS = 8


class ConnectorValidation:
    """Connect's and the CDC databases' answers for a plan's connector changes
    (`kplan.transport.reads.KindValidation`)."""

    def __init__(self, systems: "Systems"):
        self.systems = systems  # the Connect clients, the timeout, the stack's secrets (read when validating)

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        connectors = {c.name: c for c in stack.of("connectors")}
        changes = [c for c in plan.changes if c.type == ResourceType.CONNECTOR and c.name in connectors]
        written = [c for c in changes if c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)]
        # a pin the worker lacks is the plan's own error already, naming the installed versions: Connect would say
        # it again (and some 4.x workers answer a second validation of it with an error 500, KAFKA-20751)
        unpinnable = {d.address for d in plan.diagnostics if d.code == "plugin-version-missing"}
        diags = self._on_connect(self._validate_connector,
                                 [connectors[c.name] for c in written if c.address not in unpinnable])
        diags += self._on_connect(self._validate_name, [connectors[c.name] for c in changes
                                                        if c.action == Action.CREATE])
        diags += self._validate_cdc_drops(stack, plan)
        # CDC sources the plan creates or changes, checked at their database (kplan.kinds.connector.io.preflight)
        checked = preflight([(connectors[c.name], c.action in (Action.CREATE, Action.REPLACE)) for c in written
                             if connectors[c.name].preflight], self.systems.secrets, self.systems.timeout_s)
        # `preflight: warn` and the database out of reach: Connect's validation could not reach it either; its
        # errors on the database.* keys are that same fact, reported once by the preflight's warning
        skipped = {d.address for d in checked if d.code == "cdc-preflight-unreachable" and not d.is_error}
        diags = [d for d in diags if not (d.address in skipped and d.code == "connector-config-invalid" and d.path
                                          and d.path[-1].startswith("database."))]
        return diags + checked

    # -- PostgreSQL sources' on_destroy --------------------------------------------------------------------

    def _validate_cdc_drops(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        secrets = self.systems.secrets
        addresses = {c.name: c for c in plan.changes if c.type == ResourceType.CONNECTOR}
        out = []
        for planned in build_cdc_cleanup_steps(plan, stack):  # the plan's changes carry what it needs
            step = planned.step
            assert isinstance(step, DropCdcDatabaseObjects)
            try:
                password = secrets.substitute(step.password)
            except KplanError:
                continue  # reported by the plan itself (kplan.kinds.connector.cdc_cleanup)
            try:
                check_drop(step.host, step.port, step.user, step.database, password, step.slot, step.publication,
                           self.systems.timeout_s)
            except DatabaseError as e:
                what = " and ".join(w for w in (step.slot and "replication slot",
                                                step.publication and "publication") if w)
                change = addresses.get(step.connector)
                out.append(error(
                    f"on_destroy of connector {step.connector!r} cannot drop its {what} in PostgreSQL: "
                    f"{secrets.scrubber()(str(e))}; nothing is deleted until it can (fix the login or the user's "
                    "rights, or remove on_destroy)", "cdc-drop-impossible",
                    address=change.address if change else "", origin=change.origin if change else None))
        return out

    # -- Connect -----------------------------------------------------------------------------------------

    def _on_connect(self, check: Callable[[RestClient, ConnectorSpec], list[PlanDiagnostic]],
                    specs: list[ConnectorSpec]) -> list[PlanDiagnostic]:
        """`check` of each connector, concurrently, on the client of the Connect cluster it runs on (the default
        one's, unless it is another; none: nothing)."""
        connect = self.systems.connect or next(iter(self.systems.connects.values()), None)
        if not specs or connect is None:
            return []
        with ThreadPoolExecutor(max_workers=min(_CONNECT_VALIDATE_WORKERS, len(specs))) as pool:
            results = list(pool.map(lambda s: check(self.systems.connects.get(s.connect) or connect, s), specs))
        return [d for ds in results for d in ds]

    def _validate_name(self, connect: RestClient, spec: ConnectorSpec) -> list[PlanDiagnostic]:
        """A connector to create must be addressable: Connect answers its own JSON 404 for a name it does not
        have; a 400 (Jetty's "Ambiguous URI path encoding" for a `%`) means it cannot address it. Anything else
        (a worker still starting) proves nothing either way."""
        try:
            r = connect.request("GET", rest_path("connectors", spec.connect_name))
        except RestUnavailable:
            return []  # reading the cluster got through; the writes will say what is wrong
        if r.status_code != 400 or is_json(r):
            return []
        return [error(f"Kafka Connect cannot address a connector named {spec.connect_name!r} in its REST API (GET "
                      f"{rest_path('connectors', spec.connect_name)} answers {r.status_code}: {error_message(r)}): "
                      "it could be created but never read, changed or deleted; choose another name (Kafka Connect 4 "
                      "refuses '%' in a path)", "connector-name-unaddressable",
                      address=f"connector.{spec.name}", origin=spec.origin)]

    def _validate_connector(self, connect: RestClient, spec: ConnectorSpec) -> list[PlanDiagnostic]:
        cls = spec.connector_class
        secrets = self.systems.secrets
        config = {k: secrets.substitute(v) for k, v in spec.config.items()}
        config.setdefault("name", spec.connect_name)
        hidden = secret_keys(spec.config, declared=spec.sensitive_keys)
        scrub = secrets.scrubber().extended(config[k] for k in hidden)
        try:
            r = connect.request("PUT", rest_path("connector-plugins", cls, "config", "validate"), json=config)
        except RestUnavailable as e:
            return [error(f"Kafka Connect could not validate the config: {e}", "connect-validate-failed",
                          address=f"connector.{spec.name}", origin=spec.origin)]
        addr = f"connector.{spec.name}"
        if r.status_code == 404 or (r.status_code >= 400 and "Failed to find any class" in r.text):
            return [error(f"Kafka Connect has no connector plugin {cls!r} (see GET /connector-plugins)",
                          "connector-class-missing", address=addr, origin=spec.origin)]
        if r.status_code != 200:
            return [error(f"Kafka Connect could not validate the config: HTTP {r.status_code}: "
                          f"{scrub(error_message(r))}", "connect-validate-failed",
                          address=addr, origin=spec.origin)]
        body = r.json()
        if not body.get("error_count"):
            return []
        out = []
        for item in body.get("configs", []):
            value = item.get("value") or {}
            key = value.get("name")
            for msg in value.get("errors") or []:
                # a missing alias setting (transforms.route.regex) at its alias's line (kplan.rules.smt)
                near = declared_near(key, spec.config_origins) if isinstance(key, str) else None
                origin = (spec.config_origins.get(near) if near else None) or spec.origin
                out.append(error(scrub(str(msg)), "connector-config-invalid", address=addr,
                                 path=("config", str(key)), origin=origin))
        return out
