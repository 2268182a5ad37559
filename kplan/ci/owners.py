"""Code owners, as the forge reads its CODEOWNERS file, for `kplan ci apply --code-owners`. Pure.

GitHub's lines are gitignore-like patterns (`*` within a folder, `**` across folders, a leading `/` anchors at the
root, a pattern without a slash matches at any depth, a folder matches everything under it, but `docs/*` only the
files right in docs/) and the LAST matching
line names a file's owners (a line without owners leaves the file unowned). Gitea's are regular expressions matched
against the whole path (a leading `/` dropped), and a file's owners are those of EVERY line that matches (a line
starting with `!` applies to the files it does not match). Owners are `@user` or `@org/team` (an e-mail address,
which GitHub also takes, names no account kplan can check and is left out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GITHUB_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")  # where GitHub looks, in its order
GITEA_FILES = ("CODEOWNERS", "docs/CODEOWNERS", ".gitea/CODEOWNERS")  # where Gitea looks, in its order


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    owners: tuple[str, ...]  # `user` or `org/team`, without the @
    negative: bool = False  # Gitea's `!`: the owners of the files the pattern does not match


def parse(text: str, *, gitea: bool) -> tuple[list[Rule], list[str]]:
    """The rules of a CODEOWNERS file, and a line for each one that cannot be read (skipped, as the forge does)."""
    rules, problems = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        tokens = _tokens(raw)
        if not tokens:
            continue
        pattern, owners = tokens[0], tuple(t[1:] for t in tokens[1:] if t.startswith("@"))
        negative = gitea and pattern.startswith("!")
        try:
            compiled = re.compile(f"^{pattern.removeprefix('!').removeprefix('/')}$") if gitea else _glob(pattern)
        except re.error as e:
            problems.append(f"CODEOWNERS line {n}: {pattern!r} is not a regular expression ({e.msg}): skipped")
            continue
        if gitea and not owners:
            problems.append(f"CODEOWNERS line {n}: no @owner: skipped")
            continue
        rules.append(Rule(compiled, owners, negative))
    return rules, problems


def owners_of(path: str, rules: list[Rule], *, gitea: bool) -> tuple[str, ...]:
    """Who owns `path` (a repository path, no leading slash)."""
    if gitea:
        found: dict[str, None] = {}
        for rule in rules:
            if bool(rule.pattern.match(path)) != rule.negative:
                found.update(dict.fromkeys(rule.owners))
        return tuple(found)
    last = next((rule for rule in reversed(rules) if rule.pattern.match(path)), None)
    return last.owners if last else ()


def _tokens(line: str) -> list[str]:
    """A line's words, up to a `#`; a backslash escapes the next character (a space or `#` in a pattern)."""
    out, word, escaped = [], "", False
    for ch in line.strip().replace("\t", " "):
        if escaped:
            word, escaped = word + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == "#":
            break
        elif ch == " ":
            if word:
                out.append(word)
            word = ""
        else:
            word += ch
    return out + ([word] if word else [])


def _glob(pattern: str) -> re.Pattern[str]:
    """A GitHub CODEOWNERS pattern as a regular expression over a file's path."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    out, i = "", 0
    while i < len(body):
        if body.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out, i = out + "/.*", i + 3
        elif body.startswith("**", i):
            out, i = out + ".*", i + 2
        elif body[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif body[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(body[i]), i + 1
    # what a pattern matches, a folder included, matches everything under it; but GitHub's `docs/*` is the files
    # right in docs/, not those further down
    below = "" if pattern.endswith("/*") else "(?:/.*)?"
    return re.compile(("^" if anchored else "^(?:.*/)?") + out + below + "$")
