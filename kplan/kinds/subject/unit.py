"""The subject kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.subject.model import BORROWED, SCHEMA_KEYS, SECTION, SHAPE
from kplan.kinds.unit import KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.subject import handlers, importer, io, kind, live, section, steps
    from kplan.kinds.subject.io import compat
else:
    handlers, importer, io, kind, live, section, steps, compat = lazy(
        __name__, "handlers importer io kind live section steps io.compat")

UNIT = KindUnit(
    StackSection(SECTION, "subject", lambda: section.entry_word, build_ref=lambda: section.build_member,
                 member=True, claimable=True, borrows={BORROWED: SCHEMA_KEYS},
                 check_members_ref=lambda: section.check_members, digest_inputs_ref=lambda: section.digest_inputs),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_subject_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=lambda: importer.IMPORTER,
    render_ref=lambda: section.rendered,
    shape_ref=lambda: SHAPE,
    follow_up_ref=lambda: io.follow_up,
    io=KindIO(validation_ref=lambda: compat.SubjectValidation),
)
