"""Reading a stack's YAML into plain values while remembering where every value was written.

PyYAML's `safe_load` forgets positions, silently keeps the last of two duplicate keys and expands alias bombs
until memory runs out. kplan parses each file by one of two paths that give the same result (values, types,
locations; tests/unit/stackfile/test_yaml_fast_path.py): the fast path over libyaml's events (`yaml_fast`), and for
anything it declines the node-based path (`yaml_nodes`), which refuses duplicate keys (reporting both lines) and
documents that expand to too many values through aliases. Before both, the plainest files (most of a big stack)
are read line by line into the same result as the fast path's (`yaml_lines`). Files are found and read within
limits by `files`; the locations go to a `kplan.model.source.SourceMap`. Every problem is a diagnostic rather
than a traceback.
"""

from __future__ import annotations

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import SourceMap
from kplan.stackfile.files import SourceFile, decode, list_stack_files, read_file
from kplan.stackfile.yaml_fast import fast_documents
from kplan.stackfile.yaml_lines import line_documents
from kplan.stackfile.yaml_nodes import parse_nodes
from kplan.stackfile.yaml_values import Document


def parse_documents(display: str, text: str, smap: SourceMap, diags: Diagnostics) -> list[Document]:
    """Every non-empty YAML document in `text`, converted and located. Problems become diagnostics.

    Plain block-style files are read line by line (`line_documents`), other plain documents take the fast path
    (`fast_documents`); anything it does not handle is composed into nodes (`parse_nodes`)."""
    # each faster path gives None when it declines, never an empty list
    return (line_documents(display, text, smap) or fast_documents(display, text, smap)
            or parse_nodes(display, text, smap, diags))


def load_path(path: str, smap: SourceMap, diags: Diagnostics) -> tuple[list[SourceFile], list[Document]]:
    """Read and parse a stack (file or directory). Returns the files read (for the digest) and their documents."""
    files: list[SourceFile] = []
    docs: list[Document] = []
    for display, rel in list_stack_files(path, diags):
        data = read_file(display, diags)
        if data is None:
            continue
        files.append(SourceFile(display, rel, data))
        text = decode(display, data, diags)
        if text is None:
            continue
        docs.extend(parse_documents(display, text, smap, diags))
    return files, docs
