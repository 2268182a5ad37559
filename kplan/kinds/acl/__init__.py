"""ACL bindings, one resource per principal; kplan deletes only the bindings it created."""
