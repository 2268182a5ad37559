"""The quota kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.quota.importer import IMPORTER
from kplan.kinds.quota.kind import KIND
from kplan.kinds.quota.live import live_from_json
from kplan.kinds.quota.record import record_after, record_of
from kplan.kinds.quota.section import rendered
from kplan.kinds.quota.steps import AlterQuotas, build_quota_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (AlterQuotas,), (build_quota_steps,), ("kplan.kinds.quota.handlers",),
                record_after=record_after, record_of=record_of,
                live_from_json=live_from_json, importer=IMPORTER,
                render=rendered)
