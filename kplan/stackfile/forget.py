"""The `forget:` section: resources the stack stops owning without deleting them (docs/stack-format.md, Handing a
resource over), built into `Forget`s. Like a claim, an entry is about the cluster, not a resource the stack
declares: it is not overlaid by environments, and a several-cluster stack places it on one cluster
(`cluster: <name>`)."""

from __future__ import annotations

from kplan.kinds import ORDER, UNITS
from kplan.model.desired import Forget
from kplan.model.source import to_origin
from kplan.stackfile.member import MemberInput
from kplan.words import did_you_mean


def build_forget(inp: MemberInput) -> tuple[Forget, ...]:
    """One cluster's entries, in declaration order; an address of no kind, or one given twice, is an error."""
    diags = inp.ctx.diags
    seen: dict = {}
    out = []
    # a kind no entry declares on its own (a connector's offsets request) is forgotten with what it goes with
    types = [t for t, u in zip(ORDER, UNITS) if u.section is not None]
    for item, loc in inp.unflagged("forget"):
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            continue  # the schema reported it
        address = item["address"]
        at = inp.ctx.smap.value_loc(item, "address") or loc
        word, _, name = address.partition(".")
        if word not in types or not name:
            diags.error(at, f'forget: "{address}" is not a resource address: write <type>.<name>, the type one of '
                            f"{', '.join(types)}{did_you_mean(word, types)}")
            continue
        if diags.declared_again(seen, address, at, f'"{address}"', "forget a resource once"):
            continue
        out.append(Forget(address, to_origin(loc)))
    return tuple(out)
