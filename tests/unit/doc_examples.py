"""Runnable examples in the docs: the markers, and the runner that carries a page's marked blocks out in order.

A page marks a fenced code block as runnable with an HTML comment on the line before it (invisible on the site and on
GitHub):

- `<!-- file: PATH -->` before a block: the block's text is written to PATH (relative to the page's working
  directory), e.g. a stack file the next commands use. The same PATH again later replaces the file (a change).
- `<!-- run -->` before a shell block: the block runs as one bash script (`set -e -o pipefail`) in the working
  directory and must exit 0; `<!-- run exit=N -->` expects exit code N instead (e.g. 2 from
  `kplan plan --detailed-exitcode`).
- `<!-- output -->` before a block: what the `run` block just before it printed (stdout and stderr together, as a
  terminal shows them) must be exactly this, once both are masked (`mask`: durations, times, Kafka cluster ids, run
  ids). A line `...` alone stands for any number of lines.

Every block of a page runs in order in one fresh directory; the first that fails stops the page with one message
naming the page and the line of the block, with a diff of the shown output against what was printed. Unmarked blocks
are text only. After an intended change, `UPDATE_DOCS=1` (tests/integration/test_docs_examples.py) writes what was
printed into the output blocks instead. tests/integration/test_docs_examples.py runs the docs' pages against the
local stack; tests/unit/test_doc_examples.py shows the runner failing on a changed output."""

from __future__ import annotations

import difflib
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^<!--\s*(run|file|output)\b(?::)?\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")


class ExampleError(AssertionError):
    """A marked block that failed: its message names the page and line."""


@dataclass(frozen=True)
class Block:
    kind: str  # run | file | output
    arg: str  # the marker's argument: the path of a file block, `exit=N` of a run block
    line: int  # 1-based line of the block's opening fence
    text: str
    indent: str = ""  # the fence's indentation (a block inside a list item)


def blocks(path: Path, label: str | None = None) -> list[Block]:
    """The marked blocks of a page, in order. A marker not followed by a fenced block is an error."""
    label = label or str(path)
    lines = path.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = FENCE.match(lines[j]) if j < len(lines) else None
        if not fence:
            raise ExampleError(f"{label}:{i + 1}: the marker {lines[i].strip()} must be followed by a fenced code "
                               "block")
        text, k = _body(lines, j, fence, label)
        found.append(Block(m.group(1), m.group(2), j + 1, text, fence.group(1)))
        i = k + 1
    return found


def _body(lines: list[str], j: int, fence: re.Match[str], label: str) -> tuple[str, int]:
    """The text of the fenced block opening at line index `j` (its indentation removed) and the index of its closing
    fence."""
    indent, ticks = fence.group(1), fence.group(2)
    body: list[str] = []
    k = j + 1
    while k < len(lines) and not lines[k].strip().startswith(ticks):
        body.append(lines[k][len(indent):] if lines[k].startswith(indent) else lines[k].lstrip())
        k += 1
    if k == len(lines):
        raise ExampleError(f"{label}:{j + 1}: the code block is not closed")
    return "".join(line + "\n" for line in body), k


@dataclass(frozen=True)
class YamlBlock:
    line: int  # 1-based line of the block's opening fence
    text: str
    notes: tuple[str, ...]  # the HTML comments right above it (blank lines between allowed), their inner text


COMMENT = re.compile(r"^<!--\s*(.*?)\s*-->$")


def yaml_blocks(path: Path, label: str | None = None) -> list[YamlBlock]:
    """Every fenced YAML block of a page (```yaml or ```yml), marked or not, with the comments above it: what
    tests/unit/stackfile/test_schema_agreement.py reads a page's stacks from."""
    label = label or str(path)
    lines = path.read_text().splitlines()
    found: list[YamlBlock] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        text, k = _body(lines, i, fence, label)
        if lines[i][fence.end():].strip().split(" ")[0] in ("yaml", "yml"):
            notes: list[str] = []
            up = i - 1
            while up >= 0 and (not lines[up].strip() or COMMENT.match(lines[up].strip())):
                if lines[up].strip():
                    notes.insert(0, COMMENT.match(lines[up].strip()).group(1))  # type: ignore[union-attr]
                up -= 1
            found.append(YamlBlock(i + 1, text, tuple(notes)))
        i = k + 1
    return found


_DURATION = re.compile(r"\b\d+(?:\.\d+)?m?s\b")
_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b")
_TOKEN22 = re.compile(r"(?<![\w.-])[A-Za-z0-9_-]{22}(?![\w.-])")


def _cluster_id(m: re.Match[str]) -> str:
    """A Kafka cluster id (22 characters of base64url, random): a 22-character name in lower case stays."""
    token = m.group(0)
    return "<cluster-id>" if any(c.isupper() or c.isdigit() for c in token) else token


def mask(text: str, replace: Mapping[str, str] | None = None) -> str:
    """`text` with what differs from run to run masked, trailing spaces and blank lines dropped. `replace` maps
    literal strings first (the local stack's actual endpoints to the defaults the pages show)."""
    for actual, shown in (replace or {}).items():
        if actual != shown:
            text = text.replace(actual, shown)
    text = _TIME.sub("<time>", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<id>", text)
    text = _TOKEN22.sub(_cluster_id, text)
    text = _DURATION.sub("<duration>", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(shown: str, printed: str) -> bool:
    """Whether the masked output `printed` is the masked `shown` one, a line `...` standing for any lines."""
    parts = []
    for line in shown.splitlines():
        parts.append(r"(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line) + r"\n")
    return re.fullmatch("".join(parts), printed + "\n") is not None


def run_page(path: Path, workdir: Path, env: Mapping[str, str], replace: Mapping[str, str] | None = None,
             label: str | None = None, timeout: float = 300, update: bool = False) -> int:
    """Carry out the page's marked blocks in order in `workdir`; raise ExampleError at the first that fails.
    Returns how many blocks ran. `update` writes what each run block printed into the page's output block after it
    instead (the actual addresses shown as `replace` says), for a page whose change is intended: review the diff."""
    label = label or str(path)
    last: tuple[Block, str] | None = None
    done = 0
    updated: dict[int, str] = {}  # an output block's fence line -> its new text
    for block in blocks(path, label):
        where = f"{label}:{block.line}"
        if block.kind == "file":
            target = (workdir / block.arg).resolve()
            if not block.arg or not target.is_relative_to(workdir.resolve()):
                raise ExampleError(f"{where}: a file block needs a path inside the page's directory, not {block.arg!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text)
        elif block.kind == "run":
            want = 0
            if block.arg:
                m = re.fullmatch(r"exit=(\d+)", block.arg)
                if not m:
                    raise ExampleError(f"{where}: a run marker takes only `exit=N`, not {block.arg!r}")
                want = int(m.group(1))
            proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.text], cwd=workdir, env=dict(env),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  text=True, timeout=timeout)
            if proc.returncode != want:
                raise ExampleError(f"{where}: the block exited {proc.returncode}, the page expects {want}; it "
                                   f"printed:\n{proc.stdout}")
            last = (block, proc.stdout)
        else:
            if last is None:
                raise ExampleError(f"{where}: an output block must follow a run block")
            shown, printed = mask(block.text, replace), mask(last[1], replace)
            if update and not matches(shown, printed):
                text = last[1]
                for actual, default in (replace or {}).items():
                    text = text.replace(actual, default)
                updated[block.line] = "".join(f"{block.indent}{line}".rstrip() + "\n"
                                              for line in text.strip("\n").splitlines())
            elif not matches(shown, printed):
                diff = "\n".join(difflib.unified_diff(shown.splitlines(), printed.splitlines(),
                                                      f"{label}:{block.line} (the page)",
                                                      f"what the block at line {last[0].line} printed", lineterm=""))
                raise ExampleError(f"{where}: the output shown differs from what the command printed (masked):\n{diff}")
            last = None
        done += 1
    if updated:
        _rewrite(path, updated)
    return done


def _rewrite(path: Path, updated: Mapping[int, str]) -> None:
    """Replace the bodies of the output blocks whose opening fence is at the given (1-based) lines."""
    lines = path.read_text().splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        opening = i + 1
        i += 1
        if opening in updated:
            ticks = FENCE.match(lines[opening - 1]).group(2)  # type: ignore[union-attr]
            while not lines[i].strip().startswith(ticks):  # skip the old body, keep the closing fence
                i += 1
            out.append(updated[opening])
    path.write_text("".join(out))
