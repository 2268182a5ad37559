"""Talking to the systems kplan manages, below the packages that know what they are for (cluster, registry)."""
