"""`make release VERSION=X.Y.Z`: a release of kplan, made from a clean checkout (docs/releasing.md).

1. stamps the version: kplan/__init__.py's __version__, the pins the docs and CI examples show (PINS), and
   CHANGELOG.md's "Unreleased" section, which becomes "X.Y.Z (date)" under a new, empty "Unreleased";
   commits that as "Release X.Y.Z" (nothing to commit when it is stamped already);
2. builds, from that commit alone (`git archive`), into dist/: the wheel and the sdist (`python -m build`), and the
   container image's build context (kplan-X.Y.Z-image-context.tar.gz: what the Dockerfile reads, for
   `docker build -t kplan:X.Y.Z - < dist/kplan-X.Y.Z-image-context.tar.gz`);
3. writes the tag's notes (dist/kplan-X.Y.Z-notes.md: the changelog's section and each file's SHA-256) and makes
   the annotated tag vX.Y.Z here, in this repository. It pushes nothing: it prints what to push.

A refusal is one line and exit 1: a version not X.Y.Z, not above the current one, a tag that exists, uncommitted
changes, or an empty "Unreleased" section."""

from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
UNRELEASED = "## Unreleased"

# The places a version is pinned, each a pattern whose group 1 is the version: stamped at each release, and checked
# against kplan.__version__ by tests/unit/test_release.py.
PINS: dict[str, str] = {
    "kplan/__init__.py": r'__version__ = "([^"]+)"',
    "docs/ci.md": r"rev: v(\d+\.\d+\.\d+)",
    "docs/install-and-containers.md": r"kplan:(\d+\.\d+\.\d+)",
    "examples/github/README.md": r"(?:@v|kplan-)(\d+\.\d+\.\d+)",
    "examples/gitlab/README.md": r"(?:@v|kplan-)(\d+\.\d+\.\d+)",
    "examples/gitea/README.md": r"@v(\d+\.\d+\.\d+)",
    "deploy/kubernetes/kplan-watch.yaml": r"image: kplan:(\d+\.\d+\.\d+)",
    "deploy/kubernetes/kplan-operator.yaml": r"image: kplan:(\d+\.\d+\.\d+)",
}
# What the Dockerfile's build reads (.dockerignore lets nothing else in).
IMAGE_CONTEXT = ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "kplan")


class Refused(Exception):
    """Why the release is not made: one line."""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def stamp_pins(root: Path, version: str) -> list[str]:
    """Writes `version` into every pin; returns the files it changed."""
    changed = []
    for name, pattern in PINS.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        if not re.search(pattern, text):
            raise Refused(f"{name}: no version pinned where dev/release.py looks ({pattern}): fix PINS or the file")
        new = re.sub(pattern, lambda m: m.group(0).replace(m.group(1), version), text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(name)
    return changed


def stamp_changelog(text: str, version: str, date: str) -> str:
    """CHANGELOG.md with its Unreleased section made `version`'s, under a new empty Unreleased. Stamped already (a
    section for `version` and an empty Unreleased): unchanged."""
    head, sep, rest = text.partition(UNRELEASED + "\n")
    if not sep:
        raise Refused(f"CHANGELOG.md has no '{UNRELEASED}' section: add one with what this release changes")
    body, nxt, after = rest.partition("\n## ")
    if re.search(rf"^## {re.escape(version)} ", text, re.M):
        if body.strip():
            raise Refused(f"CHANGELOG.md has a {version} section and an Unreleased one that is not empty")
        return text
    if not body.strip():
        raise Refused("CHANGELOG.md's Unreleased section is empty: say what this release changes for its users")
    return f"{head}{UNRELEASED}\n\n## {version} ({date})\n{body}{nxt}{after}"


def notes_of(changelog: str, version: str) -> str:
    """The changelog's section of `version`, without its heading."""
    match = re.search(rf"^## {re.escape(version)} \([^)]*\)\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    if not match:
        raise Refused(f"CHANGELOG.md has no section for {version}")
    return match.group(1).strip() + "\n"


def _git(*args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise Refused(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _current() -> str:
    match = re.search(PINS["kplan/__init__.py"], (ROOT / "kplan/__init__.py").read_text(encoding="utf-8"))
    assert match
    return match.group(1)


def check(version: str) -> None:
    if not VERSION.match(version):
        raise Refused(f"VERSION={version!r} is not MAJOR.MINOR.PATCH (e.g. make release VERSION=0.2.0)")
    if _git("status", "--porcelain"):
        raise Refused("the checkout has uncommitted changes: a release is made from a commit (git status)")
    if _git("tag", "--list", f"v{version}").strip():
        raise Refused(f"the tag v{version} exists already: choose the next version")
    current = _current()
    if _version_tuple(version) < _version_tuple(current):
        raise Refused(f"{version} is below the current version {current}")


def stamp(version: str) -> bool:
    """Stamps and commits; False when everything was stamped already."""
    changed = stamp_pins(ROOT, version)
    log = ROOT / "CHANGELOG.md"
    text = log.read_text(encoding="utf-8")
    new = stamp_changelog(text, version, datetime.date.today().isoformat())
    if new != text:
        log.write_text(new, encoding="utf-8")
        changed.append("CHANGELOG.md")
    if not changed:
        return False
    _git("add", *changed)
    _git("commit", "-q", "-m", f"Release {version}")
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(version: str, dist: Path) -> list[Path]:
    """The wheel, the sdist and the image's build context of HEAD, in `dist`."""
    dist.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kplan-release-") as tmp:
        src = Path(tmp) / f"kplan-{version}"
        src.mkdir()
        archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
        tar = Path(tmp) / "head.tar"
        tar.write_bytes(archive.stdout)
        with tarfile.open(tar) as t:
            t.extractall(src, filter="data")
        out = Path(tmp) / "dist"
        proc = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(src)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise Refused(f"python -m build failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        made = [Path(shutil.copy2(p, dist)) for p in sorted(out.iterdir())]
        context = dist / f"kplan-{version}-image-context.tar.gz"
        with tarfile.open(context, "w:gz") as t:
            for name in IMAGE_CONTEXT:
                t.add(src / name, arcname=name,
                      filter=lambda info: None if "__pycache__" in info.name else info)
        made.append(context)
    expected = {f"kplan-{version}-py3-none-any.whl", f"kplan-{version}.tar.gz"}
    missing = expected - {p.name for p in made}
    if missing:
        raise Refused(f"the build did not make {', '.join(sorted(missing))} (made: {', '.join(p.name for p in made)})")
    return made


def release(version: str) -> int:
    check(version)
    stamped = stamp(version)
    dist = ROOT / "dist"
    made = build(version, dist)
    notes = dist / f"kplan-{version}-notes.md"
    files = "\n".join(f"- `{p.name}`: sha256 `{_sha256(p)}`" for p in made)
    notes.write_text(f"kplan {version}\n\n{notes_of((ROOT / 'CHANGELOG.md').read_text(encoding='utf-8'), version)}"
                     f"\nFiles:\n\n{files}\n", encoding="utf-8")
    _git("tag", "-a", f"v{version}", "-F", str(notes))
    print(("Committed the stamped version as 'Release %s'.\n" % version if stamped else "")
          + f"Made the annotated tag v{version} here, with {notes.relative_to(ROOT)} as its message.\n"
          + "Built: " + ", ".join(str(p.relative_to(ROOT)) for p in made) + "\n"
          + f"Nothing was pushed: `git push origin HEAD v{version}` publishes the commit and the tag; attach "
            f"dist/'s files to the release, and `docker build -t kplan:{version} - < "
            f"dist/kplan-{version}-image-context.tar.gz` builds the image.")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python dev/release.py X.Y.Z (make release VERSION=X.Y.Z)", file=sys.stderr)
        return 2
    try:
        return release(argv[0])
    except Refused as e:
        print(f"release refused: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
