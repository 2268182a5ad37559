"""The subject kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection("subjects", "subject", build_ref=".section:build_member", member=True, claimable=True,
                 borrows={"topics": ("key_schema", "value_schema")}, check_members_ref=".section:check_members",
                 digest_inputs_ref=".section:digest_inputs"),
    follow_up_ref=".io:follow_up",
    io=KindIO(validation_ref=".io.compat:SubjectValidation"),
)
