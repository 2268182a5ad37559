"""The offsets kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.offsets.kind import KIND, follow_up
from kplan.kinds.offsets.live import live_from_json
from kplan.kinds.offsets.record import record_after, record_of
from kplan.kinds.offsets.steps import AlterOffsets, build_offsets_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (AlterOffsets,), (build_offsets_steps,), ("kplan.kinds.offsets.handlers",),
                record_after=record_after, record_of=record_of, follow_up=follow_up,
                live_from_json=live_from_json)
