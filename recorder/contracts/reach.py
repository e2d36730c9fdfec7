"""Which schemas of a provider's spec the repo's recorded responses actually reach.

Why: Stripe's Charge reaches ~500 of its ~800 schemas through *expandable* fields (``customer``
is an id string, or the whole Customer object when the request asked ``expand[]=customer``),
so a slice that follows every ``$ref`` is 600 KB for one operation. A recording that never
expanded ``customer`` only ever sends a string there: validation evaluates the Customer branch
with a string, finds the type wrong and stops. Nothing below Customer's top level is ever read.

So the slice is cut by *traffic*: each response body of the repo's cassettes and mocks is walked
through its response schema, noting at each ``$ref`` site (a position in the document) the JSON
types of the values that got there. Walking takes every branch a validator could evaluate
(all of ``anyOf``/``oneOf``/``allOf``, ``not``, ``if``/``then``/``else``), so it over-approximates
what jsonschema evaluates; a site it never reaches is never evaluated on this traffic. Such a site,
or one reached only by values its target's type rejects, is replaced by a *stub*
(:func:`Reach.stub`) that rejects those types the same way, so checking the same traffic against
the slice gives the same findings as against the full spec. Request schemas are not pruned:
they are small, and their values are coerced from forms before validation.

A stub also says, in the checker, when new traffic gets past it (an expanded ``customer``
appears in a new cassette): that is a ``slice-stale`` warning telling you to re-run
``recorder contracts pull``, never a silently skipped check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recorder.contracts.slicing import Path, pointer_segments, resolve_pointer

SCHEMA_REFS = "#/components/schemas/"
PRUNED = "x-recorder-pruned"      # the stub's marker in a sliced document: the $ref it replaces
STALE_COMMENT = "recorder-pruned " # how a stub's failure reads in the validator's error tree
ANY_TYPE = "*"                    # a site kept whatever reaches it (request schemas)

# Keywords whose subschemas apply to the value itself, not to a part of it.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")
# A target may become a type-only stub when these are all it says: they only constrain objects
# or arrays, so a value of another type meets nothing but the type check.
_STRUCTURAL = frozenset({"type", "nullable", "properties", "required", "additionalProperties",
                         "patternProperties", "minProperties", "maxProperties", "items", "minItems",
                         "maxItems", "uniqueItems", "title", "description", "readOnly", "writeOnly",
                         "deprecated", "example", "examples", "externalDocs", "default"})


@dataclass
class Reach:
    """For each ``$ref`` site of one document, the JSON types of the values that reached it."""

    data: dict[str, Any] = field(repr=False)
    sites: dict[Path, set[str]] = field(default_factory=dict)
    _kept: set[Path] = field(default_factory=set, repr=False)

    # -- recording -----------------------------------------------------------------------------
    def walk(self, schema: Any, at: Path, value: Any) -> None:
        """Note every ``$ref`` site under ``schema`` (found at ``at``) that ``value`` reaches."""
        self._walk(schema, at, value, set())

    def _walk(self, schema: Any, at: Path, value: Any, active: set[tuple[int, int]]) -> None:
        if not isinstance(schema, dict):
            return
        token = (id(schema), id(value))
        if token in active:
            return  # a $ref/allOf cycle that does not descend into the value
        active.add(token)
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            self.sites.setdefault(at, set()).add(_json_type(value))
            self._walk(resolve_pointer(self.data, ref), tuple(pointer_segments(ref)), value, active)
        for key in _IN_PLACE_LISTS:
            for index, branch in enumerate(schema.get(key) or []):
                self._walk(branch, (*at, key, index), value, active)
        for key in _IN_PLACE_ONE:
            self._walk(schema.get(key), (*at, key), value, active)
        if isinstance(value, dict):
            self._walk_object(schema, at, value, active)
        elif isinstance(value, list):
            self._walk_array(schema, at, value, active)
        active.discard(token)

    def _walk_object(self, schema: dict[str, Any], at: Path, value: dict[str, Any],
                     active: set[tuple[int, int]]) -> None:
        properties = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        for name, child in value.items():
            if name in properties:
                self._walk(properties[name], (*at, "properties", name), child, active)
            for pattern, sub in patterns.items():  # every pattern: over-approximating is safe
                self._walk(sub, (*at, "patternProperties", pattern), child, active)
            for key in ("additionalProperties", "unevaluatedProperties"):
                self._walk(schema.get(key), (*at, key), child, active)
        for name, sub in (schema.get("dependentSchemas") or {}).items():
            if name in value:
                self._walk(sub, (*at, "dependentSchemas", name), value, active)

    def _walk_array(self, schema: dict[str, Any], at: Path, value: list[Any],
                    active: set[tuple[int, int]]) -> None:
        items = schema.get("items")
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else (
            items if isinstance(items, list) else [])
        for index, item in enumerate(value):
            if isinstance(items, dict):
                self._walk(items, (*at, "items"), item, active)
            if index < len(prefix):
                key = "prefixItems" if "prefixItems" in schema else "items"
                self._walk(prefix[index], (*at, key, index), item, active)
            for key in ("additionalItems", "unevaluatedItems", "contains"):
                self._walk(schema.get(key), (*at, key), item, active)

    def keep_all(self, node: Any, at: Path) -> None:
        """Keep every ``$ref`` site under ``node`` whatever reaches it (and under its targets)."""
        stack: list[tuple[Any, Path]] = [(node, at)]
        while stack:
            current, where = stack.pop()
            if isinstance(current, list):
                stack.extend((item, (*where, i)) for i, item in enumerate(current))
                continue
            if not isinstance(current, dict):
                continue
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                self.sites.setdefault(where, set()).add(ANY_TYPE)
                target = tuple(pointer_segments(ref))
                if target not in self._kept:
                    self._kept.add(target)
                    stack.append((resolve_pointer(self.data, ref), target))
            stack.extend((child, (*where, key)) for key, child in current.items() if key != "$ref")

    # -- slicing -------------------------------------------------------------------------------
    def stub(self, at: Path, ref: str) -> dict[str, Any] | None:
        """What replaces the ``$ref`` at ``at`` in the slice; None keeps the ref.

        Kept: a site some value reached with a type its target accepts. Otherwise, a target that
        only constrains objects (or arrays) becomes ``{"type": ..., x-recorder-pruned}``, which
        rejects other types exactly as the target did; any other target, never reached, becomes
        a bare marker.
        """
        if not ref.startswith(SCHEMA_REFS):
            return None
        reached = self.sites.get(at, set())
        if ANY_TYPE in reached:
            return None
        target = resolve_pointer(self.data, ref)
        kinds = _structural_types(target)
        if kinds is None:
            return None if reached else {PRUNED: ref}
        if reached & kinds:
            return None
        stub: dict[str, Any] = {"type": target["type"], PRUNED: ref}
        if target.get("nullable") is True:
            stub["nullable"] = True
        return stub


def _structural_types(target: Any) -> frozenset[str] | None:
    """The types a stub must accept for ``target``; None when a type-only stub would differ."""
    if not isinstance(target, dict) or any(k not in _STRUCTURAL and not k.startswith("x-") for k in target):
        return None
    kind = target.get("type")
    kinds = frozenset([kind] if isinstance(kind, str) else kind if isinstance(kind, list) else [])
    if not kinds or not kinds <= {"object", "array", "null"} or kinds == {"null"}:
        return None
    return kinds | ({"null"} if target.get("nullable") is True else set())


def stub_json_schema(stub: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema a stub stands for when traffic is checked against a slice.

    A type-only stub accepts its types but fails, through ``not``, on the types the pruned target
    would have looked into; a bare stub fails on anything. The ``$comment`` inside ``not`` is how
    the validator tells this failure (``slice-stale``) from a spec's own ``not``; the marker key
    stays so that :mod:`recorder.contracts.schema` can tell a stub from an open object.
    """
    ref = stub[PRUNED]
    comment = STALE_COMMENT + ref
    kind = stub.get("type")
    if kind is None:
        return {"not": {"$comment": comment}, PRUNED: ref}
    kinds = [kind] if isinstance(kind, str) else list(kind)
    if stub.get("nullable") is True and "null" not in kinds:
        kinds.append("null")
    return {"type": kinds, "not": {"type": [k for k in kinds if k != "null"], "$comment": comment}, PRUNED: ref}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "scalar"  # strings, numbers and booleans: what matters is that they are not containers
