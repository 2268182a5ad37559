"""The subject kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.subject.kind:KIND",
    StackSection(
        "subjects",
        "subject",
        build_ref="kplan.kinds.subject.section:build_member",
        member=True,
        entry_word_ref="kplan.kinds.subject.section:entry_word",
        claimable=True,
        borrows={"topics": ("key_schema", "value_schema")},
        check_members_ref="kplan.kinds.subject.section:check_members",
        digest_inputs_ref="kplan.kinds.subject.section:digest_inputs",
    ),
    ("kplan.kinds.subject.steps:DeleteSubjects", "kplan.kinds.subject.steps:PutSubject",),
    ("kplan.kinds.subject.steps:build_subject_steps",),
    ("kplan.kinds.subject.handlers",),
    record_module="kplan.kinds.subject.kind:KIND",
    follow_up_ref="kplan.kinds.subject.io:follow_up",
    live_module="kplan.kinds.subject.live",
    importer_ref="kplan.kinds.subject.importer:IMPORTER",
    render_ref="kplan.kinds.subject.render:rendered",
    io=KindIO(validation_ref="kplan.kinds.subject.io.compat:SubjectValidation"),
)
