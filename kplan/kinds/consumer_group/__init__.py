"""Consumer-group requests: a group's committed offsets reset (earliest, latest, a time, explicit positions) or the
group deleted, each applied once per request token."""
