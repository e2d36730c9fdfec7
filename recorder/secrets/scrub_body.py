"""Scrubbing credentials out of body text (JSON or form) without disturbing anything else.

Cassettes live in version control: a re-recording that changes nothing but the secrets must
produce a diff that shows nothing. So values are replaced where they stand, by targeted
substitution, and the rest of the body stays byte-identical. JSON is only re-serialised when
targeted substitution could not reach a value (a key spelled with escapes, say), and then in
the indentation and separator style of the original.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from recorder.cassette.forms import key_path

REDACTED = "<REDACTED>"

# Prefixes worth keeping: they say what the value was (and which object it belongs to) without
# being secret themselves. ``pi_123_secret_abc`` -> ``pi_123_secret_REDACTED``.
_KEEP_PREFIX = re.compile(
    r"^(?:[a-z]{2,6}_(?:(?:test|live)_)?[A-Za-z0-9]+_secret_|src_client_secret_|whsec_"
    r"|(?:sk|rk|pk|ek)_(?:test|live)_)"
)
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_FORM_FIELD = re.compile(r"(?<![^&])([^&=]+)=([^&]*)")
_FORM_LIKE = re.compile(r"^[^\s&=]+=[^\s&]*(?:&[^\s&=]+(?:=[^\s&]*)?)*$")  # unambiguous: no backtracking
_INDENT = re.compile(r"\n([ \t]+)\S")


def placeholder_for(value: str) -> str:
    """The stable stand-in for a secret value, keeping a recognisable non-secret prefix."""
    m = _KEEP_PREFIX.match(value)
    return m.group(0) + "REDACTED" if m else REDACTED


def body_kind(text: str, content_type: str, hint: str = "auto") -> str | None:
    """``json``, ``form`` or None (leave alone), from Content-Type first, then the text itself."""
    if "json" in content_type:
        return "json"
    if "x-www-form-urlencoded" in content_type:
        return "form"
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        return "json"
    if (hint in ("form", "auto") and not content_type.startswith(("text/", "multipart/"))
            and _FORM_LIKE.match(stripped)):
        return "form"
    return None


def scrub_text(text: str, kind: str | None, names: frozenset[str]) -> str:
    if kind == "json":
        return scrub_json_text(text, names)
    if kind == "form":
        return scrub_form_text(text, names)
    return text


def scrub_form_text(text: str, names: frozenset[str]) -> str:
    """Replace the values of secret fields; nested keys match on their last named segment."""

    def replace(m: re.Match[str]) -> str:
        value = unquote_plus(m.group(2))
        if not value or not form_name_matches(unquote_plus(m.group(1)), names):
            return m.group(0)
        return f"{m.group(1)}={quote_plus(placeholder_for(value), safe='')}"

    return _FORM_FIELD.sub(replace, text)


def form_name_matches(name: str, names: frozenset[str]) -> bool:
    """Whether a form field (url-encoded or multipart) is one the profile names as secret."""
    if name.lower() in names:
        return True
    named = [segment for segment in key_path(name) if segment and not segment.isdigit()]
    return bool(named) and named[-1].lower() in names


def scrub_json_text(text: str, names: frozenset[str]) -> str:
    """Secret string values under matching keys, at any depth; formatting kept."""

    def replace(m: re.Match[str]) -> str:
        if _escaped(text, m.start()) or _unescape(m.group(1)).lower() not in names:
            return m.group(0)
        value = _unescape(m.group(3))
        if not value:
            return m.group(0)
        return f'"{m.group(1)}"{m.group(2)}{json.dumps(placeholder_for(value))}'

    result = _JSON_PAIR.sub(replace, text)
    try:
        data = json.loads(result)
    except ValueError:
        return result  # damaged JSON: targeted substitution is all we can do
    if not _redact_tree(data, names):
        return result
    return dumps_like(data, text)


def _redact_tree(node: Any, names: frozenset[str]) -> bool:
    """Redact what targeted substitution missed, in place; True if anything changed."""
    changed = False
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if isinstance(value, str) and value and key.lower() in names:
                    replacement = placeholder_for(value)
                    if replacement != value:
                        current[key] = replacement
                        changed = True
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, (dict, list)))
    return changed


def dumps_like(data: Any, original: str) -> str:
    """JSON text for ``data`` in the style of ``original``: indent, separators, escaping, newline."""
    indent_match = _INDENT.search(original)
    indent: int | str | None = None
    if indent_match:
        whitespace = indent_match.group(1)
        indent = whitespace if "\t" in whitespace else len(whitespace)
    key_sep = ": " if re.search(r'"\s*:\s', original) else ":"
    item_sep = "," if indent is not None or not re.search(r",\s", original) else ", "
    ensure_ascii = "\\u" in original and original.isascii()
    text = json.dumps(data, indent=indent, separators=(item_sep, key_sep), ensure_ascii=ensure_ascii)
    return text + original[len(original.rstrip()):]


def _escaped(text: str, quote_at: int) -> bool:
    """Whether the quote at ``quote_at`` is escaped (odd run of backslashes before it)."""
    count = 0
    i = quote_at - 1
    while i >= 0 and text[i] == "\\":
        count += 1
        i -= 1
    return count % 2 == 1


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return raw
