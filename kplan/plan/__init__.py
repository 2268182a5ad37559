"""Planning: the pure planner (`kplan.plan.planner.make_plan`) and what it composes, each imported from its module.
No I/O here; the plan's data model is `kplan.model.plan`."""
