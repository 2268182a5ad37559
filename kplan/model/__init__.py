"""The data kplan reasons about, all immutable: what a stack declares (`desired`) and what the cluster has
(`live`, with its JSON codec `livejson`). No I/O."""
