"""Scanning a cassette that does not parse: hand-damaged YAML, truncated JSON.

A file the loader rejects can still hold a live key, so the scanner must not give up. Without
a parse tree the structure is guessed line by line, cheaply:

* interactions start at top-level ``- request:`` items (YAML) or ``{"request":`` objects (JSON);
  offsets of those starts are bisected;
* for YAML the location is the stack of enclosing keys on preceding, less indented lines
  (``request`` > ``headers`` > ``Authorization``), which also gives the value's key as context;
* ``!binary`` blocks and ``"base64_string"`` values are decoded and scanned.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator

from recorder.secrets.detect import find_secrets
from recorder.secrets.scan import Finding, LineIndex, decode_blob, location_of

_YAML_ITEM = re.compile(r"^- +request:", re.MULTILINE)
_JSON_ITEM = re.compile(r"[\[,]\s*\{\s*\"request\"\s*:")
_KEY_LINE = re.compile(r"""^(?P<indent> *)(?P<dash>- +)?(?P<key>"[^"]*"|'[^']*'|[^\s#'"\-{}\[\]][^:#]*?):(?:\s+(?P<rest>.*))?$""")
_BINARY = re.compile(r"^!!?binary\s*[|>]?-?\s*$")
_BLOB = re.compile(r"\"base64_string\"\s*:\s*\"(?P<body>[A-Za-z0-9+/=\\n\s]*)\"")


def scan_unparsed(text: str, source: str, lines: LineIndex) -> Iterator[Finding]:
    is_json = text.lstrip()[:1] in ("{", "[")
    starts = [m.start() for m in (_JSON_ITEM if is_json else _YAML_ITEM).finditer(text)]

    def interaction_at(offset: int) -> int | None:
        i = bisect.bisect_right(starts, offset) - 1
        return i if i >= 0 else None

    if is_json:
        for number, line in enumerate(text.split("\n"), start=1):
            base = lines.starts[number - 1]
            for hit in find_secrets(line):
                yield Finding(source, interaction_at(base + hit.start), "unknown", hit.kind, number)
        for m in _BLOB.finditer(text):
            blob = decode_blob(m.group("body").replace("\\n", ""))
            for hit in find_secrets(blob or ""):
                yield Finding(source, interaction_at(m.start()), "body", hit.kind, lines.line_of(m.start()))
        return
    yield from _scan_yaml_lines(text, source, lines, interaction_at)


def _scan_yaml_lines(text: str, source: str, lines: LineIndex,
                     interaction_at: Callable[[int], int | None]) -> Iterator[Finding]:
    stack: list[tuple[int, str]] = []
    physical = text.split("\n")
    number = 0
    while number < len(physical):
        line = physical[number]
        number += 1
        indent = len(line) - len(line.lstrip(" "))
        m = _KEY_LINE.match(line)
        value = line.strip().removeprefix("- ").strip().strip("\"'")
        if m:
            depth = indent + len(m.group("dash") or "")
            while stack and stack[-1][0] >= depth:
                stack.pop()
            stack.append((depth, m.group("key").strip("\"'")))
            value = m.group("rest") or ""
        else:
            while stack and stack[-1][0] > indent:
                stack.pop()
        where = _location(stack)
        offset = lines.starts[number - 1]
        key = stack[-1][1] if stack else None
        if m and _BINARY.match(value):
            block_start = number
            while number < len(physical) and (not physical[number].strip()
                                              or len(physical[number]) - len(physical[number].lstrip(" ")) > indent):
                number += 1
            blob = decode_blob("".join(physical[block_start:number])) or ""
            for hit in find_secrets(blob):
                yield Finding(source, interaction_at(offset), where, hit.kind, block_start)
            continue
        for hit in find_secrets(value, key):
            yield Finding(source, interaction_at(offset), where, hit.kind, number)


def _location(stack: list[tuple[int, str]]) -> str:
    names = [name for _, name in stack]
    for i, name in enumerate(names):
        if name in ("request", "response"):
            return location_of(names[i:])
    return location_of(names)
