"""The user kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.unit import KindUnit
from kplan.kinds.user.importer import IMPORTER
from kplan.kinds.user.kind import KIND
from kplan.kinds.user.live import live_from_json
from kplan.kinds.user.record import record_after, record_of
from kplan.kinds.user.section import rendered
from kplan.kinds.user.steps import AlterUsers, CreateUsers, DeleteUsers, build_user_steps

UNIT = KindUnit(KIND, (AlterUsers, CreateUsers, DeleteUsers,), (build_user_steps,), ("kplan.kinds.user.handlers",),
                record_after=record_after, record_of=record_of,
                live_from_json=live_from_json, importer=IMPORTER,
                render=rendered)
