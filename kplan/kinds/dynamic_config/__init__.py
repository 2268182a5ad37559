"""The dynamic-config kinds, one family written once: a resource is one entity's keys — a client quota entity's
quotas (`quota.py`), a broker's or the cluster-wide default's dynamic configs (`broker.py`), a group's configs, KIP-848
(`group.py`): what `kafka-configs.sh` alters per entity type — and kplan owns the keys it set (the ownership record
keeps them per entity), leaving any other key alone as drift. Each kind is registered by its own unit here
(`kinds.UNIT_MODULES`); the family's code is written once: the declared and live types and what each kind knows of its
entities (`model.py`), the stack sections (`section.py`), the planning, status, ownership record, live-state part and
`kplan import` (`kind.py`), the step, its builder and its handler (`steps.py`). What differs per kind is data (its
words, its entity, its payload's and step's JSON keys) or a small override (a broker config's refusals, a group
config's unsupported cluster, a quota's entity of two names)."""
