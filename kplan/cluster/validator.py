"""Plan-time validation by the real systems: whatever apply would be refused for is caught at plan time.

- topic creates: one `create_topics(..., validate_only=True)` for all of them;
- partition increases: one `create_partitions(..., validate_only=True)`;
- config changes: one `incremental_alter_configs(..., validate_only=True)`;
- connectors to create or update: Connect's `PUT /connector-plugins/{class}/config/validate`, concurrently,
  each key's errors reported at the stack file's line;
- connectors to create: whether Connect can address the name in its REST paths at all (`GET
  /connectors/{name}`: Kafka Connect 4's web server refuses an encoded `%` as ambiguous, so such a connector
  could be created but never read, changed or deleted);
- CDC sources whose connector is created or changed: their database checked for what Debezium needs
  (kplan.cluster.cdc_preflight, docs/cdc-preflight.md);
- dynamic broker configs to set or delete: one validate-only `IncrementalAlterConfigs` per broker entity
  (kplan.cluster.broker_configs);
- destroyed PostgreSQL sources with `on_destroy`: that the drop could connect and has the right to drop the slot
  and publication (kplan.cluster.postgres.check_drop) — the drop runs after everything else is deleted;
Nothing here writes. The schema registry's compatibility check is composed with this by the session
(kplan.session.systems). Secret values are resolved only to send them for validation and scrubbed from messages.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Mapping

from kplan.cluster.access import error_name
from kplan.cluster.settle import EXISTS, NOT_LISTED
from kplan.model.desired import ConnectorSpec, Stack, TopicSpec
from kplan.model.plan import Action, AttrKind, Plan, PlanDiagnostic, ResourceChange, ResourceType, error
from kplan.secrets import SecretValues, secret_keys
from kplan.transport.http import RestClient, RestUnavailable, error_message, is_json, rest_path
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.permissions import denied

_CONNECT_VALIDATE_WORKERS = 8


def _new_topics(specs: list[TopicSpec]) -> list:
    from confluent_kafka.admin import NewTopic

    return [NewTopic(t.name, t.partitions, t.replication_factor, config=dict(t.config)) for t in specs]


def _create_key(spec: TopicSpec) -> tuple:
    """Everything a validate-only create sends of a topic: answers sent ahead stand only for the same request."""
    return spec.name, spec.partitions, spec.replication_factor, tuple(sorted(spec.config.items()))


class RealValidator:
    def __init__(self, admin, connect: RestClient | None, timeout_s: float,
                 secrets: SecretValues | None = None, who: str | None = None,
                 connects: Mapping[str, RestClient] | None = None, cluster=None):
        self.admin = admin
        self.cluster = cluster  # the stack's ClusterSpec: broker configs are validated with a client of their own
        self.who = who  # kplan's principal, named when the broker denies a request
        self.connect = connect
        self.connects = connects or {}  # every Connect cluster by name (kplan.cluster.connects), when several
        self.timeout_s = timeout_s
        self.secrets = SecretValues() if secrets is None else secrets
        # A validate-only create sent ahead (`creates_ahead`): the keys of its topics and its answers' futures.
        self._ahead: tuple[frozenset, Mapping] | None = None

    def creates_ahead(self, specs: list[TopicSpec]) -> None:
        """Send the validate-only create of `specs` now; the plan's validation takes its answers instead of asking
        again when it validates creates of these very topics (`_validate_creates`). Apply's lock thread sends it as
        soon as it has read the cluster, so that the broker validates while the command's thread plans
        (kplan.session.early). Nothing is created; a failure to send leaves the validation to ask itself."""
        if not specs:
            return
        try:
            futures = self.admin.create_topics(_new_topics(specs), validate_only=True, request_timeout=self.timeout_s)
        except Exception:  # noqa: BLE001 - the validation asks again, and reports what is wrong
            return
        self._ahead = (frozenset(_create_key(t) for t in specs), futures)

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        topics = {t.name: t for t in stack.of("topics")}
        connectors = {c.name: c for c in stack.of("connectors")}
        diags: list[PlanDiagnostic] = []
        topic_changes = [c for c in plan.changes if c.type == ResourceType.TOPIC and c.name in topics]
        diags += self._validate_creates([topics[c.name] for c in topic_changes if c.action == Action.CREATE])
        updates = [c for c in topic_changes if c.action == Action.UPDATE]
        diags += self._validate_partition_increases(updates, topics)
        diags += self._validate_config_changes(updates, topics)
        conn_changes = [connectors[c.name] for c in plan.changes
                        if c.type == ResourceType.CONNECTOR and c.name in connectors
                        and c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)]
        diags += self._validate_connectors(conn_changes)
        diags += self._validate_names([connectors[c.name] for c in plan.changes if c.type == ResourceType.CONNECTOR
                                       and c.name in connectors and c.action == Action.CREATE])
        diags += self._validate_cdc_drops(stack, plan)
        if self.cluster is not None and any(c.type == ResourceType.BROKER_CONFIG and c.is_change for c in plan.changes):
            from kplan.cluster.broker_configs import validate as validate_broker_configs

            diags += validate_broker_configs(self.cluster, self.secrets, plan)
        checked = self._preflight(plan, connectors)
        # `preflight: warn` and the database out of reach: Connect's validation could not reach it either; its
        # errors on the database.* keys are that same fact, reported once by the preflight's warning
        skipped = {d.address for d in checked if d.code == "cdc-preflight-unreachable" and not d.is_error}
        diags = [d for d in diags if not (d.address in skipped and d.code == "connector-config-invalid" and d.path
                                          and d.path[-1].startswith("database."))]
        return diags + checked

    def _preflight(self, plan: Plan, connectors: Mapping[str, ConnectorSpec]) -> list[PlanDiagnostic]:
        """CDC sources the plan creates or changes, checked at their database (kplan.cluster.cdc_preflight)."""
        todo = [(connectors[c.name], c.action in (Action.CREATE, Action.REPLACE)) for c in plan.changes
                if c.type == ResourceType.CONNECTOR and c.name in connectors and connectors[c.name].preflight
                and c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)]
        if not todo:
            return []
        from kplan.cluster.cdc_preflight import preflight

        return preflight(todo, self.secrets, self.timeout_s)

    # -- PostgreSQL sources' on_destroy --------------------------------------------------------------------

    def _validate_cdc_drops(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        if not any(c.type == ResourceType.CONNECTOR and c.action == Action.DELETE for c in plan.changes):
            return []  # a drop goes with a deleted connector: nothing to check (and nothing to import)
        from kplan.cluster.postgres import DatabaseError, check_drop
        from kplan.errors import KplanError
        from kplan.kinds.connector.cdc_cleanup_steps import DropCdcDatabaseObjects, build_cdc_cleanup_steps

        addresses = {c.name: c for c in plan.changes if c.type == ResourceType.CONNECTOR}
        out = []
        # the builder does not read the live state (the plan's changes carry what it needs)
        for planned in build_cdc_cleanup_steps(plan, stack, None):  # type: ignore[arg-type]
            step = planned.step
            assert isinstance(step, DropCdcDatabaseObjects)
            try:
                password = self.secrets.substitute(step.password)
            except KplanError:
                continue  # reported by the plan itself (kplan.kinds.connector.cdc_cleanup)
            try:
                check_drop(step.host, step.port, step.user, step.database, password, step.slot, step.publication,
                           self.timeout_s)
            except DatabaseError as e:
                what = " and ".join(w for w in (step.slot and "replication slot",
                                                step.publication and "publication") if w)
                change = addresses.get(step.connector)
                out.append(error(
                    f"on_destroy of connector {step.connector!r} cannot drop its {what} in PostgreSQL: "
                    f"{self.secrets.scrubber()(str(e))}; nothing is deleted until it can (fix the login or the user's "
                    "rights, or remove on_destroy)", "cdc-drop-impossible",
                    address=change.address if change else "", origin=change.origin if change else None))
        return out

    # -- topics ------------------------------------------------------------------------------------------

    def _results(self, futures: Mapping, what: str, specs: Mapping[str, TopicSpec]) -> list[PlanDiagnostic]:
        out = []
        for key, fut in futures.items():
            name = key if isinstance(key, str) else getattr(key, "name", getattr(key, "topic", str(key)))
            try:
                fut.result(timeout=self.timeout_s + 5)
            except Exception as e:  # noqa: BLE001 - each refusal becomes a diagnostic
                spec = specs.get(name)
                if what == "create" and error_name(e) == EXISTS:  # see kplan.cluster.settle
                    out.append(error(f"topic {name!r} exists, but the broker's metadata did not list it when the "
                                     "cluster was read (a bulk change still settling, or created meanwhile): plan "
                                     "again", NOT_LISTED, address=f"topic.{name}",
                                     origin=spec.origin if spec else None))
                    continue
                why = (denied(e, what, f"topic {name}", self.who)
                       or describe_kafka_error(e))
                out.append(error(f"the broker would refuse to {what} topic {name!r}: {why}",
                                 "broker-refused", address=f"topic.{name}",
                                 origin=spec.origin if spec else None))
        return out

    def _validate_creates(self, specs: list[TopicSpec]) -> list[PlanDiagnostic]:
        ahead, self._ahead = self._ahead, None  # answers sent ahead serve the first validation only
        if not specs:
            return []
        names = {t.name for t in specs}
        if ahead is not None and {_create_key(t) for t in specs} <= ahead[0]:
            futures = {name: fut for name, fut in ahead[1].items() if name in names}
        else:
            futures = self.admin.create_topics(_new_topics(specs), validate_only=True, request_timeout=self.timeout_s)
        return self._results(futures, "create", {t.name: t for t in specs})

    def _validate_partition_increases(self, changes: list[ResourceChange], topics) -> list[PlanDiagnostic]:
        from confluent_kafka.admin import NewPartitions

        grow = [NewPartitions(c.name, topics[c.name].partitions) for c in changes
                if any(a.path == ("partitions",) and a.kind == AttrKind.UPDATE for a in c.attributes)]
        if not grow:
            return []
        futures = self.admin.create_partitions(grow, validate_only=True, request_timeout=self.timeout_s)
        return self._results(futures, "add partitions to", topics)

    def _validate_config_changes(self, changes: list[ResourceChange], topics) -> list[PlanDiagnostic]:
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

        resources = []
        for c in changes:
            entries = []
            for a in c.attributes:
                if len(a.path) != 2 or a.path[0] != "config" or not a.changed:
                    continue
                key = a.path[1]
                if a.kind == AttrKind.REMOVE:
                    entries.append(ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE))
                else:
                    entries.append(ConfigEntry(key, topics[c.name].config[key],
                                               incremental_operation=AlterConfigOpType.SET))
            if entries:
                resources.append(ConfigResource(ConfigResource.Type.TOPIC, c.name, incremental_configs=entries))
        if not resources:
            return []
        futures = self.admin.incremental_alter_configs(resources, validate_only=True,
                                                       request_timeout=self.timeout_s)
        return self._results(futures, "change the configs of", topics)

    # -- connectors --------------------------------------------------------------------------------------

    def _validate_connectors(self, specs: list[ConnectorSpec]) -> list[PlanDiagnostic]:
        connect = self.connect or next(iter(self.connects.values()), None)
        if not specs or connect is None:
            return []
        with ThreadPoolExecutor(max_workers=min(_CONNECT_VALIDATE_WORKERS, len(specs))) as pool:
            results = list(pool.map(partial(self._validate_connector, connect), specs))
        return [d for ds in results for d in ds]

    def _validate_names(self, specs: list[ConnectorSpec]) -> list[PlanDiagnostic]:
        connect = self.connect or next(iter(self.connects.values()), None)
        if not specs or connect is None:
            return []
        with ThreadPoolExecutor(max_workers=min(_CONNECT_VALIDATE_WORKERS, len(specs))) as pool:
            results = list(pool.map(partial(self._validate_name, connect), specs))
        return [d for ds in results for d in ds]

    def _client(self, connect: RestClient, spec: ConnectorSpec) -> RestClient:
        """The client of the Connect cluster `spec` runs on (`connect`, the default one's, unless it is another)."""
        return self.connects.get(spec.connect) or connect

    def _validate_name(self, connect: RestClient, spec: ConnectorSpec) -> list[PlanDiagnostic]:
        """A connector to create must be addressable: Connect answers its own JSON 404 for a name it does not
        have; a 400 (Jetty's "Ambiguous URI path encoding" for a `%`) means it cannot address it. Anything else
        (a worker still starting) proves nothing either way."""
        connect = self._client(connect, spec)
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
        connect = self._client(connect, spec)
        config = {k: self.secrets.substitute(v) for k, v in spec.config.items()}
        config.setdefault("name", spec.connect_name)
        hidden = secret_keys(spec.config, declared=spec.sensitive_keys)
        scrub = self.secrets.scrubber().extended(config[k] for k in hidden)
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
                origin = (spec.config_origins.get(key) if isinstance(key, str) else None) or spec.origin
                out.append(error(scrub(str(msg)), "connector-config-invalid", address=addr,
                                 path=("config", str(key)), origin=origin))
        return out

