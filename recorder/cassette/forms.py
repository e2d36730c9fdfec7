"""application/x-www-form-urlencoded bodies with nested keys, as Stripe and Twilio send them.

``metadata[order_id]=1&expand[0]=a&expand[]=b&items[0][price]=p`` decodes to
``{"metadata": {"order_id": "1"}, "expand": ["a", "b"], "items": [{"price": "p"}]}``: the same
data whichever array form the client library chose, so matching and validation compare data,
not spelling.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def key_path(key: str) -> list[str]:
    """``items[0][price]`` -> ``["items", "0", "price"]``; ``expand[]`` -> ``["expand", ""]``."""
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    rest = key[len(head):]
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        return [key]  # not a well-formed nested key: treat the whole thing as one name
    return [head, *segments]


def form_pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True)


def decode_form(text: str) -> dict[str, Any]:
    """Nested data from a form body; repeated plain keys become lists."""
    return nest(form_pairs(text))


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nested data from ``(key, value)`` pairs with bracketed keys (a form's, or a multipart
    body's fields: Stripe sends ``file_link_data[expires_at]`` either way). A value is a leaf
    whatever its type, unless it is a dict."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        _insert(root, key_path(key), value)
    return _listify(root)


def _insert(node: dict[str, Any], path: list[str], value: Any) -> None:
    *parents, last = path
    for segment in parents:
        if segment == "":
            segment = str(_next_index(node))
        child = node.get(segment)
        if not isinstance(child, dict):
            child = node[segment] = {}
        node = child
    if last == "":
        node[str(_next_index(node))] = value
    elif last in node and not isinstance(node[last], dict):
        existing = node[last]
        node[last] = existing + [value] if isinstance(existing, list) else [existing, value]
    else:
        node[last] = value


def _next_index(node: dict[str, Any]) -> int:
    return sum(1 for k in node if k.isdigit())


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
