"""The built site's check (dev/site_check.py, run by `make docs` after mkdocs): each construct the site once showed
wrong is found in the page as mkdocs renders it (Python-Markdown with mkdocs.yml's extensions), and its fixed form
is not. The whole site is checked by `make docs` itself (in CI's lint stage)."""

from __future__ import annotations

import re
from pathlib import Path

import docs_reference
import markdown
import pytest
import site_check
import yaml

ROOT = Path(__file__).resolve().parents[3]


def built(source: str) -> str:
    """The page as mkdocs builds it: the Markdown with the site's extensions, inside the theme's <article>."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    names, configs = [], {}
    for ext in config["markdown_extensions"]:
        name, conf = next(iter(ext.items())) if isinstance(ext, dict) else (ext, {})
        names.append(name)
        configs[name] = conf or {}
    body = markdown.markdown(source, extensions=names, extension_configs=configs)
    return f"<html><body><nav><ul><li>not the page</li></ul></nav><article>{body}</article></body></html>"


def problems(source: str) -> list[str]:
    return site_check.page_problems("docs/page.md", source, built(source))


# Each (wrong, right): the constructs of issue 72, as the pages had them.
CASES = {
    "an escaped pipe in a table's code": (
        "| command | does |\n| --- | --- |\n| `kplan render PATH [--format yaml\\|json]` | prints |\n",
        "| command | does |\n| --- | --- |\n| `kplan render PATH [--format yaml|json]` | prints |\n"),
    "a list right after a paragraph": (
        "Rules:\n- Use either `cluster:` or `clusters:`.\n- A cluster that runs connectors.\n",
        "Rules:\n\n- Use either `cluster:` or `clusters:`.\n- A cluster that runs connectors.\n"),
    "a list nested by two spaces": (
        "- **`preflight:`**:\n  - `required`: a finding is an error\n  - `warn`: findings are warnings\n",
        "- **`preflight:`**:\n    - `required`: a finding is an error\n    - `warn`: findings are warnings\n"),
    "a list nested by three spaces under a numbered item": (
        "1. the rights:\n   - a consumer: READ\n2. then\n",
        "1. the rights:\n    - a consumer: READ\n2. then\n"),
    "an item whose next paragraph is indented by two spaces": (
        "- **Plan** reads the versions:\n\n  A converter pin is left to Connect.\n- **A changed pin**.\n",
        "- **Plan** reads the versions:\n\n    A converter pin is left to Connect.\n\n- **A changed pin**.\n"),
    "a repository path where a link is meant": (
        "Users are declared by hand (docs/stack-format.md).\n",
        "Users are declared by hand ([The stack format](stack-format.md)).\n"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_wrong_form_is_found_and_the_right_one_passes(case):
    wrong, right = CASES[case]
    assert problems(wrong), f"{case}: not found in {built(wrong)}"
    assert problems(right) == []


def test_each_problem_is_one_line_naming_the_page_the_item_and_what_to_do():
    wrong = CASES["a list nested by two spaces"][0] + "\nText:\n- run on\n"
    assert problems(wrong) == [
        "docs/page.md: the list item 'required: a finding is an error' is 2 deep in the Markdown, 1 deep on the page: "
        "indent a nested list by 4 spaces",
        "docs/page.md: the list item 'warn: findings are warnings' is 2 deep in the Markdown, 1 deep on the page: "
        "indent a nested list by 4 spaces",
        "docs/page.md: the list item 'run on' is not a list item on the page: leave a blank line before the list"]


def test_a_path_in_code_or_in_a_link_is_not_prose():
    assert problems("Run `dev/x --docs docs/fault-sweep.md`; see [docs/ci.md](ci.md).\n\n"
                    "    # written to docs/fault-sweep.md\n") == []


def test_the_generated_reference_shows_a_pattern_with_a_pipe_as_written():
    """The stack reference's code spans hold regular expressions with `|` (alternatives): shown unescaped."""
    page = docs_reference.stack_page()
    patterns = re.findall(r"matches `([^`]*\|[^`]*)`", page)
    assert patterns, "no pattern with | in the stack reference: pick another check"
    html = built(page)
    assert site_check.page_problems("reference/stack-format.md", page, html) == []
    assert f"<code>{patterns[0].replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</code>" in html


def test_the_ci_page_shows_each_workflow_file_as_it_is_and_a_stale_copy_is_found(monkeypatch):
    """docs/ci.md includes every CI workflow file of examples/ (pymdownx.snippets, paths from the repository's root,
    where `make docs` runs): the page as built shows each whole. A copy pasted into the page instead, changed since
    in examples/, is found; so is a workflow file the page leaves out."""
    monkeypatch.chdir(ROOT)
    files = site_check.workflow_files()
    assert {"examples/github/kplan-plan.yml", "examples/gitea/kplan-pr-apply.yml",
            "examples/gitlab/.gitlab-ci.yml"} <= set(files)
    source = (ROOT / "docs" / site_check.WORKFLOWS_PAGE).read_text()
    assert site_check.unshown_files("docs/ci.md", built(source), files) == []

    path = "examples/gitea/kplan-drift.yml"
    changed = files[path].replace("kplan plan", "kplan  plan", 1)
    assert changed != files[path]
    stale = "\n".join("    " + line for line in changed.splitlines())
    pasted = source.replace(f'    --8<-- "{path}"', stale)
    assert pasted != source
    assert site_check.unshown_files("docs/ci.md", built(pasted), files) == [
        f'docs/ci.md: {path} is not shown whole in a code block (include it: --8<-- "{path}" in a fenced block)']
    left_out = source.replace(f'    --8<-- "{path}"\n', "")
    assert len(site_check.unshown_files("docs/ci.md", built(left_out), files)) == 1
