"""`kplan operator` (docs/kubernetes.md): KafkaStack custom resources reconciled on a Kubernetes API server. The
Kubernetes I/O is `kube` (a small REST client over requests) and `lease` (leader election by a
coordination.k8s.io/v1 Lease); what to do with a resource is decided by `decide` (pure); `reconcile` plans, applies
and destroys a stack through kplan's own library calls (kplan.session), as `kplan plan/apply/destroy/recover` do;
`controller` runs the list+watch loop under the lease."""
