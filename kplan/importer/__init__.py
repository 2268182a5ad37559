"""`kplan import`'s pure core: live state in, stack documents out (no I/O; `kplan/commands/import_.py` reads the
cluster and writes the files).

What is written is what `kplan plan` on it must find unchanged: a topic's own overrides only (never broker
defaults), in human units only where they convert back exactly; a connector's config as Connect stores it, with
secrets replaced by `${secret:env:...}` references (the rule is `kplan.secrets.imported_value`); every other kind's
entries as its `importer.py` writes them.
"""
