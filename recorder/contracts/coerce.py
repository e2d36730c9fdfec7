"""Typed values from form bodies and query strings, the way the spec declares them.

On the wire everything in ``amount=2498&capture=false&metadata[order_id]=7&expand[0]=customer``
is a string. The spec says ``amount`` is an integer, ``capture`` a boolean, ``metadata`` an
object and ``expand`` an array: we decode the nesting (both array spellings, see
:mod:`recorder.cassette.forms`) and then convert each leaf to the type its schema asks for, so
the validator judges data, not spelling. openapi-core 0.23 cannot do this for Stripe at all: it
raises on every ``deepObject`` encoding, even for fields the request does not send.

Where a schema allows several types (``anyOf``), a string is converted to the first non-string
type it parses as; ``""`` stays a string because Stripe uses it to *unset* a field.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Resolve = Callable[[Any], Any]
_INT = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_BRANCHES = ("anyOf", "oneOf", "allOf")


def make_resolver(components: dict[str, Any], prefix: str = "#/components/schemas/") -> Resolve:
    """A function following ``$ref`` chains into ``components`` (unknown refs resolve to ``{}``)."""
    def resolve(schema: Any) -> Any:
        for _ in range(16):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                return schema
            ref = schema["$ref"]
            schema = components.get(ref[len(prefix):], {}) if ref.startswith(prefix) else {}
        return {}
    return resolve


def _flatten(schema: Any, resolve: Resolve, depth: int = 0) -> list[dict[str, Any]]:
    """The schema and its anyOf/oneOf/allOf branches, refs followed: the shapes a value may take."""
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth > 8:
        return []
    shapes = [schema]
    for key in _BRANCHES:
        for branch in schema.get(key) or []:
            shapes.extend(_flatten(branch, resolve, depth + 1))
    return shapes


def _types(shapes: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for shape in shapes:
        kind = shape.get("type")
        if isinstance(kind, str):
            found.add(kind)
        elif isinstance(kind, list):
            found.update(k for k in kind if isinstance(k, str))
        if "properties" in shape:
            found.add("object")
        if "items" in shape:
            found.add("array")
        for value in shape.get("enum") or []:
            found.add(json_type(value))
    return found


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def coerce(value: Any, schema: Any, resolve: Resolve) -> Any:
    """``value`` (strings, lists and dicts from a decoded form) typed as ``schema`` declares."""
    shapes = _flatten(schema, resolve)
    if not shapes:
        return value
    if isinstance(value, str):
        return _coerce_scalar(value, shapes, resolve)
    if isinstance(value, list):
        items = [s["items"] for s in shapes if isinstance(s.get("items"), (dict, bool))]
        if not items:
            return value
        return [coerce(item, items[0], resolve) for item in value]
    if isinstance(value, dict):
        return _coerce_object(value, shapes, resolve)
    return value


def _coerce_scalar(text: str, shapes: list[dict[str, Any]], resolve: Resolve) -> Any:
    if text == "":
        return text
    types = _types(shapes)
    if "integer" in types and _INT.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if "boolean" in types and text.lower() in ("true", "false"):
        # Older SDKs sent Python's str(True); Stripe accepts either case.
        return text.lower() == "true"
    if "array" in types and "string" not in types:
        # A single value where the spec wants a list (``ids=5`` for an exploded array).
        items = next((s["items"] for s in shapes if isinstance(s.get("items"), dict)), {})
        return [coerce(text, items, resolve)]
    return text


def _coerce_object(value: dict[str, Any], shapes: list[dict[str, Any]], resolve: Resolve) -> dict[str, Any]:
    objects = [s for s in shapes if "properties" in s or "additionalProperties" in s]
    if not objects:
        return value
    # Several object shapes (anyOf of two parameter sets): the one naming most of the keys.
    best = max(objects, key=lambda s: sum(1 for k in value if k in (s.get("properties") or {})))
    props = best.get("properties") or {}
    extra = best.get("additionalProperties")
    out: dict[str, Any] = {}
    for key, item in value.items():
        sub = props.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        out[key] = coerce(item, sub, resolve) if sub is not None else item
    return out


def split_array(value: Any, schema: Any, style: str, explode: bool, resolve: Resolve) -> Any:
    """``ids=1,2,3`` (form, explode false) or ``1|2`` (pipeDelimited) as a list when an array is wanted."""
    if not isinstance(value, str) or explode and style == "form":
        return value
    if "array" not in _types(_flatten(schema, resolve)):
        return value
    separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
    return value.split(separator) if value else []
