"""A fast reader for exactly the YAML layout our canonical writer produces.

Why not libyaml: even with the C loader, building a YAML node tree for a 4 MB cassette costs
most of a second, and replay loads cassettes in every test run. We control the writer, so the
reader only has to understand one fixed layout (see ``writer.py``): one compiled regex per
interaction finds every line in C, block literals are sliced out whole and de-indented with
``str.replace``, quoted scalars go through a small escape decoder.

The result is the very same plain data ``yaml.safe_load`` returns for those bytes (a property
test checks this on every corpus file). Anything unexpected -- a hand edit that moved a key, a
scalar that YAML would resolve to a number, a tag -- raises :class:`FastPathMiss` and the
caller falls back to the real YAML parser, so the fast path can never be wrong, only unused.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from recorder.cassette.emit import resolves_to_str

MARKER = "# recorder cassette v1: vcrpy-compatible; bodies are exact bytes unless noted"
MARKER_PREFIX = "# recorder cassette v"


class FastPathMiss(Exception):
    """The text is not in the exact canonical layout; use the general YAML reader instead."""


_HEAD = re.compile(r"(?:#[^\n]*\n)+interactions:( \[\])?\n")
_TAIL = re.compile(r"version: 1\n?\Z")
_INTERACTION = re.compile(
    r"- request:\n"
    r"    method: (?P<method>[^\n]+)\n"
    r"    uri: (?P<uri>[^\n]+)\n"
    r"    headers:(?P<qh_empty> \{\})?\n(?P<qh>(?:      [^\n]*\n)*)"
    r"    body: (?P<qb>[^\n]+)\n(?P<qblock>(?:      [^\n]*\n|\n)*)"
    r"  response:\n"
    r"    status:\n"
    r"      code: (?P<code>[1-9][0-9]*)\n"
    r"      message: (?P<message>[^\n]+)\n"
    r"    headers:(?P<sh_empty> \{\})?\n(?P<sh>(?:      [^\n]*\n)*)"
    r"    body:\n"
    r"      string: (?P<sb>[^\n]+)\n(?P<sblock>(?:        [^\n]*\n|\n)*)"
    r"(?:  recorded_at: (?P<recorded_at>[^\n]+)\n)?"
    r"(?:  provider: (?P<provider>[^\n]+)\n)?"
    r"(?:  api_version: (?P<api_version>[^\n]+)\n)?"
)
# A header name (no colon: quoted names with one take the YAML path) and its value lines.
_HEADER = re.compile(r"      ([^\n:]+):( \[\])?\n((?:      - [^\n]*\n)*)")
_VALUE_SEP = "\n      - "
# First characters of a plain scalar that YAML always reads as a string (no indicator, no
# chance of a bool/int/float/null/timestamp); anything else takes the full check.
_SAFE_FIRST = frozenset("abcdeghijklmpqrsuvwxzABCDEGHIJKLMPQRSUVWXZ/_()$^;\\")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_RISKY_FIRST = frozenset("yYnNtTfFoO-+0123456789.<~=!&*")  # where YAML may resolve a non-string
_NOT_PLAIN_FIRST = frozenset(",[]{}#&*!|>%@`\t")  # PyYAML's check_plain: these cannot start one
_BARE_QUOTE = re.compile(r'(?:^|[^\\])(?:\\\\)*"')
_NULLS = frozenset(("null", "Null", "NULL", "~"))
_BLANKISH_LINE = re.compile(r"(?m)^[ \t]+$")
_BLOCK_HEADERS = frozenset(("|", "|-", "|+"))


def is_canonical(text: str) -> bool:
    return text.startswith(MARKER_PREFIX)


def parse_canonical(text: str) -> dict[str, Any]:
    """The plain data of a canonical cassette, exactly as ``yaml.safe_load`` would build it."""
    head = _HEAD.match(text)
    if head is None:
        raise FastPathMiss("no 'interactions:' after the marker comment")
    interactions: list[dict[str, Any]] = []
    pos = head.end()
    if head.group(1) is None:
        match = _INTERACTION.match
        while True:
            found = match(text, pos)
            if found is None:
                break
            interactions.append(_interaction(found))
            pos = found.end()
    if _TAIL.match(text, pos) is None:
        line = text.count("\n", 0, pos) + 1
        raise FastPathMiss(f"unexpected text at line {line}")
    if head.group(1) is not None and text[head.end():pos]:
        raise FastPathMiss("interactions: [] followed by items")
    return {"interactions": interactions, "version": 1}


def _interaction(m: re.Match[str]) -> dict[str, Any]:
    g = m.group
    qb = g("qb")
    if qb in _NULLS and not g("qblock"):
        request_body: str | bytes | None = None
    else:
        request_body = _value(qb, g("qblock"), "      ")
    item: dict[str, Any] = {
        "request": {
            "method": _scalar(g("method")),
            "uri": _scalar(g("uri")),
            "headers": {} if g("qh_empty") is not None else _headers(g("qh")),
            "body": request_body,
        },
        "response": {
            "status": {"code": int(g("code")), "message": _scalar(g("message"))},
            "headers": {} if g("sh_empty") is not None else _headers(g("sh")),
            "body": {"string": _value(g("sb"), g("sblock"), "        ")},
        },
    }
    if g("qh_empty") is not None and g("qh"):
        raise FastPathMiss("headers: {} followed by header lines")
    if g("sh_empty") is not None and g("sh"):
        raise FastPathMiss("headers: {} followed by header lines")
    for key in ("recorded_at", "provider", "api_version"):
        value = g(key)
        if value is not None:
            item[key] = _scalar(value)
    return item


def _headers(block: str) -> dict[str, list[str]]:
    """``{name: [values]}`` from the header lines of one request or response.

    Header lines are most of a cassette, so per-line work is kept to a set lookup: one
    ``findall`` pairs names with their value lines, counting lines proves no line was
    skipped, and a few substring tests over the block decide whether any token could be
    unusual (``": "``, ``" #"``, tabs, trailing spaces or colons); only then does every token
    go through the full scalar check. Tokens starting with a quote or with a character YAML
    might resolve to a number, bool or null always do.
    """
    pairs = _HEADER.findall(block)
    if len(pairs) + block.count(_VALUE_SEP) != block.count("\n"):
        raise FastPathMiss("header lines not in canonical form")
    safe = _SAFE_FIRST
    headers: dict[str, list[str]] = {}
    if (": " in block or " #" in block or "\t" in block or " \n" in block
            or block.count(":\n") != len(pairs)):
        for name, empty, values_block in pairs:
            if bool(empty) == bool(values_block):
                raise FastPathMiss("a header needs either value lines or ': []'")
            values = values_block[8:-1].split(_VALUE_SEP) if values_block else []
            headers[_scalar(name)] = [_scalar(v) for v in values]
    else:
        for name, _, values_block in pairs:
            values = values_block[8:-1].split(_VALUE_SEP)
            headers[name if name[0] in safe else _scalar(name)] = [
                v if v[:1] in safe else _scalar(v) for v in values]
    if len(headers) != len(pairs):
        raise FastPathMiss("duplicate header name")
    return headers


def _value(head: str, block: str, indent: str) -> str | bytes:
    """A body: a one-line scalar, a ``|`` block literal or ``!!binary |`` base64."""
    if not block:
        if head in _BLOCK_HEADERS or head.startswith("!"):
            raise FastPathMiss(f"block header {head!r} without content")
        return _scalar(head)
    if head == "!!binary |":
        try:
            return base64.decodebytes(block.replace(indent, "").encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise FastPathMiss("bad base64") from None
    if head not in _BLOCK_HEADERS:
        raise FastPathMiss(f"unexpected value {head!r} before an indented block")
    text = ("\n" + block).replace("\n" + indent, "\n")[1:]
    if text[:1] in (" ", "\t", "\n"):
        raise FastPathMiss("block literal needs an indentation indicator")
    if "\n\t" in text or (_may_have_blankish_line(text) and _BLANKISH_LINE.search(text)):
        raise FastPathMiss("block literal with a tab-led or whitespace-only line")
    if head == "|+":
        return text
    stripped = text.rstrip("\n")
    return stripped if head == "|-" else stripped + "\n"


def _may_have_blankish_line(text: str) -> bool:
    """Cheap substring pre-check so the multi-line regex only runs on suspicious bodies."""
    return " \n" in text or "\t\n" in text or text.endswith((" ", "\t"))


def _scalar(token: str) -> str:
    """One-line scalar text -> str; plain scalars YAML would not read as a string miss."""
    if not token:
        raise FastPathMiss("empty scalar (YAML reads null)")
    first = token[0]
    if first == "'":
        if len(token) < 2 or token[-1] != "'":
            raise FastPathMiss("unterminated single-quoted scalar")
        inner = token[1:-1]
        if "'" in inner:
            inner = inner.replace("''", "\x00")
            if "'" in inner:
                raise FastPathMiss("stray quote in single-quoted scalar")
            inner = inner.replace("\x00", "'")
        return inner
    if first == '"':
        if len(token) < 2 or token[-1] != '"' or _odd_backslashes_before_end(token):
            raise FastPathMiss("unterminated double-quoted scalar")
        inner = token[1:-1]
        if '"' in inner and _BARE_QUOTE.search(inner):
            raise FastPathMiss("text after the closing quote")
        return _ESCAPE.sub(_unescape, inner) if "\\" in inner else inner
    if first in _RISKY_FIRST and not resolves_to_str(token):
        raise FastPathMiss(f"plain scalar {token!r} is not a string in YAML")
    if (first in _NOT_PLAIN_FIRST or (first in "-?:" and token[1:2] in ("", " "))
            or token[-1] in " :\t" or ": " in token or " #" in token or "\t#" in token):
        raise FastPathMiss(f"plain scalar {token!r} needs the full YAML parser")
    return token


def _odd_backslashes_before_end(token: str) -> bool:
    count = len(token) - 1 - len(token[:-1].rstrip("\\"))
    return count % 2 == 1


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    simple = _SIMPLE_ESCAPES.get(code)
    if simple is not None:
        return simple
    if code[0] in "xuU" and len(code) > 1:
        return chr(int(code[1:], 16))
    raise FastPathMiss(f"unknown escape \\{code}")
