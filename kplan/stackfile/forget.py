"""The `forget:` section: resources the stack stops owning without deleting them (docs/stack-format.md, Handing a
resource over), built into `Forget`s. Like a claim, an entry is about the cluster, not a resource the stack
declares: it is not overlaid by environments, and a several-cluster stack places it on one cluster
(`cluster: <name>`)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from kplan.kinds import ORDER, UNITS
from kplan.model.desired import Forget
from kplan.model.source import Loc, to_origin
from kplan.stackfile.member import MemberInput
from kplan.words import did_you_mean


def addressed_entries(inp: MemberInput, section: str, types: Sequence[str], wrong: Callable[[str], str],
                      again: str) -> Iterator[tuple[dict[str, Any], Loc, str, Loc]]:
    """A section of `- address: <type>.<name>` entries (`forget:`, `references:`): (entry, its location, the
    address, the address's location) for each one of `types` given for the first time; an address of another type
    (`wrong(address)` says what to write) or one given again (`again`: the hint) is one located error."""
    diags = inp.ctx.diags
    seen: dict[str, Loc] = {}
    for item, loc in inp.unflagged(section):
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            continue  # the schema reported it
        address = item["address"]
        at = inp.ctx.smap.value_loc(item, "address") or loc
        word, _, name = address.partition(".")
        if word not in types or not name:
            diags.error(at, wrong(address))
            continue
        if not diags.declared_again(seen, address, at, f'"{address}"', again):
            yield item, loc, address, at


def build_forget(inp: MemberInput) -> tuple[Forget, ...]:
    """One cluster's entries, in declaration order; an address of no kind, or one given twice, is an error."""
    # a kind no entry declares on its own (a connector's offsets request) is forgotten with what it goes with
    types = [t for t, u in zip(ORDER, UNITS) if u.section is not None]

    def wrong(address: str) -> str:
        return (f'forget: "{address}" is not a resource address: write <type>.<name>, the type one of '
                f"{', '.join(types)}{did_you_mean(address.partition('.')[0], types)}")

    return tuple(Forget(address, to_origin(loc))
                 for _, loc, address, _ in addressed_entries(inp, "forget", types, wrong, "forget a resource once"))
