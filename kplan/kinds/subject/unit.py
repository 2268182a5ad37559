"""The subject kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.subject.kind import KIND
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(
    KIND,
    ("kplan.kinds.subject.steps:DeleteSubjects", "kplan.kinds.subject.steps:PutSubject",),
    ("kplan.kinds.subject.steps:build_subject_steps",),
    ("kplan.kinds.subject.handlers",),
    record_module="kplan.kinds.subject.record",
    follow_up_ref="kplan.kinds.subject.attach:follow_up",
    live_module="kplan.kinds.subject.live",
    importer_ref="kplan.kinds.subject.importer:IMPORTER",
    render_ref="kplan.kinds.subject.render:rendered",
)
