"""An example stack's round trip on the real stack, with the settings its header documents: validate, apply, plan
shows "No changes", apply again is a no-op, destroy as shipped, and then nothing of it is left — `plan --destroy`
has nothing to do and a plan would create again everything the apply created. An example with a protected topic
(`protect: true`) is refused the destroy as shipped (nothing deleted: that is what protect is for); it is destroyed
as its header tells a user to: with `protect: false` set first."""

from __future__ import annotations

import re
from pathlib import Path

from kplan_helpers import ROOT, kplan


def env_args(example: Path) -> list[str]:
    """`-e dev` for an example whose header runs it so (it has a `dev` environment)."""
    return ["-e", "dev"] if "\n  dev:" in example.read_text() else []


def round_trip(example: Path, env: dict, tmp: Path) -> None:
    args = env_args(example)
    assert kplan("validate", str(example), *args, env=env).code == 0
    r = kplan("apply", str(example), *args, "--auto-approve", env=env)
    assert r.code == 0, r.text
    added = re.search(r"Resources: (\d+) added", r.out)
    r = kplan("plan", str(example), *args, "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    r = kplan("apply", str(example), *args, "--auto-approve", env=env)
    assert r.code == 0 and "No changes" in r.out, r.text
    destroyed = kplan("destroy", str(example), *args, "--auto-approve", env=env)
    if "protect: true" in example.read_text():
        assert destroyed.code == 1 and "is protected (protect: true) and is never deleted" in destroyed.out, \
            destroyed.text
        r = kplan("plan", str(example), *args, "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out, r.text  # the refused destroy deleted nothing
        assert "protect: false" in example.read_text(), f"{example.name}'s header must say how to destroy it"
        example = tmp / example.name  # the example's directory has nothing else it reads (no schema files)
        example.write_text((ROOT / "stacks" / example.name).read_text().replace("protect: true", "protect: false"))
        destroyed = kplan("destroy", str(example), *args, "--auto-approve", env=env)
    assert destroyed.code == 0, destroyed.text
    r = kplan("plan", str(example), *args, "--destroy", "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    if added:  # an apply that found it all there already (a rerun) added nothing: then only the destroy counts
        r = kplan("plan", str(example), *args, "--detailed-exitcode", env=env)
        assert r.code == 2 and f"Plan: {added.group(1)} to add, 0 to change, 0 to destroy." in r.out, r.text
