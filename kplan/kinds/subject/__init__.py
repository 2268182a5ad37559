"""Schema registry subjects: schema versions and compatibility levels, checked by the registry at plan time."""

from kplan.kinds.subject.kind import KIND
from kplan.kinds.subject.steps import DeleteSubjects, PutSubject, build_subject_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (DeleteSubjects, PutSubject,), (build_subject_steps,), ("kplan.kinds.subject.handlers",))
