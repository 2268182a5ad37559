"""The subject kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.subject.attach import follow_up
from kplan.kinds.subject.importer import IMPORTER
from kplan.kinds.subject.kind import KIND
from kplan.kinds.subject.live import live_from_json
from kplan.kinds.subject.record import record_after, record_of
from kplan.kinds.subject.render import rendered
from kplan.kinds.subject.steps import DeleteSubjects, PutSubject, build_subject_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (DeleteSubjects, PutSubject,), (build_subject_steps,), ("kplan.kinds.subject.handlers",),
                record_after=record_after, record_of=record_of, follow_up=follow_up,
                live_from_json=live_from_json, importer=IMPORTER,
                render=rendered)
