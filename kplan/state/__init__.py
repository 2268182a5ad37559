"""What kplan persists: the ownership record, the rollback journal, the apply lock (all in the cluster, in kplan's
own record topics: `kplan.state.records`) and saved plan files."""
