"""The offsets kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit

UNIT = KindUnit(__name__, None, follow_up_ref=".io:follow_up", importer_ref=None,
                render_ref=None)
