"""The connector kind's `Runtime` (`kplan.kinds.unit.Runtime`, its UNIT's `runtime_ref`): connectors run as tasks on
Connect's workers, so status, watch and apply ask it of their state and what they leave, a run of the secrets they
hold, and the topic kind of the topics a CDC source keeps. Each answer is its module's, imported when first asked:
the status read is I/O (kplan.kinds.connector.io.health), which planning never imports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from kplan.kinds.unit import Samples, lazy

if TYPE_CHECKING:
    from kplan.kinds.connector import cdc_cleanup, health, keepers, kind
    from kplan.kinds.connector.io import health as io_health
    from kplan.kinds.keepers import TopicKeepers
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan
    from kplan.model.status import StateTally, StatusReport
else:
    cdc_cleanup, health, keepers, kind, io_health = lazy(__name__, "cdc_cleanup health keepers kind io.health")


class ConnectorRuntime:
    @property
    def tally(self) -> StateTally:
        return kind.TALLY

    @property
    def keepers(self) -> TopicKeepers:
        return keepers.KEEPERS

    def run_secrets(self, stack: Stack, live: LiveState) -> Iterable[str]:
        return kind.run_secrets(stack, live)

    def left_behind(self, plan: Plan) -> list[str]:
        return cdc_cleanup.left_behind(plan)

    def status_read(self, declared: Sequence[Any], secrets: Any, reader: Any, timeout_s: float) -> Any:
        return io_health.status_read(declared, secrets, reader, timeout_s)

    def status_with(self, report: StatusReport, found: Any) -> StatusReport:
        return health.with_cdc_health(report, found)

    def metrics(self, found: Any) -> Samples:
        return health.metrics(found)

    def live_metrics(self, live: LiveState, plan: Plan) -> Samples:
        return health.states(live, plan)


RUNTIME = ConnectorRuntime()
