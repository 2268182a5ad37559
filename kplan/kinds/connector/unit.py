"""The connector kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.connector import (
        cdc_cleanup,
        connects,
        handlers,
        health,
        importer,
        keepers,
        keys,
        kind,
        live,
        mirrors,
        policy,
        section,
        steps,
    )
    from kplan.kinds.connector.io import health as io_health
    from kplan.kinds.connector.io import read, validation
else:
    (cdc_cleanup, connects, handlers, health, importer, keepers, keys, kind, live, mirrors, policy, section,
     steps) = lazy(__name__, "cdc_cleanup connects handlers health importer keepers keys kind live mirrors policy "
                             "section steps")
    io_health, read, validation = lazy(__name__, "io.health io.read io.validation")

UNIT = KindUnit(
    StackSection("connectors", "connector", lambda: section.entry_word, claimable=True, always_counted=True,
                 overlaid=True, many=True),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_connector_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=lambda: importer.IMPORTER,
    render_ref=lambda: section.rendered,
    follow_up_ref=lambda: read.follow_up,
    secret_fields_ref=lambda: kind.secret_fields,
    run_secrets_ref=lambda: kind.run_secrets,
    takes_groups_ref=lambda: connects.takes_groups,
    left_behind_ref=lambda: cdc_cleanup.left_behind,
    status_with_ref=lambda: health.with_cdc_health,
    metrics_ref=lambda: health.metrics,
    live_metrics_ref=lambda: health.states,
    status_tally_ref=lambda: kind.TALLY,
    flows_ref=lambda: mirrors.FLOWS,
    policy_ref=lambda: policy.POLICY,
    keeps_topics_ref=lambda: keepers.KEEPERS,
    shape_ref=lambda: keys.CONNECTORS,
    io=KindIO(lambda: read.ConnectorRead, PRIMARY, read_first=True,
              validation_ref=lambda: validation.ConnectorValidation, status_read_ref=lambda: io_health.status_read),
)
