"""The independent secret scanner: reads a cassette's serialized bytes, not the model.

The scrubber works on the typed model; if it (or the writer) has a bug, the model cannot be
trusted to show the leak. So this module starts again from the text that is about to reach
disk:

1. Structured pass: the text is composed (not constructed) as YAML, which also covers JSON.
   Composing keeps every scalar's position and tag without running any constructor, so Ruby
   tags (``!ruby/regexp``, ``!binary``) cost nothing. Each scalar is scanned with its key as
   context, after base64/gzip decoding where the tag or key says it is encoded.
2. Raw pass: every physical line is scanned as plain text too, so a secret in a comment, or
   in a place the structured pass misread, is still reported.
3. If the text does not parse at all, a line-based fallback (fallback.py) does both jobs
   with cheaper guesses about structure.

Findings name file, line, interaction, location and kind; never the value.
"""
from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from recorder.errors import BadInput, SecretLeak
from recorder.secrets.detect import find_secrets

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BINARY_TAGS = frozenset({"tag:yaml.org,2002:binary", "!binary"})
_BLOB_KEYS = frozenset({"base64_string"})
_INTERACTION_LISTS = frozenset({"interactions", "http_interactions"})
_NEWLINE = re.compile(r"\n")
CASSETTE_SUFFIXES = frozenset({".yml", ".yaml", ".json"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret left in a serialized cassette. Deliberately has no field for the value."""

    source: str
    interaction: int | None
    location: str
    kind: str
    line: int

    def __str__(self) -> str:
        where = f"interaction {self.interaction}, " if self.interaction is not None else ""
        return f"{self.source}:{self.line}: {where}{self.location}: {self.kind}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def scan_bytes(data: bytes, source: str) -> list[Finding]:
    """Every secret in a serialized cassette, sorted by line."""
    text = data.decode("utf-8", errors="replace")
    lines = LineIndex(text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        root = None
    if root is None:
        from recorder.secrets.fallback import scan_unparsed

        found = set(scan_unparsed(text, source, lines))
    else:
        scalars = sorted(_scalars(root, ()), key=lambda s: s.node.start_mark.index)
        found = set(_structured(text, source, lines, scalars))
        _raw(text, source, lines, scalars, found)
    return sorted(found, key=lambda f: (f.line, f.interaction if f.interaction is not None else -1,
                                        f.location, f.kind))


def cassette_files(paths: Iterable[str | Path]) -> list[Path]:
    """The cassette files named by ``paths``: files as given, folders searched recursively."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in CASSETTE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise BadInput(path, "no such file or folder")
    return files


def scan_paths(paths: Iterable[str | Path]) -> list[Finding]:
    """Scan files and folders (``.yml``, ``.yaml``, ``.json`` inside folders)."""
    return [finding for path in cassette_files(paths) for finding in scan_bytes(path.read_bytes(), str(path))]


def scan_guard(data: bytes, path: str | Path) -> None:
    """Refuse to let ``data`` be written to ``path`` if it still holds a secret."""
    findings = scan_bytes(data, str(path))
    if findings:
        raise SecretLeak(path, findings)


def findings_json(findings: list[Finding], files: int) -> str:
    return json.dumps({"findings": [f.to_dict() for f in findings], "files": files}, indent=2)


# --- positions --------------------------------------------------------------------------------

class LineIndex:
    """Character offset -> 1-based line number, by bisecting line starts."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.starts.extend(m.end() for m in _NEWLINE.finditer(text))

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def place(path: tuple[str | int, ...]) -> tuple[int | None, str]:
    """(interaction index, location) for a path of keys and list indexes.

    ``("http_interactions", 3, "request", "headers", "Authorization", 0)`` ->
    ``(3, "request.headers.Authorization")``; bodies collapse to ``response.body`` whatever
    the dialect calls the field inside (``string``, ``base64_string``).
    """
    interaction: int | None = None
    rest = path
    if len(path) >= 2 and path[0] in _INTERACTION_LISTS and isinstance(path[1], int):
        interaction, rest = path[1], path[2:]
    return interaction, location_of([p for p in rest if isinstance(p, str)])


def location_of(parts: list[str]) -> str:
    if len(parts) >= 2 and parts[1] == "headers":
        parts = parts[:3]
    elif len(parts) >= 2 and parts[1] == "body":
        parts = parts[:2]
    return ".".join(parts) or "cassette"


def decode_blob(value: str) -> str | None:
    """Base64 (optionally gzip/zlib inside) -> text; None when it is not base64 after all."""
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
        except zlib.error:
            pass
    elif raw[:1] == b"\x78":
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
    return raw.decode("utf-8", errors="replace")


# --- structured pass --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Scalar:
    path: tuple[str | int, ...]
    node: yaml.ScalarNode
    is_key: bool


def _scalars(root: yaml.Node, path: tuple[str | int, ...]) -> Iterator[_Scalar]:
    """Every scalar with its path; iterative, and each collection once (aliases may loop)."""
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, path)]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            yield _Scalar(where, node, False)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                if isinstance(key, yaml.ScalarNode):
                    yield _Scalar(where + (name,), key, True)
                else:
                    stack.append((key, where + ("?",)))
                stack.append((value, where + (name,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, where + (i,)) for i, item in enumerate(node.value))


def _structured(text: str, source: str, lines: LineIndex, scalars: list[_Scalar]) -> Iterator[Finding]:
    for scalar in scalars:
        node = scalar.node
        names = [p for p in scalar.path if isinstance(p, str)]
        key = None if scalar.is_key or not names else names[-1]
        value = node.value
        decoded = False
        if not scalar.is_key and (node.tag in _BINARY_TAGS or key in _BLOB_KEYS):
            blob = decode_blob(value)
            if blob is not None:
                value, decoded = blob, True
        hits = find_secrets(value, key)
        if not hits:
            continue
        interaction, location = place(scalar.path)
        start, end = node.start_mark.index, node.end_mark.index
        after: dict[str, int] = {}  # the same secret twice in a value: report both lines
        for hit in hits:
            needle = value[hit.start:hit.end]
            offset = -1 if decoded else text.find(needle, after.get(needle, start), end)
            if offset >= 0:
                after[needle] = offset + 1
            line = lines.line_of(offset) if offset >= 0 else node.start_mark.line + 1
            yield Finding(source, interaction, location, hit.kind, line)


def _raw(text: str, source: str, lines: LineIndex, scalars: list[_Scalar], found: set[Finding]) -> None:
    """Scan physical lines; add what the structured pass did not already report on that line."""
    seen = {(f.kind, f.line) for f in found}
    starts = [s.node.start_mark.index for s in scalars]
    for number, line_start in enumerate(lines.starts, start=1):
        line_end = text.find("\n", line_start)
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        for hit in find_secrets(line, shapes_only=True):
            if (hit.kind, number) in seen:
                continue
            offset = line_start + hit.start
            i = bisect.bisect_right(starts, offset) - 1
            interaction, location = None, "text"
            if i >= 0:
                scalar = scalars[i]
                interaction, location = place(scalar.path)
                if offset >= scalar.node.end_mark.index:
                    location = "text"  # between values: a comment, or something unparsed
            found.add(Finding(source, interaction, location, hit.kind, number))
            seen.add((hit.kind, number))
