"""Comparing two JSON schemas (each living in its own OpenAPI document) for a client's sake.

What counts as breaking depends on the direction: a property that disappears from a *response*
breaks code that reads it, one that disappears from a *request* breaks code that sends it; a new
enum value is harmless in a request and breaks exhaustive ``match`` statements in a response.
So every comparison carries a :data:`Direction` and the rules below read like the issue's list.

Provider specs are graphs, not trees: Stripe's charge refers to its customer, whose sources
refer back to charges, and expandable fields pull most of the API into every response. Two
things keep this fast and readable:

* the schemas are cut at ``$ref`` boundaries into *segments*; a segment (the inline part of one
  pair of referenced schemas) is compared once per ``diff_specs`` call and memoized, so
  ``--all-operations`` on two 5 MB specs does not re-walk ``charge`` for each of 500 operations;
* a traversal (one operation's request or responses) visits each ``(old_ref, new_ref)`` pair
  once, breadth first: first everything reachable without crossing an *expandable* reference
  (Stripe's ``customer: anyOf [id, $ref customer]``, which only comes back expanded when asked
  for), then what lies behind ``MAX_EXPANSIONS`` of them. So a change is found at the shallowest
  place it is reachable, cycles terminate, and ``MAX_REF_HOPS`` bounds the rest. Each change
  carries its ``origin`` (component pair, kind, place inside it), which lets ``diff_specs``
  report a shared component's change once across all operations.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from recorder.contracts.reach import PRUNED
from recorder.contracts.slicing import escape_pointer, resolve_pointer
from recorder.errors import BadInput

Direction = Literal["request", "response"]

MAX_REF_HOPS = 8        # references followed from an operation's body before giving up
MAX_EXPANSIONS = 1      # expandable references followed (Stripe's ``customer: anyOf [id, customer]``)
MAX_INLINE_DEPTH = 64   # nesting inside one segment (guards against self-referencing YAML aliases)
_COMPOSITES = ("anyOf", "oneOf")


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One difference, located relative to where the comparison started."""

    kind: str
    location: str       # JSON-pointer-like: /amount, /data/*/id ('*' = array item / map value)
    old: Any
    new: Any
    message: str
    # Identifies the change inside a referenced component pair (None: inline in the operation),
    # so a caller can report a component's change once across operations.
    origin: Hashable | None = None


@dataclass(frozen=True, slots=True)
class _Edge:
    """A reference pair met inside a segment: compared later, in its own (memoized) segment."""

    location: str
    key: tuple[Hashable, Hashable]
    old: dict[str, Any]
    new: dict[str, Any]
    expansion: bool = False   # an expandable reference: the object only comes back when asked for


@dataclass(slots=True)
class _Segment:
    changes: list[SchemaChange] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)


def types_of(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows (``null`` aside), inferred from its keywords; None = unknown."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared}) - {"null"}
    if isinstance(declared, list):
        return frozenset(t for t in declared if isinstance(t, str) and t != "null")
    if "properties" in schema or "additionalProperties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    return None


def is_nullable(schema: dict[str, Any]) -> bool:
    """OpenAPI 3.0 ``nullable``, or 3.1 ``type: [.., "null"]`` / a ``{"type": "null"}`` branch."""
    if schema.get("nullable") is True:
        return True
    declared = schema.get("type")
    if declared == "null" or (isinstance(declared, list) and "null" in declared):
        return True
    return any(isinstance(b, dict) and b.get("type") == "null"
               for key in _COMPOSITES for b in schema.get(key) or [])


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives a value may match: anyOf/oneOf members (null branches aside), else itself."""
    for key in _COMPOSITES:
        members = schema.get(key)
        if isinstance(members, list) and members:
            return [b for b in members if isinstance(b, dict) and b.get("type") != "null"]
    return [schema]


def _is_expandable(branches: list[dict[str, Any]]) -> bool:
    """An id-or-object alternative (a plain string branch next to referenced objects).

    That is how Stripe (and others) describe expandable fields: the id by default, the object
    only when the request asks for it. Changes behind such references matter less, and
    following them all pulls the whole API into every operation.
    """
    has_id = any(_ref_of(b) is None and types_of(b) == frozenset({"string"}) for b in branches)
    return has_id and any(_ref_of(b) is not None for b in branches)


def _ref_of(schema: dict[str, Any]) -> str | None:
    """The component a branch refers to; a pinned slice's stub still names the one it cut."""
    ref = schema.get("$ref", schema.get(PRUNED))
    return ref if isinstance(ref, str) else None


def _signature(schema: dict[str, Any]) -> str:
    """How branches are lined up between versions: by referenced name, title, else by type."""
    ref, title = _ref_of(schema), schema.get("title")
    if ref is not None:
        return "ref:" + ref.rsplit("/", 1)[-1]
    if isinstance(title, str):
        return "title:" + title
    kinds = types_of(schema)
    label = "|".join(sorted(kinds)) if kinds else "any"
    return f"type:{label}" + (":enum" if "enum" in schema else "")


def _label(schema: dict[str, Any]) -> str:
    return _signature(schema).split(":", 1)[1]


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    values = schema.get("enum")
    return None if not isinstance(values, list) else [v for v in values if v is not None]


class SchemaDiffer:
    """Compares schemas of an old and a new document; one instance per pair of documents."""

    def __init__(self, old_doc: dict[str, Any], new_doc: dict[str, Any], *,
                 max_expansions: int = MAX_EXPANSIONS) -> None:
        self.old_doc = old_doc
        self.new_doc = new_doc
        self.max_expansions = max_expansions
        self._memo: dict[tuple[Hashable, Hashable, Direction], _Segment] = {}
        self._merged: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    # -- traversal ---------------------------------------------------------------------------

    def diff(self, old: dict[str, Any], new: dict[str, Any], direction: Direction,
             visited: set[tuple[Hashable, Hashable]] | None = None) -> Iterator[SchemaChange]:
        """Changes from ``old`` to ``new``, located relative to them, each component pair once.

        Pass the same ``visited`` set to several calls (an operation's responses) to report a
        component shared between them once only.
        """
        seen = visited if visited is not None else set()
        # One breadth-first queue per number of expansions crossed, drained in order: a pair is
        # claimed where it is reachable with the fewest expansions, then the fewest hops.
        levels: list[deque[tuple[str, int, _Edge | None]]] = [deque() for _ in range(self.max_expansions + 1)]
        levels[0].append(("", 0, None))
        for level, queue in enumerate(levels):
            while queue:
                prefix, hops, edge = queue.popleft()
                if edge is None:
                    segment = self._root_segment(old, new, direction)
                elif edge.key in seen:
                    continue
                else:
                    seen.add(edge.key)
                    segment = self._segment(edge, direction)
                origin = None if edge is None else (edge.key, direction)
                for change in segment.changes:
                    yield SchemaChange(change.kind, prefix + change.location, change.old, change.new, change.message,
                                       None if origin is None else (*origin, change.kind, change.location))
                if hops >= MAX_REF_HOPS:
                    continue
                for child in segment.edges:
                    target = level + child.expansion
                    if child.key not in seen and target <= self.max_expansions:
                        levels[target].append((prefix + child.location, hops + 1, child))

    def _root_segment(self, old: dict[str, Any], new: dict[str, Any], direction: Direction) -> _Segment:
        root = _Segment()
        _Walk(self, direction, root).node(old, new, "", 0)
        return root

    def _segment(self, edge: _Edge, direction: Direction) -> _Segment:
        memo_key = (*edge.key, direction)
        segment = self._memo.get(memo_key)
        if segment is None:
            segment = _Segment()
            old, new = self.resolve(self.old_doc, edge.old), self.resolve(self.new_doc, edge.new)
            _Walk(self, direction, segment).resolved(old, new, "", 0)
            self._memo[memo_key] = segment
        return segment

    # -- documents ---------------------------------------------------------------------------

    def resolve(self, doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` (chains too) and flatten ``allOf``; dangling refs read as ``{}``."""
        hops = 0
        while isinstance(schema.get("$ref"), str) and hops < MAX_INLINE_DEPTH:
            try:
                target = resolve_pointer(doc, schema["$ref"])
            except BadInput:  # a broken ref is the spec checker's business, not the diff's
                return {}
            schema, hops = (target if isinstance(target, dict) else {}), hops + 1
        if isinstance(schema.get("allOf"), list):
            return self._merge_all_of(doc, schema)
        return schema

    def _merge_all_of(self, doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        """``allOf`` members merged into one object schema (properties and required united).

        Cached by the original's identity; the original is kept alive with it, so the id is
        never reused by another object while the differ lives.
        """
        cached = self._merged.get(id(schema))
        if cached is not None:
            return cached[1]
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        self._merged[id(schema)] = (schema, merged)  # placeholder first: allOf cycles terminate
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for member in schema["allOf"]:
            part = self.resolve(doc, member) if isinstance(member, dict) else {}
            properties.update({k: v for k, v in (part.get("properties") or {}).items() if k not in properties})
            required.extend(r for r in part.get("required") or [] if r not in required)
            for key, value in part.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged


@dataclass(slots=True)
class _Walk:
    """Compares the inline part of one segment, recording changes and the ref pairs it meets."""

    differ: SchemaDiffer
    direction: Direction
    out: _Segment

    def change(self, kind: str, location: str, old: Any, new: Any, message: str) -> None:
        self.out.changes.append(SchemaChange(kind, location, old, new, message))

    def node(self, old: Any, new: Any, loc: str, depth: int, *, expansion: bool = False) -> None:
        """Any schema pair: refs become edges (compared in their own segment), the rest now."""
        if not isinstance(old, dict) or not isinstance(new, dict) or depth > MAX_INLINE_DEPTH:
            return
        if PRUNED in old or PRUNED in new:
            return  # cut from a pinned slice: none of the repo's traffic reaches it, nothing to compare
        old_ref, new_ref = old.get("$ref"), new.get("$ref")
        if isinstance(old_ref, str) or isinstance(new_ref, str):
            key = (old_ref if isinstance(old_ref, str) else ("inline", id(old)),
                   new_ref if isinstance(new_ref, str) else ("inline", id(new)))
            self.out.edges.append(_Edge(loc, key, old, new, expansion))
            return
        self.resolved(self.differ.resolve(self.differ.old_doc, old),
                      self.differ.resolve(self.differ.new_doc, new), loc, depth)

    def resolved(self, old: dict[str, Any], new: dict[str, Any], loc: str, depth: int,
                 *, as_branch: bool = False) -> None:
        """A pair of concrete schemas: node-level flags, then alternatives or shape."""
        if depth > MAX_INLINE_DEPTH:
            return
        name = loc.rsplit("/", 1)[-1] or "(body)"
        if not as_branch:
            if new.get("deprecated") is True and old.get("deprecated") is not True:
                self.change("field-deprecated", loc, False, True, f"{name} is deprecated")
            if self.direction == "response" and is_nullable(new) and not is_nullable(old):
                self.change("field-now-nullable", loc, False, True, f"{name} may now be null")
        if any(key in old or key in new for key in _COMPOSITES):
            self.alternatives(old, new, loc, depth)
        else:
            self.shape(old, new, loc, depth)

    def alternatives(self, old: dict[str, Any], new: dict[str, Any], loc: str, depth: int) -> None:
        """anyOf/oneOf: line branches up by signature; leftovers are types gained or lost."""
        olds, news = _branches(old), _branches(new)
        pending_new = list(news)
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        lost: list[dict[str, Any]] = []
        for branch in olds:
            match = next((b for b in pending_new if _signature(b) == _signature(branch)), None)
            if match is None:
                lost.append(branch)
            else:
                pending_new.remove(match)
                pairs.append((branch, match))
        if len(lost) == 1 and len(pending_new) == 1:
            pairs.append((lost.pop(), pending_new.pop()))
        expandable = _is_expandable(olds) or _is_expandable(news)
        for old_branch, new_branch in pairs:
            if isinstance(old_branch.get("$ref"), str) or isinstance(new_branch.get("$ref"), str):
                self.node(old_branch, new_branch, loc, depth + 1, expansion=expandable)
            else:
                self.resolved(old_branch, new_branch, loc, depth + 1, as_branch=True)
        name = loc.rsplit("/", 1)[-1] or "(body)"
        if self.direction == "request" and lost:
            labels = ", ".join(_label(b) for b in lost)
            self.change("type-changed", loc, labels, None, f"{name} no longer accepts {labels}")
        if self.direction == "response" and pending_new:
            labels = ", ".join(_label(b) for b in pending_new)
            if _is_expandable(news) and not _is_expandable(olds):
                # Only clients that ask for the expansion see the object; the default is unchanged.
                self.change("response-field-added", loc, None, labels, f"{name} can now be expanded to {labels}")
            else:
                self.change("type-changed", loc, None, labels, f"{name} may now also be {labels}")

    def shape(self, old: dict[str, Any], new: dict[str, Any], loc: str, depth: int) -> None:
        """Plain schemas: type, format, enum, then object properties, array items, map values."""
        name = loc.rsplit("/", 1)[-1] or "(body)"
        old_types, new_types = types_of(old), types_of(new)
        if old_types and new_types and old_types != new_types:
            self.change("type-changed", loc, "|".join(sorted(old_types)), "|".join(sorted(new_types)),
                        f"{name} changed type")
            return
        self.format(old.get("format"), new.get("format"), loc, name)
        self.enum(old, new, loc, name)
        self.properties(old, new, loc, depth)
        if "items" in old and "items" in new:
            self.node(old["items"], new["items"], loc + "/*", depth + 1)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.node(old_extra, new_extra, loc + "/*", depth + 1)

    def format(self, old: Any, new: Any, loc: str, name: str) -> None:
        """A different format breaks; one that only appears narrows, which breaks requests only."""
        if old == new:
            return
        gained, lost = old is None, new is None
        if (gained and self.direction == "response") or (lost and self.direction == "request"):
            return  # the values allowed got no wider for whoever reads them
        self.change("format-changed", loc, old, new, f"{name} changed format")

    def enum(self, old: dict[str, Any], new: dict[str, Any], loc: str, name: str) -> None:
        old_values, new_values = _enum(old), _enum(new)
        if self.direction == "request":
            if new_values is not None and old_values is None:
                self.change("request-enum-value-removed", loc, "any", new_values,
                            f"{name} is now limited to {len(new_values)} value(s)")
            elif old_values is not None and new_values is not None:
                removed = [v for v in old_values if v not in new_values]
                if removed:
                    self.change("request-enum-value-removed", loc, removed, None,
                                f"{name} no longer accepts {', '.join(map(str, removed))}")
        elif new_values is None and old_values is not None:
            self.change("response-enum-value-added", loc, old_values, "any",
                        f"{name} is no longer limited to an enum")
        elif old_values is not None and new_values is not None:
            added = [v for v in new_values if v not in old_values]
            if added:
                self.change("response-enum-value-added", loc, None, added,
                            f"{name} may now be {', '.join(map(str, added))}")

    def properties(self, old: dict[str, Any], new: dict[str, Any], loc: str, depth: int) -> None:
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        if not isinstance(old_props, dict) or not isinstance(new_props, dict):
            return
        old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
        response = self.direction == "response"
        for prop in sorted(old_props.keys() | new_props.keys()):
            where = f"{loc}/{escape_pointer(prop)}"
            if prop not in new_props:
                kind = "response-field-removed" if response else "request-field-removed"
                self.change(kind, where, prop, None, f"{prop} was removed")
            elif prop not in old_props:
                if response:
                    self.change("response-field-added", where, None, prop, f"{prop} was added")
                elif prop in new_required:
                    self.change("new-required-request-field", where, None, prop, f"{prop} was added, required")
                else:
                    self.change("request-field-added", where, None, prop, f"{prop} was added, optional")
            else:
                if response and prop in old_required and prop not in new_required:
                    self.change("response-field-no-longer-required", where, "required", "optional",
                                f"{prop} is no longer required")
                if not response and prop in new_required and prop not in old_required:
                    self.change("new-required-request-field", where, "optional", "required",
                                f"{prop} is now required")
                self.node(old_props[prop], new_props[prop], where, depth + 1)
