"""Dynamic configs of a Kafka config resource (a broker, a group) through kplan's own Kafka client
(kplan.transport.wire.client): what the broker- and group-config modules (`broker.py`, `group.py`) share — a
DescribeConfigs and an IncrementalAlterConfigs request and their refusals, apply's verified writes (each entity asked
again while it gets no answer, then read back until the brokers show it) and the plan-time validation's registration.
Which resources, where they are sent and how they are read back stay theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.model.results import BatchResults
from kplan.transport.wire.client import error_name
from kplan.transport.wire.codec import Refused, WireError

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.dynamic_config.kind import KeysPlanned
    from kplan.model.desired import ClusterSpec, Stack
    from kplan.model.plan import Plan, PlanDiagnostic, ResourceChange
    from kplan.secrets import SecretValues
    from kplan.transport.admin import AdminSession
    from kplan.transport.reads import Systems
    from kplan.transport.wire.client import Client

SET, DELETE = 0, 1  # IncrementalAlterConfigs operations

Values = Mapping[str, str | None]  # key -> value to set (None: delete; shown: absent)


def described(client: "Client", resources: list[tuple[int, str, None]], word: Callable[[str], str], synonyms: bool,
              node: int | None = None) -> list[Any]:
    """The results of one DescribeConfigs request of these (resource type, name, None) at broker `node` (None: any);
    Refused naming (`word`) the first resource refused."""
    from kplan.transport.wire.messages import DescribeConfigsRequest

    response = client.send(DescribeConfigsRequest(resources=resources, include_synonyms=synonyms, min_version=1), node)
    for result in response.results:
        if result.error_code:
            name = error_name(result.error_code)
            raise Refused(f"describing the configs of {word(result.resource_name)} failed: {name}", name)
    return list(response.results)


def altered(client: "Client", resource_type: int, changes: Mapping[str, Values], validate_only: bool,
            node: int | None = None) -> dict[str, tuple[str, str]]:
    """One IncrementalAlterConfigs request for these resources (name -> key -> value to set, None: delete), at broker
    `node` (None: any); name -> (error name, broker's message) for those refused."""
    from kplan.transport.wire.messages import IncrementalAlterConfigsRequest

    resources = [(resource_type, name, [(k, DELETE if v is None else SET, v) for k, v in sorted(values.items())])
                 for name, values in sorted(changes.items())]
    response = client.send(IncrementalAlterConfigsRequest(resources=resources, validate_only=validate_only), node)
    return {r.resource_name: (error_name(r.error_code), r.error_message or "")
            for r in response.responses if r.error_code}


def planned_writes(plan: "Plan", planned: "type[KeysPlanned]") -> "list[tuple[ResourceChange, Any, Values]]":
    """The plan's writes of a kind (of its `planned` payload type): each change that sets or deletes keys, with its
    entity and key -> value to set (None: delete)."""
    return [(c, c.planned.entity, {k: a for k, _, a in c.planned.values}) for c in plan.changes
            if c.is_change and isinstance(c.planned, planned) and c.planned.values]


def matches(shown: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether the dynamic values `shown` (configs, quotas) are `values` (None: absent)."""
    return all((k not in shown) if v is None else (shown.get(k) == v) for k, v in values.items())


def alter_verified(kafka: "AdminSession", changes: Sequence[tuple[str, Values]], *, what: str,
                   word: Callable[[str], str], alter: Callable[[str, Values], "tuple[str, str] | None"],
                   shows: Callable[[str, Values], bool], unshown: str) -> "BatchResults":
    """Per entity one `alter` (setting a value twice is harmless: asked again while it gets no answer; it gives (error
    name, broker's message) when refused), then `shows` read back until true (`kplan.transport.admin.poll`: for
    max(10 s, the cluster's timeout), 0.1 s apart and growing; a read that fails counts as not yet). `what`: the
    write as errors name it ("altering group configs"); `word`: an entity as they name it; `unshown`: the
    verification failure, with `{keys}` and `{entity}`."""
    from kplan.transport.admin import poll
    from kplan.transport.permissions import denied_name
    from kplan.transport.results import reason_of_name

    results = BatchResults()

    def shown(entity: str, values: Values) -> bool:
        try:
            return shows(entity, values)
        except (WireError, Refused):
            return False

    for entity, values in changes:
        def write(entity: str = entity, values: Values = values) -> None:
            refused = alter(entity, values)
            if refused is not None:
                name, message = refused
                results.record(entity, reason_of_name(name), name)
                problem = denied_name(name, "alter configs of", word(entity), kafka.who, operation="ALTER_CONFIGS")
                raise WriteError(f"{what} of {word(entity)}: {problem or message or name}")
        kafka.attempts.wire(what, write)
        failure = "verification failed: " + unshown.format(keys=", ".join(sorted(values)), entity=entity)
        poll(lambda: None if shown(entity, values) else failure, max(10.0, kafka.timeout_s), delay=0.1, factor=1.5)
        results.record(entity)
    return results


class ConfigValidation:
    """A kind's plan-time validation (registered in kplan.cluster.kind_io, made for the validator as
    `partial(ConfigValidation, check)`): its module's `check` — the plan's writes of the kind sent validate-only, what
    the brokers refuse one error each — with a client of its own, for a stack that names its cluster."""

    def __init__(self, check: Callable[["ClusterSpec", "SecretValues", "Plan"], list["PlanDiagnostic"]],
                 systems: "Systems"):
        self.check, self.systems = check, systems

    def validate(self, stack: "Stack", plan: "Plan") -> list["PlanDiagnostic"]:
        if self.systems.cluster is None:
            return []
        return self.check(self.systems.cluster, self.systems.secrets, plan)
