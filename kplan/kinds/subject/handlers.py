"""Running and undoing schema registry subject steps (kplan.kinds.subject.steps).

A `PutSubject` journals what it did as it goes — the level set, then the version the registration got and
whether the subject had it before — so that its undo removes exactly what this run added, permanently: a
soft-deleted version would stay in `versions?deleted=true` and make the next registration a new number, a
soft-deleted subject would keep the level set on it. A run that died before journaling the registration leaves
no outcome: the undo then looks the schema up and deletes its version only if it is newer than the subject's
latest version before the run (an older one was there already). The undo ends by reading it all back."""

from __future__ import annotations

from kplan.errors import WriteError
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.subject.io.write import SubjectWrites
from kplan.kinds.subject.steps import DeleteSubjects, PutSubject


@handles(PutSubject)
class PutSubjectHandler(StepHandler[PutSubject]):
    def run(self, step: PutSubject, ctx: StepContext) -> None:
        w = ctx.io(SubjectWrites)
        existing = step.before_version is not None
        if existing and step.level_changes:  # the registration is then judged under the level the plan leaves
            w.set_subject_level(step.subject, step.level)
            ctx.record({"level_set": True})
        if step.schema is not None:
            before = set(w.subject_versions(step.subject))
            version = w.register_schema(step.subject, step.schema, step.schema_type, step.references)
            ctx.record({"version": version, "new": version not in before})
            if version in before and version != max(before):  # never claim a registration the registry did not make
                raise WriteError(f"subject {step.subject}: the registry already holds this schema as version "
                                 f"{version}, not the latest ({max(before)}), and registers nothing new; the "
                                 "declared schema is not the subject's latest (run kplan plan to see it as drift)")
        if not existing and step.level_changes:  # a new subject: registered first, its level after
            w.set_subject_level(step.subject, step.level)
            ctx.record({"level_set": True})

    def undo(self, step: PutSubject, ctx: StepContext) -> None:
        """Remove for good what this run added — the version it registered (soft, then permanent delete: no
        soft-deleted version stays behind, and the next registration gets the same number), the subject it created
        (with the level set on it) — and put a level it changed back; then read it all back. Idempotent."""
        w = ctx.io(SubjectWrites)
        version = self._registered(step, ctx) if step.schema is not None else None
        if version is not None and version in w.subject_versions(step.subject, deleted=True):
            w.delete_schema_version(step.subject, version)
        # a subject that holds nothing more after that and had no live version before: this run created it
        gone = step.before_version is None and version is not None
        if gone and w.subject_listed(step.subject) and not w.subject_versions(step.subject, deleted=True):
            w.delete_subjects([step.subject], permanent=True)  # its own level goes with it
        elif gone and w.subject_listed(step.subject):
            gone = False  # it holds versions from before the run (soft-deleted ones): it stays, as it was
        if step.level_changes and not gone and w.subject_listed(step.subject) \
                and w.subject_level(step.subject) != step.before_level:
            w.set_subject_level(step.subject, step.before_level)
        self._check_undone(step, ctx, version, gone)

    @staticmethod
    def _registered(step: PutSubject, ctx: StepContext) -> int | None:
        """The version this run registered (None: none). A run that died before journaling its registration is
        looked up (a version newer than the subject's latest before the run is this run's), and what is found is
        journaled at once: an undo killed after deleting it softly still knows it must be deleted for good."""
        outcome = dict(ctx.outcome or {})
        if "version" in outcome:
            return int(outcome["version"]) if outcome.get("new") else None
        found = ctx.io(SubjectWrites).schema_version(step.subject, step.schema or "", step.schema_type,
                                                   step.references)
        if found is None or (step.before_version is not None and found <= step.before_version):
            return None
        ctx.record({"version": found, "new": True})
        return found

    @staticmethod
    def _check_undone(step: PutSubject, ctx: StepContext, version: int | None, gone: bool) -> None:
        """Never report undone what the registry does not show undone."""
        w = ctx.io(SubjectWrites)
        left = []
        if version is not None and version in w.subject_versions(step.subject, deleted=True):
            left.append(f"still holds version {version}")
        if gone and w.subject_listed(step.subject):
            left.append("is still listed (soft-deleted) though this run created it")
        if gone and w.own_level_answer(step.subject) is not None:
            left.append("still answers a compatibility level though this run created it")
        if not gone and step.level_changes and w.subject_listed(step.subject):
            level = w.subject_level(step.subject)
            if level != step.before_level:
                left.append(f"has compatibility level {level}, not {step.before_level or 'none of its own'} as "
                            "before the run")
        if left:
            raise WriteError(f"subject {step.subject} {' and '.join(left)}: not as before the run")


@handles(DeleteSubjects)
class DeleteSubjectsHandler(StepHandler[DeleteSubjects]):
    def run(self, step: DeleteSubjects, ctx: StepContext) -> None:
        ctx.request(lambda: ctx.io(SubjectWrites).delete_subjects(list(step.names), step.permanent))

    def left_no_trace(self, step: DeleteSubjects, ctx: StepContext) -> bool:
        return all(ctx.io(SubjectWrites).subject_versions(name) for name in step.names)
