"""What kplan persists: the ownership record, the rollback journal, the apply lock (all in the cluster, through
`kplan.cluster.records`) and saved plan files."""
