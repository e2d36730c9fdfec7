"""YAML scalar spelling for the canonical writer, restricted to what the fast reader understands.

Every scalar is written on one line (plain, single-quoted or double-quoted, never folded), or
as a ``|`` block literal, or as ``!!binary |`` base64. Each choice is made only when it is
exactly lossless under both libyaml and PyYAML, so ``yaml.safe_load`` and our fast reader
(``fastyaml.py``) read back the very same string:

* plain only for ASCII text that YAML resolves to a string (not ``401``, ``yes``, ``null``,
  ``2019-05-16``...) and that holds no indicator sequence (``: ``, `` #``);
* single quotes for other one-line printable text (only ``'`` needs doubling);
* double quotes otherwise, escaping every character that is not YAML-printable;
* block literals for multi-line text, only when no line could be re-indented or re-broken
  (no ``\\r``, no leading tab, no whitespace-only line, no leading space or blank line).
"""
from __future__ import annotations

import base64
import re

import yaml.resolver

STR_TAG = "tag:yaml.org,2002:str"

# YAML-printable minus the characters YAML treats as line breaks (\x85, \u2028, \u2029) and
# the BOM: a scalar made only of these can sit inside quotes or a block literal unescaped.
_PRINTABLE_CLASS = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_ALL_PRINTABLE = re.compile(f"[{_PRINTABLE_CLASS}]*")
_ALL_PRINTABLE_OR_LINES = re.compile(f"[\t\n{_PRINTABLE_CLASS}]*")
_PLAIN_SHAPE = re.compile(r"[A-Za-z0-9/._()<=$^~+;\\][\x20-\x7e]*")
_PLAIN_FORBIDDEN = re.compile(r": | #|:$| $")
_BLOCK_FORBIDDEN = re.compile(r"(?m)^[ \t]+$|^\t")
_DQ_UNSAFE = re.compile(f'[^{_PRINTABLE_CLASS}]|["\\\\]')
_DQ_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def _non_str_pattern() -> str:
    """PyYAML's implicit resolvers (bool, int, float, null, timestamp...) as one regex.

    The resolver dispatches on the first character, but every pattern only matches strings
    starting with the characters it is filed under, so one alternation is equivalent -- and
    lets the fast reader test a whole block of lines in one C-level search.
    """
    parts: dict[str, None] = {}
    for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values():
        for tag, regexp in resolvers:
            if tag != STR_TAG:
                body = regexp.pattern.removeprefix("^").removesuffix("$")
                parts.setdefault(f"(?x:{body})" if regexp.flags & re.VERBOSE else f"(?:{body})")
    return "|".join(parts)


NON_STR_PLAIN = _non_str_pattern()
_NON_STR = re.compile(f"(?:{NON_STR_PLAIN})")


def resolves_to_str(text: str) -> bool:
    """True when ``text`` written plain would load as this string (not int/bool/null/date...)."""
    return _NON_STR.fullmatch(text) is None


def plain_ok(text: str) -> bool:
    return (
        _PLAIN_SHAPE.fullmatch(text) is not None
        and _PLAIN_FORBIDDEN.search(text) is None
        and resolves_to_str(text)
    )


def scalar(text: str) -> str:
    """``text`` as a one-line YAML scalar (plain if safe, else quoted)."""
    if plain_ok(text):
        return text
    if "\n" not in text and _ALL_PRINTABLE.fullmatch(text):
        return "'" + text.replace("'", "''") + "'"
    return double_quoted(text)


def double_quoted(text: str) -> str:
    return '"' + _DQ_UNSAFE.sub(_escape_char, text) + '"'


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    known = _DQ_ESCAPES.get(char)
    if known is not None:
        return known
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def block_indicator(text: str) -> str | None:
    """The ``|`` header that writes ``text`` losslessly as a block literal, or None."""
    if "\n" not in text or text[0] in " \n" or "\r" in text:
        return None
    if not _ALL_PRINTABLE_OR_LINES.fullmatch(text) or _BLOCK_FORBIDDEN.search(text):
        return None
    stripped = text.rstrip("\n")
    trailing = len(text) - len(stripped)
    return "|-" if trailing == 0 else "|" if trailing == 1 else "|+"


def block_lines(text: str, indent: str) -> str:
    """The content lines of a block literal; empty lines stay empty (no trailing spaces)."""
    body = text[:-1] if text.endswith("\n") else text
    return "".join(indent + line + "\n" if line else "\n" for line in body.split("\n"))


def binary_lines(raw: bytes, indent: str) -> str:
    """Base64 in 76-column lines, the way PyYAML writes ``!!binary``."""
    encoded = base64.encodebytes(raw).decode("ascii")
    return "".join(indent + line + "\n" for line in encoded.splitlines())
