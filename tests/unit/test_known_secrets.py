"""kplan.secrets.KNOWN: a value kplan knows to be secret is masked wherever it appears, under any key and embedded
in any text (issue 26 defect 1), but only when it is long enough not to garble ordinary output."""

from dataclasses import dataclass
from enum import Enum

from kplan.render import render
from kplan.secrets import KNOWN, MASK, MIN_KNOWN_LENGTH, Scrubber, is_masked, mask_config, remember, scrub, scrub_doc
from kplan.stackfile.references import resolve_references


def test_a_resolved_secret_is_known_and_scrubbed_embedded():
    resolve_references(["${secret:env:S}"], {"S": "hunter2-long"})
    assert scrub("copy:hunter2-long!") == f"copy:{MASK}!"
    assert KNOWN.found_in("x hunter2-long y")


def test_values_shorter_than_the_minimum_are_not_known():
    short = "a" * (MIN_KNOWN_LENGTH - 1)
    remember([short, None, ""])
    assert KNOWN.values == ()
    assert scrub(f"{short} stays") == f"{short} stays"


def test_longest_value_first():
    remember(["secret1", "secret1-and-more"])
    assert scrub("secret1-and-more / secret1") == f"{MASK} / {MASK}"


def test_mask_config_masks_a_value_holding_a_known_secret_under_any_key():
    remember(["Canary-123456"])
    masked = mask_config({"some.custom.extra": "copy:Canary-123456", "topic": "t", "ref": "${env:X}"}, ())
    assert is_masked(masked["some.custom.extra"])
    assert masked["topic"] == "t" and masked["ref"] == "${env:X}"


def test_scrubber_also_removes_known_values():
    remember(["Canary-123456"])
    assert Scrubber(["other-secret"])("Canary-123456 other-secret") == f"{MASK} {MASK}"


class Colour(str, Enum):
    RED = "Canary-123456"  # an enum is kept as is (never a secret; its value is the program's)


@dataclass(frozen=True)
class Inner:
    text: str
    digest: str


@dataclass(frozen=True)
class Outer:
    items: tuple[Inner, ...]
    config: dict
    colour: Colour


def test_scrub_doc_walks_dataclasses_mappings_and_sequences_and_keeps_what_it_is_told():
    remember(["Canary-123456"])
    doc = Outer((Inner("a Canary-123456 b", "Canary-123456"),), {"k": ["Canary-123456"]}, Colour.RED)
    out = scrub_doc(doc, keep=frozenset({"digest"}))
    assert out.items[0].text == f"a {MASK} b"
    assert out.items[0].digest == "Canary-123456"  # kept
    assert out.config == {"k": [MASK]}
    assert out.colour is Colour.RED


def test_scrub_doc_scrubs_a_shared_part_everywhere_and_keeps_a_clean_one_as_it_is():
    """A big stack's topics share their config mappings: each part is walked once, and wherever it appears it is
    scrubbed; a part with nothing to mask is the same object (no copy of a 10,000-topic plan's clean parts)."""
    from types import MappingProxyType

    remember(["Canary-123456"])
    shared = (Inner("x Canary-123456", "d"),)
    clean = Inner("nothing here", "d")
    doc = Outer(shared, MappingProxyType({"a": shared, "b": (clean,)}), Colour.RED)
    out = scrub_doc(doc)
    assert out.items[0].text == f"x {MASK}" and out.config["a"][0].text == f"x {MASK}"
    assert out.config["b"][0] is clean and scrub_doc(clean) is clean


def test_scrub_doc_without_known_values_returns_the_same_object():
    doc = Outer((), {}, Colour.RED)
    assert scrub_doc(doc) is doc


def test_render_scrubs_every_format():
    from kplan.model.plan import Plan

    plan = Plan(stack="s-Canary-123456", environment=None, cluster_id="c", changes=(), diagnostics=(),
                fingerprints={}, inputs_digest="d", destroy=False)
    for fmt in ("text", "markdown", "json"):
        KNOWN.clear()
        assert "Canary-123456" in render(plan, fmt)  # the stack's name is shown...
        remember(["Canary-123456"])
        assert "Canary-123456" not in render(plan, fmt)  # ...unless it is a known secret


def test_librdkafka_log_lines_are_scrubbed():
    import logging

    from kplan.transport.kafka import _quiet_logger

    remember(["Canary-123456"])
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    lg = _quiet_logger()
    lg.addHandler(keep := Keep())
    try:
        lg.warning("auth failed for %s", "Canary-123456")
    finally:
        lg.removeHandler(keep)
    assert seen == [f"auth failed for {MASK}"]


def test_scrubbed_json_is_the_scrubbed_doc_dumped_and_finds_a_value_json_escapes():
    """The journal's writer dumps first and walks only when a known value is in the text: a value with a quote and
    a non-ASCII letter is written escaped in JSON, and must be found escaped."""
    import json

    from kplan.secrets import scrubbed_json

    secret = 'Canary"é-123456'
    remember([secret])
    doc = {"steps": [{"args": {"config": {"password": f"x{secret}y"}}}, {"args": ["plain"]}], secret: 1}
    assert scrubbed_json(doc) == json.dumps(scrub_doc(doc), sort_keys=True)
    assert secret not in json.loads(scrubbed_json(doc))["steps"][0]["args"]["config"]["password"]
    assert MASK in scrubbed_json(doc) and "Canary" not in scrubbed_json(doc)
    clean = {"steps": [{"args": {"topic": "orders"}}]}
    assert scrubbed_json(clean) == json.dumps(clean, sort_keys=True)
