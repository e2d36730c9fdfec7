"""Validating many values against many schemas of one spec, with one compiled validator.

jsonschema-rs validates a Stripe charge in ~7 us, but compiling a validator costs ~40 ms because
almost every Stripe resource reaches ~500 schemas through its expandable fields. Compiling one
validator per operation would spend seconds before validating anything. Instead every schema we
need becomes one entry of a single root schema's ``properties`` (a *dispatcher*); a value is
validated as ``{key: value}``, so only the schema under ``key`` runs, and the whole shared graph is
compiled once. Keys are registered up front (routing is cheap); a key that arrives later triggers
one recompile.

Failures are explained from jsonschema-rs' own error tree: ``anyOf`` failures carry the errors of
every branch, and we follow the branch that fits the value best, so ``customer`` (an id, an
object or null) that is an object missing ``email`` says ``required`` at ``/customer/email``
rather than "not valid under any of the given schemas".

A failing list of resources (an old recording of 30 GitHub events: ~190 findings, 3 ms of
``iter_errors``) is localised by :mod:`recorder.contracts.descend` instead, with the same findings.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from recorder.contracts.coerce import json_type
from recorder.contracts.descend import Bail, Node, Plan, pointer_token, walk
from recorder.contracts.reach import STALE_COMMENT
from recorder.contracts.slicing import resolve_pointer
from recorder.errors import BadInput

_KIND_RULES = {
    "Required": "required", "Type": "type", "Enum": "enum", "Constant": "enum", "Format": "format",
    "AdditionalProperties": "additional-property", "UnevaluatedProperties": "undocumented-field",
    "MaxLength": "max-length", "MinLength": "min-length", "Maximum": "maximum", "Minimum": "minimum",
    "ExclusiveMaximum": "maximum", "ExclusiveMinimum": "minimum", "Pattern": "pattern",
    "MaxItems": "max-items", "MinItems": "min-items", "UniqueItems": "unique-items",
    "MultipleOf": "multiple-of", "OneOfMultipleValid": "one-of", "Not": "not", "FalseSchema": "not-allowed",
}


#: Where a message shows the recorded value. The report fills it with the value as redacted for
#: ``actual`` (see ``recorder.contracts.verify.render_value``): a message never holds more than that.
VALUE_SLOT = "{value}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One explained failure: a rule at a path inside the validated value."""

    rule: str
    path: tuple[str | int, ...]
    message: str
    expected: str | None = None
    actual: Any = None
    severity: str = "error"


class BrokenSchema(Exception):
    """A schema the validator refuses to compile (a dangling ``$ref``, ``minLength: "x"``).

    ``path`` is where in the bank's root schema (``components/schemas/...`` or
    ``properties/<key>/...``); the checker, which knows the spec, turns it into a pointer.
    """

    def __init__(self, path: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


class SchemaBank:
    """The schemas of one spec that traffic is validated against, behind one compiled validator."""

    def __init__(self, components: dict[str, Any]) -> None:
        self._components = components
        self._schemas: dict[str, Any] = {}
        self._validator: Any = None
        self._compiled_keys = 0
        self._plan = Plan({"components": {"schemas": components}, "properties": self._schemas})
        self._descents: dict[str, Node] = {}

    def register(self, key: str, schema: Any) -> None:
        if key not in self._schemas:
            self._schemas[key] = schema
            self._validator = None if len(self._schemas) != self._compiled_keys else self._validator
            # Planned now, not when a value fails: a new probe entry would cost a recompile then.
            node = self._plan.root(schema, "/properties/" + pointer_token(key))
            if node is not None:
                self._descents[key] = node

    def __contains__(self, key: str) -> bool:
        return key in self._schemas

    def _compiled(self) -> Any:
        if self._validator is None:
            root = {"components": {"schemas": self._components},
                    "properties": {**self._schemas, **self._plan.entries}}
            # mask: jsonschema-rs otherwise serialises the failing instance into every message
            # (a whole 5 KB object for each anyOf/type failure, ~20% of iter_errors on Stripe),
            # and a recorded value (a token) must not reach a finding's message anyway.
            try:
                self._validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True,
                                                                     ignore_unknown_formats=True, mask="value")
            except jsonschema_rs.ValidationError as exc:
                raise _broken(exc, root) from None
            self._compiled_keys = len(self._schemas)
        return self._validator

    def compile(self) -> None:
        """Compile now (BrokenSchema if the validator refuses a schema) rather than on first use."""
        self._compiled()

    def violations(self, key: str, value: Any) -> list[Violation]:
        """Everything wrong with ``value`` under the schema registered as ``key`` (fast when nothing is)."""
        validator = self._compiled()
        wrapped = {key: value}
        if validator.is_valid(wrapped):
            return []
        node = self._descents.get(key)
        if node is not None:  # a list of resources: iter_errors would copy every failing item
            try:
                return _dedupe(walk(node, value, self))
            except Bail:
                pass
        return _dedupe(self.explain(key, value))

    # -- the Oracle the descent (recorder.contracts.descend) asks -----------------------------
    def is_valid(self, key: str, value: Any) -> bool:
        return bool(self._compiled().is_valid({key: value}))

    def explain(self, key: str, value: Any) -> list[Violation]:
        """``value``'s violations under ``key``, as jsonschema-rs reports them (not yet deduplicated)."""
        found: list[Violation] = []
        for error in self._compiled().iter_errors({key: value}):
            found.extend(_explain(error, value, strip=1))
        return found

    @staticmethod
    def missing(path: tuple[Any, ...], name: str) -> Violation:
        return _missing(path, name)

    @staticmethod
    def unexpected(closing: str, path: tuple[Any, ...], value: dict[str, Any],
                   extras: list[str]) -> list[Violation]:
        return _unexpected(closing, path, value, extras)


def _broken(error: Any, root: dict[str, Any]) -> BrokenSchema:
    """Where and why compiling failed. Only on this (rare) path is the root searched."""
    if type(error.kind).__name__ == "Referencing":
        found = _dangling_ref(root)
        if found is not None:
            return BrokenSchema(found[0], f"$ref {found[1]!r} does not resolve")
        return BrokenSchema((), f"a $ref does not resolve ({str(error).splitlines()[0]})")
    path = tuple(error.instance_path)
    bad = _value_at(root, path)
    return BrokenSchema(path, f"not a valid schema: {_short(json.dumps(bad, default=str), 60)} {str(error).splitlines()[0].removeprefix('value ')}")


def _dangling_ref(root: dict[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """The first ``$ref`` (components first, then the registered schemas) that points nowhere."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(("properties",), root.get("properties")),
                                                      (("components",), root.get("components"))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not _resolves(root, ref):
                return (*path, "$ref"), ref
            stack.extend(((*path, k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return None


def _resolves(root: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#"):
        return False  # external documents are never fetched
    if not ref.startswith("#/"):
        return True  # the document itself, or an anchor: jsonschema-rs's to resolve
    try:
        resolve_pointer(root, ref)
    except BadInput:
        return False
    return True


def _dedupe(found: list[Violation]) -> list[Violation]:
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    unique = []
    for v in found:
        if (v.rule, v.path) not in seen:
            seen.add((v.rule, v.path))
            unique.append(v)
    return unique


def _explain(error: Any, root_value: Any, strip: int) -> list[Violation]:
    kind = error.kind
    name = type(kind).__name__
    path = tuple(error.instance_path)[strip:]
    if name in ("AnyOf", "OneOfNotValid"):
        return _explain_branches(kind.context or [], path, root_value, strip)
    details = kind.as_dict() if hasattr(kind, "as_dict") else {}
    rule = _KIND_RULES.get(name) or _kebab(name)  # not .get(name, _kebab(name)): that builds it every time
    actual = _value_at(root_value, path)
    if name == "Not" and str(details.get("schema", {}).get("$comment", "")).startswith(STALE_COMMENT):
        ref = details["schema"]["$comment"][len(STALE_COMMENT):]
        return [Violation("slice-stale", path, f"the pinned contract was cut without {ref} here (no recorded "
                          "value reached it then), so this value was not checked: re-run `recorder contracts pull`",
                          expected=ref, actual=None, severity="warning")]
    if name == "Required":
        return [_missing(path, details.get("property"))]
    if name in ("AdditionalProperties", "UnevaluatedProperties"):
        return _unexpected(name, path, actual, details.get("unexpected") or [])
    if name == "Type":
        types = details.get("types") or []
        return [Violation(rule, path, f"expected {' or '.join(map(str, types))}, got {json_type(actual)}",
                          expected=" | ".join(map(str, types)), actual=actual)]
    if name in ("Enum", "Constant"):
        options = details.get("options", details.get("expected_value"))
        return [Violation(rule, path, f"value {VALUE_SLOT} is not one of the documented values",
                          expected=_short(options, 160), actual=actual)]
    if name == "Format":
        return [Violation(rule, path, f"value does not match format {details.get('format')!r}",
                          expected=str(details.get("format")), actual=actual)]
    expected = next(iter(details.values())) if len(details) == 1 else details
    return [Violation(rule, path, _strip_instance(error.message),
                      expected=_short(expected) if details else None, actual=actual)]


def _missing(path: tuple[Any, ...], name: Any) -> Violation:
    """A ``required`` failure; shared with the descent, which finds these without jsonschema-rs."""
    return Violation("required", (*path, name), f"required field {name!r} is missing",
                     expected="present", actual=None)


def _unexpected(kind: str, path: tuple[Any, ...], value: Any, extras: list[Any]) -> list[Violation]:
    """``AdditionalProperties`` / ``UnevaluatedProperties`` failures of ``value`` (the object at ``path``)."""
    rule = _KIND_RULES[kind]
    severity = "warning" if kind == "UnevaluatedProperties" else "error"
    what = "not in the spec (undocumented field)" if severity == "warning" else "not allowed by the spec"
    return [Violation(rule, (*path, extra), f"field {extra!r} is {what}", expected="absent",
                      actual=_value_at(value, (extra,)), severity=severity)
            for extra in extras]


def _explain_branches(branches: list[list[Any]], path: tuple[Any, ...], root_value: Any,
                      strip: int) -> list[Violation]:
    """The best-fitting branch's violations; a plain type error when no branch fits the value's type."""
    candidates: list[list[Violation]] = []
    expected_types: list[str] = []
    for branch in branches:
        explained = [v for e in branch for v in _explain(e, root_value, strip)]
        root_type = [v for v in explained if v.rule == "type" and v.path == path]
        if root_type:
            expected_types.extend(t for v in root_type for t in (v.expected or "").split(" | ") if t)
            continue
        candidates.append(explained)
    if not candidates:
        actual = _value_at(root_value, path)
        wanted = " | ".join(dict.fromkeys(expected_types)) or "another shape"
        return [Violation("type", path, f"expected {wanted.replace(' | ', ' or ')}, got {json_type(actual)}",
                          expected=wanted, actual=actual)]
    return min(candidates, key=lambda vs: (sum(1 for v in vs if v.severity == "error"), len(vs)))


def _value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _strip_instance(message: str) -> str:
    return message if len(message) < 200 else message[:197] + "..."


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
