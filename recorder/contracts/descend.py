"""Localising the failures of a large value without asking jsonschema-rs for every error.

jsonschema-rs copies the instance at an error's location into every error it reports, so an
old recording of a list of 30 GitHub events (188 KB, ~190 ``required`` and ``undocumented-field``
findings, each on a 4 KB ``issue`` object) spends ~3 ms in ``iter_errors`` copying objects we
never look at. Those findings come from *plain* objects: ``type: object`` with ``properties``,
``required`` and ``unevaluatedProperties``/``additionalProperties: false``. Which names are missing
or unexpected is a set difference Python computes in microseconds; only everything else (formats,
enums, ``anyOf`` ...) needs the validator.

So at register time a :class:`Plan` walks each list of resources (:meth:`Plan.root` says why only
those) statically through plain nodes (``$ref``, plain objects, ``type: array`` + ``items`` with
plain items); everything else is a *leaf*. Each
plain node gets one dispatcher entry, its *relaxed twin*: the same subtree without the plain
nodes' own ``type``/``required``/closing checks, the leaves referenced where they are. At
validation time :func:`walk` asks ``is_valid`` of the twin (passing proves every leaf below valid,
the usual case for drift) or else takes the leaves' errors from the twin's ``iter_errors``, which
only copies the (small) leaf values; the plain checks it computes itself.

Exactness: violations are the ones ``_explain`` builds, in jsonschema-rs' order: ``required`` (in
the schema's order), then the children, then the closing keyword (but a lone ``required`` name
comes last beside ``additionalProperties: false``). Children come in instance order, except under
``properties`` alone with at most :data:`_SORTED_MAX` names and more instance keys than names,
where jsonschema-rs 0.60 walks the names sorted (measured: only the order of findings could
differ on another version, never the findings). Anything the plan does not cover
(a plain node whose value has another type) raises :class:`Bail`: the caller uses ``iter_errors``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, unquote

_SORTED_MAX = 14  # jsonschema-rs 0.60 "small properties": wider instances walk the names sorted
_ANNOTATIONS = frozenset({"title", "description", "deprecated", "readOnly", "writeOnly", "example",
                          "examples", "default", "$comment", "externalDocs", "xml"})
_OBJECT_KEYS = frozenset({"type", "properties", "required", "unevaluatedProperties", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "items"})
ENTRY_PREFIX = "dsc:"


class Bail(Exception):
    """The value left the shape the plan covers: explain it the ordinary way."""


class Oracle(Protocol):
    """What the walk needs from the compiled validator and the explainer."""

    def is_valid(self, key: str, value: Any) -> bool: ...
    def explain(self, key: str, value: Any) -> list[Any]: ...
    def missing(self, path: tuple[Any, ...], name: str) -> Any: ...
    def unexpected(self, closing: str, path: tuple[Any, ...], value: dict[str, Any],
                   extras: list[str]) -> list[Any]: ...


@dataclass(eq=False, slots=True)
class Node:
    """One plain schema node: an object (``items is None``) or an array of plain items."""

    rx: str
    nullable: bool
    items: Node | None = None
    names: frozenset[str] = frozenset()
    sorted_names: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    required_set: frozenset[str] = frozenset()
    closing: str | None = None          # "UnevaluatedProperties" | "AdditionalProperties" | None
    required_last: bool = False         # jsonschema-rs 0.60 reports a lone name after additionalProperties
    plain: dict[str, Node] = field(default_factory=dict)   # the children that are plain nodes


class Plan:
    """The plain nodes of one spec's schemas, and their relaxed twins as dispatcher entries.

    A twin points at the spec's own leaves (``{"$ref": "#/components/..."}``) rather than copying
    them, so a leaf keeps its location (and with it what its own refs mean).
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root
        self._nodes: dict[int, Node | None] = {}
        self._keep: list[Any] = []  # the schemas keyed by id() in _nodes, kept alive
        self.entries: dict[str, Any] = {}

    def root(self, schema: Any, pointer: str) -> Node | None:
        """The plan for a registered schema when it is a list of resources (component schemas).

        Lists are where a failing value is large and reports the same drift once per item. Every
        plan adds entries to the compile. Measured while a run still recompiled for each key met
        during checking (19 times over the Stripe corpus), planning single resources too made
        Stripe's steady state 18% faster but a whole-corpus run 0.4-0.7 s slower (2.3-2.7 s
        before); now that a run compiles each spec once, that trade is worth measuring again.
        """
        target, where = self._resolve(schema, pointer)
        if not (isinstance(target, dict) and _plain_kind(target) == "array"):
            return None
        where = self._resolve(target["items"], where + "/items")[1]
        return self.build(schema, pointer) if where.startswith("/components/") else None

    def build(self, schema: Any, pointer: str) -> Node | None:
        """The plain node for ``schema`` found at ``pointer`` (None: a leaf); adds new nodes' twins."""
        target, pointer = self._resolve(schema, pointer)
        if not isinstance(target, dict):
            return None
        known = self._nodes.get(id(target), False)
        if known is not False:
            return known
        self._keep.append(target)
        kind = _plain_kind(target)
        if kind is None:
            self._nodes[id(target)] = None
            return None
        node = Node(f"{ENTRY_PREFIX}rx:{len(self._nodes)}", "null" in _types(target))
        self._nodes[id(target)] = node  # before the children: a cycle comes back to this node
        if kind == "array":
            items = self.build(target["items"], pointer + "/items")
            if items is None:  # leaf items (no cycle came back): iter_errors is as cheap there
                self._nodes[id(target)] = None
                return None
            node.items = items
            self.entries[node.rx] = {"items": {"$ref": _entry_ref(items.rx)}}
            return node
        props: dict[str, Any] = target.get("properties") or {}
        node.names = frozenset(props)
        node.sorted_names = tuple(sorted(props))
        node.required = tuple(target.get("required") or ())
        node.required_set = frozenset(node.required)
        if target.get("additionalProperties") is False:
            node.closing = "AdditionalProperties"
            node.required_last = len(node.required) == 1
        elif target.get("unevaluatedProperties") is False:
            node.closing = "UnevaluatedProperties"
        relaxed: dict[str, Any] = {}
        for name, sub in props.items():
            where = f"{pointer}/properties/{pointer_token(name)}"
            child = self.build(sub, where)
            if child is not None:
                node.plain[name] = child
                relaxed[name] = {"$ref": _entry_ref(child.rx)}
            else:
                relaxed[name] = {"$ref": "#" + where}
        self.entries[node.rx] = {"properties": relaxed}
        return node

    def _resolve(self, schema: Any, pointer: str) -> tuple[Any, str]:
        """Follow ``$ref``-only schemas to the schema they name, and where it is (a chain, not a cycle)."""
        for _ in range(32):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)
                    and all(k == "$ref" or k in _ANNOTATIONS for k in schema)):
                return schema, pointer
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                return None, pointer
            node: Any = self._root
            for token in unquote(ref[1:])[1:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or token not in node:
                    return None, pointer
                node = node[token]
            schema, pointer = node, ref[1:]
        return None, pointer


def _plain_kind(schema: dict[str, Any]) -> str | None:
    """``object`` or ``array`` when jsonschema-rs would check nothing the walk does not mirror."""
    types = _types(schema)
    if not types:
        return None
    keys = {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-")}
    if "object" in types and types <= {"object", "null"} and keys <= _OBJECT_KEYS:
        props, required = schema.get("properties", {}), schema.get("required", [])
        if not isinstance(props, dict) or not isinstance(required, list):
            return None
        if not all(isinstance(r, str) for r in required) or len(set(required)) != len(required):
            return None
        if not all(_stable(name) for name in props):
            return None
        additional, unevaluated = schema.get("additionalProperties"), schema.get("unevaluatedProperties")
        if additional not in (None, False) or unevaluated not in (None, False):
            return None
        if additional is False and unevaluated is False:
            return None
        return "object"
    if "array" in types and types <= {"array", "null"} and keys <= _ARRAY_KEYS and "items" in schema:
        return "array"
    return None


def _stable(name: str) -> bool:
    """Whether jsonschema-rs keeps ``name`` as it is in an error's ``instance_path``.

    It drops an empty key and turns a key that parses as an unsigned integer ("+1", "01") into
    an int, so ``_explain`` reads paths under such a key differently: those nodes stay leaves.
    """
    digits = name[1:] if name.startswith("+") else name
    return bool(name) and not (digits.isascii() and digits.isdigit())


def _types(schema: dict[str, Any]) -> frozenset[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return frozenset((kind,))
    if isinstance(kind, list) and all(isinstance(t, str) for t in kind):
        return frozenset(kind)
    return frozenset()


def pointer_token(name: str) -> str:
    """``name`` as one JSON-pointer token inside a URI fragment (``~0``, ``~1``, then %-escapes)."""
    return quote(name.replace("~", "~0").replace("/", "~1"), safe="!$&'()*+,;=:@-._~")


def _entry_ref(key: str) -> str:
    return "#/properties/" + pointer_token(key)


def walk(node: Node, value: Any, oracle: Oracle) -> list[Any]:
    """Everything wrong with ``value`` under ``node``, in the order ``iter_errors`` reports it."""
    out: list[Any] = []
    if oracle.is_valid(node.rx, value):
        _walk(node, value, (), oracle, None, out)
        return out
    leaves: dict[tuple[Any, ...], list[Any]] = {}
    for violation in oracle.explain(node.rx, value):
        leaves.setdefault(_leaf_at(node, violation.path), []).append(violation)
    dirty = {at[:n] for at in leaves for n in range(len(at))}
    _walk(node, value, (), oracle, (leaves, dirty), out)
    if leaves:  # each group is taken where its leaf is met: one left over was misplaced
        raise Bail
    return out


def _leaf_at(node: Node, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Where along ``path`` the plain nodes end: the leaf child whose errors these are."""
    for depth, step in enumerate(path):
        if node.items is not None:
            node = node.items
        else:
            child = node.plain.get(step)
            if child is None:
                return path[: depth + 1]
            node = child
    raise Bail  # the twin only fails inside leaves: a plain node here means we misread it


Leaves = tuple[dict[tuple[Any, ...], list[Any]], set[tuple[Any, ...]]]


def _walk(node: Node, value: Any, path: tuple[Any, ...], oracle: Oracle, leaves: Leaves | None,
          out: list[Any]) -> None:
    """:func:`walk` below the twin's verdict, appending to ``out`` (the hot loop: kept flat).

    ``leaves``: the leaf violations by leaf location, and the plain paths above them; None when
    every leaf is valid.
    """
    if value is None and node.nullable:
        return
    if leaves is not None and path not in leaves[1]:
        leaves = None
    item = node.items
    if item is not None:
        if not isinstance(value, list):
            raise Bail
        for index, element in enumerate(value):
            _walk(item, element, (*path, index), oracle, leaves, out)
        return
    if not isinstance(value, dict):
        raise Bail
    missing = not value.keys() >= node.required_set
    if missing and not node.required_last:
        out.extend(oracle.missing(path, name) for name in node.required if name not in value)
    if leaves is not None:
        _all_children(node, value, path, oracle, leaves, out)
    elif node.plain:  # every leaf is valid: only plain children report, mostly none or one
        spans: list[tuple[str, int, int]] = []
        for name, child in node.plain.items():
            if name in value:
                before = len(out)
                _walk(child, value[name], (*path, name), oracle, None, out)
                if len(out) != before:
                    spans.append((name, before, len(out)))
        if len(spans) > 1:  # put the reporting children in jsonschema-rs' order
            found = {name: out[a:b] for name, a, b in spans}
            del out[spans[0][1]:]
            for name in _child_order(node, value):
                out.extend(found.get(name, ()))
    if node.closing is not None and not node.names.issuperset(value):
        names = node.names
        out.extend(oracle.unexpected(node.closing, path, value, [k for k in value if k not in names]))
    if missing and node.required_last:
        out.append(oracle.missing(path, node.required[0]))


def _all_children(node: Node, value: dict[str, Any], path: tuple[Any, ...], oracle: Oracle,
                  leaves: Leaves, out: list[Any]) -> None:
    plain, found = node.plain, leaves[0]
    for name in _child_order(node, value):
        child = plain.get(name)
        if child is not None:
            _walk(child, value[name], (*path, name), oracle, leaves, out)
        else:
            out.extend(found.pop((*path, name), ()))


def _child_order(node: Node, value: dict[str, Any]) -> list[str]:
    """The order jsonschema-rs 0.60 visits ``properties``: see the module docstring."""
    names = node.names
    if node.closing == "AdditionalProperties" or len(names) > _SORTED_MAX or len(value) <= len(names):
        return [k for k in value if k in names]
    return [k for k in node.sorted_names if k in value]
