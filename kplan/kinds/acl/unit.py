"""The acl kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.acl.importer import IMPORTER
from kplan.kinds.acl.kind import KIND
from kplan.kinds.acl.live import live_from_json
from kplan.kinds.acl.record import record_after, record_of
from kplan.kinds.acl.section import rendered
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls, build_acl_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (CreateAcls, DeleteAcls,), (build_acl_steps,), ("kplan.kinds.acl.handlers",),
                record_after=record_after, record_of=record_of,
                live_from_json=live_from_json, importer=IMPORTER,
                render=rendered)
