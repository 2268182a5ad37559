"""Planning: the plan data model and the pure planner (`make_plan`). No I/O here.

Heavier pieces are imported from their modules: `kplan.plan.planner.make_plan`,
`kplan.plan.fingerprint.fingerprint_resource`; the plan's data model is `kplan.model.plan`.
"""
