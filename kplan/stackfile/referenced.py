"""The `references:` section: resources the stack needs but does not own — another team's topic its connector or
Streams application reads, a connector it depends on — with what they must be (docs/stack-format.md,
References), built into `Reference`s. Placed like a claim on one cluster of a several-cluster stack."""

from __future__ import annotations

from kplan.model.desired import Reference, freeze
from kplan.model.source import to_origin
from kplan.rules.units import normalize_topic_config_value
from kplan.stackfile.forget import addressed_entries
from kplan.stackfile.member import MemberInput

# the kinds a reference may name, and what each may expect (the schema checks the values' types)
EXPECTATIONS = {"topic": ("min_partitions", "min_replication_factor", "config"), "connector": ("state", "config")}


def build_references(inp: MemberInput) -> tuple[Reference, ...]:
    """One cluster's references, in declaration order; an address of another kind, one given twice, or a topic
    config value kplan cannot read is an error."""
    diags, smap = inp.ctx.diags, inp.ctx.smap
    out = []
    entries = addressed_entries(inp, "references", tuple(EXPECTATIONS), lambda address: (
        f'references: "{address}" is not an address kplan can check: write topic.<name> or connector.<name>'),
        "reference a resource once")
    for item, loc, address, at in entries:
        word = address.partition(".")[0]
        expect = dict(item.get("expect") or {}) if isinstance(item.get("expect"), dict) else {}
        wrong = sorted(set(expect) - set(EXPECTATIONS[word]))
        if wrong:
            diags.error(smap.value_loc(item, "expect") or at, f"references: {address} cannot expect "
                        f"{', '.join(wrong)} (a {word} may expect {', '.join(EXPECTATIONS[word])})")
            continue
        if word == "topic" and isinstance(expect.get("config"), dict):
            config = {}
            for key, raw in expect["config"].items():
                try:
                    config[str(key)] = normalize_topic_config_value(str(key), raw)
                except ValueError as e:
                    diags.error(smap.value_loc(expect["config"], key) or at, f"references: {address}: {e}")
            expect["config"] = freeze(config)
        elif isinstance(expect.get("config"), dict):
            expect["config"] = freeze({str(k): str(v) for k, v in expect["config"].items()})
        out.append(Reference(address, freeze(expect), to_origin(loc)))
    return tuple(out)
