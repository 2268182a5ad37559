"""One KafkaStack reconciled: its spec written out as a stack file (or the files of the ConfigMap it names,
kplan.operator.source; with the connection of the KafkaCluster it names as its `cluster:`,
kplan.operator.connection) and loaded as `kplan validate` loads one, planned
as `kplan plan` plans, its plan written to the resource's status, applied as `kplan apply` applies (its lock, its
journal, its rollback) only when the resource approves that plan (kplan.operator.decide), and on deletion destroyed
with the stack's own destroy rules before the finalizer is removed. The secrets the stack references come from
Kubernetes Secrets it (or its KafkaCluster) names; nothing of them reaches the status, the events or the log
(kplan.secrets.scrub)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostic, Severity
from kplan.operator.connection import (
    Connection,
    appended,
    as_kafkacluster,
    cluster_paths,
    cluster_ref,
    connection_of,
    in_section,
    with_cluster,
)
from kplan.operator.decide import (
    FINALIZER,
    Wishes,
    condition,
    drifted,
    plan_fingerprint,
    protected_removed,
    resumes,
    should_apply,
    summary_line,
    waiting_reason,
)
from kplan.operator.kube import Kube, KubeError, clusters_path, stacks_path
from kplan.operator.located import at_fields, fields_in, spec_text
from kplan.operator.source import ConfigMapRef, configmap_ref, files_of, in_configmap, mixed
from kplan.secrets import remember, scrub

MARKDOWN_LIMIT = 30_000  # of the status (an object is at most ~1.5 MB in etcd; a plan's page is cut, saying so)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Failed(KplanError):
    """A reconcile that cannot go on: `reason` names why, for the status and the event."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Reconciler:
    def __init__(self, kube: Kube, workdir: Path, identity: str, environ: Mapping[str, str],
                 log: Callable[[str], None]) -> None:
        self.kube, self.workdir, self.identity, self.environ, self.log = kube, workdir, identity, environ, log

    # -- the resource -----------------------------------------------------------------------------------------------
    def reconcile(self, resource: dict) -> bool:
        """Whether it went as it should (a False is tried again soon: a Secret or a cluster that was missing)."""
        meta = resource["metadata"]
        if meta.get("deletionTimestamp"):
            return self._deleted(resource) if FINALIZER in (meta.get("finalizers") or ()) else True
        if FINALIZER not in (meta.get("finalizers") or ()):
            resource = self.kube.merge_patch(self._path(resource), {"metadata": {
                "finalizers": [*(meta.get("finalizers") or ()), FINALIZER],
                "resourceVersion": meta["resourceVersion"]}})
        wishes = Wishes.of(resource)
        try:
            stack, environ, said = self._load(resource, None, wishes)
            doc, plan, markdown = self._plan(stack, environ, said)
        except Failed as e:
            self._failed(resource, "Planned", e)
            return False
        fingerprint = plan_fingerprint(doc)
        applied, drift, before = None, None, resource.get("status") or {}
        if drifted(before, resource["metadata"].get("generation"), doc.get("inputs_digest"), plan.has_changes,
                   plan.has_errors):
            drift = {"fingerprint": fingerprint, "summary": summary_line(doc["summary"]), "time": now()}
            if (before.get("plan") or {}).get("fingerprint") != fingerprint:  # newly seen: said once
                self.event(resource, "Drifted", f"the cluster drifted from the stack since it was in sync: "
                                                f"{drift['summary']} (plan {fingerprint})", warning=True)
            else:
                drift = {**drift, **(before.get("lastDrift") or {})}
        if should_apply(wishes, fingerprint, plan.has_changes, plan.has_errors):
            applied = self._apply(resource, stack, environ, fingerprint, wishes.auto_apply)
            if applied["result"] == "applied":  # what the cluster is now, planned again
                try:
                    doc, plan, markdown = self._plan(stack, environ, said)
                except Failed as e:
                    self._failed(resource, "Planned", e)
                    return False
                fingerprint = plan_fingerprint(doc)
        self._planned(resource, wishes, doc, plan, markdown, fingerprint, applied, drift)
        return applied is None or applied["result"] == "applied"

    def _path(self, resource: Mapping[str, Any], status: bool = False) -> str:
        meta = resource["metadata"]
        return stacks_path(meta["namespace"], meta["name"]) + ("/status" if status else "")

    # -- loading and planning ---------------------------------------------------------------------------------------
    def environ_of(self, namespace: str, names: tuple[str, ...],
                   connection: Connection | None = None) -> dict[str, str]:
        """The process's environment with the named Secrets' keys over it, and the Secret keys the KafkaCluster
        names (their values remembered as secrets)."""
        out = dict(self.environ)
        for name in names:
            for key, value in (self._secret(namespace, name, "named by kplan.dev/secrets").get("data") or {}).items():
                if not _ENV_NAME.match(key):
                    raise Failed("SecretUnreadable", f"the Secret {name!r} has a key {key!r} that is not an "
                                                     "environment variable's name ([A-Za-z_][A-Za-z0-9_]*)")
                out[key] = base64.b64decode(value).decode("utf-8")
                remember([out[key]])
        cluster = f"KafkaCluster {connection.name}" if connection else ""
        for ref in connection.secrets if connection else ():
            data = self._secret(ref.namespace, ref.name, f"named by {cluster}").get("data") or {}
            if ref.key not in data:
                raise Failed("SecretUnreadable", f"the Secret {ref.namespace}/{ref.name} has no key {ref.key!r} "
                                                 f"({cluster}, spec.secrets.{ref.env})")
            out[ref.env] = base64.b64decode(data[ref.key]).decode("utf-8")
            remember([out[ref.env]])
        return out

    def _secret(self, namespace: str, name: str, by: str) -> dict:
        try:
            return self.kube.call("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
        except KubeError as e:
            raise Failed("SecretUnreadable", f"the Secret {name!r} in namespace {namespace} {by} cannot be read "
                                             f"({e.status}): create it, or grant the operator get on it") from None

    def connection(self, resource: Mapping[str, Any]) -> Connection | None:
        """The KafkaCluster the resource names (spec.clusterRef), None when it names none; Failed when it is not
        there or cannot be read."""
        name = cluster_ref(resource.get("spec"))
        if name is None:
            return None
        try:
            found = self.kube.call("GET", clusters_path(name), ok_missing=True)
        except KubeError as e:
            raise Failed("KafkaClusterUnreadable", f"the KafkaCluster {name!r} named by spec.clusterRef cannot be read "
                                                   f"({e.status}): grant the operator get on kafkaclusters") from None
        if found is None:
            raise Failed("KafkaClusterMissing", f"spec.clusterRef names the KafkaCluster {name!r}, which is not there: "
                                                "create it (kubectl apply -f its manifest), or name an existing one "
                                                "(kubectl get kafkaclusters)")
        own = [k for k in ("cluster", "clusters") if k in resource["spec"]]
        if own:  # the CRD refuses it; an older CRD may not have
            raise Failed("InvalidStack", f"spec.{own[0]}: a stack that names a KafkaCluster (spec.clusterRef) declares "
                                         "no cluster of its own: remove it")
        return connection_of(found)

    def stack_file(self, resource: Mapping[str, Any], spec: Mapping[str, Any], suffix: str = "",
                   where: Path | None = None, connection: Connection | None = None) -> tuple[Path, list[str]]:
        """The spec written as a stack file (in `where`, else the resource's own directory; the KafkaCluster's
        connection as its `cluster:`), and its lines' field paths (kplan.operator.located)."""
        path = (where or self._dir(resource)) / f"stack{suffix}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text, paths = spec_text(with_cluster(spec, connection))
        path.write_text(text)
        return path, cluster_paths(paths, connection)

    def _dir(self, resource: Mapping[str, Any]) -> Path:
        return self.workdir / resource["metadata"]["namespace"] / resource["metadata"]["name"]

    def configmap_files(self, namespace: str, ref: ConfigMapRef) -> dict[str, bytes]:
        """The files of the ConfigMap a spec names (Failed when it cannot be read or lacks the stack's key)."""
        try:
            configmap = self.kube.call("GET", f"/api/v1/namespaces/{namespace}/configmaps/{ref.name}")
        except KubeError as e:
            what = "is not there" if e.status == 404 else f"cannot be read ({e.status})"
            raise Failed("ConfigMapUnreadable", f"the ConfigMap {ref.name!r} named by spec.source.configMap {what}: "
                                                "create it, or grant the operator get on ConfigMaps in "
                                                f"namespace {namespace}") from None
        files = files_of(configmap)
        if ref.key not in files:
            raise Failed("ConfigMapUnreadable", f"the ConfigMap {ref.name!r} has no key {ref.key!r} (its keys: "
                                                f"{', '.join(sorted(files)) or 'none'}): name the stack file's key in "
                                                "spec.source.configMap.key")
        return files

    def stack_of(self, resource: Mapping[str, Any]) -> Mapping[str, Any]:
        """The stack's content: the spec, or the YAML of the ConfigMap's key it names."""
        ref = configmap_ref(resource["spec"])
        if ref is None:
            return resource["spec"]
        text = self.configmap_files(resource["metadata"]["namespace"], ref)[ref.key]
        try:
            stack = yaml.safe_load(text)
        except yaml.YAMLError:
            stack = None
        if not isinstance(stack, dict):  # kplan's own load says where, as a plan says it
            self._load(resource, None, Wishes.of(resource))
            raise Failed("InvalidStack", f"{ref.said}{ref.key}: not a stack (a mapping of its sections)")
        return stack

    def _stack_files(self, resource: Mapping[str, Any], spec: Mapping[str, Any] | None, suffix: str = "",
                     where: Path | None = None, connection: Connection | None = None,
                     ) -> tuple[Path, Callable[[Diagnostic], str], Callable[[str], str]]:
        """The stack file kplan loads (`spec`, else the resource's own stack), and how a finding and a text name
        places in it to the resource's author: the spec's field paths, or the ConfigMap's key and line."""
        ref = configmap_ref(resource["spec"])
        if ref is not None and mixed(resource["spec"]):
            raise Failed("InvalidStack", f"spec.source: a stack from a ConfigMap takes no stack keys beside it "
                                         f"(found: {', '.join(mixed(resource['spec']))}): put them in its files")
        if ref is None or spec is not None:
            directory = where or self._dir(resource)
            if ref is not None:  # an edited stack (a deletion's), beside the files it may reference
                directory = self._configmap_dir(resource, ref, where, None)
            path, paths = self.stack_file(resource, spec if spec is not None else resource["spec"], suffix,
                                          directory, connection)
            return path, lambda d: at_fields(d, str(path), paths), lambda t: fields_in(t, str(path), paths)
        directory = self._configmap_dir(resource, ref, where, connection)
        return (directory / ref.key, lambda d: in_configmap(d.located(), str(directory), ref),
                lambda t: in_configmap(t, str(directory), ref))

    def _configmap_dir(self, resource: Mapping[str, Any], ref: ConfigMapRef, where: Path | None,
                       connection: Connection | None) -> Path:
        """The ConfigMap's files written out afresh (a key it no longer has is gone), the KafkaCluster's connection
        as the stack file's `cluster:`."""
        files = self.configmap_files(resource["metadata"]["namespace"], ref)
        if connection is not None:
            try:
                declared = yaml.safe_load(files[ref.key])
            except yaml.YAMLError:
                declared = None  # kplan's load says where
            own = [k for k in ("cluster", "clusters") if isinstance(declared, dict) and k in declared]
            if own:
                raise Failed("InvalidStack", f"{ref.said}{ref.key}: declares {own[0]}: while spec.clusterRef names "
                                             f"the KafkaCluster {connection.name}: remove one of them")
            files[ref.key] = appended(files[ref.key], connection)
        directory = (where or self._dir(resource)) / "configmap"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for key, data in files.items():
            (directory / key).write_bytes(data)
        return directory

    def _load(self, resource: Mapping[str, Any], spec: Mapping[str, Any] | None, wishes: Wishes, suffix: str = ""):
        """The stack (`spec`, else the resource's own), its environment, and what says a text's places in its
        files to the resource's author."""
        from kplan.stackfile import StackError, load_stack

        connection = self.connection(resource)
        environ = self.environ_of(resource["metadata"]["namespace"], wishes.secrets, connection)
        path, say, said = self._stack_files(resource, spec, suffix, connection=connection)
        try:
            stack = load_stack(str(path), environment=wishes.environment, environ=environ)
        except StackError as e:
            raise Failed("InvalidStack", scrub("; ".join(say(d) for d in e.diagnostics if d.is_error))) from None
        if stack.multi_cluster:
            raise Failed("InvalidStack", "a stack of several clusters (clusters:) is not reconciled by the operator "
                                         "yet: declare one KafkaStack per cluster")
        return stack, environ, said

    def check(self, resource: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """What `kplan validate` finds in the resource's stack (its errors, its warnings), at the spec's field paths
        or the ConfigMap's lines: the admission webhook's answer. A Secret or ConfigMap it names that cannot be read
        raises Failed; the Secrets of the KafkaCluster it names are not read (as `kplan validate`, the check takes a
        ${secret:env:NAME} unresolved), so that a stack is checked before they are there."""
        from kplan.stackfile import validate_stack

        wishes = Wishes.of(resource)
        connection = self.connection(resource)
        environ = self.environ_of(resource["metadata"]["namespace"], wishes.secrets)
        with tempfile.TemporaryDirectory(prefix="kplan-admission-") as scratch:  # requests run side by side
            path, say, _ = self._stack_files({**resource, "spec": resource.get("spec") or {}}, None,
                                             where=Path(scratch), connection=connection)
            found = validate_stack(str(path), wishes.environment, environ, with_policy=True)[1]
        errors = [scrub(say(d)) for d in found if d.is_error]
        warnings = [scrub(say(d)) for d in found if d.severity is Severity.WARNING]
        return errors, warnings

    def check_cluster(self, resource: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """What `kplan validate` finds in a KafkaCluster's spec as a stack file's `cluster:` section (its errors, its
        warnings), at the KafkaCluster's field paths (`spec.timeout: invalid duration ...`): the admission webhook's
        answer for KafkaClusters. Its Secrets are not read (kplan checks a ${secret:env:NAME} when it plans)."""
        from kplan.stackfile import validate_stack

        connection = connection_of({**resource, "spec": resource.get("spec") or {}})
        with tempfile.TemporaryDirectory(prefix="kplan-admission-") as scratch:
            path = Path(scratch) / "stack.yaml"
            text, paths = spec_text({"stack": "kafkacluster", "cluster": connection.section})
            path.write_text(text)
            found = validate_stack(str(path), None, dict(self.environ))[1]
        ours = [d for d in found if d.file == str(path) and 0 < d.line <= len(paths) and in_section(paths[d.line - 1])]
        errors = [scrub(at_fields(d, str(path), paths, as_kafkacluster)) for d in ours if d.is_error]
        warnings = [scrub(at_fields(d, str(path), paths, as_kafkacluster)) for d in ours
                    if d.severity is Severity.WARNING]
        return errors, warnings

    def _plan(self, stack, environ: Mapping[str, str], said: Callable[[str], str], destroy: bool = False):
        """The plan's JSON document, the plan, and its Markdown with the spec's field paths in its "Declared at"
        column (`said`, from _load) in place of the operator's own file."""
        from kplan.plan.serialize import plan_to_dict
        from kplan.render.markdown import render_markdown
        from kplan.session.open import open_session
        from kplan.session.plan import plan_stack

        try:
            session = open_session(stack, environ=environ)
            try:
                plan = plan_stack(session, destroy=destroy)[1]
            finally:
                session.close()
        except KplanError as e:
            raise Failed("ClusterUnreadable", scrub(str(e))) from None
        return plan_to_dict(plan), plan, scrub(said(render_markdown(plan, limit=MARKDOWN_LIMIT)))

    # -- applying ---------------------------------------------------------------------------------------------------
    def _run(self, stack, environ: Mapping[str, str], confirm, destroy: bool = False):
        """`kplan apply` (or destroy) of `stack` under its lock: (result or None when nothing was run, its plan)."""
        from kplan.session.cluster import Cluster
        from kplan.session.run import RunOptions, run_apply

        try:
            cluster = Cluster.open(stack, environ)
        except KplanError as e:
            raise Failed("ClusterUnreadable", scrub(str(e))) from None
        try:
            return run_apply(cluster, RunOptions(destroy=destroy, confirm=confirm))
        except KplanError as e:
            raise Failed("ApplyRefused", scrub(str(e))) from None
        finally:
            cluster.close()

    def _apply(self, resource: dict, stack, environ, fingerprint: str, auto: bool) -> dict[str, str]:
        """The approved plan applied, if under the lock kplan still plans exactly it; what came of it."""
        from kplan.plan.serialize import plan_to_dict

        self.event(resource, "Applying", f"applying plan {fingerprint}" + (" (auto-apply)" if auto else ""))
        # what a successor needs to know, should this replica die in the run: which plan, made of which spec
        self._write_status(resource, {"applying": {"fingerprint": fingerprint,
                                                   "generation": resource["metadata"].get("generation"),
                                                   "by": self.identity, "since": now()}})
        try:
            result, plan = self._run(stack, environ, lambda p: auto or plan_fingerprint(plan_to_dict(p)) == fingerprint)
        except Failed as e:
            self.event(resource, "ApplyFailed", str(e), warning=True)
            return {"fingerprint": fingerprint, "result": "refused", "message": str(e), "time": now()}
        if result is None:
            message = "the plan changed between planning and the lock: nothing applied; the new plan needs approval"
            return {"fingerprint": fingerprint, "result": "not-applied", "message": message, "time": now()}
        if result.exit_code != 0:
            message = scrub(f"apply failed: {result.error}; " + (
                "rolled back" if str(result.status) == "rolled-back" else f"run status {result.status}"))
            self.event(resource, "ApplyFailed", message, warning=True)
            return {"fingerprint": fingerprint, "result": "failed", "message": message, "time": now()}
        s = plan.summary
        message = f"applied plan {fingerprint}: {s.add} added, {s.change} changed, {s.destroy} destroyed"
        self.event(resource, "Applied", message)
        self.log(f"{self._name(resource)}: {message}")
        return {"fingerprint": fingerprint, "result": "applied", "message": message, "time": now()}

    # -- deletion ---------------------------------------------------------------------------------------------------
    def _deleted(self, resource: dict) -> bool:
        """The stack destroyed with its own rules, its protected topics and connectors left on the cluster and no
        longer owned (`forget:`), then the finalizer removed; a destroy that fails keeps the finalizer (retried at
        the next round) and says why."""
        from kplan.kinds import UNITS

        wishes = Wishes.of(resource)
        sections = {u.section.key: u.kind_ref().type.value for u in UNITS if u.section is not None}
        try:
            spec, forgotten = protected_removed(self.stack_of(resource), sections)
            stack, environ, _ = self._load(resource, spec if forgotten else None, wishes, ".destroy")
            if forgotten:  # handed over to nobody first: a destroy refuses a stack that declares a protected one
                self._checked(self._run(stack, environ, lambda p: True), "forgetting the protected resources")
            self._checked(self._run(stack, environ, lambda p: True, destroy=True), "destroy")
        except Failed as e:
            self._failed(resource, "Destroyed", e)
            return False
        kept = f"; left on the cluster (protected): {', '.join(forgotten)}" if forgotten else ""
        self.event(resource, "Destroyed", f"destroyed what the stack owned{kept}")
        self.log(f"{self._name(resource)}: destroyed{kept}")
        meta = resource["metadata"]
        self.kube.merge_patch(self._path(resource), {"metadata": {
            "finalizers": [f for f in meta.get("finalizers") or () if f != FINALIZER],
            "resourceVersion": meta["resourceVersion"]}})
        return True

    @staticmethod
    def _checked(outcome, what: str) -> None:
        result, plan = outcome
        if plan.has_errors:
            raise Failed("DestroyRefused", scrub(f"{what}: " + "; ".join(d.message for d in plan.errors)))
        if result is not None and result.exit_code != 0:
            raise Failed("DestroyFailed", scrub(f"{what} failed: {result.error}"))

    # -- status and events ------------------------------------------------------------------------------------------
    def _planned(self, resource: dict, wishes: Wishes, doc: Mapping[str, Any], plan, markdown: str,
                 fingerprint: str, applied: dict | None, drift: dict | None) -> None:
        status = resource.get("status") or {}
        generation = resource["metadata"].get("generation")
        at, before = now(), status.get("conditions") or []
        errors = "; ".join(d.message for d in plan.errors)
        conditions = [condition("Planned", not plan.has_errors, "PlanErrors" if plan.has_errors else "Planned",
                                scrub(errors) or summary_line(doc["summary"]), generation, at, before)]
        if plan.has_changes and not plan.has_errors:
            said = (f"the cluster drifted from the stack since it was in sync ({summary_line(doc['summary'])}); "
                    if drift else "")
            conditions.append(condition("Ready", False, "Drifted" if drift else "AwaitingApproval",
                                        said + waiting_reason(wishes, fingerprint), generation, at, before))
        else:
            conditions.append(condition("Ready", not plan.has_errors, "InSync" if not plan.has_errors else "PlanErrors",
                                        "the cluster is as the stack declares" if not plan.has_errors else
                                        "the plan has errors: nothing can be applied", generation, at, before))
        new = {"observedGeneration": generation, "reconciledBy": self.identity, "conditions": conditions,
               "applying": None, "plan": {"fingerprint": fingerprint, "summary": summary_line(doc["summary"]),
                        "hasChanges": plan.has_changes, "errors": len(plan.errors), "markdown": markdown,
                        "inputs": doc.get("inputs_digest")}}
        if applied is not None:
            new["lastApply"] = applied
        if drift is not None:
            new["lastDrift"] = drift
        if (status.get("plan") or {}).get("fingerprint") != fingerprint:
            self.event(resource, "Planned", f"plan {fingerprint}: {summary_line(doc['summary'])}"
                       + (f"; {len(plan.errors)} error(s)" if plan.has_errors else ""), warning=plan.has_errors)
        self._write_status(resource, new)

    def _failed(self, resource: dict, kind: str, e: Failed) -> None:
        generation = resource["metadata"].get("generation")
        status = resource.get("status") or {}
        before = status.get("conditions") or []
        at = now()
        message = scrub(str(e))
        conditions = [condition(kind, False, e.reason, message, generation, at, before),
                      condition("Ready", False, e.reason, message, generation, at, before)]
        changed = next((c for c in before if c.get("type") == kind and c.get("message") == message), None) is None
        if changed:  # the event first, as for a plan: whoever sees the status finds its event there too
            self.event(resource, e.reason, message, warning=True)
        self._write_status(resource, {"observedGeneration": generation, "reconciledBy": self.identity,
                                      "conditions": conditions, "applying": None})
        self.log(f"{self._name(resource)}: {e.reason}: {message}")

    def _write_status(self, resource: dict, status: dict) -> None:
        self.kube.merge_patch(self._path(resource, status=True), {"status": status})

    def event(self, resource: Mapping[str, Any], reason: str, message: str, warning: bool = False) -> None:
        """A core/v1 Event on the resource (what `kubectl describe` shows); one that cannot be written is logged."""
        meta, at = resource["metadata"], now()
        event = {"metadata": {"generateName": f"{meta['name']}."},
                 "involvedObject": {"apiVersion": resource.get("apiVersion", "kplan.dev/v1alpha1"),
                                    "kind": "KafkaStack", "name": meta["name"], "namespace": meta["namespace"],
                                    "uid": meta.get("uid")},
                 "reason": reason, "message": scrub(message)[:1000], "type": "Warning" if warning else "Normal",
                 "firstTimestamp": at, "lastTimestamp": at, "count": 1,
                 "source": {"component": "kplan-operator", "host": self.identity}}
        try:
            self.kube.call("POST", f"/api/v1/namespaces/{meta['namespace']}/events", body=event)
        except KubeError as e:
            self.log(f"{self._name(resource)}: the event {reason} was not written: {e}")

    @staticmethod
    def _name(resource: Mapping[str, Any]) -> str:
        return f"{resource['metadata']['namespace']}/{resource['metadata']['name']}"

    # -- recovery ---------------------------------------------------------------------------------------------------
    def recover(self, resource: dict, dead_leader: str | None) -> None:
        """The journal's recovery of a run the previous leader left unfinished: finished (`kplan recover --resume`)
        when the resource still approves the plan that run applied (decide.resumes), else rolled back (`kplan
        recover --rollback`), so that the cluster is as the approved plan or as before it, never between; what came
        of it in `status.lastApply` and an event. The lock of a run on the dead leader's host is taken over."""
        from kplan.session.cluster import Cluster
        from kplan.session.run import RunOptions, recover, recovered

        try:
            resource = self.kube.call("GET", self._path(resource), ok_missing=True) or resource  # its status now
            stack, environ, _ = self._load(resource, None, Wishes.of(resource))
            cluster = Cluster.open(stack, environ)
        except (Failed, KplanError):
            return  # its reconcile says what is wrong
        applying = (resource.get("status") or {}).get("applying") or {}
        try:
            store = cluster.journal_store()
            try:
                journal = store.read()
            finally:
                store.close()
            holder = cluster.lock().holder()
            if (journal is None or not journal.unfinished) and holder is None:
                return
            force = holder is not None and dead_leader is not None and holder.host == dead_leader
            mode = "resume" if resumes(Wishes.of(resource), applying, resource["metadata"].get("generation")) \
                else "rollback"
            try:
                result, message = recover(cluster, mode, force=force, opts=RunOptions())
            except KplanError as e:
                if mode == "rollback":
                    raise
                self.log(f"{self._name(resource)}: not resumed ({scrub(str(e))}): rolling back")
                mode, (result, message) = "rollback", recover(cluster, "rollback", force=force, opts=RunOptions())
            failed = result is not None and result.status != recovered(mode)  # a rollback's run "failed" too
            self.event(resource, "Recovered", message, warning=failed)
            self.log(f"{self._name(resource)}: {scrub(message)}")
            outcome = "failed" if failed else "applied" if mode == "resume" else "rolled-back"
            self._write_status(resource, {"applying": None, "lastApply": {
                "fingerprint": applying.get("fingerprint"), "result": outcome, "message": scrub(message),
                "time": now()}})
        except KplanError as e:
            self.event(resource, "RecoveryFailed", str(e), warning=True)
            self.log(f"{self._name(resource)}: recovery failed: {scrub(str(e))}")
        finally:
            cluster.close()


def workdir_default() -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / "kplan-operator"
