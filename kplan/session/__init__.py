"""The application service every command that reads the cluster shares: load the stack, resolve its secret
references once (the edge), open the cluster (or a live-state file), read, plan and have the real systems validate
the plan (`open.py`, `plan.py`); and the runs that change a cluster under its lock — apply, destroy, recover
(`run.py`), over one cluster or several."""
