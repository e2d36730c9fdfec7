"""One operation compared across two versions of a spec, and the :class:`Change` records it yields.

:mod:`recorder.contracts.diff` lines up the operations of two documents, reports a shared
component's change once across them and builds the report; this module knows only the two sides
of one operation: its flags, security, parameters, request body, response statuses, headers and
bodies (the schemas inside them are compared by :mod:`recorder.contracts.diff_schema`). A change's
classification is a property of its kind, declared once in :data:`KIND_CLASSIFICATION`, so each
rule here says what changed and never how bad that is for a client.
"""
from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

from recorder.contracts.diff_schema import Direction, SchemaDiffer
from recorder.contracts.slicing import escape_pointer, iter_operations, resolve_pointer
from recorder.errors import BadInput

Classification = Literal["breaking", "needs-a-look", "safe"]
Part = Literal["operation", "request", "response"]

KIND_CLASSIFICATION: dict[str, Classification] = {
    "operation-removed": "breaking",
    "path-removed": "breaking",
    "response-field-removed": "breaking",
    "response-field-no-longer-required": "breaking",
    "type-changed": "breaking",
    "format-changed": "breaking",
    "request-enum-value-removed": "breaking",
    "new-required-request-parameter": "breaking",
    "new-required-request-field": "breaking",
    "request-field-removed": "breaking",
    "status-removed": "breaking",
    "security-changed": "breaking",
    "response-enum-value-added": "needs-a-look",
    "response-status-added": "needs-a-look",
    "field-deprecated": "needs-a-look",
    "field-now-nullable": "needs-a-look",
    "request-field-added": "safe",
    "response-field-added": "safe",
    "operation-added": "safe",
}
SEVERITY = {"breaking": "error", "needs-a-look": "warning", "safe": "info"}

_TEMPLATE_VAR = re.compile(r"\{[^}/]+\}")
_SHORT = 80

ShapeKey = tuple[str, str]   # (METHOD, path shape): how operations line up across versions


@dataclass(frozen=True, slots=True)
class Change:
    """One classified difference between two spec versions, located in one operation."""

    kind: str
    method: str                 # upper-case
    path: str                   # the path template (the new one when both exist)
    operation_id: str | None
    part: Part
    location: str               # /responses/200/body/amount, /request/query/limit, "" = whole operation
    old: str | None             # short renderings for people
    new: str | None
    message: str
    touched_by: tuple[str, ...] = ()
    source_label: str = ""      # which spec (pair) this came from, for changes nobody touches
    # The same change inside a shared component, reached from other operations too ("GET /v1/x"):
    # it is reported once, at the operation that reaches it shallowest; touched_by covers all.
    also_in: tuple[str, ...] = ()

    @property
    def classification(self) -> Classification:
        return KIND_CLASSIFICATION[self.kind]

    @property
    def status(self) -> str | None:
        """The response status a response change is about (``200``, ``default``, ``4XX``)."""
        if self.location.startswith("/responses/"):
            return self.location.split("/")[2]
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "classification": self.classification, "method": self.method,
                "path": self.path, "operation_id": self.operation_id, "part": self.part,
                "location": self.location, "old": self.old, "new": self.new, "message": self.message,
                "touched_by": list(self.touched_by), "also_in": list(self.also_in)}


def short(value: Any) -> str | None:
    """A value rendered for a one-line report: lists joined, objects as compact JSON, truncated."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    else:
        text = str(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def path_shape(path: str) -> str:
    """``/v1/charges/{charge}`` -> ``/v1/charges/{}``: how endpoints are matched across versions."""
    return _TEMPLATE_VAR.sub("{}", path)


@dataclass(frozen=True, slots=True)
class IndexedOperation:
    """One operation of a document, with the path item whose parameters it inherits."""

    method: str
    path: str
    operation: dict[str, Any]
    path_item: dict[str, Any]


def index_operations(doc: dict[str, Any]) -> dict[ShapeKey, IndexedOperation]:
    """The document's operations keyed by method and path shape, as they line up across versions."""
    paths = doc.get("paths") or {}
    return {(method.upper(), path_shape(path)): IndexedOperation(method.upper(), path, operation, paths[path])
            for method, path, operation in iter_operations(doc)}


def _deref(doc: dict[str, Any], node: Any) -> dict[str, Any]:
    """A parameter/requestBody/response/header object with its ``$ref`` followed ({} if dangling)."""
    for _ in range(16):
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            break
        try:
            node = resolve_pointer(doc, node["$ref"])
        except BadInput:
            return {}
    return node if isinstance(node, dict) else {}


class OperationDiff:
    """Collects the changes of one operation, dropping repeats of the same (kind, location).

    ``diff_specs`` makes one per operation in use and reads :attr:`changes`, each paired with its
    component-level origin so that a shared component's change can be reported once in the end.
    """

    def __init__(self, differ: SchemaDiffer, before: IndexedOperation | None, after: IndexedOperation | None,
                 touched_by: tuple[str, ...], source_label: str) -> None:
        self.differ = differ
        self.before, self.after = before, after
        self.touched_by = touched_by
        self.source_label = source_label
        self.changes: list[tuple[Hashable | None, Change]] = []   # (component-level origin, change)
        self._seen: set[tuple[str, str]] = set()

    def add(self, kind: str, part: Part, location: str, old: Any, new: Any, message: str,
            origin: Hashable | None = None) -> None:
        if (kind, location) in self._seen:
            return
        self._seen.add((kind, location))
        op = self.after or self.before
        assert op is not None, "an operation diff has at least one side"
        operation_id = op.operation.get("operationId")
        self.changes.append((origin, Change(kind, op.method, op.path, operation_id, part, location, short(old),
                                            short(new), message, self.touched_by, self.source_label)))

    def schemas(self, old: Any, new: Any, direction: Direction, base: str,
                visited: set[Any] | None = None) -> None:
        part: Part = "request" if direction == "request" else "response"
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        for change in self.differ.diff(old, new, direction, visited):
            self.add(change.kind, part, base + change.location, change.old, change.new, change.message,
                     change.origin)

    def compare(self) -> None:
        """Both versions have the operation: compare flags, security, parameters, body, responses."""
        assert self.before is not None and self.after is not None
        old_op, new_op = self.before.operation, self.after.operation
        if new_op.get("deprecated") is True and old_op.get("deprecated") is not True:
            self.add("field-deprecated", "operation", "", False, True, "the operation is deprecated")
        self.security(old_op, new_op)
        self.parameters(self.before, self.after)
        self.request_body(old_op, new_op)
        self.responses(old_op, new_op)

    def security(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        before = _security(self.differ.old_doc, old_op)
        after = _security(self.differ.new_doc, new_op)
        if before != after:
            self.add("security-changed", "operation", "/security", _render_security(before),
                     _render_security(after), "the operation's security requirements changed")

    def parameters(self, old: IndexedOperation, new: IndexedOperation) -> None:
        before, after = _parameters(self.differ.old_doc, old), _parameters(self.differ.new_doc, new)
        for key in sorted(before.keys() | after.keys()):
            old_param, new_param = before.get(key), after.get(key)
            param = new_param or old_param
            assert param is not None
            where = f"/request/{param.get('in')}/{escape_pointer(str(param.get('name')))}"
            name = param.get("name")
            if new_param is None:
                self.add("request-field-removed", "request", where, name, None, f"parameter {name} was removed")
            elif old_param is None:
                if new_param.get("required") is True:
                    self.add("new-required-request-parameter", "request", where, None, name,
                             f"required parameter {name} was added")
                else:
                    self.add("request-field-added", "request", where, None, name, f"optional parameter {name} was added")
            else:
                if new_param.get("required") is True and old_param.get("required") is not True:
                    self.add("new-required-request-parameter", "request", where, "optional", "required",
                             f"parameter {name} is now required")
                if new_param.get("deprecated") is True and old_param.get("deprecated") is not True:
                    self.add("field-deprecated", "request", where, False, True, f"parameter {name} is deprecated")
                self.schemas(_param_schema(old_param), _param_schema(new_param), "request", where)

    def request_body(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        old_body = _deref(self.differ.old_doc, old_op.get("requestBody"))
        new_body = _deref(self.differ.new_doc, new_op.get("requestBody"))
        if new_body.get("required") is True and old_body.get("required") is not True:
            self.add("new-required-request-field", "request", "/request/body", "optional", "required",
                     "a request body is now required")
        old_content, new_content = old_body.get("content") or {}, new_body.get("content") or {}
        for media in sorted(old_content.keys() | new_content.keys()):
            if media not in new_content:
                self.add("request-field-removed", "request", "/request/body", media, None,
                         f"the request body no longer accepts {media}")
            elif media not in old_content:
                self.add("request-field-added", "request", "/request/body", None, media,
                         f"the request body now accepts {media}")
            else:
                self.schemas((old_content[media] or {}).get("schema"), (new_content[media] or {}).get("schema"),
                             "request", "/request/body")

    def responses(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        """Per status, per content type; one visited set so shared components are reported once."""
        old_doc, new_doc = self.differ.old_doc, self.differ.new_doc
        before, after = old_op.get("responses") or {}, new_op.get("responses") or {}
        visited: set[Any] = set()
        for status in sorted(map(str, before.keys() | after.keys())):
            base = f"/responses/{escape_pointer(status)}"
            if status not in after:
                self.add("status-removed", "response", base, status, None, f"status {status} is no longer returned")
                continue
            if status not in before:
                self.add("response-status-added", "response", base, None, status, f"status {status} may now be returned")
                continue
            old_resp, new_resp = _deref(old_doc, before[status]), _deref(new_doc, after[status])
            self.response_headers(old_resp, new_resp, base, visited)
            old_content, new_content = old_resp.get("content") or {}, new_resp.get("content") or {}
            for media in sorted(old_content.keys() | new_content.keys()):
                if media not in new_content:
                    self.add("response-field-removed", "response", base + "/body", media, None,
                             f"status {status} no longer returns {media}")
                elif media not in old_content:
                    self.add("response-field-added", "response", base + "/body", None, media,
                             f"status {status} may now return {media}")
                elif "json" in media or media == "*/*":
                    self.schemas((old_content[media] or {}).get("schema"), (new_content[media] or {}).get("schema"),
                                 "response", base + "/body", visited)

    def response_headers(self, old_resp: dict[str, Any], new_resp: dict[str, Any], base: str,
                         visited: set[Any]) -> None:
        old_doc, new_doc = self.differ.old_doc, self.differ.new_doc
        before = {k.lower(): _deref(old_doc, v) for k, v in (old_resp.get("headers") or {}).items()}
        after = {k.lower(): _deref(new_doc, v) for k, v in (new_resp.get("headers") or {}).items()}
        for name in sorted(before.keys() | after.keys()):
            where = f"{base}/headers/{escape_pointer(name)}"
            if name not in after:
                self.add("response-field-removed", "response", where, name, None, f"header {name} was removed")
            elif name not in before:
                self.add("response-field-added", "response", where, None, name, f"header {name} was added")
            else:
                self.schemas(_param_schema(before[name]), _param_schema(after[name]), "response", where, visited)


def _security(doc: dict[str, Any], operation: dict[str, Any]) -> frozenset[Any]:
    """The effective requirements, each scheme with the definition that matters to a client."""
    requirements = operation.get("security", doc.get("security")) or []
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    result = set()
    for requirement in requirements:
        if not isinstance(requirement, dict):
            continue
        alternatives = []
        for name, scopes in sorted(requirement.items()):
            scheme = _deref(doc, schemes.get(name))
            definition = tuple(str(scheme.get(k, "")).lower()
                               for k in ("type", "scheme", "in", "name", "openIdConnectUrl"))
            alternatives.append((name, definition, tuple(sorted(scopes or []))))
        result.add(tuple(alternatives))
    return frozenset(result)


def _render_security(requirements: frozenset[Any]) -> str:
    if not requirements:
        return "none"
    return " | ".join(sorted(" + ".join(name for name, _d, _s in alts) or "anonymous" for alts in requirements))


def _parameters(doc: dict[str, Any], op: IndexedOperation) -> dict[tuple[str, str], dict[str, Any]]:
    """Path-item and operation parameters merged (the operation wins), keyed for matching.

    Path parameters are keyed by their position in the template, so a renamed template
    variable still lines up; header names are case-insensitive.
    """
    variables = [v[1:-1] for v in _TEMPLATE_VAR.findall(op.path)]
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(op.path_item.get("parameters") or []), *(op.operation.get("parameters") or [])]:
        param = _deref(doc, raw)
        where, name = str(param.get("in", "")), str(param.get("name", ""))
        if where == "path" and name in variables:
            merged[(where, f"#{variables.index(name)}")] = param
        else:
            merged[(where, name.lower() if where == "header" else name)] = param
    return merged


def _param_schema(param: dict[str, Any]) -> Any:
    if isinstance(param.get("schema"), dict):
        return param["schema"]
    for media in (param.get("content") or {}).values():
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            return media["schema"]
    return None
