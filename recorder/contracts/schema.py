"""OpenAPI schema objects turned into plain JSON Schema 2020-12 that a fast validator can run.

OpenAPI 3.0 schemas are *almost* JSON Schema. The differences that matter on real specs:

* ``nullable: true`` is not JSON Schema. Beside ``type`` it widens the type; beside ``anyOf``
  without ``type`` (Stripe's expandable fields: an id string, the expanded object, or null) a
  literal reading makes null invalid, which is how plain openapi-core rejects correct traffic.
  We turn it into ``anyOf: [..., {"type": "null"}]`` (and add ``null`` to an ``enum``).
* ``exclusiveMinimum: true`` (a flag in 3.0) becomes the numeric bound of 2020-12.
* Prose (``description``, ``example``, ``x-*`` extensions) is dropped: it is most of the bytes
  of Stripe's 5 MB spec and nothing validates against it.

The *strict* form adds ``unevaluatedProperties: false`` to every object schema that lists its
``properties`` without saying what else is allowed. A response that passes the strict form
passes the contract with nothing to report (the fast path); when only the strict additions fail,
the extra fields are ``undocumented-field`` warnings: the provider sent something the spec does
not describe yet. ``unevaluatedProperties`` (not ``additionalProperties``) so that ``allOf``
compositions, whose properties live in several subschemas, are judged as a whole.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recorder.contracts.reach import PRUNED, stub_json_schema

# Keys that describe, never constrain. Only dropped where they are schema keywords: a property
# *named* "description" (Stripe's charge has one) lives under "properties" and is kept.
_PROSE = frozenset({"description", "example", "examples", "title", "externalDocs", "xml",
                    "deprecated", "readOnly", "writeOnly", "discriminator", "$comment"})
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                        "dependentSchemas"})
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "required"})  # values, not subschemas


def _rebuild(schema: dict[str, Any], child: Callable[[Any], Any], *, drop_prose: bool) -> dict[str, Any]:
    """A copy of one schema level with ``child`` applied to every subschema below it."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if drop_prose and (key in _PROSE or key.startswith("x-")):
            continue
        if key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: child(sub) for name, sub in value.items()}
        elif key in _DATA_KEYWORDS:
            out[key] = value
        else:
            out[key] = child(value)
    return out


def to_json_schema(schema: Any, *, openapi_31: bool = False) -> Any:
    """One OpenAPI schema object as JSON Schema 2020-12 (refs left as they are)."""
    if isinstance(schema, list):
        return [to_json_schema(item, openapi_31=openapi_31) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if PRUNED in schema:
        return stub_json_schema(schema)  # a pinned slice's cut: see recorder.contracts.reach
    out = _rebuild(schema, lambda sub: to_json_schema(sub, openapi_31=openapi_31), drop_prose=True)
    if openapi_31:
        return out
    _fix_exclusive_bounds(out)
    if out.pop("nullable", False) is True:
        out = _widen_to_null(out)
    else:
        out.pop("nullable", None)
    return out


def _fix_exclusive_bounds(out: dict[str, Any]) -> None:
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)
        elif isinstance(out.get(flag), bool):
            del out[flag]


def _widen_to_null(out: dict[str, Any]) -> dict[str, Any]:
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        return out
    if isinstance(kind, list):
        if "null" not in kind:
            out["type"] = [*kind, "null"]
        return out
    if any(k in out for k in ("anyOf", "oneOf", "allOf", "$ref", "not")):
        return {"anyOf": [out, {"type": "null"}]}
    return out  # no type at all: anything, null included, is already valid


def strict_form(schema: Any, *, allof_parts: frozenset[str] = frozenset()) -> Any:
    """``schema`` with ``unevaluatedProperties: false`` where the spec left objects open.

    ``allof_parts`` are component refs used as ``allOf`` parts somewhere: closing them would
    reject the sibling parts' properties, so the composing schema is closed instead.
    """
    if isinstance(schema, list):
        return [strict_form(item, allof_parts=allof_parts) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = _rebuild(schema, lambda sub: strict_form(sub, allof_parts=allof_parts), drop_prose=False)
    if _is_open_object(out):
        out["unevaluatedProperties"] = False
    return out


def _is_open_object(schema: dict[str, Any]) -> bool:
    if any(k in schema for k in ("additionalProperties", "patternProperties", "unevaluatedProperties")):
        return False
    if "properties" in schema:
        return bool(schema["properties"])
    parts = schema.get("allOf")
    if isinstance(parts, list) and parts:  # a composition of object parts: close the whole
        return all(isinstance(p, dict) and ("properties" in p or "$ref" in p or PRUNED in p) for p in parts)
    return False


def allof_part_refs(schemas: Any) -> frozenset[str]:
    """Every ``$ref`` that appears directly as an ``allOf`` part anywhere in ``schemas``."""
    found: set[str] = set()
    stack = [schemas]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            parts = node.get("allOf")
            if isinstance(parts, list):
                found.update(p.get("$ref") or p[PRUNED] for p in parts  # a stub still names the ref it cut
                             if isinstance(p, dict) and isinstance(p.get("$ref") or p.get(PRUNED), str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def close_components(components: dict[str, Any], prefix: str = "#/components/schemas/") -> dict[str, Any]:
    """The strict form of every component, leaving allOf parts open (see :func:`strict_form`)."""
    parts = allof_part_refs(components)
    closed: dict[str, Any] = {}
    for name, schema in components.items():
        if prefix + name in parts:
            # Close only its nested objects; the part itself is closed by whoever composes it.
            inner = strict_form(schema, allof_parts=parts)
            if isinstance(inner, dict) and isinstance(schema, dict) and "unevaluatedProperties" not in schema:
                inner.pop("unevaluatedProperties", None)
            closed[name] = inner
        else:
            closed[name] = strict_form(schema, allof_parts=parts)
    return closed
