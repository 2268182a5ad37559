"""The acl kind's declared model: a principal's ACL bindings as a stack declares them (the Stack holds them by
section, `Stack.of`), and their shape: the `acls` section's keys and those of its `consume` and `allow`/`deny`
entries, one row each (`kplan.kinds.shape`). What the keys mean as Kafka's bindings is the section's
(`kplan.kinds.acl.section.expand_acl`)."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.kinds.binding_rows import BINDING
from kplan.kinds.shape import Attr, Shape, choice, fields_of, list_of, named, record, ref, row, text
from kplan.model.bindings import AclBinding
from kplan.model.source import Origin

NAME = text(1, pattern="^[^|]+$")  # `|` separates a binding's fields in its key (AclBinding.key)
NAMES = named("aclNames", list_of(NAME, min_items=1), "Names of topics or groups: a literal name, `*` for all, or "
              "prefix:<p> for every name that starts with <p> (a PREFIXED binding).",
              (["orders.events"], ["prefix:orders."]))
HOST = Attr("host", named("aclHost", NAME, "The host the binding applies to; * (the default) for any.",
                          ("10.0.0.12",), default="*"))
RESOURCES = ("topic", "group", "cluster", "transactional_id")  # the resource types a stack can declare
PATTERNS = ("literal", "prefixed")
OPERATIONS = ("ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS",
              "ALTER_CONFIGS", "IDEMPOTENT_WRITE")
# One raw binding entry of `allow` or `deny`: its operations on one resource, name and pattern, from one host.
ENTRY = (
    Attr("resource", choice(RESOURCES),
         "The resource type: topic, group, cluster or transactional_id.", ("transactional_id",), required=True),
    Attr("name", NAME, "The resource name (* for all); not needed for the cluster.", ("orders-app",)),
    Attr("pattern", choice(PATTERNS), "literal (the default): the name exactly; prefixed: every name "
         "that starts with it.", ("prefixed",), default="literal"),
    Attr("operations", list_of(choice(OPERATIONS), min_items=1), "The operations the binding allows (or denies).",
         (["WRITE", "DESCRIBE"],), required=True),
    HOST,
)
PLANNED_BINDINGS = list_of(ref("acl/properties/bindings/items"))



def acl_shape(entry: tuple[Attr, ...]) -> Shape:
    """The section's shape, its `allow` and `deny` items of the rows `entry`."""
    bindings = list_of(named("aclEntry", record(entry)))
    return Shape(
        "acls", "aclPrincipal",
        "ACL bindings, one entry per principal: produce/consume shorthands and raw allow/deny entries, expanded to "
        "concrete bindings. See docs/stack-format.md (ACLs).",
        [{"principal": "User:orders-app", "produce": ["orders.events"],
          "consume": {"topics": ["orders.commands"], "groups": ["orders-app"]}}],
        (
            Attr("principal", text(pattern="^[A-Za-z][A-Za-z0-9]*:[^*|]+$"), "A Kafka principal, Type:name as the "
                 "broker's principal builder makes it (User:orders-app). One entry per principal.",
                 ("User:orders-app",), required=True, plan="The principal, Type:name.", plan_required=True),
            row("bindings", list_of(fields_of(BINDING)), "Its bindings."),
            Attr("authoritative", ref("flag"), "false (default): a binding of this principal that the stack does "
                 "not declare and kplan did not create is drift, shown and left alone; true: it is deleted. A binding "
                 "kplan created that the stack no longer declares is deleted either way.", default=False),
            HOST,
            Attr("produce", NAMES, "Topics (or prefix:<p> patterns) the principal may produce to: WRITE and DESCRIBE "
                 "(Kafka 3 and newer need no IDEMPOTENT_WRITE for an idempotent producer).",
                 (["orders", "prefix:orders."],)),
            Attr("consume", record((
                Attr("topics", NAMES, "Topics (or prefix:<p> patterns) it may read: READ and DESCRIBE.", required=True),
                Attr("groups", NAMES, "Consumer groups it may read with: READ."))),
                 "Topics it may read (READ, DESCRIBE) with these consumer groups (READ).",
                 ({"topics": ["orders.events"], "groups": ["billing"]},)),
            Attr("allow", bindings, "Raw ALLOW bindings of this principal: resource, name, pattern, operations, host.",
                 ([{"resource": "transactional_id", "name": "orders-", "pattern": "prefixed",
                    "operations": ["WRITE", "DESCRIBE"]}],)),
            Attr("deny", bindings, "Raw DENY bindings of this principal (Kafka lets a deny win over any allow).",
                 ([{"resource": "topic", "name": "payments.", "pattern": "prefixed", "operations": ["READ"]}],)),
        ),
        resource="A principal's ACL bindings.",
        planned=(row("create", PLANNED_BINDINGS, "The bindings apply creates."),
                 row("delete", PLANNED_BINDINGS, "The bindings apply deletes.")),
        planned_description="What apply does to a principal's ACLs: the exact bindings it creates and deletes.",
    )


SHAPE = acl_shape(ENTRY)


@dataclass(frozen=True)
class AclSpec:
    """The ACL bindings a stack declares for one principal (`User:orders-app`), expanded from its `produce`,
    `consume`, `allow` and `deny` entries, and generated for the cdc sources whose connector runs as it."""

    name: str  # the principal, e.g. User:orders-app
    bindings: tuple[AclBinding, ...] = ()  # sorted, unique
    # True: bindings of this principal that the stack does not declare are deleted (not only shown as drift).
    authoritative: bool = False
    origin: Origin | None = None
    # The cdc sources whose connector runs as this principal (`principal:`): their bindings are among `bindings`.
    cdc_sources: tuple[str, ...] = ()
