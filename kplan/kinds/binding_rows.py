"""A Kafka ACL binding as a plan shows it (`kplan.model.bindings.binding_json`), as rows of a kind's shape
(`kplan.kinds.shape`): the rows the ACL and Streams app kinds' plan images share. Pure and light."""

from __future__ import annotations

from kplan.kinds.shape import choice, row, text

PRINCIPAL = row("principal", text(), "The principal, Type:name.")
BINDING = (
    row("resource", text(), "The resource type: topic, group, cluster or transactional_id."),
    row("pattern", text(), "literal or prefixed."),
    row("name", text(), "The resource name (* for all)."),
    row("operation", text(), "The operation, e.g. READ, WRITE, DESCRIBE."),
    row("permission", choice(("ALLOW", "DENY")), "ALLOW or DENY."),
    row("host", text(), "The host it applies to (* for any)."),
)
