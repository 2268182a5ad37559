"""The operator's Prometheus metrics (prometheus-client's custom collector protocol), served with /healthz and
/readyz by the same endpoint as `kplan watch`'s (kplan.transport.metrics_server): whether this replica leads, the
KafkaStacks it knows, those whose last reconcile failed, and the reconciles done."""

from __future__ import annotations

from kplan.operator.controller import Controller


class OperatorMetrics:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        c = self.controller
        with c.changed:
            known, failing = len(c.known), len(c.retry)
        yield GaugeMetricFamily("kplan_operator_leader", "1 while this replica holds the lease and reconciles",
                                value=1.0 if c.elector.is_leader() else 0.0)
        yield GaugeMetricFamily("kplan_operator_stacks", "KafkaStacks this replica knows", value=float(known))
        yield GaugeMetricFamily("kplan_operator_stacks_failing", "KafkaStacks whose last reconcile failed (tried "
                                "again soon)", value=float(failing))
        yield CounterMetricFamily("kplan_operator_reconciles", "Reconciles done", value=float(c.reconciles))
