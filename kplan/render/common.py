"""Formatting shared by the text and markdown renderers: readable values, attribute labels, headlines."""

from __future__ import annotations

import re

from kplan.model.metadata import Meta
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    Plan,
    ResourceChange,
    path_label,
)
from kplan.model.source import Origin
from kplan.rules.display import _duration, readable, show
from kplan.words import plural

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.REPLACE: "-/+",
    Action.NOOP: " ",
    Action.RESTART: "!",
    Action.METADATA: "~",
    Action.FORGET: ".",
    Action.MOVE: "~>",
}

HEADLINES = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.DELETE: "will be destroyed",
    Action.REPLACE: "must be replaced",
    Action.NOOP: "has no planned changes",
    Action.RESTART: "will be restarted (its failed instances only)",
    Action.METADATA: "will have its metadata updated (kplan's record only; the cluster is untouched)",
    Action.FORGET: "will be forgotten: no longer owned by this stack, left on the cluster with its data",
    Action.MOVE: "will be renamed, keeping its position",
}


def headline(change: ResourceChange) -> str:
    """`will be created`; a move names where from (`will be renamed from connector.orders, keeping ...`)."""
    if change.action == Action.MOVE and change.previous_address:
        return f"will be renamed from {change.previous_address}, keeping its position"
    return HEADLINES[change.action]

FLAG_NOTES = {
    Flag.IRREVERSIBLE: "IRREVERSIBLE: a partition increase cannot be undone; keys move to other partitions",
    Flag.DATA_LOSS: "DATA LOSS: the topic and all its records are deleted",
    Flag.DRIFT: "drift: the cluster has overrides the stack does not declare (left alone)",
    Flag.UNHEALTHY: "unhealthy: the connector or one of its tasks is FAILED/UNASSIGNED (not restarted by the plan)",
    Flag.REFUSED: "refused: part of this change cannot be made (see the errors)",
    Flag.PROTECTED: "protected: never deleted or replaced",
    Flag.RESTART: "restart: the connector is restarted after its config is written",
    Flag.ADOPT: "adopt: exists on the cluster but is not yet recorded as owned by this stack; apply records it",
}


def flag_note(change: ResourceChange, flag: Flag) -> str:
    """A flag's words: the kind's own where its resources need them (`Kind.flag_notes`), else the common ones."""
    from kplan.kinds import kind_of

    return kind_of(change.type).change_flag_note(change, flag) or FLAG_NOTES[flag]


def irreversible_why(change: ResourceChange) -> str:
    """Why an irreversible change cannot be undone, in the change's own words (its flag note without the flag)."""
    return flag_note(change, Flag.IRREVERSIBLE).removeprefix("IRREVERSIBLE: ")


def label(attr: AttributeChange) -> str:
    """`partitions`, `state`, `config["retention.ms"]`."""
    return path_label(attr.path)


def transition(attr: AttributeChange, *, deleting: bool = False) -> str:
    """The `old -> new` (or single) value text of an attribute change."""
    key = attr.path[-1]
    if attr.sensitive and attr.kind == AttrKind.UPDATE and attr.before == attr.after:
        return "(sensitive value changed)"
    if attr.kind == AttrKind.ADD:  # a value it replaces (an inherited one) is in the note
        return show(key, attr.after)
    if attr.kind in (AttrKind.REMOVE, AttrKind.DRIFT) or deleting:
        return show(key, attr.before)
    return f"{show(key, attr.before)} -> {show(key, attr.after)}"


def detail_lines(ch: ResourceChange, *, origin: bool = True) -> list[list[str]]:
    """A change's details as [mark, text] lines, as the Markdown plan and the HTML page show them: its reason and
    notes (`#`; `origin` as for `notes`), then its attributes: `+` set, `-` unset (or the value replaced), `~` a
    secret changed, `#` drift left alone, `!` refused; then how many unchanged ones are hidden."""
    lines = [["#", ch.reason.value]] if ch.reason.value else []
    lines += [["#", note] for note, _ in notes(ch, origin=origin)]
    deleting = ch.action == Action.DELETE
    for a in ch.attributes:
        key, name, note = a.path[-1], label(a), attr_note(a)
        suffix = f"  # {note}" if note else ""
        if a.kind == AttrKind.DRIFT:
            lines.append(["#", f"drift: {name} = {show(key, a.before)} ({note})"])
        elif a.kind == AttrKind.REFUSED:
            lines.append(["!", f"refused: {name} = {show(key, a.before)} -> {show(key, a.after)}"])
        elif a.kind == AttrKind.REMOVE or deleting:
            lines.append(["-", f"{name} = {show(key, a.before)}{suffix}"])
        elif a.kind == AttrKind.ADD:
            lines.append(["+", f"{name} = {show(key, a.after)}{suffix}"])
        elif a.sensitive and a.before == a.after:
            lines.append(["~", f"{name} = (sensitive value changed){suffix}"])
        else:
            lines.append(["-", f"{name} = {show(key, a.before)}"])
            lines.append(["+", f"{name} = {show(key, a.after)}{suffix}"])
    if ch.unchanged_attributes:
        lines.append(["#", f"({ch.unchanged_attributes} unchanged attribute(s) hidden)"])
    return lines


def attr_note(attr: AttributeChange) -> str:
    if attr.note == NoteKind.INHERITED:
        if attr.sensitive:
            return "overrides an inherited value"
        return f"overrides the inherited {show(attr.path[-1], attr.before)}"
    if attr.forces_replacement:
        return "forces replacement"
    return attr.note.value if attr.note is not None else ""


def attention(attr: AttributeChange) -> bool:
    """An attribute change a reader must not miss (shown in colour): irreversible, or forcing a replacement."""
    return attr.note == NoteKind.IRREVERSIBLE or attr.forces_replacement


def where(origin: Origin | None) -> str:
    if origin is None:
        return ""
    text = origin.where()
    if origin.cdc_source:
        what = f", table {origin.table}" if origin.table else ""
        if not what and origin.role not in (None, "connector", "table"):
            what = f", {origin.role}"
        text += f" (cdc source {origin.cdc_source}{what})"
    return text


def summary_line(plan: Plan) -> str:
    s = plan.summary
    if plan.has_changes:
        restart = f", {s.restart} to restart" if s.restart else ""
        meta = f", {plural(s.metadata, 'metadata update')} (kplan's record only)" if s.metadata else ""
        forget = f", {s.forget} to forget (left on the cluster)" if s.forget else ""
        move = f", {s.move} to rename" if s.move else ""
        return (f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy{move}{restart}{meta}{forget}."
                f"{not_read_note(plan)}{_filtered(plan)}")
    if plan.has_errors:  # what could not be planned is no match: never "No changes" beside an error
        what = "anything this stack owns is left on the cluster" if plan.destroy else "the cluster matches the stack"
        return f"No plan until the errors are fixed: kplan cannot tell whether {what}."
    if plan.not_read:
        return f"No changes in what was read.{not_read_note(plan)}{_filtered(plan)}"
    if plan.selection is not None:
        return f"No changes for this selection.{_filtered(plan)}"
    if plan.destroy:
        return "No changes. Nothing this stack owns exists on the cluster."
    drift = f" ({s.drift} with drift left alone)" if s.drift else ""
    return f"No changes. The cluster matches the stack{drift}."


def not_read_note(plan: Plan) -> str:
    """` Not read (--allow-unreadable): Kafka Connect cluster 'analytics'; nothing on it was planned.`"""
    if not plan.not_read:
        return ""
    return (f" Not read (--allow-unreadable): {', '.join(n.words for n in plan.not_read)}; nothing on "
            f"{'it' if len(plan.not_read) == 1 else 'them'} was planned.")


def _filtered(plan: Plan) -> str:
    """` Filtered to owner team-orders: 3 changes of other resources hidden.` for `kplan plan --owner/--label`."""
    sel = plan.selection
    if sel is None:
        return ""
    return (f" Filtered to {sel.describe()}: {plural(sel.hidden_changes, 'change')} of other resources hidden "
            f"({plural(sel.hidden_resources, 'resource')} in all); a filtered plan cannot be saved or applied.")


def meta_line(m: Meta, sep: str = ", ") -> str:
    """`owner team-orders, labels tier=gold; Orders placed in the shop` (empty without metadata); the status report
    parts all three with `; `."""
    parts = ([f"owner {m.owner}"] if m.owner is not None else [])
    if m.labels:
        parts.append("labels " + ", ".join(f"{k}={v}" for k, v in m.labels.items()))
    text = sep.join(parts)
    if m.description:
        text += ("; " if text else "") + m.description
    return text


def notes(ch: ResourceChange, *, origin: bool = True) -> list[tuple[str, Flag | None]]:
    """What every renderer says of a change before its attributes, each note with the flag it words (None for the
    others): where it is declared (unless `origin` is false), its owner, description and labels, its flags."""
    out: list[tuple[str, Flag | None]] = []
    if origin and ch.origin is not None:
        out.append((f"declared at {where(ch.origin)}", None))
    if meta := meta_line(ch.meta):
        out.append((meta, None))
    return out + [(flag_note(ch, f), f) for f in sorted(ch.flags, key=lambda f: f.value)]


def owner_groups(changes: list[ResourceChange]) -> list[tuple[str | None, list[ResourceChange]]]:
    """The changes by owner, owners sorted, the changes of no owner last (their order kept within a group)."""
    groups: dict[str | None, list[ResourceChange]] = {}
    for ch in changes:
        groups.setdefault(ch.meta.owner, []).append(ch)
    return sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


def adoption_note(plan: Plan) -> str:
    """One line for the resources that match the stack but are not yet in its ownership record (not listed)."""
    adopted = [c for c in plan.changes if not shown(c) and c.has(Flag.ADOPT)]
    if not adopted:
        return ""
    n, described = len(adopted), sum(1 for c in adopted if not c.meta.empty)
    what = "resource matches" if n == 1 else "resources match"
    meta = (f" and the owner, description and labels declared for {'it' if n == 1 else f'{described} of them'}"
            if described else "")
    return (f"{n} existing {what} the stack but {'is' if n == 1 else 'are'} not yet recorded as owned by it; "
            f"the next apply records ownership{meta} (nothing else changes).")


def shown(change: ResourceChange) -> bool:
    """Renderers list changes, plus unchanged resources that carry something worth seeing (drift, refusals...).
    A resource that matches the stack and only awaits adoption into the ownership record is counted in the
    summary line instead: thousands of such blocks would bury what matters."""
    if change.is_change or change.attributes or change.action == Action.FORGET:
        return True
    return bool(change.flags - {Flag.ADOPT})


def consumer_summary(ch: ResourceChange) -> str | None:
    """`read by 2 consumer groups (delete)`: what the plan knows of a disrupted topic's readers (None when it was
    not looked at; kplan.kinds.consumer_guard)."""
    ctx = ch.consumers
    if ctx is None:
        return None
    why = ", ".join(ctx.because)
    if not ctx.groups:
        return f"consumers ({why}): no consumer group reads it (none is assigned it or has committed offsets on it)"
    return f"consumers ({why}): read by {plural(len(ctx.groups), 'consumer group')}"


def group_line(ch: ResourceChange, g) -> str:
    """One group on a disrupted topic: `orders-app: Stable, 2 members, lag 40 messages, oldest unconsumed 3h`; a
    group without committed offsets there says which partitions it is assigned; a group this plan takes away
    first says what takes it (`connect-orders-sink: Stable, 1 member, lag 0 messages — this stack's connector
    orders-sink, deleted first`); a share group (KIP-932) says so (`jobs: Stable, 1 member (share group), lag 3
    messages`)."""
    text = f"{g.group}: {g.state}, {plural(g.members, 'member')}"
    if g.protocol == "consumer":
        text += " (consumer protocol)"
    elif g.protocol == "share":
        text += " (share group)"
    if g.lag is not None:
        text += f", lag {plural(g.lag, 'message')}"
    else:
        text += (f", assigned {'partition' if len(g.assigned) == 1 else 'partitions'} "
                 f"{', '.join(str(p) for p in g.assigned)}, "
                 f"no {'start' if g.protocol == 'share' else 'committed'} offsets")
    if g.oldest_age_ms is not None:
        text += f", oldest unconsumed {age(g.oldest_age_ms)} old"
    if g.beyond_retention is not None and ch.consumers is not None and ch.consumers.retention_ms is not None:
        text += f", {g.beyond_retention} older than the new retention.ms ({retention(ch.consumers.retention_ms)})"
    if g.leaves is not None:
        text += f" — {g.leaves}"
    return text


def age(ms: int) -> str:
    """`3h2m`, `45s`: the two largest units, whole seconds (an age is approximate)."""
    if ms < 1000:
        return "0s"
    return "".join(re.findall(r"\d+[a-z]+", _duration(ms // 1000 * 1000))[:2])


def retention(ms: int) -> str:
    return readable("retention.ms", ms) or str(ms)
