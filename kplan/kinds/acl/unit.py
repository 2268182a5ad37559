"""The acl kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import ADMIN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.acl.kind:KIND",
    StackSection(
        "acls",
        "ACL principal",
        build_ref="kplan.kinds.acl.section:build_acls",
        entry_word_ref="kplan.kinds.acl.section:entry_word",
        claimable=True,
    ),
    ("kplan.kinds.acl.steps:CreateAcls", "kplan.kinds.acl.steps:DeleteAcls",),
    ("kplan.kinds.acl.steps:build_acl_steps",),
    ("kplan.kinds.acl.handlers",),
    record_module="kplan.kinds.acl.steps",
    live_module="kplan.kinds.acl.live",
    importer_ref="kplan.kinds.acl.importer:IMPORTER",
    render_ref="kplan.kinds.acl.section:rendered",
    io=KindIO("kplan.kinds.acl.io:AclRead", ADMIN),
)
