"""A connector renamed with `moved_from:` (Terraform's `moved` block): planned as one change, Action.MOVE, instead of
a delete (its offsets reset) and a create (from scratch: a Debezium source snapshots again, a sink re-reads its
topics). Apply stops the old connector, creates the new one stopped, copies the old one's offsets to it (Connect's
offsets API, KIP-875), deletes the old one and starts the new one (kplan.kinds.connector.steps). Pure.

A Debezium source continues only if what its position is keyed by stays: its offsets are keyed by `topic.prefix`, a
PostgreSQL source's position is its replication slot (and publication), a MySQL/MariaDB source's schema history
topic holds the table schemas its binlog position needs. A rename that changes one of these is refused at plan,
naming the setting to keep.
"""

from __future__ import annotations

from kplan.kinds.connector.model import ConnectorSpec
from kplan.model.cdc_cleanup import DEFAULT_PUBLICATION, DEFAULT_SLOT, POSTGRES_CLASS, slot_and_publication
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveConnector
from kplan.model.plan import PlanDiagnostic, ResourceType, address_of, error

# The settings a Debezium connector's position is keyed by, and how a cdc source declares each.
IDENTITY = {
    "topic.prefix": ("topic_prefix", "its offsets are keyed by it"),
    "slot.name": ("connection.slot_name", "its position is the replication slot's"),
    "publication.name": ("connection.publication_name", "the slot streams the publication's tables"),
    "schema.history.internal.kafka.topic": ("schema_history.topic", "its binlog position needs the schemas there"),
}
DEFAULTS = {"slot.name": DEFAULT_SLOT, "publication.name": DEFAULT_PUBLICATION}  # Debezium's, when not set


def move_checks(spec: ConnectorSpec, previous: LiveConnector) -> list[PlanDiagnostic]:
    """Why the rename cannot carry the old connector's position over, one error each: another class (offsets mean
    nothing to another plugin), an offsets request of its own (it would overwrite the carried offsets), or a
    Debezium identity setting that changes."""
    address, old = address_of(ResourceType.CONNECTOR, spec.name), previous.config
    out = []
    old_class, new_class = old.get("connector.class", ""), spec.connector_class
    if old_class != new_class:
        out.append(error(f"connector {spec.name!r} renames {previous.name!r} but changes its class ({old_class} -> "
                         f"{new_class}): offsets mean nothing to another plugin (remove moved_from to create it from "
                         "scratch)", "move-class-changes", address=address, origin=spec.origin))
    if spec.offsets is not None:
        out.append(error(f"connector {spec.name!r} renames {previous.name!r} and declares an offsets request: the "
                         "request would overwrite the offsets the rename carries over; apply the rename first, then "
                         "add the request", "move-with-offsets-request", address=address, origin=spec.origin))
    if not new_class.startswith("io.debezium.") or old_class != new_class:
        return out
    for key, (source_field, why) in IDENTITY.items():
        before, after = old.get(key, DEFAULTS.get(key)), spec.config.get(key, DEFAULTS.get(key))
        if before == after or (before is None and key not in spec.config):
            continue
        keep = (f"keep {source_field}: {before} on cdc source {spec.origin.cdc_source!r}"
                if spec.origin is not None and spec.origin.cdc_source else f"keep {key}: {before}")
        out.append(error(f"connector {spec.name!r} renames {previous.name!r} but changes {key} ({before} -> "
                         f"{after}): Debezium would not continue where the old connector stopped ({why}) and would "
                         f"start over; {keep}", "move-identity-changes", address=address, path=("config", key),
                         origin=spec.config_origins.get(key, spec.origin)))
    return out


def move_note(spec: ConnectorSpec, previous: LiveConnector) -> PlanDiagnostic:
    """What apply does, in order, and what a PostgreSQL source keeps; tables it newly captures are not snapshotted
    (an incremental snapshot is asked of a running connector only)."""
    text = (f"apply renames connector {previous.name!r} to {spec.name!r}: it stops {previous.name!r}, creates "
            f"{spec.name!r} stopped, copies the offsets of {previous.name!r} to it, deletes {previous.name!r} (its own "
            f"offsets reset), then starts {spec.name!r} ({spec.state.value})")
    live_tables = {t.strip() for t in previous.config.get("table.include.list", "").split(",") if t.strip()}
    added = [t for t in spec.captured_tables if live_tables and t not in live_tables]
    if added:
        text += (f"; the newly captured table(s) {', '.join(added)} get no snapshot in a rename: only their changes "
                 "from now on arrive (add them in a later apply to have them snapshotted)")
    if previous.config.get("connector.class") == POSTGRES_CLASS:
        slot, publication = slot_and_publication(previous.config)
        text += (f"; replication slot {slot!r} and publication {publication!r} carry over: no new snapshot, no "
                 "change lost (the slot keeps the changes made while no connector runs)")
    return PlanDiagnostic(Severity.INFO, text, "connector-move", address=address_of(ResourceType.CONNECTOR, spec.name),
                          origin=spec.origin)

