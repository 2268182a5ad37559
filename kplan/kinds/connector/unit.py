"""The connector kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.connector import (
        connects,
        handlers,
        importer,
        keys,
        kind,
        live,
        mirrors,
        policy,
        runtime,
        section,
        steps,
    )
    from kplan.kinds.connector.io import read, validation
else:
    connects, handlers, importer, keys, kind, live, mirrors, policy, runtime, section, steps = lazy(
        __name__, "connects handlers importer keys kind live mirrors policy runtime section steps")
    read, validation = lazy(__name__, "io.read io.validation")

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
    takes_groups_ref=lambda: connects.takes_groups,
    runtime_ref=lambda: runtime,
    flows_ref=lambda: mirrors.FLOWS,
    policy_ref=lambda: policy.POLICY,
    shape_ref=lambda: keys.CONNECTORS,
    io=KindIO(lambda: read.ConnectorRead, PRIMARY, read_first=True,
              validation_ref=lambda: validation.ConnectorValidation),
)
