"""Schema registry subjects: schema versions and compatibility levels, checked by the registry at plan time."""
